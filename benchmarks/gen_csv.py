"""Generate a budget-system CSV export of N units with 20 indicators each (benchmarks and CI smoke runs).

Every unit is a clean 部门整体 evaluation (score 90–100): unit columns on its first row, the unit's code,
name and 评价对象 repeated on every row, as exports do. Run: ``python benchmarks/gen_csv.py N out.csv``.
"""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

HEADER = [
    "单位编码",
    "单位名称",
    "主管部门",
    "评价年度",
    "评价对象",
    "年初预算数",
    "全年预算数",
    "全年执行数",
    "预期目标",
    "实际完成情况",
    "一级指标",
    "二级指标",
    "三级指标",
    "指标性质",
    "年度指标值",
    "度量单位",
    "实际完成值",
    "完成档次",
    "分值",
    "得分",
    "偏差原因分析及改进措施",
]

#: (一级, 二级, count, weight each): 产出 50, 效益 30, 满意度 10 in 20 indicators (+ 执行率 10 = 100).
_PLAN = (
    ("产出指标", "数量指标", 5, 4),
    ("产出指标", "质量指标", 3, 4),
    ("产出指标", "时效指标", 2, 4),
    ("产出指标", "成本指标", 2, 5),
    ("效益指标", "社会效益指标", 3, 5),
    ("效益指标", "经济效益指标", 2, 5),
    ("效益指标", "可持续影响指标", 1, 5),
    ("满意度指标", "服务对象满意度指标", 2, 5),
)


def unit_rows(i: int, rng: random.Random) -> list[list[str]]:
    code = f"44088{i:06d}"
    name = f"雷州市第{i + 1}局"
    budget = round(rng.uniform(100, 5000), 2)
    executed = round(budget * rng.uniform(0.93, 1.0), 2)
    rows: list[list[str]] = []
    k = 0
    for level1, level2, count, weight in _PLAN:
        for _ in range(count):
            k += 1
            first = not rows
            qualitative = level1 == "满意度指标" and k % 2 == 0
            if qualitative:
                op, target, unit, actual, band, score = (
                    "定性",
                    "效果明显",
                    "",
                    "达成年度指标",
                    "达成年度指标",
                    str(weight - 1),
                )
            else:
                op = "≥" if k % 3 else "≤"
                t = rng.randint(10, 200)
                a = t if op == "≤" else t + rng.randint(0, t // 10)
                op, target, unit, actual, band, score = op, str(t), "个", str(a), "", ""
            note = "部分任务滞后；下年提前安排。" if qualitative else ""
            rows.append(
                [
                    code,
                    name,
                    "雷州市人民政府",
                    "2023" if first else "",
                    "部门整体",
                    f"{budget:.2f}" if first else "",
                    f"{budget:.2f}" if first else "",
                    f"{executed:.2f}" if first else "",
                    "保障机关正常运转，完成年度重点工作。" if first else "",
                    "各项工作按期完成。" if first else "",
                    level1,
                    level2,
                    f"指标{k}",
                    op,
                    target,
                    unit,
                    actual,
                    band,
                    str(weight),
                    score,
                    note,
                ]
            )
    return rows


def write_csv(path: Path, units: int, seed: int = 2023) -> Path:
    """Write ``units`` units (20 indicators each) to ``path`` as UTF-8 with BOM; return the path."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i in range(units):
            w.writerows(unit_rows(i, rng))
    return path


if __name__ == "__main__":
    write_csv(Path(sys.argv[2]), int(sys.argv[1]))
