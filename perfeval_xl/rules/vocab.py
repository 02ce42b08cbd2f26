"""The words people write, in one table every reader uses: 指标性质 spellings, signs and words inside
values, not-applicable marks, the characters a value is normalised by, and how labels are cleaned.

What varies by province (一级/二级 names, 定性 bands, grades) is in the scheme (rules.scheme); what is written
the same way everywhere is here. ``rules.reading`` turns these tables into expressions, so the Python
reader and the template's formulas read a cell the same way.

Sources: official-rules-sources.md §1.1 (targets carry the operator and unit inside the text: ``≥50个``,
``≤90万元``, ``=100%``; 不适用 rows marked ``/``), §3.3 (vendor operator codes ≥ > = ≤ < 定性 定量), issue 9
(``═`` U+2550 on official forms, 定量指标 / 正向指标 / 反向指标, 不少于 / 不低于 / 以上 / 以内 …).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ..model import Indicator

#: Directions a row can have: 正向, 反向, 等于, 定性; "定量" says only "quantitative" (direction from the
#: target's text, else 正向 assumed).
POSITIVE, REVERSE, EQUAL, QUALITATIVE, QUANTITATIVE = "≥", "≤", "=", "定性", "定量"
DIRECTIONS = (POSITIVE, REVERSE, EQUAL, QUALITATIVE)
#: Choices of the template's 指标性质 dropdown (any spelling below is read too).
OPERATOR_CHOICES: tuple[str, ...] = ("≥", "≤", "=", ">", "<", "定性", "定量")

#: Characters replaced in every value and 指标性质 cell before it is read (after this, a value holds only
#: half-width digits, ``. , + - %`` and the symbols ≥ ≤ > < =), in this order. Spaces, line breaks and tabs
#: are removed. 百分比/百分率 (a 度量单位 seen on forms, [P1] ``≥100百分比``) become ``%``.
NORMALISE: tuple[tuple[str, str], ...] = (
    (" ", ""),
    ("\u3000", ""),
    ("\n", ""),
    ("\r", ""),
    ("\t", ""),
    *((chr(0xFF10 + d), str(d)) for d in range(10)),  # ０-９
    ("．", "."),
    ("％", "%"),
    ("，", ","),
    ("＋", "+"),
    ("－", "-"),
    ("−", "-"),
    ("／", "/"),
    ("＞", ">"),
    ("＜", "<"),
    ("＝", "="),
    ("═", "="),
    ("≧", "≥"),
    ("≦", "≤"),
    (">=", "≥"),
    ("<=", "≤"),
    ("百分比", "%"),
    ("百分率", "%"),
)

#: The part of NORMALISE that matters in a cell holding a word or a sign (指标性质, 完成档次, 计分方法, 分值):
#: whitespace and the symbols; digits and 百分比 are left alone (a shorter formula for the same reading).
NORMALISE_WORD: tuple[tuple[str, str], ...] = tuple(
    (old, new)
    for old, new in NORMALISE
    if not ("０" <= old <= "９" or old in ("百分比", "百分率", "．", "％", "，", "＋"))
)

#: 指标性质 as written (after NORMALISE) → direction. One table for the template, the CSV and the workbook.
OPERATOR_SPELLINGS: Mapping[str, str] = MappingProxyType(
    {
        "≥": POSITIVE,
        ">": POSITIVE,
        "正向": POSITIVE,
        "正向指标": POSITIVE,
        "大于等于": POSITIVE,
        "大于": POSITIVE,
        "不低于": POSITIVE,
        "不少于": POSITIVE,
        "≤": REVERSE,
        "<": REVERSE,
        "反向": REVERSE,
        "反向指标": REVERSE,
        "小于等于": REVERSE,
        "小于": REVERSE,
        "不高于": REVERSE,
        "不超过": REVERSE,
        "=": EQUAL,
        "等于": EQUAL,
        "定性": QUALITATIVE,
        "定性指标": QUALITATIVE,
        "定量": QUANTITATIVE,
        "定量指标": QUANTITATIVE,
    }
)

#: Signs and words at the start of a value (after NORMALISE) → direction; longest first, so 大于等于 is
#: tried before 大于. In 实际完成值 they are ignored (with a warning): the value is its number.
VALUE_PREFIXES: tuple[tuple[str, str], ...] = (
    ("大于或等于", POSITIVE),
    ("小于或等于", REVERSE),
    ("大于等于", POSITIVE),
    ("小于等于", REVERSE),
    ("不低于", POSITIVE),
    ("不少于", POSITIVE),
    ("不小于", POSITIVE),
    ("不高于", REVERSE),
    ("不多于", REVERSE),
    ("不大于", REVERSE),
    ("不超过", REVERSE),
    ("至少", POSITIVE),
    ("至多", REVERSE),
    ("大于", POSITIVE),
    ("高于", POSITIVE),
    ("超过", POSITIVE),
    ("小于", REVERSE),
    ("低于", REVERSE),
    ("等于", EQUAL),
    ("≥", POSITIVE),
    ("≤", REVERSE),
    (">", POSITIVE),
    ("<", REVERSE),
    ("=", EQUAL),
)
#: Words at the end of a value (after the unit) → direction: ``90%以上``, ``3个工作日内``; longest first.
VALUE_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("及以上", POSITIVE),
    ("及以下", REVERSE),
    ("以上", POSITIVE),
    ("以下", REVERSE),
    ("以内", REVERSE),
    ("之内", REVERSE),
    ("内", REVERSE),
)
#: The characters of a number inside a value (a leading + or - is read separately); commas are
#: thousands separators and dropped (``≥1,000人`` is 1000).
NUMBER_CHARS = "0123456789.,"
#: Longest number read inside a value, in characters.
NUMBER_MAX_LENGTH = 15

#: Marks of a not-applicable indicator in 实际完成值 or 完成档次 (filled forms write ``/`` [P2]), after
#: NORMALISE (so ``／`` is ``/``).
NOT_APPLICABLE: tuple[str, ...] = ("/", "不适用")

#: Characters dropped from a 三级 name before it is matched (quotes around "三公经费").
NAME_QUOTES = "\"“”'‘’「」『』"


def normalise(text: str, table: tuple[tuple[str, str], ...] = NORMALISE) -> str:
    """NORMALISE (or another table) applied to a text, for constants the rules compare normalised cells with."""
    for old, new in table:
        text = text.replace(old, new)
    return text


def is_not_applicable_mark(value: object) -> bool:
    return isinstance(value, str) and normalise(value) in NOT_APPLICABLE


def is_blank(ind: Indicator) -> bool:
    """A row with nothing entered (template rows the clerk did not use)."""
    return not any(
        (
            ind.level1.strip(),
            ind.level2.strip(),
            ind.name.strip(),
            ind.operator.strip(),
            ind.target is not None and ind.target != "",
            ind.unit.strip(),
            ind.actual is not None and ind.actual != "",
            ind.band.strip(),
            ind.weight is not None and ind.weight != "",
            ind.score is not None and ind.score != "",
            ind.deviation_note.strip(),
            ind.method.strip(),
            ind.coefficient is not None and ind.coefficient != "",
        )
    )


__all__ = [
    "DIRECTIONS",
    "NORMALISE",
    "NOT_APPLICABLE",
    "OPERATOR_CHOICES",
    "OPERATOR_SPELLINGS",
    "VALUE_PREFIXES",
    "VALUE_SUFFIXES",
    "is_blank",
    "normalise",
]
