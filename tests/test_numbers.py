"""rules.numbers: numbers as clerks type them → Decimal, or the text kept for validation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfeval_xl.rules.numbers import (
    excerpt,
    in_range,
    looks_like_number,
    parse_number,
    split_indicator_value,
)

D = Decimal


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234.5", D("1234.5")),
        ("1，234.5", D("1234.5")),  # full-width comma
        ("１２３．４", D("123.4")),  # full-width digits and point
        ("－5", D("-5")),  # full-width minus
        ("−5", D("-5")),  # U+2212
        ("  42  ", D("42")),
        ("\u300042\u3000", D("42")),  # ideographic spaces
        ("95%", D("95")),
        ("９５％", D("95")),
        ("95 %", D("95")),
        ("12.5万元", D("12.5")),
        ("+3", D("3")),
        (".5", D("0.5")),
        ("0.10", D("0.10")),
        ("1.5E+3", D("1500")),
        ("001234", D("1234")),
        ("-1,234,567.25", D("-1234567.25")),
    ],
)
def test_parse_number_reads_numbers(text: str, expected: Decimal) -> None:
    value = parse_number(text)
    assert isinstance(value, Decimal)
    assert value == expected


def test_parse_number_keeps_the_digits_as_written() -> None:
    assert str(parse_number("0.10")) == "0.10"
    assert str(parse_number("2652.84")) == "2652.84"


@pytest.mark.parametrize(
    "text",
    [
        "abc",
        "1,23",
        "12,3456",
        "1 234",
        "--5",
        "1.2.3",
        "12元",
        "3亿元",
        "20家",
        "=5",
        "@5",
        "5-",
        "/",
        "—",
        "١٢",
    ],
)
def test_parse_number_keeps_other_text(text: str) -> None:
    assert parse_number(text) == text


def test_parse_number_strips_the_text_it_keeps() -> None:
    assert parse_number("  效果明显 ") == "效果明显"


@pytest.mark.parametrize("text", [None, "", "   ", "\u3000", float("nan")])
def test_parse_number_blank_is_none(text: object) -> None:
    assert parse_number(text) is None  # type: ignore[arg-type]


def test_parse_number_floats_go_through_repr() -> None:
    assert parse_number(0.1) == D("0.1")
    assert parse_number(2.675) == D("2.675")  # not 2.67499999…
    assert parse_number(1e16) == D("10000000000000000")
    assert parse_number(7) == D(7)
    assert parse_number(D("3.50")) == D("3.50")
    assert parse_number(float("inf")) == "inf"
    assert parse_number(True) == "TRUE"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("≥50个", ("≥", D(50), "个")),
        ("≤90万元", ("≤", D(90), "万元")),
        ("=100%", ("=", D(100), "%")),
        ("90%", ("", D(90), "%")),
        ("效果明显", ("", "效果明显", "")),
        ("≥100百分比", ("≥", D(100), "百分比")),
        (">=5", ("≥", D(5), "")),
        ("＞＝５", ("≥", D(5), "")),
        ("＜3天", ("<", D(3), "天")),
        ("≥ 17 家", ("≥", D(17), "家")),
        ("不低于90%", ("≥", D(90), "%")),
        ("不超过1,200万元", ("≤", D(1200), "万元")),
        ("90%以上", ("≥", D(90), "%")),
        ("3个工作日内", ("≤", D(3), "个工作日")),
        ("1-2个", ("", "1-2个", "")),
        ("不低于上年水平", ("", "不低于上年水平", "")),
        ("≥", ("", "≥", "")),
        ("", ("", None, "")),
        ("/", ("", "/", "")),
    ],
)
def test_split_indicator_value(text: str, expected: tuple[str, object, str]) -> None:
    assert split_indicator_value(text) == expected


def test_split_indicator_value_of_a_number_cell() -> None:
    assert split_indicator_value(D("12.5")) == ("", D("12.5"), "")
    assert split_indicator_value(None) == ("", None, "")


def test_looks_like_number() -> None:
    assert looks_like_number("1,234.5") == D("1234.5")
    assert looks_like_number(" ９５％") == D("95")
    assert looks_like_number("效果明显") is None
    assert looks_like_number("") is None
    assert looks_like_number(D(5)) is None  # already a number: nothing to say


# ------------------------------------------------------------------------------------- round trips

_FULL = str.maketrans("0123456789,.-%", "０１２３４５６７８９，．－％")

decimals = st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-(10**12), max_value=10**12)


@st.composite
def written(draw: st.DrawFn) -> tuple[Decimal, str]:
    """A Decimal and one way a clerk or a budget system could write it."""
    value = draw(decimals)
    text = f"{value:,f}" if draw(st.booleans()) else f"{value:f}"
    if draw(st.booleans()):
        text = text.translate(_FULL)
    if text.startswith("-") and draw(st.booleans()):
        text = "\u2212" + text[1:]
    if draw(st.booleans()):
        text += draw(st.sampled_from(["%", "％", " %", "万元"]))
    pad = st.sampled_from(["", " ", "\u3000", "\t", "\u00a0"])
    return value, draw(pad) + text + draw(pad)


@given(written())
def test_parse_number_round_trip(case: tuple[Decimal, str]) -> None:
    value, text = case
    parsed = parse_number(text)
    assert isinstance(parsed, Decimal), text
    assert parsed == value


@given(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15).filter(
        lambda x: x == 0 or abs(x) >= 1e-30  # smaller is beyond the limits (below)
    )
)
def test_parse_number_of_float_is_its_shortest_repr(x: float) -> None:
    parsed = parse_number(x)
    assert isinstance(parsed, Decimal)
    assert parsed == Decimal(repr(x))
    assert float(parsed) == x


@given(
    decimals,
    st.sampled_from(["≥", "≤", "=", "＞＝", "不低于", ""]),
    st.sampled_from(["个", "万元", "%", "家", ""]),
)
def test_split_round_trip(value: Decimal, op: str, unit: str) -> None:
    canonical = {"＞＝": "≥", "不低于": "≥"}.get(op, op)
    assert split_indicator_value(f"{op}{value:,f}{unit}") == (canonical, value, unit)


@given(st.text(max_size=30))
def test_parse_number_never_raises(text: str) -> None:
    value = parse_number(text)
    assert value is None or isinstance(value, Decimal | str)


# ------------------------------------------------------------------------------------- limits (issue 12)


@pytest.mark.parametrize(
    "text",
    [
        "1e999999",
        "1E+31",
        "-1e31",
        "1e-31",
        "1" + "0" * 31,  # 10³¹
        "1" * 31,  # 31 significant digits
        "0." + "0" * 30 + "1",  # 10⁻³¹
        "1" + "0" * 2_000_000,  # two million characters
        "Infinity",
        "-Infinity",
        "inf",
        "NaN",
        "nan",
        "1e999999%",
        "1e999999万元",
    ],
)
def test_numbers_beyond_the_limits_are_text(text: str) -> None:
    assert parse_number(text) == text
    assert looks_like_number(text) is None


@pytest.mark.parametrize(
    "value",
    [Decimal("1E+999999"), Decimal("Infinity"), Decimal("-Infinity"), 10**31, float("inf"), 1e300, 1e-300],
)
def test_values_beyond_the_limits_handed_in_are_text(value: object) -> None:
    parsed = parse_number(value)  # type: ignore[arg-type]
    assert isinstance(parsed, str) and len(parsed) < 60


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1E+30", D("1E+30")),
        ("1" * 30, D("1" * 30)),
        ("0." + "0" * 29 + "1", D("1E-30")),
        ("1.000000000000000000000000000000000", D(1)),  # trailing zeros are not significant
        ("-1e30", D("-1E+30")),
        ("0e99999999", D(0)),  # zero is zero
    ],
)
def test_numbers_at_the_limits_are_numbers(text: str, expected: Decimal) -> None:
    assert parse_number(text) == expected


def test_split_indicator_value_applies_the_same_limits() -> None:
    assert split_indicator_value("≥1e999999个") == ("", "≥1e999999个", "")
    assert split_indicator_value("≥" + "1" * 31 + "个") == ("", "≥" + "1" * 31 + "个", "")
    assert split_indicator_value("≥" + "1" * 30 + "个") == ("≥", D("1" * 30), "个")


def test_in_range_and_excerpt() -> None:
    assert in_range(D("123.45")) and in_range(D(0)) and in_range(D("-0"))
    assert not in_range(D("1E+31")) and not in_range(D("NaN")) and not in_range(D("Infinity"))
    assert excerpt("短") == "短"
    long = "1" + "0" * 2_000_000
    assert excerpt(long) == long[:40] + "…" and len(excerpt(long, 10)) == 11
