"""The README documents every validation code the tool can emit."""

from __future__ import annotations

import re
from pathlib import Path

import perfeval_xl.batch  # registers its codes
import perfeval_xl.collect
import perfeval_xl.csvin  # noqa: F401
from perfeval_xl.catalog import CODES
from perfeval_xl.rules.checks import CATALOG

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "perfeval_xl"


def emitted_codes() -> set[str]:
    """Codes created outside the check registry (readers), found by their Finding(...) construction."""
    codes: set[str] = set()
    for path in SOURCES.rglob("*.py"):
        codes.update(re.findall(r'Finding\(\s*"([A-Z][A-Z0-9_]+)"', path.read_text(encoding="utf-8")))
    return codes


def test_readme_lists_every_code() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = sorted(c for c in set(CATALOG) | set(CODES) | emitted_codes() if f"`{c}`" not in readme)
    assert not missing, f"README lacks: {missing}"
