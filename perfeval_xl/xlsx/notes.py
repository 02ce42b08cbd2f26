"""A sheet's notes (Excel's "批注"; legacy comments): the comments part and the VML shapes that show them.

The tool writes notes signed ``MARK_AUTHOR``; everyone else's notes are the clerk's and are never touched.
A note is ours when its author is ``MARK_AUTHOR`` or, because LibreOffice drops authors on save, when its
text is the tool's and nothing else (every line ``【错误|警告|提示】…（CODE）``). Threaded comments (Excel
365) keep a legacy placeholder note by their author (``tc={…}``), so they count as the clerk's too.

``CommentsPart`` and ``VmlPart`` edit the parts' text in place: our elements are removed or appended,
the clerk's elements stay byte for byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..model import Level
from .cells import rich_text, strip_prefix
from .sheetxml import MARK_AUTHOR, NOTE_SHAPE_TYPE, comment_xml, vml_shape, xml_text

_OUR_LINE = re.compile(r"【(?:" + "|".join(level.label for level in Level) + r")】.*（[A-Z][A-Z0-9_]*）")
_COMMENT = re.compile(r"<((?:[\w.-]+:)?)comment\b([^>]*)>.*?</\1comment>", re.S)
_AUTHOR = re.compile(r"<(?:[\w.-]+:)?author\b[^>]*(?:/>|>([^<]*)</(?:[\w.-]+:)?author>)")
_REF = re.compile(r'\bref\s*=\s*"([^"]*)"')
_AUTHOR_ID = re.compile(r'\bauthorId\s*=\s*"(\d+)"')
_SHAPE = re.compile(r"<v:shape\b[^>]*>.*?</v:shape>", re.S)
_SHAPE_ID = re.compile(r'\bid="_x0000_s(\d+)"')
_IDMAP = re.compile(r'<o:idmap\b[^>]*\bdata="([\d,]*)"')


def is_our_text(text: str) -> bool:
    """Whether a note's text is one the tool writes (every non-empty line a mark line)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return bool(lines) and all(_OUR_LINE.fullmatch(line) for line in lines)


@dataclass(frozen=True)
class Note:
    ref: str
    author: str
    text: str
    span: tuple[int, int]  # of its <comment> element in the part's text

    @property
    def ours(self) -> bool:
        return self.author == MARK_AUTHOR or is_our_text(self.text)


class CommentsPart:
    """A comments part (``xl/commentsN.xml``) read for its notes, edited by removing and appending."""

    def __init__(self, xml: str) -> None:
        self.xml = xml
        m = re.search(r"<([\w.-]+:)?comments\b", xml)
        self.prefix = (m.group(1) or "") if m else ""
        self.authors = [a or "" for a in _AUTHOR.findall(xml)]
        self.notes: list[Note] = []
        for m in _COMMENT.finditer(xml):
            attrs = m.group(2)
            ref = _REF.search(attrs)
            author = _AUTHOR_ID.search(attrs)
            index = int(author.group(1)) if author else -1
            name = self.authors[index] if 0 <= index < len(self.authors) else ""
            text = rich_text(strip_prefix(m.group(0).encode()))
            self.notes.append(Note((ref.group(1) if ref else "").replace("$", ""), name, text, m.span()))

    def refs(self) -> set[str]:
        return {n.ref for n in self.notes}

    def remove_ours(self) -> set[str]:
        """Remove our notes (the clerk's stay, even on the same cell); return the cells they were on."""
        out, last = [], 0
        removed = set()
        for note in self.notes:
            if note.ours:
                removed.add(note.ref)
                out.append(self.xml[last : note.span[0]])
                last = note.span[1]
        out.append(self.xml[last:])
        self.__init__("".join(out))  # type: ignore[misc]
        return removed

    def add(self, items: list[tuple[str, str]]) -> None:
        """Append notes (cell, text) by ``MARK_AUTHOR`` (added to the authors when missing)."""
        if not items:
            return
        p = self.prefix
        xml = self.xml
        if MARK_AUTHOR in self.authors:
            author = self.authors.index(MARK_AUTHOR)
        else:
            author = len(self.authors)
            element = f"<{p}author>{xml_text(MARK_AUTHOR)}</{p}author>"
            if re.search(rf"<{re.escape(p)}authors\s*/>", xml):
                xml = re.sub(
                    rf"<{re.escape(p)}authors\s*/>", f"<{p}authors>{element}</{p}authors>", xml, count=1
                )
            elif f"</{p}authors>" in xml:
                xml = xml.replace(f"</{p}authors>", element + f"</{p}authors>", 1)
            else:
                at = xml.find(">", xml.find(f"<{p}comments")) + 1
                xml = xml[:at] + f"<{p}authors>{element}</{p}authors>" + xml[at:]
        body = "".join(comment_xml(ref, author, text) for ref, text in items)
        if p:
            body = re.sub(r"<(/?)(?=[A-Za-z])", lambda m: f"<{m.group(1)}{p}", body)
        if re.search(rf"<{re.escape(p)}commentList\s*/>", xml):
            xml = re.sub(
                rf"<{re.escape(p)}commentList\s*/>", f"<{p}commentList>{body}</{p}commentList>", xml, count=1
            )
        elif f"</{p}commentList>" in xml:
            xml = xml.replace(f"</{p}commentList>", body + f"</{p}commentList>", 1)
        else:
            xml = xml.replace(f"</{p}comments>", f"<{p}commentList>{body}</{p}commentList></{p}comments>", 1)
        self.__init__(xml)  # type: ignore[misc]


def _row_col(ref: str) -> tuple[int, int]:
    m = re.fullmatch(r"([A-Z]{1,3})(\d+)", ref)
    if not m:
        return -1, -1
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)) - 1, col - 1


class VmlPart:
    """A legacy VML drawing part: note shapes (and maybe form controls, which are left alone)."""

    def __init__(self, xml: str) -> None:
        self.xml = xml

    def note_shapes(self) -> list[tuple[int, int, tuple[int, int]]]:
        """(row, column, span) of every note shape, 0-based as VML counts."""
        out = []
        for m in _SHAPE.finditer(self.xml):
            shape = m.group(0)
            if 'ObjectType="Note"' not in shape:
                continue
            row = re.search(r"<x:Row>\s*(\d+)\s*</x:Row>", shape)
            col = re.search(r"<x:Column>\s*(\d+)\s*</x:Column>", shape)
            if row and col:
                out.append((int(row.group(1)), int(col.group(1)), m.span()))
        return out

    def remove(self, refs: set[str]) -> None:
        where = {_row_col(r) for r in refs}
        out, last = [], 0
        for row, col, span in self.note_shapes():
            if (row, col) in where:
                out.append(self.xml[last : span[0]])
                last = span[1]
        out.append(self.xml[last:])
        self.xml = "".join(out)

    def has_shapes(self) -> bool:
        return bool(_SHAPE.search(self.xml)) or "<v:rect" in self.xml or "<v:oval" in self.xml

    def block(self) -> int:
        m = _IDMAP.search(self.xml)
        return int(m.group(1).split(",")[0]) if m and m.group(1) else 1

    def add(self, items: list[tuple[str, int]]) -> None:
        """Append note shapes (cell, height) with shape ids after the part's highest."""
        if not items:
            return
        used = [int(x) for x in _SHAPE_ID.findall(self.xml)]
        first = max([self.block() * 1024, *used]) + 1
        shapes = "".join(vml_shape(ref, h, first + k, len(used) + k + 1) for k, (ref, h) in enumerate(items))
        xml = self.xml
        if 'id="_x0000_t202"' not in xml:
            shapes = NOTE_SHAPE_TYPE + shapes
        at = xml.rfind("</xml>")
        self.xml = xml[:at] + shapes + xml[at:] if at >= 0 else xml + shapes


def vml_blocks(parts: list[str]) -> set[int]:
    """The shape-id blocks (``o:idmap``) used by the given VML parts' texts."""
    out = set()
    for xml in parts:
        for m in _IDMAP.finditer(xml):
            out.update(int(x) for x in m.group(1).split(",") if x)
    return out


__all__ = ["CommentsPart", "Note", "VmlPart", "is_our_text", "vml_blocks"]
