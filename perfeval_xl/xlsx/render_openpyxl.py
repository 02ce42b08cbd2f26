"""openpyxl rendering for the reference path ``xlsx.fill.fill_workbook`` (tests compare the batch writer
with it): a SheetSpec into a worksheet, and marks, 校验结果 and 自评表 on a workbook object.

A clerk's own file is never written through openpyxl, which drops what it does not model (pictures,
shapes, x14 data validations): that is ``xlsx.write``/``xlsx.patch``.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Sequence
from decimal import Decimal
from functools import cache
from pathlib import Path

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from ..layout import fields as F
from ..layout.spec import CellValue, SheetSpec, cells_in
from ..layout.styles import MARK_FILLS, STYLES
from ..layout.summary import summary_sheet
from ..layout.template import findings_sheet
from ..model import Evaluation, Finding
from ..rules.scheme import Scheme
from ..rules.scoring import Scores
from .sheetxml import MARK_AUTHOR
from .write import findings_row, findings_summary, mark_notes, ordered_findings

_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_NO_BORDER = Border()
_CM_PER_INCH = 2.54


@cache
def _parts(name: str) -> tuple[Font, PatternFill, Border, Alignment, str, Protection]:
    st = STYLES[name]
    font = Font(
        name=st.font,
        size=st.size,
        bold=st.bold,
        color=st.color or None,
        underline="single" if st.underline else None,
    )
    fill = PatternFill("solid", fgColor=st.fill) if st.fill else PatternFill()
    align = Alignment(horizontal=st.halign, vertical=st.valign, wrap_text=st.wrap)
    return (
        font,
        fill,
        _BORDER if st.border else _NO_BORDER,
        align,
        st.num_format or "General",
        Protection(st.locked),
    )


def apply_style(ws: Worksheet, ref: str, name: str) -> None:
    font, fill, border, align, num_format, protection = _parts(name)
    c = ws[ref]
    c.font, c.fill, c.border, c.alignment, c.number_format, c.protection = (
        font,
        fill,
        border,
        align,
        num_format,
        protection,
    )


def set_value(ws: Worksheet, ref: str, value: CellValue) -> None:
    """Write a value; text stays text even when it starts with '=' (never a formula)."""
    c = ws[ref]
    if isinstance(value, Decimal):
        c.value = float(value)
    elif isinstance(value, str):
        c.value = value
        c.data_type = "s"
    else:
        c.value = value


def render_sheet(ws: Worksheet, spec: SheetSpec) -> None:
    for letter, width in spec.widths.items():
        ws.column_dimensions[letter].width = width
        ws.column_dimensions[letter].hidden = letter in spec.hidden_columns
    for row, height in spec.heights.items():
        ws.row_dimensions[row].height = height
    for row in spec.hidden_rows:
        ws.row_dimensions[row].hidden = True
    if spec.hidden:
        ws.sheet_state = "hidden"
    for rng, style in spec.styled_ranges.items():
        for ref in cells_in(rng):
            apply_style(ws, ref, style)
    for ref, cell in spec.cells.items():
        if cell.formula:
            ws[ref].value = cell.formula
        else:
            set_value(ws, ref, cell.value)
        if cell.link:
            ws[ref].hyperlink = cell.link
        apply_style(ws, ref, cell.style)
    for rng in spec.merges:
        ws.merge_cells(rng)
    if spec.freeze:
        ws.freeze_panes = spec.freeze
    if spec.tab_color:
        ws.sheet_properties.tabColor = spec.tab_color
    p = spec.print_setup
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if p.landscape else "portrait"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = p.fit_width
    ws.page_setup.fitToHeight = p.fit_height
    top, bottom, left, right = (m / _CM_PER_INCH for m in p.margins_cm)
    ws.page_margins.top, ws.page_margins.bottom = top, bottom
    ws.page_margins.left, ws.page_margins.right = left, right
    ws.page_margins.footer = p.footer_margin_cm / _CM_PER_INCH
    ws.print_options.horizontalCentered = p.center_horizontally
    if p.area:
        ws.print_area = p.area
    if p.repeat_rows:
        ws.print_title_rows = p.repeat_rows
    if p.footer:
        ws.oddFooter.center.text = p.footer.removeprefix("&C")


def load_template(path: Path) -> openpyxl.Workbook:
    """A template workbook of ours, loaded for writing (openpyxl's English warnings filtered)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(path)


def mark_cells(wb, findings: Sequence[Finding]) -> None:  # type: ignore[no-untyped-def]
    for (sheet, ref), (worst, text) in mark_notes(findings).items():
        c = wb[sheet][ref]
        c.fill = PatternFill("solid", fgColor=MARK_FILLS[worst.value])
        comment = Comment(text, MARK_AUTHOR)
        comment.width, comment.height = 320, min(60 + 48 * (text.count("\n") + 1), 400)
        c.comment = comment


def write_findings_sheet(wb, findings: Sequence[Finding], scheme: Scheme | None = None) -> None:  # type: ignore[no-untyped-def]
    ws = wb[F.FINDINGS] if F.FINDINGS in wb.sheetnames else wb.create_sheet(F.FINDINGS)
    if ws.max_row >= 4:
        ws.delete_rows(4, ws.max_row - 3)
    if not ws["A3"].value:
        render_sheet(ws, findings_sheet(scheme))
    set_value(ws, "A2", findings_summary(findings, dt.datetime.now()))
    for i, f in enumerate(ordered_findings(findings), start=1):
        r = 3 + i
        for col, value in zip("ABCDEF", findings_row(i, f), strict=True):
            set_value(ws, f"{col}{r}", value)
            apply_style(ws, f"{col}{r}", "note")
        ws[f"B{r}"].fill = PatternFill("solid", fgColor=MARK_FILLS[f.level.value])
        if f.sheet in wb.sheetnames and f.cell:
            ws[f"E{r}"].hyperlink = Hyperlink(ref=f"E{r}", location=f"'{f.sheet}'!{f.cell}", display=f.cell)
            apply_style(ws, f"E{r}", "link")


def replace_summary(wb, ev: Evaluation, scores: Scores, scheme: Scheme | None = None) -> None:  # type: ignore[no-untyped-def]
    index = wb.sheetnames.index(F.SUMMARY) if F.SUMMARY in wb.sheetnames else len(wb.sheetnames)
    if F.SUMMARY in wb.sheetnames:
        wb.remove(wb[F.SUMMARY])
    ws = wb.create_sheet(F.SUMMARY, index)
    render_sheet(ws, summary_sheet(ev, scores, scheme))
