"""Cells out of a worksheet part's XML: sparse, only the columns asked for, in bounded time and memory.

``scan`` returns the cells that hold something (a value or a formula) in the given columns, as a dict
(row, column) → ``RawCell``, plus the sheet's merged ranges. It never builds a grid from what the sheet
declares: ``<dimension>`` is ignored (WPS and some generators write one smaller than the data), and a single
value in XFD1048576 costs one dict entry, or nothing when its column is not asked for. Values are those a
spreadsheet library returns: numbers (int when whole), text (shared, inline and rich-text strings, with
``_xHHHH_`` escapes decoded and phonetic runs left out), booleans, error texts such as ``#DIV/0!``, and
dates (``datetime``) where the cell's number format is a date format, in the 1900 or 1904 date system.

A formula cell's value is its stored (cached) result, as Excel and LibreOffice save it; ``RawCell.formula``
holds the formula text ("" for a cell sharing another cell's formula) and ``RawCell.cached`` says whether a
result was stored at all (openpyxl and some generators store none).

Damage is a ``CellError`` naming the cell: a shared-string index that does not exist, a number that is not
one or not finite (``1E999``), a date that is not one, a coordinate outside Excel's sheet.

Speed: Excel, LibreOffice, WPS, XlsxWriter and openpyxl all write ``<c r="B4" …>`` with the reference
first; for those, one regular expression that only matches non-empty cells of the wanted columns finds the
cells (C speed; the formulas of other columns are skipped unread). A sheet written otherwise (cells
without a reference, the reference not first, prefixed element names) is read by a slower general
tokenizer that tracks row and column positions as the format defines them. Both give the same cells
(tests/test_reader.py).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from html import unescape
from typing import Any, NamedTuple

#: Excel's sheet size.
MAX_ROW = 1_048_576
MAX_COL = 16_384
#: Excel's last serial date (9999-12-31).
_MAX_SERIAL = 2_958_465


class CellError(Exception):
    """A cell the file cannot hold as it does (damaged part). ``ref`` is ``B12``; the message is Chinese."""

    def __init__(self, ref: str, message: str) -> None:
        super().__init__(message)
        self.ref = ref


class RowLimit(Exception):
    """A cell with content below ``last_row`` (raised as soon as it is seen; the scan stops there)."""

    def __init__(self, row: int) -> None:
        super().__init__(row)
        self.row = row


class RawCell(NamedTuple):
    value: Any  # None, str, int, float, bool, datetime
    formula: str | None = None  # None: a plain value
    cached: bool = True  # a formula cell: whether a result was stored


@dataclass
class SheetCells:
    cells: dict[tuple[int, int], RawCell]
    merges: list[tuple[int, int, int, int]]  # (first row, first col, last row, last col)


def col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def col_name(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


# ------------------------------------------------------------------------------------------ text


_XESC = re.compile(r"_x([0-9A-Fa-f]{4})_")
_T = re.compile(rb"<t\b[^>]*?(?:/>|>([^<]*)</t>)")
_RPH = re.compile(rb"<rPh\b.*?</rPh>", re.S)
_PLAIN_SI = re.compile(rb'<t(?: xml:space="preserve")?>([^<]*)</t>')


def xml_unescape(raw: bytes) -> str:
    """Element text as the XML parser gives it, with OOXML's ``_xHHHH_`` escapes decoded."""
    text = raw.decode("utf-8", "replace")
    if "&" in text:
        text = unescape(text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "_x" in text:
        text = _XESC.sub(lambda m: chr(int(m.group(1), 16)), text)
    return text


def rich_text(content: bytes) -> str:
    """The text of a ``<si>`` or ``<is>`` body: every ``<t>`` of it, phonetic runs (``<rPh>``) left out."""
    if b"<rPh" in content:
        content = _RPH.sub(b"", content)
    return "".join(xml_unescape(m) for m in _T.findall(content) if m)


class SharedStrings:
    """The shared-string table (``xl/sharedStrings.xml``), decoded one string at a time when asked for."""

    _SI = re.compile(rb"<si\b[^>/]*(?:/>|>([^<]*(?:<(?!/si>)[^<]*)*)</si>)")

    def __init__(self, xml: bytes | None) -> None:
        self._items: list[bytes] = self._SI.findall(strip_prefix(xml)) if xml else []
        self._decoded: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self._items)

    def get(self, index: int) -> str | None:
        """String ``index``, or None when the table has no such string."""
        if not 0 <= index < len(self._items):
            return None
        text = self._decoded.get(index)
        if text is None:
            body = self._items[index]
            m = _PLAIN_SI.fullmatch(body)
            text = xml_unescape(m.group(1)) if m else rich_text(body) if b"<" in body else ""
            self._decoded[index] = text
        return text


# ------------------------------------------------------------------------------------------ number formats

_BUILTIN_DATES = frozenset((*range(14, 23), *range(27, 37), 45, 46, 47, *range(50, 59), *range(71, 82)))
_NUMFMT = re.compile(rb"<numFmt\b([^>]*?)/?>")
_CELLXFS = re.compile(rb"<cellXfs\b[^>]*>(.*?)</cellXfs>", re.S)
_XF = re.compile(rb"<xf\b([^>]*?)/?>")
_ATTR_B = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_QUOTED = re.compile(r'"[^"]*"|\\.|\[(?![hHmMsS]+\])[^\]]*\]')


def _attrs(body: bytes) -> dict[bytes, bytes]:
    return {m.group(1): m.group(2) if m.group(2) is not None else m.group(3) for m in _ATTR_B.finditer(body)}


def is_date_format(code: str) -> bool:
    """Whether a number format code shows a date or time (``yyyy"年"m"月"d"日"``, ``[h]:mm``, …)."""
    section = code.split(";")[0]
    bare = _QUOTED.sub("", section).lower()
    if "general" in bare:
        return False
    return any(ch in bare for ch in "dmyhse") and not any(ch in bare for ch in "0#?")


class CellFormats:
    """Which cell style indices (``s``) carry a date format (``xl/styles.xml``)."""

    def __init__(self, xml: bytes | None) -> None:
        self._custom: dict[int, str] = {}
        self._xf_formats: list[int] = []
        self._dates: dict[int, bool] = {}
        if not xml:
            return
        xml = strip_prefix(xml)
        for m in _NUMFMT.finditer(xml):
            a = _attrs(m.group(1))
            try:
                self._custom[int(a.get(b"numFmtId", b"-1"))] = xml_unescape(a.get(b"formatCode", b""))
            except ValueError:
                continue
        block = _CELLXFS.search(xml)
        for m in _XF.finditer(block.group(1) if block else b""):
            try:
                self._xf_formats.append(int(_attrs(m.group(1)).get(b"numFmtId", b"0")))
            except ValueError:
                self._xf_formats.append(0)

    def is_date(self, style: int) -> bool:
        known = self._dates.get(style)
        if known is None:
            fmt = self._xf_formats[style] if 0 <= style < len(self._xf_formats) else 0
            known = is_date_format(self._custom[fmt]) if fmt in self._custom else fmt in _BUILTIN_DATES
            self._dates[style] = known
        return known


def from_serial(serial: float, date1904: bool) -> dt.datetime | None:
    """A spreadsheet serial date as a datetime (Excel's 1900 leap-year bug kept), None out of range."""
    if not 0 <= serial <= _MAX_SERIAL:
        return None
    if date1904:
        base = dt.datetime(1904, 1, 1)
    elif serial < 60:
        base = dt.datetime(1899, 12, 31)
    else:
        base = dt.datetime(1899, 12, 30)
    return base + dt.timedelta(seconds=round(serial * 86400))


# ------------------------------------------------------------------------------------------ cells

_T_ATTR = re.compile(rb'\bt\s*=\s*["\']([^"\']*)["\']')
_S_ATTR = re.compile(rb'\bs\s*=\s*["\'](\d+)["\']')
_R_ATTR = re.compile(rb'\br\s*=\s*["\']\$?([A-Za-z]{0,3})\$?(\d*)["\']')
_V = re.compile(rb"<v\b[^>]*?(?:/>|>([^<]*)</v>)")
_F = re.compile(rb"<f\b[^>]*?(?:/>|>([^<]*)</f>)")
_IS = re.compile(rb"<is\b[^>]*>(.*?)</is>", re.S)
_MERGE = re.compile(rb'<mergeCell\b[^>]*?\bref\s*=\s*["\']([^"\']+)["\']')
_ROOT_PREFIX = re.compile(rb"<(?![?!])(?:([\w.-]+):)?[\w.-]+[\s>/]")
_ODD_CELL = re.compile(rb"<c(?:[>\t\n\r]|/>)")
_GENERAL = re.compile(rb"<(row|c)\b([^>]*)>")
_RANGE = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?Z?$")


@functools.lru_cache(maxsize=64)
def _fast_pattern(letters: tuple[str, ...]) -> re.Pattern[bytes]:
    """Non-empty cells of the given columns, reference first.

    Groups: column, row, style (when written right after the reference), type (when right after that),
    the other attributes, the value of a body that is only ``<v>…</v>``, the text of a body that is only
    ``<is><t>…</t></is>``, else the whole body.
    """
    alternation = b"|".join(sorted((x.encode() for x in letters), key=len, reverse=True))
    return re.compile(
        rb'<c r="(' + alternation + rb')(\d+)"(?: s="(\d+)")?(?: t="(\w+)")?([^>/]*)>'
        rb'(?:<v>([^<]*)</v>|<is><t(?: xml:space="preserve")?>([^<]*)</t></is>|([^<]*(?:<(?!/c>)[^<]*)*))</c>'
    )


def strip_prefix(xml: bytes) -> bytes:
    """Element names of the root's prefix (``<x:c>``) without it, so one pattern reads every part."""
    m = _ROOT_PREFIX.search(xml, 0, 4096)
    if not m or not m.group(1):
        return xml
    p = m.group(1)
    return xml.replace(b"<" + p + b":", b"<").replace(b"</" + p + b":", b"</")


class _Decoder:
    """Turns one cell's attributes and body into a RawCell (see module doc)."""

    def __init__(self, strings: SharedStrings, formats: CellFormats, date1904: bool) -> None:
        self.strings, self.formats, self.date1904 = strings, formats, date1904

    def __call__(self, col: bytes, row: int, attrs: bytes, body: bytes) -> RawCell | None:
        """The cell of a start tag's attributes and its body (the general tokenizer's entry)."""
        tm = _T_ATTR.search(attrs)
        sm = _S_ATTR.search(attrs)
        return self.cell(col, row, tm.group(1) if tm else b"n", sm.group(1) if sm else b"", body)

    def cell(self, col: bytes, row: int, kind: bytes, style: bytes, body: bytes) -> RawCell | None:
        formula: str | None = None
        if b"<f" in body:
            fm = _F.search(body)
            if fm is not None:
                formula = xml_unescape(fm.group(1) or b"")
        if kind == b"inlineStr":
            im = _IS.search(body)
            if im is None:
                return RawCell(None, formula, False) if formula is not None else None
            return RawCell(rich_text(im.group(1)), formula)
        vm = _V.search(body)
        raw = vm.group(1) if vm else None
        if raw is None or (raw == b"" and kind != b"str"):
            if formula is None:
                return None
            return RawCell(None, formula, kind == b"str" and vm is not None)
        return RawCell(self.value(col, row, kind, raw, style), formula)

    def value(self, col: bytes, row: int, kind: bytes, raw: bytes, style: bytes) -> Any:
        """A stored value of type ``kind`` (the cell's ``t``) as Python (see module doc)."""
        if kind == b"n":
            try:
                number = float(raw)
            except ValueError:
                number = None
            if number is None or number - number != 0:  # not a number, inf or nan
                ref = f"{col.decode()}{row}"
                why = "不是数字" if number is None else "超出范围（不是有限的数）"
                raise CellError(ref, f"单元格 {ref} 的数值“{xml_unescape(raw)[:30]}”{why}")
            if style and self.formats.is_date(int(style)):
                when = from_serial(number, self.date1904)
                if when is not None:
                    return when
            if number.is_integer() and abs(number) < 2**53:
                return int(number)
            return number
        ref = f"{col.decode()}{row}"
        if kind == b"s":
            try:
                index = int(raw)
            except ValueError:
                raise CellError(ref, f"单元格 {ref} 的共享字符串编号“{xml_unescape(raw)[:20]}”无效") from None
            text = self.strings.get(index)
            if text is None:
                raise CellError(
                    ref, f"单元格 {ref} 引用了不存在的共享字符串（第 {index} 个，共 {len(self.strings)} 个）"
                )
            return text
        if kind in (b"str", b"e"):
            return xml_unescape(raw)
        if kind == b"b":
            return raw.strip() in (b"1", b"true")
        if kind == b"d":
            text = xml_unescape(raw).strip()
            if not _ISO.match(text):
                raise CellError(ref, f"单元格 {ref} 的日期“{text[:30]}”无法识别")
            return dt.datetime.fromisoformat(text.rstrip("Z").replace(" ", "T"))
        raise CellError(ref, f"单元格 {ref} 的类型“{xml_unescape(kind)[:10]}”无法识别")


def scan(
    xml: bytes,
    columns: Iterable[str],
    decoder: _Decoder,
    *,
    first_row: int = 1,
    last_row: int = MAX_ROW,
    stop_row: int | None = None,
    extra: tuple[int, Iterable[str]] | None = None,
) -> SheetCells:
    """The non-empty cells of ``columns`` (letters) in rows ``first_row``..``last_row``, and the merges.

    ``extra``: (row, letters) — also the cells of these columns on that one row (a header row).
    ``stop_row``: a cell with content in one of the columns at or below this row raises ``RowLimit`` as
    soon as it is met (the sheet is not read further). ``decoder`` comes from ``make_decoder``.
    """
    data = frozenset(col_number(x) for x in columns)
    extra_row, extra_cols = (
        (extra[0], frozenset(col_number(x) for x in extra[1])) if extra else (0, frozenset())
    )
    xml = strip_prefix(xml)
    merges = _merges(xml)
    if xml.count(b'<c r="') != xml.count(b"<c ") or _ODD_CELL.search(xml):
        every = data | extra_cols
        cells = _scan_general(xml, every, data, extra_row, decoder, first_row, last_row, stop_row)
        return SheetCells(cells, merges)
    cells = _scan_fast(xml, data, data, 0, decoder, first_row, last_row, stop_row)
    if extra_row and first_row <= extra_row <= last_row:  # one row of other columns: read its slice only
        at = xml.find(b'<row r="%d"' % extra_row)
        end = xml.find(b"</row>", at) if at >= 0 else -1
        row_xml = xml[at:end] if at >= 0 and end >= 0 else xml
        cells.update(
            _scan_fast(row_xml, extra_cols, frozenset(), extra_row, decoder, extra_row, extra_row, None)
        )
    return SheetCells(cells, merges)


def make_decoder(strings: SharedStrings, formats: CellFormats, date1904: bool) -> _Decoder:
    return _Decoder(strings, formats, date1904)


_CHUNK = 4 << 20


def _scan_fast(
    xml: bytes,
    every: frozenset[int],
    data_columns: frozenset[int],
    extra_row: int,
    decoder: _Decoder,
    first_row: int,
    last_row: int,
    stop_row: int | None,
) -> dict[tuple[int, int], RawCell]:
    pattern = _fast_pattern(tuple(sorted(col_name(c) for c in every)))
    numbers = {col_name(c).encode(): c for c in every}
    cells: dict[tuple[int, int], RawCell] = {}
    value, cell_of = decoder.value, decoder.cell
    pos, end = 0, len(xml)
    while pos < end:  # in slices, so that a sheet with a million filled rows stops at the first one too far
        cut = xml.find(b"<row", pos + _CHUNK) if end - pos > _CHUNK else -1
        stop = end if cut < 0 else cut
        for col, row_text, style, kind, attrs, v, inline, body in pattern.findall(xml, pos, stop):
            row = int(row_text)
            number = numbers[col]
            if stop_row is not None and row >= stop_row:
                if number in data_columns and (v or inline or _has_content(body)):
                    raise RowLimit(row)
                continue
            if row < first_row or row > last_row or (row != extra_row and number not in data_columns):
                continue
            if row > MAX_ROW:
                raise CellError(f"{col.decode()}{row}", f"单元格 {col.decode()}{row} 超出 Excel 的最大行数")
            if not kind and b"t=" in attrs:  # attributes in another order
                tm = _T_ATTR.search(attrs)
                kind = tm.group(1) if tm else b""
            if not style and b"s=" in attrs:
                sm = _S_ATTR.search(attrs)
                style = sm.group(1) if sm else b""
            if v or (not body and not inline and kind == b"str"):  # a plain value: most cells
                cells[(row, number)] = RawCell(value(col, row, kind or b"n", v, style))
            elif inline and kind == b"inlineStr":
                cells[(row, number)] = RawCell(xml_unescape(inline))
            elif body:
                cell = cell_of(col, row, kind or b"n", style, body)
                if cell is not None:
                    cells[(row, number)] = cell
        pos = stop
    return cells


def _has_content(body: bytes) -> bool:
    return bool(_V.search(body) or _F.search(body) or _IS.search(body))


def _scan_general(
    xml: bytes,
    every: frozenset[int],
    data_columns: frozenset[int],
    extra_row: int,
    decoder: _Decoder,
    first_row: int,
    last_row: int,
    stop_row: int | None,
) -> dict[tuple[int, int], RawCell]:
    """Cells of any sheet XML: references may be missing (then implied by position) or anywhere."""
    cells: dict[tuple[int, int], RawCell] = {}
    row = 0
    col = 0
    for m in _GENERAL.finditer(xml):
        kind, attrs = m.group(1), m.group(2)
        rm = _R_ATTR.search(attrs)
        if kind == b"row":
            row = int(rm.group(2)) if rm and rm.group(2) else row + 1
            col = 0
            continue
        if rm and rm.group(1):
            col = col_number(rm.group(1).decode().upper())
            if rm.group(2):
                row = int(rm.group(2))
        else:
            col += 1
        if row > MAX_ROW or col > MAX_COL or row < 1:
            raise CellError(f"{col_name(col)}{row}", f"单元格 {col_name(col)}{row} 超出 Excel 的工作表范围")
        if attrs.endswith(b"/") or col not in every:
            continue
        close = xml.find(b"</c>", m.end())
        if close < 0:
            break
        body = xml[m.end() : close]
        if stop_row is not None and row >= stop_row:
            if col in data_columns and _has_content(body):
                raise RowLimit(row)
            continue
        if row < first_row or row > last_row or (row != extra_row and col not in data_columns):
            continue
        cell = decoder(col_name(col).encode(), row, attrs, body)
        if cell is not None:
            cells[(row, col)] = cell
    return cells


def _merges(xml: bytes) -> list[tuple[int, int, int, int]]:
    at = xml.rfind(b"</sheetData>")
    out = []
    for raw in _MERGE.findall(xml, max(at, 0)):
        m = _RANGE.match(raw.decode("ascii", "replace").upper())
        if not m:
            continue
        c1, r1 = col_number(m.group(1)), int(m.group(2))
        c2, r2 = (col_number(m.group(3)), int(m.group(4))) if m.group(3) else (c1, r1)
        out.append((min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)))
    return out


__all__ = [
    "CellError",
    "CellFormats",
    "RawCell",
    "RowLimit",
    "SharedStrings",
    "SheetCells",
    "is_date_format",
    "make_decoder",
    "rich_text",
    "scan",
    "xml_unescape",
]
