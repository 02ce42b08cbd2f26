"""Writing SpreadsheetML by hand: cell XML, a SheetSpec's rows and merges, notes (comments and their VML).

Shared by the batch writer (``xlsx.fastfill``, which fills a compiled template) and the writer that
patches a clerk's own workbook (``xlsx.patch``): each construct is written in one place.

- Text from data is always an inline string (``t="inlineStr"``), XML-escaped, so ``=1+1`` or ``@SUM(A1)``
  stays text; characters XML cannot hold are written as ``_xHHHH_``, the escape Excel uses; text longer
  than Excel's 32 767-character cell limit is cut there (``MAX_TEXT``).
- ``set_child`` replaces, removes or inserts one child element of a ``<worksheet>`` in the order the
  schema (ECMA-376 CT_Worksheet) requires, leaving every other byte of the part as it was.
"""

from __future__ import annotations

import functools
import math
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from decimal import Decimal

from ..layout.spec import CellValue, SheetSpec, cells_in, col_index, col_letter, split_ref
from ..model import Finding, Level

#: Excel's limit on the characters in one cell.
MAX_TEXT = 32767
#: The author of every note the tool writes; notes by anyone else are the clerk's.
MARK_AUTHOR = "perfeval-xl"

_SEVERITY = {Level.ERROR: 0, Level.WARNING: 1, Level.INFO: 2}
_BAD_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})

#: The children of <worksheet>, in schema order (ECMA-376 Part 1, 18.3.1.99).
WORKSHEET_ORDER = (
    "sheetPr",
    "dimension",
    "sheetViews",
    "sheetFormatPr",
    "cols",
    "sheetData",
    "sheetCalcPr",
    "sheetProtection",
    "protectedRanges",
    "scenarios",
    "autoFilter",
    "sortState",
    "dataConsolidate",
    "customSheetViews",
    "mergeCells",
    "phoneticPr",
    "conditionalFormatting",
    "dataValidations",
    "hyperlinks",
    "printOptions",
    "pageMargins",
    "pageSetup",
    "headerFooter",
    "rowBreaks",
    "colBreaks",
    "customProperties",
    "cellWatches",
    "ignoredErrors",
    "smartTags",
    "drawing",
    "legacyDrawing",
    "legacyDrawingHF",
    "drawingHF",
    "picture",
    "oleObjects",
    "controls",
    "webPublishItems",
    "tableParts",
    "extLst",
)


# ------------------------------------------------------------------------------------------ text


def xml_text(text: str) -> str:
    """Text for an element: escaped, XML-illegal characters as ``_xHHHH_``, cut at ``MAX_TEXT``."""
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT]
    text = text.translate(_ESCAPES)
    if _BAD_XML_CHARS.search(text):
        text = _BAD_XML_CHARS.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    return text


@functools.lru_cache(maxsize=8192)
def text_element(text: str) -> str:
    """``<t>`` with ``text`` (space-preserving when it starts or ends with white space)."""
    body = xml_text(text)
    if text[:1].isspace() or text[-1:].isspace():
        return f'<t xml:space="preserve">{body}</t>'
    return f"<t>{body}</t>"


def attr_text(text: str) -> str:
    """Text for an attribute value in double quotes."""
    return xml_text(text).replace('"', "&quot;")


def number_text(value: CellValue) -> str | None:
    """A number as the ``<v>`` of a cell, or None when it is not a finite number."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    number = float(value)
    if not math.isfinite(number):
        return None
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return repr(number)


@functools.lru_cache(maxsize=2048)
def formula_text(formula: str) -> str:
    """A formula as the text of ``<f>`` (the same few hundred recur in every unit's sheets)."""
    return xml_text(formula.removeprefix("="))


@functools.lru_cache(maxsize=16384, typed=True)  # labels, blank styled cells: the same in every unit
def cell_xml(ref: str, style: int, value: CellValue, formula: str | None = None) -> str:
    """One ``<c>`` element: blank, number, inline string or formula (without a cached value)."""
    s = f' s="{style}"' if style else ""
    if formula:
        return f'<c r="{ref}"{s}><f>{formula_text(formula)}</f></c>'
    if value is None or value == "":
        return f'<c r="{ref}"{s}/>'
    if value.__class__ is str:  # most cells: skip the number test
        return f'<c r="{ref}"{s} t="inlineStr"><is>{text_element(value)}</is></c>'  # type: ignore[arg-type]
    number = number_text(value)
    if number is not None:
        return f'<c r="{ref}"{s}><v>{number}</v></c>'
    return f'<c r="{ref}"{s} t="inlineStr"><is>{text_element(str(value))}</is></c>'


def insert_before(xml: str, tags: Sequence[str], snippet: str) -> str:
    """Insert ``snippet`` before the first of ``tags`` found (else before ``</worksheet>``)."""
    positions = [p for p in (xml.find(t) for t in tags) if p >= 0]
    at = min(positions) if positions else xml.rindex("</worksheet>")
    return xml[:at] + snippet + xml[at:]


# ------------------------------------------------------------------------------------------ worksheet children


def _start(xml: str, tag: str, begin: int = 0, end: int | None = None) -> int:
    """Index of the start tag ``<tag`` (followed by space, ``>`` or ``/``) in xml[begin:end], or -1."""
    end = len(xml) if end is None else end
    at = xml.find(tag, begin, end)
    while at >= 0:
        nxt = xml[at + len(tag) : at + len(tag) + 1]
        if nxt in (" ", ">", "/", "\n", "\r", "\t"):
            return at
        at = xml.find(tag, at + 1, end)
    return -1


def child_span(xml: str, name: str, prefix: str = "") -> tuple[int, int] | None:
    """(start, end) of the worksheet child element ``name`` (top level), or None when absent."""
    data = _start(xml, f"<{prefix}sheetData")
    tag = f"<{prefix}{name}"
    if name == "sheetData":
        at = data
    elif WORKSHEET_ORDER.index(name) < WORKSHEET_ORDER.index("sheetData"):
        at = _start(xml, tag, 0, data if data >= 0 else None)
    else:
        after = _after_sheet_data(xml, prefix)
        at = _start(xml, tag, after)
        while at >= 0 and _inside_alternate(xml, at, after):
            at = _start(xml, tag, at + 1)
    if at < 0:
        return None
    close = xml.find(">", at)
    if xml[close - 1] == "/":
        return at, close + 1
    end_tag = f"</{prefix}{name}>"
    stop = xml.find(end_tag, close)
    return (at, stop + len(end_tag)) if stop >= 0 else None


def _after_sheet_data(xml: str, prefix: str) -> int:
    end = xml.find(f"</{prefix}sheetData>")
    if end >= 0:
        return end + len(f"</{prefix}sheetData>")
    at = _start(xml, f"<{prefix}sheetData")
    return xml.find(">", at) + 1 if at >= 0 else 0


def _inside_alternate(xml: str, at: int, begin: int) -> bool:
    """Whether position ``at`` is inside an ``<mc:AlternateContent>`` block (controls, OLE objects)."""
    opened = xml.rfind("<mc:AlternateContent", begin, at)
    return opened >= 0 and xml.find("</mc:AlternateContent>", opened, at) < 0


def set_child(xml: str, name: str, element: str | None, prefix: str = "") -> str:
    """``xml`` with the worksheet child ``name`` replaced by ``element`` (removed when None), or
    ``element`` inserted where the schema puts it. Every other byte stays as it was."""
    span = child_span(xml, name, prefix)
    if span is not None:
        return xml[: span[0]] + (element or "") + xml[span[1] :]
    if element is None:
        return xml
    return xml[: _insert_at(xml, name, prefix)] + element + xml[_insert_at(xml, name, prefix) :]


def drop_children(xml: str, name: str, prefix: str = "") -> str:
    """``xml`` without any of its top-level worksheet children ``name`` (a sheet may have many
    ``conditionalFormatting`` elements)."""
    span = child_span(xml, name, prefix)
    while span is not None:
        xml = xml[: span[0]] + xml[span[1] :]
        span = child_span(xml, name, prefix)
    return xml


def _insert_at(xml: str, name: str, prefix: str) -> int:
    """Where a missing child ``name`` goes: after the last child that precedes it in schema order."""
    order = WORKSHEET_ORDER.index(name)
    best = -1
    for before in WORKSHEET_ORDER[:order]:
        span = child_span(xml, before, prefix)
        if span is not None:
            best = max(best, span[1])
    if best < 0:  # nothing before it: right after the root's start tag
        root = xml.find(f"<{prefix}worksheet")
        return xml.find(">", root) + 1
    after = _after_sheet_data(xml, prefix)
    opened = xml.rfind("<mc:AlternateContent", after, best)
    if opened >= 0 and xml.find("</mc:AlternateContent>", opened, best) < 0:
        best = xml.find("</mc:AlternateContent>", best) + len("</mc:AlternateContent>")
    return best


def with_prefix(snippet: str, prefix: str) -> str:
    """Our unprefixed element names given the document's prefix (``x:``), for prefixed worksheets."""
    if not prefix:
        return snippet
    return re.sub(r"<(/?)(?=[A-Za-z])", lambda m: f"<{m.group(1)}{prefix}", snippet)


# ------------------------------------------------------------------------------------------ SheetSpec


@functools.lru_cache(maxsize=4096)
def _position(ref: str) -> tuple[int, int]:
    """``B12`` → (12, 2): the same few hundred addresses recur in every unit's sheets."""
    col, row = split_ref(ref)
    return row, col_index(col)


@functools.lru_cache(maxsize=1024)
def _blank_cells(rng: str, style: int) -> tuple[tuple[int, int, str], ...]:
    """(row, column, XML) of every blank styled cell of ``rng``."""
    return tuple((*_position(ref), cell_xml(ref, style, None)) for ref in cells_in(rng))


def render_spec(spec: SheetSpec, style_id: Callable[[str], int]) -> tuple[str, str, str, str]:
    """sheetData, mergeCells, hyperlinks and dimension of a SheetSpec (as the two renderers lay it out)."""
    grid: dict[int, dict[int, str]] = defaultdict(dict)
    for rng, style in spec.styled_ranges.items():
        for row, col, xml in _blank_cells(rng, style_id(style)):
            grid[row][col] = xml
    links = []
    for ref, cell in spec.cells.items():
        row, col = _position(ref)
        grid[row][col] = cell_xml(ref, style_id(cell.style), cell.value, cell.formula)
        if cell.link:
            display = str(cell.value or "")
            links.append(
                f'<hyperlink ref="{ref}" location="{attr_text(cell.link.lstrip("#"))}" display="{attr_text(display)}"/>'
            )
    rows = []
    for number in sorted({*grid, *spec.heights}):
        height = spec.heights.get(number)
        attrs = f' ht="{height:g}" customHeight="1"' if height else ""
        cells = grid.get(number, {})
        rows.append(f'<row r="{number}"{attrs}>' + "".join(cells[c] for c in sorted(cells)) + "</row>")
    data = "<sheetData>" + "".join(rows) + "</sheetData>"
    merges = ""
    if spec.merges:
        merges = (
            f'<mergeCells count="{len(spec.merges)}">'
            + "".join(f'<mergeCell ref="{m}"/>' for m in spec.merges)
            + "</mergeCells>"
        )
    hyperlinks = f"<hyperlinks>{''.join(links)}</hyperlinks>" if links else ""
    max_row = max(grid, default=1)
    max_col = max((max(r) for r in grid.values() if r), default=1)
    dimension = f"A1:{col_letter(max_col)}{max_row}" if grid else "A1"
    return data, merges, hyperlinks, dimension


# ------------------------------------------------------------------------------------------ notes


def mark_text(items: Sequence[Finding]) -> str:
    """The note of a marked cell, one line per finding, worst level first: ``【错误】message（CODE）``."""
    ordered = sorted(items, key=lambda f: _SEVERITY[f.level])
    return "\n".join(f"【{f.level.label}】{f.message}（{f.code}）" for f in ordered)


def comment_xml(ref: str, author_id: int, text: str) -> str:
    """One ``<comment>`` of a comments part (宋体 9 pt, as the notes the tool has always written)."""
    return (
        f'<comment ref="{ref}" authorId="{author_id}"><text><r><rPr><sz val="9"/><rFont val="宋体"/></rPr>'
        f"{text_element(text)}</r></text></comment>"
    )


def comments_xml(items: Sequence[tuple[str, str]], main_ns: str) -> bytes:
    """A comments part holding ``items`` (cell, text), every one by ``MARK_AUTHOR``."""
    body = "".join(comment_xml(ref, 0, text) for ref, text in items)
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<comments xmlns="{main_ns}">'
        f"<authors><author>{xml_text(MARK_AUTHOR)}</author></authors><commentList>{body}</commentList></comments>"
    ).encode()


def note_height(lines: int) -> int:
    """The height (px) of a note's box for ``lines`` findings."""
    return min(60 + 48 * lines, 400)


def vml_shape(ref: str, height: int, shape_id: int, z: int) -> str:
    """The VML shape Excel needs to show the note on ``ref`` (hidden until the cell is pointed at)."""
    col, row = split_ref(ref)
    c, r = col_index(col) - 1, row - 1
    anchor = f"{c + 1}, 15, {max(r - 1, 0)}, 10, {c + 4}, 15, {max(r - 1, 0) + max(height // 20, 4)}, 4"
    return (
        f'<v:shape id="_x0000_s{shape_id}" type="#_x0000_t202" '
        f'style="position:absolute;margin-left:59.25pt;margin-top:1.5pt;width:320px;height:{height}px;'
        f'z-index:{z};visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto">'
        '<v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/>'
        '<v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto">'
        '<div style="text-align:left"></div></v:textbox><x:ClientData ObjectType="Note">'
        f"<x:MoveWithCells/><x:SizeWithCells/><x:Anchor>{anchor}</x:Anchor><x:AutoFill>False</x:AutoFill>"
        f"<x:Row>{r}</x:Row><x:Column>{c}</x:Column></x:ClientData></v:shape>"
    )


NOTE_SHAPE_TYPE = (
    '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
    '<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
)


def vml_xml(items: Sequence[tuple[str, int]], drawing: int) -> bytes:
    """A VML drawing part with a note shape per (cell, height); shape ids in block ``drawing``."""
    shapes = "".join(vml_shape(ref, h, drawing * 1024 + 1 + k, k + 1) for k, (ref, h) in enumerate(items))
    return (
        '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit">'
        f'<o:idmap v:ext="edit" data="{drawing}"/></o:shapelayout>' + NOTE_SHAPE_TYPE + shapes + "</xml>"
    ).encode()


__all__ = [
    "MARK_AUTHOR",
    "MAX_TEXT",
    "WORKSHEET_ORDER",
    "attr_text",
    "cell_xml",
    "child_span",
    "comment_xml",
    "comments_xml",
    "drop_children",
    "formula_text",
    "insert_before",
    "mark_text",
    "note_height",
    "number_text",
    "render_spec",
    "set_child",
    "text_element",
    "vml_shape",
    "vml_xml",
    "with_prefix",
    "xml_text",
]
