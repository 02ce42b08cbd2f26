"""The template workbook: sheets, names, dropdowns, protection, print setup, formulas from the rules."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from perfeval_xl.layout import fields as F
from perfeval_xl.layout.template import indicator_refs, scoring_refs
from perfeval_xl.rules import scoring, vocab
from perfeval_xl.rules.config import PRESETS
from perfeval_xl.rules.expr import render
from perfeval_xl.xlsx.build import build_template


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> openpyxl.Workbook:
    path = tmp_path_factory.mktemp("tpl") / "t.xlsx"
    build_template(path)
    return openpyxl.load_workbook(path)


def test_sheets_in_order(book: openpyxl.Workbook) -> None:
    assert book.sheetnames == ["填报说明", "基本信息", "绩效指标", "评分", "自评表", "校验结果"]


def test_headline_names_point_at_the_scoring_cells(book: openpyxl.Workbook) -> None:
    names = book.defined_names
    assert names["执行率"].attr_text == "'评分'!$C$4"
    assert names["执行率得分"].attr_text == "'评分'!$D$4"
    assert names["总分"].attr_text == "'评分'!$D$9"
    assert names["等级"].attr_text == "'评分'!$D$10"
    for name in ("执行率", "执行率得分", "总分", "等级"):
        sheet, cell = names[name].attr_text.split("!")
        assert book[sheet.strip("'")][cell.replace("$", "")].data_type == "f"


def test_every_indicator_row_has_the_rule_formula(book: openpyxl.Workbook) -> None:
    ws = book["绩效指标"]
    expr = scoring.indicator_score_expr()
    rows = range(F.INDICATOR_FIRST_ROW, F.INDICATOR_LAST_ROW + 1)
    assert len(rows) >= 200
    for row in rows:
        assert ws[f"L{row}"].value == render(expr, indicator_refs(row))
        assert ws[f"N{row}"].value == render(scoring.applicable_weight_expr(), indicator_refs(row))
        assert ws[f"O{row}"].value == render(scoring.not_applicable_flag_expr(), indicator_refs(row))
    assert ws[f"L{F.INDICATOR_LAST_ROW + 1}"].value is None


def test_headline_formulas_are_the_rules(book: openpyxl.Workbook) -> None:
    ws = book["评分"]
    assert ws["C4"].value == render(scoring.execution_rate_expr(), scoring_refs)
    assert ws["D4"].value == render(scoring.execution_score_expr(), scoring_refs)
    assert ws["D9"].value == render(scoring.total_expr(), scoring_refs)
    assert ws["D10"].value == render(scoring.grade_expr(), scoring_refs)


def test_rule_switches_reach_the_formulas(tmp_path: Path) -> None:
    build_template(tmp_path / "r2.xlsx", PRESETS["vendor-r2"])
    ws = openpyxl.load_workbook(tmp_path / "r2.xlsx")["绩效指标"]
    assert ws["L4"].value == render(scoring.indicator_score_expr(PRESETS["vendor-r2"]), indicator_refs(4))
    assert ws["L4"].value != render(scoring.indicator_score_expr(), indicator_refs(4))


def _validation_for(ws, ref: str):  # type: ignore[no-untyped-def]
    for dv in ws.data_validations.dataValidation:
        if ref in dv.sqref:
            return dv
    return None


def test_dropdowns(book: openpyxl.Workbook) -> None:
    ws = book["绩效指标"]
    for col, choices in (("B", vocab.LEVELS), ("E", vocab.OPERATOR_CHOICES), ("I", (*vocab.BANDS, "/"))):
        for row in (F.INDICATOR_FIRST_ROW, F.INDICATOR_LAST_ROW):
            dv = _validation_for(ws, f"{col}{row}")
            assert dv is not None and dv.type == "list", (col, row)
            assert dv.formula1 == '"' + ",".join(choices) + '"'
            assert dv.showErrorMessage
    level2 = _validation_for(ws, "C10")
    assert level2 is not None and "服务对象满意度指标" in level2.formula1
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
    assert ws["L4"].protection.locked is True
    info = book["基本信息"]
    assert info.protection.sheet
    for f in F.FIELDS:
        assert info[f.cell].protection.locked is False, f.key
    assert info[F.INFO_RATE_CELL].protection.locked is True
    assert book["评分"].protection.sheet


def test_input_cells_hold_text_as_text(book: openpyxl.Workbook) -> None:
    # 单位编码 001234 and an operator "=" must not become a number or a formula when typed
    assert book["基本信息"]["B5"].number_format == "@"
    assert book["绩效指标"]["E4"].number_format == "@"


def test_frozen_headers_and_hidden_helpers(book: openpyxl.Workbook) -> None:
    ws = book["绩效指标"]
    assert ws.freeze_panes == "E4"
    assert ws.column_dimensions["N"].hidden and ws.column_dimensions["O"].hidden
    assert [ws.cell(3, i + 1).value for i in range(13)] == [c.header for c in F.COLUMNS[:13]]


def test_summary_sheet_prints_on_a4(book: openpyxl.Workbook) -> None:
    ws = book["自评表"]
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert ws.page_setup.fitToWidth in (None, 1)  # 1 is the default XlsxWriter leaves out
    assert ws.page_setup.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_area
    assert "A1:I1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["A1"].font.name == "宋体" and ws["A1"].font.b
    assert ws["D12"].value == "三级指标" and ws["D12"].font.name == "仿宋"


def test_marked_as_ours(book: openpyxl.Workbook) -> None:
    props = {p.name: p.value for p in book.custom_doc_props.props}
    assert props[F.PROPERTY] == F.TEMPLATE_VERSION


def test_execution_weight_defaults_to_ten(book: openpyxl.Workbook) -> None:
    assert book["基本信息"]["B18"].value == 10
