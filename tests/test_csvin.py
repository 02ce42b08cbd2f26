"""csvin: the budget system's CSV export → one Evaluation per unit and 评价对象. Fixtures are built here."""

from __future__ import annotations

import csv
import io
import re
import sys
from collections import Counter
from dataclasses import dataclass, replace
from dataclasses import field as dc_field
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfeval_xl import batch
from perfeval_xl.batch import fill_csv, plan_csv
from perfeval_xl.catalog import CODES as CATALOG_CODES
from perfeval_xl.csvin import CODES as CSV_CODES
from perfeval_xl.csvin import (
    COLUMNS,
    MONEY_UNITS,
    CsvResult,
    choose_header,
    column_of,
    locate_findings,
    read_csv,
)
from perfeval_xl.model import Finding, Kind, Level
from perfeval_xl.rules.config import DEFAULT_RULES
from perfeval_xl.rules.scheme import get_scheme
from perfeval_xl.rules.scoring import read_row, score
from perfeval_xl.service import evaluate, evaluate_book
from perfeval_xl.xlsx.read import read_workbook

D = Decimal
ROOT = Path(__file__).resolve().parents[1]
SEED_CSV = ROOT / "workbooks" / "examples" / "seed_2023.csv"

HEADER = [
    "单位编码",
    "单位名称",
    "主管部门",
    "评价年度",
    "评价对象",
    "全年预算数",
    "全年执行数",
    "一级指标",
    "二级指标",
    "三级指标",
    "指标性质",
    "年度指标值",
    "度量单位",
    "实际完成值",
    "分值",
    "得分",
    "偏差原因分析及改进措施",
]


def row(**values: str) -> dict[str, str]:
    return values


def ind(name: str, target: str = "10", actual: str = "10", weight: str = "10", **more: str) -> dict[str, str]:
    base = {
        "一级指标": "产出指标",
        "二级指标": "数量指标",
        "三级指标": name,
        "指标性质": "≥",
        "年度指标值": target,
        "度量单位": "个",
        "实际完成值": actual,
        "分值": weight,
    }
    base.update(more)
    return base


def unit(
    code: str, name: str, subject: str = "部门整体", adjusted: str = "100", executed: str = "90"
) -> dict[str, str]:
    return {
        "单位编码": code,
        "单位名称": name,
        "主管部门": "某某局",
        "评价年度": "2023",
        "评价对象": subject,
        "全年预算数": adjusted,
        "全年执行数": executed,
    }


def two_units() -> list[dict[str, str]]:
    """Unit A (部门整体, 3 rows, unit columns on the first row only) and unit B (项目, 2 rows)."""
    return [
        {**unit("001234", "甲局"), **ind("甲1")},
        ind("甲2"),
        ind("甲3"),
        {**unit("000789", "乙中心", "乙项目", "50", "50"), **ind("乙1")},
        ind("乙2"),
    ]


def write(
    tmp_path: Path,
    rows: list[dict[str, str]],
    header: list[str] = HEADER,
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
    name: str = "t.csv",
    rename: dict[str, str] | None = None,
    before: tuple[list[str], ...] = (),
) -> Path:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    for line in before:
        w.writerow(line)
    w.writerow([(rename or {}).get(h, h) for h in header])
    for r in rows:
        w.writerow([r.get(h, "") for h in header])
    path = tmp_path / name
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def text_of(records: list[list[str]]) -> str:
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows(records)
    return buf.getvalue()


def by_subject(result: CsvResult) -> dict[str, object]:
    return {u.evaluation.subject: u for u in result.units}


def codes(result: CsvResult) -> list[str]:
    return [f.code for f in result.findings]


# --------------------------------------------------------------------------------------- encodings


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [
        ("utf-8", "utf-8-sig"),
        ("utf-8-sig", "utf-8-sig"),
        ("gbk", "gb18030"),
        ("gb18030", "gb18030"),
        ("utf-16", "utf-16"),
    ],
)
def test_encodings(tmp_path: Path, encoding: str, detected: str) -> None:
    rows = two_units()
    rows[0]["单位名称"] = "雷州市科工贸和信息化局"
    path = write(tmp_path, rows, encoding=encoding)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    result = read_csv(path)
    assert result.encoding == detected
    assert result.findings == []
    names = [u.evaluation.unit_name for u in result.units]
    assert names == ["雷州市科工贸和信息化局", "乙中心"]
    assert result.units[0].evaluation.indicators[0].name == "甲1"


def test_gb18030_characters_outside_gbk(tmp_path: Path) -> None:
    rows = two_units()
    rows[0]["单位名称"] = "𠀀𠀁局"  # CJK Extension B: four-byte GB18030, not in GBK
    result = read_csv(write(tmp_path, rows, encoding="gb18030"))
    assert result.units[0].evaluation.unit_name == "𠀀𠀁局"


# --------------------------------------------------------------------------------------- delimiters


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_delimiters(tmp_path: Path, delimiter: str) -> None:
    rows = two_units()
    rows[0]["全年预算数"] = "1,234.5"
    rows[1]["偏差原因分析及改进措施"] = "原因一，原因二; 原因三,\t改进"
    result = read_csv(write(tmp_path, rows, delimiter=delimiter))
    assert result.delimiter == delimiter
    ev = result.units[0].evaluation
    assert ev.budget.total.adjusted == D("1234.5")
    assert ev.indicators[1].deviation_note == "原因一，原因二; 原因三,\t改进"
    assert len(result.units) == 2


# --------------------------------------------------------------------------------------- headers


def test_aliases_and_messy_headers(tmp_path: Path) -> None:
    rename = {
        "单位编码": "Unit_Code",
        "单位名称": " 单位 名称 ",
        "主管部门": "DEPARTMENT",
        "评价年度": "year",
        "评价对象": "Subject",
        "全年预算数": "全年预算数（万元）",
        "全年执行数": "全年执行数(B)",
        "三级指标": "indicator",
        "指标性质": "operator",
        "年度指标值": "年度指标值（A）",
        "度量单位": "计量单位",
        "实际完成值": "actual",
        "分值": "ＷＥＩＧＨＴ",  # full-width letters
        "得分": "自评得分",
        "偏差原因分析及改进措施": "*偏差原因分析及改进措施",
    }
    rows = two_units()
    rows[0]["一级指标"] = "产出指标（50分）"
    result = read_csv(write(tmp_path, rows, rename=rename))
    assert result.findings == []
    ev = result.units[0].evaluation
    assert (ev.unit_code, ev.unit_name, ev.department, ev.year) == ("001234", "甲局", "某某局", D(2023))
    assert ev.budget.total.adjusted == D(100) and ev.budget.total.executed == D(90)
    first = ev.indicators[0]
    assert (first.level1, first.name, first.operator, first.target, first.unit, first.weight) == (
        "产出指标（50分）",  # kept as written; the rules read it as 产出指标
        "甲1",
        "≥",
        D(10),
        "个",
        D(10),
    )
    assert read_row(first, get_scheme("national"))["l1"] == "产出指标"
    # findings point at the columns as the file spells them
    assert result.units[0].locate("indicators[0].weight") == (2, "ＷＥＩＧＨＴ")
    assert result.units[0].locate("budget.total.executed") == (2, "全年执行数(B)")


def test_optional_columns(tmp_path: Path) -> None:
    header = [
        *HEADER,
        "评价类型",
        "年初预算数",
        "一般公共预算拨款",
        "对企业补助",
        "当年财政拨款_年初预算数",
        "本年财政拨款-全年",
        "appropriation_executed",
        "上年结转资金_全年预算数",
        "其他资金_全年执行数",
        "执行率分值",
        "预期目标",
        "实际完成情况",
        "预算执行说明",
        "完成档次",
        "主要职责职能",
        "结果应用和公开情况",
        "填报日期",
    ]
    first = {
        **unit("001", "甲局", "甲项目"),
        **ind("甲1"),
        "评价类型": "项目",
        "年初预算数": "80",
        "一般公共预算拨款": "60",
        "对企业补助": "12.5万元",
        "当年财政拨款_年初预算数": "70",
        "本年财政拨款-全年": "90",
        "appropriation_executed": "85",
        "上年结转资金_全年预算数": "10",
        "其他资金_全年执行数": "5",
        "执行率分值": "20",
        "预期目标": "目标",
        "实际完成情况": "完成",
        "预算执行说明": "说明",
        "主要职责职能": "职责一\n职责二",
        "结果应用和公开情况": "已公开",
        "填报日期": "2024-07-12",
    }
    qual = ind(
        "定性1", target="效果明显", actual="良好", 指标性质="定性", 度量单位="", 完成档次="部分达成", 得分="7"
    )
    result = read_csv(write(tmp_path, [first, qual], header))
    assert result.findings == []
    ev = result.units[0].evaluation
    b = ev.budget
    assert ev.kind == Kind.PROJECT and ev.project_name == "甲项目"
    assert (b.total.initial, b.general_public, b.enterprise_subsidy) == (D(80), D(60), D("12.5"))
    assert (b.appropriation.initial, b.appropriation.adjusted, b.appropriation.executed) == (
        D(70),
        D(90),
        D(85),
    )
    assert (b.carried_over.adjusted, b.other_funds.executed, b.note) == (D(10), D(5), "说明")
    assert (ev.execution_weight, ev.goal_expected, ev.goal_actual) == (D(20), "目标", "完成")
    assert (ev.text.duties, ev.text.publication, ev.filled_on) == ("职责一\n职责二", "已公开", "2024-07-12")
    q = ev.indicators[1]
    assert (q.operator, q.target, q.actual, q.band, q.score) == ("定性", "效果明显", "良好", "部分达成", D(7))
    assert result.units[0].locate("budget.appropriation.adjusted") == (2, "本年财政拨款-全年")


def test_missing_required_headers_is_one_error_listing_them(tmp_path: Path) -> None:
    header = [h for h in HEADER if h not in ("全年执行数", "分值")]
    result = read_csv(write(tmp_path, two_units(), header, name="导出.csv"))
    assert result.units == [] and result.has_errors
    errors = [f for f in result.findings if f.level == Level.ERROR]
    assert len(errors) == 1
    message = errors[0].message
    assert errors[0].code == "CSV_HEADERS_MISSING" and errors[0].sheet == "导出.csv"
    assert "导出.csv" in message
    assert (
        "全年执行数（也可写作 executed / 预算执行数 / 执行数）" in message
        and "分值（也可写作 weight / 权重）" in message
    )
    assert "单位名称（也可写作" not in message  # present, so not listed
    assert "单位编码可以没有" in message  # and the file is told that 单位编码 is optional


def test_no_header_at_all(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("hello,world\n1,2\n", encoding="utf-8")
    result = read_csv(path)
    assert result.units == []
    assert codes(result) == ["CSV_HEADERS_MISSING"]
    assert "没有找到表头" in result.findings[0].message


def test_duplicate_header_is_an_error(tmp_path: Path) -> None:
    header = [*HEADER, "权重"]  # 权重 is another name of 分值
    result = read_csv(write(tmp_path, two_units(), header))
    assert result.units == []
    assert codes(result) == ["CSV_HEADER_DUPLICATE"]
    assert "分值" in result.findings[0].message and "权重" in result.findings[0].message


def test_unknown_and_unnamed_columns_are_reported_not_fatal(tmp_path: Path) -> None:
    header = [*HEADER, "全年预算数（美元）", ""]
    rows = two_units()
    rows[0]["全年预算数（美元）"] = "1000000"
    rows[1][""] = "stray"
    result = read_csv(write(tmp_path, rows, header))
    assert len(result.units) == 2 and not result.has_errors
    found = {f.code: f for f in result.findings}
    assert found["CSV_COLUMN_UNKNOWN"].level == Level.INFO
    message = found["CSV_COLUMN_UNKNOWN"].message
    assert "全年预算数（美元）" in message
    assert "如“全年预算数”" not in message  # never pointed at the 万元 column
    assert "元、千元、万元 或 亿元" in message
    assert found["CSV_COLUMN_UNNAMED"].level == Level.WARNING
    assert found["CSV_COLUMN_UNNAMED"].cell == "第3行"


def test_title_line_above_the_header(tmp_path: Path) -> None:
    path = write(tmp_path, two_units(), before=[["2023年度绩效自评数据导出"], []])
    result = read_csv(path)
    assert len(result.units) == 2
    assert result.units[0].rows == [4, 5, 6]
    assert [i.row for i in result.units[0].evaluation.indicators] == [4, 5, 6]


# --------------------------------------------------------------------------------------- rows


def test_blank_repeated_unit_columns(tmp_path: Path) -> None:
    rows = two_units()
    # a third evaluation of unit A: only its code and subject given, name and 主管部门 left to the unit
    rows.append(
        {"单位编码": "001234", "评价对象": "甲项目", "全年预算数": "20", "全年执行数": "20", **ind("甲项1")}
    )
    rows.append(ind("甲项2"))
    result = read_csv(write(tmp_path, rows))
    assert result.findings == []
    units = by_subject(result)
    a = units["部门整体"].evaluation  # type: ignore[attr-defined]
    assert [i.name for i in a.indicators] == ["甲1", "甲2", "甲3"]
    assert units["部门整体"].rows == [2, 3, 4]  # type: ignore[attr-defined]
    b = units["乙项目"].evaluation  # type: ignore[attr-defined]
    assert (b.unit_code, b.kind, [i.name for i in b.indicators]) == ("000789", Kind.PROJECT, ["乙1", "乙2"])
    p = units["甲项目"].evaluation  # type: ignore[attr-defined]
    assert (p.unit_code, p.unit_name, p.department, p.year) == ("001234", "甲局", "某某局", D(2023))
    assert p.budget.total.adjusted == D(20) and [i.name for i in p.indicators] == ["甲项1", "甲项2"]


def test_blank_lines_are_skipped_but_counted(tmp_path: Path) -> None:
    rows = two_units()
    rows.insert(1, {})  # a row of empty cells: ,,,,
    path = write(tmp_path, rows)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(4, "")  # and a truly empty line before 甲3
    path.write_text("\n".join(lines), encoding="utf-8")
    result = read_csv(path)
    assert result.findings == []
    assert [i.row for i in result.units[0].evaluation.indicators] == [2, 4, 6]
    assert result.units[1].rows == [7, 8]


def test_multiline_quoted_field(tmp_path: Path) -> None:
    rows = two_units()
    rows[0]["偏差原因分析及改进措施"] = "第一行\n第二行\r\n第三行"
    path = write(tmp_path, rows)
    assert path.read_text(encoding="utf-8").count("\n") > 7  # the field really spans lines
    result = read_csv(path)
    ev = result.units[0].evaluation
    assert ev.indicators[0].deviation_note.splitlines() == ["第一行", "第二行", "第三行"]
    # rows are counted as Excel shows them: the quoted new lines stay inside row 2
    assert [i.row for i in ev.indicators] == [2, 3, 4]
    assert result.units[1].rows == [5, 6]


def test_leading_zeros_kept(tmp_path: Path) -> None:
    rows = two_units()
    rows[3]["单位编码"] = '="000789"'  # how some systems keep the zeros for Excel
    result = read_csv(write(tmp_path, rows))
    assert [u.evaluation.unit_code for u in result.units] == ["001234", "000789"]


def test_formula_like_text_is_kept_as_text(tmp_path: Path) -> None:
    rows = two_units()
    rows[0]["单位名称"] = "@甲局"
    rows[0]["三级指标"] = "=SUM(A1:A3)"
    rows[0]["偏差原因分析及改进措施"] = '=HYPERLINK("http://x","y")'
    rows[1]["三级指标"] = "+86 热线"
    rows[1]["得分"] = "=1+1"
    rows[2]["三级指标"] = "-cmd|' /C calc'!A0"
    rows[2]["实际完成值"] = "-5"
    result = read_csv(write(tmp_path, rows))
    ev = result.units[0].evaluation
    assert ev.unit_name == "@甲局"
    assert [i.name for i in ev.indicators] == ["=SUM(A1:A3)", "+86 热线", "-cmd|' /C calc'!A0"]
    assert ev.indicators[0].deviation_note == '=HYPERLINK("http://x","y")'
    assert ev.indicators[1].score == "=1+1"  # text, not 2
    assert ev.indicators[2].actual == D(-5)  # a number is a number


def test_conflicting_duplicate_unit_is_one_error_naming_both_rows(tmp_path: Path) -> None:
    rows = two_units()
    rows.append({**unit("001234", "甲局", adjusted="120"), **ind("甲4")})  # A again, other budget
    result = read_csv(write(tmp_path, rows))
    assert result.skipped == ["001234/部门整体"]
    assert [u.evaluation.unit_code for u in result.units] == ["000789"]  # B still read
    errors = [f for f in result.findings if f.level == Level.ERROR]
    assert len(errors) == 1
    e = errors[0]
    assert e.code == "CSV_UNIT_CONFLICT"
    assert "第2行" in e.message and "第7行" in e.message and "100" in e.message and "120" in e.message
    assert e.cell == "第7行 全年预算数" and e.sheet == "t.csv"
    assert result.has_errors


def test_same_code_with_another_name_is_a_conflict(tmp_path: Path) -> None:
    rows = two_units()
    rows[2]["单位编码"] = "001234"
    rows[2]["单位名称"] = "甲局（旧名）"
    result = read_csv(write(tmp_path, rows))
    assert result.skipped == ["001234/部门整体"]
    assert [(f.code, f.cell) for f in result.findings] == [("CSV_UNIT_CONFLICT", "第4行 单位名称")]


def test_duplicate_unit_with_equal_figures_is_merged_with_a_warning(tmp_path: Path) -> None:
    rows = two_units()
    rows.append({**unit("001234", "甲局", adjusted="100.00", executed="90"), **ind("甲4")})
    result = read_csv(write(tmp_path, rows))
    assert result.skipped == [] and not result.has_errors
    a = by_subject(result)["部门整体"]
    assert [i.name for i in a.evaluation.indicators] == ["甲1", "甲2", "甲3", "甲4"]  # type: ignore[attr-defined]
    assert codes(result) == ["CSV_UNIT_SPLIT"]
    assert "第4行" in result.findings[0].message and "第7行" in result.findings[0].message


def test_bad_number_is_kept_and_located(tmp_path: Path) -> None:
    rows = two_units()
    rows[1]["分值"] = "十"
    rows[3]["全年执行数"] = "5O"  # letter O
    path = write(tmp_path, rows, rename={"分值": "权重"}, name="budget.csv")
    result = read_csv(path)
    a, b = result.units
    assert a.evaluation.indicators[1].weight == "十"
    assert b.evaluation.budget.total.executed == "5O"
    # validation reports NOT_A_NUMBER on model paths; the reader's locate turns them into row + column
    checks = [Finding("NOT_A_NUMBER", Level.ERROR, "“十”不是数值", field="indicators[1].weight")]
    located = locate_findings(a, checks, path.name)
    assert (located[0].sheet, located[0].cell) == ("budget.csv", "第3行 权重")
    located = locate_findings(
        b, [Finding("NOT_A_NUMBER", Level.ERROR, "x", field="budget.total.executed")], "b"
    )
    assert located[0].cell == "第5行 全年执行数"


def test_unit_with_unreadable_required_values_is_skipped_others_read(tmp_path: Path) -> None:
    rows = two_units()
    rows.append({**unit("000555", "丙所", subject=""), **ind("丙1")})  # a new unit without 评价对象
    rows.append(ind("丙2"))
    rows.append({**unit("000666", "丁所"), **ind("丁1")})
    result = read_csv(write(tmp_path, rows))
    assert result.skipped == ["000555/（评价对象为空）"]
    assert [u.evaluation.unit_code for u in result.units] == ["001234", "000789", "000666"]
    errors = [f for f in result.findings if f.level == Level.ERROR]
    assert [(f.code, f.cell) for f in errors] == [("CSV_SUBJECT_MISSING", "第7行 评价对象")]


def test_row_with_too_many_cells_skips_its_unit_only(tmp_path: Path) -> None:
    path = write(tmp_path, two_units())
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[5] += ",多出来的,值"  # row 6 = 乙2
    path.write_text("\n".join(lines), encoding="utf-8")
    result = read_csv(path)
    assert result.skipped == ["000789/乙项目"]
    assert [u.evaluation.unit_code for u in result.units] == ["001234"]
    assert [(f.code, f.cell) for f in result.findings] == [("CSV_ROW_TOO_LONG", "第6行")]


def test_rows_before_any_unit(tmp_path: Path) -> None:
    rows = [ind("孤儿"), *two_units()]
    result = read_csv(write(tmp_path, rows))
    assert [(f.code, f.cell) for f in result.findings] == [("CSV_NO_UNIT", "第2行 单位编码")]
    assert len(result.units) == 2


def test_indicator_cells_are_kept_as_written_and_read_by_the_rules(tmp_path: Path) -> None:
    rows = [
        {**unit("1", "甲"), **ind("a", target="≥50个", actual="45个", 指标性质="", 度量单位="")},
        ind("b", target="≤90万元", actual="95", 指标性质="", 度量单位=""),
        ind("c", target="效果明显", actual="达成年度指标", 指标性质="", 度量单位="", 得分="9"),
        ind("d", target="90%", actual="92%", 指标性质="", 度量单位=""),
        ind("e", target="≥17户", actual="20", 度量单位="家"),
        ind("f", target="≥10", actual="12", 指标性质="≤"),  # operator disagrees: the rules warn
        ind("g", target="10", actual="/", 指标性质="正向"),
        ind("h", target="1,000", actual="１２００", 指标性质="≥"),
    ]
    result = read_csv(write(tmp_path, rows))
    indicators = result.units[0].evaluation.indicators
    got = [(i.operator, i.target, i.unit, i.actual, i.band) for i in indicators]
    assert got == [
        ("", "≥50个", "", "45个", ""),
        ("", "≤90万元", "", D(95), ""),
        ("", "效果明显", "", "达成年度指标", ""),
        ("", "90%", "", "92%", ""),
        ("≥", "≥17户", "家", D(20), ""),
        ("≤", "≥10", "个", D(12), ""),
        ("正向", D(10), "个", "/", ""),
        ("≥", D(1000), "个", D(1200), ""),  # plain numbers (also full-width, with separators) are numbers
    ]
    assert result.findings == []
    national = get_scheme("national")
    read = [read_row(i, national) for i in indicators]
    assert [(r["dir"], r["t_num"], r["a_val"]) for r in read] == [
        ("≥", D(50), D(45)),
        ("≤", D(90), D(95)),
        ("定性", "", ""),
        ("≥", D(90), D(92)),
        ("≥", D(17), D(20)),  # a bare actual takes the row's unit
        ("≤", D(10), D(12)),  # 指标性质 wins over the sign in the target (OPERATOR_CONFLICT)
        ("≥", D(10), ""),
        ("≥", D(1000), D(1200)),
    ]
    assert read[2]["band"] == "达成年度指标" and read[3]["assumed"] and read[5]["conflict"]


def test_kind_defaults_and_mismatch(tmp_path: Path) -> None:
    header = [*HEADER, "评价类型"]
    rows = [
        {**unit("1", "甲", "部门整体支出"), **ind("a")},
        {**unit("1", "甲", "某项目"), **ind("b"), "评价类型": "部门整体支出"},
    ]
    result = read_csv(write(tmp_path, rows, header))
    first, second = result.units
    assert (first.evaluation.kind, first.evaluation.subject) == (Kind.DEPARTMENT, "部门整体")
    assert second.evaluation.kind == Kind.DEPARTMENT and second.evaluation.project_name == "某项目"
    assert [(f.code, f.cell, f.level) for f in result.findings] == [
        ("CSV_KIND_SUBJECT", "第3行 评价类型", Level.WARNING)
    ]


def test_over_executed_and_zero_budgets_are_read_not_skipped(tmp_path: Path) -> None:
    rows = two_units()
    rows[0]["全年执行数"] = "130"  # 130 % executed: a finding for validation, not a reason to skip
    rows[3]["全年预算数"] = "0"
    result = read_csv(write(tmp_path, rows))
    assert result.findings == [] and result.skipped == []
    a, b = result.units
    assert a.evaluation.budget.total.executed == D(130)
    assert b.evaluation.budget.total.adjusted == D(0)


_TEXT = st.text(alphabet="甲乙丙指标，,;\t\n\"'=+-@ ／/（）()%0123456789aZ", max_size=25)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    code=st.from_regex(r"0[0-9]{2,7}", fullmatch=True),
    names=st.lists(_TEXT, min_size=1, max_size=4),
    note=_TEXT,
    weight=st.decimals(min_value=0, max_value=1000, places=2),
    delimiter=st.sampled_from([",", "\t", ";"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
)
def test_round_trip_of_written_rows(
    tmp_path: Path, code: str, names: list[str], note: str, weight: Decimal, delimiter: str, encoding: str
) -> None:
    rows = [{**ind(n or "x", weight=f"{weight:,f}", 偏差原因分析及改进措施=note)} for n in names]
    rows[0].update(unit(code, "甲局"))
    result = read_csv(write(tmp_path, rows, encoding=encoding, delimiter=delimiter))
    assert result.skipped == [] and not result.has_errors
    (u,) = result.units
    assert u.evaluation.unit_code == code
    got = [(i.name, i.weight, i.deviation_note) for i in u.evaluation.indicators]
    assert got == [((n or "x").strip(), weight, note.strip()) for n in names]
    assert u.rows == list(range(2, 2 + len(names)))


def test_year_with_suffix(tmp_path: Path) -> None:
    rows = two_units()
    rows[0]["评价年度"] = "2023年度"
    rows[3]["评价年度"] = "二〇二三"
    a, b = read_csv(write(tmp_path, rows)).units
    assert a.evaluation.year == D(2023)
    assert b.evaluation.year == "二〇二三"  # kept for validation to report


def test_locate(tmp_path: Path) -> None:
    rows = two_units()
    rows[1]["单位名称"] = "甲局"  # given again on row 3; the value's first line is row 2
    u = read_csv(write(tmp_path, rows)).units[0]
    assert u.locate("unit_code") == (2, "单位编码")
    assert u.locate("indicators[2]") == (4, "三级指标")
    assert u.locate("indicators[2].deviation_note") == (4, "偏差原因分析及改进措施")
    assert u.locate("indicators[9].weight") == (2, "")  # no such row: the unit's first
    assert u.locate("") == (2, "")
    assert u.locate("budget") == (2, "全年预算数")
    assert u.locate("budget.appropriation.initial") == (2, "当年财政拨款_年初预算数")  # not in the file
    f = locate_findings(u, [Finding("X", Level.WARNING, "m", field="year", cell="已定位")], "f.csv")[0]
    assert (f.sheet, f.cell) == ("f.csv", "已定位")  # an already located finding keeps its cell


# --------------------------------------------------------------------------------------- bad files


def test_missing_file(tmp_path: Path) -> None:
    result = read_csv(tmp_path / "没有.csv")
    assert result.units == [] and codes(result) == ["CSV_OPEN"]
    assert "没有.csv" in result.findings[0].message and "文件不存在" in result.findings[0].message


def test_directory(tmp_path: Path) -> None:
    assert codes(read_csv(tmp_path)) == ["CSV_OPEN"]


@pytest.mark.parametrize(
    ("data", "code", "words"),
    [
        (b"", "CSV_EMPTY", "空的"),
        (b"\r\n \r\n", "CSV_EMPTY", "空的"),
        (b"PK\x03\x04\x14\x00\x06\x00", "CSV_NOT_TEXT", "Excel 工作簿"),
        (b"\x00\x01\x02binary\x00", "CSV_NOT_TEXT", "不是文本文件"),
        (b"\xff\xfe\xfd\x80\x81", "CSV_ENCODING", "编码"),
    ],
)
def test_unreadable_files(tmp_path: Path, data: bytes, code: str, words: str) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    result = read_csv(path)
    assert result.units == [] and result.has_errors
    assert codes(result) == [code]
    assert words in result.findings[0].message and "x.csv" in result.findings[0].message


def test_header_only(tmp_path: Path) -> None:
    result = read_csv(write(tmp_path, []))
    assert result.units == [] and codes(result) == ["CSV_NO_DATA"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.binary(max_size=300) | st.text(max_size=300).map(lambda t: ("单位编码,单位名称,分值\n" + t).encode())
)
def test_any_bytes_give_a_result_never_an_exception(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    result = read_csv(path)
    assert isinstance(result, CsvResult)
    assert result.units or result.findings


# --------------------------------------------------------------------------------------- the seed


def test_seed_csv_reads_into_the_seed_figures_and_scores_94() -> None:
    raw = SEED_CSV.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    result = read_csv(SEED_CSV)
    assert result.findings == [] and result.skipped == []
    assert [u.evaluation.subject for u in result.units] == [
        "部门整体",
        "雷州市产业集聚区基础设施建设项目（一期首批）",
    ]
    dept = result.units[0].evaluation
    assert (dept.unit_name, dept.department, dept.year, dept.kind) == (
        "雷州市科工贸和信息化局",
        "雷州市科工贸和信息化局",
        D(2023),
        Kind.DEPARTMENT,
    )
    b = dept.budget
    assert (b.total.initial, b.total.adjusted, b.total.executed) == (D("2652.84"),) * 3
    assert (b.general_public, b.government_fund, b.other_income) == (D("1807.49"), D("838.62"), D("6.73"))
    assert (b.basic, b.wages, b.goods_services, b.household_subsidy) == (
        D("591.31"),
        D("314.19"),
        D("104.11"),
        D("173.01"),
    )
    assert (b.project, b.enterprise_subsidy) == (D("2061.53"), D("1348.28"))
    # the seed's identities hold in what was read
    assert b.general_public + b.government_fund + b.other_income == b.total.adjusted
    assert b.basic + b.project == b.total.adjusted
    assert b.wages + b.goods_services + b.household_subsidy == b.basic
    assert "机关行政编制26名" in dept.text.organisation and "94分" in dept.text.publication

    scores = score(dept)
    assert scores.execution_rate == 1
    assert scores.total == D("94.00") and scores.grade == "优"
    assert {k: v[0] for k, v in scores.level1_totals().items()} == {
        "产出指标": D(50),
        "效益指标": D(30),
        "满意度指标": D(10),
    }
    ops = [i.operator for i in dept.indicators]
    assert "定性" in ops and "≤" in ops  # a qualitative and a reverse row
    short = [i for i, s in zip(dept.indicators, scores.indicators, strict=True) if s.score != s.weight]
    assert short and all(i.deviation_note for i in short)  # every shortfall has its reason
    five_g = next(i for i in dept.indicators if "5G" in i.name)
    assert (five_g.target, five_g.actual) == (D(262), D(224))

    project = result.units[1].evaluation
    assert project.kind == Kind.PROJECT and project.unit_code == dept.unit_code
    assert project.budget.appropriation.adjusted == project.budget.total.adjusted == D("2061.53")
    assert score(project).total is not None


# --------------------------------------------------------------------------------------- field shapes (issue 9 §4–5)

FIELD = ROOT / "tests" / "data" / "field"


def field_corpus() -> dict[str, tuple[bytes, str]]:
    sys.path.insert(0, str(FIELD))
    try:
        import make_field
    finally:
        sys.path.remove(str(FIELD))
    return make_field.FIELD


def test_field_corpus_is_what_the_script_writes() -> None:
    corpus = field_corpus()
    assert {p.name for p in FIELD.glob("*.csv")} == set(corpus) == set(FIELD_EXPECTED)
    for name, (data, _) in corpus.items():
        assert (FIELD / name).read_bytes() == data, name


@dataclass(frozen=True)
class Expected:
    """What a field file must read as."""

    units: list[tuple[str, str, str]]  # (单位编码, 单位名称, 评价对象) of the units read, in file order
    skipped: list[str] = dc_field(default_factory=list)
    codes: dict[str, int] = dc_field(default_factory=dict)  # finding code → how many
    values: dict[tuple[int, str], object] = dc_field(default_factory=dict)  # (unit, model path) → value
    rows: list[int] | None = None  # the first unit's CSV rows


def value_at(ev: object, path: str) -> object:
    for part in re.split(r"\.|\[|\]\.?", path):
        if part:
            ev = ev[int(part)] if part.isdigit() else getattr(ev, part)  # type: ignore[index]
    return ev


FIELD_EXPECTED: dict[str, Expected] = {
    "title_rows.csv": Expected(
        [("440882001", "雷州市科工贸和信息化局", "部门整体")],
        values={(0, "budget.total.adjusted"): D("2652.84"), (0, "budget.total.executed"): D("2606.90")},
        rows=[5, 6, 7],
    ),
    "two_row_header.csv": Expected(
        [("001", "甲局", "部门整体")],
        values={
            (0, "budget.total.initial"): D(100),
            (0, "budget.total.executed"): D(95),
            (0, "indicators[2].level1"): "满意度指标",
            (0, "indicators[0].weight"): D(50),
        },
        rows=[3, 4, 5],
    ),
    "yuan_headers.csv": Expected(
        [("001", "甲局", "某项目")],
        codes={"CSV_MONEY_CONVERTED": 1},
        values={
            (0, "budget.total.adjusted"): D("2652.84"),
            (0, "budget.total.executed"): D("2606.90005"),
            (0, "budget.appropriation.adjusted"): D(2000),
        },
    ),
    "yuan_two_row_header.csv": Expected(
        [("001", "甲局", "某项目")],
        codes={"CSV_MONEY_CONVERTED": 1},
        values={
            (0, "budget.total.initial"): D(100),
            (0, "budget.total.adjusted"): D(120),
            (0, "budget.total.executed"): D("118.8"),
            (0, "budget.appropriation.initial"): D(100),
            (0, "budget.appropriation.executed"): D("118.8"),
        },
        rows=[4, 5, 6],
    ),
    "money_unit_column.csv": Expected(
        [("001", "甲局", "部门整体"), ("002", "乙局", "部门整体"), ("003", "丙局", "部门整体")],
        skipped=["004/部门整体"],
        codes={"CSV_MONEY_CONVERTED": 2, "CSV_MONEY_UNIT_INVALID": 1},
        values={
            (0, "budget.total.adjusted"): D("123.456789"),
            (1, "budget.total.adjusted"): D("123.45"),
            (2, "budget.total.adjusted"): D(5000),
            (2, "budget.total.executed"): D(4500),
        },
    ),
    "excel_damaged_codes.csv": Expected(
        [("440882003", "雷州市教育局", "部门整体"), ("000123", "某某中心", "部门整体")],
        skipped=["4.40882E+11/部门整体"],
        codes={"CSV_CODE_DAMAGED": 1},
    ),
    "no_code_column.csv": Expected(
        [("", "甲局", "部门整体"), ("", "甲局", "甲项目"), ("", "乙局", "部门整体")],
        codes={"CSV_CODE_MISSING": 1},
    ),
    "rate_columns.csv": Expected(
        [("001", "局001", "部门整体"), ("002", "局002", "部门整体"), ("003", "局003", "部门整体")],
        codes={"CSV_RATE_ASSUMED": 2},
        values={
            **{(i, "execution_rate_entered"): D("0.9827") for i in range(3)},
            **{(i, "execution_score_entered"): D("9.83") for i in range(3)},
        },
    ),
    "stray_byte.csv": Expected(
        [("001", "雷州市科工贸和信息化局", "部门整体")],  # not mojibake
        codes={"CSV_BYTES_INVALID": 1},
        values={
            (0, "indicators[1].deviation_note"): "受天气影响\ufffd，已整改",
            (0, "budget.total.adjusted"): D(100),
        },
    ),
    "huge_numbers.csv": Expected(
        [("001", "甲局", "部门整体")],
        values={
            (0, "budget.total.executed"): "1e999999",
            (0, "indicators[0].actual"): "1e999999",
            (0, "indicators[1].actual"): "Infinity",
            (0, "indicators[2].actual"): "NaN",
        },
    ),
    "chongqing_flat.csv": Expected(
        [("500101", "重庆市某区文化旅游委", "部门整体")],
        values={
            (0, "indicators[0].weight"): D(30),
            (0, "indicators[0].target"): "≥95",
            (0, "indicators[1].actual"): D(6),
            (0, "indicators[2].coefficient"): D(76),
            (0, "indicators[2].score"): D("22.8"),
            (0, "indicators[2].level1"): "",
        },
        rows=[2, 3, 4],
    ),
    "national_form.csv": Expected(
        [("", "某县农业农村局", "高标准农田建设")],
        codes={"CSV_CODE_MISSING": 1, "CSV_MONEY_CONVERTED": 1},
        values={
            (0, "budget.total.initial"): D(500),
            (0, "budget.total.adjusted"): D(500),
            (0, "budget.total.executed"): D("491.35"),
            (0, "execution_rate_entered"): D("0.9827"),
            (0, "execution_score_entered"): D("9.83"),
            (0, "kind"): Kind.PROJECT,
            (0, "indicators[0].name"): "培训人次",
        },
        rows=[5, 6, 7],
    ),
}


@pytest.mark.parametrize("name", sorted(FIELD_EXPECTED))
def test_field_files_read_as_expected(name: str) -> None:
    expected = FIELD_EXPECTED[name]
    result = read_csv(FIELD / name)
    got = [(u.evaluation.unit_code, u.evaluation.unit_name, u.evaluation.subject) for u in result.units]
    assert got == expected.units
    assert result.skipped == expected.skipped
    assert Counter(codes(result)) == Counter(expected.codes), [f.message for f in result.findings]
    for (i, path), value in expected.values.items():
        assert value_at(result.units[i].evaluation, path) == value, (i, path)
    if expected.rows is not None:
        assert result.units[0].rows == expected.rows
    assert all(len(f.message) < 700 for f in result.findings)
    assert all(f.cell for f in result.findings if f.level is not Level.INFO)  # every problem names its row


@pytest.mark.parametrize("name", sorted(FIELD_EXPECTED))
def test_field_files_slice_like_the_whole_file(name: str, tmp_path: Path) -> None:
    """batch.py plans its slices with csvin's header choice: the pieces read as the whole file."""
    path = FIELD / name
    whole = read_csv(path)
    plan = plan_csv(path)
    plan.per_slice = 1
    state = batch._FillState(None, DEFAULT_RULES, tmp_path, False, path, tmp_path / "work")
    state.tmp.mkdir()
    units = []
    for piece in plan.slices():
        batch._parse(state, piece)
        units += state.pending
    assert [u.evaluation for u in units] == [u.evaluation for u in whole.units]
    assert [u.rows for u in units] == [u.rows for u in whole.units]
    assert [u.findings for u in units] == [u.findings for u in whole.units]


def test_stray_byte_file_is_read_whole_by_fill(tmp_path: Path) -> None:
    assert plan_csv(FIELD / "stray_byte.csv").whole  # csvin names the damage; a GB18030 slice would not
    summary = fill_csv(FIELD / "stray_byte.csv", tmp_path / "out", jobs=0)
    assert summary.units == 1
    book = read_workbook(next((tmp_path / "out").glob("*.xlsx")))
    assert book.evaluation.unit_name == "雷州市科工贸和信息化局"


def test_conversions_reach_the_report_and_the_workbook(tmp_path: Path) -> None:
    out = tmp_path / "out"
    fill_csv(FIELD / "national_form.csv", out, jobs=0)
    report = list(csv.DictReader((out / "_report.csv").read_text(encoding="utf-8-sig").splitlines()))
    row = next(r for r in report if r["代码"] == "CSV_MONEY_CONVERTED")
    assert (row["CSV行"], row["CSV列"]) == ("5", "项目资金（元）/年初预算数")
    assert "4913500 元 → 491.35 万元" in row["说明"]
    assert sum(r["代码"] == "CSV_MONEY_CONVERTED" for r in report) == 1  # once, not again from the workbook
    (path,) = out.glob("*.xlsx")
    book = read_workbook(path)
    assert book.evaluation.budget.total.executed == D("491.35")
    sheet = openpyxl.load_workbook(path, read_only=True)["校验结果"]
    found = [r for r in sheet.iter_rows(values_only=True) if "CSV_MONEY_CONVERTED" in r]
    assert len(found) == 1 and "491.35 万元" in str(found[0])


def test_a_flat_scheme_table_fills_by_its_scheme_and_says_once_what_another_lacks(tmp_path: Path) -> None:
    """Issue 10 / issue 9 §6: a 重庆 table in its scheme's words fills and scores by chongqing-bmzt (the
    total a person computes: 7.6 + 30 + 24 + 22.8); by national, the missing 一级/二级 are said once."""
    out = tmp_path / "cq"
    summary = fill_csv(FIELD / "chongqing_flat.csv", out, jobs=0, rules=get_scheme("chongqing-bmzt"))
    assert summary.written == 1
    (path,) = out.glob("*.xlsx")
    outcome = evaluate_book(path)
    assert outcome.scheme is not None and outcome.scheme.id == "chongqing-bmzt"
    assert outcome.scores.total == D("84.40")
    assert outcome.errors == 0, [f.message for f in outcome.findings]
    out = tmp_path / "national"
    fill_csv(FIELD / "chongqing_flat.csv", out, jobs=0)
    (path,) = out.glob("*.xlsx")
    codes = [f.code for f in evaluate_book(path).findings]
    assert codes.count("LEVELS_MISSING") == 1 and "REQUIRED_MISSING" not in codes


# --------------------------------------------------------------------------------------- headers found


def test_two_row_header_with_cells_merged_down_and_across(tmp_path: Path) -> None:
    upper = [
        "单位编码",
        "单位名称",
        "评价年度",
        "评价对象",
        "项目资金（万元）",
        "",
        "",
        "绩效指标",
        "",
        "",
        "",
        "",
    ]
    upper += ["", "分值"]
    lower = ["", "", "", "", "年初预算数", "全年预算数", "全年执行数", "一级指标", "二级指标", "三级指标"]
    lower += ["指标性质", "年度指标值", "实际完成值", ""]
    data = [
        "1",
        "甲",
        "2023",
        "部门整体",
        "90",
        "100",
        "95",
        "产出指标",
        "数量指标",
        "a",
        "≥",
        "10",
        "10",
        "100",
    ]
    path = tmp_path / "t.csv"
    path.write_text(text_of([["某县 2023 年度绩效自评"], upper, lower, data]), encoding="utf-8")
    result = read_csv(path)
    assert result.findings == []
    (u,) = result.units
    assert (u.evaluation.budget.total.initial, u.evaluation.indicators[0].weight) == (D(90), D(100))
    assert u.rows == [4]
    assert u.locate("budget.total.initial") == (
        4,
        "项目资金（万元）/年初预算数",
    )  # the unit is the upper one's
    assert u.locate("indicators[0].level1") == (4, "一级指标")  # 绩效指标 adds nothing
    assert u.locate("indicators[0].weight") == (4, "分值")  # merged down


def test_missing_columns_name_the_real_header_rows(tmp_path: Path) -> None:
    upper = ["单位编码", "单位名称", "评价年度", "评价对象", "项目资金", "", "绩效指标", "", ""]
    lower = ["", "", "", "", "全年预算数", "全年执行数", "一级指标", "二级指标", "三级指标"]
    path = tmp_path / "t.csv"
    path.write_text(
        text_of([["标题"], upper, lower, ["1", "甲", "2023", "部门整体", "1", "1", "a", "b", "c"]])
    )
    result = read_csv(path)
    (f,) = result.findings
    assert f.code == "CSV_HEADERS_MISSING" and "第2–3行" in f.message and f.cell == "第3行"
    assert "年度指标值" in f.message and "实际完成值" in f.message


def test_choose_header_prefers_one_row_when_the_upper_row_adds_nothing() -> None:
    records = [["绩效指标", "", ""], ["一级指标", "二级指标", "三级指标"], ["产出指标", "数量指标", "x"]]
    choice = choose_header(lambda d: iter(records) if d == "," else iter([]))
    assert (choice.first, choice.last, choice.lines) == (1, 1, "第2行")
    assert [c.name for c in choice.cells] == ["一级指标", "二级指标", "三级指标"]
    records = [["项目资金（元）", "", ""], ["年初预算数", "全年预算数", "全年执行数"], ["1", "2", "3"]]
    choice = choose_header(lambda d: iter(records) if d == "," else iter([]))
    assert (choice.first, choice.last, choice.lines) == (0, 1, "第1–2行")  # the upper row gives the unit
    assert [(c.name, c.unit) for c in choice.cells] == [
        ("年初预算数", "元"),
        ("全年预算数", "元"),
        ("全年执行数", "元"),
    ]


@pytest.mark.parametrize(
    ("title", "unit"),
    [
        (["2023年度部门整体支出绩效自评表"], None),
        (["单位：元"], "元"),
        (["金额单位:千元"], "千元"),
        (["2023年度项目支出绩效自评表（单位：亿元）"], "亿元"),
        (["填报单位：元宝山区财政局"], None),  # 元宝山区 is a place
        (["填报单位：某局", "", "单位：元"], "元"),
    ],
)
def test_title_records_may_state_the_money_unit(tmp_path: Path, title: list[str], unit: str | None) -> None:
    path = write(tmp_path, two_units(), before=(title,))
    result = read_csv(path)
    a = result.units[0].evaluation
    factor = {None: 1, "元": D("0.0001"), "千元": D("0.1"), "亿元": D(10000)}[unit]
    assert a.budget.total.adjusted == 100 * factor and a.budget.total.executed == 90 * factor
    converted = [f for f in result.findings if f.code == "CSV_MONEY_CONVERTED"]
    assert len(converted) == (0 if unit is None else 2)  # one per unit, on the row its amounts are on
    if unit:
        assert f"标题“单位：{unit}”" in converted[0].message and converted[0].cell == "第3行 全年预算数"


# --------------------------------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("header", "cell", "expected", "converted"),
    [
        ("全年预算数（元）", "1234567.89", D("123.456789"), True),
        ("全年预算数(元)", "1,234,567.89", D("123.456789"), True),
        ("全年预算数（单位：元）", "100", D("0.01"), True),
        ("全年预算数/元", "100", D("0.01"), True),
        ("全年预算数（千元）", "1234", D("123.4"), True),
        ("全年预算数（亿元）", "1.5", D(15000), True),
        ("全年预算数（万元）", "100", D(100), False),
        ("全年预算数", "125000元", D("12.5"), True),  # the cell says its unit
        ("全年预算数（元）", "12.5万元", D("12.5"), False),  # the cell's own unit wins
        ("全年预算数（元）", "十万", "十万", False),  # not a number: kept for validation
        ("budget_adjusted(元)", "10000", D(1), True),
    ],
)
def test_money_in_other_units_is_converted_exactly(
    tmp_path: Path, header: str, cell: str, expected: object, converted: bool
) -> None:
    rows = two_units()
    rows[0]["全年预算数"] = cell
    result = read_csv(write(tmp_path, rows, rename={"全年预算数": header}))
    assert result.units[0].evaluation.budget.total.adjusted == expected
    found = [f for f in result.findings if f.code == "CSV_MONEY_CONVERTED" and f.cell.startswith("第2行")]
    assert len(found) == (1 if converted else 0)
    if converted:
        assert found[0].level == Level.INFO and found[0].cell == f"第2行 {header}"
        assert header in found[0].message and "万元" in found[0].message
        assert result.units[0].notes == [replace(found[0], sheet="", cell="")]
        assert found[0].field == "budget.total.adjusted"
    unit_of_header = column_of(header)[1] or "万元"  # 乙 (50): by the header alone
    assert result.units[1].evaluation.budget.total.adjusted == D(50).scaleb(MONEY_UNITS[unit_of_header])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    amount=st.decimals(min_value=0, max_value=10**12, places=2), unit=st.sampled_from(["元", "千元", "亿元"])
)
def test_conversion_is_a_shift_of_the_point(tmp_path: Path, amount: Decimal, unit: str) -> None:
    rows = two_units()
    rows[0]["全年预算数"] = f"{amount:f}"
    result = read_csv(write(tmp_path, rows, rename={"全年预算数": f"全年预算数（{unit}）"}))
    value = result.units[0].evaluation.budget.total.adjusted
    assert isinstance(value, Decimal)
    assert value == amount.scaleb(MONEY_UNITS[unit])  # exact: no rounding anywhere
    assert "E" not in str(value)


def test_money_unit_column_against_headers(tmp_path: Path) -> None:
    header = [*HEADER, "金额单位", "年初预算数（万元）"]
    rows = two_units()
    rows[0].update({"金额单位": "元", "年初预算数（万元）": "80"})  # header 万元, column 元: which one?
    rows[3].update({"金额单位": "（元）", "全年预算数": "500000", "全年执行数": "500000"})
    result = read_csv(write(tmp_path, rows, header))
    assert result.skipped == ["001234/部门整体"]
    (conflict,) = [f for f in result.findings if f.level == Level.ERROR]
    assert conflict.code == "CSV_MONEY_UNIT_CONFLICT" and conflict.cell == "第2行 金额单位"
    assert "年初预算数（万元）" in conflict.message and "万元" in conflict.message
    (b,) = result.units
    assert b.evaluation.budget.total.adjusted == D(50)


def test_two_money_units_for_one_unit_is_a_conflict(tmp_path: Path) -> None:
    header = [*HEADER, "金额单位"]
    rows = two_units()
    rows[0]["金额单位"] = "元"
    rows[1]["金额单位"] = "万元"
    result = read_csv(write(tmp_path, rows, header))
    assert result.skipped == ["001234/部门整体"]
    assert [f.code for f in result.findings if f.level == Level.ERROR] == ["CSV_UNIT_CONFLICT"]


def test_header_in_yuan_never_lands_silently_in_the_wan_yuan_column(tmp_path: Path) -> None:
    """Every standard money column, written with (元), is read and converted, never taken as 万元."""
    money = [c for c in COLUMNS if c.money]
    header = [*HEADER[:5], *HEADER[7:], *(f"{c.name}（元）" for c in money)]
    rows = [{**unit("1", "甲"), **ind("a"), **{f"{c.name}（元）": "10000" for c in money}}]
    result = read_csv(write(tmp_path, rows, header))
    ev = result.units[0].evaluation
    for c in money:
        assert value_at(ev, c.field) == D(1), c.name
    (found,) = [f for f in result.findings if f.code == "CSV_MONEY_CONVERTED"]
    assert all(f"“{c.name}（元）”10000 元 → 1 万元" in found.message for c in money)


# --------------------------------------------------------------------------------------- 执行率, 执行率得分


@pytest.mark.parametrize(
    ("cell", "expected", "assumed"),
    [
        ("98.27%", D("0.9827"), None),
        ("９８．２７％", D("0.9827"), None),
        ("100%", D(1), None),
        ("120%", D("1.2"), None),
        ("98.27", D("0.9827"), "百分数"),
        ("1.51", D("0.0151"), "百分数"),
        ("0.9827", D("0.9827"), "小数"),
        ("1.5", D("1.5"), "小数"),
        ("1.2", D("1.2"), "小数"),
        ("0", D(0), "小数"),
        ("约98%", "约98%", None),  # text: kept for validation
        ("", None, None),
    ],
)
def test_execution_rate_entered(tmp_path: Path, cell: str, expected: object, assumed: str | None) -> None:
    header = [*HEADER, "执行率", "执行率得分"]
    rows = two_units()
    rows[0].update({"执行率": cell, "执行率得分": "9.83"})
    result = read_csv(write(tmp_path, rows, header))
    ev = result.units[0].evaluation
    assert ev.execution_rate_entered == expected and ev.execution_score_entered == D("9.83")
    found = [f for f in result.findings if f.code == "CSV_RATE_ASSUMED"]
    assert len(found) == (0 if assumed is None else 1)
    if assumed:
        assert (
            found[0].level == Level.INFO and found[0].cell == "第2行 执行率" and assumed in found[0].message
        )
        assert found[0].field == "execution_rate_entered" and result.units[0].notes
    assert result.units[0].locate("execution_score_entered") == (2, "执行率得分")


@pytest.mark.parametrize(
    ("label", "never"),
    [
        ("执行率得分数", "执行率分值"),
        ("预算执行率得分值", "执行率分值"),
        ("执行率分值数", "执行率得分"),
        ("预算执行得分", "执行率分值"),
        ("执行率（%）", "执行率分值"),
        ("指标得分值", "分值"),
        ("指标权重值", "得分"),
        ("全年预算数（美元）", "全年预算数"),
        ("全年执行数（港元）", "全年执行数"),
        ("年初预算金额(元)", "年初预算数"),
    ],
)
def test_hint_never_crosses_meanings(tmp_path: Path, label: str, never: str) -> None:
    header = [*HEADER, label]
    result = read_csv(write(tmp_path, two_units(), header))
    (f,) = [f for f in result.findings if f.code == "CSV_COLUMN_UNKNOWN"]
    assert f"如“{never}”" not in f.message


@pytest.mark.parametrize(
    ("label", "hint"),
    [
        ("执行率得分数", "执行率得分"),
        ("预算执行得分", "执行率得分"),
        ("单位编号", "单位编码"),
        ("年初预算金额", "年初预算数"),
    ],
)
def test_hint_still_helps_within_a_meaning(tmp_path: Path, label: str, hint: str) -> None:
    result = read_csv(write(tmp_path, two_units(), [*HEADER, label]))
    (f,) = [f for f in result.findings if f.code == "CSV_COLUMN_UNKNOWN"]
    assert f"如“{hint}”" in f.message


def test_score_coefficient_and_method_columns(tmp_path: Path) -> None:
    header = [*HEADER, "得分系数", "计分方法"]
    rows = two_units()
    rows[0].update({"得分系数": "76%", "计分方法": "系数"})
    ind0 = read_csv(write(tmp_path, rows, header)).units[0].evaluation.indicators[0]
    assert (ind0.coefficient, ind0.method) == ("76%", "系数")  # as written; rules.reading reads 76


# --------------------------------------------------------------------------------------- 单位编码


def test_code_column_absent_is_one_warning_and_units_go_by_name(tmp_path: Path) -> None:
    header = [h for h in HEADER if h != "单位编码"]
    rows = [*two_units(), {**unit("", "丙所"), **ind("丙1")}, ind("丙2")]
    result = read_csv(write(tmp_path, rows, header))
    assert [u.evaluation.unit_name for u in result.units] == ["甲局", "乙中心", "丙所"]
    assert [(f.code, f.level, f.cell) for f in result.findings] == [
        ("CSV_CODE_MISSING", Level.WARNING, "第1行")
    ]


def test_blank_codes_are_one_warning_per_file(tmp_path: Path) -> None:
    rows = two_units()
    rows[0]["单位编码"] = rows[3]["单位编码"] = ""
    result = read_csv(write(tmp_path, rows))
    assert len(result.units) == 2 and not result.has_errors
    assert [(f.code, f.cell) for f in result.findings] == [("CSV_CODE_MISSING", "第1行 单位编码")]
    rows = two_units()  # every unit with a code: no warning
    assert read_csv(write(tmp_path, rows)).findings == []


@pytest.mark.parametrize("code", ["4.40882E+11", "4.40882e+11", "4.40882E11", "1E+5", "4,40882E+11"])
def test_code_damaged_by_excel(tmp_path: Path, code: str) -> None:
    rows = two_units()
    rows[0]["单位编码"] = code
    result = read_csv(write(tmp_path, rows))
    if "," in code:  # not scientific notation as Excel writes it: a code like any other
        assert len(result.units) == 2
        return
    assert [u.evaluation.unit_code for u in result.units] == ["000789"]
    assert result.skipped == [f"{code}/部门整体"]
    (f,) = result.findings
    assert (f.code, f.level, f.cell) == ("CSV_CODE_DAMAGED", Level.ERROR, "第2行 单位编码")
    assert code in f.message and "文本" in f.message and '="440882001"' in f.message


def test_units_colliding_on_a_damaged_code_are_named_not_a_name_conflict(tmp_path: Path) -> None:
    rows = two_units()
    rows[0]["单位编码"] = rows[3]["单位编码"] = "4.40882E+11"
    rows[3]["评价对象"] = "部门整体"
    result = read_csv(write(tmp_path, rows))
    assert result.units == [] and result.skipped == ["4.40882E+11/部门整体"]
    (f,) = result.findings
    assert f.code == "CSV_CODE_DAMAGED"
    assert "“甲局”（第2行）" in f.message and "“乙中心”（第5行）" in f.message
    assert "前后不一致" not in f.message


@pytest.mark.parametrize(
    ("written", "code"), [("'001234", "001234"), ("' 001234", "001234"), ('\'="001234"', "001234")]
)
def test_leading_apostrophe_is_dropped_from_codes(tmp_path: Path, written: str, code: str) -> None:
    rows = two_units()
    rows[0]["单位编码"] = written
    rows.append({**unit("001234", "甲局", adjusted="100", executed="90"), **ind("甲4")})  # the same unit
    result = read_csv(write(tmp_path, rows))
    assert [u.evaluation.unit_code for u in result.units] == [code, "000789"]
    assert len(result.units[0].evaluation.indicators) == 4


# --------------------------------------------------------------------------------------- stray bytes (issue 12)


def utf8_with(tmp_path: Path, rows: list[dict[str, str]], marks: dict[str, bytes], bom: bool = False) -> Path:
    path = write(tmp_path, rows, encoding="utf-8-sig" if bom else "utf-8")
    data = path.read_bytes()
    for mark, raw in marks.items():
        data = data.replace(mark.encode(), raw)
    path.write_bytes(data)
    return path


def test_one_stray_byte_is_named_and_the_file_is_not_mojibake(tmp_path: Path) -> None:
    """A file GB18030 decodes without complaint, every Chinese character wrong: read as UTF-8 instead."""
    english = ["unit_code", "unit_name", "year", "subject", "budget_adjusted", "executed", "level1", "level2"]
    english += ["indicator", "operator", "target", "actual", "weight"]
    records = [
        english,
        [
            "001",
            "甲局",
            "2023",
            "部门整体",
            "100",
            "90",
            "产出指标",
            "数量指标",
            "指标",
            ">=",
            "10",
            "10",
            "90",
        ],
        ["", "", "", "", "", "", "效益指标", "社会效益指标", "指标XXa", ">=", "10", "10", "10"],
    ]
    path = tmp_path / "t.csv"
    path.write_bytes(text_of(records).encode().replace(b"XX", b"\xb5"))
    garbage = path.read_bytes().decode("gb18030")  # what the old reader took it for
    assert "甲局" not in garbage and "鐢插眬" in garbage
    result = read_csv(path)
    assert result.encoding == "utf-8-sig"
    (u,) = result.units
    assert (u.evaluation.unit_name, u.evaluation.subject) == ("甲局", "部门整体")
    assert [i.name for i in u.evaluation.indicators] == ["指标", "指标\ufffda"]
    (f,) = result.findings
    assert (f.code, f.level, f.cell) == ("CSV_BYTES_INVALID", Level.ERROR, "第3行 indicator")
    assert "B5" in f.message and "第3行" in f.message and "CSV UTF-8" in f.message
    assert f in u.findings  # the unit's own problem


def test_stray_bytes_in_the_header_and_a_cut_last_character(tmp_path: Path) -> None:
    rows = two_units()
    rows[4]["偏差原因分析及改进措施"] = "最后一个字被截断"
    path = write(tmp_path, rows, [*HEADER, "备注XX"])
    data = path.read_bytes().replace(b"XX", b"\xff\xfe").rstrip(b"\r\n")
    path.write_bytes(data[: data.rindex("断".encode()) + 2])  # the file ends inside 断
    result = read_csv(path)
    assert len(result.units) == 2
    bad = [f for f in result.findings if f.code == "CSV_BYTES_INVALID"]
    assert [(f.cell, f.message.split("字节 ")[1][:5]) for f in bad] == [
        ("第1行 备注\ufffd\ufffd", "FF FE"),
        ("第6行 偏差原因分析及改进措施", "E6 96"),
    ]
    assert bad[0] in result.findings and not any(bad[0] in u.findings for u in result.units)


def test_many_stray_bytes_are_counted_not_all_listed(tmp_path: Path) -> None:
    rows = [
        {**unit(f"{i:03}", f"第{i}个单位的名称足够长以便以 UTF-8 为主"), **ind(f"指标X{i}")}
        for i in range(60)
    ]
    path = utf8_with(tmp_path, rows, {"X": b"\x80"})
    result = read_csv(path)
    assert len(result.units) == 60
    bad = [f for f in result.findings if f.code == "CSV_BYTES_INVALID"]
    assert len(bad) == 51 and sum("另有 10 个单元格" in f.message for f in bad) == 1


def test_mostly_gbk_stays_gb18030_and_a_bom_means_utf8(tmp_path: Path) -> None:
    rows = two_units()
    rows[0]["单位名称"] = "雷州市科工贸和信息化局"
    gbk = write(tmp_path, rows, encoding="gbk", name="g.csv")
    result = read_csv(gbk)
    assert result.encoding == "gb18030" and result.units[0].evaluation.unit_name == "雷州市科工贸和信息化局"
    # few good characters for many bad bytes, but a BOM: the BOM says UTF-8
    rows = [{**unit("1", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), **ind("a")}]
    path = utf8_with(tmp_path, rows, {"A": b"\xa3"}, bom=True)
    result = read_csv(path)
    assert result.encoding == "utf-8-sig" and codes(result) == ["CSV_BYTES_INVALID"]
    assert result.units[0].evaluation.unit_name == "\ufffd" * 56


# --------------------------------------------------------------------------------------- numbers (issue 12)


@pytest.mark.parametrize("cell", ["1e999999", "1E+31", "Infinity", "NaN", "1" * 31])
def test_numbers_beyond_the_limits_are_not_a_number_and_never_a_grade(tmp_path: Path, cell: str) -> None:
    rows = two_units()
    rows[0]["全年执行数"] = cell
    rows[0]["实际完成值"] = cell
    rows[0]["分值"] = "90"
    ev = read_csv(write(tmp_path, rows)).units[0].evaluation
    assert ev.budget.total.executed == cell and ev.indicators[0].actual == cell
    outcome = evaluate(ev)
    assert outcome.scores.grade != "优"
    assert {"NOT_A_NUMBER"} <= {f.code for f in outcome.findings}
    assert all(len(f.message) < 300 for f in outcome.findings)


def test_csv_codes_are_registered_and_used() -> None:
    source = (ROOT / "perfeval_xl" / "csvin.py").read_text(encoding="utf-8")
    used = set(re.findall(r'"(CSV_[A-Z_]+)",\s*(?:Level|message|f")', source)) | set(
        re.findall(r'(?:fail|finding)\(\s*"(CSV_[A-Z_]+)"', source)
    )
    registered = {c for c, info in CATALOG_CODES.items() if info.origin == "csv"}
    assert used == registered == set(CSV_CODES)


def test_two_row_header_with_a_title_slices_like_the_whole_file(tmp_path: Path) -> None:
    upper = [
        "单位编码",
        "单位名称",
        "评价年度",
        "评价对象",
        "项目资金（元）",
        "",
        "绩效指标",
        "",
        "",
        "",
        "",
        "",
        "",
    ]
    lower = ["", "", "", "", "全年预算数", "全年执行数", "一级指标", "二级指标", "三级指标", "指标性质"]
    lower += ["年度指标值", "实际完成值", "分值"]
    records = [["2023年度部门整体支出绩效自评表"], [], upper, lower]
    for k in range(6):
        records.append(
            [f"00{k}", f"局{k}", "2023", "部门整体", f"{k}000000", "900000", "产出指标", "数量指标"]
        )
        records[-1] += ["a", "≥", "1", "1", "90"]
        records.append(["", "", "", "", "", "", "效益指标", "社会效益指标", "b", "≥", "1", "1", "10"])
    path = tmp_path / "t.csv"
    path.write_text(text_of(records), encoding="utf-8-sig")
    whole = read_csv(path)
    assert [u.evaluation.budget.total.executed for u in whole.units] == [D(90)] * 6
    plan = plan_csv(path)
    assert not plan.whole and plan.header_index == 3
    plan.per_slice = 1
    state = batch._FillState(None, DEFAULT_RULES, tmp_path, False, path, tmp_path / "work")
    state.tmp.mkdir()
    units = []
    for piece in plan.slices():
        batch._parse(state, piece)
        units += state.pending
    assert len(list(plan.slices())) == 6
    assert [u.evaluation for u in units] == [u.evaluation for u in whole.units]
    assert [u.findings for u in units] == [u.findings for u in whole.units]
    assert [u.rows for u in units] == [[5, 6], [7, 8], [9, 10], [11, 12], [13, 14], [15, 16]]


def test_fill_by_a_scheme_gives_its_execution_weight_when_the_csv_has_none(tmp_path: Path) -> None:
    """Tried as a new user: ``fill --rules hubei`` on a CSV without 执行率分值 wrote 10 (the national value)
    and printed 总分 93.61 where hubei's 执行率 is worth 20. The scheme's weight goes in, as the template's."""
    out = tmp_path / "hubei"
    fill_csv(FIELD / "title_rows.csv", out, jobs=0, rules=get_scheme("hubei"))
    (path,) = [p for p in out.glob("*.xlsx")]
    assert read_workbook(path).evaluation.execution_weight == 20
    assert (
        read_csv(FIELD / "title_rows.csv").units[0].evaluation.execution_weight == 10
    )  # no scheme: national


def test_a_csv_that_writes_each_group_once_is_read_as_the_form_means_it(tmp_path: Path) -> None:
    """Exports of the printed form leave 一级/二级 blank below a group's first row: the rows belong to it
    (no REQUIRED_MISSING), and the workbook fill writes scores the same (issue 13 tester)."""
    rows = [
        {**unit("001234", "甲局"), **ind("甲1", weight="30")},
        ind("甲2", weight="30", **{"一级指标": "", "二级指标": ""}),
        ind("甲3", weight="30", **{"一级指标": "效益指标", "二级指标": "社会效益指标"}),
    ]
    rows[0]["执行率分值"] = "10"
    header = [*HEADER, "执行率分值"] if "执行率分值" not in HEADER else HEADER
    result = read_csv(write(tmp_path, rows, header))
    [u] = result.units
    outcome = evaluate(u.evaluation, DEFAULT_RULES)
    assert [i.level1 for i in outcome.scores.indicators] == ["产出指标", "产出指标", "效益指标"]
    assert not [f for f in outcome.findings if f.code == "REQUIRED_MISSING"]
