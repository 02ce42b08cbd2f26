"""Validation rules, each written once: a condition in the rule language (rules.expr) that Python evaluates
and the template renders as a live formula, a level, the input it marks, a short message for the workbook's
problem cells and a full Chinese message builder for everything else.

``check(ev, scheme)`` returns the findings of one evaluation; ``row_rules(scheme)`` and
``book_rules(scheme)`` are the rules the template renders (layout.checks), so a workbook opened in Excel,
WPS or LibreOffice without Python shows the same problems, on the same cells, at the same levels
(tests/test_live_checks.py recalculates in LibreOffice and compares code by code).

Conventions (apply to every rule):

- A row rule reads the row program (rules.reading, rules.scoring) and may read the headline values
  (``execution_rate`` …); it marks one input of its row (``attr``). A book rule reads 基本信息 fields (by
  model path), the headline values and column sums of the row program; it marks one field (``""`` for the
  evaluation as a whole). Blank rows are not indicators: no rule looks at them.
- ``Finding.field`` names the input in model attribute-path terms (``budget.total.executed``,
  ``indicators[3].weight``); ``sheet``/``cell`` stay empty, the edges fill them. Messages name fields in
  Chinese and an indicator by its 三级 name (``指标“培训人次”：…``) or position (``第 3 项指标``).
- A scheme changes a rule's level or switches it off by code (``[checks]``), and supplies its thresholds.
- Scores come from rules.scoring (never recomputed here). Sums of money compare within the scheme's
  tolerance (0.01 万元): a difference of at most the tolerance never flags.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from .. import catalog
from ..model import Evaluation, Finding, Indicator, Kind, Level, Num, as_number
from . import scoring, vocab
from .expr import (
    TRUE,
    Abs,
    And,
    CountEqual,
    Expr,
    Guard,
    If,
    Int,
    IsNumber,
    IsText,
    Not,
    Or,
    Ref,
    Sum,
    SumIf,
    Value,
    plain,
    round_half_up,
)
from .pycompile import (
    COMPILE_AFTER_EVALUATIONS,
    COMPILE_AFTER_ROWS,
    Tiered,
    compile_conditions,
    walk_conditions,
)
from .scheme import LABEL_DEFAULTS, Scheme, default_scheme

ERROR, WARNING, INFO = Level.ERROR, Level.WARNING, Level.INFO

#: Money above this (万元, i.e. 100 亿元) was most likely entered in 元 (MAGNITUDE_SUSPECT).
MONEY_SUSPECT_ABOVE = Decimal(1_000_000)
#: actual / target at or beyond these ratios suggests a unit mix-up (MAGNITUDE_SUSPECT).
RATIO_SUSPECT_HIGH = Decimal(100)
RATIO_SUSPECT_LOW = Decimal("0.01")
#: An entered 执行率 (a fraction) agrees with the computed one within this (0.01 个百分点: rounding).
RATE_TOLERANCE = Decimal("0.0001")
#: Window name: the 三级 names (as matched) of the rows from the first down to this one (duplicates).
NAMES_UP_TO_HERE = "nm_upto"
#: Row step: how many error-level rules hold on this row, ROW_UNSCORED excepted.
ROW_ERRORS = "row_errors"


@dataclass(frozen=True)
class CheckInfo:
    """What a check is, for docs and README: its code, default level, title and description."""

    code: str
    level: Level
    title_zh: str
    description_zh: str


_catalog: dict[str, CheckInfo] = {}
#: code → CheckInfo of every check, in the order they are declared.
CATALOG: Mapping[str, CheckInfo] = MappingProxyType(_catalog)


def register(code: str, level: Level, title_zh: str, description_zh: str) -> str:
    """Declare a check code (also in the project-wide catalog); returns the code."""
    catalog.code(code, level, title_zh, description_zh, "check")
    _catalog[code] = CheckInfo(code, level, title_zh, description_zh)
    return code


@dataclass(frozen=True)
class RowCtx:
    """What a row rule's message sees: the row, its position among filled rows, its program, the scheme."""

    ind: Indicator
    k: int
    env: Mapping[str, Any]
    scheme: Scheme
    book: Mapping[str, Any]

    @property
    def who(self) -> str:
        name = self.ind.name.strip()
        return f"指标“{name}”" if name else f"第 {self.k} 项指标"


@dataclass(frozen=True)
class BookCtx:
    ev: Evaluation
    env: Mapping[str, Any]
    scheme: Scheme
    scores: scoring.Scores


@dataclass(frozen=True)
class RowRule:
    """A check on one indicator row: when ``when`` holds, ``attr`` of that row gets a finding."""

    code: str
    attr: str
    when: Expr
    short: str
    message: Callable[[RowCtx], str]
    level: Level | None = None  # this rule's own level, else the code's (scheme-adjusted)


@dataclass(frozen=True)
class BookRule:
    """A check on the evaluation as a whole (基本信息 fields, sums): ``field`` gets a finding."""

    code: str
    field: str
    when: Expr
    short: str
    message: Callable[[BookCtx], str]
    level: Level | None = None


def rule_level(rule: RowRule | BookRule, scheme: Scheme) -> Level | None:
    """The level a rule reports at under ``scheme`` (None: switched off). A rule with a level of its own
    (BUDGET_ADJUSTED's reminder) keeps it unless the scheme switches the code off."""
    default = CATALOG[rule.code].level
    chosen = scheme.level(rule.code, default)
    if chosen is None:
        return None
    return rule.level if rule.level is not None and rule.code not in scheme.checks else chosen


# --------------------------------------------------------------------------------------------- codes

REQUIRED_MISSING = register(
    "REQUIRED_MISSING",
    ERROR,
    "必填项未填写",
    "单位名称、评价年度、评价类型、预算执行率分值、全年预算数、全年执行数必填，项目支出还须填写项目名称；每项指标须填写"
    "三级指标和分值（分一级、二级的规则还须填写一级、二级指标），定量指标还须填写年度指标值和实际完成值，定性指标还须"
    "填写自评得分。不适用（“/”）的指标只须填写指标名称。",
)
UNIT_CODE_MISSING = register(
    "UNIT_CODE_MISSING",
    WARNING,
    "单位编码未填写",
    "单位编码未填写但有单位名称：按单位名称识别单位；请补填单位编码以免重名。",
)
NO_INDICATORS = register("NO_INDICATORS", ERROR, "没有绩效指标", "至少须填写一项三级指标。")
NOT_A_NUMBER = register(
    "NOT_A_NUMBER",
    ERROR,
    "数值栏填了文本",
    "金额、年度、分值、得分、得分系数须为数值；定量指标的年度指标值和实际完成值须能读出数值（可带符号和单位，如"
    "“≥266米”“90%以上”）。实际完成值填“/”表示不适用，不算错误。",
)
UNIT_MISMATCH = register(
    "UNIT_MISMATCH",
    ERROR,
    "实际完成值单位与指标不同",
    "实际完成值带的单位与度量单位（或年度指标值的单位）不同，无法比较，未计分；请换算为同一单位。",
)
KIND_INVALID = register("KIND_INVALID", ERROR, "评价类型不正确", "评价类型只能是“部门整体支出”或“项目支出”。")
YEAR_INVALID = register(
    "YEAR_INVALID", ERROR, "评价年度不正确", "评价年度须为 2000 至 2100 之间的整数年份，如 2023。"
)
OPERATOR_INVALID = register(
    "OPERATOR_INVALID",
    ERROR,
    "指标性质不正确",
    "指标性质可填 ≥、≤、=、>、<（或正向、反向、正向指标、反向指标、═）、定性、定量（定量指标），也可留空。",
)
OPERATOR_ASSUMED = register(
    "OPERATOR_ASSUMED",
    WARNING,
    "指标性质为推定",
    "未填指标性质、年度指标值中也没有符号：数值指标按正向（≥）计分，文字指标按定性计分；请确认。",
)
OPERATOR_CONFLICT = register(
    "OPERATOR_CONFLICT",
    WARNING,
    "指标性质与指标值符号不一致",
    "指标性质与年度指标值中写的符号方向不同（如性质为 ≤，指标值写“≥5”）；按指标性质计分，请核对。",
)
VALUE_SIGN_IGNORED = register(
    "VALUE_SIGN_IGNORED",
    WARNING,
    "实际完成值中的符号已忽略",
    "实际完成值写了符号或“不少于”等字样（如“≥266米”）：按其中的数值计分，符号不起作用；实际完成值只填完成的数值即可。",
)
BAND_INVALID = register(
    "BAND_INVALID",
    ERROR,
    "完成档次不正确",
    "完成档次只能是规则设定的档次（全国：达成年度指标、部分达成年度指标并具有一定效果、未达成年度指标且效果较差，或简称"
    "达成、部分达成、未达成），不适用填“/”，也可不填（按得分推定）。",
)
NEGATIVE_AMOUNT = register("NEGATIVE_AMOUNT", ERROR, "金额为负数", "预算数、执行数及收支明细金额不能为负数。")
WEIGHT_INVALID = register("WEIGHT_INVALID", ERROR, "分值不正确", "指标分值须大于 0；预算执行率分值不能为负。")
BUDGET_ZERO = register(
    "BUDGET_ZERO", ERROR, "全年预算数为 0", "全年预算数为 0 时执行率无法计算（不是按 0 分计）。"
)
BUDGET_EXEC_OVER = register(
    "BUDGET_EXEC_OVER",
    WARNING,
    "执行数高于预算数",
    "全年执行数高于全年预算数时执行率超过 100%，执行率得分按 100% 封顶；请核对执行数或写明超支原因。",
)
EXEC_RATE_LOW = register(
    "EXEC_RATE_LOW",
    WARNING,
    "执行率偏低且未说明原因",
    "执行率低于规则设定的下限（全国 90%）且“预算执行说明”为空；四川规则下为错误。",
)
BUDGET_ADJUSTED = register(
    "BUDGET_ADJUSTED",
    WARNING,
    "年中预算调整",
    "年初预算数与全年预算数不同（年中追加或调减）：须在“预算执行说明”中说明理由；未说明为警告，已说明为提示。",
)
EXEC_RATE_MISMATCH = register(
    "EXEC_RATE_MISMATCH",
    WARNING,
    "填报的执行率与计算值不同",
    "表上填写的执行率与 全年执行数 ÷ 全年预算数 相差超过 0.01 个百分点；以计算值为准。",
)
EXEC_SCORE_MISMATCH = register(
    "EXEC_SCORE_MISMATCH",
    WARNING,
    "填报的执行率得分与规则得分不同",
    "表上填写的执行率得分与按规则计算的得分相差超过容差；以规则得分为准。",
)
EXEC_ROW_MISMATCH = register(
    "EXEC_ROW_MISMATCH",
    WARNING,
    "执行率指标与预算数据不符",
    "规则把执行率作为一行指标计分时，该行的实际完成值与 全年执行数 ÷ 全年预算数 相差超过 0.01 个百分点；请核对。",
)
FUND_ROWS_MISMATCH = register(
    "FUND_ROWS_MISMATCH",
    ERROR,
    "资金来源各行之和不等于年度资金总额",
    "其中各行（全国：当年财政拨款、上年结转资金、其他资金）之和须等于年度资金总额，年初预算数、全年预算数、全年执行数"
    "各列分别核对（仅当该列填了其中行时）。",
)
INCOME_SUM_MISMATCH = register(
    "INCOME_SUM_MISMATCH",
    ERROR,
    "收入来源之和不等于全年预算数",
    "一般公共预算拨款 + 政府性基金拨款 + 其他收入须等于全年预算数（填了任一收入来源时核对）。",
)
SPENDING_SUM_MISMATCH = register(
    "SPENDING_SUM_MISMATCH",
    ERROR,
    "基本支出与项目支出之和不等于全年预算数",
    "基本支出 + 项目支出须等于全年预算数（填了其中任一项时核对）。",
)
BASIC_SUM_MISMATCH = register(
    "BASIC_SUM_MISMATCH",
    ERROR,
    "基本支出明细之和不等于基本支出",
    "工资福利支出 + 商品和服务支出 + 对个人和家庭的补助须等于基本支出（填了任一明细时核对）。",
)
SUBLINE_EXCEEDS = register(
    "SUBLINE_EXCEEDS",
    ERROR,
    "对企业补助支出超过项目支出",
    "对企业补助支出是项目支出按经济分类列出的一部分，不能大于项目支出。",
)
SUBLINE_UNCLASSIFIED = register(
    "SUBLINE_UNCLASSIFIED",
    INFO,
    "项目支出有未按经济分类列明的部分",
    "项目支出中除对企业补助支出外尚有金额未按经济分类列明（提示，可补充其他经济分类或忽略）。",
)
LEVEL1_UNKNOWN = register(
    "LEVEL1_UNKNOWN",
    ERROR,
    "一级指标名称不正确",
    "一级指标须为规则中的名称或其别名（全国：产出指标、效益指标、满意度指标、成本指标）；分值写在分值栏。",
)
LEVEL2_UNKNOWN = register(
    "LEVEL2_UNKNOWN",
    ERROR,
    "二级指标名称不正确",
    "二级指标须为规则中的名称或其别名（如数量指标、质量指标、时效指标、成本指标、社会效益指标、服务对象满意度指标等）。",
)
LEVEL2_MISMATCH = register(
    "LEVEL2_MISMATCH",
    ERROR,
    "二级指标不属于所填一级指标",
    "二级指标须属于其一级指标（如数量指标属于产出指标，社会效益指标属于效益指标）。",
)
DUPLICATE_INDICATOR = register(
    "DUPLICATE_INDICATOR", WARNING, "三级指标重复", "同一个三级指标名称出现了两次以上；请合并或改名。"
)
WEIGHT_TOTAL = register(
    "WEIGHT_TOTAL",
    ERROR,
    "分值合计不等于 100",
    "全部指标分值（含不适用指标）加预算执行率分值须等于 100；否则不计总分。",
)
LEVELS_MISSING = register(
    "LEVELS_MISSING",
    ERROR,
    "指标都没有一级、二级指标",
    "评分规则分一级、二级指标，但表中没有一项指标填写了一级或二级指标（表中可能没有这两列）："
    "整张表只报告这一次，不逐行重复；请填写一级、二级指标，或改用不分级的评分规则。",
)
LEVEL1_WEIGHT = register(
    "LEVEL1_WEIGHT",
    WARNING,
    "一级指标分值与规定不同",
    "各一级指标的分值合计不符合规则中的任何一种分值方案（全国：产出 50、效益 30、满意度 10，或成本指标单列与产出合计"
    " 50），或预算执行率分值与规定不同；如有特殊情况可适当调整，请确认。",
)
TARGET_NEGATIVE = register(
    "TARGET_NEGATIVE",
    ERROR,
    "年度指标值为负数，无法按比例计分",
    "按完成比例计分的指标，年度指标值不能为负数（0 可以：正向指标完成即满分，反向和“=”指标实际为 0 时满分）。",
)
QUAL_SCORE_OUT_OF_BAND = register(
    "QUAL_SCORE_OUT_OF_BAND",
    ERROR,
    "定性指标得分超出完成档次区间",
    "达成年度指标得分在分值的 80%（含）至 100%，部分达成在 60%（含）至 80%，未达成在 0 至 60%（各规则可不同）；请在区间内打分。",
)
DEVIATION_NOTE_MISSING = register(
    "DEVIATION_NOTE_MISSING",
    ERROR,
    "未满分但未填偏差原因",
    "指标得分低于分值时，须填写偏差原因分析及改进措施。",
)
OVER_COMPLETION = register(
    "OVER_COMPLETION",
    WARNING,
    "超额完成较多且未说明原因",
    "正向或“=”指标的实际完成值达到年度指标值的 1.2 倍（规则可改）以上而未填偏差原因：请分析原因（如年初指标值设定偏低）；"
    "得分不自动扣减。",
)
SCORE_MISMATCH = register(
    "SCORE_MISMATCH",
    WARNING,
    "自填得分与规则得分不同",
    "定量指标自填的得分与按规则计算的得分相差超过容差；以规则得分为准。",
)
NEGATIVE_ACTUAL = register(
    "NEGATIVE_ACTUAL", WARNING, "实际完成值为负数", "定量指标的实际完成值为负数时按 0 计分；请核对。"
)
MAGNITUDE_SUSPECT = register(
    "MAGNITUDE_SUSPECT",
    WARNING,
    "数量级可疑",
    "疑似单位填错：单位为 % 而指标值为小数（0.95 应为 95）；实际完成值与年度指标值相差百倍以上；金额超过 100 亿元"
    "（疑似按元填写，金额应以万元为单位）。",
)
NA_SCORED = register(
    "NA_SCORED",
    WARNING,
    "不适用指标填了得分",
    "标为不适用（“/”）的指标不计分，填写的得分不会计入总分；请删去得分，或如该指标适用，请填写实际完成值。",
)
ROW_UNSCORED = register(
    "ROW_UNSCORED",
    ERROR,
    "指标无法计分",
    "该指标有分值但无法计分（如计分方法所需的数值缺失），因此不计总分；请按提示补全。",
)
GOAL_MISSING = register(
    "GOAL_MISSING",
    INFO,
    "年度总体目标未填写",
    "年度总体目标的预期目标和实际完成情况是自评表的组成部分；未填写时报告中留空待补。",
)


# ------------------------------------------------------------------------------------------- helpers


from .reading import _blank, _filled  # noqa: E402  (one definition of "blank" for reading, scoring, checks)


def _money(d: Decimal) -> str:
    """万元 with 2 decimals, or as entered when it has more (89.974)."""
    exp = d.as_tuple().exponent
    if isinstance(exp, int) and exp < -2 and d != round_half_up(d):
        return plain(d)
    return format(round_half_up(d), "f")


def _pct(rate: Decimal, below: Decimal | None = None) -> str:
    """A fraction as a percentage with 2 decimals (more when 2 would round up to ``below``)."""
    for places in (2, 4, 6, 8):
        shown = round_half_up(rate * 100, places)
        if below is None or shown < below * 100:
            break
    return f"{format(shown, 'f')}%"


def _score(d: Decimal) -> str:
    return format(round_half_up(d), "f")


def _excerpt(value: object, limit: int = 40) -> str:
    """What the clerk wrote, cut to ``limit`` characters for a message."""
    text = str(value).strip()
    return text if len(text) <= limit else text[:limit] + "…"


_NUMBER_TEXT = re.compile(
    r"(?P<op>>=|<=|[≥≤><=≧≦])?\s*"
    r"(?P<num>[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\.\d+)\s*"
    r"(?P<unit>[^\d.,]{0,8})"
)


def parse_number_text(text: str) -> tuple[str, Decimal, str] | None:
    """Read text that would be a number, for hints: (operator, number, unit) or None."""
    s = unicodedata.normalize("NFKC", text).strip()
    if len(s) > 60:
        return None
    m = _NUMBER_TEXT.fullmatch(s)
    if not m:
        return None
    op = vocab.OPERATOR_SPELLINGS.get(m["op"] or "", "") if m["op"] else ""
    op = {">": "≥", "<": "≤", "≧": "≥", "≦": "≤", ">=": "≥", "<=": "≤"}.get(m["op"] or "", op)
    return op, Decimal(m["num"].replace(",", "")), m["unit"].strip()


def _bare(label: str) -> str:
    """A label without its trailing note: 完成档次（定性） → 完成档次."""
    return re.sub(r"（.*?）$", "", label)


#: What messages call an indicator column: the template's default labels (rules.scheme.LABEL_DEFAULTS), but
#: 得分 as the form's column says it (the template's header adds 自评).
_FIELD_LABELS = {
    **{
        attr: _bare(LABEL_DEFAULTS[attr])
        for attr in (
            *("level1", "level2", "name", "operator", "target", "unit", "actual", "band", "weight"),
            *("deviation_note", "method", "coefficient"),
        )
    },
    "score": "得分",
}


def _label(attr: str, scheme: Scheme) -> str:
    """The column as the scheme's table names it, where a scheme may rename it (指标权重 for 分值 …)."""
    if attr in ("target", "actual", "weight", "deviation_note", "coefficient"):
        return _bare(scheme.label(attr)) or _FIELD_LABELS[attr]
    return _FIELD_LABELS[attr]


# ------------------------------------------------------------------------------------------ row rules


def _dir_in(*ds: str) -> Expr:
    d = Ref("dir")
    return Or(*(d.eq(x) for x in ds))


QUANT = (vocab.POSITIVE, vocab.REVERSE, vocab.EQUAL)


def _is_ratio() -> Expr:
    return Ref("mk").eq("ratio")


def vocab_norm(x: Expr) -> Expr:
    from .reading import normalise_expr

    return normalise_expr(x, vocab.NORMALISE_WORD)


def _quant_row() -> Expr:
    return And(Not(Ref("na")), _dir_in(*QUANT))


def row_rules(scheme: Scheme) -> tuple[RowRule, ...]:
    return _row_rules(scheme)


@functools.lru_cache(maxsize=32)
def _row_rules(scheme: Scheme) -> tuple[RowRule, ...]:
    r = Ref
    na, w, e, t, a = r("na"), r("weight"), r("entered"), r("t_num"), r("a_val")
    note_blank = r("z_deviation_note")
    rules: list[RowRule] = []
    add = rules.append
    levels = not scheme.flat

    # REQUIRED_MISSING (一级/二级 only where some row has them: else LEVELS_MISSING, once for the form)
    if levels:
        some_levels = Sum(r(scoring.LEVELS_ALL)).gt(0)
        for attr in ("level1", "level2"):
            add(
                RowRule(
                    REQUIRED_MISSING,
                    attr,
                    And(r(f"z_{attr}"), some_levels),
                    f"{_FIELD_LABELS[attr]}未填写",
                    lambda c, attr=attr: (
                        f"{c.who}：{_FIELD_LABELS[attr]}未填写；请填写{_FIELD_LABELS[attr]}"
                        + ("（合并单元格的每一行都算填写）。" if attr == "level1" else "。")
                    ),
                )
            )
    add(
        RowRule(
            REQUIRED_MISSING,
            "name",
            r("z_name"),
            "三级指标未填写",
            lambda c: f"{c.who}：三级指标未填写；请填写指标名称。",
        )
    )
    add(
        RowRule(
            REQUIRED_MISSING,
            "weight",
            And(Not(na), r("z_weight")),
            "分值未填写",
            lambda c: f"{c.who}：{_label('weight', c.scheme)}未填写；请填写{_label('weight', c.scheme)}。",
        )
    )
    undecided_or_quant = And(Not(na), Or(_dir_in(*QUANT), And(r("dir").eq(""), Not(r("op_cell").eq("?")))))
    add(
        RowRule(
            REQUIRED_MISSING,
            "target",
            And(
                undecided_or_quant,
                r("z_target"),
                Not(r("mk").eq("coefficient")),
                Not(r("mk").eq("manual")),
            ),
            "年度指标值未填写",
            lambda c: (
                f"{c.who}：{_label('target', c.scheme)}未填写"
                + ("，实际完成值也未填写" if c.env.get("actual") is None else "")
                + "；请填写年度指标值（可带符号和单位，如“≥50个”“100%”），定性指标请填写指标内容。"
            ),
        )
    )
    add(
        RowRule(
            REQUIRED_MISSING,
            "actual",
            And(
                undecided_or_quant,
                r("z_actual"),
                Not(r("mk").eq("coefficient")),
                Not(r("mk").eq("manual")),
            ),
            "实际完成值未填写",
            lambda c: (
                f"{c.who}：{_label('actual', c.scheme)}未填写；请填写完成的数值，该指标不适用时请填“/”。"
            ),
        )
    )
    add(
        RowRule(
            REQUIRED_MISSING,
            "score",
            And(
                Not(na),
                Or(And(r("dir").eq(vocab.QUALITATIVE), r("mk").eq("ratio")), r("mk").eq("manual")),
                Not(IsNumber(e)),
                r("z_entered"),
            ),
            "自评得分未填写",
            lambda c: (
                f"{c.who}："
                + (
                    f"定性指标须填写自评得分（完成档次“{c.env['b_cell']}”区间内的分数）。"
                    if c.env.get("b_cell") not in ("", "?", "/")
                    else "定性指标须填写自评得分（或完成档次与得分）；得分由评价人在档次区间内填写，达成 80%–100%、部分达成 60%–80%、未达成 60% 以下。"
                )
            ),
        )
    )
    add(
        RowRule(
            REQUIRED_MISSING,
            "coefficient",
            And(Not(na), r("mk").eq("coefficient"), r("z_coefficient")),
            "得分系数未填写",
            lambda c: (
                f"{c.who}：按“指标权重 × 得分系数”计分，得分系数未填写；请填写 0–100 的百分数（如 76 表示 76%）。"
            ),
        )
    )

    # NOT_A_NUMBER
    add(
        RowRule(
            NOT_A_NUMBER,
            "target",
            And(Not(na), _dir_in(*QUANT), Not(r("t_n").eq("")), Not(IsNumber(t))),
            "年度指标值读不出数值",
            lambda c: (
                f"{c.who}：{_label('target', c.scheme)}“{_excerpt(c.ind.target)}”读不出数值"
                f"（指标性质为“{c.env['dir']}”）；请写成“≥50个”“100%”这样的数值，若是定性指标请把指标性质改为“定性”。"
            ),
        )
    )
    add(
        RowRule(
            NOT_A_NUMBER,
            "actual",
            And(_quant_row(), Not(r("a_n").eq("")), Not(IsNumber(r("a_num")))),
            "实际完成值读不出数值",
            lambda c: (
                f"{c.who}：{_label('actual', c.scheme)}“{_excerpt(c.ind.actual)}”读不出数值；"
                "请填写完成的数值（可带单位，如“266米”“95%”），该指标不适用时请填“/”。"
            ),
        )
    )
    for attr, source in (("weight", "weight"), ("score", "entered")):
        na_mark = Or(*(vocab_norm(r(source)).eq(m) for m in vocab.NOT_APPLICABLE))
        add(
            RowRule(
                NOT_A_NUMBER,
                attr,
                And(IsText(r(source)), Not(r(f"z_{source}")), Not(And(na, na_mark))),
                f"{_FIELD_LABELS[attr]}不是数值",
                lambda c, attr=attr: f"{c.who}：{_label(attr, c.scheme)}{_number_hint(getattr(c.ind, attr))}",
            )
        )
    if scoring.uses_coefficient(scheme):
        add(
            RowRule(
                NOT_A_NUMBER,
                "coefficient",
                And(Not(na), Not(r("c_n").eq("")), Not(IsNumber(r("c_num")))),
                "得分系数不是数值",
                lambda c: (
                    f"{c.who}：得分系数“{_excerpt(c.ind.coefficient)}”不是数值；请填写 0–100 的百分数。"
                ),
            )
        )
    add(
        RowRule(
            UNIT_MISMATCH,
            "actual",
            And(_quant_row(), IsNumber(r("a_num")), Not(r("a_uok"))),
            "完成值单位与指标不同",
            lambda c: (
                f"{c.who}：实际完成值“{_excerpt(c.ind.actual)}”的单位“{c.env['a_unit']}”与本行单位"
                f"“{c.env['row_unit']}”不同，无法比较，未计分；请换算为同一单位后填写。"
            ),
        )
    )
    add(
        RowRule(
            OPERATOR_INVALID,
            "operator",
            r("op_cell").eq("?"),
            "指标性质无法识别",
            lambda c: (
                f"{c.who}：指标性质“{_excerpt(c.ind.operator)}”无法识别；请填 ≥（正向）、≤（反向）、=、定性或定量，"
                "也可留空（按年度指标值中的符号计分）。"
            ),
        )
    )
    add(
        RowRule(
            OPERATOR_ASSUMED,
            "operator",
            # Said only where the assumption decides the score: a quantitative row scored by the ratio rule
            # (deduction, bands and coefficients have no direction), or a row taken as 定性 that has no 得分
            # (a 得分 on a text target is the national form's 定性 row, which has no 指标性质 column).
            And(
                Not(na),
                r("assumed"),
                If(r("dir").eq(vocab.QUALITATIVE), r("z_entered"), r("mk").eq("ratio")),
            ),
            "未填指标性质，按推定方向计分",
            lambda c: (
                f"{c.who}：未填指标性质，年度指标值“{_excerpt(c.ind.target)}”中也没有符号，"
                + (
                    (
                        "已按正向（≥）计分：指标值为 0，任何完成值都得满分；如是越少越好的指标（返工、事故、投诉等）"
                        "请在指标性质中填“≤”，否则填“≥”确认。"
                        if c.env.get("t_num") == 0
                        else "已按正向（≥，完成值越大越好）计分；如是反向指标（越小越好）请在指标性质中填“≤”，否则填“≥”确认。"
                    )
                    if c.env["dir"] == vocab.POSITIVE
                    else "已按定性指标计分（由评价人打分）；如是数值指标请把年度指标值写成数值。"
                )
            ),
        )
    )
    add(
        RowRule(
            OPERATOR_CONFLICT,
            "operator",
            And(Not(na), r("conflict")),
            "指标性质与指标值符号不一致",
            lambda c: (
                f"{c.who}：指标性质为“{c.env['op_cell']}”，年度指标值却写作“{_excerpt(c.ind.target)}”；"
                f"已按指标性质“{c.env['op_cell']}”计分，请核对。"
            ),
        )
    )
    add(
        RowRule(
            VALUE_SIGN_IGNORED,
            "actual",
            And(_quant_row(), Not(r("a_dir").eq("")), IsNumber(a)),
            "完成值中的符号已忽略",
            lambda c: (
                f"{c.who}：实际完成值“{_excerpt(c.ind.actual)}”中的符号或“不少于”等字样不起作用，"
                f"已按 {plain(c.env['a_val'])} 计分；实际完成值只填完成的数值即可。"
            ),
        )
    )
    add(
        RowRule(
            BAND_INVALID,
            "band",
            r("b_cell").eq("?"),
            "完成档次无法识别",
            lambda c: (
                f"{c.who}：完成档次“{_excerpt(c.ind.band)}”无法识别；请选择{'、'.join(q.name for q in c.scheme.qualitative)}"
                "，不适用填“/”，也可不填（按得分推定档次）。"
            ),
        )
    )
    add(
        RowRule(
            WEIGHT_INVALID,
            "weight",
            And(IsNumber(w), Or(w.lt(0), And(w.eq(0), Not(na)))),
            "分值须大于 0",
            lambda c: (
                f"{c.who}：{_label('weight', c.scheme)} {plain(c.ind.weight)} 不正确；指标分值须大于 0。"
            ),  # type: ignore[arg-type]
        )
    )

    # labels
    if levels:
        known1 = [n for x in scheme.level1 for n in (x.name,)]
        l1, l2 = r("l1"), r("l2")
        all2 = [y.name for x in scheme.level1 for y in x.level2]
        with_lists = [x.name for x in scheme.level1 if x.level2]
        add(
            RowRule(
                LEVEL1_UNKNOWN,
                "level1",
                And(Not(l1.eq("")), Not(Or(*(l1.eq(n) for n in known1)))),
                "一级指标名称不在规则中",
                lambda c: _level1_message(c),
            )
        )
        if all2:
            is_na2 = Or(*(r("l2_clean").eq(m) for m in vocab.NOT_APPLICABLE))
            add(
                RowRule(
                    LEVEL2_UNKNOWN,
                    "level2",
                    And(
                        Not(l2.eq("")),
                        Not(is_na2),
                        Or(l1.eq(""), *(l1.eq(n) for n in with_lists)),
                        Not(Or(*(l2.eq(n) for n in all2))),
                    ),
                    "二级指标名称不在规则中",
                    lambda c: _level2_message(c),
                )
            )
            parents = [(x.name, [y.name for y in x.level2]) for x in scheme.level1 if x.level2]
            add(
                RowRule(
                    LEVEL2_MISMATCH,
                    "level2",
                    And(
                        Or(*(l2.eq(n) for n in all2)),
                        Or(*(And(l1.eq(p), Not(Or(*(l2.eq(n) for n in kids)))) for p, kids in parents)),
                    ),
                    "二级指标不属于所填一级指标",
                    lambda c: _mismatch_message(c),
                )
            )
    add(
        RowRule(
            DUPLICATE_INDICATOR,
            "name",
            And(
                Not(r("nm").eq("")),
                Not(Or(*(r("nm").eq(m) for m in (*vocab.NOT_APPLICABLE, "／")))),
                CountEqual(Ref(NAMES_UP_TO_HERE), r("nm")).gt(1),
            ),
            "三级指标重复",
            lambda c: (
                f"{c.who}：与第 {c.env.get('dup_of', '?')} 项指标同名；请合并这两项，或改用能区分的名称。"
            ),
        )
    )

    # values
    add(
        RowRule(
            TARGET_NEGATIVE,
            "target",
            And(_quant_row(), _is_ratio(), IsNumber(t), t.lt(0)),
            "年度指标值为负数，无法计分",
            lambda c: (
                f"{c.who}：年度指标值为 {plain(c.env['t_num'])}，为负数时无法按完成比例计分；请核对年度指标值，"
                "或在规则中为该指标设定分档或扣分办法。"
            ),
        )
    )
    qual_inside = []
    for q in scheme.qualitative:
        upper = e.le(w * q.upper) if q.upper_inclusive else e.lt(w * q.upper)
        qual_inside.append(
            (r("b_cell").eq(q.name), Guard(And(IsNumber(e), IsNumber(w)), And(e.ge(w * q.lower), upper)))
        )
    inside: Expr = TRUE if not qual_inside else _chain_bool(qual_inside)
    add(
        RowRule(
            QUAL_SCORE_OUT_OF_BAND,
            "score",
            And(
                Not(na),
                r("dir").eq(vocab.QUALITATIVE),
                Or(*(r("b_cell").eq(q.name) for q in scheme.qualitative)),
                IsNumber(e),
                IsNumber(w),
                w.gt(0),
                Not(inside),
            ),
            "得分超出完成档次区间",
            lambda c: _band_message(c),
        )
    )
    add(  # no 完成档次 (the national form has no such column): the score must still lie in some band
        RowRule(
            QUAL_SCORE_OUT_OF_BAND,
            "score",
            And(
                Not(na),
                r("dir").eq(vocab.QUALITATIVE),
                r("b_cell").eq(""),
                IsNumber(e),
                IsNumber(w),
                w.gt(0),
                Or(e.gt(w), e.lt(0)),
            ),
            "得分超出分值",
            lambda c: (
                f"{c.who}：定性指标得分 {plain(c.env['entered'])} 超出 0 至{_label('weight', c.scheme)} "
                f"{plain(c.env['weight'])} 的范围，不在任何完成档次的区间内，本项未计分；请在档次区间内打分。"
            ),
        )
    )
    s = r("score")
    add(
        RowRule(
            DEVIATION_NOTE_MISSING,
            "deviation_note",
            And(IsNumber(s), IsNumber(w), s.lt(w), note_blank),
            "未满分，须填偏差原因",
            lambda c: (
                f"{c.who}：得分 {_score(c.env['score'])} 低于{_label('weight', c.scheme)} {plain(c.ind.weight)}，"  # type: ignore[arg-type]
                f"须填写{_label('deviation_note', c.scheme)}；请写明未完成的原因和改进办法。"
            ),
        )
    )
    if scheme.over_completion is not None:
        ratio = scheme.over_completion
        add(
            RowRule(
                OVER_COMPLETION,
                "deviation_note",
                And(
                    _quant_row(),
                    _is_ratio(),
                    _dir_in(vocab.POSITIVE, vocab.EQUAL),
                    IsNumber(t),
                    IsNumber(a),
                    t.gt(0),
                    Guard(And(IsNumber(t), IsNumber(a)), a.ge(t * ratio)),
                    note_blank,
                ),
                "超额较多，须说明原因",
                lambda c, ratio=ratio: (
                    f"{c.who}：实际完成值 {plain(c.env['a_val'])} 为年度指标值 {plain(c.env['t_num'])} 的 "
                    f"{_pct(c.env['a_val'] / c.env['t_num'])}，达到或超过 {plain(ratio * 100)}%；请在偏差原因分析及改进措施中说明超额原因"
                    "（如年初指标值设定偏低），得分不自动扣减。"
                ),
            )
        )
    add(
        RowRule(
            SCORE_MISMATCH,
            "score",
            And(
                Not(na),
                IsNumber(e),
                IsNumber(s),
                Not(And(r("dir").eq(vocab.QUALITATIVE), _is_ratio())),
                Not(r("mk").eq("manual")),
                Guard(And(IsNumber(e), IsNumber(s)), Abs(e - s).gt(scheme.tolerance)),
            ),
            "自填得分与规则得分不同",
            lambda c: (
                f"{c.who}：自填得分 {plain(c.env['entered'])} 与按规则计算的得分 {_score(c.env['score'])} 不同；"
                "以规则得分为准，请核对实际完成值、年度指标值或改正得分。"
            ),
        )
    )
    add(
        RowRule(
            NEGATIVE_ACTUAL,
            "actual",
            And(_quant_row(), _is_ratio(), IsNumber(a), a.lt(0)),
            "实际完成值为负数，按 0 计分",
            lambda c: f"{c.who}：实际完成值 {plain(c.env['a_val'])} 为负数，按 0 计分；请核对实际完成值。",
        )
    )
    percent = r("row_unit").eq("%")
    target_fraction = And(percent, _dir_in(vocab.POSITIVE, vocab.EQUAL), IsNumber(t), t.gt(0), t.le(1))
    actual_fraction = And(percent, IsNumber(t), IsNumber(a), t.gt(1), a.gt(0), a.le(1))
    ratio_off = And(
        IsNumber(t),
        IsNumber(a),
        t.gt(0),
        a.gt(0),
        Or(
            Guard(And(IsNumber(t), IsNumber(a), t.gt(0)), (a / t).ge(RATIO_SUSPECT_HIGH)),
            And(
                _dir_in(vocab.POSITIVE, vocab.EQUAL),
                Guard(And(IsNumber(t), IsNumber(a), t.gt(0)), (a / t).le(RATIO_SUSPECT_LOW)),
            ),
        ),
    )
    add(
        RowRule(
            MAGNITUDE_SUSPECT,
            "target",
            And(_quant_row(), target_fraction),
            "指标值疑似把百分数写成小数",
            lambda c: (
                f"{c.who}：单位是“%”，年度指标值却是 {plain(c.env['t_num'])}，疑似把 {plain(c.env['t_num'] * 100)}% "
                f"写成了小数；如是，请填 {plain(c.env['t_num'] * 100)}。"
            ),
        )
    )
    add(
        RowRule(
            MAGNITUDE_SUSPECT,
            "actual",
            And(_quant_row(), Not(target_fraction), Or(actual_fraction, ratio_off)),
            "完成值数量级可疑",
            lambda c: _magnitude_actual(c),
        )
    )
    add(
        RowRule(
            NA_SCORED,
            "score",
            And(na, IsNumber(e)),
            "不适用指标不计分",
            lambda c: (
                f"{c.who}：已标为不适用（“/”），不计分，填写的得分 {plain(c.env['entered'])} 不会计入总分；"
                "请删去得分，或如该指标适用，请填写实际完成值。"
            ),
        )
    )
    if scheme.execution.method.kind == "row" and scheme.execution.row:
        from .scoring import _match_name

        rate = Ref(scoring.RATE)
        add(
            RowRule(
                EXEC_ROW_MISMATCH,
                "actual",
                And(
                    r("nm").eq(_match_name(scheme.execution.row)),
                    IsNumber(a),
                    IsNumber(rate),
                    Guard(And(IsNumber(a), IsNumber(rate)), Abs(a - rate * 100).gt(RATE_TOLERANCE * 100)),
                ),
                "与预算执行数据不符",
                lambda c: (
                    f"{c.who}：实际完成值 {plain(c.env['a_val'])}% 与 全年执行数 ÷ 全年预算数 = "
                    f"{_pct(c.book[scoring.RATE])} 不同；请核对。"
                ),
            )
        )
    return tuple(rules)


def _chain_bool(pairs: list[tuple[Expr, Expr]]) -> Expr:
    out: Expr = TRUE
    for cond, value in reversed(pairs):
        out = If(cond, value, out)
    return out


def unscored_rule() -> RowRule:
    """ROW_UNSCORED: a row with a 分值 that cannot be scored and has no other error saying why."""
    return RowRule(
        ROW_UNSCORED,
        "weight",
        And(Ref("unscored").eq(1), Ref(ROW_ERRORS).eq(0)),
        "无法计分",
        lambda c: (
            f"{c.who}：有分值但无法计分（计分方法：{c.env['mth']}），因此不计总分；请检查该方法需要的年度指标值、"
            "实际完成值、得分系数或自评得分。"
        ),
    )


def _number_hint(raw: Num) -> str:
    text = _excerpt(raw)
    parsed = parse_number_text(str(raw))
    if parsed is None:
        return f"“{text}”不是数值；请填写数值。"
    return f"“{text}”是文本；请改为数值 {plain(parsed[1])}。"


def _level1_message(c: RowCtx) -> str:
    cleaned, canonical = str(c.env.get("l1_clean", "")), str(c.env.get("l1", ""))
    names = "、".join(x.name for x in c.scheme.level1)
    return f"{c.who}：一级指标“{_excerpt(canonical or cleaned)}”不在规则“{c.scheme.name}”的名称中；请选择{names}。"


def _level2_message(c: RowCtx) -> str:
    l1, l2 = str(c.env.get("l1", "")), str(c.env.get("l2", ""))
    parent = next((x for x in c.scheme.level1 if x.name == l1), None)
    options = (
        [y.name for y in parent.level2]
        if parent and parent.level2
        else [y.name for x in c.scheme.level1 for y in x.level2]
    )
    return f"{c.who}：二级指标“{_excerpt(l2)}”不在规定名称中；请选择{'、'.join(options)}。"


def _mismatch_message(c: RowCtx) -> str:
    l1, l2 = str(c.env.get("l1", "")), str(c.env.get("l2", ""))
    parents = [x.name for x in c.scheme.level1 if any(y.name == l2 for y in x.level2)]
    return f"{c.who}：二级指标“{l2}”属于{'或'.join(parents)}，不属于{l1}；请改正一级指标或二级指标。"


def _band_message(c: RowCtx) -> str:
    band = next(q for q in c.scheme.qualitative if q.name == c.env["b_cell"])
    w = c.env["weight"]
    lo, hi = w * band.lower, w * band.upper
    close = "（含）" if band.upper_inclusive else "（不含）"
    return (
        f"{c.who}：完成档次为“{band.name}”，得分应在 {plain(lo)}（含）至 {plain(hi)}{close}之间，"
        f"现为 {plain(c.env['entered'])}"
        + ("，超出 0 至分值的范围，本项未计分" if c.env.get("score") in (None, "") else "")
        + "；请调整得分或完成档次。"
    )


def _magnitude_actual(c: RowCtx) -> str:
    t, a = c.env["t_num"], c.env["a_val"]
    if c.env.get("row_unit") == "%" and t > 1 and 0 < a <= 1:
        return (
            f"{c.who}：单位是“%”，实际完成值却是 {plain(a)}，疑似把 {plain(a * 100)}% 写成了小数；"
            f"如是，请填 {plain(a * 100)}。"
        )
    return (
        f"{c.who}：实际完成值 {plain(a)} 与年度指标值 {plain(t)} 相差百倍以上，疑似单位不一致"
        "（如元与万元、百分数与小数）；请核对两者是否按同一度量单位填写。"
    )


# ----------------------------------------------------------------------------------------- book rules

FUND_COLUMNS = {"initial": "年初预算数", "adjusted": "全年预算数", "executed": "全年执行数"}
BREAKDOWN = {
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


def money_fields(scheme: Scheme) -> list[tuple[str, str]]:
    """(model path, Chinese label) of every money input under ``scheme``."""
    out = []
    for column in FUND_COLUMNS:
        out.append((f"budget.total.{column}", scheme.label(column)))
    for row in scheme.fund_rows:
        for column in FUND_COLUMNS:
            out.append((f"budget.{row.key}.{column}", f"{row.label}（{scheme.label(column)}）"))
    out += [(f"budget.{k}", v) for k, v in BREAKDOWN.items()]
    return out


def _num_or_blank(x: Expr) -> Expr:
    return Or(IsNumber(x), _blank(x))


def _sum_check(total: Expr, parts: Sequence[Expr], tolerance: Decimal, *, total_required: bool) -> Expr:
    """The identity total = Σ parts fails (see _mismatch); blank parts count as 0."""
    some = Or(*(IsNumber(p) for p in parts))
    clean = And(*(_num_or_blank(p) for p in parts), _num_or_blank(total))
    s: Expr = parts[0]
    for p in parts[1:]:
        s = s + p
    differs = Guard(clean, Abs(total - s).gt(tolerance))
    missing = Not(IsNumber(total))
    if total_required:
        return And(some, clean, IsNumber(total), differs)
    return And(some, clean, Or(missing, differs))


def _mismatch(total: Num, parts: Iterable[Num]) -> tuple[Decimal | None, Decimal]:
    return as_number(total), sum((as_number(p) or Decimal(0) for p in parts), Decimal(0))


def _sum_message(total_label: str, total: Decimal | None, s: Decimal, parts_label: str, what: str) -> str:
    if total is None:
        return f"{total_label}未填写，而{parts_label}合计 {_money(s)} 万元；请填写{total_label}。"
    more_or_less = "多" if total > s else "少"
    return (
        f"{total_label} {_money(total)} 万元不等于{parts_label}合计 {_money(s)} 万元"
        f"（比合计{more_or_less} {_money(abs(total - s))} 万元）；{what}"
    )


def book_rules(scheme: Scheme) -> tuple[BookRule, ...]:
    return _book_rules(scheme)


def _get(ev: Evaluation, path: str) -> Any:
    obj: Any = ev
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


@functools.lru_cache(maxsize=32)
def _book_rules(scheme: Scheme) -> tuple[BookRule, ...]:
    r = Ref
    rules: list[BookRule] = []
    add = rules.append
    tol = scheme.tolerance
    filled_rows = Sum(r("filled")).gt(0)
    kind = r("kind")
    is_project = kind.eq(Kind.PROJECT.value)

    required = [
        ("unit_name", "单位名称"),
        ("year", "评价年度"),
        ("kind", "评价类型"),
        ("project_name", "项目名称"),
        ("execution_weight", scheme.label("execution_weight")),
        ("budget.total.adjusted", scheme.label("adjusted")),
        ("budget.total.executed", scheme.label("executed")),
    ]
    for path, label in required:
        cond = _blank(r(path))
        if path == "project_name":
            cond = And(is_project, cond)
        extra = "（评价类型为项目支出时必填）" if path == "project_name" else ""
        add(
            BookRule(
                REQUIRED_MISSING,
                path,
                cond,
                f"{label}未填写",
                lambda c, label=label, extra=extra: f"{label}未填写{extra}；请填写{label}。",
            )
        )
    add(
        BookRule(
            REQUIRED_MISSING,
            "unit_code",
            And(_blank(r("unit_code")), _blank(r("unit_name"))),
            "单位编码未填写",
            lambda c: "单位编码未填写；请填写单位编码（按文本填写，保留前导 0）。",
        )
    )
    add(
        BookRule(
            UNIT_CODE_MISSING,
            "unit_code",
            And(_blank(r("unit_code")), _filled(r("unit_name"))),
            "单位编码未填写",
            lambda c: (
                f"单位编码未填写，按单位名称“{_excerpt(c.ev.unit_name)}”识别单位；请补填单位编码（按文本填写，保留前导 0）。"
            ),
        )
    )
    add(
        BookRule(
            NO_INDICATORS,
            "",
            Not(filled_rows),
            "没有绩效指标",
            lambda c: (
                "未填写任何绩效指标；请至少填写一项三级指标（指标名称、分值、年度指标值、实际完成值等）。"
            ),
        )
    )
    if not scheme.flat:
        add(
            BookRule(
                LEVELS_MISSING,
                "indicators[0].level1",
                And(filled_rows, Not(Sum(r(scoring.LEVELS_HERE)).gt(0))),
                "指标都没有一级、二级指标",
                lambda c: (
                    f"{sum(1 for x in c.scores.indicators if x.env.get('filled'))} 项指标都没有填写一级指标和二级指标"
                    f"（表中可能没有这两列）。评分规则“{c.scheme.name}”按一级、二级指标核对分值和汇总得分；请为每项指标"
                    "填写一级、二级指标（合并单元格的每一行都算填写）；若本单位的表本来不分一级、二级，请改用不分级的"
                    "评分规则。"
                ),
            )
        )
    for path, label in [
        *money_fields(scheme),
        ("year", "评价年度"),
        ("execution_weight", scheme.label("execution_weight")),
    ]:
        add(
            BookRule(
                NOT_A_NUMBER,
                path,
                And(IsText(r(path)), _filled(r(path))),
                f"{label}不是数值",
                lambda c, path=path, label=label: (
                    f"{label}：{_money_hint(_get(c.ev, path)) if path.startswith('budget') else _number_hint(_get(c.ev, path))}"
                ),
            )
        )
    for path, label in money_fields(scheme):
        x = r(path)
        add(
            BookRule(
                MAGNITUDE_SUSPECT,
                path,
                And(IsNumber(x), x.gt(MONEY_SUSPECT_ABOVE)),
                f"{label}超过 100 亿元，疑似按元填写",
                lambda c, path=path, label=label: (
                    f"{label} {_money(_get(c.ev, path))} 万元超过 100 亿元，疑似按元填写；"
                    f"金额应以万元为单位（如按元填写，应为 {_money(round_half_up(_get(c.ev, path) / 10000, 6))} 万元），请核对。"
                ),
            )
        )
    add(
        BookRule(
            KIND_INVALID,
            "kind",
            And(_filled(kind), Not(Or(kind.eq(Kind.DEPARTMENT.value), kind.eq(Kind.PROJECT.value)))),
            "评价类型不正确",
            lambda c: f"评价类型“{_excerpt(c.ev.kind)}”不正确；请选择“部门整体支出”或“项目支出”。",
        )
    )
    year = r("year")
    add(
        BookRule(
            YEAR_INVALID,
            "year",
            Guard(IsNumber(year), Or(Not(year.eq(Int(year))), year.lt(2000), year.gt(2100))),
            "评价年度不正确",
            lambda c: f"评价年度 {plain(c.ev.year)} 不正确；请填写 2000 至 2100 之间的整数年份，如 2023。",  # type: ignore[arg-type]
        )
    )
    for path, label in money_fields(scheme):
        x = r(path)
        add(
            BookRule(
                NEGATIVE_AMOUNT,
                path,
                And(IsNumber(x), x.lt(0)),
                f"{label}为负数",
                lambda c, path=path, label=label: (
                    f"{label} {_money(_get(c.ev, path))} 万元为负数；金额不能为负，请核对后改正。"
                ),
            )
        )
    ew = r("execution_weight")
    add(
        BookRule(
            WEIGHT_INVALID,
            "execution_weight",
            And(IsNumber(ew), ew.lt(0)),
            "执行率分值不能为负",
            lambda c: (
                f"{scheme.label('execution_weight')} {plain(c.ev.execution_weight)} 为负数；请填写不小于 0 的分值。"
            ),  # type: ignore[arg-type]
        )
    )
    adjusted, executed, initial = (
        r("budget.total.adjusted"),
        r("budget.total.executed"),
        r("budget.total.initial"),
    )
    rate = r(scoring.RATE)
    add(
        BookRule(
            BUDGET_ZERO,
            "budget.total.adjusted",
            And(IsNumber(adjusted), adjusted.eq(0)),
            "全年预算数为 0，执行率无法计算",
            lambda c: f"{scheme.label('adjusted')}为 0，执行率无法计算；请填写{scheme.label('adjusted')}。",
        )
    )
    add(
        BookRule(
            BUDGET_EXEC_OVER,
            "budget.total.executed",
            Guard(And(IsNumber(adjusted), IsNumber(executed), IsNumber(rate)), (executed - adjusted).gt(tol)),
            "执行数高于预算数",
            lambda c: (
                f"{scheme.label('executed')} {_money(c.ev.budget.total.executed)} 万元高于{scheme.label('adjusted')} "  # type: ignore[arg-type]
                f"{_money(c.ev.budget.total.adjusted)} 万元（执行率 {_pct(c.env[scoring.RATE])}），执行率得分按 100% 封顶；"  # type: ignore[arg-type]
                "请核对执行数，或在“预算执行说明”中写明超支原因。"
            ),
        )
    )
    note_blank = _blank(r("budget.note"))
    if scheme.execution.low_rate is not None:
        low = scheme.execution.low_rate
        add(
            BookRule(
                EXEC_RATE_LOW,
                "budget.note",
                And(IsNumber(rate), rate.ge(0), rate.lt(low), note_blank),
                f"执行率低于 {plain(low * 100)}%，须说明原因",
                lambda c, low=low: (
                    f"执行率 {_pct(c.env[scoring.RATE], below=low)} 低于 {plain(low * 100)}%，须说明原因；"
                    "请在“预算执行说明”中写明未执行的原因（100 字以内）。"
                ),
            )
        )
    if scheme.adjustment_reason:
        adjusted_differs = Guard(And(IsNumber(initial), IsNumber(adjusted)), Abs(adjusted - initial).gt(tol))
        add(
            BookRule(
                BUDGET_ADJUSTED,
                "budget.note",
                And(adjusted_differs, note_blank),
                "年中调整预算，须说明理由",
                lambda c: f"{_adjustment(c)}，属年中预算调整；请在“预算执行说明”中写明调整理由。",
            )
        )
        add(
            BookRule(
                BUDGET_ADJUSTED,
                "budget.note",
                And(adjusted_differs, Not(note_blank)),
                "年中调整预算，请确认已说明理由",
                lambda c: f"{_adjustment(c)}；请确认“预算执行说明”中已写明调整理由。",
                level=INFO,
            )
        )
    entered_rate, entered_score = r("execution_rate_entered"), r("execution_score_entered")
    add(
        BookRule(
            EXEC_RATE_MISMATCH,
            "execution_rate_entered",
            Guard(And(IsNumber(entered_rate), IsNumber(rate)), Abs(entered_rate - rate).gt(RATE_TOLERANCE)),
            "填报的执行率与计算值不同",
            lambda c: (
                f"填报的执行率 {_pct(c.ev.execution_rate_entered)} 与 全年执行数 ÷ 全年预算数 = {_pct(c.env[scoring.RATE])} "  # type: ignore[arg-type]
                "不同；以计算值为准，请核对。"
            ),
        )
    )
    es = r(scoring.EXEC_SCORE)
    add(
        BookRule(
            EXEC_SCORE_MISMATCH,
            "execution_score_entered",
            Guard(And(IsNumber(entered_score), IsNumber(es)), Abs(entered_score - es).gt(tol)),
            "填报的执行率得分与规则得分不同",
            lambda c: (
                f"填报的执行率得分 {plain(c.ev.execution_score_entered)} 与按规则计算的 {_score(c.env[scoring.EXEC_SCORE])} "  # type: ignore[arg-type]
                f"不同（{_exec_rule_text(scheme)}）；以规则得分为准，请核对。"
            ),
        )
    )

    # sums
    fund_keys = [row.key for row in scheme.fund_rows]
    labels = "、".join(row.label for row in scheme.fund_rows)
    for column, col_label in FUND_COLUMNS.items():
        parts = [r(f"budget.{k}.{column}") for k in fund_keys]
        total = r(f"budget.total.{column}")
        add(
            BookRule(
                FUND_ROWS_MISMATCH,
                f"budget.total.{column}",
                _sum_check(total, parts, tol, total_required=column != "initial"),
                f"其中各行之和不等于年度资金总额（{scheme.label(column)}）",
                lambda c, column=column, col_label=col_label: _sum_message(
                    f"年度资金总额的{scheme.label(column)}",
                    *_mismatch(
                        getattr(c.ev.budget.total, column),
                        [getattr(getattr(c.ev.budget, k), column) for k in fund_keys],
                    ),
                    f"其中{labels}",
                    "请核对年度资金总额或其中各行。",
                ),
            )
        )
    b = "budget."
    add(
        BookRule(
            INCOME_SUM_MISMATCH,
            "budget.general_public",
            _sum_check(
                adjusted,
                [r(b + "general_public"), r(b + "government_fund"), r(b + "other_income")],
                tol,
                total_required=True,
            ),
            "收入来源之和不等于全年预算数",
            lambda c: _sum_message(
                scheme.label("adjusted"),
                *_mismatch(
                    c.ev.budget.total.adjusted,
                    [c.ev.budget.general_public, c.ev.budget.government_fund, c.ev.budget.other_income],
                ),
                "一般公共预算拨款、政府性基金拨款、其他收入",
                "请核对各收入来源或全年预算数。",
            ),
        )
    )
    add(
        BookRule(
            SPENDING_SUM_MISMATCH,
            "budget.basic",
            _sum_check(adjusted, [r(b + "basic"), r(b + "project")], tol, total_required=True),
            "基本支出与项目支出之和不等于全年预算数",
            lambda c: _sum_message(
                scheme.label("adjusted"),
                *_mismatch(c.ev.budget.total.adjusted, [c.ev.budget.basic, c.ev.budget.project]),
                "基本支出、项目支出",
                "请核对基本支出、项目支出或全年预算数。",
            ),
        )
    )
    add(
        BookRule(
            BASIC_SUM_MISMATCH,
            "budget.basic",
            _sum_check(
                r(b + "basic"),
                [r(b + "wages"), r(b + "goods_services"), r(b + "household_subsidy")],
                tol,
                total_required=False,
            ),
            "基本支出明细之和不等于基本支出",
            lambda c: _sum_message(
                "基本支出",
                *_mismatch(
                    c.ev.budget.basic,
                    [c.ev.budget.wages, c.ev.budget.goods_services, c.ev.budget.household_subsidy],
                ),
                "工资福利支出、商品和服务支出、对个人和家庭的补助",
                "请核对基本支出或其明细。",
            ),
        )
    )
    sub, project = r(b + "enterprise_subsidy"), r(b + "project")
    add(
        BookRule(
            SUBLINE_EXCEEDS,
            "budget.enterprise_subsidy",
            Guard(And(IsNumber(sub), IsNumber(project)), (sub - project).gt(tol)),
            "对企业补助超过项目支出",
            lambda c: (
                f"对企业补助支出 {_money(c.ev.budget.enterprise_subsidy)} 万元大于项目支出 {_money(c.ev.budget.project)} 万元"  # type: ignore[arg-type]
                f"（超出 {_money(c.ev.budget.enterprise_subsidy - c.ev.budget.project)} 万元）；对企业补助是项目支出的一部分，请核对两项金额。"
            ),  # type: ignore[operator]
        )
    )
    add(
        BookRule(
            SUBLINE_UNCLASSIFIED,
            "budget.enterprise_subsidy",
            Guard(
                And(IsNumber(sub), IsNumber(project)),
                And(Not((sub - project).gt(tol)), (project - sub).gt(tol)),
            ),
            "项目支出有未按经济分类列明的部分",
            lambda c: (
                f"项目支出 {_money(c.ev.budget.project)} 万元中，对企业补助支出 {_money(c.ev.budget.enterprise_subsidy)} 万元之外尚有 "  # type: ignore[arg-type]
                f"{_money(c.ev.budget.project - c.ev.budget.enterprise_subsidy)} 万元未按经济分类列明；如需完整列示，请补充其他经济分类支出，否则可忽略此提示。"
            ),  # type: ignore[operator]
        )
    )

    # weights
    weights_ok = And(filled_rows, Sum(r("wbad")).eq(0), IsNumber(ew))
    weight_sum = ew + Sum(r("wt"))
    add(
        BookRule(
            WEIGHT_TOTAL,
            "weights",
            Guard(weights_ok, Abs(weight_sum - 100).gt(tol)),
            "分值合计不等于 100，不计总分",
            lambda c: (
                f"指标分值合计 {plain(c.scores.weight_total - (as_number(c.ev.execution_weight) or 0))} 加"
                f"{scheme.label('execution_weight')} {plain(c.ev.execution_weight)}，共 {plain(c.scores.weight_total)}，不等于 100"  # type: ignore[arg-type]
                f"（{'多' if c.scores.weight_total > 100 else '少'} {plain(abs(c.scores.weight_total - 100))}），"
                "因此不计总分；请调整各指标分值。"
            ),
        )
    )
    add(
        BookRule(
            LEVEL1_WEIGHT,
            "execution_weight",
            And(IsNumber(ew), Not(ew.eq(scheme.execution.weight))),
            "执行率分值与规定不同",
            lambda c: (
                f"{scheme.label('execution_weight')}为 {plain(c.ev.execution_weight)}，规则“{scheme.name}”规定为 "  # type: ignore[arg-type]
                f"{plain(scheme.execution.weight)}；如属特殊情况调整，请确认。"
            ),
        )
    )
    if not scheme.flat and scheme.weight_splits:
        splits = []
        for split in scheme.weight_splits:
            groups = []
            for g in split.groups:
                total: Expr = SumIf(r("l1"), g.level1[0], r("wt"))
                for name in g.level1[1:]:
                    total = total + SumIf(r("l1"), name, r("wt"))
                groups.append(Abs(total - g.weight).le(tol))
            splits.append(And(*groups) if groups else TRUE)
        add(
            BookRule(
                LEVEL1_WEIGHT,
                "level1_weights",
                And(weights_ok, Sum(r(scoring.LEVELS_HERE)).gt(0), Not(Or(*splits))),
                "一级指标分值与规定不同",
                lambda c: _level1_weight_message(c),
            )
        )
    add(
        BookRule(
            GOAL_MISSING,
            "goal_expected",
            _blank(r("goal_expected")),
            "年度总体目标（预期目标）未填写",
            lambda c: "年度总体目标的预期目标未填写；请补充，否则自评表和报告中此处留空。",
        )
    )
    add(
        BookRule(
            GOAL_MISSING,
            "goal_actual",
            _blank(r("goal_actual")),
            "年度总体目标（实际完成情况）未填写",
            lambda c: "年度总体目标的实际完成情况未填写；请补充，否则自评表和报告中此处留空。",
        )
    )
    return tuple(rules)


def _exec_rule_text(scheme: Scheme) -> str:
    kind = scheme.execution.method.kind
    if kind in ("linear", "row"):
        return f"执行率得分 = {plain(scheme.execution.weight)} × 执行率，执行率超过 100% 按 100% 计"
    return "按规则的分档或扣分办法"


def _adjustment(c: BookCtx) -> str:
    total = c.ev.budget.total
    initial, adjusted = as_number(total.initial), as_number(total.adjusted)
    diff = adjusted - initial  # type: ignore[operator]
    what = f"追加 {_money(diff)} 万元" if diff > 0 else f"调减 {_money(-diff)} 万元"
    return f"{c.scheme.label('initial')} {_money(initial)} 万元调整为{c.scheme.label('adjusted')} {_money(adjusted)} 万元（{what}）"  # type: ignore[arg-type]


def _level1_weight_message(c: BookCtx) -> str:
    sums: dict[str, Decimal] = {}
    for ind in c.scores.indicators:
        if ind.weight is not None and ind.level1:
            sums[ind.level1] = sums.get(ind.level1, Decimal(0)) + ind.weight
    entered = "、".join(f"{k} {plain(v)}" for k, v in sums.items()) or "（无）"
    split = c.scheme.weight_splits[0]
    wanted = "、".join(
        f"{'与'.join(g.level1)} {plain(g.weight)}" for g in split.groups if any(n in sums for n in g.level1)
    )
    more = (
        f"（规则还接受：{'；'.join(s.name for s in c.scheme.weight_splits[1:])}）"
        if len(c.scheme.weight_splits) > 1
        else ""
    )
    return (
        f"各一级指标分值合计为 {entered}，规则“{c.scheme.name}”规定为 {wanted or split.name}{more}；"
        "如属特殊情况调整，请确认。"
    )


def _money_hint(raw: Num) -> str:
    text = _excerpt(raw)
    parsed = parse_number_text(str(raw))
    if parsed is None or parsed[0]:
        return f"“{text}”不是数值；请填写以万元为单位的数值，没有此项请留空。"
    _, num, unit = parsed
    if unit == "元":
        return f"单元格中的“{text}”是文本，且金额应以万元为单位；请改为数值 {plain(num / 10000)}。"
    if unit in ("", "万元", "万"):
        return f"单元格中的“{text}”是文本，请改为数值 {plain(num)}（单位为万元）。"
    return f"单元格中的“{text}”是文本；请填写以万元为单位的数值（如 {plain(num)}），不要带单位“{unit}”。"


# ------------------------------------------------------------------------------------------ running


def book_env(ev: Evaluation, scores: scoring.Scores, scheme: Scheme) -> dict[str, Any]:
    """The inputs of the book rules: field values by model path, headline values, and columns (lists)."""

    def cell(v: Any) -> Value:
        return None if v is None or (isinstance(v, str) and not v.strip()) else v

    env: dict[str, Any] = {}
    for path in _book_paths(scheme):
        try:
            env[path] = cell(_get(ev, path))
        except AttributeError:
            env[path] = None
    env[scoring.RATE] = scores.execution_rate
    env[scoring.EXEC_SCORE] = scores.execution_score
    for name in ("filled", "wbad", "wt", "l1", scoring.LEVELS_HERE):
        env[name] = [row.env.get(name) for row in scores.indicators]
    return env


@functools.lru_cache(maxsize=32)
def _book_paths(scheme: Scheme) -> tuple[str, ...]:
    """The model fields the book rules read."""
    return tuple(
        sorted({p for rule in _book_rules(scheme) for p in _refs(rule.when) if "." in p or p in _TOP_FIELDS})
    )


_TOP_FIELDS = {
    "unit_name",
    "unit_code",
    "year",
    "kind",
    "project_name",
    "execution_weight",
    "goal_expected",
    "goal_actual",
    "execution_rate_entered",
    "execution_score_entered",
}


def _refs(expr: Expr) -> set[str]:
    from .reading import refs_of

    return refs_of(expr)


@dataclass(frozen=True)
class _Compiled:
    """A scheme's rules in force, each with its level, and their conditions: on rules.expr's closures for
    the first rows and evaluations, then compiled (rules.pycompile: the same results, faster)."""

    rows: tuple[tuple[RowRule, Level], ...]
    row_holding: Tiered[list[int]]
    books: tuple[tuple[BookRule, Level], ...]
    book_holding: Tiered[list[int]]
    unscored: tuple[RowRule, Level, Tiered[list[int]]] | None


#: What a row rule reads besides its row's program (given by ``check``).
_ROW_EXTRAS = (NAMES_UP_TO_HERE, scoring.LEVELS_ALL, scoring.RATE, "dup_of")


def _tiered(
    conditions: list[Expr], after: int, scheme: Scheme | None = None, extra: tuple[str, ...] = ()
) -> Tiered[list[int]]:
    """Conditions run as Conditions.holding(env, extra); over a row's program when ``scheme`` is given."""

    def build() -> Callable[..., list[int]]:
        kinds = scoring.row_program(scheme).compiled.kinds if scheme is not None else None
        return compile_conditions(conditions, kinds, extra_names=extra).holding

    return Tiered(walk_conditions(conditions), build, after)


@functools.lru_cache(maxsize=32)
def _compiled(scheme: Scheme) -> _Compiled:
    rows = tuple((rl, lv) for rl in _row_rules(scheme) if (lv := rule_level(rl, scheme)))
    books = tuple((bl, lv) for bl in _book_rules(scheme) if (lv := rule_level(bl, scheme)))
    unscored = unscored_rule()
    lv = rule_level(unscored, scheme)
    return _Compiled(
        rows,
        _tiered([rl.when for rl, _ in rows], COMPILE_AFTER_ROWS, scheme, _ROW_EXTRAS),
        books,
        _tiered([bl.when for bl, _ in books], COMPILE_AFTER_EVALUATIONS),
        (unscored, lv, _tiered([unscored.when], COMPILE_AFTER_ROWS, scheme, (ROW_ERRORS,))) if lv else None,
    )


def compile_now(scheme: Scheme) -> None:
    """Run ``scheme``'s row program and rules compiled from now on, instead of after the first rows and
    evaluations (rules.pycompile): for a batch that will check many workbooks, and for tests."""
    scoring.row_program(scheme).compile_now()
    rules = _compiled(scheme)
    rules.row_holding.compile()
    rules.book_holding.compile()
    if rules.unscored is not None:
        rules.unscored[2].compile()


def check(
    ev: Evaluation, scheme: Scheme | None = None, scores: scoring.Scores | None = None
) -> list[Finding]:
    """Every finding about ``ev`` under ``scheme``: book rules, then each filled row's rules.

    ``scores``: ``scoring.score(ev, scheme)`` when the caller has it already (saves scoring twice).
    """
    scheme = scheme or default_scheme()
    if scores is None:
        scores = scoring.score(ev, scheme)
    rules = _compiled(scheme)
    names: list[object] = []
    env_book = book_env(ev, scores, scheme)
    out: list[Finding] = []
    for j in rules.book_holding(env_book, {}):
        rule, level = rules.books[j]
        ctx = BookCtx(ev, env_book, scheme, scores)
        out.append(Finding(rule.code, level, rule.message(ctx), field=rule.field))
    levels_all = env_book[scoring.LEVELS_HERE]
    k = 0
    first_seen: dict[str, int] = {}
    for i, (ind, item) in enumerate(zip(ev.indicators, scores.indicators, strict=True)):
        row = item.env
        names.append(row.get("nm"))
        if not row.get("filled"):
            continue
        k += 1
        extra = {
            "dup_of": first_seen.setdefault(str(row.get("nm")), k),
            NAMES_UP_TO_HERE: names,
            scoring.LEVELS_ALL: levels_all,
            scoring.RATE: scores.execution_rate,
        }
        holding = rules.row_holding(row, extra)
        errors = 0
        if holding:
            # What a message sees: the row's program and what the rules read besides (as one mapping).
            env = {**row, **extra}
            ctx = RowCtx(ind, k, env, scheme, env_book)
            for j in holding:
                rule, level = rules.rows[j]
                out.append(Finding(rule.code, level, rule.message(ctx), field=f"indicators[{i}].{rule.attr}"))
                errors += level is ERROR
        if rules.unscored is not None:
            rule, level, condition = rules.unscored
            row_errors = {ROW_ERRORS: Decimal(errors)}
            if condition(row, row_errors):
                ctx = RowCtx(ind, k, {**row, **extra, **row_errors}, scheme, env_book)
                out.append(Finding(rule.code, level, rule.message(ctx), field=f"indicators[{i}].{rule.attr}"))
    order = {code: n for n, code in enumerate(CATALOG)}
    return sorted(out, key=lambda f: order[f.code])


__all__ = [
    "CATALOG",
    "BookRule",
    "CheckInfo",
    "RowRule",
    "book_rules",
    "check",
    "compile_now",
    "parse_number_text",
    "row_rules",
]
