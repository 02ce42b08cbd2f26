"""The official scoring rules (official-rules.md §3), case by case."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfeval_xl.model import Budget, Evaluation, FundLine, Indicator
from perfeval_xl.rules.config import DEFAULT_RULES, PRESETS
from perfeval_xl.rules.expr import round_half_up
from perfeval_xl.rules.scoring import execution_rate, execution_score, grade, indicator_score, score


def ind(op: str, t: object, a: object, w: object = D(10), **kw: object) -> Indicator:
    return Indicator("产出指标", "数量指标", "指标", op, t, "", a, kw.pop("band", ""), w, **kw)  # type: ignore[arg-type]


def budget(adjusted: object, executed: object) -> Budget:
    return Budget(total=FundLine(None, adjusted, executed))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("adjusted", "executed", "rate", "points"),
    [
        (D(100), D(98), D("0.98"), D("9.80")),
        (D(100), D(100), D(1), D("10.00")),
        (D(100), D(120), D("1.2"), D("10.00")),  # over-execution is capped
        (D("2652.84"), D("2652.84"), D(1), D("10.00")),  # the seed: 执行率 100 %
        (D(3), D(2), D(2) / D(3), D("6.67")),
        (D(100), D(0), D(0), D("0.00")),
    ],
)
def test_execution_rate_and_score(adjusted: D, executed: D, rate: D, points: D) -> None:
    r = execution_rate(budget(adjusted, executed))
    assert r is not None and abs(r - rate) < D("1e-20")
    assert execution_score(r) == points


@pytest.mark.parametrize("adjusted", [D(0), D(-5), None, "未知"])
def test_execution_rate_is_undefined_not_zero(adjusted: object) -> None:
    r = execution_rate(budget(adjusted, D(10)))
    assert r is None
    assert execution_score(r) is None


@pytest.mark.parametrize(
    ("op", "t", "a", "w", "expected"),
    [
        ("≥", D(100), D(90), D(10), D("9.00")),  # 正向 shortfall: w·a/t
        ("≥", D(100), D(130), D(10), D("10.00")),  # never above w
        (">", D(3), D(2), D(10), D("6.67")),
        ("≥", D(100), D(-5), D(10), D("0.00")),  # negative actual counts as 0
        ("≤", D(10), D(8), D(30), D("30.00")),  # 反向 met
        ("≤", D(10), D(12), D(30), D("25.00")),  # 反向 R1: w·t/a
        ("<", D(10), D(40), D(30), D("7.50")),
        ("=", D(100), D(100), D(5), D("5.00")),
        ("=", D(100), D(80), D(5), D("4.00")),  # = treated as 正向
        ("=", D(0), D(0), D(5), D("5.00")),  # t = 0: a ≤ 0 → w
        ("=", D(0), D(1), D(5), D("0.00")),  # t = 0: else 0
        ("≥", D(0), D(5), D(10), D("10.00")),  # t = 0 on 正向: any a ≥ 0 meets it (issue 9)
        ("≤", D(0), D(5), D(10), D("0.00")),  # t = 0 on 反向: a ≤ 0 full, else 0 ("≤0起")
        ("≤", D(0), D(0), D(10), D("10.00")),
        ("≥", D(-1), D(5), D(10), None),  # a negative target cannot be scored by ratio
        ("≥", D(100), None, D(10), None),  # actual missing
        ("≥", D(100), "九十", D(10), None),  # actual is text
        ("", D(100), D(90), D(10), D("9.00")),  # no operator, bare target: 正向, assumed (issue 9)
        ("正相关", D(100), D(90), D(10), None),  # an unknown operator decides nothing
        ("≥", D(100), D(90), None, None),  # no weight: not an indicator yet
        (">=", D(100), D(50), D(10), D("5.00")),  # ASCII spelling
        ("＝", D(4), D(3), D(8), D("6.00")),  # full-width =
    ],
)
def test_quantitative(op: str, t: object, a: object, w: object, expected: D | None) -> None:
    assert indicator_score(ind(op, t, a, w)) == expected


def test_reverse_variant_r2() -> None:
    r2 = PRESETS["vendor-r2"]
    assert indicator_score(ind("≤", D(10), D(12), D(30)), r2) == D("24.00")  # 30·(1 − 2/10)
    assert indicator_score(ind("≤", D(10), D(20), D(30)), r2) == D("0.00")  # a ≥ 2t → 0
    assert indicator_score(ind("≤", D(10), D(25), D(30)), r2) == D("0.00")
    assert indicator_score(ind("≤", D(10), D(12), D(30))) == D("25.00")  # default stays R1


@pytest.mark.parametrize(
    ("band", "entered", "expected"),
    [
        ("达成年度指标", D(9), D("9.00")),
        ("达成", D("8.5"), D("8.50")),
        ("部分达成年度指标并具有一定效果", D(7), D("7.00")),
        ("未达成", D(2), D("2.00")),
        ("达成", D(12), None),  # above 分值: not clamped to 10 but unscored (no 总分); validation says why
        ("未达成", D(-1), None),
        ("达成", None, None),  # the evaluator must pick the score
    ],
)
def test_qualitative_takes_the_evaluators_score(band: str, entered: D | None, expected: D | None) -> None:
    assert indicator_score(ind("定性", "效果明显", "效果明显", D(10), band=band, score=entered)) == expected


def test_self_entered_score_does_not_override_quantitative_rule() -> None:
    assert indicator_score(ind("≥", D(100), D(90), D(10), score=D(10))) == D("9.00")


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        (D("90.00"), "优"),  # the vendor bug gives 90.00 no grade (> 90); inclusive here
        (D("89.99"), "良"),
        (D("80.00"), "良"),
        (D("79.99"), "中"),
        (D("60.00"), "中"),
        (D("59.99"), "差"),
        (D("100.00"), "优"),
        (D("0"), "差"),
        (None, ""),
    ],
)
def test_grade_bounds_are_inclusive(total: D | None, expected: str) -> None:
    assert grade(total) == expected


def evaluation(*indicators: Indicator, adjusted: D = D(100), executed: D = D(100)) -> Evaluation:
    return Evaluation(budget=budget(adjusted, executed), indicators=list(indicators))


def filler(weight: D) -> Indicator:
    """A full-marks row bringing the 分值 up to 100, so that a 总分 exists."""
    return ind("≥", D(1), D(1), weight)


def test_total_is_sum_of_rounded_scores() -> None:
    # three indicators each 3.335 → 3.34 (half-up) → total 10 + 3 × 3.34 + 75 = 95.02, not 95.01
    items = [ind("≥", D(1000), D(667), D(5)) for _ in range(3)]
    s = score(evaluation(*items, filler(D(75))))
    assert [i.score for i in s.indicators[:3]] == [D("3.34")] * 3
    assert s.total == D("95.02")


def test_not_applicable_rescales_to_100() -> None:
    a = ind("≥", D(100), D(50), D(40))  # 20 of 40
    b = ind("≥", D(100), D(100), D(40))  # 40 of 40
    na = ind("≥", D(100), "/", D(10))  # not applicable
    s = score(evaluation(a, b, na))
    assert s.indicators[2].applicable is False and s.indicators[2].score is None
    assert s.applicable_weight == D(80)
    # (10 + 20 + 40) / (10 + 80) × 100 = 77.78
    assert s.total == D("77.78")
    assert s.grade == "中"
    na_band = ind("定性", "x", "", D(10), band="/")
    assert score(evaluation(a, b, na_band)).total == D("77.78")


def test_no_total_when_the_weights_do_not_add_up() -> None:
    s = score(evaluation(ind("≥", D(100), D(100), D(40))))  # 10 + 40 = 50
    assert s.total is None and s.grade == ""
    assert s.blocked_line == "未计总分：分值合计 50，应为 100"
    assert s.partial == D("50.00")


def test_no_total_when_a_row_cannot_be_scored() -> None:
    rows = [ind("≥", D(100), D(100), D(30)), ind("≥", D(100), "未统计", D(30)), filler(D(30))]
    rows.append(ind("≥", D(100), "九十", None))  # no 分值: not counted for the total
    s = score(evaluation(*rows))
    assert s.total is None and s.grade == ""
    assert s.blocked_line == "未计总分：1 项指标无法计分（第 2 项）"
    assert s.indicators[1].unscored and not s.indicators[0].unscored and not s.indicators[3].unscored


def test_a_total_of_110_is_no_total() -> None:
    s = score(evaluation(ind("≥", D(1), D(1), D(50)), ind("≥", D(1), D(1), D(50))))
    assert s.total is None and s.blocked_line == "未计总分：分值合计 110，应为 100"


def test_total_undefined_without_budget() -> None:
    s = score(evaluation(ind("≥", D(100), D(100), D(90)), adjusted=D(0)))
    assert s.execution_rate is None and s.total is None and s.grade == ""
    assert s.indicator_score == D("90.00")
    assert s.blocked_line == "未计总分：执行率无法计算（全年预算数为 0）"


def test_level1_totals() -> None:
    items = [
        Indicator("产出指标", "数量指标", "a", "≥", D(10), "", D(5), "", D(30)),
        Indicator("产出指标", "质量指标", "b", "≥", D(10), "", D(10), "", D(20)),
        Indicator("效益指标", "社会效益指标", "c", "≥", D(10), "", "/", "", D(30)),
    ]
    totals = score(evaluation(*items)).level1_totals(DEFAULT_RULES)
    assert totals["产出指标"] == (D(50), D("35.00"))
    assert totals["效益指标"] == (D(0), D(0))
    assert totals["满意度指标"] == (D(0), D(0))


@given(
    t=st.decimals(min_value=D("0.01"), max_value=D(10_000), places=2),
    a=st.decimals(min_value=D(-100), max_value=D(20_000), places=2),
    w=st.decimals(min_value=D("0.5"), max_value=D(50), places=1),
    op=st.sampled_from(["≥", "≤", "="]),
)
def test_score_between_zero_and_weight(t: D, a: D, w: D, op: str) -> None:
    s = indicator_score(ind(op, t, a, w))
    assert s is not None
    assert D(0) <= s <= w
    assert s == s.quantize(D("0.01"))
    a0 = max(a, D(0))
    positive = w if a0 >= t else w * a0 / t
    reverse = w if a0 <= t else w * t / a0
    expected = positive if op in ("≥", "=") else reverse
    assert s == round_half_up(expected)


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (D("2.675"), D("2.68")),  # float 2.675 is 2.67499…; spreadsheets and we give 2.68
        (D("1.005"), D("1.01")),
        (D("-1.005"), D("-1.01")),
        (D("0.125"), D("0.13")),
        (D("90.599999999999994"), D("90.60")),  # 15 significant digits first (ground-notes.md)
        (D(0), D("0.00")),
    ],
)
def test_round_half_up_like_spreadsheets(x: D, expected: D) -> None:
    assert round_half_up(x) == expected


def test_default_rules_are_the_national_ones() -> None:
    assert DEFAULT_RULES.id == "national" and DEFAULT_RULES.execution_weight == 10
    assert sum(DEFAULT_RULES.level1_weights().values()) + DEFAULT_RULES.execution_weight == 100
    assert DEFAULT_RULES.reverse == "R1"


def test_round_half_up_of_huge_values_keeps_them() -> None:
    assert round_half_up(D("1e308")) == D("1e308")
    assert round_half_up(D("123456789012345678.9")) == D("123456789012346000")


# ------------------------------------------------------------------- tried as a new user (issue 9, 13)


def _two_rows(weight_b: object) -> Evaluation:
    return Evaluation(
        budget=Budget(total=FundLine(D(100), D(100), D(100))),
        indicators=[
            Indicator("产出指标", "数量指标", "a", "≥", D(10), "个", D(10), "", D(88)),
            Indicator("效益指标", "社会效益指标", "b", "≥", D(10), "个", D(10), "", weight_b),  # type: ignore[arg-type]
        ],
    )


def test_a_weight_typed_as_text_blocks_the_total_and_is_named() -> None:
    """分值 "2" typed as text: the sum is not known, so no 总分, and the reason names the row rather than a
    sum that silently leaves it out (it said 分值合计 98 when the clerk's weights made 100)."""
    s = score(_two_rows("2"))
    assert s.total is None and s.grade == ""
    assert s.blocked == ("1 项指标的分值不是数值（第 2 项）",)
    s = score(_two_rows(D(2)))
    assert s.total == D(100)


def test_a_qualitative_row_prints_the_clerks_words_and_the_band_only_when_there_are_none() -> None:
    ev = Evaluation(
        budget=Budget(total=FundLine(D(100), D(100), D(100))),
        indicators=[
            Indicator(
                "效益指标", "社会效益指标", "出行便利", "定性", "明显改善", "", "有所改善", "", D(45), D(40)
            ),
            Indicator("效益指标", "社会效益指标", "覆盖面", "定性", "扩大", "", "", "", D(45), D(30)),
        ],
    )
    rows = score(ev).indicators
    assert rows[0].env["a_show"] == "有所改善"
    assert rows[1].env["a_show"] == "部分达成年度指标并具有一定效果"  # 30 ÷ 45 = 66.7 %: the band inferred


@pytest.mark.parametrize(
    ("actual", "unit", "shown"),
    [
        ("88", "%", "88%"),  # a number typed into a 文本 cell prints like the number
        (D(88), "%", "88%"),
        ("≥266", "米", "≥266"),  # the clerk's own sign: printed as written
        ("约88", "%", "约88"),
        ("88.50", "%", "88.50"),  # not the number's own text: as written
    ],
)
def test_an_actual_prints_with_the_rows_unit_only_when_it_is_a_bare_number(
    actual: object, unit: str, shown: str
) -> None:
    ev = Evaluation(
        budget=Budget(total=FundLine(D(100), D(100), D(100))),
        indicators=[Indicator("产出指标", "数量指标", "完成率", "≥", D(90), unit, actual, "", D(90), None)],
    )
    [row] = score(ev).indicators
    assert row.env["a_show"] == shown


def test_a_qualitative_row_scored_by_the_ratio_rule_says_its_method_is_the_evaluators_score() -> None:
    ev = Evaluation(
        budget=Budget(total=FundLine(D(100), D(100), D(100))),
        indicators=[
            Indicator(
                "效益指标", "社会效益指标", "出行便利", "定性", "明显改善", "", "有所改善", "", D(45), D(40)
            ),
            Indicator("产出指标", "数量指标", "完成率", "≥", D(90), "%", D(95), "", D(45), None),
        ],
    )
    rows = score(ev).indicators
    assert [r.method for r in rows] == ["自评（定性）", "比例"]


def test_a_qualitative_score_above_its_weight_withholds_the_total_and_says_so() -> None:
    """得分 12 on a 分值 10 定性 row (no 完成档次, as on the national form): the row is not counted as 10 and 总分
    is withheld; the one finding on the row says it is not scored (no second ROW_UNSCORED)."""
    from perfeval_xl.rules.checks import check

    ev = Evaluation(
        budget=Budget(total=FundLine(D(100), D(100), D(100))),
        execution_weight=D(10),
        indicators=[
            Indicator("产出指标", "数量指标", "完成率", "≥", D(90), "%", D(95), "", D(80), None),
            Indicator("效益指标", "可持续影响指标", "长效机制", "", "健全", "", "较好", "", D(10), D(12)),
        ],
    )
    s = score(ev)
    assert s.total is None and s.indicators[1].score is None
    assert s.blocked == ("1 项指标无法计分（第 2 项）",)
    row = [f for f in check(ev) if f.field.startswith("indicators[1]")]
    assert [f.code for f in row if f.level.value == "error"] == ["QUAL_SCORE_OUT_OF_BAND"]
    assert "本项未计分" in row[0].message
