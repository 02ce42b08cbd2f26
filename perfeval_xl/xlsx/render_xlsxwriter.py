"""Render a BookSpec into a new .xlsx with XlsxWriter (the template, and workbooks built from scratch)."""

from __future__ import annotations

import re
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from ..layout.spec import BookSpec, Cell, SheetSpec, cells_in, col_index, split_ref
from ..layout.styles import STYLES, Style
from .shared_formulas import share

_CM_PER_INCH = 2.54


def _format_props(style: Style) -> dict[str, Any]:
    props: dict[str, Any] = {
        "font_name": style.font,
        "font_size": style.size,
        "bold": style.bold,
        "align": style.halign,
        "valign": {"center": "vcenter", "top": "top", "bottom": "bottom"}[style.valign],
        "text_wrap": style.wrap,
        "locked": style.locked,
    }
    if style.color:
        props["font_color"] = "#" + style.color
    if style.fill:
        props["bg_color"] = "#" + style.fill
        props["pattern"] = 1
    if style.border:
        props["border"] = 1
    if style.num_format:
        props["num_format"] = style.num_format
    if style.underline:
        props["underline"] = 1
    return props


class _Formats:
    def __init__(self, wb: Workbook) -> None:
        self.wb = wb
        self.cache: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self.cache:
            props = _format_props(STYLES[name])
            # East-Asian font name: XlsxWriter writes it as the Latin font; Excel uses it for CJK too.
            self.cache[name] = self.wb.add_format(props)
        return self.cache[name]


def _rc(ref: str) -> tuple[int, int]:
    col, row = split_ref(ref)
    return row - 1, col_index(col) - 1


def _write_cell(ws: Worksheet, ref: str, cell: Cell, fmt: Any) -> None:
    row, col = _rc(ref)
    if cell.formula:
        cached = cell.cached
        if isinstance(cached, Decimal):
            cached = float(cached)
        ws.write_formula(row, col, cell.formula, fmt, cached)
    elif cell.link:
        ws.write_url(row, col, "internal:" + cell.link.lstrip("#"), fmt, string=str(cell.value or ""))
    elif cell.value is None or cell.value == "":
        ws.write_blank(row, col, None, fmt)
    elif isinstance(cell.value, str):
        ws.write_string(row, col, cell.value, fmt)  # never a formula, whatever the text
    else:
        ws.write_number(row, col, float(cell.value), fmt)


def _render_sheet(wb: Workbook, fmts: _Formats, spec: SheetSpec) -> Worksheet:
    ws = wb.add_worksheet(spec.name)
    for letter, width in spec.widths.items():
        c = col_index(letter) - 1
        ws.set_column(c, c, width, None, {"hidden": letter in spec.hidden_columns})
    for row, height in spec.heights.items():
        ws.set_row(row - 1, height, None, {"hidden": row in spec.hidden_rows})
    for row in spec.hidden_rows:
        if row not in spec.heights:
            ws.set_row(row - 1, None, None, {"hidden": True})
    # Styled blank ranges first, then merges, then the cells themselves.
    merged = set(spec.merges)
    for rng, style in spec.styled_ranges.items():
        if rng in merged:
            continue
        for ref in cells_in(rng):
            if ref not in spec.cells:
                r, c = _rc(ref)
                ws.write_blank(r, c, None, fmts[style])
    for rng in spec.merges:
        first = rng.split(":")[0]
        cell = spec.cells.get(first, Cell(None, spec.styled_ranges.get(rng, "label")))
        (r1, c1), (r2, c2) = _rc(first), _rc(rng.split(":")[1])
        fmt = fmts[spec.styled_ranges.get(rng, cell.style)]
        ws.merge_range(r1, c1, r2, c2, None, fmt)
        _write_cell(ws, first, cell, fmt)
    merged_firsts = {rng.split(":")[0] for rng in spec.merges}
    for ref, cell in spec.cells.items():
        if ref not in merged_firsts:
            _write_cell(ws, ref, cell, fmts[cell.style])
    for fill in spec.fill_downs:  # styled blanks the shared formula is put into after the book is written
        fmt = fmts[spec.cells[f"{fill.col}{fill.first}"].style]
        c = col_index(fill.col) - 1
        for row in range(fill.first + 1, fill.last + 1):
            if f"{fill.col}{row}" in spec.cells:
                raise ValueError(f"{spec.name}!{fill.col}{row} is both a cell and a filled-down formula")
            ws.write_blank(row - 1, c, None, fmt)
    for v in spec.validations:
        first, _, last = v.ref.partition(":")
        (r1, c1), (r2, c2) = _rc(first), _rc(last or first)
        opts: dict[str, Any] = {
            "validate": {"list": "list", "decimal": "decimal", "whole": "integer"}[v.kind],
            "error_type": v.error_style,
            "ignore_blank": True,
        }
        if v.kind == "list":
            opts["source"] = list(v.choices)
        else:
            opts["criteria"] = "between"
            opts["minimum"] = v.minimum
            opts["maximum"] = v.maximum
        if v.prompt:
            opts["input_title"] = v.prompt_title[:32]
            opts["input_message"] = v.prompt[:255]
        if v.error:
            opts["error_title"] = (v.error_title or "输入有误")[:32]
            opts["error_message"] = v.error[:255]
        ws.data_validation(r1, c1, r2, c2, opts)
    for h in spec.highlights:
        first, _, last = h.ref.partition(":")
        (r1, c1), (r2, c2) = _rc(first), _rc(last or first)
        fmt_props: dict[str, Any] = {"bg_color": "#" + h.fill} if h.fill else {}
        sides = {
            "all": ("top", "bottom", "left", "right"),
            "sides": ("left", "right"),
            "top_sides": ("top", "left", "right"),
        }
        for side in sides.get(h.borders, ()):
            fmt_props[side] = 1
        if h.font_color:
            fmt_props["font_color"] = "#" + h.font_color
        if h.bold:
            fmt_props["bold"] = True
        if h.border:
            fmt_props["border"] = 3  # dashed: the mark survives a black-and-white printout
        ws.conditional_format(
            r1, c1, r2, c2, {"type": "formula", "criteria": h.formula, "format": wb.add_format(fmt_props)}
        )
    if spec.freeze:
        r, c = _rc(spec.freeze)
        ws.freeze_panes(r, c)
    if spec.tab_color:
        ws.set_tab_color("#" + spec.tab_color)
    if spec.hidden:
        ws.hide()
    p = spec.print_setup
    ws.set_paper(9)  # A4
    if p.landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.fit_to_pages(p.fit_width, p.fit_height)
    top, bottom, left, right = (m / _CM_PER_INCH for m in p.margins_cm)
    ws.set_margins(left=left, right=right, top=top, bottom=bottom)
    if p.center_horizontally:
        ws.center_horizontally()
    if p.area and not p.dynamic_last_row:
        ws.print_area(p.area)
    if p.repeat_rows:
        a, _, b = p.repeat_rows.partition(":")
        ws.repeat_rows(int(a) - 1, int(b or a) - 1)
    if p.footer:
        ws.set_footer(p.footer, {"margin": p.footer_margin_cm / _CM_PER_INCH})
    if spec.protect:
        # No password: protection keeps formulas from being typed over, not a secret.
        ws.protect(
            "",
            {
                "format_cells": True,
                "format_columns": True,
                "format_rows": True,
                "select_locked_cells": True,
                "select_unlocked_cells": True,
                "objects": True,  # comments (validation marks) can still be added
            },
        )
    return ws


def render_book(book: BookSpec, path: Path) -> None:
    """Write ``book`` to ``path`` (the caller makes the write atomic)."""
    wb = xlsxwriter.Workbook(
        str(path),
        {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False},
    )
    fmts = _Formats(wb)
    for spec in book.sheets:
        ws = _render_sheet(wb, fmts, spec)
        if spec.name == book.active:
            ws.activate()
    for name, ref in book.names.items():
        wb.define_name(name, "=" + ref)
    for spec in book.sheets:
        p = spec.print_setup
        if p.dynamic_last_row:
            # A print area that grows with the data (XlsxWriter's print_area() takes fixed ranges only).
            first_col = re.sub(r"\d+", "", p.area.split(":")[0])
            last_col = re.sub(r"\d+", "", p.area.split(":")[1])
            width = col_index(last_col) - col_index(first_col) + 1
            offset = f"OFFSET('{spec.name}'!${first_col}$1,0,0,{p.dynamic_last_row},{width})"
            wb.define_name(f"'{spec.name}'!_xlnm.Print_Area", "=" + offset)
    for key, value in book.properties.items():
        wb.set_custom_property(key, value)
    wb.set_properties({"title": "预算绩效自评表", "creator": "perfeval-xl", "company": ""})
    wb.close()
    _share_formulas(path, book)


def _share_formulas(path: Path, book: BookSpec) -> None:
    """Rewrite filled-down columns as shared formulas (xlsx.shared_formulas) in the written package."""
    todo = {
        f"xl/worksheets/sheet{i}.xml": spec for i, spec in enumerate(book.sheets, start=1) if spec.fill_downs
    }
    if not todo:
        return
    with zipfile.ZipFile(path) as z:
        parts = [(info, z.read(info.filename)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in parts:
            spec = todo.get(info.filename)
            if spec is not None:
                data = share(data.decode("utf-8"), spec.fill_downs).encode("utf-8")
            z.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
