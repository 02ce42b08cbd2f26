"""Write the field-shape CSV corpus (issue 9 §4–5, issue 12): CSVs shaped as units really export them.

Run from the repository root: ``python tests/data/field/make_field.py``; the files are committed, and
tests/test_csvin.py::test_field_corpus_is_what_the_script_writes checks they are what this script writes.
Each file is small; FIELD maps it to what is special about it. What each must read as (units, skipped,
codes, values) is the table ``FIELD_EXPECTED`` in tests/test_csvin.py.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

HERE = Path(__file__).resolve().parent

UNIT = ["单位编码", "单位名称", "评价年度", "评价对象"]
INDICATOR = [
    "一级指标",
    "二级指标",
    "三级指标",
    "指标性质",
    "年度指标值",
    "度量单位",
    "实际完成值",
    "分值",
    "得分",
]
#: Three indicator rows (分值 50 + 30 + 10, with 执行率分值 10: 100), all fully met.
INDICATORS = [
    ["产出指标", "数量指标", "培训人次", "≥", "100", "人次", "120", "50", ""],
    ["效益指标", "社会效益指标", "受益群众", "≥", "1000", "人", "1000", "30", ""],
    ["满意度指标", "服务对象满意度指标", "群众满意度", "≥", "90", "%", "95", "10", ""],
]


def text(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue()


def utf8(rows: list[list[str]]) -> bytes:
    return text(rows).encode("utf-8-sig")


def unit_rows(unit: list[str], money: list[str]) -> list[list[str]]:
    """The unit's three indicator rows; its unit columns and money on the first row only."""
    width = len(unit) + len(money)
    first = [*unit, *money, *INDICATORS[0]]
    rest = [[""] * width + ind for ind in INDICATORS[1:]]
    return [first, *rest]


def files() -> dict[str, tuple[bytes, str]]:
    out: dict[str, tuple[bytes, str]] = {}

    # 1. A form export: title, unit line and a blank record above the header.
    header = [*UNIT, "全年预算数", "全年执行数", *INDICATOR]
    out["title_rows.csv"] = (
        utf8(
            [
                ["2023年度项目支出绩效自评表"],
                ["单位：万元"],
                [],
                header,
                *unit_rows(
                    ["440882001", "雷州市科工贸和信息化局", "2023", "部门整体"], ["2652.84", "2606.90"]
                ),
            ]
        ),
        "标题行、单位行和空行在表头之上",
    )

    # 2. A two-row merged header: 项目资金（万元） spans three columns, 绩效指标 spans the indicator columns.
    upper = [*UNIT, "项目资金（万元）", "", "", "绩效指标", *[""] * (len(INDICATOR) - 1)]
    lower = [""] * len(UNIT) + ["年初预算数", "全年预算数", "全年执行数", *INDICATOR]
    out["two_row_header.csv"] = (
        utf8([upper, lower, *unit_rows(["001", "甲局", "2023", "部门整体"], ["100", "100", "95"])]),
        "两行合并表头（项目资金（万元）、绩效指标）",
    )

    # 3. Amounts in 元 by their headers, 其中 row included.
    header = [*UNIT, "全年预算数（元）", "全年执行数(元)", "当年财政拨款_全年预算数（元）", *INDICATOR]
    out["yuan_headers.csv"] = (
        utf8([header, *unit_rows(["001", "甲局", "2023", "某项目"], ["26528400", "26069000.5", "20000000"])]),
        "表头注明（元）的金额列",
    )

    # 4. A two-row header whose upper row gives the unit: 项目资金（元）, and a 其中 row as a group.
    upper = [*UNIT, "项目资金（元）", "", "", "当年财政拨款（元）", "", "", *INDICATOR]
    lower = [""] * len(UNIT) + ["年初预算数", "全年预算数", "全年执行数"] * 2 + [""] * len(INDICATOR)
    out["yuan_two_row_header.csv"] = (
        utf8(
            [
                ["2023年度项目支出绩效自评表"],
                upper,
                lower,
                *unit_rows(
                    ["001", "甲局", "2023", "某项目"],
                    ["1000000", "1200000", "1188000", "1000000", "1200000", "1188000"],
                ),
            ]
        ),
        "标题行 + 两行表头，上行“项目资金（元）”“当年财政拨款（元）”",
    )

    # 5. A 金额单位 column, one value per unit: 元, 万元, 亿元, and one unit the table does not know.
    header = [*UNIT, "金额单位", "全年预算数", "全年执行数", *INDICATOR]
    rows = [header]
    for code, name, unit, budget, executed in (
        ("001", "甲局", "元", "1234567.89", "1234567.89"),
        ("002", "乙局", "万元", "123.45", "120"),
        ("003", "丙局", "亿元", "0.5", "0.45"),
        ("004", "丁局", "美元", "100", "90"),
    ):
        rows += unit_rows([code, name, "2023", "部门整体"], [unit, budget, executed])
    out["money_unit_column.csv"] = (utf8(rows), "“金额单位”列：元、万元、亿元和一个不认识的单位")

    # 6. Codes as Excel leaves them: two units collide on 4.40882E+11; a code kept by ' and one by ="…".
    header = [*UNIT, "全年预算数", "全年执行数", *INDICATOR]
    rows = [header]
    for code, name in (
        ("4.40882E+11", "雷州市科工贸和信息化局"),
        ("4.40882E+11", "雷州市财政局"),
        ("'440882003", "雷州市教育局"),
        ('="000123"', "某某中心"),
    ):
        rows += unit_rows([code, name, "2023", "部门整体"], ["100", "95"])
    out["excel_damaged_codes.csv"] = (utf8(rows), 'Excel 改成科学计数法的编码、\'编码、="编码"')

    # 7. No 单位编码 column: units told apart by name.
    header = ["单位名称", "评价年度", "评价对象", "全年预算数", "全年执行数", *INDICATOR]
    rows = [header]
    for name, subject in (("甲局", "部门整体"), ("甲局", "甲项目"), ("乙局", "部门整体")):
        rows += unit_rows([name, "2023", subject], ["100", "95"])
    out["no_code_column.csv"] = (utf8(rows), "没有单位编码列")

    # 8. 执行率 and 执行率得分 as the form's 年度资金总额 row has them.
    header = [*UNIT, "全年预算数", "全年执行数", "执行率", "执行率得分", *INDICATOR]
    rows = [header]
    for code, rate, points in (
        ("001", "98.27%", "9.83"),
        ("002", "98.27", "9.83"),
        ("003", "0.9827", "9.83"),
    ):
        rows += unit_rows([code, f"局{code}", "2023", "部门整体"], ["2652.84", "2606.90", rate, points])
    out["rate_columns.csv"] = (utf8(rows), "执行率（带 %、百分数、小数）与执行率得分")

    # 9. A UTF-8 file with one stray byte (0xB5, Latin-1 µ pasted in) in a 偏差原因 cell of row 3.
    header = [*UNIT, "全年预算数", "全年执行数", *INDICATOR, "偏差原因分析及改进措施"]
    rows = [
        header,
        *([*r, ""] for r in unit_rows(["001", "雷州市科工贸和信息化局", "2023", "部门整体"], ["100", "95"])),
    ]
    rows[2][-1] = "STRAY"
    data = utf8(rows).replace(b"STRAY", "受天气影响".encode() + b"\xb5" + "，已整改".encode())
    out["stray_byte.csv"] = (data, "UTF-8 文件中一个不是 UTF-8 的字节")

    # 10. Numbers beyond any sense: 1e999999 (gave 优), Infinity, NaN.
    header = [*UNIT, "全年预算数", "全年执行数", *INDICATOR]
    rows = [header, *unit_rows(["001", "甲局", "2023", "部门整体"], ["100", "1e999999"])]
    rows[1][-3] = "1e999999"  # 实际完成值 of the 50-point row
    rows[2][-3] = "Infinity"
    rows[3][-3] = "NaN"
    out["huge_numbers.csv"] = (utf8(rows), "1e999999、Infinity、NaN")

    # 11. The national form's way, as a new user writes it: title, two-row header with 项目资金（元）, no
    # 单位编码, 执行率 and 执行率得分 on the 年度资金总额 row.
    upper = ["单位名称", "评价年度", "评价对象", "项目资金（元）", "", "", "执行率", "执行率得分", "绩效指标"]
    upper += [""] * (len(INDICATOR) - 1)
    lower = ["", "", "", "年初预算数", "全年预算数", "全年执行数", "", "", *INDICATOR]
    out["national_form.csv"] = (
        utf8(
            [
                ["项目支出绩效自评表"],
                ["（2023年度）"],
                upper,
                lower,
                *unit_rows(
                    ["某县农业农村局", "2023", "高标准农田建设"],
                    ["5000000", "5000000", "4913500", "98.27%", "9.83"],
                ),
            ]
        ),
        "国家项目支出绩效自评表的导出：标题、两行表头、金额以元计、执行率与执行率得分、无单位编码",
    )

    # 12. A 重庆 部门整体 table (the chongqing-bmzt scheme's words): no 一级/二级, 调整指标值, 全年完成值,
    # 得分系数（%）, 指标权重, 指标得分 = 权重 × 系数. 执行率 76 % × 10 = 7.6; 30 + 24 + 22.8: 总分 84.40.
    header = [
        *UNIT,
        "全年预算数",
        "全年执行数",
        "三级指标",
        "指标性质",
        "调整指标值",
        "计量单位",
        "全年完成值",
    ]
    header += ["得分系数（%）", "指标权重", "指标得分", "未完成原因分析"]
    first = ["500101", "重庆市某区文化旅游委", "2021", "部门整体", "100", "76"]
    blank = [""] * len(first)
    rows = [
        header,
        [*first, "公共文化活动场次", "定量指标", "≥95", "场", "98", "100", "30", "30", ""],
        [*blank, "安全事故", "定量指标", "≤5", "起", "6", "80", "30", "24", "汛期两起"],
        [*blank, "群众文化需求满足", "定性指标", "满足", "", "基本满足", "76", "30", "22.8", "场馆维修"],
    ]
    out["chongqing_flat.csv"] = (
        utf8(rows),
        "重庆部门整体自评表：不分一级二级，得分系数 × 指标权重，按规则的列名",
    )
    return out


FIELD = files()


def main() -> None:
    for name, (data, _) in FIELD.items():
        (HERE / name).write_bytes(data)


if __name__ == "__main__":
    main()
