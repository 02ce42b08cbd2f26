"""Every finding code the tool can emit, with its level, title and description: one entry per code.

Checks (``rules.checks``) register here through their ``@rule`` decorator; readers (CSV, workbook) and the
batch and roll-up edges register their own codes with ``code(...)`` at import time, beside the code that
emits them. ``CODES`` is what the README table and ``tests/test_docs.py`` are checked against. Pure data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from .model import Level

Origin = Literal["check", "csv", "workbook", "batch", "collect", "scheme"]


@dataclass(frozen=True)
class CodeInfo:
    """One finding code: its default level, a short Chinese title and a one-sentence description."""

    code: str
    level: Level
    title_zh: str
    description_zh: str
    origin: Origin = "check"


_codes: dict[str, CodeInfo] = {}
#: code → CodeInfo of every registered code, in registration order.
CODES: Mapping[str, CodeInfo] = MappingProxyType(_codes)

_CODE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*")


def code(code: str, level: Level, title_zh: str, description_zh: str, origin: Origin = "check") -> CodeInfo:
    """Register ``code`` (UPPER_SNAKE, unique) and return its entry. Raises ValueError on a bad or
    duplicate code, so two modules cannot give one code two meanings."""
    if not _CODE.fullmatch(code):
        raise ValueError(f"bad finding code {code!r}")
    if code in _codes:
        raise ValueError(f"duplicate finding code {code!r}")
    info = CodeInfo(code, level, title_zh, description_zh, origin)
    _codes[code] = info
    return info


__all__ = ["CODES", "CodeInfo", "code"]
