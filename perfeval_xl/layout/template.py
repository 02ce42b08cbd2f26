"""The template workbook, described once: every sheet, input cell, dropdown and formula.

Formulas come from rules.scoring's expressions rendered against the addresses in fields.py, so the
workbook computes exactly what Python computes (the parity test recalculates it in LibreOffice).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from ..rules import scoring
from ..rules.config import DEFAULT_RULES, RuleSet
from ..rules.expr import Expr, evaluate, render
from . import fields as F
from .spec import BookSpec, Highlight, PrintSetup, SheetSpec, Validation, absolute
from .styles import MARK_FILLS
from .summary import summary_sheet


def indicator_refs(row: int) -> Callable[[str], str]:
    """Input names of one indicator row → its cells."""
    cols = {
        scoring.OPERATOR: "operator",
        scoring.TARGET: "target",
        scoring.ACTUAL: "actual",
        scoring.BAND: "band",
        scoring.WEIGHT: "weight",
        scoring.ENTERED: "score",
    }
    return lambda name: f"{F.COLUMN_BY_KEY[cols[name]].letter}{row}"


_RANGES = frozenset({scoring.SCORES, scoring.APPLICABLE_WEIGHTS, scoring.NA_FLAGS, scoring.LEVEL1S})


class _BlankInputs(dict):
    """Inputs of the empty template: every cell blank, every range empty."""

    def __missing__(self, key: str) -> object:
        return [] if key in _RANGES else None


def formula(expr: Expr, refs: Callable[[str], str]) -> dict[str, object]:
    """A rule rendered as a formula, with its value in the empty template as the cached result."""
    value = evaluate(expr, _BlankInputs())
    return {"formula": render(expr, refs), "cached": "" if value is None else value}


def _column_range(key: str) -> str:
    letter = F.COLUMN_BY_KEY[key].letter
    return absolute(F.INDICATORS, f"{letter}{F.INDICATOR_FIRST_ROW}:{letter}{F.INDICATOR_LAST_ROW}")


def scoring_refs(name: str) -> str:
    """Input names of the headline formulas → cells and ranges (valid from any sheet)."""
    info = F.FIELD_BY_KEY
    return {
        scoring.ADJUSTED: absolute(F.INFO, info["budget.total.adjusted"].cell),
        scoring.EXECUTED: absolute(F.INFO, info["budget.total.executed"].cell),
        scoring.EXEC_WEIGHT: absolute(F.INFO, info["execution_weight"].cell),
        scoring.RATE: absolute(F.SCORING, F.RATE_CELL),
        scoring.EXEC_SCORE: absolute(F.SCORING, F.EXEC_SCORE_CELL),
        scoring.TOTAL: absolute(F.SCORING, F.TOTAL_CELL),
        scoring.SCORES: _column_range("rule_score"),
        scoring.APPLICABLE_WEIGHTS: _column_range("applicable_weight"),
        scoring.NA_FLAGS: _column_range("na_flag"),
        scoring.LEVEL1S: _column_range("level1"),
    }[name]


def defined_names() -> dict[str, str]:
    """Workbook-level names: the headline cells (issue 2) and the main input cells and ranges."""
    info = F.FIELD_BY_KEY
    return {
        "执行率": absolute(F.SCORING, F.RATE_CELL),
        "执行率得分": absolute(F.SCORING, F.EXEC_SCORE_CELL),
        "总分": absolute(F.SCORING, F.TOTAL_CELL),
        "等级": absolute(F.SCORING, F.GRADE_CELL),
        "单位名称": absolute(F.INFO, info["unit_name"].cell),
        "单位编码": absolute(F.INFO, info["unit_code"].cell),
        "评价年度": absolute(F.INFO, info["year"].cell),
        "年初预算数": absolute(F.INFO, info["budget.total.initial"].cell),
        "全年预算数": absolute(F.INFO, info["budget.total.adjusted"].cell),
        "全年执行数": absolute(F.INFO, info["budget.total.executed"].cell),
        "执行率分值": absolute(F.INFO, info["execution_weight"].cell),
        "指标表": absolute(F.INDICATORS, f"A{F.INDICATOR_FIRST_ROW}:M{F.INDICATOR_LAST_ROW}"),
        "指标分值": _column_range("weight"),
        "指标得分": _column_range("rule_score"),
    }


# ------------------------------------------------------------------------------------------- sheets


def instructions_sheet() -> SheetSpec:
    s = SheetSpec(F.INSTRUCTIONS, widths={"A": 4, "B": 100}, tab_color="808080")
    s.merge("A1:B1", "预算绩效自评表 填报说明", "title")
    lines = [
        (
            "一、",
            "本工作簿由 perfeval-xl 生成。黄色单元格为填报项，灰色单元格由公式自动计算（执行率、得分、总分、等级），请勿修改。",
        ),
        (
            "二、",
            "填报顺序：先填“基本信息”（单位、年度、预算与执行数，金额单位为万元），再在“绩效指标”逐行填写三级指标。",
        ),
        (
            "三、",
            "执行率 = 全年执行数 ÷ 全年预算数；执行率得分 = 执行率分值（默认 10 分）× min(执行率, 100%)。",
        ),
        (
            "四、",
            "定量指标：正向（≥）完成即得满分，未完成按 实际值 ÷ 指标值 × 分值；反向（≤）超出时按 指标值 ÷ 实际值 × 分值；“=”按正向计分。得分不超过分值。",
        ),
        (
            "五、",
            "定性指标：选择完成档次并在“自评得分”填写档次区间内的分数：达成 80%–100%，部分达成 60%–80%，未达成 0–60%。",
        ),
        ("六、", "不适用的指标在“实际完成值”填 /，不计分，总分按适用指标折算为百分制。"),
        (
            "七、",
            "得分低于分值的指标，须填写“偏差原因分析及改进措施”。各指标分值与执行率分值合计应为 100 分（产出 50、效益 30、满意度 10、执行率 10）。",
        ),
        ("八、", "总分按各项得分（保留两位小数）相加；等级：优 ≥ 90，良 ≥ 80，中 ≥ 60，差 < 60。"),
        (
            "九、",
            "校验：点击功能区“绩效自评 → 校验”，或在命令行运行 perfeval-xl validate 本文件.xlsx --mark；问题会列在“校验结果”表并标在对应单元格上。",
        ),
        (
            "十、",
            "自评表：点击“生成自评表”或运行 perfeval-xl summary 本文件.xlsx，按指标行数生成正式表格，可直接打印盖章。",
        ),
    ]
    for i, (num, text) in enumerate(lines, start=3):
        s.put(f"A{i}", num, "note")
        s.put(f"B{i}", text, "note")
        s.heights[i] = 32
    s.protect = True
    s.print_setup = PrintSetup(area="A1:B12")
    return s


def info_sheet() -> SheetSpec:
    s = SheetSpec(F.INFO, widths={"A": 26, "B": 16, "C": 16, "D": 16, "E": 44}, tab_color="FFC000")
    s.merge("A1:E1", "基本信息与预算执行情况", "title")
    s.merge("A2:E2", "黄色单元格为填报项，带 * 为必填；金额单位：万元。灰色单元格由公式计算。", "hint")
    s.heights[1] = 28
    sections = {
        3: "一、基本信息",
        12: "二、预算执行情况（万元）",
        22: "三、部门整体收支（部门整体支出填写；全年预算数，万元）",
        34: "四、年度总体目标",
        37: "五、自评报告文字（生成自评报告时使用，可留空）",
    }
    for row, title in sections.items():
        s.merge(f"A{row}:E{row}", title, "section")
    for col, head in zip("ABCDE", ("资金", "年初预算数", "全年预算数", "全年执行数", "说明"), strict=True):
        s.put(f"{col}13", head, "header")
    fund_labels = {
        14: "年度资金总额",
        15: "其中：当年财政拨款",
        16: "　　　上年结转资金",
        17: "　　　其他资金",
    }
    for row, label in fund_labels.items():
        s.put(f"A{row}", label + (" *" if row == 14 else ""), "label_required" if row == 14 else "label")
    s.put("E14", "全年预算数、全年执行数必填", "note")
    s.put("E15", "项目支出填写资金来源；三行之和应等于年度资金总额", "note")

    style_of = {
        "text": "input_text",
        "longtext": "input_longtext",
        "number": "input_number",
        "integer": "input_integer",
        "choice": "input_choice",
        "score": "input_score",
    }
    for f in F.FIELDS:
        col, row = f.cell[0], int(f.cell[1:])
        if row not in fund_labels:
            label = f.label + (" *" if f.required else "")
            s.put(f"A{row}", label, "label_required" if f.required else "label")
        style = style_of[f.kind]
        value: Decimal | None = Decimal(10) if f.key == "execution_weight" else None
        if f.merge_to:
            s.merge(f"{f.cell}:{f.merge_to}{row}", value, style)
        else:
            s.put(f.cell, value, style)
        if f.help and row not in (14, 15) and f.merge_to != "E":
            s.put(f"E{row}", f.help, "note")
        if f.kind == "longtext":
            s.heights[row] = 48
        if f.kind == "choice":
            s.validations.append(
                Validation(
                    f.cell,
                    "list",
                    f.choices,
                    prompt_title=f.label,
                    prompt=f.help,
                    error=f"请从下拉列表选择{f.label}。",
                )
            )
        elif f.kind in ("number", "score"):
            s.validations.append(
                Validation(
                    f.cell,
                    "decimal",
                    minimum=0,
                    maximum=10**9,
                    error_title="请输入数字",
                    error=f"{f.label}应为不小于 0 的数字（万元）。",
                )
            )
        elif f.kind == "integer":
            s.validations.append(
                Validation(
                    f.cell, "whole", minimum=2000, maximum=2100, error="评价年度应为四位年份，如 2023。"
                )
            )

    # computed displays
    s.put("A19", "执行率", "label")
    s.put(F.INFO_RATE_CELL, None, "calc_percent", formula="=执行率")
    s.put("A20", "执行率得分", "label")
    s.put(F.INFO_EXEC_SCORE_CELL, None, "calc_score", formula="=执行率得分")
    s.put("E19", "= 全年执行数 ÷ 全年预算数（自动计算）", "note")
    s.put("E20", "= 执行率分值 × min(执行率, 100%)（自动计算）", "note")
    s.put("A26", "收入合计", "label")
    s.put(F.INFO_INCOME_SUM_CELL, None, "calc_money", formula='=IF(COUNT(B23:B25)=0,"",SUM(B23:B25))')
    s.put("E26", "应等于全年预算数", "note")
    s.put("A33", "支出合计（基本支出 + 项目支出）", "label")
    s.put(F.INFO_SPENDING_SUM_CELL, None, "calc_money", formula='=IF(COUNT(B27,B31)=0,"",SUM(B27,B31))')
    s.put("E33", "应等于全年预算数；基本支出应等于其下三项之和", "note")
    s.freeze = "A3"
    s.protect = True
    s.print_setup = PrintSetup(area="A1:E46")
    return s


def indicators_sheet(rules: RuleSet = DEFAULT_RULES) -> SheetSpec:
    widths = {c.letter: c.width for c in F.COLUMNS}
    s = SheetSpec(F.INDICATORS, widths=widths, tab_color="5B9BD5", hidden_columns=F.HIDDEN_COLUMNS)
    last_col = F.COLUMNS[-1].letter
    s.merge("A1:M1", "绩效指标", "title")
    s.merge(
        "A2:M2",
        "每行一个三级指标。定量指标选择 ≥ / ≤ / = 并填数字；定性指标选择“定性”、完成档次并填自评得分；不适用填 /。“得分”列自动计算。",
        "hint",
    )
    s.heights[2] = 30
    s.heights[F.INDICATOR_HEADER_ROW] = 30
    for c in F.COLUMNS:
        s.put(f"{c.letter}{F.INDICATOR_HEADER_ROW}", c.header, "header")
    first, last = F.INDICATOR_FIRST_ROW, F.INDICATOR_LAST_ROW
    styles = {
        "text": "input_text",
        "choice": "input_choice",
        "value": "input_any",
        "number": "input_score",
        "score": "input_score",
        "longtext": "input_longtext",
    }
    for c in F.INPUT_COLUMNS:
        s.styled_ranges[f"{c.letter}{first}:{c.letter}{last}"] = styles[c.kind]
        if c.kind == "choice":
            s.validations.append(
                Validation(
                    f"{c.letter}{first}:{c.letter}{last}",
                    "list",
                    c.choices,
                    prompt_title=c.header,
                    prompt=c.help,
                    error=f"请从下拉列表选择{c.header}。",
                    # 二级 names are checked against their 一级 by 校验; the list only helps typing.
                    error_style="stop" if c.key in ("level1", "operator", "band") else "warning",
                )
            )
        elif c.kind in ("number", "score"):
            s.validations.append(
                Validation(
                    f"{c.letter}{first}:{c.letter}{last}",
                    "decimal",
                    minimum=0,
                    maximum=100,
                    error_title="请输入数字",
                    error=f"{c.header}应为 0–100 之间的数字。",
                )
            )
    score_expr = scoring.indicator_score_expr(rules)
    weight_expr = scoring.applicable_weight_expr()
    flag_expr = scoring.not_applicable_flag_expr()
    L = F.COLUMN_BY_KEY
    for row in range(first, last + 1):
        refs = indicator_refs(row)
        s.put(f"A{row}", row - first + 1, "seq")
        s.put(f"{L['rule_score'].letter}{row}", None, "calc_score", **formula(score_expr, refs))
        s.put(f"{L['applicable_weight'].letter}{row}", None, "calc_score", **formula(weight_expr, refs))
        s.put(f"{L['na_flag'].letter}{row}", None, "calc_score", **formula(flag_expr, refs))
    # A score below its weight without a deviation note: orange (the rule of official-rules.md §3).
    w, sc, note = L["weight"].letter, L["rule_score"].letter, L["deviation_note"].letter
    s.highlights.append(
        Highlight(
            f"{note}{first}:{note}{last}",
            f'=AND(ISNUMBER(${sc}{first}),ISNUMBER(${w}{first}),${sc}{first}<${w}{first},${note}{first}="")',
            MARK_FILLS["warning"],
        )
    )
    s.highlights.append(
        Highlight(
            f"{sc}{first}:{sc}{last}",
            f"=AND(ISNUMBER(${sc}{first}),ISNUMBER(${w}{first}),${sc}{first}<${w}{first})",
            "FCE4D6",
            "C00000",
        )
    )
    s.freeze = f"E{first}"
    s.protect = True
    s.print_setup = PrintSetup(
        landscape=True, area=f"A1:M{last}", repeat_rows=f"{F.INDICATOR_HEADER_ROW}:{F.INDICATOR_HEADER_ROW}"
    )
    del last_col
    return s


def scoring_sheet(rules: RuleSet = DEFAULT_RULES) -> SheetSpec:
    s = SheetSpec(F.SCORING, widths={"A": 20, "B": 12, "C": 12, "D": 12, "E": 52}, tab_color="70AD47")
    s.merge("A1:E1", "评分", "title")
    s.merge("A2:E2", "本表全部由公式计算，随“基本信息”和“绩效指标”的填写实时更新。", "hint")
    for col, head in zip("ABCDE", ("评分项目", "分值", "执行率", "得分", "说明"), strict=True):
        s.put(f"{col}3", head, "header")
    r = F.SCORING_EXEC_ROW
    s.put(f"A{r}", "预算执行率", "label")
    s.put(f"B{r}", None, "calc_score", formula=f"={scoring_refs(scoring.EXEC_WEIGHT)}", cached=Decimal(10))
    s.put(F.RATE_CELL, None, "calc_percent", **formula(scoring.execution_rate_expr(), scoring_refs))
    s.put(F.EXEC_SCORE_CELL, None, "calc_score", **formula(scoring.execution_score_expr(), scoring_refs))
    s.put(f"E{r}", "执行率 = 全年执行数 ÷ 全年预算数；得分 = 分值 × min(执行率, 100%)", "note")
    for name, row in F.SCORING_LEVEL1_ROWS.items():
        s.put(f"A{row}", name, "label")
        weight = scoring.level1_sum_expr(name, scoring.APPLICABLE_WEIGHTS)
        got = scoring.level1_sum_expr(name, scoring.SCORES)
        s.put(f"B{row}", None, "calc_score", **formula(weight, scoring_refs))
        s.put(f"C{row}", None, "calc_text")
        s.put(f"D{row}", None, "calc_score", **formula(got, scoring_refs))
        s.put(
            f"E{row}",
            f"标准分值 {rules.level1_weights.get(name, 0)} 分（可适当调整，合计须为 100 分）",
            "note",
        )
    row = F.SCORING_SUM_ROW
    s.put(f"A{row}", "绩效指标合计", "label")
    s.put(
        f"B{row}", None, "calc_score", formula=f"=SUM({scoring_refs(scoring.APPLICABLE_WEIGHTS)})", cached=0
    )
    s.put(f"C{row}", None, "calc_text")
    s.put(f"D{row}", None, "calc_score", formula=f"=SUM({scoring_refs(scoring.SCORES)})", cached=0)
    s.put(f"E{row}", "不适用的指标不计分值", "note")
    row = F.SCORING_TOTAL_ROW
    s.put(f"A{row}", "总分", "label_required")
    s.put(
        f"B{row}",
        None,
        "calc_total",
        formula=f"=B{F.SCORING_EXEC_ROW}+B{F.SCORING_SUM_ROW}",
        cached=Decimal(10),
    )
    s.put(f"C{row}", None, "calc_text")
    s.put(F.TOTAL_CELL, None, "calc_total", **formula(scoring.total_expr(), scoring_refs))
    s.put(f"E{row}", "各项得分之和；有不适用指标时按适用分值折算为百分制", "note")
    row = F.SCORING_GRADE_ROW
    s.put(f"A{row}", "等级", "label_required")
    s.put(f"B{row}", None, "calc_text")
    s.put(f"C{row}", None, "calc_text")
    s.put(F.GRADE_CELL, None, "calc_grade", **formula(scoring.grade_expr(rules), scoring_refs))
    bands = "；".join(f"{label} ≥ {bound}" for bound, label in rules.grades[:-1])
    s.put(f"E{row}", f"{bands}；{rules.grades[-1][1]} < {rules.grades[-2][0]}", "note")
    s.protect = True
    s.print_setup = PrintSetup(area="A1:E10")
    return s


def findings_sheet() -> SheetSpec:
    s = SheetSpec(
        F.FINDINGS,
        widths={"A": 6, "B": 8, "C": 26, "D": 10, "E": 10, "F": 80},
        tab_color="C00000",
        freeze="A4",
    )
    s.merge("A1:F1", "校验结果", "title")
    s.merge(
        "A2:F2", "尚未校验。点击功能区“绩效自评 → 校验”或运行 perfeval-xl validate 本文件 --mark。", "hint"
    )
    for col, head in zip("ABCDEF", ("序号", "级别", "代码", "工作表", "单元格", "说明"), strict=True):
        s.put(f"{col}3", head, "header")
    return s


def template_book(rules: RuleSet = DEFAULT_RULES) -> BookSpec:
    return BookSpec(
        sheets=[
            instructions_sheet(),
            info_sheet(),
            indicators_sheet(rules),
            scoring_sheet(rules),
            summary_sheet(None, None),
            findings_sheet(),
        ],
        names=defined_names(),
        properties={F.PROPERTY: F.TEMPLATE_VERSION, "perfeval-xl rules": rules.name},
        active=F.INFO,
    )
