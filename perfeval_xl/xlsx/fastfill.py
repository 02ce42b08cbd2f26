"""Fill a compiled template: parse the template once, then patch each unit's values into its sheet XML.

The output is the workbook ``xlsx.fill.fill_workbook`` writes, cell for cell (tests/test_fastfill.py
compares the two): the unit's inputs on 基本信息 and 绩效指标, the validation marks (the cell's fill in
the level's colour and a comment signed ``perfeval-xl``), the 校验结果 rows and the 自评表 snapshot
rendered from ``layout.summary.summary_sheet``. No workbook object is built per unit: string joins and
one zip, about ten times faster than loading the template with openpyxl.

How the template is compiled (once per process):

- It is rendered by ``render_xlsxwriter.render_book`` from ``layout.template.template_book``, with one
  styled blank cell per layout style on the 校验结果 sheet (rows from ``PALETTE_ROW``): that gives every
  style name its cellXfs index. Those rows never reach an output (the sheet's rows are written per unit).
  For each index a copy with each mark fill is appended to styles.xml (a mark changes only the fill,
  as ``xlsx.write._mark_cells`` does).
- Formula cells lose their cached values: the template's are the results for blank inputs, and
  LibreOffice shows cached results as they are (ground-notes.md). The workbook keeps XlsxWriter's
  ``fullCalcOnLoad``, so Excel and LibreOffice compute every formula on opening, as they do for the
  openpyxl path's files (openpyxl drops cached values too).
- A column of formulas that differ only by their row (the 绩效指标 得分/计分分值/不适用 columns) is stored
  as one shared formula, as Excel stores it, when openpyxl's ``Translator`` confirms every cell is the
  first one moved to its row: the 绩效指标 sheet shrinks from ~420 KB to ~40 KB of XML, which is most of
  the time spent compressing each workbook.
- The parts no unit changes are compressed once (``zippack.deflate`` at zlib's best level) and copied into
  every workbook as they are; the parts a unit changes are compressed with ISA-L (``zippack.FAST``). In a
  changed input sheet, the rows after the unit's last changed row are the template's own: their compressed
  form is kept per worker (for each row they can start at) and joined after the changed head
  (``zippack.join``), so the 300-row 绩效指标 sheet costs the compression of the unit's own rows only.
- Text from the data is always written as an inline string (``t="inlineStr"``), XML-escaped, so a value
  such as ``=1+1`` or ``@SUM(A1)`` stays text. Characters XML cannot hold are written as ``_xHHHH_``, the
  escape Excel uses; text longer than Excel's 32 767-character cell limit is cut there (``MAX_TEXT``).
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import re
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from html import unescape
from pathlib import Path
from typing import Any

from ..files import atomic_path
from ..layout import fields as F
from ..layout.spec import Cell, CellValue, SheetSpec, col_index, split_ref
from ..layout.styles import MARK_FILLS, STYLES
from ..layout.summary import summary_sheet
from ..layout.template import findings_sheet, template_book
from ..model import Evaluation, Finding, Level
from ..rules.scheme import Scheme, default_scheme
from ..rules.scoring import Scores
from . import zippack
from .fill import field_value
from .read import custom_properties
from .sheetxml import MAX_TEXT as MAX_TEXT  # re-exported: batch and the tests use it from here
from .sheetxml import attr_text as _attr
from .sheetxml import cell_xml, comments_xml, mark_text, vml_xml, xml_text
from .sheetxml import insert_before as _insert_before
from .sheetxml import render_spec as _render_spec
from .stylesheet import Stylesheet

#: First row of the style palette on the compiled template's 校验结果 sheet (never in an output).
PALETTE_ROW = 5001
#: ISA-L level of the parts a unit changes (``xlsx.zippack``; the unchanged parts are compressed once at
#: zlib level 9). The workbooks are ~10 % larger than at zlib's default level 6, and written ~10× faster.
COMPRESSLEVEL = zippack.FAST

_SEVERITY = {Level.ERROR: 0, Level.WARNING: 1, Level.INFO: 2}
_ROW_RE = re.compile(r'<row r="(\d+)"[^>]*?(?:/>|>.*?</row>)', re.S)
_CELL_RE = re.compile(r'<c r="([A-Z]+)(\d+)"([^>]*?)(?:/>|>(.*?)</c>)', re.S)
_STYLE_RE = re.compile(r'\ss="(\d+)"')
_DIMENSION_RE = re.compile(r'<dimension ref="[^"]*"/>')
_SHEET_DATA_RE = re.compile(r"<sheetData>.*?</sheetData>|<sheetData/>", re.S)
_MERGES_RE = re.compile(r'<mergeCells count="\d+">.*?</mergeCells>', re.S)
_CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
_VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
_MODIFIED_RE = re.compile(r"(<dcterms:modified[^>]*>)([^<]*)(</dcterms:modified>)")
_PART_TYPES = {
    "comments": "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml",
    "vml": "application/vnd.openxmlformats-officedocument.vmlDrawing",
}
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

# Elements that follow <mergeCells>, <hyperlinks> and <legacyDrawing> in a worksheet (ECMA-376 CT_Worksheet).
_AFTER_MERGES = ("<phoneticPr", "<conditionalFormatting", "<dataValidations", "<hyperlinks")
_AFTER_HYPERLINKS = (
    "<printOptions",
    "<pageMargins",
    "<pageSetup",
    "<headerFooter",
    "<rowBreaks",
    "<colBreaks",
    "<customProperties",
    "<cellWatches",
    "<ignoredErrors",
    "<smartTags",
    "<drawing",
)
_AFTER_LEGACY_DRAWING = (
    "<legacyDrawingHF",
    "<picture",
    "<oleObjects",
    "<controls",
    "<webPublishItems",
    "<tableParts",
    "<extLst",
)


class TemplateMismatch(RuntimeError):
    """The layout changed in a way the compiled template cannot follow (a programming error)."""


# ------------------------------------------------------------------------------------------ sheets


def _strip_cached(cell: re.Match[str]) -> str:
    """A formula cell without its cached value (and value type); other cells unchanged."""
    text = cell.group(0)
    if "<f" not in text:
        return text
    text = re.sub(r"<v>[^<]*</v>|<v/>", "", text)
    head_end = text.index(">") + 1  # the value type sits on <c …>, never on <f t="shared" …>
    return re.sub(r'\st="[^"]*"', "", text[:head_end], count=1) + text[head_end:]


def _share_formulas(xml: str) -> str:
    """Store each column of row-relative copies of one formula as a shared formula (see module doc)."""
    from openpyxl.formula.translate import Translator  # once per compiled template

    by_col: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for m in _CELL_RE.finditer(xml):
        body = m.group(4) or ""
        if body.startswith("<f>"):
            by_col[m.group(1)].append((int(m.group(2)), body[3 : body.index("</f>")]))
    shared: dict[str, tuple[int, int, int]] = {}  # column → (first row, last row, si)
    for col, cells in by_col.items():
        if len(cells) < 3:
            continue
        rows = [r for r, _ in cells]
        if rows != list(range(rows[0], rows[0] + len(rows))):
            continue
        first_row, first = cells[0]
        translator = Translator("=" + unescape(first), origin=f"{col}{first_row}")
        if all(translator.translate_formula(f"{col}{r}") == "=" + unescape(f) for r, f in cells[1:]):
            shared[col] = (rows[0], rows[-1], len(shared))
    if not shared:
        return xml

    def rewrite(m: re.Match[str]) -> str:
        col, row = m.group(1), int(m.group(2))
        spec = shared.get(col)
        body = m.group(4) or ""
        if spec is None or not body.startswith("<f>") or not spec[0] <= row <= spec[1]:
            return m.group(0)
        first_row, last_row, si = spec
        head = f'<c r="{col}{row}"{m.group(3)}>'
        if row == first_row:
            return f'{head}<f t="shared" ref="{col}{first_row}:{col}{last_row}" si="{si}">{body[3:]}</c>'
        return f'{head}<f t="shared" si="{si}"/></c>'

    return _CELL_RE.sub(rewrite, xml)


class Spliced(bytes):
    """A part whose bytes from ``head`` on are compressed already: ``tail()`` gives them (``zippack``)."""

    head: int
    tail: Callable[[], zippack.Deflated]


#: Most compressed sheet ends a worker keeps (one per number of indicators seen, and marks or not).
_MAX_TAILS = 128


@dataclass
class _Row:
    number: int
    open_tag: str  # <row r=".." ...>
    cells: dict[str, tuple[str, int]]  # column letters → (cell XML, style id)
    xml: bytes  # the row as in the template
    parts: dict[str, str] = field(default_factory=dict)  # column letters → cell XML (copied per change)

    def __post_init__(self) -> None:
        self.parts = {col: xml for col, (xml, _) in self.cells.items()}


class _PatchSheet:
    """An input sheet whose cells are replaced per unit (values, mark styles) and that can take comments."""

    def __init__(self, xml: str) -> None:
        start = xml.index("<sheetData>") + len("<sheetData>")
        end = xml.index("</sheetData>")
        self.head = xml[:start]
        self.tail = xml[end:]
        self.rows: dict[int, _Row] = {}
        self.order: list[int] = []
        for m in _ROW_RE.finditer(xml, start, end):
            text = m.group(0)
            number = int(m.group(1))
            open_tag = text[: text.index(">") + 1]
            if open_tag.endswith("/>"):
                open_tag = open_tag[:-2] + ">"
            cells = {}
            for c in _CELL_RE.finditer(text):
                style = _STYLE_RE.search(c.group(3))
                cells[c.group(1)] = (c.group(0), int(style.group(1)) if style else 0)
            self.rows[number] = _Row(number, open_tag, cells, text.encode())
            self.order.append(number)
        self.last_row = self.order[-1] if self.order else 0
        self.head_bytes = self.head.encode()
        self._tails: dict[tuple[int, str], zippack.Deflated] = {}

    def style(self, ref: str) -> int:
        col, row = split_ref(ref)
        r = self.rows.get(row)
        return r.cells.get(col, ("", 0))[1] if r else 0

    def render(
        self, cells: Mapping[str, tuple[CellValue | None, int | None]], legacy_drawing: str = ""
    ) -> bytes:
        """The sheet with ``cells`` (ref → (value or None to keep, style or None to keep)) replaced.

        The result is a ``Spliced``: the rows after the last changed one are the template's own, so their
        compressed form is kept (per first row and legacy drawing) and reused by ``CompiledTemplate.write``.
        """
        by_row: dict[int, dict[str, tuple[CellValue | None, int | None]]] = defaultdict(dict)
        for ref, change in cells.items():
            col, row = _split(ref)
            by_row[row][col] = change
        last = max(by_row, default=0)
        out = [self.head_bytes]
        new_rows = sorted(r for r in by_row if r not in self.rows)
        numbers = sorted({*self.order, *new_rows}) if new_rows else self.order
        for number in numbers[: bisect.bisect_right(numbers, last)]:
            row = self.rows.get(number)
            changes = by_row.get(number)
            if changes is None:
                out.append(row.xml)  # type: ignore[union-attr]
                continue
            out.append(self._row(number, row, changes).encode())
        tail = self.tail
        if new_rows and new_rows[-1] > self.last_row:
            out[0] = self._dimension(self.head, new_rows[-1]).encode()
        if legacy_drawing:
            tail = _insert_before(tail, _AFTER_LEGACY_DRAWING, legacy_drawing)
        start = bisect.bisect_right(self.order, last)  # the template's rows from here on are unchanged
        head = b"".join(out)
        rest = b"".join([*(self.rows[n].xml for n in self.order[start:]), tail.encode()])
        result = Spliced(head + rest)
        result.head = len(head)
        result.tail = functools.partial(self._tail, (start, legacy_drawing), rest)
        return result

    def _tail(self, key: tuple[int, str], rest: bytes) -> zippack.Deflated:
        """The unchanged end of the sheet, compressed once per worker for each place it can start."""
        found = self._tails.get(key)
        if found is None:
            if len(self._tails) >= _MAX_TAILS:
                self._tails.clear()
            found = self._tails[key] = zippack.deflate(rest)
        return found

    @staticmethod
    def _dimension(head: str, last_row: int) -> str:
        def widen(m: re.Match[str]) -> str:
            ref = m.group(0)[len('<dimension ref="') : -3]
            first, _, last = ref.partition(":")
            col = split_ref(last or first)[0]
            return f'<dimension ref="{first}:{col}{last_row}"/>'

        return _DIMENSION_RE.sub(widen, head, count=1)

    @staticmethod
    def _row(
        number: int, row: _Row | None, changes: Mapping[str, tuple[CellValue | None, int | None]]
    ) -> str:
        cells = row.cells if row else {}
        parts = dict(row.parts) if row else {}
        for col, (value, style) in changes.items():
            old_xml, old_style = cells.get(col, ("", 0))
            s = old_style if style is None else style
            ref = f"{col}{number}"
            if value is None and old_xml:
                parts[col] = _restyle(old_xml, ref, s)
            else:
                parts[col] = cell_xml(ref, s, value)
        ordered = sorted(parts, key=col_index) if changes.keys() - cells.keys() else list(parts)
        open_tag = row.open_tag if row else f'<row r="{number}">'
        return open_tag + "".join(parts[c] for c in ordered) + "</row>"


def _restyle(xml: str, ref: str, style: int) -> str:
    """A template cell (value kept) with another style."""
    if _STYLE_RE.search(xml[: xml.index(">")]):
        return _STYLE_RE.sub(f' s="{style}"', xml, count=1)
    return xml.replace(f'r="{ref}"', f'r="{ref}" s="{style}"', 1)


class _SpecSheet:
    """A sheet written whole per unit from a SheetSpec, in the template's frame (columns, print setup)."""

    def __init__(self, xml: str) -> None:
        xml = _SHEET_DATA_RE.sub("\x00DATA\x00", xml, count=1)
        xml = _MERGES_RE.sub("", xml, count=1)
        xml = re.sub(r"<hyperlinks>.*?</hyperlinks>", "", xml, flags=re.S)
        # The live sheet's conditional formats (borders of the rows in use) do not belong on a snapshot.
        xml = re.sub(r"<conditionalFormatting\b.*?</conditionalFormatting>", "", xml, flags=re.S)
        xml = _DIMENSION_RE.sub("\x00DIM\x00", xml, count=1)
        before, _, after = xml.partition("\x00DATA\x00")
        self.head, _, self.middle = before.partition("\x00DIM\x00")
        self.after = after

    def render(self, spec: SheetSpec, style_id: Any) -> tuple[bytes, str]:
        """The sheet's XML and its print area (``A1:I45``, "" when none)."""
        data, merges, links, dimension = _render_spec(spec, style_id)
        after = self.after
        if merges:
            after = _insert_before(after, _AFTER_MERGES + _AFTER_HYPERLINKS, merges)
        if links:
            after = _insert_before(after, _AFTER_HYPERLINKS, links)
        xml = f'{self.head}<dimension ref="{dimension}"/>{self.middle}{data}{after}'
        return xml.encode(), spec.print_setup.area


# ------------------------------------------------------------------------------------------ comments


def _sheet_rels(drawing: int) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/vmlDrawing" Target="../drawings/vmlDrawing{drawing}.vml"/>'
        f'<Relationship Id="rId2" Type="{_REL}/comments" Target="../comments{drawing}.xml"/>'
        "</Relationships>"
    ).encode()


# ------------------------------------------------------------------------------------------ properties


def custom_properties_xml(properties: Mapping[str, str]) -> bytes:
    body = "".join(
        f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="{pid}" name="{_attr(name)}">'
        f"<vt:lpwstr>{xml_text(value)}</vt:lpwstr></property>"
        for pid, (name, value) in enumerate(properties.items(), start=2)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Properties xmlns="{_CUSTOM_NS}" xmlns:vt="{_VT_NS}">{body}</Properties>'
    ).encode()


@dataclass(frozen=True)
class Stamp:
    """What a workbook says about itself: its custom properties and its last-modified time."""

    properties: dict[str, str]
    modified: str


def read_stamp(path: Path) -> Stamp | None:
    """Custom document properties and core ``modified`` of an .xlsx, or None when it cannot be read
    (opened as every reader opens a workbook: ``xlsx.package``, within its limits)."""
    from .package import Package, WorkbookError

    try:
        with Package(Path(path)) as pkg:
            custom = pkg.text("docProps/custom.xml") if pkg.has("docProps/custom.xml") else ""
            core = pkg.text("docProps/core.xml") if pkg.has("docProps/core.xml") else ""
    except (WorkbookError, OSError):
        return None
    props = custom_properties(custom)
    m = _MODIFIED_RE.search(core)
    return Stamp(props, m.group(2) if m else "")


# ------------------------------------------------------------------------------------------ the template


@dataclass
class _Parts:
    names: list[str]
    data: dict[str, bytes]


class CompiledTemplate:
    """The template, parsed once; ``write`` fills a copy with one evaluation (see module doc)."""

    def __init__(self, rules: Scheme | None = None, compresslevel: int = COMPRESSLEVEL) -> None:
        self.rules = rules = rules or default_scheme()
        self.compresslevel = compresslevel
        book = template_book(rules)
        self.sheet_names = [s.name for s in book.sheets]
        findings = next(s for s in book.sheets if s.name == F.FINDINGS)
        palette_names = list(STYLES)
        for i, name in enumerate(palette_names):
            findings.styled_ranges[f"A{PALETTE_ROW + i}"] = name
        parts = _render_parts(book)
        self.part_names = parts.names
        self._static = dict(parts.data)
        sheet_part = {name: f"xl/worksheets/sheet{i}.xml" for i, name in enumerate(self.sheet_names, start=1)}
        self._sheet_part = sheet_part
        xml = {name: parts.data[part].decode() for name, part in sheet_part.items()}

        # style ids: the palette, then a copy of each with each mark fill
        palette = {}
        for m in _CELL_RE.finditer(xml[F.FINDINGS]):
            row = int(m.group(2))
            if row >= PALETTE_ROW:
                style = _STYLE_RE.search(m.group(3))
                palette[palette_names[row - PALETTE_ROW]] = int(style.group(1)) if style else 0
        if set(palette) != set(palette_names):
            raise TemplateMismatch("样式表未能为每个样式生成编号。")
        # marks go on the input sheets: a marked copy of each style used there
        used = {int(s) for name in (F.INFO, F.INDICATORS) for s in _STYLE_RE.findall(xml[name])}
        styles, self._marked = _add_mark_styles(
            parts.data["xl/styles.xml"].decode(), used | {0, palette["note"]}
        )
        self._static["xl/styles.xml"] = styles.encode()
        self._style = palette

        # sheets
        for name in self.sheet_names:
            text = _CELL_RE.sub(_strip_cached, xml[name])
            if name == F.INDICATORS:
                text = _share_formulas(text)
            xml[name] = text
            self._static[sheet_part[name]] = text.encode()
        self._info = _PatchSheet(xml[F.INFO])
        self._indicators = _PatchSheet(xml[F.INDICATORS])
        self._summary = _SpecSheet(xml[F.SUMMARY])
        self._findings = _SpecSheet(xml[F.FINDINGS])
        self._check_frames(book)

        # workbook.xml: the 自评表 print area changes with the number of indicators
        workbook = parts.data["xl/workbook.xml"].decode()
        index = self.sheet_names.index(F.SUMMARY)
        m = re.search(rf'(<definedName name="_xlnm.Print_Area" localSheetId="{index}">)([^<]*)(<)', workbook)
        if m is None:
            raise TemplateMismatch("模板中没有“自评表”的打印区域。")
        # The live 自评表's print area grows by formula; a snapshot has a fixed one.
        self._workbook = (workbook[: m.end(1)] + f"'{F.SUMMARY}'!", workbook[m.start(3) :])

        custom = parts.data.get("docProps/custom.xml", b"").decode()
        self.properties = custom_properties(custom)
        self._core = parts.data["docProps/core.xml"].decode()
        self._content_types = parts.data["[Content_Types].xml"].decode()
        # the parts as every unit gets them unless it changes them: compressed once
        self._packed = {
            name: (data, zippack.deflate(data, zippack.BEST)) for name, data in self._static.items()
        }

    # -- styles
    @functools.cache  # noqa: B019 (one compiled template per worker, kept for its life)
    def style_id(self, key: str) -> int:
        """cellXfs index of a layout style name, or of ``name|level`` (the style with a mark fill)."""
        name, _, level = key.partition("|")
        base = self._style[name]
        return self._marked[(base, level)] if level else base

    def _check_frames(self, book: Any) -> None:
        """The per-unit sheets keep the template's columns and print setup: they must not differ."""
        live = next(s for s in book.sheets if s.name == F.SUMMARY)
        snap = summary_sheet(Evaluation(), _EMPTY_SCORES, self.rules)
        same = (
            live.widths == snap.widths
            and live.hidden_columns == snap.hidden_columns
            and live.freeze == snap.freeze
            and live.tab_color == snap.tab_color
            and live.protect == snap.protect
            and replace(live.print_setup, area="", dynamic_last_row="")
            == replace(snap.print_setup, area="", dynamic_last_row="")
        )
        if not same:
            raise TemplateMismatch("“自评表”快照与模板的列宽或打印设置不同，快速填写无法沿用模板的版式。")

    # -- one unit
    def parts(
        self,
        ev: Evaluation,
        *,
        findings: Sequence[Finding] | None = None,
        scores: Scores | None = None,
        properties: Mapping[str, str] | None = None,
        modified: str = "",
    ) -> list[tuple[str, bytes]]:
        """The zip parts of ``ev``'s workbook, in order (what ``write`` stores)."""
        data = dict(self._static)
        extra: list[str] = []
        content_types = ""

        info: dict[str, tuple[CellValue | None, int | None]] = {}
        for f in F.FIELDS:
            value = field_value(ev, f.key)
            if value is not None and value != "":
                info[f.cell] = (value, None)
        indicators: dict[str, tuple[CellValue | None, int | None]] = {}
        for i, ind in enumerate(ev.indicators):
            row = F.INDICATOR_FIRST_ROW + i
            for col in F.INPUT_COLUMNS:
                value = getattr(ind, col.key)
                if value is not None and value != "":
                    indicators[f"{col.letter}{row}"] = (value, None)

        drawings = {F.INFO: 0, F.INDICATORS: 0}
        if findings:
            marks: dict[tuple[str, str], list[Finding]] = defaultdict(list)
            for f in findings:
                if f.sheet in drawings and f.cell:
                    marks[(f.sheet, f.cell)].append(f)
            comments: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
            for (sheet, ref), items in marks.items():
                cells, patch = (info, self._info) if sheet == F.INFO else (indicators, self._indicators)
                worst = min(items, key=lambda f: _SEVERITY[f.level]).level
                value = cells.get(ref, (None, None))[0]
                cells[ref] = (value, self._mark_style(patch.style(ref), worst.value))
                comments[sheet].append((ref, mark_text(items), min(60 + 48 * len(items), 400)))
            number = 0
            for sheet in (F.INFO, F.INDICATORS):
                if not comments[sheet]:
                    continue
                number += 1
                drawings[sheet] = number
                items = sorted(
                    comments[sheet], key=lambda c: (split_ref(c[0])[1], col_index(split_ref(c[0])[0]))
                )
                data[f"xl/comments{number}.xml"] = comments_xml(
                    [(ref, text) for ref, text, _ in items], _MAIN_NS
                )
                data[f"xl/drawings/vmlDrawing{number}.vml"] = vml_xml(
                    [(ref, h) for ref, _, h in items], number
                )
                rels = self._sheet_part[sheet].replace("worksheets/", "worksheets/_rels/") + ".rels"
                data[rels] = _sheet_rels(number)
                extra += [rels, f"xl/comments{number}.xml", f"xl/drawings/vmlDrawing{number}.vml"]
                content_types += (
                    f'<Override PartName="/xl/comments{number}.xml" ContentType="{_PART_TYPES["comments"]}"/>'
                )
            if number:
                content_types += f'<Default Extension="vml" ContentType="{_PART_TYPES["vml"]}"/>'

        legacy = '<legacyDrawing r:id="rId1"/>'
        data[self._sheet_part[F.INFO]] = self._info.render(info, legacy if drawings[F.INFO] else "")
        data[self._sheet_part[F.INDICATORS]] = self._indicators.render(
            indicators, legacy if drawings[F.INDICATORS] else ""
        )
        if findings is not None:
            data[self._sheet_part[F.FINDINGS]] = self._findings.render(
                findings_spec(findings, scheme=self.rules), self.style_id
            )[0]
        else:
            data[self._sheet_part[F.FINDINGS]] = self._findings.render(
                findings_sheet(self.rules), self.style_id
            )[0]
        if scores is not None:
            summary_xml, area = self._summary.render(summary_sheet(ev, scores, self.rules), self.style_id)
            data[self._sheet_part[F.SUMMARY]] = summary_xml
            prefix, suffix = self._workbook
            data["xl/workbook.xml"] = (prefix + _absolute_area(area) + suffix).encode()
        if content_types:
            data["[Content_Types].xml"] = self._content_types.replace(
                "</Types>", content_types + "</Types>"
            ).encode()
        props = {**self.properties, **(properties or {})}
        if props:
            data["docProps/custom.xml"] = custom_properties_xml(props)
        if modified:
            data["docProps/core.xml"] = _MODIFIED_RE.sub(
                lambda m: m.group(1) + modified + m.group(3), self._core
            ).encode()
        return [(name, data[name]) for name in [*self.part_names, *extra]]

    def _mark_style(self, base: int, level: str) -> int | None:
        return self._marked.get((base, level))

    def write(
        self,
        ev: Evaluation,
        out: Path,
        *,
        findings: Sequence[Finding] | None = None,
        scores: Scores | None = None,
        properties: Mapping[str, str] | None = None,
        modified: str = "",
    ) -> Path:
        """Write ``ev``'s workbook to ``out`` atomically (temporary file, then rename)."""
        parts = self.parts(ev, findings=findings, scores=scores, properties=properties, modified=modified)
        packed = [(name, self._compressed(name, data)) for name, data in parts]
        with atomic_path(Path(out)) as tmp:
            write_zip(tmp, packed, self.compresslevel)
        return Path(out)

    def _compressed(self, name: str, data: bytes) -> bytes | zippack.Deflated:
        """The part compressed once, when ``data`` is the template's own part object; a ``Spliced`` part
        as its changed head (compressed now) joined to its unchanged tail (compressed once); else ``data``."""
        if isinstance(data, Spliced):
            return zippack.join(zippack.deflate_open(data[: data.head], self.compresslevel), data.tail())
        kept = self._packed.get(name)
        return kept[1] if kept is not None and kept[0] is data else data


_EMPTY_SCORES = Scores(None, None, (), Decimal(0), Decimal(0), None, "", blocked=("没有绩效指标",))


def write_zip(
    path: Path, parts: Iterable[tuple[str, bytes | zippack.Deflated]], compresslevel: int = COMPRESSLEVEL
) -> None:
    """Write the zip of ``parts`` to ``path`` in one write: bytes are compressed with ISA-L at
    ``compresslevel``, ``Deflated`` parts are stored as they are (``xlsx.zippack``)."""
    path.write_bytes(
        zippack.pack(
            (name, data if isinstance(data, zippack.Deflated) else zippack.deflate(data, compresslevel))
            for name, data in parts
        )
    )


def _absolute_area(area: str) -> str:
    first, _, last = area.partition(":")
    c1, r1 = split_ref(first)
    c2, r2 = split_ref(last or first)
    return f"${c1}${r1}:${c2}${r2}"


@functools.lru_cache(maxsize=8192)
def _split(ref: str) -> tuple[str, int]:
    """``split_ref``, cached: the same few thousand addresses recur in every unit's sheets."""
    return split_ref(ref)


def _render_parts(book: Any) -> _Parts:
    from .render_xlsxwriter import render_book  # once per compiled template

    with tempfile.TemporaryDirectory(prefix="perfeval-template-") as tmp:
        path = Path(tmp) / "template.xlsx"
        render_book(book, path)
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            return _Parts(names, {n: z.read(n) for n in names})


def _add_mark_styles(styles: str, bases: set[int]) -> tuple[str, dict[tuple[int, str], int]]:
    """styles.xml with, per base cell format, a copy using each mark fill (``xlsx.stylesheet``, as the
    writer of a clerk's workbook marks cells); (base, level) → index of the copy."""
    sheet = Stylesheet(styles)
    marked = {
        (base, level): sheet.with_fill(base, rgb)
        for base in sorted(bases)
        for level, rgb in MARK_FILLS.items()
    }
    return sheet.xml(), marked


# ------------------------------------------------------------------------------------------ 校验结果


def findings_spec(
    findings: Sequence[Finding], when: dt.datetime | None = None, *, scheme: Scheme | None = None
) -> SheetSpec:
    """The 校验结果 sheet with ``findings`` (as xlsx.write._write_findings_sheet lays it out)."""
    spec = findings_sheet(scheme)
    counts = {lvl: sum(1 for f in findings if f.level is lvl) for lvl in Level}
    stamp = (when or dt.datetime.now()).strftime("%Y-%m-%d %H:%M")
    summary = (
        f"校验时间 {stamp}：错误 {counts[Level.ERROR]} 项，警告 {counts[Level.WARNING]} 项，提示 {counts[Level.INFO]} 项。"
        + ("点击“单元格”列可跳转到对应位置；修改后请重新校验。" if findings else "未发现问题。")
    )
    spec.cells["A2"] = replace(spec.cells["A2"], value=summary)
    ordered = sorted(
        findings, key=lambda f: (_SEVERITY[f.level], F.SHEETS.index(f.sheet) if f.sheet in F.SHEETS else 9)
    )
    for i, f in enumerate(ordered, start=1):
        r = 3 + i
        values = (i, f.level.label, f.code, f.sheet, f.cell, f.message)
        for col, value in zip("ABCDEF", values, strict=True):
            spec.cells[f"{col}{r}"] = Cell(value, "note")
        spec.cells[f"B{r}"] = Cell(f.level.label, f"note|{f.level.value}")
        if f.sheet in F.SHEETS and f.cell:
            spec.cells[f"E{r}"] = Cell(f.cell, "link", link=f"#'{f.sheet}'!{f.cell}")
    return spec
