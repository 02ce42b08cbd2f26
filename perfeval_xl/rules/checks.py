"""Validation rules: each check is one small function with a stable code, a level and a Chinese message.

``check(ev, rules)`` runs every registered check on one ``Evaluation`` and returns its ``Finding``s;
``CATALOG`` lists the checks (code → ``CheckInfo``) for the docs. Pure Python: no Excel, no files.

Conventions (apply to every check):

- ``Finding.field`` names the input in model attribute-path terms (``budget.total.executed``,
  ``indicators[3].weight``, ``""`` for the evaluation as a whole); ``sheet``/``cell`` stay empty, the edges
  fill them. Messages never hold a cell address; they name the field in Chinese and, for an indicator,
  its 三级 name (``指标“培训人次”：…``) or its position among the filled rows (``第 3 项指标``).
- Blank template rows (``vocab.is_blank``) are not indicators and are skipped.
- A numeric field holding text is reported once (NOT_A_NUMBER); checks that need the number skip it.
- A row marked not applicable (``/`` or 不适用 in 实际完成值 or 完成档次, official-rules.md §3) is not scored:
  only its labels are checked, and ``/`` is accepted in its other numeric cells (filled forms write
  ``/ / /`` across such rows, official-rules-sources.md §1.1 [P2]).
- Scores come from ``rules.scoring`` (never recomputed here). Sums of money are compared with
  ``rules.tolerance`` (0.01 万元): a difference of at most the tolerance never flags.
- Money is shown with 2 decimals (more when entered with more, e.g. 89.974), rates as percentages with
  2 decimals, indicator values as entered.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import NamedTuple

from .. import catalog
from ..display import plain
from ..model import Evaluation, Finding, Indicator, Kind, Level, Num, as_number
from . import scoring, vocab
from .config import DEFAULT_RULES, RuleSet
from .expr import round_half_up

ERROR, WARNING, INFO = Level.ERROR, Level.WARNING, Level.INFO

#: Money above this (万元, i.e. 100 亿元) was most likely entered in 元 (MAGNITUDE_SUSPECT).
MONEY_SUSPECT_ABOVE = Decimal(1_000_000)
#: actual / target at or beyond these ratios suggests a unit mix-up (MAGNITUDE_SUSPECT).
RATIO_SUSPECT_HIGH = Decimal(100)
RATIO_SUSPECT_LOW = Decimal("0.01")
#: 度量单位 spellings that mean per cent.
PERCENT_UNITS = ("%", "％", "百分比", "百分率")


@dataclass(frozen=True)
class CheckInfo:
    """What a check is, for docs and README: its code, default level, title and description."""

    code: str
    level: Level
    title_zh: str
    description_zh: str


class Hit(NamedTuple):
    """One finding as a check yields it; ``level`` overrides the catalog level when the rule says so."""

    field: str
    message: str
    level: Level | None = None


@dataclass(frozen=True)
class Context:
    """What every check sees: the evaluation, the rule set and the non-blank indicator rows."""

    ev: Evaluation
    rules: RuleSet
    #: (index in ev.indicators, position among non-blank rows from 1, the row)
    rows: tuple[tuple[int, int, Indicator], ...]
    #: the rule's score (scoring.indicator_score) of each row of ev.indicators, computed once for all checks
    scores: tuple[Decimal | None, ...] = ()


CheckFn = Callable[[Context], Iterable[Hit]]

_catalog: dict[str, CheckInfo] = {}
_registry: list[tuple[CheckInfo, CheckFn]] = []
#: code → CheckInfo of every registered check, in the order they run.
CATALOG: Mapping[str, CheckInfo] = MappingProxyType(_catalog)


def rule(code: str, level: Level, title_zh: str, description_zh: str) -> Callable[[CheckFn], CheckFn]:
    """Register a check under ``code`` (UPPER_SNAKE, unique)."""
    if not re.fullmatch(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*", code):
        raise ValueError(f"bad check code {code!r}")
    if code in _catalog:
        raise ValueError(f"duplicate check code {code!r}")

    catalog.code(code, level, title_zh, description_zh, "check")

    def register(fn: CheckFn) -> CheckFn:
        info = CheckInfo(code, level, title_zh, description_zh)
        _catalog[code] = info
        _registry.append((info, fn))
        return fn

    return register


def check(
    ev: Evaluation, rules: RuleSet = DEFAULT_RULES, scores: scoring.Scores | None = None
) -> list[Finding]:
    """Every finding about ``ev`` under ``rules``, in catalog order (then field order within a check).

    ``scores``: ``scoring.score(ev, rules)`` when the caller has it already (saves scoring twice).
    """
    if scores is None:
        scores = scoring.score(ev, rules)
    rows = tuple(
        (i, k, ind)
        for k, (i, ind) in enumerate(
            ((i, ind) for i, ind in enumerate(ev.indicators) if not vocab.is_blank(ind)), start=1
        )
    )
    ctx = Context(ev, rules, rows, tuple(item.score for item in scores.indicators))
    return [
        Finding(code=info.code, level=hit.level or info.level, message=hit.message, field=hit.field)
        for info, fn in _registry
        for hit in fn(ctx)
    ]


# ------------------------------------------------------------------------------------------- helpers

_FUND_LINES = {
    "total": "年度资金总额",
    "appropriation": "当年财政拨款",
    "carried_over": "上年结转资金",
    "other_funds": "其他资金",
}
_FUND_COLUMNS = {"initial": "年初预算数", "adjusted": "全年预算数", "executed": "全年执行数"}
_BREAKDOWN = {
    "general_public": "一般公共预算拨款",
    "government_fund": "政府性基金拨款",
    "other_income": "其他收入",
    "basic": "基本支出",
    "wages": "工资福利支出",
    "goods_services": "商品和服务支出",
    "household_subsidy": "对个人和家庭的补助",
    "project": "项目支出",
    "enterprise_subsidy": "对企业补助支出",
}
_INDICATOR_FIELDS = {
    "level1": "一级指标",
    "level2": "二级指标",
    "name": "三级指标",
    "operator": "指标性质",
    "target": "年度指标值",
    "unit": "度量单位",
    "actual": "实际完成值",
    "band": "完成档次",
    "weight": "分值",
    "score": "得分",
    "deviation_note": "偏差原因分析及改进措施",
}


def _blank(v: Num) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _is_text(v: Num) -> bool:
    return isinstance(v, str) and bool(v.strip())


def _na_mark(v: Num) -> bool:
    return isinstance(v, str) and v.strip() in vocab.NOT_APPLICABLE


def _money(d: Decimal) -> str:
    """万元 with 2 decimals, or as entered when it has more (89.974)."""
    exp = d.as_tuple().exponent
    if isinstance(exp, int) and exp < -2 and d != round_half_up(d):
        return plain(d)
    return format(round_half_up(d), "f")


def _pct(rate: Decimal, below: Decimal | None = None) -> str:
    """A fraction as a percentage with 2 decimals: 1.0177… → 101.78%.

    With ``below`` (a fraction the rate is under), more decimals are shown when 2 would round the rate
    up to the bound (89.9998 %, not a contradictory "90.00% 低于 90%").
    """
    for places in (2, 4, 6, 8):
        shown = round_half_up(rate * 100, places)
        if below is None or shown < below * 100:
            break
    return f"{format(shown, 'f')}%"


def _score(d: Decimal) -> str:
    """A computed score with 2 decimals (8.70)."""
    return format(round_half_up(d), "f")


def _op(ind: Indicator) -> str:
    return vocab.normalize_operator(ind.operator)


def _quantitative(ind: Indicator) -> bool:
    return _op(ind) in ("≥", "≤", "=")


def _qualitative(ind: Indicator) -> bool:
    return _op(ind) == "定性"


def _who(k: int, ind: Indicator) -> str:
    """How a message names an indicator: its 三级 name, else its position among the filled rows."""
    name = ind.name.strip()
    return f"指标“{name}”" if name else f"第 {k} 项指标"


def _path(i: int, attr: str) -> str:
    return f"indicators[{i}].{attr}"


def _fund_label(line: str, column: str) -> str:
    col = _FUND_COLUMNS[column]
    return col if line == "total" else f"{_FUND_LINES[line]}（{col}）"


def _money_fields(ev: Evaluation) -> Iterator[tuple[str, str, Num]]:
    """(field path, Chinese label, value) of every money input."""
    for line in _FUND_LINES:
        fund = getattr(ev.budget, line)
        for column in _FUND_COLUMNS:
            yield f"budget.{line}.{column}", _fund_label(line, column), getattr(fund, column)
    for name, label in _BREAKDOWN.items():
        yield f"budget.{name}", label, getattr(ev.budget, name)


def _applicable(ind: Indicator) -> bool:
    return not vocab.is_not_applicable(ind)


# --------------------------------------------------------------------------- text that is not a number

_NUMBER_TEXT = re.compile(
    r"(?P<op>>=|<=|[≥≤><=≧≦])?\s*"
    r"(?P<num>[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\.\d+)\s*"
    r"(?P<unit>[^\d.,]{0,8})"
)


def parse_number_text(text: str) -> tuple[str, Decimal, str] | None:
    """Read text that would be a number: (operator, number, unit) or None.

    Handles thousands separators (``1,234.5``), full-width characters (NFKC), a leading operator as in
    ``≥50个`` (targets are often written so, official-rules-sources.md §1.1) and a trailing unit
    (``95%``, ``10分``, ``2023年``). The operator is returned canonical (``≥``), or "".
    """
    s = unicodedata.normalize("NFKC", text).strip()
    m = _NUMBER_TEXT.fullmatch(s)
    if not m:
        return None
    op = vocab.normalize_operator(m["op"]) if m["op"] else ""
    return op, Decimal(m["num"].replace(",", "")), m["unit"].strip()


def _money_hint(raw: str) -> str:
    parsed = parse_number_text(raw)
    if parsed is None or parsed[0]:
        return f"“{raw}”不是数值；请填写以万元为单位的数值，没有此项请留空。"
    _, num, unit = parsed
    if unit == "元":
        return f"单元格中的“{raw}”是文本，且金额应以万元为单位；请改为数值 {plain(num / 10000)}。"
    if unit in ("", "万元", "万"):
        return f"单元格中的“{raw}”是文本，请改为数值 {plain(num)}（单位为万元）。"
    return f"单元格中的“{raw}”是文本；请填写以万元为单位的数值（如 {plain(num)}），不要带单位“{unit}”。"


def __plain_hint(raw: str) -> str:
    parsed = parse_number_text(raw)
    if parsed is None:
        return f"“{raw}”不是数值；请填写数值。"
    return f"单元格中的“{raw}”是文本，请改为数值 {plain(parsed[1])}。"


def _indicator_hint(raw: str, attr: str, ind: Indicator) -> str:
    parsed = parse_number_text(raw)
    if parsed is None:
        if attr == "actual":
            return f"“{raw}”不是数值；定量指标请填写数值，该指标不适用时请填“/”。"
        if attr == "target":
            return f"“{raw}”不是数值；定量指标请填写数值，定性指标请将指标性质选为“定性”。"
        return f"“{raw}”不是数值；请填写数值。"
    op, num, unit = parsed
    steps = []
    if op and attr == "target":
        steps.append(f"在指标性质中选择“{op}”")
    steps.append(f"把{_INDICATOR_FIELDS[attr]}改为数值 {plain(num)}")
    own_unit = unicodedata.normalize("NFKC", ind.unit).strip()
    if unit and attr in ("target", "actual") and unit != own_unit:
        steps.append(f"在度量单位中填写“{unit}”")
    if len(steps) == 1:
        return f"单元格中的“{raw}”是文本，请改为数值 {plain(num)}。"
    return f"单元格中的“{raw}”是文本；请{'，'.join(steps)}。"


# ------------------------------------------------------------------------------------- required input


@rule(
    "REQUIRED_MISSING",
    ERROR,
    "必填项未填写",
    "单位名称、单位编码、评价年度、评价类型、预算执行率分值、全年预算数、全年执行数必填，项目支出还须填写项目名称；"
    "每项指标须填写一级、二级、三级指标、指标性质和分值，定量指标还须填写年度指标值和实际完成值，"
    "定性指标还须填写完成档次和自评得分。不适用（“/”）的指标只须填写指标名称。",
)
def required_missing(ctx: Context) -> Iterator[Hit]:
    """Inputs the official tables cannot do without (official-rules.md §1, §3).

    Interpretations: 预算执行率分值 is required too (a cleared 分值 leaves the total undefined). A
    not-applicable row needs only its 一级/二级/三级 names (its other cells carry ``/``). An
    indicator whose 指标性质 is blank or unknown gets no type-specific requirement (OPERATOR_INVALID or
    the missing 指标性质 is reported instead). 定性 rows need 完成档次 and 得分 because the evaluator picks
    the score inside the band (official-rules.md §3); filled forms often write the band in 实际完成值
    ([P1]), which the message points out.
    """
    ev = ctx.ev
    header = [
        ("unit_name", "单位名称", ev.unit_name),
        ("unit_code", "单位编码", ev.unit_code),
        ("year", "评价年度", ev.year),
        ("kind", "评价类型", ev.kind),
    ]
    if str(ev.kind).strip() == Kind.PROJECT:
        header.append(("project_name", "项目名称", ev.project_name))
    header += [
        ("execution_weight", "预算执行率分值", ev.execution_weight),
        ("budget.total.adjusted", "全年预算数", ev.budget.total.adjusted),
        ("budget.total.executed", "全年执行数", ev.budget.total.executed),
    ]
    for path, label, value in header:
        if _blank(value):
            extra = "（评价类型为项目支出时必填）" if path == "project_name" else ""
            yield Hit(path, f"{label}未填写{extra}；请填写{label}。")
    for i, k, ind in ctx.rows:
        need = ["level1", "level2", "name"]
        if _applicable(ind):
            need += ["operator", "weight"]
            if _quantitative(ind):
                need += ["target", "actual"]
            elif _qualitative(ind):
                need += ["band", "score"]
        for attr in need:
            if not _blank(getattr(ind, attr)):
                continue
            label = _INDICATOR_FIELDS[attr]
            hint = f"请填写{label}。"
            if attr == "band":
                written = vocab.normalize_band(ind.actual) if isinstance(ind.actual, str) else ""
                hint = (
                    f"实际完成值中写的是“{ind.actual}”，请把完成档次选为“{written}”。"
                    if written
                    else "请选择达成年度指标、部分达成年度指标并具有一定效果或未达成年度指标且效果较差。"
                )
            elif attr == "score":
                hint = "定性指标的得分由评价人在完成档次的区间内填写。"
            elif attr in ("target", "actual"):
                hint = f"定量指标须填写{label}（数值）；该指标不适用时请在实际完成值中填“/”。"
            yield Hit(_path(i, attr), f"{_who(k, ind)}：{label}未填写；{hint}")


@rule(
    "NO_INDICATORS",
    ERROR,
    "没有绩效指标",
    "至少须填写一项三级指标。",
)
def no_indicators(ctx: Context) -> Iterator[Hit]:
    """An evaluation without any (non-blank) indicator cannot be scored (official-rules.md §1, §3)."""
    if not ctx.rows:
        yield Hit(
            "", "未填写任何绩效指标；请至少填写一项三级指标（一级、二级、三级指标、指标性质、分值等）。"
        )


# ------------------------------------------------------------------------------------ form of values


@rule(
    "NOT_A_NUMBER",
    ERROR,
    "数值栏填了文本",
    "金额、年度、分值、得分、年度指标值、实际完成值须为数值；文本形式的数字（如“1,234.5”“95%”）请改为数值。"
    "实际完成值或完成档次填“/”或“不适用”表示指标不适用，不算错误；定性指标的年度指标值和实际完成值可以是文字。",
)
def not_a_number(ctx: Context) -> Iterator[Hit]:
    """Numeric inputs that hold text (model.Num keeps the raw text).

    Interpretations: the not-applicable marks (vocab.NOT_APPLICABLE) are accepted in 实际完成值 and, on a
    not-applicable row, in its other numeric cells (``/ / /`` rows, [P2]). 定性 rows may have text
    年度指标值/实际完成值 (official-rules-sources.md §1.1: qualitative targets are phrases). When 指标性质 is
    blank or unknown, text in 年度指标值/实际完成值 is reported only if it reads as a number (else the row may
    be a 定性 row with a missing 指标性质, which REQUIRED_MISSING / OPERATOR_INVALID report).
    """
    ev = ctx.ev
    for path, label, value in _money_fields(ev):
        if _is_text(value):
            yield Hit(path, f"{label}：{_money_hint(str(value))}")
    for path, label, value in (
        ("year", "评价年度", ev.year),
        ("execution_weight", "预算执行率分值", ev.execution_weight),
    ):
        if _is_text(value):
            yield Hit(path, f"{label}：{__plain_hint(str(value))}")
    for i, k, ind in ctx.rows:
        na = not _applicable(ind)
        for attr in ("target", "actual", "weight", "score"):
            value = getattr(ind, attr)
            if not _is_text(value) or (_na_mark(value) and (na or attr == "actual")):
                continue
            if attr in ("target", "actual"):
                if _qualitative(ind) or na:
                    continue
                if not _quantitative(ind) and parse_number_text(str(value)) is None:
                    continue
            yield Hit(
                _path(i, attr),
                f"{_who(k, ind)}：{_INDICATOR_FIELDS[attr]}{_indicator_hint(str(value), attr, ind)}",
            )


@rule(
    "KIND_INVALID",
    ERROR,
    "评价类型不正确",
    "评价类型只能是“部门整体支出”或“项目支出”。",
)
def kind_invalid(ctx: Context) -> Iterator[Hit]:
    """评价类型 must be one of model.Kind (official-rules.md §1 项目支出, §2 部门整体支出)."""
    kind = str(ctx.ev.kind).strip()
    if kind and kind not in {k.value for k in Kind}:
        yield Hit("kind", f"评价类型“{kind}”不正确；请选择“部门整体支出”或“项目支出”。")


@rule(
    "YEAR_INVALID",
    ERROR,
    "评价年度不正确",
    "评价年度须为 2000 至 2100 之间的整数年份，如 2023。",
)
def year_invalid(ctx: Context) -> Iterator[Hit]:
    """评价年度 is a whole year in 2000..2100 (the tables print （20XX年度）, official-rules.md §1)."""
    year = as_number(ctx.ev.year)
    if year is not None and (year != year.to_integral_value() or not 2000 <= year <= 2100):
        yield Hit("year", f"评价年度 {plain(year)} 不正确；请填写 2000 至 2100 之间的整数年份，如 2023。")


@rule(
    "OPERATOR_INVALID",
    ERROR,
    "指标性质不正确",
    "指标性质只能是 ≥、≤、=、>、< 或 定性。",
)
def operator_invalid(ctx: Context) -> Iterator[Hit]:
    """指标性质 must be one vocab.normalize_operator knows (official-rules-sources.md §3.3 vendor codes)."""
    for i, k, ind in ctx.rows:
        op = ind.operator.strip()
        if op and not vocab.normalize_operator(op):
            yield Hit(
                _path(i, "operator"),
                f"{_who(k, ind)}：指标性质“{op}”无法识别；请选择 ≥（正向）、≤（反向）、= 或 定性。",
            )


@rule(
    "BAND_INVALID",
    ERROR,
    "完成档次不正确",
    "完成档次只能是达成年度指标、部分达成年度指标并具有一定效果、未达成年度指标且效果较差（或简称达成、部分达成、"
    "未达成），不适用填“/”。",
)
def band_invalid(ctx: Context) -> Iterator[Hit]:
    """完成档次 must be a band or an alias of one (official-rules.md §3 定性), or a not-applicable mark."""
    for i, k, ind in ctx.rows:
        band = ind.band.strip()
        if band and not _na_mark(band) and not vocab.normalize_band(band):
            yield Hit(
                _path(i, "band"),
                f"{_who(k, ind)}：完成档次“{band}”无法识别；请选择达成年度指标、部分达成年度指标并具有一定效果"
                "或未达成年度指标且效果较差，不适用请填“/”。",
            )


@rule(
    "NEGATIVE_AMOUNT",
    ERROR,
    "金额为负数",
    "预算数、执行数及收支明细金额不能为负数。",
)
def negative_amount(ctx: Context) -> Iterator[Hit]:
    """No money input is negative (budgets and spending are amounts, official-rules.md §5)."""
    for path, label, value in _money_fields(ctx.ev):
        d = as_number(value)
        if d is not None and d < 0:
            yield Hit(path, f"{label} {_money(d)} 万元为负数；金额不能为负，请核对后改正。")


@rule(
    "WEIGHT_INVALID",
    ERROR,
    "分值不正确",
    "指标分值须大于 0；预算执行率分值不能为负。",
)
def weight_invalid(ctx: Context) -> Iterator[Hit]:
    """分值 > 0 on an applicable indicator; ≥ 0 on a not-applicable one and for 预算执行率分值.

    Interpretation: a not-applicable row may carry 0 (it is not scored); 预算执行率分值 0 switches the
    execution score off, which some indicator systems may want (official-rules.md §3 "may be adjusted").
    """
    w = as_number(ctx.ev.execution_weight)
    if w is not None and w < 0:
        yield Hit(
            "execution_weight", f"预算执行率分值 {plain(w)} 为负数；请填写不小于 0 的分值（通常为 10）。"
        )
    for i, k, ind in ctx.rows:
        w = as_number(ind.weight)
        if w is None:
            continue
        if w < 0 or (w == 0 and _applicable(ind)):
            yield Hit(_path(i, "weight"), f"{_who(k, ind)}：分值 {plain(w)} 不正确；指标分值须大于 0。")


# ------------------------------------------------------------------------------------ budget and rate


@rule(
    "BUDGET_ZERO",
    ERROR,
    "全年预算数为 0",
    "全年预算数为 0 时执行率无法计算（不是按 0 分计）。",
)
def budget_zero(ctx: Context) -> Iterator[Hit]:
    """全年预算数 = 0 → 执行率 undefined, an error, not a zero score (official-rules.md §3)."""
    adjusted = as_number(ctx.ev.budget.total.adjusted)
    if adjusted is not None and adjusted == 0:
        yield Hit(
            "budget.total.adjusted",
            "全年预算数为 0，执行率无法计算；请填写全年预算数（调整后预算数）。",
        )


@rule(
    "BUDGET_EXEC_OVER",
    WARNING,
    "执行数高于预算数",
    "全年执行数高于全年预算数时执行率超过 100%，执行率得分按 100% 封顶；请核对执行数或写明超支原因。",
)
def budget_exec_over(ctx: Context) -> Iterator[Hit]:
    """执行数 > 全年预算数: r > 100 %, a warning, the score capped (official-rules.md §3).

    Interpretation: a difference within rules.tolerance is rounding, not over-spending.
    """
    total = ctx.ev.budget.total
    adjusted, executed = as_number(total.adjusted), as_number(total.executed)
    rate = scoring.execution_rate(ctx.ev.budget)
    if adjusted is None or executed is None or rate is None or executed - adjusted <= ctx.rules.tolerance:
        return
    yield Hit(
        "budget.total.executed",
        f"全年执行数 {_money(executed)} 万元高于全年预算数 {_money(adjusted)} 万元（执行率 {_pct(rate)}），"
        "执行率得分按 100% 封顶；请核对执行数，或在“预算执行说明”中写明超支原因。",
    )


@rule(
    "EXEC_RATE_LOW",
    WARNING,
    "执行率偏低且未说明原因",
    "执行率低于规则设定的下限（默认 90%）且“预算执行说明”为空；四川规则下为错误。",
)
def exec_rate_low(ctx: Context) -> Iterator[Hit]:
    """执行率 < rules.low_rate_threshold with an empty 预算执行说明 (四川 510000_0013zp, [P4]).

    Level is rules.low_rate_level (warning by default, error in the 四川 preset); the check is off when
    the threshold is None.
    """
    threshold = ctx.rules.low_rate_threshold
    rate = scoring.execution_rate(ctx.ev.budget)
    if threshold is None or rate is None or rate < 0 or rate >= threshold or ctx.ev.budget.note.strip():
        return
    yield Hit(
        "budget.note",
        f"执行率 {_pct(rate, below=threshold)} 低于 {plain(threshold * 100)}%，须说明原因；请在“预算执行说明”中写明未执行的原因"
        "（100 字以内）。",
        Level(ctx.rules.low_rate_level),
    )


@rule(
    "BUDGET_ADJUSTED",
    WARNING,
    "年中预算调整",
    "年初预算数与全年预算数不同（年中追加或调减）：须在“预算执行说明”中说明理由；未说明为警告，已说明为提示。",
)
def budget_adjusted(ctx: Context) -> Iterator[Hit]:
    """年初预算数 ≠ 全年预算数: a mid-year adjustment, whose reason 四川 asks for ([P4] printed note 2).

    Levels (our decision): warning when 预算执行说明 is empty (the reason is missing); info when it has
    text (a reminder that the note should also cover the adjustment). Within rules.tolerance: no finding.
    """
    total = ctx.ev.budget.total
    initial, adjusted = as_number(total.initial), as_number(total.adjusted)
    if initial is None or adjusted is None or abs(adjusted - initial) <= ctx.rules.tolerance:
        return
    diff = adjusted - initial
    what = f"追加 {_money(diff)} 万元" if diff > 0 else f"调减 {_money(-diff)} 万元"
    head = f"年初预算数 {_money(initial)} 万元调整为全年预算数 {_money(adjusted)} 万元（{what}）"
    if ctx.ev.budget.note.strip():
        yield Hit("budget.note", f"{head}；请确认“预算执行说明”中已写明调整理由。", INFO)
    else:
        yield Hit("budget.note", f"{head}，属年中预算调整；请在“预算执行说明”中写明调整理由。")


# ------------------------------------------------------------------------------------- budget sums


def _mismatch(
    total: Num, parts: Iterable[Num], tolerance: Decimal, *, total_required: bool
) -> tuple[Decimal | None, Decimal] | None:
    """(total, Σ parts) when the identity fails, else None.

    Blank parts count as 0; the check runs only when some part is given and every given value is a
    number. A blank total is a mismatch unless it is required (then REQUIRED_MISSING reports it).
    """
    parts = list(parts)
    if all(_blank(p) for p in parts) or any(_is_text(p) for p in parts) or _is_text(total):
        return None
    s = sum((as_number(p) or Decimal(0) for p in parts), Decimal(0))
    t = as_number(total)
    if t is None:
        return None if total_required else (None, s)
    return None if abs(t - s) <= tolerance else (t, s)


def _sum_message(total_label: str, total: Decimal | None, parts_label: str, s: Decimal, what: str) -> str:
    if total is None:
        return f"{total_label}未填写，而{parts_label}合计 {_money(s)} 万元；请填写{total_label}。"
    return (
        f"{total_label} {_money(total)} 万元不等于{parts_label}合计 {_money(s)} 万元（相差 {_money(total - s)} 万元）；"
        f"{what}"
    )


@rule(
    "FUND_ROWS_MISMATCH",
    ERROR,
    "项目资金其中各行之和不等于年度资金总额",
    "当年财政拨款 + 上年结转资金 + 其他资金须等于年度资金总额，年初预算数、全年预算数、全年执行数各列分别核对"
    "（仅当该列填了其中行时）。",
)
def fund_rows_mismatch(ctx: Context) -> Iterator[Hit]:
    """年度资金总额 = 当年财政拨款 + 上年结转资金 + 其他资金 per column (official-rules.md §5 last bullet;
    official-rules-sources.md §1.1: a published table [P1] breaks it), only in a column where some 其中
    row is given; blank 其中 rows count as 0. A blank 年初预算数 total is reported here; blank 全年 totals are
    REQUIRED_MISSING's. The field is the total's cell in that column.
    """
    b = ctx.ev.budget
    for column, col_label in _FUND_COLUMNS.items():
        parts = [
            getattr(getattr(b, line), column) for line in ("appropriation", "carried_over", "other_funds")
        ]
        found = _mismatch(
            getattr(b.total, column), parts, ctx.rules.tolerance, total_required=column != "initial"
        )
        if found:
            total, s = found
            yield Hit(
                f"budget.total.{column}",
                _sum_message(
                    f"年度资金总额的{col_label}",
                    total,
                    "其中当年财政拨款、上年结转资金、其他资金",
                    s,
                    "请核对年度资金总额或其中各行。",
                ),
            )


@rule(
    "INCOME_SUM_MISMATCH",
    ERROR,
    "收入来源之和不等于全年预算数",
    "一般公共预算拨款 + 政府性基金拨款 + 其他收入须等于全年预算数（填了任一收入来源时核对）。",
)
def income_sum_mismatch(ctx: Context) -> Iterator[Hit]:
    """收入预算 = 一般公共预算拨款 + 政府性基金拨款 + 其他收入 = 全年预算数 (official-rules.md §5; seed
    2652.84 = 1807.49 + 838.62 + 6.73). Runs when any source is given; blank sources count as 0. The
    field is the first income line (the mark lands in the income block).
    """
    b = ctx.ev.budget
    found = _mismatch(
        b.total.adjusted,
        (b.general_public, b.government_fund, b.other_income),
        ctx.rules.tolerance,
        total_required=True,
    )
    if found:
        total, s = found
        yield Hit(
            "budget.general_public",
            _sum_message(
                "全年预算数",
                total,
                "一般公共预算拨款、政府性基金拨款、其他收入",
                s,
                "请核对各收入来源或全年预算数。",
            ),
        )


@rule(
    "SPENDING_SUM_MISMATCH",
    ERROR,
    "基本支出与项目支出之和不等于全年预算数",
    "基本支出 + 项目支出须等于全年预算数（填了其中任一项时核对）。",
)
def spending_sum_mismatch(ctx: Context) -> Iterator[Hit]:
    """预算支出 = 基本支出 + 项目支出 = 全年预算数 (official-rules.md §5; seed 2652.84 = 591.31 + 2061.53).
    Runs when either is given; a blank one counts as 0. The field is 基本支出 (first spending line).
    """
    b = ctx.ev.budget
    found = _mismatch(b.total.adjusted, (b.basic, b.project), ctx.rules.tolerance, total_required=True)
    if found:
        total, s = found
        yield Hit(
            "budget.basic",
            _sum_message(
                "全年预算数", total, "基本支出、项目支出", s, "请核对基本支出、项目支出或全年预算数。"
            ),
        )


@rule(
    "BASIC_SUM_MISMATCH",
    ERROR,
    "基本支出明细之和不等于基本支出",
    "工资福利支出 + 商品和服务支出 + 对个人和家庭的补助须等于基本支出（填了任一明细时核对）。",
)
def basic_sum_mismatch(ctx: Context) -> Iterator[Hit]:
    """基本支出 = 工资福利 + 商品和服务 + 对个人和家庭的补助 (official-rules.md §5; seed 591.31 = 314.19 +
    104.11 + 173.01). Runs when any part is given; a blank 基本支出 is then reported as missing.
    """
    b = ctx.ev.budget
    found = _mismatch(
        b.basic, (b.wages, b.goods_services, b.household_subsidy), ctx.rules.tolerance, total_required=False
    )
    if found:
        total, s = found
        yield Hit(
            "budget.basic",
            _sum_message(
                "基本支出",
                total,
                "工资福利支出、商品和服务支出、对个人和家庭的补助",
                s,
                "请核对基本支出或其明细。",
            ),
        )


@rule(
    "SUBLINE_EXCEEDS",
    ERROR,
    "对企业补助支出超过项目支出",
    "对企业补助支出是项目支出按经济分类列出的一部分，不能大于项目支出。",
)
def subline_exceeds(ctx: Context) -> Iterator[Hit]:
    """对企业补助 ≤ 项目支出: an economic-class line lies inside the total it belongs to (official-rules.md §5,
    official-rules-sources.md §5.4 item 4). Runs only when both are numbers.
    """
    b = ctx.ev.budget
    sub, project = as_number(b.enterprise_subsidy), as_number(b.project)
    if sub is not None and project is not None and sub - project > ctx.rules.tolerance:
        yield Hit(
            "budget.enterprise_subsidy",
            f"对企业补助支出 {_money(sub)} 万元大于项目支出 {_money(project)} 万元（超出 {_money(sub - project)} 万元）；"
            "对企业补助是项目支出的一部分，请核对两项金额。",
        )


@rule(
    "SUBLINE_UNCLASSIFIED",
    INFO,
    "项目支出有未按经济分类列明的部分",
    "项目支出中除对企业补助支出外尚有金额未按经济分类列明（提示，可补充其他经济分类或忽略）。",
)
def subline_unclassified(ctx: Context) -> Iterator[Hit]:
    """项目支出 − 对企业补助 > tolerance: the rest of 项目支出 is not classified (official-rules.md §5: the
    seed's 1348.28 of 2061.53 leaves 713.25). Info only: the seed cannot tell whether that is an omission.
    """
    b = ctx.ev.budget
    sub, project = as_number(b.enterprise_subsidy), as_number(b.project)
    if sub is None or project is None or sub - project > ctx.rules.tolerance:
        return
    rest = project - sub
    if rest > ctx.rules.tolerance:
        yield Hit(
            "budget.enterprise_subsidy",
            f"项目支出 {_money(project)} 万元中，对企业补助支出 {_money(sub)} 万元之外尚有 {_money(rest)} 万元"
            "未按经济分类列明；如需完整列示，请补充其他经济分类支出，否则可忽略此提示。",
        )


# ----------------------------------------------------------------------------------- indicator labels


def _level1_known(name: str, rules: RuleSet) -> bool:
    return name in vocab.LEVELS or name in rules.level1_weights


@rule(
    "LEVEL1_UNKNOWN",
    ERROR,
    "一级指标名称不正确",
    "一级指标只能是产出指标、效益指标、满意度指标（或规则集中设定的其他一级指标）；分值写在分值栏，不写在名称里。",
)
def level1_unknown(ctx: Context) -> Iterator[Hit]:
    """一级 names come from vocab.LEVELS (official-rules-sources.md §1.1, "fixed"), or from the rule set's
    level1_weights (a configured indicator system, official-rules.md §2). Filled forms write
    ``产出指标(50分)`` [P1][P2]: the message says to drop the weight from the name.
    """
    for i, k, ind in ctx.rows:
        name = ind.level1.strip()
        if not name or _level1_known(name, ctx.rules):
            continue
        stem = re.sub(r"[（(].*?[)）]\s*$", "", name).strip()
        hint = (
            f"请改为“{stem}”（分值写在分值栏）。"
            if stem != name and _level1_known(stem, ctx.rules)
            else f"请选择{'、'.join(vocab.LEVELS)}。"
        )
        yield Hit(_path(i, "level1"), f"{_who(k, ind)}：一级指标“{name}”不在规定名称中；{hint}")


def _level1_of(level2: str) -> str:
    return next((l1 for l1, l2s in vocab.LEVELS.items() if level2 in l2s), "")


@rule(
    "LEVEL2_UNKNOWN",
    ERROR,
    "二级指标名称不正确",
    "二级指标须为规定名称（如数量指标、质量指标、时效指标、成本指标、社会效益指标、服务对象满意度指标等）。",
)
def level2_unknown(ctx: Context) -> Iterator[Hit]:
    """二级 names come from vocab.LEVELS. Checked only under a national 一级 (or a blank one): a configured
    一级 from rules.level1_weights has its own 二级 set, unknown here.
    """
    for i, k, ind in ctx.rows:
        l1, l2 = ind.level1.strip(), ind.level2.strip()
        if not l2 or _na_mark(l2) or _level1_of(l2) or (l1 and l1 not in vocab.LEVELS):
            continue
        options = vocab.LEVELS.get(l1) or tuple(x for xs in vocab.LEVELS.values() for x in xs)
        yield Hit(
            _path(i, "level2"),
            f"{_who(k, ind)}：二级指标“{l2}”不在规定名称中；请选择{'、'.join(options)}。",
        )


@rule(
    "LEVEL2_MISMATCH",
    ERROR,
    "二级指标不属于所填一级指标",
    "二级指标须属于其一级指标（如数量指标属于产出指标，社会效益指标属于效益指标）。",
)
def level2_mismatch(ctx: Context) -> Iterator[Hit]:
    """A known 二级 under a known national 一级 that is not its parent (vocab.LEVELS)."""
    for i, k, ind in ctx.rows:
        l1, l2 = ind.level1.strip(), ind.level2.strip()
        parent = _level1_of(l2)
        if l1 in vocab.LEVELS and parent and parent != l1:
            yield Hit(
                _path(i, "level2"),
                f"{_who(k, ind)}：二级指标“{l2}”属于{parent}，不属于{l1}；请改正一级指标或二级指标。",
            )


@rule(
    "DUPLICATE_INDICATOR",
    WARNING,
    "三级指标重复",
    "同一个三级指标名称出现了两次以上；请合并或改名。",
)
def duplicate_indicator(ctx: Context) -> Iterator[Hit]:
    """The same 三级 name twice (after trimming); the later rows are flagged. ``/`` names do not count."""
    first: dict[str, int] = {}
    for i, k, ind in ctx.rows:
        name = ind.name.strip()
        if not name or _na_mark(name):
            continue
        if name in first:
            yield Hit(
                _path(i, "name"),
                f"{_who(k, ind)}：与第 {first[name]} 项指标同名；请合并这两项，或改用能区分的名称。",
            )
        else:
            first[name] = k


# ------------------------------------------------------------------------------------------- weights


def _weights(ctx: Context) -> list[tuple[int, Indicator, Decimal]] | None:
    """(index, row, 分值) of the weighted rows, or None when some 分值 is text or an applicable one is
    missing (REQUIRED_MISSING / NOT_A_NUMBER report those; sums would mislead)."""
    out = []
    for i, _, ind in ctx.rows:
        if _na_mark(ind.weight) and not _applicable(ind):
            continue
        if _is_text(ind.weight) or (_blank(ind.weight) and _applicable(ind)):
            return None
        w = as_number(ind.weight)
        if w is not None:
            out.append((i, ind, w))
    return out


@rule(
    "WEIGHT_TOTAL",
    ERROR,
    "分值合计不等于 100",
    "全部指标分值（含不适用指标）加预算执行率分值须等于 100。",
)
def weight_total(ctx: Context) -> Iterator[Hit]:
    """Σ 分值 of all weighted indicators (applicable or not) + 执行率分值 = 100 (official-rules-sources.md
    §3.1: footer 总分 100 [P2], 合计 100 [P4]). Not-applicable rows keep their 分值 in this sum: the total is
    rescaled over the applicable ones (§3.5). Skipped when any 分值 is missing or text.
    """
    weights = _weights(ctx)
    exec_weight = as_number(ctx.ev.execution_weight)
    if not ctx.rows or weights is None or exec_weight is None:
        return
    s = sum((w for _, _, w in weights), Decimal(0))
    if abs(s + exec_weight - 100) > ctx.rules.tolerance:
        yield Hit(
            "",
            f"指标分值合计 {plain(s)} 加预算执行率分值 {plain(exec_weight)}，共 {plain(s + exec_weight)}，"
            f"不等于 100（相差 {plain(s + exec_weight - 100)}）；请调整各指标分值。",
        )


@rule(
    "LEVEL1_WEIGHT",
    WARNING,
    "一级指标分值与规定不同",
    "各一级指标的分值合计（及预算执行率分值）与规则集规定（默认执行率 10、产出 50、效益 30、满意度 10）不同；"
    "如有特殊情况可适当调整，请确认。",
)
def level1_weight(ctx: Context) -> Iterator[Hit]:
    """Σ 分值 per 一级 vs rules.level1_weights, and 执行率分值 vs rules.execution_weight (official-rules.md
    §3: 10/50/30/10, "may be adjusted" → a warning). The field is the first row of that 一级 (or ""
    when it has none). Skipped when any 分值 is missing or text, or there are no indicators.
    """
    weights = _weights(ctx)
    exec_weight = as_number(ctx.ev.execution_weight)
    if exec_weight is not None and exec_weight != ctx.rules.execution_weight:
        yield Hit(
            "execution_weight",
            f"预算执行率分值为 {plain(exec_weight)}，规定为 {plain(ctx.rules.execution_weight)}；"
            "如属特殊情况调整，请确认。",
        )
    if not ctx.rows or weights is None:
        return
    for level1, expected in ctx.rules.level1_weights.items():
        rows = [(i, w) for i, ind, w in weights if ind.level1.strip() == level1]
        s = sum((w for _, w in rows), Decimal(0))
        if s != expected:
            field = _path(rows[0][0], "weight") if rows else ""
            yield Hit(
                field,
                f"{level1}的分值合计为 {plain(s)}，规定为 {plain(expected)}；如属特殊情况调整，请确认。",
            )


# ------------------------------------------------------------------------------ indicator values


@rule(
    "TARGET_NONPOSITIVE",
    ERROR,
    "年度指标值无法计分",
    "正向、反向指标的年度指标值须大于 0，“=”指标的年度指标值不能为负，否则得分无法计算。",
)
def target_nonpositive(ctx: Context) -> Iterator[Hit]:
    """t ≤ 0 on 正向/反向, t < 0 on ``=``: the score is undefined (official-rules.md §3 "t = 0 on 正向/反向
    is an error"; t < 0 likewise has no meaning; scoring.py leaves such scores blank).
    """
    for i, k, ind in ctx.rows:
        t, op = as_number(ind.target), _op(ind)
        if t is None or not _applicable(ind) or not _quantitative(ind):
            continue
        if (op == "=" and t < 0) or (op != "=" and t <= 0):
            need = "不能为负" if op == "=" else "须大于 0"
            yield Hit(
                _path(i, "target"),
                f"{_who(k, ind)}：年度指标值为 {plain(t)}，指标性质为“{op}”时{need}，得分无法计算；请改正年度指标值。",
            )


@rule(
    "QUAL_SCORE_OUT_OF_BAND",
    ERROR,
    "定性指标得分超出完成档次区间",
    "达成年度指标得分在分值的 80%（含）至 100%，部分达成在 60%（含）至 80%，未达成在 0 至 60%；请在区间内打分。",
)
def qual_score_out_of_band(ctx: Context) -> Iterator[Hit]:
    """定性 得分 inside its band: [80 %, 100 %], [60 %, 80 %), [0, 60 %) of 分值 (official-rules.md §3;
    vocab.BANDS). Bounds are exact fractions of 分值 (the vendor's round(w×0.8, 2) agrees for 2-decimal
    分值).
    """
    for i, k, ind in ctx.rows:
        band = vocab.normalize_band(ind.band)
        w, s = as_number(ind.weight), as_number(ind.score)
        if not _qualitative(ind) or not band or w is None or w <= 0 or s is None or not _applicable(ind):
            continue
        lo_f, hi_f, hi_inclusive = vocab.BANDS[band]
        lo, hi = w * lo_f, w * hi_f
        inside = lo <= s and (s <= hi if hi_inclusive else s < hi)
        if not inside:
            close = "（含）" if hi_inclusive else "（不含）"
            yield Hit(
                _path(i, "score"),
                f"{_who(k, ind)}：完成档次为“{band}”，得分应在 {plain(lo)}（含）至 {plain(hi)}{close}之间，"
                f"现为 {plain(s)}；请调整得分或完成档次。",
            )


@rule(
    "DEVIATION_NOTE_MISSING",
    ERROR,
    "未满分但未填偏差原因",
    "指标得分低于分值时，须填写偏差原因分析及改进措施。",
)
def deviation_note_missing(ctx: Context) -> Iterator[Hit]:
    """Rule score < 分值 with an empty 偏差原因分析及改进措施 (official-rules.md §3 last bullet;
    official-rules-sources.md §3.7, the vendor blocks saving). The score is scoring.indicator_score.
    """
    for i, k, ind in ctx.rows:
        s, w = ctx.scores[i], as_number(ind.weight)
        if s is None or w is None or s >= w or ind.deviation_note.strip():
            continue
        yield Hit(
            _path(i, "deviation_note"),
            f"{_who(k, ind)}：得分 {_score(s)} 低于分值 {plain(w)}，须填写偏差原因分析及改进措施；"
            "请写明未完成的原因和改进办法。",
        )


@rule(
    "OVER_COMPLETION",
    WARNING,
    "超额完成较多且未说明原因",
    "正向或“=”指标的实际完成值达到年度指标值的 1.2 倍（可配置）以上而未填偏差原因：请分析原因（如年初指标值"
    "设定偏低）；得分不自动扣减。",
)
def over_completion(ctx: Context) -> Iterator[Hit]:
    """a ≥ rules.over_completion_ratio × t on 正向/= rows (t > 0) with no deviation note: ask for the
    reason; the score is unchanged (official-rules.md §3; vendor 1.2× flag, official-rules-sources.md §3.3).
    """
    ratio = ctx.rules.over_completion_ratio
    for i, k, ind in ctx.rows:
        t, a = as_number(ind.target), as_number(ind.actual)
        if _op(ind) not in ("≥", "=") or t is None or a is None or t <= 0 or not _applicable(ind):
            continue
        if a >= ratio * t and not ind.deviation_note.strip():
            yield Hit(
                _path(i, "deviation_note"),
                f"{_who(k, ind)}：实际完成值 {plain(a)} 为年度指标值 {plain(t)} 的 {_pct(a / t)}，"
                f"达到或超过 {plain(ratio * 100)}%；请在偏差原因分析及改进措施中说明超额原因（如年初指标值设定偏低），得分不自动扣减。",
            )


@rule(
    "SCORE_MISMATCH",
    WARNING,
    "自填得分与规则得分不同",
    "定量指标自填的得分与按规则计算的得分相差超过容差；以规则得分为准。",
)
def score_mismatch(ctx: Context) -> Iterator[Hit]:
    """A self-entered 得分 on a quantitative row vs scoring.indicator_score, beyond rules.tolerance.
    The rule's score counts (scoring.py); the clerk is told both numbers.
    """
    for i, k, ind in ctx.rows:
        entered = as_number(ind.score)
        if entered is None or not _quantitative(ind):
            continue
        computed = ctx.scores[i]
        if computed is not None and abs(entered - computed) > ctx.rules.tolerance:
            yield Hit(
                _path(i, "score"),
                f"{_who(k, ind)}：自填得分 {plain(entered)} 与按规则计算的得分 {_score(computed)} 不同；"
                "以规则得分为准，请核对实际完成值、年度指标值或改正得分。",
            )


@rule(
    "NEGATIVE_ACTUAL",
    WARNING,
    "实际完成值为负数",
    "定量指标的实际完成值为负数时按 0 计分；请核对。",
)
def negative_actual(ctx: Context) -> Iterator[Hit]:
    """实际完成值 < 0 counts as 0 (vendor rule, official-rules.md §3): a warning, the score follows."""
    for i, k, ind in ctx.rows:
        a = as_number(ind.actual)
        if a is not None and a < 0 and _quantitative(ind) and _applicable(ind):
            yield Hit(
                _path(i, "actual"),
                f"{_who(k, ind)}：实际完成值 {plain(a)} 为负数，按 0 计分；请核对实际完成值。",
            )


def _percent_unit(ind: Indicator) -> bool:
    return ind.unit.strip() in PERCENT_UNITS


def _magnitude_row(i: int, k: int, ind: Indicator) -> Iterator[Hit]:
    t, a, op = as_number(ind.target), as_number(ind.actual), _op(ind)
    if t is not None and _percent_unit(ind) and op in ("≥", "=") and 0 < t <= 1:
        yield Hit(
            _path(i, "target"),
            f"{_who(k, ind)}：度量单位是“%”，年度指标值却是 {plain(t)}，疑似把 {plain(t * 100)}% 写成了小数；"
            f"如是，请填 {plain(t * 100)}。",
        )
        return
    if t is None or a is None or t <= 0 or a <= 0:
        return
    if _percent_unit(ind) and t > 1 and a <= 1:
        yield Hit(
            _path(i, "actual"),
            f"{_who(k, ind)}：度量单位是“%”，实际完成值却是 {plain(a)}，疑似把 {plain(a * 100)}% 写成了小数；"
            f"如是，请填 {plain(a * 100)}。",
        )
        return
    ratio = a / t
    if ratio >= RATIO_SUSPECT_HIGH or (op in ("≥", "=") and ratio <= RATIO_SUSPECT_LOW):
        yield Hit(
            _path(i, "actual"),
            f"{_who(k, ind)}：实际完成值 {plain(a)} 与年度指标值 {plain(t)} 相差百倍以上，疑似单位不一致"
            "（如元与万元、百分数与小数）；请核对两者是否按同一度量单位填写。",
        )


@rule(
    "MAGNITUDE_SUSPECT",
    WARNING,
    "数量级可疑",
    "疑似单位填错：度量单位为 % 而指标值为小数（0.95 应为 95）；实际完成值与年度指标值相差百倍以上；"
    "金额超过 100 亿元（疑似按元填写，金额应以万元为单位）。",
)
def magnitude_suspect(ctx: Context) -> Iterator[Hit]:
    """Unit mix-ups one can tell from the numbers (our heuristics; warnings only):

    - 度量单位 % with 0 < t ≤ 1 on a 正向/= row (0.95 for 95 %); 反向 rows are exempt, since small
      per-cent ceilings (投诉率 ≤ 1 %) are common. Likewise a % actual ≤ 1 against a target > 1.
    - actual/target ≥ 100 on any quantitative row, or ≤ 0.01 on 正向/= rows (on 反向 rows a tiny actual
      is good news); actual 0 is a plain shortfall, not a unit question.
    - money above MONEY_SUSPECT_ABOVE 万元 (100 亿元): probably entered in 元 (tables are in 万元,
      official-rules.md §1).
    """
    for path, label, value in _money_fields(ctx.ev):
        d = as_number(value)
        if d is not None and d > MONEY_SUSPECT_ABOVE:
            yield Hit(
                path,
                f"{label} {_money(d)} 万元超过 100 亿元，疑似按元填写；金额应以万元为单位"
                f"（如按元填写，应为 {_money(round_half_up(d / 10000, 6))} 万元），请核对。",
            )
    for i, k, ind in ctx.rows:
        if _quantitative(ind) and _applicable(ind):
            yield from _magnitude_row(i, k, ind)


@rule(
    "NA_SCORED",
    WARNING,
    "不适用指标填了得分",
    "标为不适用（“/”）的指标不计分，填写的得分不会计入总分；请删去得分，或如该指标适用，请填写实际完成值。",
)
def na_scored(ctx: Context) -> Iterator[Hit]:
    """A not-applicable row with a numeric 得分: the score is ignored (official-rules.md §3 "not scored"),
    which the clerk may not expect."""
    for i, k, ind in ctx.rows:
        s = as_number(ind.score)
        if s is not None and not _applicable(ind):
            yield Hit(
                _path(i, "score"),
                f"{_who(k, ind)}：已标为不适用（“/”），不计分，填写的得分 {plain(s)} 不会计入总分；"
                "请删去得分，或如该指标适用，请填写实际完成值。",
            )


@rule(
    "GOAL_MISSING",
    INFO,
    "年度总体目标未填写",
    "年度总体目标的预期目标和实际完成情况是自评表的组成部分；未填写时报告中留空待补。",
)
def goal_missing(ctx: Context) -> Iterator[Hit]:
    """年度总体目标 (预期目标 | 实际完成情况) is a block of both official tables (official-rules.md §1, §2).
    Info only: scoring does not need it, and not every input source carries it.
    """
    for path, label, value in (
        ("goal_expected", "年度总体目标的预期目标", ctx.ev.goal_expected),
        ("goal_actual", "年度总体目标的实际完成情况", ctx.ev.goal_actual),
    ):
        if not value.strip():
            yield Hit(path, f"{label}未填写；请补充，否则自评表和报告中此处留空。")


__all__ = ["CATALOG", "CheckInfo", "Context", "Hit", "check", "parse_number_text", "rule"]
