"""Scoring rules, written once as expressions: Python evaluates them, the template renders them as formulas.

The row program (``row_program(scheme)``) is rules.reading's steps followed by the scoring steps below; the
template renders each step as a hidden column of its 计算 sheet, so every number the workbook computes is
the number computed here (tests/test_parity.py recalculates in LibreOffice). The book-level rules (执行率,
执行率得分, 总分, 等级) are expressions over the 基本信息 cells and the program's columns.

Rules and interpretations (sources: official-rules.md §3, §6; official-rules-sources.md §3):

- 执行率 r = 全年执行数 / 全年预算数; undefined (blank) when 全年预算数 ≤ 0 ("全年预算数 = 0 is an error, not a
  zero score"). 执行率得分 by the scheme: ``linear`` 分值 × min(r, 1), never below 0; ``bands`` or
  ``deduction`` on r in per cent; with 分值 0 (``row`` schemes, 宁夏) the score is 0 and r need not exist.
- Indicator rows by method (the scheme's default, a common indicator's own, or one the row names in 计分方法):
  * ``ratio`` — 正向 (≥ >): a ≥ t → w, else w·a/t; t = 0 → w (any a ≥ 0 meets it). 反向 (≤ <): a ≤ t → w,
    else w·t/a (R1) or w·(1 − (a − t)/t), 0 at a ≥ 2t (R2); t = 0 → a ≤ 0 full, else 0 ("≤0起" accidents,
    issue 9). ``=``: as 正向; t = 0: a ≤ 0 → w else 0. official-rules.md §3 calls a target of 0 on 正向/反向
    an error; issue 9 found approved forms that set ``≤0起`` for accidents and complaints, so 0 is scored
    as above (no finding) and only a negative target is refused. A negative a counts as 0 (vendor rule); a negative t
    cannot be scored by ratio (blank, TARGET_NEGATIVE). 定性: the evaluator's own 得分 when it lies in [0, w];
    outside, the row is unscored (never clamped: a number the clerk did not give), QUAL_SCORE_OUT_OF_BAND.
  * ``bands`` — the points of the first band the 实际完成值 meets, else ``otherwise``; ``deduction`` — w minus
    ``per`` points per ``step`` units the 实际完成值 lies beyond ``threshold`` (proportional unless ``whole``),
    never below 0; ``coefficient`` — w × 得分系数 % (capped to 0–100 %); ``manual`` — the evaluator's 得分.
  Every score is capped at w and rounded half-up to 2 decimals (spreadsheet rounding, rules.expr).
- Not applicable (``/`` in 实际完成值 or 完成档次): not scored; when any row is, total = (执行率得分 + Σ 得分) /
  (执行率分值 + Σ 适用分值) × 100 (official-rules-sources.md §3.5 "按百分制折算").
- **The honest total** (issue 9 §6): 总分 and 等级 exist only when the evaluation is complete — 执行率得分
  defined (or its 分值 is 0), every applicable row with a 分值 scored, and 执行率分值 + Σ 分值 = 100 (within
  the tolerance). Otherwise 总分 is blank and ``Scores.blocked`` says why, in one line; the sum of what could
  be scored is ``Scores.partial`` — a partial sum, never shown as 总分.
- Grades by inclusive lower bound (the scheme's; national 90 优, 80 良, 60 中, else 差).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from ..model import Budget, Evaluation, Indicator, Num, as_number
from . import vocab
from .expr import (
    Abs,
    And,
    Const,
    Expr,
    Guard,
    If,
    Int,
    IsNumber,
    IsText,
    Max,
    Min,
    Not,
    Or,
    Ref,
    Round,
    Sum,
    SumIf,
    Text,
    Value,
    evaluate,
    plain,
    round_half_up,
)
from .reading import (
    COEFFICIENT,
    ENTERED,
    METHOD,
    RAW_INPUTS,
    WEIGHT,
    RowProgram,
    Step,
    _blank,
    direction_steps,
    inherit_levels,
    label_steps,
    normalise_expr,
    raw_env,
    value_steps,
)
from .scheme import Band, Method, Scheme, default_scheme

# Inputs of the book-level rules (基本信息 cells and headline cells).
ADJUSTED, EXECUTED = "budget_adjusted", "budget_executed"
EXEC_WEIGHT, RATE, EXEC_SCORE = "execution_weight", "execution_rate", "execution_score"
TOTAL, COMPLETE = "total", "complete"
#: Row step: 1 on a filled row that has its 一级 or 二级 (schemes with levels); and the window of that
#: step over every row (``LEVELS_ALL``), with which the row rules tell a form without levels at all.
LEVELS_HERE = "lv"
LEVELS_ALL = "lv_all"
# Column ranges over all indicator rows (a step's values, top to bottom).
SCORES, APPLICABLE_WEIGHTS, NA_FLAGS, WEIGHTS, UNSCORED, LEVEL1S, WEIGHT_TEXT = (
    "score",
    "aw",
    "naf",
    "wt",
    "unscored",
    "l1",
    "wtxt",  # 1 where a 分值 is written but is not a number ("2" typed as text, 十): the sum is unknown
)
COLUMN_RANGES = (SCORES, APPLICABLE_WEIGHTS, NA_FLAGS, WEIGHTS, UNSCORED, LEVEL1S, WEIGHT_TEXT)


# ------------------------------------------------------------------------------------ scoring methods


def _points(v: Expr, m: Method) -> Expr:
    """The points of a band table or a deduction for the value ``v`` (a number), before the cap."""
    if m.kind == "bands":
        out: Expr = Const(m.otherwise)
        for band in reversed(m.bands):
            cond = v.ge(band.at_least) if band.at_least is not None else v.le(band.at_most)  # type: ignore[arg-type]
            out = If(cond, band.points, out)
        return out
    raise ValueError(m.kind)


def _deduction(v: Expr, w: Expr, m: Method, threshold: Expr) -> Expr:
    beyond = Max(0, v - threshold) if m.direction == "above" else Max(0, threshold - v)
    steps = beyond / m.step
    if m.whole:
        steps = Int(steps)
    return Max(0, w - m.per * steps)


def _ratio(scheme: Scheme) -> Expr:
    """The national rule: by direction (rules.reading ``dir``), 定性 by the evaluator's score."""
    d, t, a, w = Ref("dir"), Ref("t_num"), Ref("a_val"), Ref(WEIGHT)
    a0 = Max(a, 0)
    positive = If(t.eq(0), w, If(a0.ge(t), w, w * a0 / t))
    if scheme.reverse == "R1":
        reverse = If(a0.le(t), w, If(t.eq(0), 0, w * t / a0))
    else:
        reverse = If(a0.le(t), w, If(t.eq(0), 0, If(a0.ge(2 * t), 0, w * (1 - (a0 - t) / t))))
    equal = If(t.eq(0), If(a0.le(0), w, 0), positive)
    quantitative = If(
        And(IsNumber(t), IsNumber(a)),
        If(
            t.lt(0),
            "",
            If(
                d.eq(vocab.POSITIVE),
                Round(Min(w, positive)),
                If(
                    d.eq(vocab.REVERSE),
                    Round(Min(w, reverse)),
                    If(d.eq(vocab.EQUAL), Round(Min(w, equal)), ""),
                ),
            ),
        ),
        "",
    )
    return If(d.eq(vocab.QUALITATIVE), _manual(), quantitative)


def _manual() -> Expr:
    """The evaluator's own 得分, when it lies within 0 … 分值. One outside is not clamped into range (that would
    be a number the clerk never gave): the row is unscored, so no 总分, and the check says why."""
    e, w = Ref(ENTERED), Ref(WEIGHT)
    return If(IsNumber(e), If(And(e.ge(0), e.le(w)), Round(e), ""), "")


def _by_value(m: Method) -> Expr:
    a, w, t = Ref("a_val"), Ref(WEIGHT), Ref("t_num")
    if m.kind == "bands":
        return If(IsNumber(a), Round(Min(w, _points(a, m))), "")
    threshold: Expr = t if m.threshold == "target" else Const(m.threshold)  # type: ignore[arg-type]
    ready = And(IsNumber(a), IsNumber(t)) if m.threshold == "target" else IsNumber(a)
    return If(ready, Round(Min(w, _deduction(a, w, m, threshold))), "")


def _coefficient() -> Expr:
    c, w = Ref("c_num"), Ref(WEIGHT)
    return If(IsNumber(c), Round(w * Max(0, Min(c, 100)) / 100), "")


#: Method kind → builder of the row's score (before the not-applicable / 分值 guards): one table, one entry
#: per method (jsonschema's keyword table, style.md §4).
METHODS: Mapping[str, Callable[[Method, Scheme], Expr]] = {
    "ratio": lambda m, s: _ratio(s),
    "manual": lambda m, s: _manual(),
    "coefficient": lambda m, s: _coefficient(),
    "bands": lambda m, s: _by_value(m),
    "deduction": lambda m, s: _by_value(m),
}

#: How the 计分方法 column and messages name a method kind.
METHOD_LABELS = {
    "ratio": "比例",
    "manual": "自评",
    "coefficient": "系数",
    "bands": "分档",
    "deduction": "扣分",
}


def method_options(scheme: Scheme) -> list[tuple[Expr, Method, str]]:
    """(condition, method, label) for each method a row may get, most specific first: a common indicator
    by its name, then a method the row names in 计分方法. The scheme's default applies otherwise."""
    nm, mcell = Ref("nm"), Ref("m_n")
    out: list[tuple[Expr, Method, str]] = []
    for c in scheme.common:
        names = [_match_name(n) for n in (c.name, *c.aliases)]
        out.append((Or(*(nm.eq(n) for n in names)), c.method, f"共性指标“{c.name}”"))
    for m in scheme.methods:
        out.append((mcell.eq(vocab.normalise(m.name, vocab.NORMALISE_WORD)), m, m.name))
    return out


def _match_name(name: str) -> str:
    for ch in (" ", "\u3000", *vocab.NAME_QUOTES):
        name = name.replace(ch, "")
    return name


def _band_of(ratio: Expr, scheme: Scheme) -> Expr:
    out: Expr = Const(scheme.qualitative[-1].name)
    for q in reversed(scheme.qualitative[:-1]):
        out = If(ratio.ge(q.lower), q.name, out)
    return out


def scoring_steps(scheme: Scheme) -> list[Step]:
    """The steps after reading: which method, the score, the sums' columns, the band in effect."""
    w, na, e = Ref(WEIGHT), Ref("na"), Ref(ENTERED)
    options = method_options(scheme)
    steps = [Step("m_n", normalise_expr(Ref(METHOD), vocab.NORMALISE_WORD), "计分方法（规范化）")]
    select: Expr = Ref("s_0")
    partials = [
        Step(
            "s_0",
            _weighted(METHODS[scheme.default_method.kind](scheme.default_method, scheme)),
            "默认方法得分",
        )
    ]
    for k, (cond, method, _) in reversed(list(enumerate(options, start=1))):
        partials.append(Step(f"s_{k}", _weighted(METHODS[method.kind](method, scheme)), f"方法{k}得分"))
        select = If(cond, Ref(f"s_{k}"), select)
    steps += sorted(partials, key=lambda s: int(s.name[2:]))
    steps.append(
        Step(
            "mth",
            _chain_labels(options, scheme),
            "计分方法",
        )
    )
    steps.append(Step("mk", _chain_kinds(options, scheme), "计分方法代码"))
    steps.append(Step("score", If(Or(na, Not(IsNumber(w))), "", If(w.lt(0), "", select)), "得分"))
    steps.append(Step("aw", If(IsNumber(w), If(na, 0, w), 0), "计分分值"))
    steps.append(Step("wt", If(IsNumber(w), w, 0), "分值"))
    steps.append(Step("naf", If(IsNumber(w), If(na, 1, 0), 0), "不适用"))
    steps.append(Step("unscored", If(And(IsNumber(w), Not(na), Ref("score").eq("")), 1, 0), "无法计分"))
    steps[:0] = [Step(f"z_{n}", _blank(Ref(n)), f"{n} 为空") for n in RAW_INPUTS]
    steps.append(Step("filled", If(And(*(Ref(f"z_{n}") for n in RAW_INPUTS)), 0, 1), "已填写"))
    if not scheme.flat:
        has_level = Or(Not(Ref("z_level1")), Not(Ref("z_level2")))
        steps.append(Step(LEVELS_HERE, If(And(Ref("filled").eq(1), has_level), 1, 0), "填有一级或二级"))
    na_mark = Or(*(Ref("w_n").eq(m) for m in vocab.NOT_APPLICABLE))
    wtext = And(Ref("filled"), IsText(w), Not(Ref("z_weight")), Not(And(na, na_mark)))
    wbad = Or(And(Ref("filled"), Not(na), Ref("z_weight")), Ref(WEIGHT_TEXT).eq(1))
    steps.insert(0, Step("w_n", normalise_expr(w, vocab.NORMALISE_WORD), "分值（规范化）"))
    steps.append(Step(WEIGHT_TEXT, If(wtext, 1, 0), "分值写了但不是数值"))
    steps.append(Step("wbad", If(wbad, 1, 0), "分值缺失或非数值"))
    band = Ref("b_cell")
    inferred = If(
        And(Ref("dir").eq(vocab.QUALITATIVE), IsNumber(e), IsNumber(w), w.gt(0)), _band_of(e / w, scheme), ""
    )
    steps.append(
        Step("band", If(Or(band.eq(""), band.eq("?"), band.eq("/")), inferred, band), "完成档次（含推定）")
    )
    t, u, o = Ref("target"), Ref("unit"), Ref("o_n")
    sign = If(Or(o.eq(">"), o.eq("<")), o, Ref("op_cell"))
    signed = Or(*(Ref("op_cell").eq(d) for d in (vocab.POSITIVE, vocab.REVERSE, vocab.EQUAL)))
    steps.append(
        Step(
            "t_show",
            If(IsNumber(t), If(signed, sign, "").cat(Text(t)).cat(Text(u)), Text(t)),
            "年度指标值（打印）",
        )
    )
    a = Ref("actual")
    steps.append(
        Step(
            "a_show",
            If(
                Ref("dir").eq(vocab.QUALITATIVE),  # the clerk's own words; the 完成档次 only when none
                If(_blank(a), Ref("band"), Text(a)),
                If(Or(IsNumber(a), _bare_number(a)), Text(a).cat(Text(u)), Text(a)),
            ),
            "实际完成值（打印）",
        )
    )
    return steps


def _bare_number(a: Expr) -> Expr:
    """A number typed as text ("88", a cell formatted as 文本): its text is exactly the number read from it,
    so it prints with the row's unit like a number does ("88%"); "≥266米" or "约90" print as written."""
    a_val = Ref("a_val")
    return And(IsNumber(a_val), Text(a).eq(Text(a_val)))


def _weighted(score: Expr) -> Expr:
    """A method's score only where the 分值 is a number (every method multiplies or caps by it)."""
    return If(IsNumber(Ref(WEIGHT)), score, "")


def _chain_kinds(options: list[tuple[Expr, Method, str]], scheme: Scheme) -> Expr:
    out: Expr = Const(scheme.default_method.kind)
    for cond, method, _ in reversed(options):
        out = If(cond, method.kind, out)
    return out


def _chain_labels(options: list[tuple[Expr, Method, str]], scheme: Scheme) -> Expr:
    out: Expr = _label(scheme.default_method, METHOD_LABELS[scheme.default_method.kind])
    for cond, method, label in reversed(options):
        out = If(cond, _label(method, f"{METHOD_LABELS[method.kind]}：{label}"), out)
    return out


def _label(method: Method, label: str) -> Expr:
    """The 计分方法 a row shows: the national ratio rule scores a 定性 row by the evaluator's score
    (``_ratio``), so such a row says 自评, not 比例."""
    if method.kind != "ratio":
        return Const(label)
    return If(Ref("dir").eq(vocab.QUALITATIVE), f"{METHOD_LABELS['manual']}（定性）", label)


@functools.lru_cache(maxsize=32)
def row_program(scheme: Scheme) -> RowProgram:
    """Every step of a row under ``scheme``: reading (values, labels, direction), then scoring."""
    coefficient = value_steps("c", COEFFICIENT, "得分系数") if uses_coefficient(scheme) else []
    steps = [
        *value_steps("t", "target", "年度指标值"),
        *value_steps("a", "actual", "实际完成值"),
        *coefficient,
        *label_steps(scheme),
        *direction_steps(scheme),
        *scoring_steps(scheme),
    ]
    return RowProgram(tuple(steps))


def uses_coefficient(scheme: Scheme) -> bool:
    """Whether any row may be scored by 得分系数 under ``scheme`` (else the 得分系数 column is not read)."""
    kinds = {
        scheme.default_method.kind,
        *(m.kind for m in scheme.methods),
        *(c.method.kind for c in scheme.common),
    }
    return "coefficient" in kinds


def read_row(ind: Indicator, scheme: Scheme) -> dict[str, object]:
    """The evaluated row program of one indicator: raw inputs and every step (see rules.reading)."""
    [raw] = inherit_levels([raw_env(ind)])  # a row alone: nothing above it
    return row_program(scheme).run(raw)  # type: ignore[return-value]


# --------------------------------------------------------------------------------- book-level rules


@functools.cache
def execution_rate_expr() -> Expr:
    budget, executed = Ref(ADJUSTED), Ref(EXECUTED)
    return If(And(IsNumber(budget), IsNumber(executed)), If(budget.gt(0), executed / budget, ""), "")


def execution_score_expr(scheme: Scheme) -> Expr:
    return _execution_score_expr(scheme.execution.method)


@functools.cache
def _execution_score_expr(method: Method) -> Expr:
    rate, weight = Ref(RATE), Ref(EXEC_WEIGHT)
    if method.kind in ("linear", "row"):
        points: Expr = weight * Max(0, Min(rate, 1))
    elif method.kind == "bands":
        points = Min(weight, _points(rate * 100, method))
    else:  # deduction on 执行率 in per cent
        points = Min(weight, _deduction(rate * 100, weight, method, Const(method.threshold)))  # type: ignore[arg-type]
    return If(
        IsNumber(weight),
        If(weight.eq(0), 0, If(And(IsNumber(rate), weight.gt(0)), Round(points), "")),
        "",
    )


@functools.cache
def complete_expr(tolerance: Decimal) -> Expr:
    """1 when 总分 may be computed (issue 9 §6): 执行率得分 defined or worth 0, no unscored row, no 分值 written
    as something that is not a number (a row with a 分值 that cannot be scored; the sum would leave it out
    without a word), 分值 = 100. A row with no 分值 at all is not counted (REQUIRED_MISSING says so)."""
    exec_score, exec_weight = Ref(EXEC_SCORE), Ref(EXEC_WEIGHT)
    weight_sum = exec_weight + Sum(Ref(WEIGHTS))
    return And(
        IsNumber(exec_weight),
        IsNumber(exec_score),
        Sum(Ref(UNSCORED)).eq(0),
        Sum(Ref(WEIGHT_TEXT)).eq(0),
        Guard(IsNumber(exec_weight), Abs(weight_sum - 100).le(tolerance)),
    )


@functools.cache
def total_expr() -> Expr:
    exec_score, exec_weight = Ref(EXEC_SCORE), Ref(EXEC_WEIGHT)
    raw = exec_score + Sum(Ref(SCORES))
    base = exec_weight + Sum(Ref(APPLICABLE_WEIGHTS))
    rescaled = If(base.gt(0), Round(raw / base * 100), "")
    return If(Ref(COMPLETE), If(Sum(Ref(NA_FLAGS)).gt(0), rescaled, Round(raw)), "")


@functools.cache
def partial_expr() -> Expr:
    """What could be scored, summed (labelled 已计得分 where shown, never 总分)."""
    exec_score = Ref(EXEC_SCORE)
    return Round(If(IsNumber(exec_score), exec_score, 0) + Sum(Ref(SCORES)))


def grade_expr(scheme: Scheme) -> Expr:
    return _grade_expr(tuple((g.lower, g.label) for g in scheme.grades))


@functools.cache
def _grade_expr(grades: tuple[tuple[Decimal, str], ...]) -> Expr:
    total = Ref(TOTAL)
    expr: Expr = Const(grades[-1][1])
    for bound, label in reversed(grades[:-1]):
        expr = If(total.ge(bound), label, expr)
    return If(IsNumber(total), expr, "")


def level1_sum_expr(level1: str, column: str) -> Expr:
    """Σ of ``column`` (SCORES or APPLICABLE_WEIGHTS) over the rows of one 一级指标 (canonical name)."""
    return SumIf(Ref(LEVEL1S), level1, Ref(column))


# ------------------------------------------------------------------------------ evaluation on a model


def _number(v: object) -> Decimal | None:
    return v if isinstance(v, Decimal) else None


def execution_rate(budget: Budget) -> Decimal | None:
    """全年执行数 / 全年预算数, or None when undefined."""
    env = {ADJUSTED: budget.total.adjusted, EXECUTED: budget.total.executed}
    return _number(evaluate(execution_rate_expr(), env))


def execution_score(
    rate: Decimal | None, weight: Num = Decimal(10), scheme: Scheme | None = None
) -> Decimal | None:
    scheme = scheme or default_scheme()
    return _number(evaluate(execution_score_expr(scheme), {RATE: rate, EXEC_WEIGHT: _cell(weight)}))


def _cell(v: Num) -> Value:
    return None if isinstance(v, str) and not v.strip() else v


@dataclass(frozen=True)
class IndicatorScore:
    """One row as scored: canonical labels, the numbers read, the direction and method in effect."""

    name: str
    level1: str  # canonical 一级 (scheme aliases applied), "" for flat schemes' rows without one
    weight: Decimal | None
    score: Decimal | None
    applicable: bool
    level2: str = ""
    direction: str = ""  # ≥ ≤ = 定性 or "" (not decided)
    band: str = ""  # 完成档次 in effect (entered, or inferred from 得分 ÷ 分值 on 定性 rows)
    method: str = ""  # 比例 / 分档：… / 扣分：… / 系数 / 自评
    target: Decimal | None = None  # 年度指标值 read as a number
    actual: Decimal | None = None  # 实际完成值 read as a number (None: text, or another unit)
    unscored: bool = False  # has a 分值, is applicable, and has no score
    #: The evaluated row program (rules.reading step name → value), for checks and displays.
    env: Mapping[str, object] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Scores:
    """Everything the rules compute for one evaluation."""

    execution_rate: Decimal | None
    execution_score: Decimal | None
    indicators: tuple[IndicatorScore, ...]
    indicator_score: Decimal  # Σ rounded indicator scores
    applicable_weight: Decimal  # Σ 分值 of applicable indicators
    total: Decimal | None  # 总分, or None when it cannot be computed (see ``blocked``)
    grade: str
    #: Why there is no 总分 (empty when there is one): one short clause per reason.
    blocked: tuple[str, ...] = ()
    #: 执行率得分 + Σ 得分 of what could be scored: a partial sum, never shown as 总分.
    partial: Decimal = Decimal(0)
    #: 执行率分值 + Σ 分值 (every weighted row, applicable or not).
    weight_total: Decimal = Decimal(0)
    execution_weight: Decimal | None = None
    scheme: str = ""

    @property
    def blocked_line(self) -> str:
        """``未计总分：…`` in one line, or "" when there is a 总分."""
        return "未计总分：" + "；".join(self.blocked) if self.blocked else ""

    def level1_totals(self, scheme: Scheme | None = None) -> dict[str, tuple[Decimal, Decimal]]:
        """一级指标 → (Σ applicable 分值, Σ 得分), in the scheme's order, then any other name."""
        names = scheme.level1_names if scheme else ()
        out: dict[str, tuple[Decimal, Decimal]] = {k: (Decimal(0), Decimal(0)) for k in names}
        for ind in self.indicators:
            if ind.weight is None:
                continue
            w, s = out.get(ind.level1, (Decimal(0), Decimal(0)))
            out[ind.level1] = (w + (ind.weight if ind.applicable else 0), s + (ind.score or 0))
        return out


def score(ev: Evaluation, scheme: Scheme | None = None) -> Scores:
    """Score one evaluation with the same expressions the workbook's formulas are rendered from."""
    scheme = scheme or default_scheme()
    rate = execution_rate(ev.budget)
    exec_weight = _cell(ev.execution_weight)
    exec_score = _number(evaluate(execution_score_expr(scheme), {RATE: rate, EXEC_WEIGHT: exec_weight}))
    items: list[IndicatorScore] = []
    columns: dict[str, list[object]] = {name: [] for name in COLUMN_RANGES}
    unscored_positions: list[int] = []
    weight_bad_positions: list[int] = []
    position = 0
    program = row_program(scheme)
    for ind, raw in zip(ev.indicators, inherit_levels(raw_env(i) for i in ev.indicators), strict=True):
        blank = vocab.is_blank(ind)
        position += 0 if blank else 1
        env = program.run(raw)
        for name in COLUMN_RANGES:
            columns[name].append(env[name])
        s = _number(env["score"])
        unscored = env["unscored"] == 1
        if unscored:
            unscored_positions.append(position)
        if env[WEIGHT_TEXT] == 1:
            weight_bad_positions.append(position)
        items.append(
            IndicatorScore(
                name=ind.name,
                level1=str(env["l1"]),
                weight=as_number(ind.weight),
                score=s,
                applicable=not env["na"],
                level2=str(env["l2"]),
                direction=str(env["dir"]),
                band=str(env["band"]),
                method=str(env["mth"]),
                target=_number(env["t_num"]),
                actual=_number(env["a_val"]),
                unscored=unscored,
                env=env,
            )
        )
    env_total: dict[str, object] = {EXEC_SCORE: exec_score, EXEC_WEIGHT: exec_weight, **columns}
    env_total[COMPLETE] = evaluate(complete_expr(scheme.tolerance), env_total)  # type: ignore[arg-type]
    total = _number(evaluate(total_expr(), env_total))  # type: ignore[arg-type]
    partial = _number(evaluate(partial_expr(), env_total)) or Decimal(0)  # type: ignore[arg-type]
    weight_sum = sum((w for w in columns[WEIGHTS] if isinstance(w, Decimal)), Decimal(0))
    weight_total = weight_sum + (exec_weight if isinstance(exec_weight, Decimal) else 0)
    blocked = (
        ()
        if total is not None
        else _blocked(
            ev, scheme, exec_weight, exec_score, weight_total, unscored_positions, weight_bad_positions
        )
    )
    indicator_sum = sum((s for s in columns[SCORES] if isinstance(s, Decimal)), Decimal(0))
    return Scores(
        execution_rate=rate,
        execution_score=exec_score,
        indicators=tuple(items),
        indicator_score=round_half_up(indicator_sum),
        applicable_weight=sum((w for w in columns[APPLICABLE_WEIGHTS] if isinstance(w, Decimal)), Decimal(0)),
        total=total,
        grade=grade(total, scheme),
        blocked=blocked,
        partial=partial,
        weight_total=weight_total,
        execution_weight=exec_weight if isinstance(exec_weight, Decimal) else None,
        scheme=scheme.id,
    )


def _blocked(
    ev: Evaluation,
    scheme: Scheme,
    exec_weight: object,
    exec_score: Decimal | None,
    weight_total: Decimal,
    unscored: Sequence[int],
    weight_bad: Sequence[int] = (),
) -> tuple[str, ...]:
    """Why 总分 cannot be computed, in the order a clerk fixes things (issue 9 §6 wording)."""
    reasons: list[str] = []
    if not any(not vocab.is_blank(i) for i in ev.indicators):
        reasons.append("没有绩效指标")
    if not isinstance(exec_weight, Decimal):
        reasons.append("执行率分值未填写")
    elif exec_score is None:
        why = (
            "全年预算数为 0"
            if as_number(ev.budget.total.adjusted) == 0
            else "全年预算数或全年执行数未填写或不是数值"
        )
        reasons.append(f"执行率无法计算（{why}）")
    if unscored:
        shown = "、".join(str(k) for k in unscored[:10]) + ("等" if len(unscored) > 10 else "")
        reasons.append(f"{len(unscored)} 项指标无法计分（第 {shown} 项）")
    if weight_bad:  # the sum is not known: no "分值合计 …" that leaves them out
        shown = "、".join(str(k) for k in weight_bad[:10]) + ("等" if len(weight_bad) > 10 else "")
        reasons.append(f"{len(weight_bad)} 项指标的分值不是数值（第 {shown} 项）")
    elif isinstance(exec_weight, Decimal) and abs(weight_total - 100) > scheme.tolerance:
        reasons.append(f"分值合计 {plain(weight_total)}，应为 100")
    return tuple(reasons) or ("数据不完整",)


def grade(total: Decimal | None, scheme: Scheme | None = None) -> str:
    scheme = scheme or default_scheme()
    return str(evaluate(grade_expr(scheme), {TOTAL: total}))


def indicator_score(ind: Indicator, scheme: Scheme | None = None) -> Decimal | None:
    """The rule's score of one indicator (2 decimals), or None when not scored."""
    return _number(read_row(ind, scheme or default_scheme())["score"])


def rate_for_display(rate: Decimal | None, places: int = 4) -> Decimal | None:
    """A rate as a fraction rounded for output (4 places → 98.27 %)."""
    return None if rate is None else round_half_up(rate, places)


__all__: Sequence[str] = (
    "METHODS",
    "IndicatorScore",
    "Scores",
    "execution_rate",
    "execution_score",
    "grade",
    "indicator_score",
    "read_row",
    "row_program",
    "score",
)


# A band table is a tuple of Band; re-exported for the template's notes.
BandTable = tuple[Band, ...]
