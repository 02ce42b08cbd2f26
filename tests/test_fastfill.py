"""The compiled-template writer (xlsx/fastfill.py) against the openpyxl path (xlsx/fill.py), cell for cell.

Both write the same evaluation with the same findings and scores; both results are read back with openpyxl
and compared sheet by sheet: values and formulas, number formats, fonts, fills, borders, alignment,
protection, merges, comments, hyperlinks, widths, heights, print areas, defined names. python-calamine
must read the fast path's files too, and a LibreOffice recalculation must give the Python total.
"""

from __future__ import annotations

import re
import zipfile
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import test_parity as parity
from factories import qual, quant, valid_evaluation, valid_project_evaluation
from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook

from perfeval_xl import office
from perfeval_xl.layout import fields as F
from perfeval_xl.model import Evaluation, Finding, Level
from perfeval_xl.service import evaluate
from perfeval_xl.xlsx import fastfill
from perfeval_xl.xlsx.build import build_template
from perfeval_xl.xlsx.fastfill import MAX_TEXT, CompiledTemplate, read_stamp, xml_text
from perfeval_xl.xlsx.fill import fill_workbook
from perfeval_xl.xlsx.read import read_workbook

_STAMP = re.compile(r"校验时间 \d{4}-\d\d-\d\d \d\d:\d\d")


@pytest.fixture(scope="module")
def compiled() -> CompiledTemplate:
    return CompiledTemplate()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("tpl") / "t.xlsx")


def _rgb(color: Any) -> str:
    rgb = getattr(color, "rgb", None)
    return rgb[-6:] if isinstance(rgb, str) else ""


def _cell_view(c: Any) -> tuple[Any, ...]:
    """What a reader sees of a cell: value, type and every style part we set."""
    font, fill, border, al = c.font, c.fill, c.border, c.alignment
    value = c.value
    if isinstance(value, float):
        value = float(f"{value:.15g}")  # openpyxl writes 16 significant digits, fastfill the exact repr
    if isinstance(value, str) and _STAMP.match(value):
        value = _STAMP.sub("校验时间 …", value)
    return (
        value,
        c.data_type if value is not None else "",  # openpyxl saves "" as an empty inline string
        c.number_format,
        (font.name, font.sz, bool(font.b), _rgb(font.color), font.u),
        (fill.patternType, _rgb(fill.fgColor) if fill.patternType else ""),
        tuple(getattr(getattr(border, side), "style", None) for side in ("left", "right", "top", "bottom")),
        (al.horizontal, al.vertical, bool(al.wrap_text)),
        c.protection.locked,
    )


def _sheet_view(ws: Any) -> dict[str, Any]:
    merged_subcells = {
        ref
        for rng in ws.merged_cells.ranges
        for row in ws[rng.coord]
        for ref in (c.coordinate for c in row)
        if ref != rng.start_cell.coordinate
    }
    cells = {}
    for row in ws.iter_rows():
        for c in row:
            if c.coordinate in merged_subcells:
                continue  # openpyxl keeps only borders on them; the top-left cell carries the merge
            view = _cell_view(c)
            if view[0] is None and view[3:] == _cell_view(ws["ZZ1"])[3:]:
                continue  # a blank unstyled cell
            cells[c.coordinate] = view
    return {
        "cells": cells,
        "merges": sorted(str(r) for r in ws.merged_cells.ranges),
        "comments": {
            c.coordinate: (c.comment.text, c.comment.author)
            for row in ws.iter_rows()
            for c in row
            if c.comment
        },
        "links": {
            c.coordinate: c.hyperlink.location
            for row in ws.iter_rows()
            for c in row
            if c.hyperlink is not None
        },
        "widths": {
            get_column_letter(i): (d.width, d.hidden)
            for d in ws.column_dimensions.values()
            if d.customWidth or d.hidden
            for i in range(d.min or 1, (d.max or d.min or 1) + 1)
        },
        "heights": {k: d.height for k, d in ws.row_dimensions.items() if d.height},
        "print_area": ws.print_area,
        "print_titles": ws.print_title_rows,
        "freeze": ws.freeze_panes,
        "validations": sorted(str(v.sqref) for v in ws.data_validations.dataValidation),
        "conditional": sorted(str(r.sqref) for r in ws.conditional_formatting),
        "protected": ws.protection.sheet,
        "orientation": ws.page_setup.orientation,
        "fit": (ws.page_setup.fitToWidth or 1, ws.page_setup.fitToHeight or 0),  # absent = default
    }


def _book_view(path: Path) -> dict[str, Any]:
    wb = openpyxl.load_workbook(path)
    view = {name: _sheet_view(wb[name]) for name in wb.sheetnames}
    view["_names"] = {k: v.attr_text for k, v in wb.defined_names.items()}
    view["_order"] = wb.sheetnames
    return view


def _assert_same(a: Path, b: Path) -> None:
    va, vb = _book_view(a), _book_view(b)
    assert va["_order"] == vb["_order"]
    assert va["_names"] == vb["_names"]
    for name in va["_order"]:
        sa, sb = va[name], vb[name]
        for key in sa:
            if key == "cells":
                diff = {
                    ref: (sa["cells"].get(ref), sb["cells"].get(ref))
                    for ref in sa["cells"].keys() | sb["cells"].keys()
                    if sa["cells"].get(ref) != sb["cells"].get(ref)
                }
                assert not diff, f"{name}: {sorted(diff.items())[:5]}"
            elif key == "widths":
                # XlsxWriter stores a width with Excel's padding (11 → 11.71), render_openpyxl without it
                assert sa[key].keys() == sb[key].keys(), name
                for col, (wa, hidden) in sa[key].items():
                    wb_, hidden_b = sb[key][col]
                    assert abs(wa - wb_) < 0.75 and hidden == hidden_b, f"{name}.{col}"
            else:
                assert sa[key] == sb[key], f"{name}.{key}"


def _both(ev: Evaluation, compiled: CompiledTemplate, template: Path, tmp: Path) -> tuple[Path, Path]:
    outcome = evaluate(ev, use_rows=False)
    slow = fill_workbook(
        ev, tmp / "slow.xlsx", template=template, findings=outcome.findings, scores=outcome.scores
    )
    fast = compiled.write(ev, tmp / "fast.xlsx", findings=outcome.findings, scores=outcome.scores)
    return slow, fast


def _with_problems() -> Evaluation:
    ev = valid_evaluation()
    ev.budget.total.executed = D("3000")  # over the budget: a warning on 基本信息!D14
    ev.indicators[1].weight = "十分"  # text in a number cell: an error on 绩效指标
    ev.indicators[2].actual = D("80")  # below target without a note: warnings, two on one cell
    ev.unit_name = '=HYPERLINK("http://example.com")'
    ev.indicators[0].name = "@SUM(A1)"
    ev.indicators[3].deviation_note = "-5 < 0 & “引号” <tag>"
    return ev


@pytest.mark.parametrize(
    "make",
    [valid_evaluation, valid_project_evaluation, _with_problems],
    ids=["clean", "project", "problems"],
)
def test_same_workbook_as_the_openpyxl_path(
    make: Any, compiled: CompiledTemplate, template: Path, tmp_path: Path
) -> None:
    slow, fast = _both(make(), compiled, template, tmp_path)
    _assert_same(slow, fast)


def test_marks_comments_and_findings_are_there(
    compiled: CompiledTemplate, template: Path, tmp_path: Path
) -> None:
    _, fast = _both(_with_problems(), compiled, template, tmp_path)
    wb = openpyxl.load_workbook(fast)
    info, ind = wb[F.INFO], wb[F.INDICATORS]
    assert info["D14"].value == 3000 and info["D14"].fill.fgColor.rgb.endswith("FFEB9C")
    assert "BUDGET_EXEC_OVER" in info["D14"].comment.text and info["D14"].comment.author == "perfeval-xl"
    assert ind["J5"].value == "十分" and ind["J5"].fill.fgColor.rgb.endswith("FFC7CE")
    assert ind["J4"].comment is None and ind["J4"].fill.fgColor.rgb.endswith("FFF2CC")
    rows = list(wb[F.FINDINGS].iter_rows(min_row=4, values_only=True))
    assert rows and rows[0][1] == "错误" and rows[0][4] == "J5"
    assert wb[F.FINDINGS]["E4"].hyperlink.location == "'绩效指标'!J5"


def test_text_stays_text(compiled: CompiledTemplate, template: Path, tmp_path: Path) -> None:
    _, fast = _both(_with_problems(), compiled, template, tmp_path)
    with zipfile.ZipFile(fast) as z:
        info = z.read("xl/worksheets/sheet2.xml").decode()
    assert '<c r="B4" s="' in info and "<f>HYPERLINK" not in info  # no formula from data
    wb = openpyxl.load_workbook(fast)
    assert wb[F.INFO]["B4"].value == '=HYPERLINK("http://example.com")'
    assert wb[F.INFO]["B4"].data_type == "s"
    assert wb[F.INDICATORS]["D4"].value == "@SUM(A1)"
    assert wb[F.INDICATORS]["M7"].value == "-5 < 0 & “引号” <tag>"
    ev = read_workbook(fast).evaluation
    assert ev.unit_name == '=HYPERLINK("http://example.com")'


def test_more_indicators_than_template_rows(
    compiled: CompiledTemplate, template: Path, tmp_path: Path
) -> None:
    ev = valid_evaluation()
    extra = F.INDICATOR_ROWS + 2 - len(ev.indicators)
    ev.indicators += [
        quant("产出指标", "数量指标", f"补充{i}", "≥", "1", "个", "1", "0") for i in range(extra)
    ]
    slow, fast = _both(ev, compiled, template, tmp_path)
    _assert_same(slow, fast)
    data = read_workbook(fast)
    assert len(data.evaluation.indicators) == F.INDICATOR_ROWS + 2
    assert any(f.code == "ROW_OUTSIDE_TEMPLATE" for f in data.findings)


def test_python_calamine_reads_it(compiled: CompiledTemplate, template: Path, tmp_path: Path) -> None:
    _, fast = _both(valid_evaluation(), compiled, template, tmp_path)
    book = CalamineWorkbook.from_path(str(fast))
    assert book.sheet_names == list(F.SHEETS)
    info = book.get_sheet_by_name(F.INFO).to_python(skip_empty_area=False)
    assert info[3][1] == "雷州市科工贸和信息化局" and info[13][2] == 2652.84
    summary = book.get_sheet_by_name(F.SUMMARY).to_python(skip_empty_area=False)
    assert summary[0][0] == "部门整体支出绩效自评表"


def test_unreadable_characters_are_escaped(compiled: CompiledTemplate, tmp_path: Path) -> None:
    assert xml_text("a\x01b\x1fc") == "a_x0001_b_x001F_c"
    assert len(xml_text("长" * (MAX_TEXT + 10))) == MAX_TEXT
    ev = valid_evaluation()
    ev.goal_expected = "目标\x0b说明\x00"
    out = compiled.write(ev, tmp_path / "ctl.xlsx")
    goal = F.FIELD_BY_KEY["goal_expected"].cell
    assert openpyxl.load_workbook(out)[F.INFO][goal].value.startswith("目标")


def test_equal_input_gives_equal_bytes(compiled: CompiledTemplate, tmp_path: Path) -> None:
    ev = valid_evaluation()
    outcome = evaluate(ev, use_rows=False)
    a = compiled.write(ev, tmp_path / "a.xlsx", scores=outcome.scores, modified="2024-01-01T00:00:00Z")
    b = compiled.write(ev, tmp_path / "b.xlsx", scores=outcome.scores, modified="2024-01-01T00:00:00Z")
    assert a.read_bytes() == b.read_bytes()


def test_stamp_properties_round_trip(compiled: CompiledTemplate, tmp_path: Path) -> None:
    out = compiled.write(
        valid_evaluation(), tmp_path / "p.xlsx", properties={"k": "v&<>"}, modified="2024-05-06T07:08:09Z"
    )
    stamp = read_stamp(out)
    assert stamp is not None
    assert stamp.properties["k"] == "v&<>" and stamp.properties[F.PROPERTY] == F.TEMPLATE_VERSION
    assert stamp.modified == "2024-05-06T07:08:09Z"
    assert openpyxl.load_workbook(out).custom_doc_props["k"].value == "v&<>"
    assert read_stamp(tmp_path / "missing.xlsx") is None


def test_failed_write_leaves_nothing(
    compiled: CompiledTemplate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(path: Path, parts: Any, level: int) -> None:
        path.write_bytes(b"PK half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(fastfill, "write_zip", broken)
    with pytest.raises(OSError):
        compiled.write(valid_evaluation(), tmp_path / "bad.xlsx")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------------ LibreOffice


# tests/test_parity.py writes its cases with the compiled template: the fast path's LibreOffice parity.


@pytest.mark.libreoffice
@pytest.mark.skipif(office.find_soffice() is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_recalculates_the_snapshot_scores(compiled: CompiledTemplate, tmp_path: Path) -> None:
    """With marks, 校验结果 rows and the 自评表 snapshot, the formulas still give the Python total."""
    cases: dict[str, Evaluation] = {"clean": valid_evaluation(), "problems": _with_problems()}
    na = valid_evaluation()
    na.indicators[6] = quant("效益指标", "社会效益指标", "净增高新技术企业", "≥", "8", "家", "6", "10")
    na.indicators[7] = qual("效益指标", "可持续影响指标", "科技创新体系建设", "/", "10", "0")
    cases["not_applicable"] = na
    project = valid_project_evaluation()
    project.budget.total.executed = D("1800.25")
    cases["project_low_rate"] = project
    paths, expected = [], {}
    for name, ev in cases.items():
        outcome = evaluate(ev, use_rows=False)
        out = tmp_path / f"{name}.xlsx"
        paths.append(compiled.write(ev, out, findings=outcome.findings, scores=outcome.scores))
        expected[name] = (ev, outcome.scores)
    for path in office.recalculate(paths, tmp_path / "lo"):
        ev, scores = expected[path.stem]
        ws = openpyxl.load_workbook(path, data_only=True)[F.SCORING]
        parity.assert_same(ws[F.TOTAL_CELL].value, scores.total, f"{path.stem} 总分")
        parity.assert_same(ws[F.EXEC_SCORE_CELL].value, scores.execution_score, f"{path.stem} 执行率得分")
        assert (ws[F.GRADE_CELL].value or "") == scores.grade, path.stem


def test_marks_only_for_located_findings(compiled: CompiledTemplate, tmp_path: Path) -> None:
    ev = valid_evaluation()
    findings = [
        Finding("X", Level.INFO, "说明", sheet=F.INFO, cell="B6"),
        Finding("Y", Level.ERROR, "文件级问题", sheet="data.csv", cell="第3行 单位编码"),
    ]
    out = compiled.write(ev, tmp_path / "m.xlsx", findings=findings)
    wb = openpyxl.load_workbook(out)
    assert wb[F.INFO]["B6"].comment.text == "【提示】说明（X）"
    assert wb[F.INFO]["B6"].fill.fgColor.rgb.endswith("DDEBF7")
    assert wb[F.FINDINGS]["E4"].hyperlink is None  # the CSV finding (an error, listed first) has no cell here
    assert wb[F.FINDINGS]["E5"].hyperlink.location == "'基本信息'!B6"
