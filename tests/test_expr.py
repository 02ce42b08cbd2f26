"""The rule expression language: Python evaluation has spreadsheet semantics, rendering is exact."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from perfeval_xl.rules.expr import (
    And,
    FormulaError,
    If,
    IsNumber,
    Max,
    Min,
    Or,
    Ref,
    Round,
    Sum,
    SumIf,
    evaluate,
    render,
)

x, y = Ref("x"), Ref("y")


def test_render_is_a_formula_with_the_given_references() -> None:
    expr = If(And(IsNumber(x), x.gt(0)), Round(Min(y / x, 1) * 10), "")
    assert render(expr, {"x": "C14", "y": "'基本信息'!$D$14"}) == (
        "=IF(AND(ISNUMBER(C14),(C14>0)),ROUND((MIN(('基本信息'!$D$14/C14),1)*10),2),\"\")"
    )


def test_render_constants() -> None:
    assert render(x.eq('say "hi"'), {"x": "A1"}) == '=(A1="say ""hi""")'
    assert render(x * D("0.80"), {"x": "A1"}) == "=(A1*0.8)"
    assert render(x + D(-3), {"x": "A1"}) == "=(A1+(-3))"
    assert render(x.isin(("≥", ">")), {"x": "E5"}) == '=OR((E5="≥"),(E5=">"))'


def test_nested_or_and_are_flattened() -> None:
    assert render(Or(Or(x.eq(1), y.eq(2)), x.eq(3)), {"x": "A1", "y": "B1"}) == "=OR((A1=1),(B1=2),(A1=3))"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, True), ("", True), (D(0), False), ("abc", False)],
)
def test_blank_equals_empty_text(value: object, expected: bool) -> None:
    assert evaluate(x.eq(""), {"x": value}) is expected


def test_blank_is_zero_in_arithmetic_and_comparison() -> None:
    assert evaluate(x + 1, {"x": None}) == D(1)
    assert evaluate(x.eq(0), {"x": None}) is True


def test_text_sorts_after_numbers_like_excel() -> None:
    assert evaluate(x.gt(1000), {"x": "abc"}) is True
    assert evaluate(x.lt(0), {"x": "abc"}) is False


def test_text_comparison_ignores_case() -> None:
    assert evaluate(x.eq("ABC"), {"x": "abc"}) is True


def test_isnumber() -> None:
    assert evaluate(IsNumber(x), {"x": D(1)}) is True
    assert evaluate(IsNumber(x), {"x": "1"}) is False
    assert evaluate(IsNumber(x), {"x": None}) is False


def test_unguarded_errors_surface_as_in_a_spreadsheet() -> None:
    with pytest.raises(FormulaError):
        evaluate(x / y, {"x": D(1), "y": D(0)})
    with pytest.raises(FormulaError):
        evaluate(x * 2, {"x": "text"})
    # AND evaluates every argument, like Excel: the guard does not protect a division inside it
    with pytest.raises(FormulaError):
        evaluate(And(y.ne(0), (x / y).gt(1)), {"x": D(1), "y": D(0)})
    # IF is lazy, like Excel
    assert evaluate(If(y.ne(0), x / y, ""), {"x": D(1), "y": D(0)}) == ""


def test_min_max_round() -> None:
    assert evaluate(Round(Max(x, 0) * D("0.3333")), {"x": D(10)}) == D("3.33")
    assert evaluate(Min(x, y), {"x": D(3), "y": D(2)}) == D(2)


def test_sum_and_sumif_ignore_text_and_blanks() -> None:
    env = {"v": [D(1), "x", None, D("2.5")], "k": ["a", "b", "a", "a"]}
    assert evaluate(Sum(Ref("v")), env) == D("3.5")
    assert evaluate(SumIf(Ref("k"), "a", Ref("v")), env) == D("3.5")
    assert evaluate(SumIf(Ref("k"), "b", Ref("v")), env) == D(0)


_OPS = ("eq", "ne", "lt", "le", "gt", "ge")


@pytest.mark.parametrize("value", [None, "", "abc", "ABC", "abd", "Ab", D(0), D(5), True, False])
@pytest.mark.parametrize("op", _OPS)
def test_comparison_with_a_text_constant_matches_the_general_path(op: str, value: object) -> None:
    # A text constant is case-folded once when compiled; the result must equal comparing with the same
    # text held in a cell (the general path), for blanks, numbers, booleans and text alike.
    folded = evaluate(getattr(x, op)("aBc"), {"x": value})
    general = evaluate(getattr(x, op)(y), {"x": value, "y": "aBc"})
    assert folded is general


def test_comparison_with_a_text_constant_orders_like_a_spreadsheet() -> None:
    assert evaluate(x.lt("abc"), {"x": D(5)}) is True  # every number sorts before every text
    assert evaluate(x.eq("ABC"), {"x": "abc"}) is True
    assert evaluate(x.lt("abd"), {"x": "ABC"}) is True
    assert evaluate(x.eq(""), {"x": None}) is True
    assert evaluate(x.ne("abc"), {"x": None}) is True
