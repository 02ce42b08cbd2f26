"""Scoring rules, written once as expressions: Python evaluates them, the template renders them as formulas.

Each ``*_expr`` function returns the rule over named inputs (the ``Ref`` names below); layout.py says which
cell each name is in, so the workbook's formulas and the numbers here cannot drift. The plain functions
(``execution_rate``, ``indicator_score``, ``score`` …) evaluate the same expressions on a model.

Rules and interpretations (sources: official-rules.md §3, official-rules-sources.md §3):

- 执行率 r = 全年执行数 / 全年预算数; undefined (blank) when 全年预算数 ≤ 0 — "全年预算数 = 0 is an error,
  not a zero score". 得分 = 分值 × min(r, 1), never below 0 (a negative 执行数 is itself an error).
- 正向 (≥ >): a ≥ t → w, else w·a/t. 反向 (≤ <): a ≤ t → w, else w·t/a (R1) or w·(1 − (a − t)/t), 0 at a ≥ 2t
  (R2, a switch). ``=``: as 正向; with t = 0, a ≤ 0 → w else 0. A negative a counts as 0 (vendor rule).
  t ≤ 0 on 正向/反向 and t < 0 on ``=`` leave the score blank (undefined; validation reports it).
  Never above w. A self-entered 得分 on a quantitative row does not change the score (validation compares).
- 定性: the evaluator's own 得分 inside the band (the rules give no formula); it is kept within [0, w] here,
  and validation reports a score outside its band.
- Not applicable (``/``): not scored; when any row is, total = (执行率得分 + Σ 得分) / (执行率分值 + Σ 适用分值)
  × 100 (official-rules-sources.md §3.5 "按百分制折算"; we read the 执行率 as one more applicable item).
- Each indicator score is rounded half-up to 2 decimals, the total is the sum of the rounded scores
  (and, when rescaled, rounded again); grades by inclusive lower bound: 90 优, 80 良, 60 中, else 差.
- A row whose 分值 is blank is not an indicator yet: no score, no weight.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from ..model import Budget, Evaluation, Indicator, Num, as_number
from . import vocab
from .config import DEFAULT_RULES, RuleSet
from .expr import (
    And,
    Expr,
    If,
    IsNumber,
    Max,
    Min,
    Not,
    Or,
    Ref,
    Round,
    Sum,
    SumIf,
    Value,
    evaluate,
    round_half_up,
)

# Input names of one indicator row.
OPERATOR, TARGET, ACTUAL, BAND, WEIGHT, ENTERED = "operator", "target", "actual", "band", "weight", "entered"
# Input names of the budget and the headline cells.
ADJUSTED, EXECUTED = "budget_adjusted", "budget_executed"
EXEC_WEIGHT, RATE, EXEC_SCORE = "execution_weight", "execution_rate", "execution_score"
TOTAL = "total"
# Column ranges over all indicator rows.
SCORES, APPLICABLE_WEIGHTS, NA_FLAGS, LEVEL1S = "scores", "applicable_weights", "na_flags", "level1s"


# ------------------------------------------------------------------------------------------ the rules


@functools.cache
def execution_rate_expr() -> Expr:
    budget, executed = Ref(ADJUSTED), Ref(EXECUTED)
    return If(And(IsNumber(budget), IsNumber(executed)), If(budget.gt(0), executed / budget, ""), "")


@functools.cache
def execution_score_expr() -> Expr:
    rate, weight = Ref(RATE), Ref(EXEC_WEIGHT)
    return If(And(IsNumber(rate), IsNumber(weight)), Round(weight * Max(0, Min(rate, 1))), "")


@functools.cache
def not_applicable_expr() -> Expr:
    return Or(Ref(ACTUAL).isin(vocab.NOT_APPLICABLE), Ref(BAND).isin(vocab.NOT_APPLICABLE))


def indicator_score_expr(rules: RuleSet = DEFAULT_RULES) -> Expr:
    """The score of one indicator row (depends only on the 反向 variant of ``rules``)."""
    return _indicator_score_expr(rules.reverse_variant)


@functools.cache
def _indicator_score_expr(reverse_variant: str) -> Expr:
    op, t, a, w, entered = Ref(OPERATOR), Ref(TARGET), Ref(ACTUAL), Ref(WEIGHT), Ref(ENTERED)
    a0 = Max(a, 0)
    positive = If(a0.ge(t), w, w * a0 / t)
    if reverse_variant == "R1":
        reverse = If(a0.le(t), w, w * t / a0)
    else:
        reverse = If(a0.le(t), w, If(a0.ge(2 * t), 0, w * (1 - (a0 - t) / t)))
    equal = If(t.eq(0), If(a0.le(0), w, 0), positive)
    quantitative = If(
        And(IsNumber(t), IsNumber(a)),
        If(
            op.isin(vocab.POSITIVE_OPS),
            If(t.gt(0), Round(Min(w, positive)), ""),
            If(
                op.isin(vocab.REVERSE_OPS),
                If(t.gt(0), Round(Min(w, reverse)), ""),
                If(op.isin(vocab.EQUAL_OPS), If(t.ge(0), Round(Min(w, equal)), ""), ""),
            ),
        ),
        "",
    )
    qualitative = If(IsNumber(entered), Round(Max(0, Min(w, entered))), "")
    return If(
        Or(not_applicable_expr(), Not(IsNumber(w))),
        "",
        If(w.lt(0), "", If(op.isin(vocab.QUALITATIVE_OPS), qualitative, quantitative)),
    )


@functools.cache
def applicable_weight_expr() -> Expr:
    """The 分值 a row contributes to the rescaling base: its weight unless blank or not applicable."""
    w = Ref(WEIGHT)
    return If(IsNumber(w), If(not_applicable_expr(), 0, w), 0)


@functools.cache
def not_applicable_flag_expr() -> Expr:
    """1 for a weighted row marked not applicable, else 0."""
    return If(IsNumber(Ref(WEIGHT)), If(not_applicable_expr(), 1, 0), 0)


@functools.cache
def total_expr() -> Expr:
    exec_score, exec_weight = Ref(EXEC_SCORE), Ref(EXEC_WEIGHT)
    raw = exec_score + Sum(Ref(SCORES))
    base = exec_weight + Sum(Ref(APPLICABLE_WEIGHTS))
    rescaled = If(base.gt(0), Round(raw / base * 100), "")
    return If(
        And(IsNumber(exec_score), IsNumber(exec_weight)),
        If(Sum(Ref(NA_FLAGS)).gt(0), rescaled, Round(raw)),
        "",
    )


def grade_expr(rules: RuleSet = DEFAULT_RULES) -> Expr:
    return _grade_expr(rules.grades)


@functools.cache
def _grade_expr(grades: tuple[tuple[Decimal, str], ...]) -> Expr:
    total = Ref(TOTAL)
    expr: Expr | str = grades[-1][1]
    for bound, label in reversed(grades[:-1]):
        expr = If(total.ge(bound), label, expr)
    return If(IsNumber(total), expr, "")


def level1_sum_expr(level1: str, column: str) -> Expr:
    """Σ of ``column`` (SCORES or APPLICABLE_WEIGHTS) over the rows of one 一级指标."""
    return SumIf(Ref(LEVEL1S), level1, Ref(column))


# ------------------------------------------------------------------------------ evaluation on a model


def _number(v: Value) -> Decimal | None:
    return v if isinstance(v, Decimal) else None


def indicator_env(ind: Indicator) -> dict[str, Num]:
    return {
        OPERATOR: ind.operator,
        TARGET: ind.target,
        ACTUAL: ind.actual,
        BAND: ind.band,
        WEIGHT: ind.weight,
        ENTERED: ind.score,
    }


def execution_rate(budget: Budget) -> Decimal | None:
    """全年执行数 / 全年预算数, or None when undefined."""
    env = {ADJUSTED: budget.total.adjusted, EXECUTED: budget.total.executed}
    return _number(evaluate(execution_rate_expr(), env))


def execution_score(rate: Decimal | None, weight: Num = DEFAULT_RULES.execution_weight) -> Decimal | None:
    return _number(evaluate(execution_score_expr(), {RATE: rate, EXEC_WEIGHT: weight}))


def indicator_score(ind: Indicator, rules: RuleSet = DEFAULT_RULES) -> Decimal | None:
    """The rule's score of one indicator (2 decimals), or None when not scored."""
    return _number(evaluate(indicator_score_expr(rules), indicator_env(ind)))


def applicable_weight(ind: Indicator) -> Decimal:
    return evaluate(applicable_weight_expr(), indicator_env(ind))  # type: ignore[return-value]


def grade(total: Decimal | None, rules: RuleSet = DEFAULT_RULES) -> str:
    return str(evaluate(grade_expr(rules), {TOTAL: total}))


@dataclass(frozen=True)
class IndicatorScore:
    name: str
    level1: str
    weight: Decimal | None
    score: Decimal | None
    applicable: bool


@dataclass(frozen=True)
class Scores:
    """Everything the rules compute for one evaluation."""

    execution_rate: Decimal | None
    execution_score: Decimal | None
    indicators: tuple[IndicatorScore, ...]
    indicator_score: Decimal  # Σ rounded indicator scores
    applicable_weight: Decimal  # Σ 分值 of applicable indicators
    total: Decimal | None
    grade: str

    def level1_totals(self) -> dict[str, tuple[Decimal, Decimal]]:
        """一级指标 → (Σ applicable 分值, Σ 得分), in the official order then any other name."""
        out: dict[str, tuple[Decimal, Decimal]] = {k: (Decimal(0), Decimal(0)) for k in vocab.LEVELS}
        for ind in self.indicators:
            if ind.weight is None:
                continue
            w, s = out.get(ind.level1, (Decimal(0), Decimal(0)))
            out[ind.level1] = (
                w + (ind.weight if ind.applicable else 0),
                s + (ind.score or 0),
            )
        return out


def score(ev: Evaluation, rules: RuleSet = DEFAULT_RULES) -> Scores:
    """Score one evaluation with the same expressions the workbook's formulas are rendered from."""
    rate = execution_rate(ev.budget)
    exec_score = execution_score(rate, ev.execution_weight)
    items: list[IndicatorScore] = []
    scores: list[Value] = []
    weights: list[Value] = []
    flags: list[Value] = []
    score_expr = indicator_score_expr(rules)
    for ind in ev.indicators:
        env = indicator_env(ind)
        s = _number(evaluate(score_expr, env))
        w = evaluate(applicable_weight_expr(), env)
        flag = evaluate(not_applicable_flag_expr(), env)
        scores.append(s)
        weights.append(w)
        flags.append(flag)
        items.append(
            IndicatorScore(
                name=ind.name,
                level1=ind.level1,
                weight=as_number(ind.weight),
                score=s,
                applicable=not vocab.is_not_applicable(ind),
            )
        )
    env_total = {
        EXEC_SCORE: exec_score,
        EXEC_WEIGHT: ev.execution_weight,
        SCORES: scores,
        APPLICABLE_WEIGHTS: weights,
        NA_FLAGS: flags,
    }
    total = _number(evaluate(total_expr(), env_total))
    indicator_sum = sum((s for s in scores if isinstance(s, Decimal)), Decimal(0))
    return Scores(
        execution_rate=rate,
        execution_score=exec_score,
        indicators=tuple(items),
        indicator_score=round_half_up(indicator_sum),
        applicable_weight=sum((w for w in weights if isinstance(w, Decimal)), Decimal(0)),
        total=total,
        grade=grade(total, rules),
    )


def rate_for_display(rate: Decimal | None, places: int = 4) -> Decimal | None:
    """A rate as a fraction rounded for output (4 places → 98.27 %)."""
    return None if rate is None else round_half_up(rate, places)


__all__: Sequence[str] = (
    "IndicatorScore",
    "Scores",
    "execution_rate",
    "execution_score",
    "grade",
    "indicator_score",
    "score",
)
