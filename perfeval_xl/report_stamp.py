"""A written 自评报告 carries a stamp, so that one a clerk has edited is never overwritten.

Clerks write pages into the generated 自评报告.docx (the 【待填写】 parts). A later ``fill --report``,
``collect --report`` or ``report`` must not replace those pages. The rule is the workbooks' one
(``batch._decide``): a report is rewritten only if nobody changed it since we wrote it, unless ``--force``.

The stamp is the document's core property ``identifier`` (dc:identifier, which Word and WPS keep on save
and do not show for editing): ``perfeval-xl report <content digest> <source key>``.

- *content digest*: SHA-256 of every part under ``word/`` (text, tables, headers, pictures, styles), as
  we wrote them. Any save by Word or WPS rewrites those parts, so a report that was opened and saved counts
  as edited even if nothing visible changed: the safe side, since we cannot tell an edit from a re-save.
- *source key*: what the report was made from (a hash of the workbook's bytes, the template and the tool
  version); the same key on an untouched report means it is up to date.

``decide`` gives the verdict before anything is rendered.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from . import __version__

STAMP_PREFIX = "perfeval-xl report"
_CORE = "docProps/core.xml"
_DC = "http://purl.org/dc/elements/1.1/"
_CP = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"


class Verdict:
    WRITE = "written"
    UP_TO_DATE = "up_to_date"
    KEPT = "kept"


@dataclass(frozen=True)
class Stamp:
    digest: str  # recorded when written
    source: str
    untouched: bool  # the document's parts still have the recorded digest


def source_key(book: Path | None = None, template: Path | None = None, extra: str = "") -> str:
    """A hash of what a report is made from: the workbook's bytes, the template's bytes, the tool."""
    h = hashlib.sha256(f"{__version__}|{extra}".encode())
    for path in (book, template):
        h.update(b"|")
        if path is not None:
            h.update(Path(path).read_bytes())
    return h.hexdigest()[:32]


def _content_digest(zf: zipfile.ZipFile) -> str:
    h = hashlib.sha256()
    for name in sorted(n for n in zf.namelist() if n.startswith("word/")):
        h.update(name.encode() + b"\0")
        h.update(zf.read(name))
        h.update(b"\0")
    return h.hexdigest()[:32]


def stamp(data: bytes, source: str) -> bytes:
    """``data`` (a .docx) with the stamp in its core properties; the ``word/`` parts are unchanged."""
    from lxml import etree

    src = zipfile.ZipFile(io.BytesIO(data))
    value = f"{STAMP_PREFIX} {_content_digest(src)} {source}"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            blob = src.read(info)
            if info.filename == _CORE:
                root = etree.fromstring(blob)
                node = root.find(f"{{{_DC}}}identifier")
                if node is None:
                    node = etree.SubElement(root, f"{{{_DC}}}identifier")
                node.text = value
                blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            dst.writestr(info, blob)
    return out.getvalue()


def read(path: Path) -> Stamp | None:
    """The stamp of the report at ``path``; None when it has none (not ours) or cannot be read."""
    from lxml import etree

    try:
        with zipfile.ZipFile(path) as zf:
            root = etree.fromstring(zf.read(_CORE))
            node = root.find(f"{{{_DC}}}identifier")
            parts = (node.text or "").split() if node is not None else []
            if len(parts) != 4 or " ".join(parts[:2]) != STAMP_PREFIX:
                return None
            return Stamp(parts[2], parts[3], _content_digest(zf) == parts[2])
    except (OSError, KeyError, zipfile.BadZipFile, etree.XMLSyntaxError, ValueError):
        return None


def decide(target: Path, source: str, force: bool) -> tuple[str, str]:
    """(verdict, note in Chinese) for writing a report to ``target`` (see module doc)."""
    target = Path(target)
    if not target.exists() or force:
        return Verdict.WRITE, ""
    if not target.is_file():
        return Verdict.KEPT, f"{target} 是一个文件夹，不能写成报告文件；请用 -o 指定文件名。"
    found = read(target)
    if found is None:
        return (
            Verdict.KEPT,
            f"{target.name} 已存在且不是本工具生成的（或已损坏），未覆盖；确需覆盖请加 --force。",
        )
    if not found.untouched:
        return (
            Verdict.KEPT,
            f"{target.name} 在生成后已被编辑（或在 Word/WPS 中保存过），未覆盖，以免丢失已写的内容；"
            "确需重新生成请加 --force（会覆盖已写的内容），或先把它另存为其他文件名。",
        )
    if found.source == source:
        return Verdict.UP_TO_DATE, ""
    return Verdict.WRITE, ""
