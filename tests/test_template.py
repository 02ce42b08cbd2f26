"""The template workbook: sheets, names, dropdowns, protection, print setup, formulas from the rules, and
one template per scheme (issue 10: the template follows the scheme)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from perfeval_xl.layout import fields as F
from perfeval_xl.layout import live
from perfeval_xl.layout.template import scoring_refs
from perfeval_xl.rules import scoring
from perfeval_xl.rules.expr import If, render
from perfeval_xl.rules.scheme import builtin_ids, get_scheme
from perfeval_xl.xlsx.build import build_template
from perfeval_xl.xlsx.read import book_properties

NATIONAL = get_scheme("national")


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("tpl") / "t.xlsx")


@pytest.fixture(scope="module")
def book(path: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(path)


def test_sheets_in_order_and_helpers_hidden(book: openpyxl.Workbook) -> None:
    assert book.sheetnames == [
        "填报说明",
        "基本信息",
        "绩效指标",
        "评分",
        "自评表",
        "校验结果",
        "计算",
        "校验计算",
    ]
    assert book["计算"].sheet_state == "hidden" and book["校验计算"].sheet_state == "hidden"
    assert book["基本信息"].sheet_state == "visible"


def test_headline_names_point_at_the_scoring_cells(book: openpyxl.Workbook) -> None:
    names = book.defined_names
    assert names["执行率"].attr_text == "'评分'!$C$4"
    assert names["执行率得分"].attr_text == "'评分'!$D$4"
    assert names["总分"].attr_text == f"'评分'!$D${F.SCORING_TOTAL_ROW}"
    assert names["等级"].attr_text == f"'评分'!$D${F.SCORING_GRADE_ROW}"
    assert names["错误数"].attr_text == f"'评分'!{'$B$' + str(F.SCORING_COUNTS_ROW)}"
    assert names["警告数"].attr_text == f"'评分'!{'$D$' + str(F.SCORING_COUNTS_ROW)}"
    for name in ("执行率", "执行率得分", "总分", "等级", "错误数", "警告数"):
        sheet, cell = names[name].attr_text.split("!")
        assert book[sheet.strip("'")][cell.replace("$", "")].data_type == "f"


def test_every_step_and_check_is_a_column_of_formulas(book: openpyxl.Workbook) -> None:
    ws = book["计算"]
    columns = live.calc_columns(NATIONAL)
    for c in columns[:5] + columns[-5:]:
        first = ws[f"{c.letter}{F.INDICATOR_FIRST_ROW}"].value
        last = ws[f"{c.letter}{F.INDICATOR_LAST_ROW}"].value
        assert isinstance(first, str) and first.startswith("="), c.name
        assert isinstance(last, str) and last.startswith("="), c.name
    assert {c.kind for c in columns} >= {"step", "flag", "errors", "warnings", "message"}
    score = live.column_of(NATIONAL, "score")
    assert (
        book["绩效指标"][f"L{F.INDICATOR_FIRST_ROW}"].value
        == f"=IF('计算'!{score}4=\"\",\"\",'计算'!{score}4)"
    )


def test_columns_are_stored_as_shared_formulas(path: Path) -> None:
    """A column of 300 formulas costs one formula in the file (a template of reasonable size)."""
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet7.xml").decode()
    masters = xml.count('t="shared" ref=')
    assert masters == len(live.calc_columns(NATIONAL))
    assert path.stat().st_size < 400_000


def test_headline_formulas_are_the_rules(book: openpyxl.Workbook) -> None:
    ws, refs = book["评分"], scoring_refs(NATIONAL)
    assert ws["C4"].value == render(scoring.execution_rate_expr(), refs)
    assert ws["D4"].value == render(scoring.execution_score_expr(NATIONAL), refs)
    assert ws[F.TOTAL_CELL].value == render(scoring.total_expr(), refs)
    assert ws[F.GRADE_CELL].value == render(scoring.grade_expr(NATIONAL), refs)
    assert ws[F.COMPLETE_CELL].value == render(If(scoring.complete_expr(NATIONAL.tolerance), 1, 0), refs)
    assert ws[F.COMPLETE_CELL].number_format == '"数据完整";"数据完整";"数据不完整"'  # never TRUE/FALSE


def _xml(path: Path, sheet: int) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read(f"xl/worksheets/sheet{sheet}.xml").decode()


def _values(path: Path, sheet: str, *refs: str) -> list[object]:
    """Cell values without loading the 计算 sheet (openpyxl's read-only mode reads sheets on demand)."""
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        ws = wb[sheet]
        return [ws[ref].value for ref in refs]
    finally:
        wb.close()


def test_the_scheme_reaches_the_formulas_and_labels(tmp_path: Path) -> None:
    r2 = build_template(tmp_path / "r2.xlsx", get_scheme("vendor-r2"))
    national = build_template(tmp_path / "n.xlsx", NATIONAL)
    col = live.column_of(NATIONAL, "s_0")
    master = re.compile(rf'<c r="{col}4"[^>]*><f t="shared"[^>]*>(.*?)</f>')
    assert master.search(_xml(r2, 7))[1] != master.search(_xml(national, 7))[1]  # type: ignore[index]
    sichuan = build_template(tmp_path / "sc.xlsx", get_scheme("sichuan"))
    assert _values(sichuan, "绩效指标", "M3", "J3") == ["未完成原因分析", "权重"]
    assert _values(sichuan, "基本信息", "C13") == ["调整后预算数"]
    shown = _values(sichuan, "基本信息", *(f"A{F.FUND_SLOT_ROWS[k]}" for k in F.FUND_SLOTS))
    assert "财政专户管理资金" in " ".join(map(str, shown)) and "单位资金" in " ".join(map(str, shown))
    hidden = re.search(rf'<row r="{F.FUND_SLOT_ROWS["carried_over"]}"[^>]*>', _xml(sichuan, 2))
    assert hidden and 'hidden="1"' in hidden[0]  # 四川 has no 上年结转资金 row
    hubei = build_template(tmp_path / "hb.xlsx", get_scheme("hubei"))
    assert _values(hubei, "基本信息", F.FIELD_BY_KEY["execution_weight"].cell) == [20]
    cq = build_template(tmp_path / "cq.xlsx", get_scheme("chongqing-bmzt"))
    cols = _xml(cq, 3)
    assert re.search(r'<col min="2" max="2"[^>]*hidden="1"', cols)  # flat: no 一级
    assert not re.search(r'<col min="16" max="16"[^>]*hidden="1"', cols)  # 得分系数 shown


@pytest.mark.parametrize("scheme_id", builtin_ids())
def test_every_scheme_builds_and_records_itself(scheme_id: str, tmp_path: Path) -> None:
    scheme = get_scheme(scheme_id)
    path = build_template(tmp_path / "t.xlsx", scheme)
    props = book_properties(path)
    assert props[F.PROPERTY] == F.TEMPLATE_VERSION
    assert (props[F.SCHEME_PROPERTY], props[F.SCHEME_DIGEST_PROPERTY]) == (scheme.id, scheme.digest)
    # also on a sheet, where every engine (xlwings' remote one included) can read it
    assert _values(path, "校验计算", "A2", "B2") == [scheme.id, scheme.digest]


def _validation_for(ws, ref: str):  # type: ignore[no-untyped-def]
    for dv in ws.data_validations.dataValidation:
        if ref in dv.sqref:
            return dv
    return None


def test_dropdowns(book: openpyxl.Workbook) -> None:
    ws = book["绩效指标"]
    bands = tuple(q.name for q in NATIONAL.qualitative)
    for col, choices in (("B", NATIONAL.level1_names), ("E", F.OPERATOR_CHOICES), ("I", (*bands, "/"))):
        for row in (F.INDICATOR_FIRST_ROW, F.INDICATOR_LAST_ROW):
            dv = _validation_for(ws, f"{col}{row}")
            assert dv is not None and dv.type == "list", (col, row)
            assert dv.formula1 == '"' + ",".join(choices) + '"'
            assert dv.showErrorMessage
    level2 = _validation_for(ws, "C10")
    assert (
        level2 is not None
        and "服务对象满意度指标" in level2.formula1
        and "生态环境成本指标" in level2.formula1
    )
    kind = _validation_for(book["基本信息"], "B8")
    assert kind is not None and kind.formula1 == '"部门整体支出,项目支出"'
    weight = _validation_for(ws, "J4")
    assert weight is not None and weight.type == "decimal"


def test_dropdown_lists_fit_excels_limit(book: openpyxl.Workbook) -> None:
    for ws in book.worksheets:
        for dv in ws.data_validations.dataValidation:
            if dv.type == "list":
                assert len(dv.formula1) - 2 <= 255


def test_inputs_unlocked_formulas_locked(book: openpyxl.Workbook) -> None:
    ws = book["绩效指标"]
    assert ws.protection.sheet
    for col in F.INPUT_COLUMNS:
        assert ws[f"{col.letter}{F.INDICATOR_FIRST_ROW}"].protection.locked is False, col.header
        assert ws[f"{col.letter}{F.INDICATOR_LAST_ROW}"].protection.locked is False, col.header
    assert ws["L4"].protection.locked is True and ws["N4"].protection.locked is True
    info = book["基本信息"]
    assert info.protection.sheet
    for f in F.FIELDS:
        assert info[f.cell].protection.locked is False, f.key
    assert info[F.INFO_RATE_CELL].protection.locked is True
    assert book["评分"].protection.sheet and book["计算"].protection.sheet


def test_value_cells_keep_what_is_typed(book: openpyxl.Workbook) -> None:
    """单位编码 001234, an operator "=", a target "≥266米" or "95%" stay as typed (text), for the rules to read."""
    assert book["基本信息"]["B5"].number_format == "@"
    ws = book["绩效指标"]
    for col in ("E", "F", "H", "P"):
        assert ws[f"{col}4"].number_format == "@", col


def test_frozen_headers_and_problem_column(book: openpyxl.Workbook) -> None:
    ws = book["绩效指标"]
    assert ws.freeze_panes == "E4"
    assert [ws.cell(3, i + 1).value for i in range(13)] == [c.header for c in F.COLUMNS[:13]]
    assert ws["N3"].value == "问题（自动校验）" and ws["N4"].value.startswith("='计算'!")
    assert ws["N1"].value.startswith("=") and "错误数" in ws["N1"].value


def test_live_marks_are_conditional_formats_with_a_printed_border(book: openpyxl.Workbook) -> None:
    ws = book["绩效指标"]
    rules = [r for cf in ws.conditional_formatting for r in cf.rules]
    assert len(rules) >= 10
    assert any("'计算'!" in r.formula[0] for r in rules)
    assert all(r.dxf.border is not None for r in rules)  # not by colour alone


def test_summary_sheet_prints_on_a4(book: openpyxl.Workbook) -> None:
    ws = book["自评表"]
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert ws.page_setup.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert "A1:I1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["A1"].font.name == "宋体" and ws["A1"].font.b
    head = 6 + 3 + 2 + 1  # money block with the national 其中 rows, goals, then the indicator header
    assert ws[f"D{head}"].value == "三级指标" and ws[f"D{head}"].font.name == "仿宋"


def test_the_summary_print_area_grows_with_the_data(path: Path) -> None:
    with zipfile.ZipFile(path) as z:
        workbook = z.read("xl/workbook.xml").decode()
    assert "OFFSET('自评表'!$A$1,0,0," in workbook


def test_execution_weight_defaults_to_the_schemes(book: openpyxl.Workbook) -> None:
    assert book["基本信息"][F.FIELD_BY_KEY["execution_weight"].cell].value == 10
