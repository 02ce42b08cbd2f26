"""Numbers as clerks and budget systems write them: text in, ``Decimal`` (or the raw text) out.

Pure functions, no I/O. Never floats: a ``Decimal`` is built from the text; a float handed in by a
spreadsheet reader is converted through ``repr`` so ``0.1`` stays ``0.1``.

What ``parse_number`` accepts (interpretations, decided here):

- surrounding whitespace (also U+3000 ideographic and no-break spaces) and zero-width characters;
- full-width digits, signs, point, comma and percent (``１２３．４``, ``－5``, ``９５％``) and the minus sign
  U+2212 (``−5``), as Chinese input methods and Word produce them;
- thousands separators, ASCII or full-width comma, only in groups of three (``1,234.5``, ``1，234.5``);
  ``1,23`` is not a number (it could be a European decimal comma), so it stays text and validation asks;
- a leading ``+`` and an exponent (``1.5E+3``: Excel writes large numbers so into CSV);
- a trailing ``%``: ``95%`` → 95. The number is the percentage as written, not a fraction: targets and
  actual values in ``%`` are compared with each other, so both sides stay in the same unit;
- a trailing ``万元``: ``12.5万元`` → 12.5. 万元 is the model's money unit (model.py), so the number is
  unchanged. No other unit is stripped: ``125000元`` or ``3亿元`` would need a conversion, ``20家`` is a
  count, and guessing there is worse than asking, so they stay text (validation reports NOT_A_NUMBER).
  ``split_indicator_value`` is the function that separates an indicator's own unit.

Limits (issue 12: ``1e999999`` gave 优 in fill, NOT_A_NUMBER in validate and a two-million-character
message): a value with more than ``MAX_DIGITS`` (30) significant digits, or whose decimal exponent is beyond
± ``MAX_EXPONENT`` (30, i.e. magnitude ≥ 10³¹ or below 10⁻³⁰ and not 0), is not a number but text, as are
``Infinity`` and ``NaN`` (any spelling, also as floats or Decimals handed in) and numeric text longer than 80
characters (leading zeros included). Nothing a budget unit writes
comes near: 10³¹ 万元 is beyond any budget, and a spreadsheet keeps 15 significant digits. One answer for every
reader: the text, which validation reports as NOT_A_NUMBER. Messages quote such text through ``excerpt``.

Anything else comes back as the stripped text, which the model keeps so validation can report it.
"""

from __future__ import annotations

import contextlib
import math
import re
from decimal import Decimal, InvalidOperation

from ..model import Num

# Full-width ASCII block (！ … ～) → ASCII, ideographic space → space, minus-like signs → "-".
_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_WIDTH.update({0x3000: " ", 0x2212: "-", 0xFE63: "-", 0xFE6A: "%", 0x200B: None, 0xFEFF: None})

#: A decimal number with optional sign and thousands separators (after width normalisation).
_NUMBER = r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|[+-]?\.\d+"
_PARSE = re.compile(rf"(?P<num>(?:{_NUMBER})(?:[eE][+-]?\d+)?)\s*(?P<suffix>%|万元)?", re.ASCII)
_LEADING = re.compile(rf"(?P<num>{_NUMBER})\s*(?P<rest>.*)", re.ASCII | re.DOTALL)
_DIGIT = re.compile(r"\d")

#: More significant digits than this: not a number (see module doc).
MAX_DIGITS = 30
#: A decimal exponent (of the leading digit) beyond ± this: not a number (see module doc).
MAX_EXPONENT = 30
#: Longest numeric text worth handing to ``Decimal`` (digits, separators, point, sign, exponent).
_MAX_NUMBER_TEXT = 2 * MAX_DIGITS + 20
#: How many characters of a cell a message quotes (``excerpt``).
EXCERPT = 40

#: Operators at the start of a target, longest first → the canonical operator (rules.vocab accepts all).
_PREFIX_OPS: tuple[tuple[str, str], ...] = (
    (">=", "≥"),
    ("<=", "≤"),
    ("≥", "≥"),
    ("≧", "≥"),
    ("≤", "≤"),
    ("≦", "≤"),
    (">", ">"),
    ("<", "<"),
    ("=", "="),
    ("大于等于", "≥"),
    ("大于或等于", "≥"),
    ("不低于", "≥"),
    ("不少于", "≥"),
    ("不小于", "≥"),
    ("至少", "≥"),
    ("小于等于", "≤"),
    ("小于或等于", "≤"),
    ("不高于", "≤"),
    ("不多于", "≤"),
    ("不大于", "≤"),
    ("不超过", "≤"),
    ("至多", "≤"),
    ("大于", ">"),
    ("高于", ">"),
    ("超过", ">"),
    ("小于", "<"),
    ("低于", "<"),
    ("等于", "="),
)
#: Words after the unit that carry the operator (``90%以上``, ``3个工作日内``), longest first.
_SUFFIX_OPS: tuple[tuple[str, str], ...] = (
    ("及以上", "≥"),
    ("以上", "≥"),
    ("及以下", "≤"),
    ("以下", "≤"),
    ("以内", "≤"),
    ("之内", "≤"),
    ("内", "≤"),
)


def normalize_width(text: str) -> str:
    """Full-width ASCII (digits, signs, brackets, letters) → half-width; U+2212 → ``-``; zero-widths dropped."""
    return text.translate(_WIDTH)


def excerpt(text: object, limit: int = EXCERPT) -> str:
    """``text`` as a message may quote it: the first ``limit`` characters, then ``…`` when cut."""
    s = str(text)
    return s if len(s) <= limit else s[:limit] + "…"


def in_range(value: Decimal) -> bool:
    """Whether ``value`` is a number the tool treats as one: finite, at most ``MAX_DIGITS`` significant
    digits, exponent within ± ``MAX_EXPONENT`` (see module doc). Readers of other sources (workbook cells)
    use it so that every path gives the same answer."""
    if not value.is_finite():
        return False
    if not value:
        return True
    digits = "".join(map(str, value.as_tuple().digits)).rstrip("0")  # significant: no trailing zeros
    return len(digits) <= MAX_DIGITS and abs(value.adjusted()) <= MAX_EXPONENT


def _decimal(digits: str) -> Decimal | None:
    if len(digits) > _MAX_NUMBER_TEXT:
        return None
    try:
        d = Decimal(digits.replace(",", ""))
    except InvalidOperation:
        return None
    if (len(digits) > MAX_DIGITS or "e" in digits or "E" in digits) and not in_range(d):
        return None  # (plain text of at most 30 characters is within the limits: no need to look)
    exponent = d.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:  # 1.5E+3 → 1500, as a clerk would read it
        with contextlib.suppress(InvalidOperation):
            d = d.quantize(Decimal(1))
    return d


def parse_number(text: str | int | float | Decimal | None) -> Num:
    """The number in ``text`` as a ``Decimal``, ``None`` when blank, else the stripped text (see module doc)."""
    if text is None:
        return None
    if isinstance(text, bool):  # a spreadsheet TRUE/FALSE is not a number
        return str(text).upper()
    if isinstance(text, Decimal):
        if text.is_nan():
            return None
        return text if in_range(text) else str(text)
    if isinstance(text, int):
        value = Decimal(text)
        return value if in_range(value) else str(text)
    if isinstance(text, float):
        if math.isnan(text):  # pandas' blank
            return None
        value = _decimal(repr(text)) if math.isfinite(text) else None
        return repr(text) if value is None else value
    raw = str(text).strip()
    normal = normalize_width(raw).strip()
    if not normal:
        return None
    m = _PARSE.fullmatch(normal)
    if m is None:
        return raw
    value = _decimal(m["num"])
    return raw if value is None else value


def looks_like_number(text: object) -> Decimal | None:
    """The number a text cell would be if typed as a number (for “1,234.5”是文本，请改为数值), else None."""
    if not isinstance(text, str):
        return None
    value = parse_number(text)
    return value if isinstance(value, Decimal) else None


def split_indicator_value(text: str | int | float | Decimal | None) -> tuple[str, Num, str]:
    """Split a 年度指标值 as budget systems export it into (指标性质, value, 度量单位).

    ``≥50个`` → (≥, 50, 个); ``≤90万元`` → (≤, 90, 万元); ``=100%`` → (=, 100, %); ``90%`` → ("", 90, %);
    ``效果明显`` → ("", 效果明显, ""). Operators may be symbols (ASCII or full-width) or words (不低于,
    不超过 …), or a suffix after the unit (``90%以上`` → ≥, ``3个工作日内`` → ≤). The operator comes
    back canonical (≥ ≤ = > <). When the text is not "operator, number, unit" (no number, or digits in
    the unit as in ``1-2个``), it comes back whole as the value: (``""``, text, ``""``).
    """
    if text is None or not isinstance(text, str):
        return "", parse_number(text), ""
    raw = text.strip()
    if not raw:
        return "", None, ""
    normal = normalize_width(raw).strip()
    op, rest = "", normal
    for prefix, canonical in _PREFIX_OPS:
        if normal.startswith(prefix):
            op, rest = canonical, normal[len(prefix) :].strip()
            break
    m = _LEADING.fullmatch(rest)
    if m is None:
        return "", raw, ""
    unit = m["rest"].strip()
    for suffix, canonical in _SUFFIX_OPS:
        if unit.endswith(suffix) and op in ("", canonical, _strict(canonical)):
            op, unit = op or canonical, unit[: -len(suffix)].strip()
            break
    value = _decimal(m["num"])
    if value is None or _DIGIT.search(unit):
        return "", raw, ""
    return op, value, unit


def _strict(op: str) -> str:
    return {"≥": ">", "≤": "<"}.get(op, op)


__all__ = [
    "EXCERPT",
    "MAX_DIGITS",
    "MAX_EXPONENT",
    "excerpt",
    "in_range",
    "looks_like_number",
    "normalize_width",
    "parse_number",
    "split_indicator_value",
]
