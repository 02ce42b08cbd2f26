"""Patching a clerk's own workbook: change the parts and elements the tool owns, copy the rest as it is.

Why patch instead of load-and-save: a workbook library saves what it models and drops what it does not —
openpyxl loses pictures, shapes, charts it did not make, x14 (cross-sheet) data validations and threaded
comments, with an English warning (ground-notes.md). A clerk's returned workbook may hold a scanned seal,
a dropdown on another sheet, their own notes, VBA and a ribbon. So ``BookPatch`` opens the package
(``xlsx.package``, with its limits), lets the writer replace whole parts or elements inside parts, and
writes a new zip in which every part it did not change is the same bytes, in the same order.

What the tool owns, and therefore changes (``xlsx.write`` decides when):

- the 校验结果 and 自评表 sheets: their rows, merges, hyperlinks and size (``<sheetData>``,
  ``<mergeCells>``, ``<hyperlinks>``, ``<dimension>``) and the 自评表's print area; the rest of those
  sheets (page setup, a picture placed on the 自评表, a note) stays. A missing one is added, last.
- marks on input cells of 基本信息/绩效指标: the cell's format (a copy of its own format with the mark fill,
  ``xlsx.stylesheet``) and a note signed ``MARK_AUTHOR`` (``xlsx.notes``); a cell that already has a note of
  the clerk's gets the fill only and the finding is listed on 校验结果. Clearing removes our notes and gives
  the cells we marked (ours, or listed on the old 校验结果) their input fill back, if they still have a mark
  fill.
- ``styles.xml`` (formats appended, never changed), the comments and VML parts of the input sheets (our
  elements only), the relationships and content types of parts it adds or removes, the core property
  ``modified``.

Every other part — pictures, drawings, charts, shapes, the clerk's notes on other sheets, threaded
comments, data validations, conditional formats, VBA (``vbaProject.bin``), the ribbon (``customUI``),
printer settings, defined names other than the 自评表 print area, sheets the clerk added — is copied
unchanged. ``tests/test_books.py`` compares every part of every corpus workbook before and after.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path

from ..files import atomic_path
from ..layout.spec import SheetSpec, col_index, split_ref
from ..layout.styles import MARK_FILLS
from .package import (
    CONTENT_TYPES,
    MAX_PART_BYTES,
    MAX_RATIO,
    PACKAGE_RELS,
    RATIO_FLOOR,
    Package,
    Relationship,
    WorkbookError,
    decode_xml,
    parse_rels,
)
from .sheetxml import render_spec, set_child, with_prefix, xml_text
from .stylesheet import Stylesheet, minimal_styles

COMPRESSLEVEL = 6
_CT = {
    "comments": "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml",
    "vml": "application/vnd.openxmlformats-officedocument.vmlDrawing",
    "worksheet": "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml",
    "styles": "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml",
}
_ROW_OR_CELL = re.compile(r"<(row|c)\b([^>]*)>")
_R = re.compile(r'\br\s*=\s*"\$?([A-Z]{0,3})\$?(\d*)"')
_S = re.compile(r'\bs\s*=\s*"(\d+)"')
_MODIFIED = re.compile(r"(<dcterms:modified\b[^>]*>)([^<]*)(</dcterms:modified>)")


class BookPatch:
    """An opened workbook and the changes to its parts (see module doc)."""

    def __init__(self, pkg: Package) -> None:
        self.pkg = pkg
        self.ns = pkg.ns
        self._changed: dict[str, bytes] = {}
        self._added: list[str] = []
        self._deleted: set[str] = set()
        self._styles: Stylesheet | None = None
        self._styles_part = ""
        self.added_sheets = 0

    # -- parts
    def exists(self, name: str) -> bool:
        return name not in self._deleted and (name in self._changed or self.pkg.has(name))

    def data(self, name: str) -> bytes:
        if name in self._changed:
            return self._changed[name]
        real = self.pkg.find(name)
        if real is None:
            raise WorkbookError(
                f"{self.pkg.name} 缺少部件 {name}，文件可能已损坏，请用 Excel 打开检查后另存。"
            )
        return self.pkg.read(real)

    def text(self, name: str) -> str:
        return decode_xml(self.data(name))

    def put(self, name: str, data: str | bytes) -> None:
        real = self.pkg.find(name) or name
        if real not in self.pkg.names and real not in self._added:
            self._added.append(real)
        self._deleted.discard(real)
        self._changed[real] = data.encode() if isinstance(data, str) else data

    def delete(self, name: str) -> None:
        real = self.pkg.find(name) or name
        self._changed.pop(real, None)
        if real in self._added:
            self._added.remove(real)
        else:
            self._deleted.add(real)

    def unique(self, pattern: str) -> str:
        """A part name from ``pattern`` (with ``{}`` for a number) that no part has."""
        taken = {n.lower() for n in [*self.pkg.names, *self._added] if n not in self._deleted}
        n = 1
        while pattern.format(n).lower() in taken:
            n += 1
        return pattern.format(n)

    # -- content types and relationships
    def add_override(self, part: str, content_type: str) -> None:
        ct = self.text(CONTENT_TYPES)
        if f'PartName="/{part}"' not in ct:
            ct = ct.replace(
                "</Types>", f'<Override PartName="/{part}" ContentType="{content_type}"/></Types>'
            )
            self.put(CONTENT_TYPES, ct)

    def add_default(self, extension: str, content_type: str) -> None:
        ct = self.text(CONTENT_TYPES)
        if not re.search(rf'<Default\b[^>]*Extension="{extension}"', ct, re.I):
            at = ct.find("<Default")
            at = at if at >= 0 else ct.find("</Types>")
            ct = ct[:at] + f'<Default Extension="{extension}" ContentType="{content_type}"/>' + ct[at:]
            self.put(CONTENT_TYPES, ct)

    def remove_override(self, part: str) -> None:
        ct = self.text(CONTENT_TYPES)
        new = re.sub(rf'<Override\b[^>]*PartName="/{re.escape(part)}"[^>]*/>', "", ct, flags=re.I)
        if new != ct:
            self.put(CONTENT_TYPES, new)

    def rels(self, part: str) -> list[Relationship]:
        name = Package.rels_name(part)
        return parse_rels(self.text(name)) if self.exists(name) else []

    def related(self, part: str, kind: str) -> tuple[str, str] | None:
        """(relationship id, target part) of ``part``'s first relationship of ``kind``, or None."""
        for rel in self.rels(part):
            if rel.kind == kind and not rel.external:
                return rel.id, Package.resolve(part, rel.target)
        return None

    def add_rel(self, part: str, kind: str, target: str) -> str:
        """Add a relationship of ``kind`` from ``part`` to ``target``; return its id."""
        name = Package.rels_name(part)
        xml = (
            self.text(name)
            if self.exists(name)
            else f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{PACKAGE_RELS}"></Relationships>'
        )
        ids = {r.id for r in parse_rels(xml)}
        n = 1
        while f"rId{n}" in ids:
            n += 1
        rid = f"rId{n}"
        rel_target = posixpath.relpath(target, posixpath.dirname(part) or ".")
        element = (
            f'<Relationship Id="{rid}" Type="{self.ns.rel_type(kind)}" Target="{xml_text(rel_target)}"/>'
        )
        if "</Relationships>" in xml:
            xml = xml.replace("</Relationships>", element + "</Relationships>", 1)
        else:
            xml = re.sub(
                r"<Relationships\b([^>]*)/>", rf"<Relationships\1>{element}</Relationships>", xml, count=1
            )
        self.put(name, xml)
        return rid

    def remove_rel(self, part: str, rid: str) -> None:
        name = Package.rels_name(part)
        if not self.exists(name):
            return
        xml = self.text(name)
        new = re.sub(rf'<Relationship\b[^>]*\bId="{re.escape(rid)}"[^>]*/>', "", xml)
        self.put(name, new)

    # -- styles
    @property
    def styles(self) -> Stylesheet:
        if self._styles is None:
            found = self.related(self.pkg.workbook_part, "styles")
            if found is None:
                self._styles_part = self.unique("xl/styles{}.xml")
                self.add_rel(self.pkg.workbook_part, "styles", self._styles_part)
                self.add_override(self._styles_part, _CT["styles"])
                self._styles = Stylesheet(minimal_styles(self.ns.main))
            else:
                self._styles_part = found[1]
                self._styles = Stylesheet(self.text(found[1]))
        return self._styles

    def layout_style(self, key: str) -> int:
        """cellXfs index of a layout style name, or of ``name|level`` (that style with a mark fill)."""
        name, _, level = key.partition("|")
        base = self.styles.style(name)
        return self.styles.with_fill(base, MARK_FILLS[level]) if level else base

    # -- saving
    def check_limits(self) -> None:
        """Refuse, before writing, a package with a part over the reader's limits (it would be copied)."""
        for name in self.pkg.names:
            info = self.pkg.info(name)
            if name in self._deleted or name in self._changed:
                continue
            if info.file_size > MAX_PART_BYTES or (
                info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1)
            ):
                raise WorkbookError(
                    f"{self.pkg.name} 的部件 {name} 过大或压缩比异常（解压后 {info.file_size // 2**20} MiB），"
                    "疑为被破坏或恶意构造的文件，未写入。请把数据复制到新模板后再试。"
                )

    def save(self, out: Path, *, modified: dt.datetime | None = None) -> Path:
        """Write the patched workbook to ``out`` through a temporary file in its folder, then rename."""
        if self._styles is not None and self._styles.changed:
            self.put(self._styles_part, self._styles.xml())
        self._stamp(modified or dt.datetime.now(dt.UTC))
        self.check_limits()
        with atomic_path(Path(out)) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
            for name in [*self.pkg.names, *self._added]:
                if name in self._deleted:
                    continue
                if name in self._changed:
                    info = self.pkg.info(name) if name in self.pkg.names else None
                    zinfo = zipfile.ZipInfo(name, info.date_time if info else _now_tuple())
                    zinfo.compress_type = zipfile.ZIP_DEFLATED
                    zinfo.external_attr = info.external_attr if info else 0o600 << 16
                    zout.writestr(zinfo, self._changed[name], compresslevel=COMPRESSLEVEL)
                else:
                    self._copy(zout, name)
        return Path(out)

    def _copy(self, zout: zipfile.ZipFile, name: str) -> None:
        """A part we do not own, streamed through unchanged (same bytes, name, date, compression)."""
        info = self.pkg.info(name)
        if name.endswith("/"):  # a folder entry some zip tools write
            zout.writestr(zipfile.ZipInfo(name, info.date_time), b"")
            return
        zinfo = zipfile.ZipInfo(name, info.date_time)
        zinfo.compress_type = info.compress_type if info.compress_type in (0, 8) else zipfile.ZIP_DEFLATED
        zinfo.external_attr = info.external_attr
        zinfo.file_size = info.file_size
        try:
            with self.pkg.open_part(name) as src, zout.open(zinfo, "w") as dst:
                while block := src.read(1 << 20):
                    dst.write(block)
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
            if isinstance(exc, OSError) and exc.errno is not None:
                raise
            raise WorkbookError(
                f"{self.pkg.name} 的部件 {name} 已损坏（{type(exc).__name__}），未写入。请用 Excel 打开检查后另存。"
            ) from exc

    def _stamp(self, when: dt.datetime) -> None:
        core = next((r for r in self.rels("") if r.kind == "core-properties"), None)
        part = Package.resolve("", core.target) if core else "docProps/core.xml"
        if not self.exists(part):
            return
        xml = self.text(part)
        stamp = when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        new = _MODIFIED.sub(lambda m: m.group(1) + stamp + m.group(3), xml, count=1)
        if new != xml:
            self.put(part, new)


def _now_tuple() -> tuple[int, int, int, int, int, int]:
    now = dt.datetime.now()
    return (max(now.year, 1980), now.month, now.day, now.hour, now.minute, now.second // 2 * 2)


# ------------------------------------------------------------------------------------------ worksheet XML


def _prefix(xml: str, root: str) -> str:
    m = re.search(rf"<([\w.-]+:)?{root}\b", xml)
    return (m.group(1) or "") if m else ""


def root_prefix(xml: str) -> str:
    """The element prefix of a worksheet part (``x:``), "" for the usual default namespace."""
    return _prefix(xml, "worksheet")


class CellIndex:
    """Where each cell and row of a worksheet's XML is (one pass), to restyle cells in place."""

    def __init__(self, xml: str, prefix: str = "") -> None:
        self.xml, self.prefix = xml, prefix
        self.cells: dict[str, tuple[int, int]] = {}  # ref -> (start, end) of the start tag
        self.rows: dict[int, tuple[int, int]] = {}  # row -> (start, end) of the start tag
        pattern = re.compile(rf"<({re.escape(prefix)}row|{re.escape(prefix)}c)\b([^>]*)>")
        row = 0
        for m in pattern.finditer(xml):
            rm = _R.search(m.group(2))
            if m.group(1).endswith("row"):
                row = int(rm.group(2)) if rm and rm.group(2) else row + 1
                self.rows[row] = m.span()
                continue
            if not rm or not rm.group(1):
                raise WorkbookError(
                    "工作表中有不带地址的单元格（某些程序生成的文件），无法在原位标注。"
                    "请用 Excel 或 WPS 打开后另存，再运行本命令。"
                )
            self.cells[f"{rm.group(1)}{rm.group(2) or row}"] = m.span()

    def style(self, ref: str, column_styles: Mapping[int, int]) -> int:
        """The cell's format index: its own, else its row's (custom row format), else its column's."""
        span = self.cells.get(ref)
        if span is not None:
            m = _S.search(self.xml[span[0] : span[1]])
            return int(m.group(1)) if m else 0
        col, row = split_ref(ref)
        rspan = self.rows.get(row)
        if rspan is not None:
            tag = self.xml[rspan[0] : rspan[1]]
            if re.search(r'\bcustomFormat="(1|true)"', tag):
                m = _S.search(tag)
                if m:
                    return int(m.group(1))
        return column_styles.get(col_index(col), 0)

    def restyled(self, styles: Mapping[str, int]) -> str:
        """The sheet XML with each cell of ``styles`` given that format (a missing cell or row added)."""
        p = self.prefix
        edits: list[tuple[int, int, str]] = []  # (start, end, replacement)
        missing: dict[int, list[tuple[int, str]]] = {}
        for ref, style in styles.items():
            span = self.cells.get(ref)
            if span is None:
                col, row = split_ref(ref)
                missing.setdefault(row, []).append(
                    (col_index(col), with_prefix(f'<c r="{ref}" s="{style}"/>', p))
                )
                continue
            tag = self.xml[span[0] : span[1]]
            if _S.search(tag):
                new = _S.sub(f's="{style}"', tag, count=1)
            else:
                cut = len(tag) - (2 if tag.endswith("/>") else 1)
                new = tag[:cut] + f' s="{style}"' + tag[cut:]
            edits.append((span[0], span[1], new))
        for row, cells in missing.items():
            edits.extend(self._insert_cells(row, sorted(cells)))
        out, last = [], 0
        for start, end, text in sorted(edits, key=lambda e: (e[0], e[1])):
            out.append(self.xml[last:start])
            out.append(text)
            last = end
        out.append(self.xml[last:])
        return "".join(out)

    def _insert_cells(self, row: int, cells: list[tuple[int, str]]) -> list[tuple[int, int, str]]:
        p = self.prefix
        rspan = self.rows.get(row)
        if rspan is not None:
            tag = self.xml[rspan[0] : rspan[1]]
            if tag.endswith("/>"):
                return [(rspan[0], rspan[1], tag[:-2] + ">" + "".join(c for _, c in cells) + f"</{p}row>")]
            close = self.xml.find(f"</{p}row>", rspan[1])
            existing = sorted(
                (col_index(split_ref(ref)[0]), span[0])
                for ref, span in self.cells.items()
                if rspan[1] <= span[0] < close
            )
            out = []
            for col, text in cells:
                at = next((pos for c, pos in existing if c > col), close)
                out.append((at, at, text))
            return out
        later = [r for r in self.rows if r > row]
        if later:
            at = self.rows[min(later)][0]
        else:
            end = self.xml.find(f"</{p}sheetData>")
            if end < 0:
                empty = re.search(rf"<{re.escape(p)}sheetData\s*/>", self.xml)
                if empty is None:
                    raise WorkbookError(
                        "工作表缺少单元格数据部分，文件可能已损坏，请用 Excel 打开检查后另存。"
                    )
                row_xml = f'<{p}row r="{row}">' + "".join(c for _, c in cells) + f"</{p}row>"
                return [(empty.start(), empty.end(), f"<{p}sheetData>{row_xml}</{p}sheetData>")]
            at = end
        return [(at, at, f'<{p}row r="{row}">' + "".join(c for _, c in cells) + f"</{p}row>")]


def column_styles(xml: str) -> dict[int, int]:
    """Column → format index from ``<cols>`` (for cells that are not written)."""
    out: dict[int, int] = {}
    for m in re.finditer(r"<(?:[\w.-]+:)?col\b([^>]*)/?>", xml[: xml.find("sheetData")]):
        attrs = m.group(1)
        lo = re.search(r'\bmin="(\d+)"', attrs)
        hi = re.search(r'\bmax="(\d+)"', attrs)
        st = _S.search(attrs) or re.search(r'\bstyle="(\d+)"', attrs)
        if lo and hi and st:
            for c in range(int(lo.group(1)), min(int(hi.group(1)), 16384) + 1):
                out[c] = int(st.group(1))
    return out


# ------------------------------------------------------------------------------------------ our sheets


def replace_sheet_content(xml: str, spec: SheetSpec, style_id: Callable[[str], int]) -> str:
    """An existing sheet of ours with the rows, merges, links and size of ``spec``; all else kept."""
    p = root_prefix(xml)
    data, merges, links, dimension = render_spec(spec, style_id)
    xml = set_child(xml, "sheetData", with_prefix(data, p), p)
    xml = set_child(xml, "mergeCells", with_prefix(merges, p) if merges else None, p)
    xml = set_child(xml, "hyperlinks", with_prefix(links, p) if links else None, p)
    return set_child(xml, "dimension", with_prefix(f'<dimension ref="{dimension}"/>', p), p)


def new_sheet_xml(spec: SheetSpec, style_id: Callable[[str], int], main_ns: str, rel_ns: str) -> str:
    """A whole worksheet part for ``spec`` (a sheet of ours the workbook does not have)."""
    data, merges, links, dimension = render_spec(spec, style_id)
    pr = spec.print_setup
    tab = f'<tabColor rgb="FF{spec.tab_color}"/>' if spec.tab_color else ""
    pane = ""
    if spec.freeze:
        col, row = split_ref(spec.freeze)
        x, y = col_index(col) - 1, row - 1
        active = "bottomRight" if x and y else ("bottomLeft" if y else "topRight")
        pane = (
            "<pane"
            + (f' xSplit="{x}"' if x else "")
            + (f' ySplit="{y}"' if y else "")
            + f' topLeftCell="{spec.freeze}" activePane="{active}" state="frozen"/>'
        )
    cols = "".join(
        f'<col min="{col_index(c)}" max="{col_index(c)}" width="{w:g}" customWidth="1"'
        + (' hidden="1"' if c in spec.hidden_columns else "")
        + "/>"
        for c, w in sorted(spec.widths.items(), key=lambda kv: col_index(kv[0]))
    )
    top, bottom, left, right = (m / 2.54 for m in pr.margins_cm)
    footer = f"<headerFooter><oddFooter>{xml_text(pr.footer)}</oddFooter></headerFooter>" if pr.footer else ""
    protect = '<sheetProtection sheet="1" objects="1" scenarios="1"/>' if spec.protect else ""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{main_ns}" xmlns:r="{rel_ns}">'
        f'<sheetPr>{tab}<pageSetUpPr fitToPage="1"/></sheetPr><dimension ref="{dimension}"/>'
        f'<sheetViews><sheetView workbookViewId="0">{pane}</sheetView></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/>'
        + (f"<cols>{cols}</cols>" if cols else "")
        + data
        + protect
        + merges
        + links
        + ('<printOptions horizontalCentered="1"/>' if pr.center_horizontally else "")
        + f'<pageMargins left="{left:.4f}" right="{right:.4f}" top="{top:.4f}" bottom="{bottom:.4f}" '
        f'header="0.3" footer="{pr.footer_margin_cm / 2.54:.4f}"/>'
        f'<pageSetup paperSize="9" orientation="{"landscape" if pr.landscape else "portrait"}" '
        f'fitToWidth="{pr.fit_width}" fitToHeight="{pr.fit_height}"/>' + footer + "</worksheet>"
    )


def absolute_area(sheet: str, area: str) -> str:
    """``A1:I45`` on ``sheet`` as a defined name's reference: ``'自评表'!$A$1:$I$45``."""
    first, _, last = area.partition(":")
    c1, r1 = split_ref(first)
    c2, r2 = split_ref(last or first)
    quoted = sheet.replace("'", "''")
    return f"'{quoted}'!${c1}${r1}:${c2}${r2}"


def set_defined_name(workbook: str, name: str, local_id: int, value: str | None) -> str:
    """workbook.xml with the sheet-level defined name (``_xlnm.Print_Area``) set, added or removed."""
    p = _prefix(workbook, "workbook")
    pattern = re.compile(rf"<{re.escape(p)}definedName\b([^>]*)>([^<]*)</{re.escape(p)}definedName>")
    for m in pattern.finditer(workbook):
        attrs = m.group(1)
        if re.search(rf'\bname="{re.escape(name)}"', attrs) and re.search(
            rf'\blocalSheetId="{local_id}"', attrs
        ):
            if value is None:
                return workbook[: m.start()] + workbook[m.end() :]
            return workbook[: m.start(2)] + xml_text(value) + workbook[m.end(2) :]
    if value is None:
        return workbook
    element = f'<{p}definedName name="{name}" localSheetId="{local_id}">{xml_text(value)}</{p}definedName>'
    if f"</{p}definedNames>" in workbook:
        return workbook.replace(f"</{p}definedNames>", element + f"</{p}definedNames>", 1)
    empty = re.search(rf"<{re.escape(p)}definedNames\s*/>", workbook)
    if empty:
        return (
            workbook[: empty.start()]
            + f"<{p}definedNames>{element}</{p}definedNames>"
            + workbook[empty.end() :]
        )
    at = -1
    for before in ("externalReferences", "functionGroups", "sheets"):
        end_tag = f"</{p}{before}>"
        if end_tag in workbook:
            at = workbook.index(end_tag) + len(end_tag)
            break
    if at < 0:
        raise WorkbookError("工作簿部件缺少工作表列表，文件可能已损坏，请用 Excel 打开检查后另存。")
    return workbook[:at] + f"<{p}definedNames>{element}</{p}definedNames>" + workbook[at:]


def add_sheet_entry(workbook: str, name: str, rid: str, rel_prefix: str) -> str:
    """workbook.xml with a ``<sheet>`` appended to the sheet list (``rel_prefix``: the r: namespace prefix)."""
    p = _prefix(workbook, "workbook")
    ids = [int(x) for x in re.findall(r'<(?:[\w.-]+:)?sheet\b[^>]*\bsheetId="(\d+)"', workbook)]
    element = (
        f'<{p}sheet name="{xml_text(name)}" sheetId="{max(ids, default=0) + 1}" {rel_prefix}:id="{rid}"/>'
    )
    if f"</{p}sheets>" in workbook:
        return workbook.replace(f"</{p}sheets>", element + f"</{p}sheets>", 1)
    raise WorkbookError("工作簿部件缺少工作表列表，文件可能已损坏，请用 Excel 打开检查后另存。")


def rel_prefix(workbook: str, rel_ns: str) -> str:
    """The prefix the workbook part binds to the relationships namespace (declared on its root if none)."""
    m = re.search(rf'xmlns:([\w.-]+)="{re.escape(rel_ns)}"', workbook)
    return m.group(1) if m else ""


__all__ = [
    "BookPatch",
    "CellIndex",
    "absolute_area",
    "add_sheet_entry",
    "column_styles",
    "new_sheet_xml",
    "rel_prefix",
    "replace_sheet_content",
    "root_prefix",
    "set_defined_name",
]
