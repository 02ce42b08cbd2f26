"""A workbook file as a package of parts (.xlsx/.xlsm are zip files of XML parts), opened safely.

Every way into a workbook file goes through ``Package``: the reader (``xlsx.read``) and the writer that
patches a clerk's workbook (``xlsx.patch``). It knows nothing of our template; it gives the parts, their
relationships and the workbook's sheets, and it refuses, with a ``WorkbookError`` in Chinese, a file that
is not a workbook, is damaged, or is over the limits below — before the work, not after it:

- ``MAX_PART_BYTES``: no part we read may inflate beyond 64 MiB (the template's largest part is 0.2 MiB;
  a LibreOffice save of 300 filled indicator rows 0.6 MiB). Checked from the zip directory, and again while
  inflating, since a directory can lie: we never hold more than the limit of one part.
- ``MAX_RATIO``: a part over ``RATIO_FLOOR`` (1 MiB) inflated that is more than 200 times its compressed
  size is a zip bomb (workbook XML compresses 3–25×; a deflate bomb 1000×).
- ``MAX_READ_BYTES``: all parts read from one file together stay under 160 MiB.
- ``MAX_PARTS``: at most 10 000 parts (a workbook has tens).

A damaged zip (bad CRC, a corrupt deflate stream, a truncated file, an entry we cannot decompress) is a
``WorkbookError`` too. Parts are read only when asked for: a picture or a clerk's extra sheet is never
inflated by the reader, so a large picture costs nothing.

Strict Open XML (Excel's "Strict Open XML 电子表格" save) names its parts' XML and relationships in other
namespaces (``http://purl.oclc.org/ooxml/...``); ``Package.strict`` says which, and ``Package.ns`` holds the
namespace URIs the writer must use for parts it adds, so one code path reads and writes both.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import IO

MAX_PART_BYTES = 64 * 2**20
MAX_READ_BYTES = 160 * 2**20
MAX_RATIO = 200
RATIO_FLOOR = 2**20
MAX_PARTS = 10_000

SUPPORTED = (".xlsx", ".xlsm")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a compound file: an encrypted workbook or an .xls


class WorkbookError(Exception):
    """The file cannot be used at all (not found, not a workbook, damaged, over a limit, not ours).

    The message is Chinese, names the file, and says what to do."""


@dataclass(frozen=True)
class Namespaces:
    """The namespace URIs of one flavour of SpreadsheetML (transitional or strict)."""

    main: str  # SpreadsheetML
    rel: str  # officeDocument relationships: attribute r:id, and the base of relationship types
    strict: bool

    def rel_type(self, kind: str) -> str:
        """The relationship type URI of ``kind`` (``worksheet``, ``comments``, ``vmlDrawing``, …)."""
        return f"{self.rel}/{kind}"


TRANSITIONAL = Namespaces(
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    False,
)
STRICT = Namespaces(
    "http://purl.oclc.org/ooxml/spreadsheetml/main",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
    True,
)
#: The package-level relationship namespace is the same in both flavours.
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = "[Content_Types].xml"


@dataclass(frozen=True)
class Relationship:
    id: str
    type: str  # full URI
    target: str  # as written (relative to the source part's folder, or absolute from the root)
    external: bool = False

    @property
    def kind(self) -> str:
        """The last segment of the type URI (``worksheet``, ``comments``, …), whatever the flavour."""
        return self.type.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class SheetRef:
    """One entry of the workbook's sheet list."""

    name: str
    index: int  # position in the workbook (localSheetId of defined names)
    sheet_id: str
    rid: str
    part: str  # zip name of the sheet's part, "" when the relationship is missing
    kind: str  # relationship kind: worksheet, chartsheet, dialogsheet, …


_ATTR = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_REL_TAG = re.compile(r"<(?:[\w.-]+:)?Relationship\b([^>]*?)/?>")
_SHEET_TAG = re.compile(r"<(?:[\w.-]+:)?sheet\b([^>]*?)/?>")
_SHEETS = re.compile(r"<(?:[\w.-]+:)?sheets\b[^>]*>(.*?)</(?:[\w.-]+:)?sheets>", re.S)
_ROOT = re.compile(r"<([\w.-]+:)?(\w+)\b([^>]*)>")
_DATE1904 = re.compile(r"<(?:[\w.-]+:)?workbookPr\b[^>]*?\bdate1904\s*=\s*[\"'](1|true)[\"']")


def attributes(tag_body: str) -> dict[str, str]:
    """The attributes of a start tag's text (after the name), values unescaped; names as written."""
    return {
        m.group(1): unescape(m.group(2) if m.group(2) is not None else m.group(3))
        for m in _ATTR.finditer(tag_body)
    }


def local_attr(attrs: dict[str, str], local: str) -> str | None:
    """The value of the attribute whose local name is ``local`` (any prefix), or None."""
    for name, value in attrs.items():
        if name == local or name.endswith(":" + local):
            return value
    return None


def decode_xml(data: bytes) -> str:
    """A part's XML as text: UTF-8 (with or without BOM) or UTF-16 as its BOM says."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16")
    return data.decode("utf-8-sig")


def root_namespace(xml: str) -> tuple[str, str]:
    """(prefix with colon or "", namespace URI) of the root element of ``xml``."""
    for m in _ROOT.finditer(xml, 0, 4096):
        if m.group(2) in ("xml",) or xml[m.start() + 1] in "?!":
            continue
        prefix = m.group(1) or ""
        attrs = attributes(m.group(3))
        uri = attrs.get("xmlns:" + prefix[:-1]) if prefix else attrs.get("xmlns")
        return prefix, uri or ""
    return "", ""


class Package:
    """An opened workbook file (see module doc). Use as a context manager, or call ``close``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.name = self.path.name
        self._read_bytes = 0
        self._rels: dict[str, list[Relationship]] = {}
        self._zip = self._open()
        try:
            infos = self._zip.infolist()
            if len(infos) > MAX_PARTS:
                raise self._error(f"包含 {len(infos)} 个部件，超过上限 {MAX_PARTS}，不是正常的工作簿")
            self.names = list(dict.fromkeys(i.filename for i in infos))  # a name twice: the last entry counts
            self._infos = {i.filename: i for i in infos}
            self._lower = {n.lower(): n for n in self.names}
            self.workbook_part = self._find_workbook()
            workbook = self.text(self.workbook_part)
            _, uri = root_namespace(workbook)
            self.ns = STRICT if uri == STRICT.main else TRANSITIONAL
            self.workbook_xml = workbook
            self.date1904 = bool(_DATE1904.search(workbook))
            self.sheets = self._sheets(workbook)
        except BaseException:
            self._zip.close()
            raise

    # -- opening
    def _open(self) -> zipfile.ZipFile:
        path = self.path
        if not path.exists():
            raise WorkbookError(f"找不到文件 {path}。")
        if path.suffix.lower() not in SUPPORTED:
            hint = (
                "请在 Excel 中“另存为” .xlsx 格式后再试。"
                if path.suffix.lower() in (".xls", ".et", ".ods", ".xlsb")
                else ""
            )
            raise WorkbookError(f"{path.name} 不是 .xlsx/.xlsm 工作簿，无法读取。{hint}")
        if not path.is_file():
            raise WorkbookError(f"{path.name} 不是普通文件，无法读取。")
        try:
            with path.open("rb") as fh:
                head = fh.read(8)
            if head == _OLE_MAGIC:
                raise WorkbookError(
                    f"{path.name} 设置了打开密码（已加密），或实为旧版 .xls 文件，无法读取。"
                    "请在 Excel 中取消密码（文件 → 信息 → 保护工作簿 → 用密码进行加密，清空密码）或另存为 .xlsx 后再试。"
                )
            return zipfile.ZipFile(path)
        except WorkbookError:
            raise
        except PermissionError as exc:
            raise WorkbookError(f"无法打开 {path.name}：没有读取权限。") from exc
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
            raise self._damaged(exc) from exc

    def _damaged(self, exc: BaseException) -> WorkbookError:
        return WorkbookError(
            f"{self.name} 已损坏或不是 Excel 工作簿（{type(exc).__name__}），请用 Excel 打开检查后另存。"
        )

    def _error(self, why: str) -> WorkbookError:
        return WorkbookError(f"{self.name} {why}，无法读取。请用 Excel 打开检查后另存。")

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- parts
    def find(self, name: str) -> str | None:
        """The zip name of part ``name`` (part names are case-insensitive), or None."""
        name = name.lstrip("/")
        return name if name in self._infos else self._lower.get(name.lower())

    def has(self, name: str) -> bool:
        return self.find(name) is not None

    def info(self, name: str) -> zipfile.ZipInfo:
        return self._infos[name]

    def read(self, name: str) -> bytes:
        """Part ``name`` inflated, within the limits (WorkbookError beyond them or when it is damaged)."""
        real = self.find(name)
        if real is None:
            raise self._error(f"缺少部件 {name}")
        info = self._infos[real]
        if info.file_size > MAX_PART_BYTES:
            raise self._over(real, info.file_size)
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise WorkbookError(
                f"{self.name} 的部件 {real} 压缩比异常（{info.compress_size} 字节解压为 {info.file_size} 字节），"
                "疑为“压缩炸弹”，已拒绝读取。请向交回者索取正常保存的工作簿。"
            )
        if self._read_bytes + info.file_size > MAX_READ_BYTES:
            raise self._over(real, self._read_bytes + info.file_size, total=True)
        chunks = []
        size = 0
        try:
            with self._zip.open(info) as fh:
                while True:
                    block = fh.read(1 << 20)
                    if not block:
                        break
                    size += len(block)
                    if size > min(MAX_PART_BYTES, info.file_size):  # the directory lied
                        raise self._over(real, size)
                    chunks.append(block)
        except WorkbookError:
            raise
        except (
            zipfile.BadZipFile,
            zlib.error,
            EOFError,
            OSError,
            RuntimeError,
            NotImplementedError,
            ValueError,
        ) as exc:
            raise self._damaged(exc) from exc
        self._read_bytes += size
        return b"".join(chunks)

    def _over(self, part: str, size: int, *, total: bool = False) -> WorkbookError:
        limit = MAX_READ_BYTES if total else MAX_PART_BYTES
        what = "需要读取的部件合计" if total else f"部件 {part}"
        return WorkbookError(
            f"{self.name} 的{what}解压后超过 {limit // 2**20} MiB（{size // 2**20} MiB 以上），"
            "超出自评工作簿的正常大小，已拒绝读取（可能是被破坏或恶意构造的文件）。"
            "请把数据复制到新模板后再交回。"
        )

    def text(self, name: str) -> str:
        data = self.read(name)
        try:
            return decode_xml(data)
        except UnicodeDecodeError as exc:
            raise self._damaged(exc) from exc

    def open_part(self, name: str) -> IO[bytes]:
        """A stream of part ``name`` inflating as it is read (the writer copies parts through it)."""
        return self._zip.open(self._infos[name])

    # -- relationships
    @staticmethod
    def rels_name(part: str) -> str:
        folder, base = posixpath.split(part)
        return posixpath.join(folder, "_rels", base + ".rels")

    def rels(self, part: str) -> list[Relationship]:
        """The relationships of ``part`` ("" for the package itself); none when it has no .rels part."""
        name = "_rels/.rels" if not part else self.rels_name(part)
        if name not in self._rels:
            self._rels[name] = parse_rels(self.text(name)) if self.has(name) else []
        return self._rels[name]

    @staticmethod
    def resolve(source: str, target: str) -> str:
        """The part name a relationship target of ``source`` points at."""
        if target.startswith("/"):
            return posixpath.normpath(target.lstrip("/"))
        return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))

    def _find_workbook(self) -> str:
        for rel in self.rels(""):
            if rel.kind == "officeDocument" and not rel.external:
                part = self.find(self.resolve("", rel.target))
                if part:
                    return part
        part = self.find("xl/workbook.xml")
        if part is None:
            raise WorkbookError(
                f"{self.name} 不是 Excel 工作簿（其中没有工作簿部件），无法读取。"
                "若是 Word 等其他文件被改了扩展名，请找到正确的工作簿。"
            )
        return part

    def _sheets(self, workbook: str) -> list[SheetRef]:
        targets = {r.id: r for r in self.rels(self.workbook_part)}
        block = _SHEETS.search(workbook)
        out = []
        for index, m in enumerate(_SHEET_TAG.finditer(block.group(1) if block else "")):
            attrs = attributes(m.group(1))
            rid = local_attr({k: v for k, v in attrs.items() if ":" in k}, "id") or ""
            rel = targets.get(rid)
            part = ""
            if rel is not None and not rel.external:
                part = self.find(self.resolve(self.workbook_part, rel.target)) or ""
            out.append(
                SheetRef(
                    attrs.get("name", ""),
                    index,
                    attrs.get("sheetId", ""),
                    rid,
                    part,
                    rel.kind if rel is not None else "",
                )
            )
        return out

    def sheet(self, name: str) -> SheetRef | None:
        return next((s for s in self.sheets if s.name == name), None)


def parse_rels(xml: str) -> list[Relationship]:
    out = []
    for m in _REL_TAG.finditer(xml):
        attrs = attributes(m.group(1))
        out.append(
            Relationship(
                attrs.get("Id", ""),
                attrs.get("Type", ""),
                attrs.get("Target", ""),
                attrs.get("TargetMode", "") == "External",
            )
        )
    return out


__all__ = [
    "MAX_PARTS",
    "MAX_PART_BYTES",
    "MAX_RATIO",
    "MAX_READ_BYTES",
    "STRICT",
    "TRANSITIONAL",
    "Namespaces",
    "Package",
    "Relationship",
    "SheetRef",
    "WorkbookError",
]
