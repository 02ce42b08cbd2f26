"""Editing a workbook's ``xl/styles.xml`` the way that changes least: append, never rewrite.

A cell's look is an index into ``<cellXfs>``; every cell of a workbook points there, so existing entries are
never changed or reordered. The tool's marks and sheets need a few looks (an input cell with a mark fill,
the 校验结果 and 自评表 styles of ``layout.styles``): for each, an existing entry that looks the same is
reused, else one is appended. "Looks the same" ignores how a program spelled it (attribute order, ``1`` vs
``true``, a font's family/charset/scheme, the ``apply…`` flags Excel ignores on cell formats), so running
the tool again — after Excel, WPS or LibreOffice re-saved the file — reuses what it added before instead of
adding copies. Used by ``xlsx.patch`` (a clerk's workbook) and ``xlsx.fastfill`` (the compiled template).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..layout.styles import STYLES, Style
from .sheetxml import attr_text, with_prefix

_TAG = re.compile(r"<(/?)(?:[\w.-]+:)?([\w.-]+)((?:\s[^>]*?)?)(/?)>")
_ATTR = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_IGNORED_CHILDREN = frozenset(("family", "charset", "scheme"))
_BUILTIN_FORMATS = {
    "General": 0,
    "0": 1,
    "0.00": 2,
    "#,##0": 3,
    "#,##0.00": 4,
    "0%": 9,
    "0.00%": 10,
    "@": 49,
}
_SECTIONS = ("numFmts", "fonts", "fills", "borders", "cellXfs")
_CHILD = {"numFmts": "numFmt", "fonts": "font", "fills": "fill", "borders": "border", "cellXfs": "xf"}
_TRUE = {"1": "1", "true": "1", "0": "0", "false": "0"}
#: Attribute values that are the schema's defaults: written or not, the look is the same.
_DEFAULTS = {
    "indent": "0",
    "textRotation": "0",
    "relativeIndent": "0",
    "shrinkToFit": "0",
    "wrapText": "0",
    "justifyLastLine": "0",
    "hidden": "0",
    "locked": "1",
    "horizontal": "general",
    "vertical": "bottom",
    "readingOrder": "0",
}


def _key(
    element: str, ignore_attrs: tuple[str, ...] = ()
) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """What an element looks like, however it was spelled: its tags and their attributes, normalised."""
    out = []
    for m in _TAG.finditer(element):
        if m.group(1):
            continue
        name = m.group(2)
        if name in _IGNORED_CHILDREN:
            continue
        attrs = []
        for a in _ATTR.finditer(m.group(3)):
            attr = a.group(1).rsplit(":", 1)[-1]
            if attr in ignore_attrs or attr.startswith("apply") or a.group(1).startswith("xmlns"):
                continue
            value = a.group(2) if a.group(2) is not None else a.group(3)
            value = _TRUE.get(value, value)
            if attr == "rgb":
                value = value.upper()[-6:]
            if _DEFAULTS.get(attr) == value or (
                name in ("b", "i", "strike", "u") and value in ("1", "single")
            ):
                continue
            attrs.append((attr, value))
        if name in ("alignment", "protection") and not attrs:
            continue
        out.append((name, tuple(sorted(attrs))))
    return tuple(out)


@dataclass
class _Section:
    name: str
    items: list[str]
    keys: list[tuple[object, ...]]
    added: list[str]


class Stylesheet:
    """A parsed styles.xml that can find or add fills, fonts, borders, number formats and cell formats."""

    def __init__(self, xml: str) -> None:
        self.original = xml
        m = re.search(r"<([\w.-]+:)?styleSheet\b", xml)
        self.prefix = (m.group(1) or "") if m else ""
        self.sections: dict[str, _Section] = {}
        self._codes = {number: code for code, number in _BUILTIN_FORMATS.items()}
        for name in _SECTIONS:
            child = _CHILD[name]
            block = self._block(name)
            body = xml[block[1] : block[2]] if block and block[2] > block[1] else ""
            p = re.escape(self.prefix)
            items = re.findall(rf"<{p}{child}\b[^>]*/>|<{p}{child}\b[^>]*>.*?</{p}{child}>", body, re.S)
            if name == "numFmts":
                for item in items:
                    n = re.search(r'\bnumFmtId="(\d+)"', item)
                    c = re.search(r'\bformatCode="([^"]*)"', item)
                    if n and c:
                        self._codes[int(n.group(1))] = c.group(1)
            self.sections[name] = _Section(name, items, [self._item_key(name, i) for i in items], [])

    def _block(self, name: str) -> tuple[int, int, int, int] | None:
        """(start, body start, body end, end) of section ``name`` in the original XML, None if absent."""
        p = self.prefix
        m = re.search(rf"<{re.escape(p)}{name}\b[^>]*?(/?)>", self.original)
        if m is None:
            return None
        if m.group(1):
            return m.start(), m.end(), m.end(), m.end()
        close = self.original.find(f"</{p}{name}>", m.end())
        return m.start(), m.end(), close, close + len(f"</{p}{name}>")

    def _item_key(self, section: str, item: str) -> tuple[object, ...]:
        if section == "numFmts":
            return _key(item, ("numFmtId",))
        if section == "cellXfs":  # a number format by its code: built-in 4 and a custom "#,##0.00" are one
            m = re.search(r'\bnumFmtId="(\d+)"', item)
            code = self._codes.get(int(m.group(1)), m.group(1)) if m else "General"
            return (("numFmt", code), *_key(item, ("numFmtId",)))
        return _key(item)

    @property
    def changed(self) -> bool:
        return any(s.added for s in self.sections.values())

    def _find_or_add(self, section: str, item: str) -> int:
        s = self.sections[section]
        key = self._item_key(section, item)
        try:
            return s.keys.index(key)
        except ValueError:
            s.items.append(item)
            s.keys.append(key)
            s.added.append(item)
            return len(s.items) - 1

    # -- reading
    def xf(self, index: int) -> str:
        items = self.sections["cellXfs"].items
        return items[index] if 0 <= index < len(items) else (items[0] if items else "<xf/>")

    def fill_rgb(self, xf_index: int) -> str:
        """RRGGBB of the solid fill of cell format ``xf_index`` ("" for none or a theme colour)."""
        m = re.search(r'\bfillId="(\d+)"', self.xf(xf_index))
        fills = self.sections["fills"].items
        if m is None or int(m.group(1)) >= len(fills):
            return ""
        fill = fills[int(m.group(1))]
        if 'patternType="solid"' not in fill:
            return ""
        rgb = re.search(r'<(?:[\w.-]+:)?fgColor\b[^>]*\brgb="([0-9A-Fa-f]{6,8})"', fill)
        return rgb.group(1).upper()[-6:] if rgb else ""

    # -- adding
    def solid_fill(self, rgb: str) -> int:
        """Index of a solid fill of colour ``rgb`` (RRGGBB)."""
        for i, fill in enumerate(self.sections["fills"].items):
            if 'patternType="solid"' in fill:
                m = re.search(r'<(?:[\w.-]+:)?fgColor\b[^>]*\brgb="([0-9A-Fa-f]{6,8})"', fill)
                if m and m.group(1).upper()[-6:] == rgb.upper():
                    return i
        item = (
            f'<fill><patternFill patternType="solid"><fgColor rgb="FF{rgb.upper()}"/>'
            '<bgColor indexed="64"/></patternFill></fill>'
        )
        return self._find_or_add("fills", with_prefix(item, self.prefix))

    def with_fill(self, xf_index: int, rgb: str) -> int:
        """Index of a cell format like ``xf_index`` but with a solid ``rgb`` fill (found or added)."""
        fill = self.solid_fill(rgb)
        base = self.xf(xf_index)
        if re.search(r'\bfillId="\d+"', base):
            xf = re.sub(r'\bfillId="\d+"', f'fillId="{fill}"', base, count=1)
        else:
            xf = re.sub(r"^(<(?:[\w.-]+:)?xf\b)", rf'\1 fillId="{fill}"', base, count=1)
        if "applyFill=" not in xf:
            xf = xf.replace(f'fillId="{fill}"', f'fillId="{fill}" applyFill="1"', 1)
        return self._find_or_add("cellXfs", xf)

    def number_format(self, code: str) -> int:
        if code in _BUILTIN_FORMATS:
            return _BUILTIN_FORMATS[code]
        s = self.sections["numFmts"]
        for item in s.items:
            m = re.search(r'\bformatCode="([^"]*)"', item)
            n = re.search(r'\bnumFmtId="(\d+)"', item)
            if m and n and m.group(1) == attr_text(code):
                return int(n.group(1))
        used = [int(x) for item in s.items for x in re.findall(r'\bnumFmtId="(\d+)"', item)]
        number = max([163, *used]) + 1
        s.items.append(
            with_prefix(f'<numFmt numFmtId="{number}" formatCode="{attr_text(code)}"/>', self.prefix)
        )
        s.keys.append(self._item_key("numFmts", s.items[-1]))
        s.added.append(s.items[-1])
        return number

    def style(self, name: str) -> int:
        """Index of a cell format showing the layout style ``name`` (``layout.styles.STYLES``)."""
        st: Style = STYLES[name]
        font = (
            "<font>"
            + ("<b/>" if st.bold else "")
            + ("<u/>" if st.underline else "")
            + f'<sz val="{st.size:g}"/>'
            + (f'<color rgb="FF{st.color}"/>' if st.color else '<color theme="1"/>')
            + f'<name val="{attr_text(st.font)}"/><family val="2"/><charset val="134"/></font>'
        )
        font_id = self._find_or_add("fonts", with_prefix(font, self.prefix))
        fill_id = self.solid_fill(st.fill) if st.fill else self._no_fill()
        side = '<{0} style="thin"><color rgb="FF000000"/></{0}>'
        border = (
            "<border>"
            + "".join(side.format(s) for s in ("left", "right", "top", "bottom"))
            + "<diagonal/></border>"
            if st.border
            else "<border><left/><right/><top/><bottom/><diagonal/></border>"
        )
        border_id = self._find_or_add("borders", with_prefix(border, self.prefix))
        num = self.number_format(st.num_format or "General")
        align = f'<alignment horizontal="{st.halign}" vertical="{st.valign}"' + (
            ' wrapText="1"/>' if st.wrap else "/>"
        )
        protection = "" if st.locked else '<protection locked="0"/>'
        xf = (
            f'<xf numFmtId="{num}" fontId="{font_id}" fillId="{fill_id}" borderId="{border_id}" xfId="0" '
            'applyNumberFormat="1" applyFont="1" applyFill="1" applyBorder="1" applyAlignment="1" '
            f'applyProtection="1">{align}{protection}</xf>'
        )
        return self._find_or_add("cellXfs", with_prefix(xf, self.prefix))

    def _no_fill(self) -> int:
        for i, fill in enumerate(self.sections["fills"].items):
            if 'patternType="none"' in fill or re.fullmatch(
                r"<(?:[\w.-]+:)?fill>\s*</(?:[\w.-]+:)?fill>|<(?:[\w.-]+:)?fill/>", fill
            ):
                return i
        return self._find_or_add(
            "fills", with_prefix('<fill><patternFill patternType="none"/></fill>', self.prefix)
        )

    # -- writing
    def xml(self) -> str:
        """The stylesheet with what was added appended to its sections (counts updated)."""
        if not self.changed:
            return self.original
        out = self.original
        p = self.prefix
        for name in reversed(_SECTIONS):  # later sections first: earlier offsets stay valid
            s = self.sections[name]
            if not s.added:
                continue
            block = self._block(name)
            count = len(s.items)
            if block is None:
                element = f'<{p}{name} count="{count}">{"".join(s.added)}</{p}{name}>'
                out = out[: self._insert_at(name)] + element + out[self._insert_at(name) :]
                continue
            start, body_start, body_end, end = block
            head = re.sub(r'\bcount="\d+"', f'count="{count}"', out[start:body_start], count=1)
            if "count=" not in head:
                head = head.replace(f"<{p}{name}", f'<{p}{name} count="{count}"', 1)
            if head.endswith("/>"):
                head = head[:-2] + ">"
                tail = f"</{p}{name}>"
                out = out[:start] + head + "".join(s.added) + tail + out[end:]
            else:
                out = out[:start] + head + out[body_start:body_end] + "".join(s.added) + out[body_end:]
        return out

    def _insert_at(self, name: str) -> int:
        """Where a missing section goes: before the first later section present, else before the end."""
        order = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs")
        for later in order[order.index(name) + 1 :]:
            m = re.search(rf"<{re.escape(self.prefix)}{later}\b", self.original)
            if m:
                return m.start()
        return self.original.rindex(f"</{self.prefix}styleSheet>")


def minimal_styles(main_ns: str) -> str:
    """A styles part for a workbook that has none (every package needs the default format 0)."""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<styleSheet xmlns="{main_ns}"><fonts count="1"><font><sz val="11"/><name val="宋体"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
    )


__all__ = ["Stylesheet", "minimal_styles"]
