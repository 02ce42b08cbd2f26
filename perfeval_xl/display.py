"""How numbers and indicator values are written for people: the 自评表, the report, messages. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from .model import Finding, Indicator, Level, Num
from .rules import vocab


def plain(d: Decimal) -> str:
    """A number as entered, without exponent or trailing zeros (95, 0.95, 12.5, 89.974)."""
    text = format(d.normalize(), "f")
    return "0" if text in ("-0", "0", "") else text


def _value(value: Num, unit: str) -> str:
    if isinstance(value, Decimal):
        return plain(value) + unit.strip()
    if isinstance(value, str):
        return value.strip()
    return ""


def target_text(ind: Indicator) -> str:
    """年度指标值 as the official tables print it: operator, value and unit in one (≥50个, =100%);
    a 定性 or textual target as written; "" when blank."""
    shown = _value(ind.target, ind.unit)
    op = vocab.normalize_operator(ind.operator)
    if shown and isinstance(ind.target, Decimal) and op in ("≥", "≤", "="):
        entered = ind.operator.strip()
        return (entered if entered in (">", "<") else op) + shown
    return shown


def actual_text(ind: Indicator) -> str:
    """实际完成值 as printed: for 定性 rows the chosen 完成档次 (filled forms write 达成年度指标 there,
    official-rules-sources.md §1.1) or else the description; otherwise value and unit; "" when blank."""
    if vocab.normalize_operator(ind.operator) == "定性":
        band = vocab.normalize_band(ind.band) or ind.band.strip()
        if band:
            return band
    return _value(ind.actual, ind.unit)


def counts_line(findings: Sequence[Finding]) -> str:
    """错误 N 项，警告 M 项，提示 K 项 — the same words on screen, in the workbook and in message boxes."""
    counts = {lvl: sum(1 for f in findings if f.level is lvl) for lvl in Level}
    return f"错误 {counts[Level.ERROR]} 项，警告 {counts[Level.WARNING]} 项，提示 {counts[Level.INFO]} 项"
