"""Neutral description of a sheet: cells, merges, widths, validations, print setup.

The XlsxWriter builder (new workbooks) and the openpyxl writer (existing workbooks) both render these, so
the layout is written once. A cell's text is always text: only ``Cell.formula`` becomes a formula, so data
that starts with ``=`` (from a CSV, say) can never turn into one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

CellValue = str | int | float | Decimal | None


@dataclass(frozen=True)
class Cell:
    value: CellValue = None
    style: str = "label"
    formula: str | None = None  # "=…"; rendered as a formula, never parsed from value
    link: str | None = None  # internal hyperlink target, e.g. "#'绩效指标'!H5"
    #: The formula's value in the empty template, stored as its cached result: LibreOffice shows cached
    #: results of .xlsx files as they are until something changes, so they must be right (ground-notes.md).
    cached: CellValue = ""


@dataclass(frozen=True)
class Validation:
    """A data-validation rule over ``ref`` (a range such as ``B4:B303``)."""

    ref: str
    kind: str  # "list" | "decimal" | "whole" | "textLength"
    choices: tuple[str, ...] = ()
    minimum: Decimal | int | None = None
    maximum: Decimal | int | None = None
    prompt_title: str = ""
    prompt: str = ""
    error_title: str = ""
    error: str = ""
    error_style: str = "stop"  # stop | warning | information


@dataclass(frozen=True)
class Highlight:
    """A conditional format: cells in ``ref`` get ``fill`` when ``formula`` (relative to the top-left) holds."""

    ref: str
    formula: str
    fill: str
    font_color: str = ""
    bold: bool = False
    border: bool = False  # a dashed border as well: still visible on a black-and-white printout
    #: Thin borders drawn while the condition holds: "all", "sides" (left and right) or "top_sides".
    borders: str = ""


@dataclass
class PrintSetup:
    landscape: bool = False
    fit_width: int = 1
    fit_height: int = 0  # 0: as many pages as needed
    area: str = ""
    repeat_rows: str = ""  # e.g. "12:12"
    margins_cm: tuple[float, float, float, float] = (1.8, 2.0, 1.5, 1.5)  # top, bottom, left, right
    footer_margin_cm: float = 1.0
    center_horizontally: bool = True
    footer: str = "&C第 &P 页，共 &N 页"
    #: A formula for the last printed row (``12+$K$1+7``): the print area then grows with the data. Excel and
    #: WPS honour such a print area; LibreOffice prints the static ``area`` instead.
    dynamic_last_row: str = ""


@dataclass(frozen=True)
class FillDown:
    """The formula in ``col``+``first`` copied down to row ``last`` (relative references shift, as when a
    clerk drags it down); written as one shared formula, so a column of 300 formulas costs one formula."""

    col: str
    first: int
    last: int


@dataclass
class SheetSpec:
    name: str
    cells: dict[str, Cell] = field(default_factory=dict)
    merges: list[str] = field(default_factory=list)
    widths: dict[str, float] = field(default_factory=dict)  # column letter -> width
    heights: dict[int, float] = field(default_factory=dict)  # row number -> height
    hidden_columns: tuple[str, ...] = ()
    hidden_rows: tuple[int, ...] = ()
    hidden: bool = False  # the whole sheet (helper sheets of formulas)
    validations: list[Validation] = field(default_factory=list)
    highlights: list[Highlight] = field(default_factory=list)
    freeze: str = ""  # top-left cell of the scrolling pane
    protect: bool = False
    tab_color: str = ""
    print_setup: PrintSetup = field(default_factory=PrintSetup)
    #: Blank but styled cells (input areas): range -> style name.
    styled_ranges: dict[str, str] = field(default_factory=dict)
    fill_downs: list[FillDown] = field(default_factory=list)

    def put(self, ref: str, value: CellValue = None, style: str = "label", **kw: CellValue) -> None:
        self.cells[ref] = Cell(value, style, **kw)  # type: ignore[arg-type]

    def fill_down(self, ref: str, last: int) -> None:
        """Copy the formula in ``ref`` down to row ``last`` (see FillDown)."""
        col, first = split_ref(ref)
        if not self.cells[ref].formula:
            raise ValueError(f"{ref} holds no formula to fill down")
        self.fill_downs.append(FillDown(col, first, last))

    def merge(self, ref: str, value: CellValue = None, style: str = "label", **kw: CellValue) -> None:
        """Merge ``ref`` (``A1:E1``) and put the value in its top-left cell; the style covers the range."""
        self.merges.append(ref)
        self.styled_ranges[ref] = style
        self.put(ref.split(":")[0], value, style, **kw)


@dataclass
class BookSpec:
    sheets: list[SheetSpec]
    names: dict[str, str]  # workbook-level defined name -> reference ("'评分'!$D$9")
    properties: dict[str, str] = field(default_factory=dict)  # custom document properties
    active: str = ""


# ------------------------------------------------------------------------------------- cell addresses

_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")


def col_index(letters: str) -> int:
    """``A`` → 1."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def col_letter(index: int) -> str:
    """1 → ``A``."""
    out = ""
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def split_ref(ref: str) -> tuple[str, int]:
    """``B12`` → (``B``, 12)."""
    m = _REF.match(ref)
    if not m:
        raise ValueError(ref)
    return m.group(1), int(m.group(2))


def cells_in(rng: str) -> Iterator[str]:
    """Every cell address in ``A1:C3`` (row by row)."""
    a, _, b = rng.partition(":")
    b = b or a
    c1, r1 = split_ref(a)
    c2, r2 = split_ref(b)
    for r in range(r1, r2 + 1):
        for c in range(col_index(c1), col_index(c2) + 1):
            yield f"{col_letter(c)}{r}"


def absolute(sheet: str, ref: str) -> str:
    """``'绩效指标'!$L$4`` (or a range) for use in formulas and defined names."""

    def one(r: str) -> str:
        c, n = split_ref(r)
        return f"${c}${n}"

    parts = ref.split(":")
    return f"'{sheet}'!" + ":".join(one(p) for p in parts)
