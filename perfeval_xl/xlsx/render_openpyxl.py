"""Render a SheetSpec into an openpyxl worksheet (summary and findings sheets of an existing workbook)."""

from __future__ import annotations

from decimal import Decimal
from functools import cache

from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.worksheet.worksheet import Worksheet

from ..layout.spec import CellValue, SheetSpec, cells_in
from ..layout.styles import STYLES

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
