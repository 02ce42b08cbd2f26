"""The template workbook of one scoring scheme, described once: every sheet, input cell, dropdown and formula.

Formulas come from the rules' own expressions (rules.scoring, rules.checks) rendered against the addresses in
fields.py and the hidden helper sheets of layout.live, so the workbook computes and checks exactly what
Python computes (the parity tests recalculate it in LibreOffice). The scheme gives the labels, the fund rows,
the dropdowns, the weights, the methods and the thresholds; the workbook records its scheme (id and digest)
as document properties, so every command later knows which rules it was made for.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from ..display import plain
from ..model import Level
from ..rules import scoring
from ..rules.expr import Abs, And, Const, Expr, If, IsNumber, Mid, Not, Ref, Sum, Text, evaluate
from ..rules.scheme import Scheme, default_scheme
from . import fields as F
from . import live
from .spec import BookSpec, Highlight, PrintSetup, SheetSpec, Validation, absolute
from .styles import MARK_FILLS
from .summary import summary_sheet

MARK_FONTS = {Level.ERROR: "9C0006", Level.WARNING: "9C5700"}


def formula(
    expr: Expr, refs: Callable[[str], str], blank: dict[str, object] | None = None
) -> dict[str, object]:
    """A rule rendered as a formula, with its value in the empty template as the cached result."""
    return live.formula(expr, refs, blank)


def scoring_refs(scheme: Scheme) -> Callable[[str], str]:
    """Input names of the headline formulas → cells and ranges (valid from any sheet)."""
    heads = live.headline_refs()
    book = live.book_refs(scheme)

    def ref(name: str) -> str:
        return heads[name] if name in heads else book(name)

    return ref


def _blank_headline(scheme: Scheme) -> dict[str, object]:
    """The headline values of the empty template (its cached results)."""
    env: dict[str, object] = {
        scoring.EXEC_WEIGHT: scheme.execution.weight,
        scoring.ADJUSTED: None,
        scoring.EXECUTED: None,
    }
    env[scoring.RATE] = evaluate(scoring.execution_rate_expr(), env)  # type: ignore[arg-type]
    env[scoring.EXEC_SCORE] = evaluate(scoring.execution_score_expr(scheme), env)  # type: ignore[arg-type]
    row = live._blank_row_values(scheme)
    for name in (*scoring.COLUMN_RANGES, "filled"):
        env[name] = [row.get(name, "")] * F.INDICATOR_ROWS
    env[scoring.COMPLETE] = evaluate(scoring.complete_expr(scheme.tolerance), env)  # type: ignore[arg-type]
    env[scoring.TOTAL] = evaluate(scoring.total_expr(), env)  # type: ignore[arg-type]
    return {k: ("" if v is None else v) for k, v in env.items()}


def defined_names(scheme: Scheme) -> dict[str, str]:
    """Workbook-level names: the headline cells, the live counts, the main input cells and ranges."""
    info = F.FIELD_BY_KEY
    return {
        "执行率": absolute(F.SCORING, F.RATE_CELL),
        "执行率得分": absolute(F.SCORING, F.EXEC_SCORE_CELL),
        "总分": absolute(F.SCORING, F.TOTAL_CELL),
        "等级": absolute(F.SCORING, F.GRADE_CELL),
        "错误数": absolute(F.SCORING, F.ERRORS_CELL),
        "警告数": absolute(F.SCORING, F.WARNINGS_CELL),
        "未计总分原因": absolute(F.SCORING, F.REASON_CELL),
        "单位名称": absolute(F.INFO, info["unit_name"].cell),
        "单位编码": absolute(F.INFO, info["unit_code"].cell),
        "评价年度": absolute(F.INFO, info["year"].cell),
        "年初预算数": absolute(F.INFO, info["budget.total.initial"].cell),
        "全年预算数": absolute(F.INFO, info["budget.total.adjusted"].cell),
        "全年执行数": absolute(F.INFO, info["budget.total.executed"].cell),
        "执行率分值": absolute(F.INFO, info["execution_weight"].cell),
        "指标表": absolute(F.INDICATORS, f"A{F.INDICATOR_FIRST_ROW}:P{F.INDICATOR_LAST_ROW}"),
        "指标分值": _column(F.INDICATORS, "J"),
        "指标得分": _column(F.INDICATORS, "L"),
        "_计分分值": live.column_range(scheme, scoring.APPLICABLE_WEIGHTS),
    }


def _column(sheet: str, letter: str) -> str:
    return absolute(sheet, f"{letter}{F.INDICATOR_FIRST_ROW}:{letter}{F.INDICATOR_LAST_ROW}")


def counts_formula() -> str:
    return '="错误 "&错误数&" 项，警告 "&警告数&" 项"'


def _counts_text(scheme: Scheme, prefix: str = "", suffix: str = "") -> str:
    """The live count line as the empty template shows it (its cached value)."""
    counts = live.blank_counts(scheme, _blank_headline(scheme))
    return f"{prefix}错误 {counts[Level.ERROR]} 项，警告 {counts[Level.WARNING]} 项{suffix}"


# ------------------------------------------------------------------------------------------- sheets


def instructions_sheet(scheme: Scheme) -> SheetSpec:
    s = SheetSpec(F.INSTRUCTIONS, widths={"A": 4, "B": 100}, tab_color="808080")
    s.merge("A1:B1", "预算绩效自评表 填报说明", "title")
    s.merge("A2:B2", f"评分规则：{scheme.name}（{scheme.id}，摘要 {scheme.digest}）", "hint")
    ew = plain(scheme.execution.weight)
    weights = "、".join(f"{x.name} {plain(x.weight)}" for x in scheme.level1 if x.weight is not None)
    split = f"一级指标分值：{weights}，" if weights else ""
    exec_text = {
        "linear": f"执行率得分 = {ew} × min(执行率, 100%)",
        "bands": "执行率得分按规则的分档表",
        "deduction": "执行率得分按规则的扣分办法",
        "row": f"执行率不单独计分，作为指标“{scheme.execution.row}”计分",
    }[scheme.execution.method.kind]
    bands = "；".join(f"{q.name} {plain(q.lower * 100)}%–{plain(q.upper * 100)}%" for q in scheme.qualitative)
    grades = "；".join(f"{g.label} ≥ {plain(g.lower)}" for g in scheme.grades[:-1])
    lines = [
        "本工作簿由 perfeval-xl 生成。黄色单元格为填报项，灰色单元格由公式自动计算，请勿修改。“问题”列和红、橙色标记由公式实时校验。",
        "填报顺序：先填“基本信息”（单位、年度、预算与执行数，金额单位为万元），再在“绩效指标”逐行填写三级指标。",
        f"执行率 = 全年执行数 ÷ 全年预算数；{exec_text}。",
        "年度指标值可以写成表上的样子：“≥50个”“≤3个工作日”“不少于12种”“90%以上”“100%”。指标性质可留空：按指标值中的符号计分；"
        "只写数字（如“100%”）时按正向计分并提示确认。实际完成值只填完成的数值（可带单位）。",
        "定量指标：正向（≥）完成即得满分，未完成按 实际值 ÷ 指标值 × 分值；反向（≤）超出时按 指标值 ÷ 实际值 × 分值"
        f"{'（R2：分值 × (1 − 超出比例)）' if scheme.reverse == 'R2' else ''}；指标值为 0 的反向指标实际为 0 即满分。得分不超过分值。",
        f"定性指标：在“自评得分”填写档次区间内的分数（{bands}），完成档次可选可不选（不选时按得分推定）；"
        "得分超出 0 至分值的范围时该项不计分，总分不计。",
        "不适用的指标在“实际完成值”填 /，不计分，总分按适用指标折算为百分制。",
        f"{split}各指标分值与执行率分值合计须为 100 分；得分低于分值的指标须填写偏差原因。",
        f"总分只在数据完整时计算（执行率可算、每项指标都能计分、分值合计 100），否则显示“未计总分”及原因。等级：{grades}。",
    ]
    methods = [m.name for m in scheme.methods] + [f"{c.name}（按规则专门计分）" for c in scheme.common]
    if methods:
        lines.append("本规则的特殊计分：" + "；".join(methods) + "。")
    lines += [
        "下列检查只在用 perfeval-xl 校验时进行（工作簿公式做不到）：公式写在填报单元格中（FORMULA_IN_INPUT）、"
        "公式没有保存计算结果（FORMULA_NO_VALUE）、指标写在模板公式区域之外（ROW_OUTSIDE_TEMPLATE）；"
        "其余检查都由本工作簿的公式实时完成，结果与 perfeval-xl 校验相同。",
        "一级、二级指标可以像正式表格一样每组只写一次（写在第一行，或合并单元格）：下面留空的行属于同一组；"
        "中间的空行不影响分组；换了一级的行不沿用上一组的二级。",
        "校验并标注：点击功能区“绩效自评 → 校验”，或运行 perfeval-xl validate 本文件.xlsx --mark。",
        "自评表：“自评表”表随填报实时更新，Excel 中按已填指标的行数打印；在 LibreOffice 中打印时，表格之后会多出只有表头的"
        "空白页，请在打印对话框中只选有内容的页，或运行 perfeval-xl pdf 本文件.xlsx。点击“生成自评表”或运行 "
        "perfeval-xl summary 本文件.xlsx 生成每条指标一行的正式表格。",
    ]
    nums = "一二三四五六七八九十"
    for i, text in enumerate(lines, start=3):
        k = i - 3
        label = (nums[k] if k < 10 else "十" + nums[k - 10]) + "、"
        s.put(f"A{i}", label, "note")
        s.put(f"B{i}", text, "note")
        s.heights[i] = 32
    s.protect = True
    s.print_setup = PrintSetup(area=f"A1:B{2 + len(lines)}")
    return s


def info_sheet(scheme: Scheme) -> SheetSpec:
    P = F.INFO_PROBLEM_COL
    s = SheetSpec(F.INFO, widths={"A": 26, "B": 16, "C": 16, "D": 16, "E": 44, P: 40}, tab_color="FFC000")
    s.merge("A1:E1", "基本信息与预算执行情况", "title")
    s.put(f"{P}1", None, "count", formula=counts_formula(), cached=_counts_text(scheme))
    s.merge(
        "A2:E2",
        "黄色单元格为填报项，带 * 为必填；金额单位：万元。灰色单元格由公式计算；右侧“问题”列实时校验。",
        "hint",
    )
    s.heights[1] = 28
    total_row = F.FUND_TOTAL_ROW
    sections = {
        3: "一、基本信息",
        12: "二、预算执行情况（万元）",
        _row("budget.general_public") - 1: "三、部门整体收支（部门整体支出填写；全年预算数，万元）",
        _row("goal_expected") - 1: "四、年度总体目标",
        _row("text.duties") - 1: "五、自评报告文字（生成自评报告时使用，可留空）",
    }
    for row, title in sections.items():
        s.merge(f"A{row}:E{row}", title, "section")
    s.put(f"{P}3", "问题（自动校验）", "header")
    heads = ("资金", scheme.label("initial"), scheme.label("adjusted"), scheme.label("executed"), "说明")
    for col, head in zip("ABCDE", heads, strict=True):
        s.put(f"{col}13", head, "header")
    used = {row.key: row.label for row in scheme.fund_rows}
    fund_labels = {total_row: "年度资金总额 *"}
    for i, key in enumerate(F.FUND_SLOTS):
        row = F.FUND_SLOT_ROWS[key]
        label = used.get(key, F.FUND_SLOT_LABELS[key])
        first_used = next((k for k in F.FUND_SLOTS if k in used), "")
        fund_labels[row] = ("其中：" if key == first_used else "　　　") + label
        del i
    s.hidden_rows = tuple(F.FUND_SLOT_ROWS[k] for k in F.FUND_SLOTS if k not in used)
    for row, label in fund_labels.items():
        s.put(f"A{row}", label, "label_required" if row == total_row else "label")
    s.put(f"E{total_row}", f"{scheme.label('adjusted')}、{scheme.label('executed')}必填", "note")
    first_slot = F.FUND_SLOT_ROWS[next(k for k in F.FUND_SLOTS if k in used)]
    s.put(f"E{first_slot}", "其中各行之和应等于年度资金总额", "note")

    style_of = {
        "text": "input_text",
        "longtext": "input_longtext",
        "number": "input_number",
        "integer": "input_integer",
        "choice": "input_choice",
        "score": "input_score",
        "percent": "input_percent",
    }
    fund_cells = {f.cell for f in F.FIELDS if f.key.startswith("budget.") and f.key.count(".") == 2}
    ew_row = F.EXEC_WEIGHT_ROW
    for f in F.FIELDS:
        col, row = f.cell[0], int(f.cell[1:])
        label = f.label
        if f.key == "execution_weight":
            label = scheme.label("execution_weight")
        elif f.key == "budget.note":
            label = scheme.label("budget_note").split("（")[0]
        if f.cell not in fund_cells and col == "B":
            s.put(
                f"A{row}", label + (" *" if f.required else ""), "label_required" if f.required else "label"
            )
        style = style_of[f.kind]
        value: Decimal | None = scheme.execution.weight if f.key == "execution_weight" else None
        if f.merge_to:
            s.merge(f"{f.cell}:{f.merge_to}{row}", value, style)
        else:
            s.put(f.cell, value, style)
        if f.help and f.cell not in fund_cells and f.merge_to != "E" and col == "B":
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
                    error=f"{f.label}应为不小于 0 的数字。",
                    error_style="warning",
                )
            )
        elif f.kind == "integer":
            s.validations.append(
                Validation(
                    f.cell,
                    "whole",
                    minimum=2000,
                    maximum=2100,
                    error="评价年度应为四位年份，如 2023。",
                    error_style="warning",
                )
            )

    # computed displays beside the inputs
    s.put(f"A{ew_row + 1}", "执行率", "label")
    s.put(F.INFO_RATE_CELL, None, "calc_percent", formula="=执行率", cached="")
    s.put(f"A{ew_row + 2}", "执行率得分", "label")
    s.put(F.INFO_EXEC_SCORE_CELL, None, "calc_score", formula="=执行率得分", cached="")
    s.put(f"D{ew_row + 1}", "← 表上填写的执行率（可不填，填了则核对）", "note")
    s.put(f"D{ew_row + 2}", "← 表上填写的执行率得分（可不填）", "note")
    s.put(f"E{ew_row + 1}", f"= {scheme.label('executed')} ÷ {scheme.label('adjusted')}（自动计算）", "note")
    s.put(f"E{ew_row + 2}", "按评分规则自动计算", "note")
    income = F.INFO_INCOME_SUM_CELL
    r0 = int(F.FIELD_BY_KEY["budget.general_public"].cell[1:])
    s.put(f"A{income[1:]}", "收入合计", "label")
    s.put(
        income,
        None,
        "calc_money",
        formula=f'=IF(COUNT(B{r0}:B{r0 + 2})=0,"",SUM(B{r0}:B{r0 + 2}))',
        cached="",
    )
    s.put(f"E{income[1:]}", "应等于全年预算数", "note")
    spending = F.INFO_SPENDING_SUM_CELL
    basic, project = F.FIELD_BY_KEY["budget.basic"].cell, F.FIELD_BY_KEY["budget.project"].cell
    s.put(f"A{spending[1:]}", "支出合计（基本支出 + 项目支出）", "label")
    s.put(
        spending,
        None,
        "calc_money",
        formula=f'=IF(COUNT({basic},{project})=0,"",SUM({basic},{project}))',
        cached="",
    )
    s.put(f"E{spending[1:]}", "应等于全年预算数；基本支出应等于其下三项之和", "note")

    # live problems beside each row, and the marks on the input cells
    holding = live.blank_holding(scheme, _blank_headline(scheme))
    by_row: dict[int, set[str]] = {}
    for f in F.FIELDS:
        by_row.setdefault(int(f.cell[1:]), set()).add(f.cell)
    for row, cells in sorted(by_row.items()):
        text = live.field_problem_formula(scheme, cells)
        if text:
            cached = live.problem_text([b for b in holding if b.sheet == F.INFO and b.cell in cells])
            s.put(f"{P}{row}", None, "calc_problem", formula=text, cached=cached)
        for cell in cells:
            target = cell
            merged = F.FIELD_BY_KEY[next(f.key for f in F.FIELDS if f.cell == cell)].merge_to
            area = f"{cell}:{merged}{row}" if merged else cell
            for level in (Level.ERROR, Level.WARNING):
                cond = live.book_mark_formula(scheme, target, level)
                if cond:
                    s.highlights.append(
                        Highlight(
                            area, cond, MARK_FILLS[level.value], MARK_FONTS[level], bold=True, border=True
                        )
                    )
    s.freeze = "A3"
    s.protect = True
    s.print_setup = PrintSetup(area=f"A1:{P}{F.INFO_LAST_ROW}")
    return s


def _row(key: str) -> int:
    return int(F.FIELD_BY_KEY[key].cell[1:])


def _indicator_validations(scheme: Scheme) -> list[Validation]:
    first, last = F.INDICATOR_FIRST_ROW, F.INDICATOR_LAST_ROW
    col = F.COLUMN_BY_KEY
    out = []

    def lst(key: str, choices: tuple[str, ...], stop: bool, help_: str = "") -> None:
        c = col[key]
        out.append(
            Validation(
                f"{c.letter}{first}:{c.letter}{last}",
                "list",
                choices,
                prompt_title=scheme.label(key)
                if key in ("level1", "level2", "operator", "method")
                else c.header,
                prompt=help_ or c.help,
                error=f"请从下拉列表选择{c.header}（也可照表上的写法填写，校验会识别别名）。",
                error_style="stop" if stop else "warning",
            )
        )

    if not scheme.flat:
        lst("level1", scheme.level1_names, False, "可填别名，如“产出”")
        level2 = tuple(dict.fromkeys(y.name for x in scheme.level1 for y in x.level2))
        if level2:
            lst("level2", level2, False, F.LEVEL2_HINT)
    lst("operator", F.OPERATOR_CHOICES, False)
    lst("band", (*(q.name for q in scheme.qualitative), "/"), False)
    if scheme.methods:
        lst("method", tuple(m.name for m in scheme.methods), True)
    for key in ("weight", "score"):
        c = col[key]
        out.append(
            Validation(
                f"{c.letter}{first}:{c.letter}{last}",
                "decimal",
                minimum=0,
                maximum=100,
                error_title="请输入数字",
                error=f"{c.header}应为 0–100 之间的数字。",
                error_style="warning",
            )
        )
    return out


def _uses_coefficient(scheme: Scheme) -> bool:
    kinds = {
        scheme.default_method.kind,
        *(m.kind for m in scheme.methods),
        *(c.method.kind for c in scheme.common),
    }
    return "coefficient" in kinds


def indicators_sheet(scheme: Scheme) -> SheetSpec:
    C = F.COLUMN_BY_KEY
    widths = {c.letter: c.width for c in F.COLUMNS}
    hidden = []
    if scheme.flat:
        hidden += [C["level1"].letter, C["level2"].letter]
    if not scheme.methods:
        hidden.append(C["method"].letter)
    if not _uses_coefficient(scheme):
        hidden.append(C["coefficient"].letter)
    s = SheetSpec(F.INDICATORS, widths=widths, tab_color="5B9BD5", hidden_columns=tuple(hidden))
    s.merge("A1:M1", "绩效指标", "title")
    s.put("N1", None, "count", formula=counts_formula(), cached=_counts_text(scheme))
    s.merge(
        "A2:M2",
        "每行一个三级指标。年度指标值可照表填写（≥50个、100%、3个工作日内），指标性质可留空；定性指标填自评得分；不适用填 /。"
        "“得分”和“问题”列自动计算。",
        "hint",
    )
    s.heights[2] = 30
    s.heights[F.INDICATOR_HEADER_ROW] = 30
    for c in F.COLUMNS:
        header = (
            scheme.label(c.key)
            if c.key
            in (
                "level1",
                "level2",
                "name",
                "operator",
                "target",
                "unit",
                "actual",
                "band",
                "weight",
                "score",
                "rule_score",
                "deviation_note",
                "method",
                "coefficient",
            )
            else c.header
        )
        s.put(f"{c.letter}{F.INDICATOR_HEADER_ROW}", header, "header")
    first, last = F.INDICATOR_FIRST_ROW, F.INDICATOR_LAST_ROW
    styles = {
        "text": "input_text",
        "choice": "input_choice",
        "value": "input_value",
        "number": "input_score",
        "score": "input_score",
        "longtext": "input_longtext",
    }
    for c in F.INPUT_COLUMNS:
        s.styled_ranges[f"{c.letter}{first}:{c.letter}{last}"] = styles[c.kind]
    s.validations += _indicator_validations(scheme)
    blank = live._blank_row_values(scheme)
    score_col, message_col = live.column_of(scheme, "score"), live.column_of(scheme, "message")
    for row in range(first, last + 1):
        s.put(f"A{row}", row - first + 1, "seq")
    score_ref = f"'{F.CALC}'!{score_col}{first}"
    s.put(
        f"{C['rule_score'].letter}{first}",
        None,
        "calc_score",
        formula=f'=IF({score_ref}="","",{score_ref})',
        cached=blank["score"],
    )
    s.fill_down(f"{C['rule_score'].letter}{first}", last)
    s.put(
        f"{C['problem'].letter}{first}",
        None,
        "calc_problem",
        formula=f"='{F.CALC}'!{message_col}{first}",
        cached="",
    )
    s.fill_down(f"{C['problem'].letter}{first}", last)
    for c in F.INPUT_COLUMNS:
        for level in (Level.ERROR, Level.WARNING):
            cond = live.mark_formula(scheme, c.key if c.key != "score" else "score", level, first)
            if cond:
                s.highlights.append(
                    Highlight(
                        f"{c.letter}{first}:{c.letter}{last}",
                        cond,
                        MARK_FILLS[level.value],
                        MARK_FONTS[level],
                        bold=True,
                        border=True,
                    )
                )
    s.freeze = f"E{first}"
    s.protect = True
    s.print_setup = PrintSetup(
        landscape=True, area=f"A1:N{last}", repeat_rows=f"{F.INDICATOR_HEADER_ROW}:{F.INDICATOR_HEADER_ROW}"
    )
    return s


def reason_expr(scheme: Scheme) -> Expr:
    """The one-line reason 总分 is blank, as the workbook shows it (the Python text also names the rows)."""
    ew, es = Ref(scoring.EXEC_WEIGHT), Ref(scoring.EXEC_SCORE)
    unscored, filled, bad = Sum(Ref(scoring.UNSCORED)), Sum(Ref("filled")), Sum(Ref(scoring.WEIGHT_TEXT))
    weight_sum = ew + Sum(Ref(scoring.WEIGHTS))
    parts = [
        If(filled.eq(0), "；没有绩效指标", ""),
        If(Not(IsNumber(ew)), "；执行率分值未填写", If(Not(IsNumber(es)), "；执行率无法计算", "")),
        If(
            unscored.gt(0),
            Const("；").cat(Text(unscored)).cat(" 项指标无法计分（见“绩效指标”表“问题”列）"),
            "",
        ),
        If(bad.gt(0), Const("；").cat(Text(bad)).cat(" 项指标的分值不是数值"), ""),
        If(
            And(IsNumber(ew), bad.eq(0)),
            If(
                Abs(weight_sum - 100).gt(scheme.tolerance),
                Text("；分值合计 ").cat(Text(weight_sum)).cat("，应为 100"),
                "",
            ),
            "",
        ),
    ]
    text: Expr = parts[0]
    for p in parts[1:]:
        text = text.cat(p)
    return If(
        Ref(scoring.COMPLETE), "", Text("未计总分：").cat(Mid(text, 2, 999))
    )  # without the leading "；"


def scoring_sheet(scheme: Scheme) -> SheetSpec:
    s = SheetSpec(F.SCORING, widths={"A": 22, "B": 12, "C": 12, "D": 12, "E": 56}, tab_color="70AD47")
    s.merge("A1:E1", "评分", "title")
    s.merge(
        "A2:E2",
        f"本表全部由公式计算，随“基本信息”和“绩效指标”的填写实时更新。评分规则：{scheme.name}。",
        "hint",
    )
    for col, head in zip("ABCDE", ("评分项目", "分值", "执行率", "得分", "说明"), strict=True):
        s.put(f"{col}3", head, "header")
    refs = scoring_refs(scheme)
    blank = _blank_headline(scheme)
    r = F.SCORING_EXEC_ROW
    s.put(f"A{r}", "预算执行率", "label")
    s.put(
        f"B{r}", None, "calc_score", formula=f"={refs(scoring.EXEC_WEIGHT)}", cached=scheme.execution.weight
    )
    s.put(F.RATE_CELL, None, "calc_percent", **formula(scoring.execution_rate_expr(), refs, blank))
    s.put(F.EXEC_SCORE_CELL, None, "calc_score", **formula(scoring.execution_score_expr(scheme), refs, blank))
    s.put(f"E{r}", f"执行率 = 全年执行数 ÷ 全年预算数；{_exec_note(scheme)}", "note")
    r = F.SCORING_SUM_ROW
    s.put(f"A{r}", "绩效指标合计", "label")
    s.put(
        f"B{r}",
        None,
        "calc_score",
        formula=f"=SUM({live.column_range(scheme, scoring.APPLICABLE_WEIGHTS)})",
        cached=0,
    )
    s.put(f"C{r}", None, "calc_text")
    s.put(f"D{r}", None, "calc_score", formula=f"=SUM({live.column_range(scheme, scoring.SCORES)})", cached=0)
    s.put(f"E{r}", "不适用的指标不计分值", "note")
    r = F.SCORING_TOTAL_ROW
    s.put(f"A{r}", scheme.label("total"), "label_required")
    # 1 or 0, shown as 数据完整 / 数据不完整 by its number format (TRUE/FALSE would read as English)
    complete = If(scoring.complete_expr(scheme.tolerance), 1, 0)
    s.put(F.COMPLETE_CELL, None, "calc_flag", **formula(complete, refs, blank))
    s.put(f"C{r}", None, "calc_text")
    s.put(F.TOTAL_CELL, None, "calc_total", **formula(scoring.total_expr(), refs, blank))
    s.put(f"E{r}", "数据完整时为各项得分之和（有不适用指标时折算为百分制）；B 列说明数据是否完整", "note")
    r = F.SCORING_GRADE_ROW
    s.put(f"A{r}", "等级", "label_required")
    s.put(f"B{r}", None, "calc_text")
    s.put(f"C{r}", None, "calc_text")
    blank_grade = dict(blank, **{scoring.TOTAL: blank.get(scoring.TOTAL)})
    s.put(F.GRADE_CELL, None, "calc_grade", **formula(scoring.grade_expr(scheme), refs, blank_grade))
    grades = "；".join(f"{g.label} ≥ {plain(g.lower)}" for g in scheme.grades[:-1])
    s.put(f"E{r}", f"{grades}；{scheme.grades[-1].label} < {plain(scheme.grades[-2].lower)}", "note")
    r = F.SCORING_REASON_ROW
    s.put(f"A{r}", "未计总分的原因", "label")
    reason = reason_expr(scheme)
    refs_reason = _reason_refs(refs)
    s.merge(f"B{r}:E{r}", None, "calc_problem", **formula(reason, refs_reason, blank))
    s.heights[r] = 30
    r = F.SCORING_PARTIAL_ROW
    s.put(f"A{r}", "已计得分（不是总分）", "label")
    s.put(f"B{r}", None, "calc_text")
    s.put(f"C{r}", None, "calc_text")
    s.put(F.PARTIAL_CELL, None, "calc_score", **formula(scoring.partial_expr(), refs, blank))
    s.put(f"E{r}", "能计分的部分之和；总分未计时供核对，不得作为总分", "note")
    r = F.SCORING_COUNTS_ROW
    s.put(f"A{r}", "校验：错误 / 警告", "label")
    counts = live.blank_counts(scheme, blank)
    s.put(
        F.ERRORS_CELL,
        None,
        "count",
        formula=live.count_formula(Level.ERROR, scheme),
        cached=counts[Level.ERROR],
    )
    s.put(f"C{r}", "警告", "label")
    s.put(
        F.WARNINGS_CELL,
        None,
        "count",
        formula=live.count_formula(Level.WARNING, scheme),
        cached=counts[Level.WARNING],
    )
    whole = live.whole_problem_formula(scheme)
    whole_cached = live.problem_text([b for b in live.blank_holding(scheme, blank) if b.sheet == F.SCORING])
    s.merge(
        f"A{r + 1}:E{r + 1}",
        None,
        "calc_problem",
        **({"formula": whole, "cached": whole_cached} if whole else {}),
    )
    s.heights[r + 1] = 30
    head = F.SCORING_LEVEL1_FIRST_ROW - 1
    if scheme.level1:
        for col, text in zip("ABCDE", ("一级指标", "计分分值", "", "得分", "规定分值"), strict=True):
            s.put(f"{col}{head}", text, "header")
        for i, x in enumerate(scheme.level1):
            row = F.SCORING_LEVEL1_FIRST_ROW + i
            s.put(f"A{row}", x.name, "label")
            s.put(
                f"B{row}",
                None,
                "calc_score",
                **formula(scoring.level1_sum_expr(x.name, scoring.APPLICABLE_WEIGHTS), refs, blank),
            )
            s.put(f"C{row}", None, "calc_text")
            s.put(
                f"D{row}",
                None,
                "calc_score",
                **formula(scoring.level1_sum_expr(x.name, scoring.SCORES), refs, blank),
            )
            s.put(f"E{row}", _weight_note(scheme, x.name), "note")
    s.protect = True
    s.print_setup = PrintSetup(area=f"A1:E{F.SCORING_LEVEL1_FIRST_ROW + len(scheme.level1)}")
    return s


def _reason_refs(refs: Callable[[str], str]) -> Callable[[str], str]:
    return refs


def _exec_note(scheme: Scheme) -> str:
    m = scheme.execution.method
    if m.kind == "linear":
        return "得分 = 分值 × min(执行率, 100%)"
    if m.kind == "row":
        return f"分值 0：执行率作为指标“{scheme.execution.row}”计分"
    return "得分按规则的分档或扣分办法"


def _weight_note(scheme: Scheme, name: str) -> str:
    for split in scheme.weight_splits[:1]:
        for g in split.groups:
            if name in g.level1:
                joint = "与".join(g.level1)
                return f"规定 {plain(g.weight)} 分" + (f"（{joint}合计）" if len(g.level1) > 1 else "")
    return "分值自定（合计须为 100）"


def findings_sheet(scheme: Scheme | None = None) -> SheetSpec:
    s = SheetSpec(
        F.FINDINGS,
        widths={"A": 6, "B": 8, "C": 26, "D": 10, "E": 10, "F": 80},
        tab_color="C00000",
        freeze="A4",
    )
    s.merge("A1:E1", "校验结果", "title")
    s.put(
        "F1",
        None,
        "count",
        formula='="实时校验：错误 "&错误数&" 项，警告 "&警告数&" 项（问题见各表“问题”列）"',
        cached=_counts_text(scheme or default_scheme(), "实时校验：", "（问题见各表“问题”列）"),
    )
    s.merge(
        "A2:F2",
        "尚未用 perfeval-xl 校验。点击功能区“绩效自评 → 校验”或运行 perfeval-xl validate 本文件 --mark。",
        "hint",
    )
    for col, head in zip("ABCDEF", ("序号", "级别", "代码", "工作表", "单元格", "说明"), strict=True):
        s.put(f"{col}3", head, "header")
    return s


def template_book(scheme: Scheme | None = None) -> BookSpec:
    scheme = scheme or default_scheme()
    blank = _blank_headline(scheme)
    return BookSpec(
        sheets=[
            instructions_sheet(scheme),
            info_sheet(scheme),
            indicators_sheet(scheme),
            scoring_sheet(scheme),
            summary_sheet(None, None, scheme),
            findings_sheet(scheme),
            live.calc_sheet(scheme),
            live.book_calc_sheet(scheme, blank),
        ],
        names=defined_names(scheme),
        properties={
            F.PROPERTY: F.TEMPLATE_VERSION,
            F.SCHEME_PROPERTY: scheme.id,
            F.SCHEME_DIGEST_PROPERTY: scheme.digest,
            F.SCHEME_NAME_PROPERTY: scheme.name,
        },
        active=F.INFO,
    )


__all__ = ["defined_names", "reason_expr", "scoring_refs", "template_book"]
