"""Shared formulas: a column of formulas that differ only in their row, stored once (SpreadsheetML
``<f t="shared">``), as Excel itself saves a formula dragged down. XlsxWriter has no API for them, so the
builder writes the first formula and styled blank cells below it, and ``share`` rewrites the sheet's XML.

Values are not cached in shared cells: Excel recalculates on load (XlsxWriter sets fullCalcOnLoad) and
LibreOffice computes every formula cell that has no stored result.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..layout.spec import FillDown

_CELL = re.compile(r'<c r="(?P<ref>[A-Z]+\d+)"(?P<attrs>[^>]*?)(?:/>|>(?P<body>.*?)</c>)', re.DOTALL)


def share(xml: str, fills: Iterable[FillDown]) -> str:
    """Turn each FillDown's first formula into a shared master and the blank cells below into its copies."""
    targets: dict[str, tuple[int, str]] = {}  # cell → (si, role)
    masters: dict[str, tuple[int, str]] = {}
    for si, f in enumerate(fills):
        masters[f"{f.col}{f.first}"] = (si, f"{f.col}{f.first}:{f.col}{f.last}")
        for row in range(f.first + 1, f.last + 1):
            targets[f"{f.col}{row}"] = (si, "")
    if not masters:
        return xml
    seen: set[str] = set()

    def rewrite(m: re.Match[str]) -> str:
        ref, attrs, body = m["ref"], m["attrs"], m["body"] or ""
        attrs = re.sub(r'\s+t="[^"]*"', "", attrs)
        if ref in masters:
            si, span = masters[ref]
            fm = re.search(r"<f>(.*?)</f>", body, re.DOTALL)
            if fm is None:
                raise ValueError(f"{ref}: no formula to share")
            seen.add(ref)
            return f'<c r="{ref}"{attrs}><f t="shared" ref="{span}" si="{si}">{fm[1]}</f></c>'
        if ref in targets:
            if body.strip():
                raise ValueError(f"{ref}: a shared formula would overwrite a value")
            seen.add(ref)
            return f'<c r="{ref}"{attrs}><f t="shared" si="{targets[ref][0]}"/></c>'
        return m[0]

    out = _CELL.sub(rewrite, xml)
    missing = (set(masters) | set(targets)) - seen
    if missing:
        raise ValueError(f"cells missing for shared formulas: {sorted(missing)[:5]}")
    return out
