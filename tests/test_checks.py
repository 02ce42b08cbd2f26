"""Tests of rules/checks.py: for every code a case that must trigger it and a near miss that must not.

Cases start from ``factories.valid_evaluation()`` (the seed department, no findings) and change a few
inputs, named by the same attribute paths as ``Finding.field``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import pytest
from factories import quant, seed_budget, valid_evaluation, valid_project_evaluation
from hypothesis import given, settings
from hypothesis import strategies as st

from perfeval_xl.model import Budget, Evaluation, Finding, FundLine, Indicator, Level
from perfeval_xl.rules import checks, scoring, vocab
from perfeval_xl.rules.checks import CATALOG, check, parse_number_text
from perfeval_xl.rules.config import DEFAULT_RULES, PRESETS, RuleSet
from perfeval_xl.rules.scheme import Level1, WeightGroup, WeightSplit, get_scheme

D = Decimal
SUM_CODES = {"FUND_ROWS_MISMATCH", "INCOME_SUM_MISMATCH", "SPENDING_SUM_MISMATCH", "BASIC_SUM_MISMATCH"}

# ------------------------------------------------------------------------------------------ helpers

_STEP = re.compile(r"(\w+)(?:\[(\d+)\])?")


def set_path(obj: Any, path: str, value: Any) -> None:
    """Set ``budget.total.executed`` / ``indicators[3].weight`` on an evaluation."""
    steps = path.split(".")
    for step in steps[:-1]:
        name, index = _STEP.fullmatch(step).groups()  # type: ignore[union-attr]
        obj = getattr(obj, name)
        if index is not None:
            obj = obj[int(index)]
    setattr(obj, steps[-1], value(obj) if callable(value) else value)


@dataclass(frozen=True)
class Case:
    """An evaluation built from ``base`` with ``changes``; what must (or must not) be found in it."""

    code: str
    label: str
    changes: dict[str, Any] = field(default_factory=dict)
    base: Callable[[], Evaluation] = valid_evaluation
    rules: RuleSet = DEFAULT_RULES
    field: str | None = None  # the finding's field, when it must be this one
    says: tuple[str, ...] = ()  # substrings of the finding's message
    level: Level | None = None  # the finding's level, when it differs from the catalog's

    def build(self) -> Evaluation:
        ev = self.base()
        for path, value in self.changes.items():
            set_path(ev, path, value)
        return ev

    def run(self) -> list[Finding]:
        return check(self.build(), self.rules)

    @property
    def id(self) -> str:
        return f"{self.code}-{self.label}"


def blank_rows(ev: Evaluation) -> list[Indicator]:
    return [*ev.indicators, Indicator(), Indicator()]


def na_row(i: int, **extra: Any) -> dict[str, Any]:
    """Mark indicator ``i`` not applicable (``/`` in 实际完成值)."""
    return {f"indicators[{i}].actual": "/", **{f"indicators[{i}].{k}": v for k, v in extra.items()}}


SICHUAN = PRESETS["sichuan"]
YINCHUAN = PRESETS["yinchuan"]
HUNAN = PRESETS["hunan-bmzt"]
#: A bureau's own 一级 system: 履职效能 instead of 满意度指标 (a scheme file would say the same).
CONFIGURED = replace(
    DEFAULT_RULES,
    level1=(*DEFAULT_RULES.level1[:2], Level1("履职效能", D(10))),
    weight_splits=(
        WeightSplit(
            "配置",
            (
                WeightGroup(("产出指标",), D(50)),
                WeightGroup(("效益指标",), D(30)),
                WeightGroup(("履职效能",), D(10)),
            ),
        ),
    ),
    digest="test-configured",
)
LOW_RATE_OFF = replace(
    DEFAULT_RULES, execution=replace(DEFAULT_RULES.execution, low_rate=None), digest="t-low"
)
RATIO_15 = replace(DEFAULT_RULES, over_completion=D("1.5"), digest="t-ratio")


def exec_row(actual: str) -> Callable[[Evaluation], list[Indicator]]:
    """银川: the 执行率 is a row 预算执行率 under 项目管理 (10)."""
    return lambda ev: [
        *ev.indicators[:8],
        Indicator("项目管理", "资金管理", "预算执行率", "≥", "100%", "", actual, "", D(10), None, "说明"),
    ]


def hunan_row_without_number(ev: Evaluation) -> list[Indicator]:
    """A common indicator scored by deduction, written as a 定性 row: it cannot be scored, and no other
    check says why (ROW_UNSCORED)."""
    return [
        *ev.indicators,
        Indicator(
            "投入", "预算配置", "财政供养人员控制率", "定性", "合理", "", "较好", "", D(5), None, "说明"
        ),
    ]


# ------------------------------------------------------------------------- cases that must trigger

TRIGGERS: list[Case] = [
    # REQUIRED_MISSING
    Case("REQUIRED_MISSING", "unit-name", {"unit_name": "  "}, field="unit_name", says=("单位名称未填写",)),
    Case("REQUIRED_MISSING", "unit-code", {"unit_code": "", "unit_name": ""}, field="unit_code"),
    Case("UNIT_CODE_MISSING", "name-given", {"unit_code": ""}, field="unit_code", says=("雷州市",)),
    Case("REQUIRED_MISSING", "year", {"year": None}, field="year"),
    Case("REQUIRED_MISSING", "kind", {"kind": ""}, field="kind"),
    Case("REQUIRED_MISSING", "executed", {"budget.total.executed": None}, field="budget.total.executed"),
    Case("REQUIRED_MISSING", "adjusted", {"budget.total.adjusted": None}, field="budget.total.adjusted"),
    Case("REQUIRED_MISSING", "exec-weight", {"execution_weight": None}, field="execution_weight"),
    Case(
        "REQUIRED_MISSING",
        "project-name",
        {"project_name": ""},
        base=valid_project_evaluation,
        field="project_name",
        says=("项目名称",),
    ),
    Case("REQUIRED_MISSING", "level1", {"indicators[0].level1": ""}, field="indicators[0].level1"),
    Case("REQUIRED_MISSING", "level2", {"indicators[0].level2": ""}, field="indicators[0].level2"),
    Case(
        "REQUIRED_MISSING",
        "name",
        {"indicators[2].name": ""},
        field="indicators[2].name",
        says=("第 3 项指标", "三级指标未填写"),
    ),
    Case("REQUIRED_MISSING", "weight", {"indicators[0].weight": None}, field="indicators[0].weight"),
    Case(
        "REQUIRED_MISSING",
        "target",
        {"indicators[0].target": None},
        field="indicators[0].target",
        says=("指标“推动企业申报高新技术企业”", "年度指标值未填写"),
    ),
    Case("REQUIRED_MISSING", "actual", {"indicators[1].actual": None}, field="indicators[1].actual"),
    Case(
        "REQUIRED_MISSING",
        "qual-score",
        {"indicators[7].score": None},
        field="indicators[7].score",
        says=("完成档次“达成年度指标”区间内",),
    ),
    Case(
        "REQUIRED_MISSING",
        "qual-neither-band-nor-score",
        {"indicators[7].score": None, "indicators[7].band": ""},
        field="indicators[7].score",
    ),
    Case(
        "REQUIRED_MISSING",
        "no-values",
        {"indicators[0].operator": "", "indicators[0].target": None, "indicators[0].actual": None},
        field="indicators[0].target",
        says=("实际完成值也未填写",),
    ),
    # LEVELS_MISSING: a form without 一级/二级 (issue 9 §6): one finding for the form
    Case(
        "LEVELS_MISSING",
        "form-without-levels",
        {"indicators": lambda ev: [replace(i, level1="", level2="") for i in ev.indicators]},
        field="indicators[0].level1",
        says=("9 项指标都没有填写一级指标和二级指标",),
    ),
    # NO_INDICATORS
    Case("NO_INDICATORS", "empty", {"indicators": []}, field=""),
    Case("NO_INDICATORS", "only-blank-rows", {"indicators": lambda ev: [Indicator(), Indicator()]}, field=""),
    # NOT_A_NUMBER
    Case(
        "NOT_A_NUMBER",
        "thousands",
        {"budget.total.executed": "2,652.84"},
        field="budget.total.executed",
        says=("全年执行数", "“2,652.84”是文本", "请改为数值 2652.84"),
    ),
    Case(
        "NOT_A_NUMBER",
        "yuan",
        {"budget.general_public": "18074900元"},
        field="budget.general_public",
        says=("万元", "1807.49"),
    ),
    Case(
        "NOT_A_NUMBER",
        "percent-with-words",
        {"indicators[8].actual": "约95%"},
        field="indicators[8].actual",
        says=("“约95%”读不出数值",),
    ),
    Case(
        "NOT_A_NUMBER",
        "range-target",
        {"indicators[0].target": "1-2家"},
        field="indicators[0].target",
        says=("读不出数值", "指标性质改为“定性”"),
    ),
    Case(
        "NOT_A_NUMBER",
        "weight-with-unit",
        {"indicators[0].weight": "10分"},
        field="indicators[0].weight",
        says=("数值 10",),
    ),
    Case("NOT_A_NUMBER", "year", {"year": "2023年"}, field="year", says=("数值 2023",)),
    Case(
        "NOT_A_NUMBER",
        "words-in-actual",
        {"indicators[0].actual": "约一半"},
        field="indicators[0].actual",
        says=("读不出数值", "“/”"),
    ),
    Case("NOT_A_NUMBER", "qual-score", {"indicators[7].score": "九分"}, field="indicators[7].score"),
    # what the national form invites people to write (issue 9)
    Case(
        "UNIT_MISMATCH",
        "wan-yuan-against-jia",
        {"indicators[0].actual": "10万元"},
        field="indicators[0].actual",
    ),
    Case(
        "OPERATOR_ASSUMED",
        "bare-target",
        {"indicators[0].operator": ""},
        field="indicators[0].operator",
        says=("正向", "≤"),
    ),
    Case(
        "OPERATOR_ASSUMED",
        "quantitative-without-sign",
        {"indicators[2].operator": "定量指标", "indicators[2].target": "95%"},
        field="indicators[2].operator",
    ),
    Case(
        "OPERATOR_CONFLICT",
        "sign-in-target",
        {"indicators[0].target": "≤10家"},
        field="indicators[0].operator",
        says=("“≤10家”", "按指标性质“≥”"),
    ),
    Case(
        "VALUE_SIGN_IGNORED",
        "sign-in-actual",
        {"indicators[0].actual": "≥10家"},
        field="indicators[0].actual",
        says=("按 10 计分",),
    ),
    Case(
        "EXEC_RATE_MISMATCH",
        "entered",
        {"execution_rate_entered": D("0.95")},
        field="execution_rate_entered",
        says=("95.00%", "100.00%"),
    ),
    Case(
        "EXEC_SCORE_MISMATCH",
        "entered",
        {"execution_score_entered": D(9)},
        field="execution_score_entered",
        says=("9", "10.00"),
    ),
    Case(
        "EXEC_ROW_MISMATCH",
        "yinchuan",
        {"indicators": exec_row("95%")},
        rules=YINCHUAN,
        field="indicators[8].actual",
        says=("100.00%",),
    ),
    Case("ROW_UNSCORED", "hunan-qualitative", {"indicators": hunan_row_without_number}, rules=HUNAN),
    Case(
        "NOT_A_NUMBER", "sub-row", {"budget.carried_over.initial": "—"}, field="budget.carried_over.initial"
    ),
    # KIND_INVALID, YEAR_INVALID, OPERATOR_INVALID, BAND_INVALID
    Case("KIND_INVALID", "other", {"kind": "整体支出"}, field="kind", says=("整体支出",)),
    Case("YEAR_INVALID", "too-early", {"year": D(1999)}, field="year", says=("1999",)),
    Case("YEAR_INVALID", "too-late", {"year": D(2101)}, field="year"),
    Case("YEAR_INVALID", "fraction", {"year": D("2023.5")}, field="year"),
    Case("OPERATOR_INVALID", "word", {"indicators[0].operator": "正相关"}, field="indicators[0].operator"),
    Case("BAND_INVALID", "word", {"indicators[7].band": "基本达成"}, field="indicators[7].band"),
    # NEGATIVE_AMOUNT
    Case(
        "NEGATIVE_AMOUNT",
        "income",
        {"budget.other_income": D("-6.73")},
        field="budget.other_income",
        says=("其他收入 -6.73 万元",),
    ),
    Case("NEGATIVE_AMOUNT", "executed", {"budget.total.executed": D(-1)}, field="budget.total.executed"),
    # WEIGHT_INVALID
    Case("WEIGHT_INVALID", "zero", {"indicators[0].weight": D(0)}, field="indicators[0].weight"),
    Case("WEIGHT_INVALID", "negative", {"indicators[0].weight": D(-5)}, field="indicators[0].weight"),
    Case("WEIGHT_INVALID", "exec-negative", {"execution_weight": D(-1)}, field="execution_weight"),
    Case("WEIGHT_INVALID", "na-negative", na_row(6, weight=D(-1)), field="indicators[6].weight"),
    # BUDGET_ZERO
    Case(
        "BUDGET_ZERO",
        "zero",
        {"budget.total": FundLine(D(0), D(0), D(0))},
        field="budget.total.adjusted",
        says=("执行率无法计算",),
    ),
    # BUDGET_EXEC_OVER (message from the brief)
    Case(
        "BUDGET_EXEC_OVER",
        "over",
        {"budget.total.executed": D(2700)},
        field="budget.total.executed",
        says=(
            "全年执行数 2700.00 万元高于全年预算数 2652.84 万元（执行率 101.78%），执行率得分按 100% 封顶；"
            "请核对执行数，或在“预算执行说明”中写明超支原因。",
        ),
    ),
    # EXEC_RATE_LOW
    Case(
        "EXEC_RATE_LOW",
        "warning",
        {"budget.total.executed": D(2000)},
        field="budget.note",
        says=("75.39%", "低于 90%", "预算执行说明"),
        level=Level.WARNING,
    ),
    Case(
        "EXEC_RATE_LOW", "sichuan-error", {"budget.total.executed": D(2000)}, rules=SICHUAN, level=Level.ERROR
    ),
    Case(
        "EXEC_RATE_LOW",
        "just-below",
        {"budget.total.executed": D("2387.55")},
        says=("执行率 89.9998% 低于 90%",),  # 2 decimals would show 90.00 %
    ),
    # BUDGET_ADJUSTED
    Case(
        "BUDGET_ADJUSTED",
        "no-note",
        {"budget.total.initial": D(2500)},
        field="budget.note",
        says=("追加 152.84 万元", "调整理由"),
        level=Level.WARNING,
    ),
    Case(
        "BUDGET_ADJUSTED",
        "cut-with-note",
        {"budget.total.initial": D(3000), "budget.note": "年中调减产业园区项目资金。"},
        says=("调减 347.16 万元",),
        level=Level.INFO,
    ),
    # FUND_ROWS_MISMATCH
    Case(
        "FUND_ROWS_MISMATCH",
        "executed",
        {"budget.appropriation.executed": D(1400)},
        base=valid_project_evaluation,
        field="budget.total.executed",
        says=("2061.53", "1961.53", "比合计多 100.00 万元"),
    ),
    Case(
        "FUND_ROWS_MISMATCH",
        "published-defect-total-zero",  # official-rules-sources.md §1.1 [P1]: 0 0 0 vs 90 89.974 89.974
        {
            "budget.total": FundLine(D(0), D(0), D(0)),
            "budget.appropriation": FundLine(D(90), D("89.974"), D("89.974")),
        },
        field="budget.total.adjusted",
        says=("年度资金总额的全年预算数 0.00 万元", "89.974"),
    ),
    Case(
        "FUND_ROWS_MISMATCH",
        "initial-total-blank",
        {"budget.total.initial": None, "budget.appropriation.initial": D(100)},
        field="budget.total.initial",
        says=("未填写",),
    ),
    # INCOME / SPENDING / BASIC sums
    Case(
        "INCOME_SUM_MISMATCH",
        "other-income",
        {"budget.other_income": D("7.73")},
        field="budget.general_public",
        says=("2652.84", "2653.84", "比合计少 1.00 万元"),
    ),
    Case("INCOME_SUM_MISMATCH", "one-source", {"budget.government_fund": None, "budget.other_income": None}),
    Case(
        "SPENDING_SUM_MISMATCH",
        "project",
        {"budget.project": D(2000)},
        field="budget.basic",
        says=("2591.31", "61.53"),
    ),
    Case(
        "BASIC_SUM_MISMATCH",
        "wages",
        {"budget.wages": D(300)},
        field="budget.basic",
        says=("577.12", "14.19"),
    ),
    Case(
        "BASIC_SUM_MISMATCH",
        "basic-blank",
        {"budget.basic": None, "budget.project": D("2652.84")},
        says=("未填写",),
    ),
    # SUBLINE_*
    Case(
        "SUBLINE_EXCEEDS",
        "over",
        {"budget.enterprise_subsidy": D(2100)},
        field="budget.enterprise_subsidy",
        says=("2100.00", "2061.53", "38.47"),
    ),
    Case(
        "SUBLINE_UNCLASSIFIED",
        "seed",
        {"budget.enterprise_subsidy": D("1348.28")},
        field="budget.enterprise_subsidy",
        says=("713.25",),
    ),
    # LEVEL1_UNKNOWN, LEVEL2_UNKNOWN, LEVEL2_MISMATCH
    Case("LEVEL1_UNKNOWN", "other", {"indicators[0].level1": "投入指标"}, field="indicators[0].level1"),
    Case(
        "LEVEL1_UNKNOWN",
        "configured-set-is-not-default",
        {"indicators[0].level1": "履职效能", "indicators[0].level2": "重点工作"},
    ),
    Case("LEVEL2_UNKNOWN", "short", {"indicators[0].level2": "数量"}, field="indicators[0].level2"),
    Case(
        "LEVEL2_MISMATCH",
        "wrong-parent",
        {"indicators[0].level2": "社会效益指标"},
        field="indicators[0].level2",
        says=("属于效益指标", "不属于产出指标"),
    ),
    # DUPLICATE_INDICATOR
    Case(
        "DUPLICATE_INDICATOR",
        "same-name",
        {"indicators[1].name": " 推动企业申报高新技术企业 "},
        field="indicators[1].name",
        says=("第 1 项指标",),
    ),
    # WEIGHT_TOTAL
    Case("WEIGHT_TOTAL", "101", {"indicators[0].weight": D(11)}, field="weights", says=("101",)),
    Case("WEIGHT_TOTAL", "exec-weight", {"execution_weight": D(0)}, says=("90",)),
    # LEVEL1_WEIGHT
    Case(
        "LEVEL1_WEIGHT",
        "moved-between-levels",
        {"indicators[0].weight": D(15), "indicators[0].score": D(15), "indicators[5].weight": D(5)},
        field="level1_weights",
        says=("产出指标 55", "规定为 产出指标 50"),
    ),
    Case(
        "LEVEL1_WEIGHT",
        "exec-weight",
        {"execution_weight": D(20), "indicators[8].weight": D(0.5)},
        field="execution_weight",
    ),
    Case(
        "LEVEL1_WEIGHT",
        "level-without-rows",
        {"indicators": lambda ev: [r for r in ev.indicators if r.level1 != "满意度指标"]},
        field="level1_weights",
    ),
    Case(
        "LEVEL1_WEIGHT",
        "half-point",
        {
            "indicators[0].weight": D("10.5"),
            "indicators[0].score": D("10.5"),
            "indicators[5].weight": D("9.5"),
        },
        says=("产出指标 50.5",),
    ),
    # TARGET_NEGATIVE
    Case(
        "TARGET_NEGATIVE", "negative-positive", {"indicators[0].target": D(-5)}, field="indicators[0].target"
    ),
    Case("TARGET_NEGATIVE", "negative-equal", {"indicators[3].target": D(-1)}, field="indicators[3].target"),
    # QUAL_SCORE_OUT_OF_BAND
    Case(
        "QUAL_SCORE_OUT_OF_BAND",
        "below-top-band",
        {"indicators[7].score": D("7.99"), "indicators[7].deviation_note": "部分工作滞后。"},
        field="indicators[7].score",
        says=("8（含）至 10（含）", "7.99"),
    ),
    Case(
        "QUAL_SCORE_OUT_OF_BAND",
        "upper-bound-excluded",
        {
            "indicators[7].band": "部分达成",
            "indicators[7].score": D(8),
            "indicators[7].deviation_note": "滞后。",
        },
        says=("6（含）至 8（不含）",),
    ),
    Case("QUAL_SCORE_OUT_OF_BAND", "above-weight", {"indicators[7].score": D("10.5")}),
    Case(  # the national form has no 完成档次: a score above the 分值 is outside every band (not capped silently)
        "QUAL_SCORE_OUT_OF_BAND",
        "no-band-above-weight",
        {"indicators[7].band": "", "indicators[7].actual": "有所改善", "indicators[7].score": D(11)},
        field="indicators[7].score",
        says=("11", "0 至分值 10"),
    ),
    Case(
        "QUAL_SCORE_OUT_OF_BAND",
        "negative",
        {
            "indicators[7].band": "未达成",
            "indicators[7].score": D(-1),
            "indicators[7].deviation_note": "未完成。",
        },
    ),
    # DEVIATION_NOTE_MISSING
    Case(
        "DEVIATION_NOTE_MISSING",
        "quantitative",
        {"indicators[5].deviation_note": " "},
        field="indicators[5].deviation_note",
        says=("得分 8.70 低于分值 10",),
    ),
    Case(
        "DEVIATION_NOTE_MISSING",
        "qualitative",
        {"indicators[7].score": D(9)},
        field="indicators[7].deviation_note",
    ),
    Case(
        "DEVIATION_NOTE_MISSING",
        "reverse",
        {"indicators[4].actual": D(15), "indicators[4].score": D(8)},
        field="indicators[4].deviation_note",
    ),
    Case(
        "DEVIATION_NOTE_MISSING",
        "one-hundredth-below",
        {"indicators[0].actual": D("9.99"), "indicators[0].score": D("9.99")},
        says=("得分 9.99 低于分值 10",),
    ),
    # OVER_COMPLETION
    Case(
        "OVER_COMPLETION",
        "exactly-1.2",
        {"indicators[1].actual": D(30)},
        field="indicators[1].deviation_note",
        says=("为年度指标值 25 的 120.00%，达到或超过 120%",),
    ),
    Case("OVER_COMPLETION", "equal-operator", {"indicators[3].actual": D(130)}),
    # SCORE_MISMATCH
    Case(
        "SCORE_MISMATCH",
        "entered",
        {"indicators[5].score": D("8.6")},
        field="indicators[5].score",
        says=("自填得分 8.6 与按规则计算的得分 8.70 不同",),
    ),
    Case("SCORE_MISMATCH", "entered-above-weight", {"indicators[0].score": D(12)}),
    # NEGATIVE_ACTUAL
    Case(
        "NEGATIVE_ACTUAL",
        "negative",
        {
            "indicators[0].actual": D(-1),
            "indicators[0].score": D(0),
            "indicators[0].deviation_note": "未开展。",
        },
        field="indicators[0].actual",
        says=("按 0 计分",),
    ),
    # MAGNITUDE_SUSPECT
    Case(
        "MAGNITUDE_SUSPECT",
        "percent-target",
        {"indicators[2].target": D("0.95")},
        field="indicators[2].target",
        says=("请填 95",),
    ),
    Case(
        "MAGNITUDE_SUSPECT",
        "percent-actual",
        {
            "indicators[8].actual": D("0.95"),
            "indicators[8].score": D("0.11"),
            "indicators[8].deviation_note": "x",
        },
        field="indicators[8].actual",
        says=("请填 95",),
    ),
    Case(
        "MAGNITUDE_SUSPECT",
        "ratio-high",
        {"indicators[0].actual": D(1000), "indicators[0].deviation_note": "超额。"},
        field="indicators[0].actual",
    ),
    Case(
        "MAGNITUDE_SUSPECT",
        "ratio-low",
        {
            "indicators[0].actual": D("0.1"),
            "indicators[0].score": D("0.1"),
            "indicators[0].deviation_note": "少。",
        },
        field="indicators[0].actual",
    ),
    Case(
        "MAGNITUDE_SUSPECT",
        "money-in-yuan",
        {"budget.total.initial": D(26528400)},
        field="budget.total.initial",
        says=("2652.84 万元",),
    ),
    # NA_SCORED
    Case("NA_SCORED", "score-kept", na_row(6), field="indicators[6].score"),
    # GOAL_MISSING
    Case("GOAL_MISSING", "actual", {"goal_actual": ""}, field="goal_actual", level=Level.INFO),
]

# ----------------------------------------------------------------------- near misses: must not trigger

NEAR_MISSES: list[Case] = [
    Case("REQUIRED_MISSING", "department-optional", {"department": "", "filled_by": ""}),
    Case("REQUIRED_MISSING", "project-name-on-department", {"project_name": ""}),
    Case("REQUIRED_MISSING", "na-row-needs-only-names", na_row(6, target=None, weight=None, score=None)),
    Case(
        "REQUIRED_MISSING",
        "qual-needs-no-numeric-target",
        {"indicators[7].target": None, "indicators[7].actual": None},
    ),
    Case("REQUIRED_MISSING", "blank-template-rows", {"indicators": blank_rows}),
    Case("REQUIRED_MISSING", "initial-optional", {"budget.total.initial": None}),
    Case("REQUIRED_MISSING", "operator-optional", {"indicators[0].operator": ""}),
    Case("REQUIRED_MISSING", "band-optional", {"indicators[7].band": ""}),
    Case(
        "REQUIRED_MISSING",
        "band-written-in-actual",
        {"indicators[7].band": "", "indicators[7].actual": "达成预期指标"},
    ),
    Case("REQUIRED_MISSING", "code-optional-with-name", {"unit_code": ""}),
    Case("UNIT_CODE_MISSING", "given", {}),
    Case("UNIT_CODE_MISSING", "no-name-is-another-error", {"unit_code": "", "unit_name": ""}),
    Case("UNIT_MISMATCH", "same-unit", {"indicators[0].actual": "10家"}),
    Case("UNIT_MISMATCH", "percent-spelt-out", {"indicators[2].actual": "100百分比"}),
    Case("UNIT_MISMATCH", "bare-number", {"indicators[0].actual": "10"}),
    Case("OPERATOR_ASSUMED", "operator-given", {}),
    Case(
        "OPERATOR_ASSUMED", "sign-in-target", {"indicators[0].operator": "", "indicators[0].target": "≥10家"}
    ),
    Case(
        "OPERATOR_ASSUMED",
        "word-in-target",
        {"indicators[0].operator": "", "indicators[0].target": "不少于10家"},
    ),
    Case("OPERATOR_ASSUMED", "qualitative-given", {"indicators[7].operator": "定性指标"}),
    Case("OPERATOR_CONFLICT", "same-sign", {"indicators[0].target": "≥10家"}),
    Case("OPERATOR_CONFLICT", "no-sign", {"indicators[0].target": "10家"}),
    Case("VALUE_SIGN_IGNORED", "unit-only", {"indicators[0].actual": "10家"}),
    Case("VALUE_SIGN_IGNORED", "number", {}),
    Case("EXEC_RATE_MISMATCH", "same", {"execution_rate_entered": D(1)}),
    Case("EXEC_RATE_MISMATCH", "rounding", {"execution_rate_entered": D("0.99995")}),
    Case("EXEC_RATE_MISMATCH", "not-entered", {}),
    Case("EXEC_SCORE_MISMATCH", "same", {"execution_score_entered": D(10)}),
    Case("EXEC_ROW_MISMATCH", "yinchuan-agrees", {"indicators": exec_row("100%")}, rules=YINCHUAN),
    Case("EXEC_ROW_MISMATCH", "national-has-no-row", {"indicators": exec_row("95%")}),
    Case("ROW_UNSCORED", "valid", {}),
    Case("ROW_UNSCORED", "another-error-says-why", {"indicators[0].actual": "约一半"}),
    Case("NO_INDICATORS", "one-row", {"indicators": lambda ev: ev.indicators[:1]}),
    Case("NOT_A_NUMBER", "na-slash", na_row(6, target="/", weight="/", score="/")),
    Case("NOT_A_NUMBER", "na-words", {"indicators[6].actual": "不适用", "indicators[6].score": None}),
    Case("NOT_A_NUMBER", "na-band", {"indicators[7].band": "／", "indicators[7].score": "/"}),
    Case(
        "NOT_A_NUMBER", "qual-text", {"indicators[7].target": "效果明显", "indicators[7].actual": "达成预期"}
    ),
    Case(
        "NOT_A_NUMBER",
        "no-operator-words",
        {"indicators[0].operator": "", "indicators[0].target": "效果明显"},
    ),
    Case("NOT_A_NUMBER", "sign-and-unit-in-target", {"indicators[0].target": "≥50个"}),
    Case("NOT_A_NUMBER", "percent-actual", {"indicators[8].actual": "95%"}),
    Case("NOT_A_NUMBER", "bare-text-target", {"indicators[0].operator": "", "indicators[0].target": "10"}),
    Case("NOT_A_NUMBER", "full-width", {"indicators[0].actual": "１０家"}),
    Case("NOT_A_NUMBER", "blank-text", {"budget.other_income": "  ", "budget.government_fund": D("845.35")}),
    Case("KIND_INVALID", "project", base=valid_project_evaluation),
    Case("KIND_INVALID", "blank", {"kind": ""}),
    Case("YEAR_INVALID", "2000", {"year": D(2000)}),
    Case("YEAR_INVALID", "2100", {"year": D("2100.0")}),
    Case("YEAR_INVALID", "text", {"year": "2023年"}),
    Case("OPERATOR_INVALID", "ascii", {"indicators[0].operator": ">="}),
    Case("OPERATOR_INVALID", "full-width", {"indicators[0].operator": "＞"}),
    Case("OPERATOR_INVALID", "blank", {"indicators[0].operator": ""}),
    Case("OPERATOR_INVALID", "form-words", {"indicators[0].operator": "正向指标"}),
    Case("OPERATOR_INVALID", "box-drawing-equal", {"indicators[3].operator": "═"}),
    Case("OPERATOR_INVALID", "word", {"indicators[0].operator": "大于"}),
    Case("BAND_INVALID", "short-form", {"indicators[7].band": "达成"}),
    Case("BAND_INVALID", "alias", {"indicators[7].band": "达成预期指标"}),
    Case("BAND_INVALID", "na", {"indicators[7].band": "/"}),
    Case("NEGATIVE_AMOUNT", "zero", {"budget.other_income": D(0)}),
    Case("NEGATIVE_AMOUNT", "negative-indicator-is-not-money", {"indicators[0].actual": D(-1)}),
    Case("WEIGHT_INVALID", "na-zero", na_row(6, weight=D(0))),
    Case("WEIGHT_INVALID", "exec-zero", {"execution_weight": D(0)}),
    Case("WEIGHT_INVALID", "small", {"indicators[0].weight": D("0.01")}),
    Case("BUDGET_ZERO", "tiny", {"budget.total.adjusted": D("0.01")}),
    Case("BUDGET_ZERO", "blank", {"budget.total.adjusted": None}),
    Case("BUDGET_EXEC_OVER", "within-tolerance", {"budget.total.executed": D("2652.85")}),
    Case("BUDGET_EXEC_OVER", "equal", {}),
    Case("EXEC_RATE_LOW", "exactly-90", {"budget.total.executed": D("2387.556")}),
    Case(
        "EXEC_RATE_LOW",
        "with-note",
        {"budget.total.executed": D(2000), "budget.note": "项目工程款未到结算期。"},
    ),
    Case(
        "EXEC_RATE_LOW",
        "switched-off",
        {"budget.total.executed": D(2000)},
        rules=LOW_RATE_OFF,
    ),
    Case("EXEC_RATE_LOW", "negative-executed-is-another-error", {"budget.total.executed": D(-1)}),
    Case("EXEC_RATE_LOW", "zero-budget-is-another-error", {"budget.total": FundLine(D(0), D(0), D(0))}),
    Case("BUDGET_ADJUSTED", "within-tolerance", {"budget.total.initial": D("2652.83")}),
    Case("BUDGET_ADJUSTED", "initial-blank", {"budget.total.initial": None}),
    Case("FUND_ROWS_MISMATCH", "project-clean", base=valid_project_evaluation),
    Case("FUND_ROWS_MISMATCH", "no-sub-rows", {}),
    Case(
        "FUND_ROWS_MISMATCH",
        "one-sub-row-equal",
        {"budget.appropriation": FundLine(None, D("2652.84"), None)},
    ),
    Case(
        "FUND_ROWS_MISMATCH",
        "within-tolerance",
        {"budget.carried_over.executed": D("561.54")},
        base=valid_project_evaluation,
    ),
    Case(
        "FUND_ROWS_MISMATCH",
        "text-sub-row-is-not-a-sum",
        {"budget.carried_over.executed": "—"},
        base=valid_project_evaluation,
    ),
    Case("INCOME_SUM_MISMATCH", "seed", {}),
    Case(
        "INCOME_SUM_MISMATCH",
        "no-sources",
        {"budget.general_public": None, "budget.government_fund": None, "budget.other_income": None},
    ),
    Case("INCOME_SUM_MISMATCH", "within-tolerance", {"budget.other_income": D("6.74")}),
    Case("SPENDING_SUM_MISMATCH", "seed", {}),
    Case(
        "SPENDING_SUM_MISMATCH",
        "not-given",
        {"budget.basic": None, "budget.project": None, "budget.wages": None},
    ),
    Case("BASIC_SUM_MISMATCH", "seed", {}),
    Case(
        "BASIC_SUM_MISMATCH",
        "parts-not-given",
        {"budget.wages": None, "budget.goods_services": None, "budget.household_subsidy": None},
    ),
    Case("SUBLINE_EXCEEDS", "equal", {"budget.enterprise_subsidy": D("2061.53")}),
    Case("SUBLINE_EXCEEDS", "seed", {"budget.enterprise_subsidy": D("1348.28")}),
    Case("SUBLINE_UNCLASSIFIED", "fully-classified", {"budget.enterprise_subsidy": D("2061.53")}),
    Case("SUBLINE_UNCLASSIFIED", "within-tolerance", {"budget.enterprise_subsidy": D("2061.52")}),
    Case("SUBLINE_UNCLASSIFIED", "exceeding-is-another-finding", {"budget.enterprise_subsidy": D(2100)}),
    Case("SUBLINE_UNCLASSIFIED", "not-given", {}),
    Case("LEVEL1_UNKNOWN", "official", {}),
    Case("LEVEL1_UNKNOWN", "padded", {"indicators[0].level1": " 产出指标 "}),
    Case("LEVEL1_UNKNOWN", "weight-in-name", {"indicators[0].level1": "产出指标(50分)"}),
    Case("LEVEL1_UNKNOWN", "line-break", {"indicators[0].level1": "产出\n指标"}),
    Case("LEVEL1_UNKNOWN", "alias-and-deng", {"indicators[8].level1": "服务对象满意度指标等"}),
    Case("LEVEL2_UNKNOWN", "alias", {"indicators[8].level2": "满意度指标"}),
    Case(
        "LEVEL2_UNKNOWN",
        "cost-layout-101",
        {"indicators[4].level1": "成本指标", "indicators[4].level2": "经济成本指标"},
    ),
    Case(
        "LEVEL1_UNKNOWN",
        "configured",
        {"indicators[8].level1": "履职效能", "indicators[8].level2": "重点工作"},
        rules=CONFIGURED,
    ),
    Case("LEVEL2_UNKNOWN", "sichuan-cost", {"indicators[4].level2": "经济成本指标"}),
    Case(
        "LEVEL2_UNKNOWN",
        "configured-level1-has-own-level2",
        {"indicators[8].level1": "履职效能", "indicators[8].level2": "重点工作"},
        rules=CONFIGURED,
    ),
    Case("LEVEL2_MISMATCH", "right-parent", {"indicators[6].level2": "经济效益指标"}),
    Case(
        "LEVEL2_MISMATCH",
        "unknown-level1",
        {"indicators[0].level1": "投入指标", "indicators[0].level2": "社会效益指标"},
    ),
    Case("DUPLICATE_INDICATOR", "similar", {"indicators[1].name": "推动企业申报高新技术企业认定"}),
    Case(
        "DUPLICATE_INDICATOR",
        "slash-names",
        {**na_row(6, name="/", score=None), **na_row(8, name="/", score=None)},
    ),
    Case(
        "LEVELS_MISSING", "one-row-without-levels", {"indicators[2].level1": "", "indicators[2].level2": ""}
    ),
    Case(
        "LEVELS_MISSING",
        "flat-scheme",
        {"indicators": lambda ev: [replace(i, level1="", level2="") for i in ev.indicators]},
        rules=get_scheme("chongqing-bmzt"),
    ),
    Case("WEIGHT_TOTAL", "moved-within-total", {"indicators[0].weight": D(11), "indicators[1].weight": D(9)}),
    Case("WEIGHT_TOTAL", "na-row-keeps-weight", na_row(6, score=None)),
    Case("WEIGHT_TOTAL", "weight-missing-is-another-error", {"indicators[0].weight": None}),
    Case("WEIGHT_TOTAL", "weight-text-is-another-error", {"indicators[0].weight": "十"}),
    Case("WEIGHT_TOTAL", "no-indicators", {"indicators": []}),
    Case(
        "LEVEL1_WEIGHT", "moved-within-level", {"indicators[0].weight": D(15), "indicators[1].weight": D(5)}
    ),
    Case(
        "LEVEL1_WEIGHT",
        "configured-weights",
        {"indicators[8].level1": "履职效能", "indicators[8].level2": "重点工作"},
        rules=CONFIGURED,
    ),
    Case("TARGET_NEGATIVE", "zero-equal", {"indicators[3].target": D(0), "indicators[3].actual": D(0)}),
    Case("TARGET_NEGATIVE", "zero-positive", {"indicators[0].target": D(0)}),
    Case("TARGET_NEGATIVE", "zero-reverse", {"indicators[4].target": D(0), "indicators[4].actual": D(0)}),
    Case("TARGET_NEGATIVE", "small-positive", {"indicators[0].target": D("0.01")}),
    Case("TARGET_NEGATIVE", "na-row", na_row(0, target=D(-5), score=None)),
    Case(
        "QUAL_SCORE_OUT_OF_BAND",
        "lower-bound-included",
        {"indicators[7].score": D(8), "indicators[7].deviation_note": "x"},
    ),
    Case(
        "QUAL_SCORE_OUT_OF_BAND",
        "middle-band",
        {
            "indicators[7].band": "部分达成年度指标并具有一定效果",
            "indicators[7].score": D("7.99"),
            "indicators[7].deviation_note": "x",
        },
    ),
    Case(
        "QUAL_SCORE_OUT_OF_BAND",
        "bottom-band-zero",
        {"indicators[7].band": "未达成", "indicators[7].score": D(0), "indicators[7].deviation_note": "x"},
    ),
    Case("QUAL_SCORE_OUT_OF_BAND", "quantitative-row-not-banded", {"indicators[0].band": "未达成"}),
    Case(
        "QUAL_SCORE_OUT_OF_BAND",
        "no-band-score-inside",  # the band comes from 得分 ÷ 分值 (issue 9 §3): not an error
        {"indicators[7].band": "", "indicators[7].score": D("7.5"), "indicators[7].deviation_note": "x"},
    ),
    Case("DEVIATION_NOTE_MISSING", "full-score", {"indicators[0].actual": D(12)}),
    Case(
        "DEVIATION_NOTE_MISSING",
        "rounds-to-full",  # 10 × 9.995 / 10 = 9.995 → 10.00 = 分值
        {"indicators[0].actual": D("9.995")},
    ),
    Case("DEVIATION_NOTE_MISSING", "na-row", na_row(5, score=None, deviation_note="")),
    Case("OVER_COMPLETION", "just-below", {"indicators[1].actual": D("29.99")}),
    Case(
        "OVER_COMPLETION",
        "with-note",
        {"indicators[1].actual": D(30), "indicators[1].deviation_note": "需求旺盛。"},
    ),
    Case("OVER_COMPLETION", "reverse-row", {"indicators[4].actual": D(1)}),
    Case(
        "OVER_COMPLETION",
        "higher-ratio",
        {"indicators[1].actual": D(30)},
        rules=RATIO_15,
    ),
    Case("SCORE_MISMATCH", "within-tolerance", {"indicators[5].score": D("8.69")}),
    Case("SCORE_MISMATCH", "no-score-entered", {"indicators[5].score": None}),
    Case(
        "SCORE_MISMATCH",
        "qualitative-not-compared",
        {"indicators[7].score": D("8.5"), "indicators[7].deviation_note": "x"},
    ),
    Case(
        "NEGATIVE_ACTUAL",
        "zero",
        {"indicators[0].actual": D(0), "indicators[0].score": D(0), "indicators[0].deviation_note": "x"},
    ),
    Case(
        "MAGNITUDE_SUSPECT",
        "reverse-small-percent",
        {"indicators[4].unit": "%", "indicators[4].target": D("0.5"), "indicators[4].actual": D("0.3")},
    ),
    Case(
        "MAGNITUDE_SUSPECT",
        "ratio-below-100",
        {"indicators[0].actual": D("999.9"), "indicators[0].deviation_note": "x"},
    ),
    Case(
        "MAGNITUDE_SUSPECT",
        "zero-actual",
        {"indicators[0].actual": D(0), "indicators[0].score": D(0), "indicators[0].deviation_note": "x"},
    ),
    Case(
        "MAGNITUDE_SUSPECT",
        "percent-above-one",
        {"indicators[2].target": D("1.5"), "indicators[2].actual": D(2)},
    ),
    Case("MAGNITUDE_SUSPECT", "money-at-limit", {"budget.total.initial": D(1_000_000), "budget.note": "x"}),
    Case("NA_SCORED", "na-without-score", na_row(6, score=None)),
    Case("NA_SCORED", "na-slash-score", na_row(6, score="/")),
    Case("GOAL_MISSING", "given", {}),
]


# ---------------------------------------------------------------------------------------------- tests


def test_a_form_without_levels_gets_one_finding_not_two_per_row() -> None:
    """Issue 9 §6: no row has 一级 or 二级: LEVELS_MISSING once; no REQUIRED_MISSING per row, no
    LEVEL1_WEIGHT for 一级 the form does not have. One row without them still gets its own findings."""
    ev = valid_evaluation()
    ev.indicators = [replace(i, level1="", level2="") for i in ev.indicators]
    assert [f.code for f in check(ev)] == ["LEVELS_MISSING"]
    ev = valid_evaluation()
    ev.indicators[0] = replace(ev.indicators[0], level1="", level2="")  # the first row: nothing above it
    codes = sorted((f.code, f.field) for f in check(ev))
    assert ("REQUIRED_MISSING", "indicators[0].level1") in codes
    assert ("REQUIRED_MISSING", "indicators[0].level2") in codes
    assert "LEVELS_MISSING" not in {c for c, _ in codes}


def test_a_group_written_once_or_merged_is_read_as_the_printed_form_means_it() -> None:
    """A blank 一级/二级 under a filled row continues its group (a merged cell reads as blank below its first
    row); an empty row between does not end it (the reader drops empty rows: formulas and Python agree);
    a row with a new 一级 does not take the 二级 of the group above."""
    ev = valid_evaluation()
    rows = ev.indicators
    first = rows[0]
    ev.indicators = [
        first,
        replace(rows[1], level1="", level2=""),  # continues 产出指标/first's 二级
        replace(rows[1], name="同组第三项", level1="", level2="质量指标"),  # 一级 continues, its own 二级
        replace(rows[3], level1="效益指标", level2=""),  # a new 一级 with no 二级: not 质量指标 from above
        Indicator(),  # an empty row: passed over
        replace(rows[4], name="空行之后", level1="", level2=""),
    ]
    s = scoring.score(ev)
    assert [(x.level1, x.level2) for x in s.indicators] == [
        (first.level1, first.level2),
        (first.level1, first.level2),
        (first.level1, "质量指标"),
        ("效益指标", ""),
        ("", ""),  # the empty row itself stays empty
        ("效益指标", ""),
    ]
    codes = {(f.code, f.field) for f in check(ev, scores=s)}
    assert ("REQUIRED_MISSING", "indicators[3].level2") in codes
    assert ("REQUIRED_MISSING", "indicators[5].level2") in codes
    assert ("REQUIRED_MISSING", "indicators[5].level1") not in codes
    assert not {c for c in codes if c[1].startswith(("indicators[1].level", "indicators[2].level"))}


def test_valid_evaluation_is_clean() -> None:
    assert check(valid_evaluation()) == []
    assert check(valid_project_evaluation()) == []
    for rules in (PRESETS["sichuan"], PRESETS["vendor-r2"]):  # the schemes with the national 一级 system
        assert [f for f in check(valid_evaluation(), rules) if f.level != Level.INFO] == [], rules.id


@pytest.mark.parametrize("case", TRIGGERS, ids=lambda c: c.id)
def test_trigger(case: Case) -> None:
    found = [f for f in case.run() if f.code == case.code]
    assert found, f"{case.code} not found"
    if case.field is not None:
        found = [f for f in found if f.field == case.field]
        assert found, f"{case.code} not on {case.field}"
    for f in found:
        assert f.level == (case.level or CATALOG[case.code].level)
    for text in case.says:
        assert any(text in f.message for f in found), (text, [f.message for f in found])


@pytest.mark.parametrize("case", NEAR_MISSES, ids=lambda c: c.id)
def test_near_miss(case: Case) -> None:
    assert case.code not in {f.code for f in case.run()}


def test_every_code_has_a_trigger_and_a_near_miss() -> None:
    """The catalog holds no dead code and nothing untested."""
    assert {c.code for c in TRIGGERS} == set(CATALOG)
    assert {c.code for c in NEAR_MISSES} == set(CATALOG)


def test_catalog_entries() -> None:
    for code, info in CATALOG.items():
        assert info.code == code
        assert re.fullmatch(r"[A-Z][A-Z0-9_]+", code)
        assert isinstance(info.level, Level)
        assert re.search(r"[\u4e00-\u9fff]", info.title_zh)
        assert re.search(r"[\u4e00-\u9fff]", info.description_zh)


CELL_ADDRESS = re.compile(r"\$?[A-Za-z]{1,3}\$?\d+|第\s*\d+\s*行|[A-Za-z]+!")
FIELD = re.compile(
    r"|weights|level1_weights"
    r"|unit_code|unit_name|department|year|kind|project_name|execution_weight|goal_expected|goal_actual"
    r"|execution_rate_entered|execution_score_entered"
    r"|budget\.(?:total|appropriation|carried_over|special_account|unit_funds|other_funds)"
    r"\.(?:initial|adjusted|executed)"
    r"|budget\.(?:general_public|government_fund|other_income|basic|wages|goods_services|household_subsidy"
    r"|project|enterprise_subsidy|note)"
    r"|indicators\[(?P<i>\d+)\]\.(?:level1|level2|name|operator|target|unit|actual|band|weight|score"
    r"|deviation_note|method|coefficient)"
)


def assert_well_formed(f: Finding, ev: Evaluation, *, chinese_only: bool = True) -> None:
    assert f.code in CATALOG
    assert f.sheet == "" and f.cell == ""
    assert re.search(r"[\u4e00-\u9fff]", f.message), f.message
    assert not CELL_ADDRESS.search(f.message), f.message
    if chinese_only:
        assert not re.search(r"[A-Za-z]", f.message), f.message
    m = FIELD.fullmatch(f.field)
    assert m, f.field
    if m["i"] is not None:
        i = int(m["i"])
        assert i < len(ev.indicators)


def test_messages_are_chinese_with_no_cell_address() -> None:
    seen = 0
    for case in TRIGGERS + NEAR_MISSES:
        ev = case.build()
        for f in check(ev, case.rules):
            assert_well_formed(f, ev)
            seen += 1
    assert seen > len(TRIGGERS)


def test_exec_over_message_is_the_documented_one() -> None:
    ev = valid_evaluation()
    ev.budget.total.executed = D(2700)
    (f,) = check(ev)
    assert f == Finding(
        "BUDGET_EXEC_OVER",
        Level.WARNING,
        "全年执行数 2700.00 万元高于全年预算数 2652.84 万元（执行率 101.78%），执行率得分按 100% 封顶；"
        "请核对执行数，或在“预算执行说明”中写明超支原因。",
        "budget.total.executed",
    )


# -------------------------------------------------------------------------------------- the seed


def test_seed_budget_split_is_clean() -> None:
    """official-rules.md §5: the seed's income and spending splits hold exactly."""
    ev = valid_evaluation()
    ev.budget = seed_budget()
    assert not SUM_CODES & {f.code for f in check(ev)}


def test_seed_enterprise_subsidy_gives_one_info() -> None:
    """对企业补助 1348.28 of 项目支出 2061.53: exactly one SUBLINE_UNCLASSIFIED info naming 713.25."""
    ev = valid_evaluation()
    ev.budget = seed_budget(enterprise_subsidy=True)
    (f,) = check(ev)
    assert (f.code, f.level, f.field) == ("SUBLINE_UNCLASSIFIED", Level.INFO, "budget.enterprise_subsidy")
    assert "713.25" in f.message and "1348.28" in f.message and "2061.53" in f.message


# ------------------------------------------------------------------------------------ properties

money = st.decimals(min_value=0, max_value=100_000, places=3, allow_nan=False, allow_infinity=False)
within = st.integers(min_value=-10, max_value=10).map(lambda n: D(n) / 1000)
beyond = st.one_of(
    st.integers(min_value=11, max_value=10**6), st.integers(max_value=-11, min_value=-(10**6))
).map(lambda n: D(n) / 1000)


def split(parts: list[Decimal], delta: Decimal) -> Evaluation:
    """An evaluation whose four identities all have their parts = ``parts`` and total = Σ parts + delta."""
    ev = valid_evaluation()
    a, b, c = parts
    total = a + b + c + delta
    ev.budget = Budget(
        total=FundLine(total, total, total),
        appropriation=FundLine(a, a, a),
        carried_over=FundLine(b, b, b),
        other_funds=FundLine(c, c, c),
        general_public=a,
        government_fund=b,
        other_income=c,
        basic=a + b + delta,
        wages=a,
        goods_services=b,
        project=c + delta,
    )
    return ev


@settings(max_examples=60, deadline=None)
@given(st.lists(money, min_size=3, max_size=3), within)
def test_sums_within_tolerance_never_flag(parts: list[Decimal], delta: Decimal) -> None:
    ev = split(parts, delta)
    if ev.budget.total.adjusted <= 0:  # type: ignore[operator]
        return
    assert not SUM_CODES & {f.code for f in check(ev)}


@settings(max_examples=60, deadline=None)
@given(st.lists(money, min_size=3, max_size=3), beyond)
def test_sums_beyond_tolerance_always_flag(parts: list[Decimal], delta: Decimal) -> None:
    ev = split(parts, delta)
    codes = [f.code for f in check(ev)]
    for code in SUM_CODES:
        expected = 3 if code == "FUND_ROWS_MISMATCH" else 1
        assert codes.count(code) == expected, code


BANDS = {q.name: (q.lower, q.upper, q.upper_inclusive) for q in DEFAULT_RULES.qualitative}


@settings(max_examples=80, deadline=None)
@given(
    st.sampled_from(sorted(BANDS)),
    st.decimals(min_value="0.5", max_value=50, places=2),
    st.decimals(min_value=0, max_value=1, places=4),
)
def test_qualitative_score_inside_band_never_flags(band: str, weight: Decimal, frac: Decimal) -> None:
    lo, hi, inclusive = BANDS[band]
    score = (weight * (lo + (hi - lo) * frac)).quantize(D("0.01"))
    if score < weight * lo or score > weight * hi or (score == weight * hi and not inclusive):
        return
    ev = valid_evaluation()
    ind = ev.indicators[7]
    ind.band, ind.weight, ind.score, ind.deviation_note = band, weight, score, "说明"
    assert "QUAL_SCORE_OUT_OF_BAND" not in {f.code for f in check(ev)}
    ind.score = weight * hi + D("0.01") if inclusive else weight * hi
    assert "QUAL_SCORE_OUT_OF_BAND" in {f.code for f in check(ev)}


NUM_TEXT = ["/", "不适用", "1,234.5", "95%", "约一半", "", " ", "≥50个", "—", "10分", "０.５"]
nums = st.one_of(
    st.none(),
    st.decimals(min_value=-(10**7), max_value=10**7, places=3, allow_nan=False, allow_infinity=False),
    st.sampled_from(NUM_TEXT),
)
words = st.sampled_from(
    ["", " ", "产出指标", "效益指标", "满意度指标", "数量指标", "社会效益指标", "培训人次", "/", "其他"]
)
indicators = st.builds(
    Indicator,
    level1=words,
    level2=words,
    name=words,
    operator=st.sampled_from(["", "≥", "≤", "=", ">", "<", "定性", "大于", "＞"]),
    target=nums,
    unit=st.sampled_from(["", "%", "人次", "万元"]),
    actual=nums,
    band=st.sampled_from(["", "达成", "部分达成", "未达成", "/", "基本达成"]),
    weight=nums,
    score=nums,
    deviation_note=st.sampled_from(["", "已说明"]),
)
fund_lines = st.builds(FundLine, initial=nums, adjusted=nums, executed=nums)
budgets = st.builds(
    Budget,
    total=fund_lines,
    appropriation=fund_lines,
    general_public=nums,
    basic=nums,
    wages=nums,
    project=nums,
    enterprise_subsidy=nums,
    note=st.sampled_from(["", "说明"]),
)
evaluations = st.builds(
    Evaluation,
    unit_code=st.sampled_from(["", "001"]),
    unit_name=st.sampled_from(["", "某局"]),
    year=nums,
    kind=st.sampled_from(["部门整体支出", "项目支出", "", "其他"]),
    project_name=st.sampled_from(["", "某项目"]),
    budget=budgets,
    indicators=st.lists(indicators, max_size=6),
    execution_weight=nums,
)


@settings(max_examples=150, deadline=None)
@given(evaluations, st.sampled_from(list(PRESETS.values())))
def test_never_raises_and_findings_are_well_formed(ev: Evaluation, rules: RuleSet) -> None:
    """Any input, however wrong, gives findings (never a traceback), each well formed."""
    for f in check(ev, rules):
        assert_well_formed(f, ev, chinese_only=False)
        if f.field.startswith("indicators["):
            i = int(f.field[len("indicators[") : f.field.index("]")])
            assert not vocab.is_blank(ev.indicators[i])


# ----------------------------------------------------------------------------------- small pieces


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234.5", ("", D("1234.5"), "")),
        ("95%", ("", D(95), "%")),
        ("９５％", ("", D(95), "%")),
        ("≥50个", ("≥", D(50), "个")),
        (">=3", ("≥", D(3), "")),
        ("2023年", ("", D(2023), "年")),
        ("-0.5", ("", D("-0.5"), "")),
        ("约一半", None),
        ("2023-2024", None),
        ("1,23", None),
    ],
)
def test_parse_number_text(text: str, expected: tuple[str, Decimal, str] | None) -> None:
    assert parse_number_text(text) == expected


def test_registry_rejects_duplicate_and_malformed_codes() -> None:
    with pytest.raises(ValueError):
        checks.register("REQUIRED_MISSING", Level.ERROR, "重复", "重复")
    with pytest.raises(ValueError):
        checks.register("lower_case", Level.ERROR, "错误", "错误")


def test_blank_rows_are_skipped_and_indices_are_model_indices() -> None:
    """A blank row before a faulty one: the finding names the faulty row's index in ev.indicators."""
    ev = valid_evaluation()
    ev.indicators.insert(0, Indicator())
    ev.indicators[3].weight = None  # was indicators[2]
    findings = check(ev)
    assert [(f.code, f.field) for f in findings if f.code == "REQUIRED_MISSING"] == [
        ("REQUIRED_MISSING", "indicators[3].weight")
    ]
    assert all(not f.field.startswith("indicators[0]") for f in findings)


def test_text_number_is_reported_once_and_skips_dependent_checks() -> None:
    """全年执行数 as text: one NOT_A_NUMBER, no REQUIRED_MISSING, no rate checks."""
    ev = valid_evaluation()
    ev.budget.total.executed = "1,000"
    assert [f.code for f in check(ev)] == ["NOT_A_NUMBER"]


def test_unnamed_indicator_is_named_by_position() -> None:
    ev = valid_evaluation()
    ev.indicators.insert(1, Indicator())  # blank rows do not count
    ev.indicators[3] = quant("产出指标", "质量指标", "", "≥", "95", "%", "90", "10", "9.47")
    msgs = [f.message for f in check(ev) if f.field == "indicators[3].deviation_note"]
    assert msgs and msgs[0].startswith("第 3 项指标：")


@settings(max_examples=120, deadline=None)
@given(evaluations, st.sampled_from(list(PRESETS.values())))
def test_every_rule_is_guarded_as_a_formula(ev: Evaluation, rules: RuleSet) -> None:
    """Evaluated strictly — every argument of AND/OR, as a spreadsheet does — no step of the row program,
    no row rule and no book rule ever errors on any input: the workbook's formulas never show #VALUE!,
    and the checks may run lazily in Python with the same results."""
    from perfeval_xl.rules.expr import evaluate
    from perfeval_xl.rules.reading import raw_env
    from perfeval_xl.rules.scoring import complete_expr, row_program, score, total_expr

    s = score(ev, rules)
    rows = checks.row_rules(rules)
    names: list[object] = []
    for ind in ev.indicators:
        env = raw_env(ind)
        for step in row_program(rules).steps:
            env[step.name] = evaluate(step.expr, env)
        names.append(env["nm"])
        env[checks.NAMES_UP_TO_HERE] = list(names)
        env[scoring.LEVELS_ALL] = [item.env.get(scoring.LEVELS_HERE) for item in s.indicators]
        env["execution_rate"] = s.execution_rate
        env[checks.ROW_ERRORS] = D(0)
        env["dup_of"] = 1
        for r in (*rows, checks.unscored_rule()):
            evaluate(r.when, env)
    book = checks.book_env(ev, s, rules)
    for r in checks.book_rules(rules):
        evaluate(r.when, book)
    for name in scoring.COLUMN_RANGES:
        book[name] = [item.env[name] for item in s.indicators]
    book.update({"execution_score": s.execution_score, "execution_weight": ev.execution_weight or None})
    book["complete"] = evaluate(complete_expr(rules.tolerance), book)
    evaluate(total_expr(), book)
