"""Peak memory of fill's parent process against the number of units (issue 12: it must stay flat).

Each measurement runs in a fresh Python (peak RSS is per process): a CSV of N units with one indicator
each is generated, then

- ``fill``: the whole run (``batch.fill_csv``, ``--jobs`` workers), the parent's peak RSS and the largest
  worker's, and the time;
- ``plan``: only what the parent does per unit (``plan_csv``, every slice, a name per 评价对象 through
  ``UniqueNames``), which is where memory grew before (543 MB at a million units), at sizes a whole fill
  would take too long for.

Run: ``python benchmarks/bench_memory.py`` (fill at 10 000 and 100 000, plan at 1 000 000; the 100 000 fill
takes about 15–30 minutes on 2 CPUs), ``--quick`` for CI (fill at 200 and 1 000, plan at 20 000).
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_csv import HEADER


def write_units(path: Path, n: int) -> Path:
    """N 部门整体 units, one indicator each (scores 100), grouped by unit as exports are."""
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i in range(n):
            row = dict.fromkeys(HEADER, "")
            row.update(
                {
                    "单位编码": f"44{i:09d}",
                    "单位名称": f"雷州市第{i + 1}局",
                    "主管部门": "雷州市人民政府",
                    "评价年度": "2023",
                    "评价对象": "部门整体",
                    "年初预算数": "100",
                    "全年预算数": "100",
                    "全年执行数": "100",
                    "预期目标": "完成年度任务",
                    "实际完成情况": "已完成",
                    "一级指标": "产出指标",
                    "二级指标": "数量指标",
                    "三级指标": "完成数量",
                    "指标性质": "≥",
                    "年度指标值": "10",
                    "度量单位": "个",
                    "实际完成值": "10",
                    "分值": "90",
                }
            )
            w.writerow([row[h] for h in HEADER])
    return path


_FILL = """
import json, sys, time, tempfile
from pathlib import Path
from perfeval_xl.batch import fill_csv
from perfeval_xl.workers import peak_rss_mb
if __name__ == "__main__":
    out = Path(tempfile.mkdtemp(prefix="perfeval-mem-"))
    t = time.perf_counter()
    s = fill_csv(Path(sys.argv[1]), out, jobs=int(sys.argv[2]))
    print(json.dumps({"parent_mb": peak_rss_mb(), "worker_mb": s.worker_peak_rss_mb, "written": s.written,
                      "jobs": s.jobs, "seconds": time.perf_counter() - t, "out": str(out)}))
"""

_PLAN = """
import json, sys, time
from pathlib import Path
from perfeval_xl.batch import UniqueNames, plan_csv
from perfeval_xl.workers import peak_rss_mb
if __name__ == "__main__":
    t = time.perf_counter()
    plan = plan_csv(Path(sys.argv[1]), 2)
    names = UniqueNames(["_report.csv"])
    n = 0
    for piece in plan.slices():
        for _, unit, subject in piece.units:
            names.assign(f"{unit}_雷州市第局_{subject}.xlsx")
            n += 1
    print(json.dumps({"parent_mb": peak_rss_mb(), "units": plan.units, "records": n,
                      "kept_last_records": len(plan.last_record), "seconds": time.perf_counter() - t}))
"""


def measure(script: str, *args: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="perfeval-mem-script-") as tmp:
        path = Path(tmp) / "run.py"
        path.write_text(script, encoding="utf-8")
        done = subprocess.run([sys.executable, str(path), *args], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes (CI)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--fill", type=int, nargs="*", help="fill sizes (default 10000 100000)")
    parser.add_argument("--plan", type=int, nargs="*", help="plan sizes (default 1000000)")
    args = parser.parse_args()
    fill_sizes = args.fill if args.fill is not None else ([200, 1000] if args.quick else [10_000, 100_000])
    plan_sizes = args.plan if args.plan is not None else ([20_000] if args.quick else [1_000_000])
    with tempfile.TemporaryDirectory(prefix="perfeval-mem-csv-") as tmp:
        for n in plan_sizes:
            r = measure(_PLAN, str(write_units(Path(tmp) / f"{n}.csv", n)))
            print(
                f"plan + names, N = {n:>9,}: parent peak {r['parent_mb']:.0f} MB, "
                f"{r['kept_last_records']} units kept for their spans, {r['seconds']:.1f} s",
                flush=True,
            )
        for n in fill_sizes:
            r = measure(_FILL, str(write_units(Path(tmp) / f"{n}.csv", n)), str(args.jobs))
            print(
                f"fill,         N = {n:>9,}: parent peak {r['parent_mb']:.0f} MB, largest worker "
                f"{r['worker_mb']:.0f} MB, {r['written']} written on {r['jobs']} workers in {r['seconds']:.0f} s",
                flush=True,
            )
            subprocess.run(["rm", "-rf", r["out"]], check=False)


if __name__ == "__main__":
    main()
