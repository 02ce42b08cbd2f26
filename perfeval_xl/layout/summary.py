"""The 自评表 (summary table) in the official layout, as a live template or as a filled snapshot.

Layout (official-rules.md §1, §2): title and （20XX年度）; 项目名称 / 部门（单位）名称; 主管部门 | 实施单位;
the money block (年初预算数 | 全年预算数 | 全年执行数 | 分值 | 执行率 | 得分; rows 年度资金总额 and three 其中 rows);
年度总体目标 (预期目标 | 实际完成情况); 绩效指标 (一级 | 二级 | 三级 | 年度指标值 | 实际完成值 | 分值 | 得分 |
偏差原因分析及改进措施); 总分 | 100 | total; signatures and stamp.

Interpretations: the 部门整体 table's money block is not confirmed nationally (official-rules-sources.md §2.1);
we keep the project table's skeleton and use the income sources (一般公共预算拨款 / 政府性基金拨款 / 其他收入,
全年预算数 only) as its 其中 rows, the split the seed report gives. The grade is shown beside the total.

``summary_sheet(None, None)`` is the template's live version: formulas that follow the input sheets, with
the first ``LIVE_ROWS`` indicator rows. ``summary_sheet(ev, scores)`` is what ``perfeval-xl summary`` writes:
the model's values, exactly one row per indicator, equal 一级/二级 cells merged, ready to print and stamp.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from ..display import actual_text, plain, target_text
from ..model import Evaluation, Indicator, Kind, Num
from ..rules.scoring import Scores
from . import fields as F
from .spec import CellValue, PrintSetup, SheetSpec, absolute

LIVE_ROWS = 20
COLS = "ABCDEFGHI"
WIDTHS = {"A": 13, "B": 10, "C": 12, "D": 22, "E": 12, "F": 12, "G": 7, "H": 8, "I": 24}
LINE_HEIGHT = 15  # points per wrapped line at 11 pt
IND_HEADERS = (
    "一级指标",
    "二级指标",
    "三级指标",
    "年度指标值",
    "实际完成值",
    "分值",
    "得分",
    "偏差原因分析及改进措施",
)
FUND_HEADERS = ("年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分")
PROJECT_FUND_ROWS = ("其中：当年财政拨款", "上年结转资金", "其他资金")
DEPARTMENT_FUND_ROWS = ("其中：一般公共预算拨款", "政府性基金拨款", "其他收入")
DASH = "—"


def _ref(sheet: str, cell: str) -> str:
    return absolute(sheet, cell)


def _show(ref: str) -> str:
    """A formula showing ``ref``, blank (not 0) while it is empty."""
    return f'=IF({ref}="","",{ref})'


def summary_sheet(ev: Evaluation | None, scores: Scores | None) -> SheetSpec:
    live = ev is None
    s = SheetSpec(F.SUMMARY, widths=dict(WIDTHS), tab_color="C00000")
    info = F.FIELD_BY_KEY
    kind_ref = _ref(F.INFO, info["kind"].cell)
    is_project_f = f'{kind_ref}="{Kind.PROJECT.value}"'
    is_project = (not live) and ev.kind == Kind.PROJECT  # type: ignore[union-attr]

    # In the live version ``value`` is the formula's result in the empty template (its cached value).
    def put(ref: str, value: CellValue, style: str, formula: str | None = None) -> None:
        if formula:
            s.put(ref, None, style, formula=formula, cached="" if value is None else value)
        else:
            s.put(ref, value, style)

    def merge(ref: str, value: CellValue, style: str, formula: str | None = None) -> None:
        if formula:
            s.merge(ref, None, style, formula=formula, cached="" if value is None else value)
        else:
            s.merge(ref, value, style)

    # Title block
    if live:
        merge(
            "A1:I1",
            "部门整体支出绩效自评表",
            "p_title",
            f'=IF({is_project_f},"项目支出绩效自评表","部门整体支出绩效自评表")',
        )
        year = _ref(F.INFO, info["year"].cell)
        merge(
            "A2:I2",
            "（    年度）",
            "p_subtitle",
            f'=IF(ISNUMBER({year}),"（"&{year}&"年度）","（    年度）")',
        )
    else:
        assert ev is not None
        merge("A1:I1", "项目支出绩效自评表" if is_project else "部门整体支出绩效自评表", "p_title")
        year_text = plain(ev.year) if isinstance(ev.year, Decimal) else (ev.year or "    ")
        merge("A2:I2", f"（{year_text}年度）", "p_subtitle")
    s.heights[1] = 30

    # Header rows
    unit_ref = _ref(F.INFO, info["unit_name"].cell)
    project_ref = _ref(F.INFO, info["project_name"].cell)
    dept_ref = _ref(F.INFO, info["department"].cell)
    code_ref = _ref(F.INFO, info["unit_code"].cell)
    if live:
        put("A3", "部门（单位）名称", "p_label", f'=IF({is_project_f},"项目名称","部门（单位）名称")')
        merge(
            "B3:I3",
            None,
            "p_text",
            f'=IF({is_project_f},IF({project_ref}="","",{project_ref}),IF({unit_ref}="","",{unit_ref}))',
        )
        put("A4", "主管部门", "p_label")
        merge("B4:E4", None, "p_text", _show(dept_ref))
        put("F4", "单位编码", "p_label", f'=IF({is_project_f},"实施单位","单位编码")')
        merge(
            "G4:I4",
            None,
            "p_text",
            f'=IF({is_project_f},IF({unit_ref}="","",{unit_ref}),IF({code_ref}="","",{code_ref}))',
        )
    else:
        assert ev is not None
        put("A3", "项目名称" if is_project else "部门（单位）名称", "p_label")
        merge("B3:I3", ev.project_name if is_project else ev.unit_name, "p_text")
        put("A4", "主管部门", "p_label")
        merge("B4:E4", ev.department, "p_text")
        put("F4", "实施单位" if is_project else "单位编码", "p_label")
        merge("G4:I4", ev.unit_name if is_project else ev.unit_code, "p_text")
    s.heights[3] = s.heights[4] = 28

    # Money block: rows 5..9
    if live:
        merge(
            "A5:A9",
            "部门资金（万元）",
            "p_label",
            f'=IF({is_project_f},"项目资金（万元）","部门资金（万元）")',
        )
    else:
        merge("A5:A9", "项目资金（万元）" if is_project else "部门资金（万元）", "p_label")
    merge("B5:C5", None, "p_label")
    s.heights[5] = s.heights[6] = 22
    for col, head in zip("DEFGHI", FUND_HEADERS, strict=True):
        put(f"{col}5", head, "p_label")
    merge("B6:C6", "年度资金总额", "p_center")
    total_cells = [info[f"budget.total.{k}"].cell for k in ("initial", "adjusted", "executed")]
    if live:
        for col, cell in zip("DEF", total_cells, strict=True):
            put(f"{col}6", None, "p_money", _show(_ref(F.INFO, cell)))
        put("G6", Decimal(10), "p_score", _show(_ref(F.INFO, info["execution_weight"].cell)))
        put("H6", None, "p_percent", "=执行率")
        put("I6", None, "p_score", "=执行率得分")
    else:
        assert ev is not None and scores is not None
        b = ev.budget.total
        for col, v in zip("DEF", (b.initial, b.adjusted, b.executed), strict=True):
            put(f"{col}6", _cell_number(v), "p_money")
        put("G6", _cell_number(ev.execution_weight), "p_score")
        put("H6", scores.execution_rate, "p_percent")
        put("I6", scores.execution_score, "p_score")
    sub_keys = ("appropriation", "carried_over", "other_funds")
    dept_keys = ("general_public", "government_fund", "other_income")
    for i, row in enumerate((7, 8, 9)):
        if live:
            label = f'=IF({is_project_f},"{PROJECT_FUND_ROWS[i]}","{DEPARTMENT_FUND_ROWS[i]}")'
            merge(f"B{row}:C{row}", DEPARTMENT_FUND_ROWS[i], "p_center", label)
            for col, part in zip("DEF", ("initial", "adjusted", "executed"), strict=True):
                proj = _ref(F.INFO, info[f"budget.{sub_keys[i]}.{part}"].cell)
                if part == "adjusted":
                    dept = _ref(F.INFO, info[f"budget.{dept_keys[i]}"].cell)
                    formula = f'=IF({is_project_f},IF({proj}="","",{proj}),IF({dept}="","",{dept}))'
                else:
                    formula = f'=IF({is_project_f},IF({proj}="","",{proj}),"{DASH}")'
                put(f"{col}{row}", None if part == "adjusted" else DASH, "p_money", formula)
        else:
            assert ev is not None
            merge(
                f"B{row}:C{row}", (PROJECT_FUND_ROWS if is_project else DEPARTMENT_FUND_ROWS)[i], "p_center"
            )
            if is_project:
                line = getattr(ev.budget, sub_keys[i])
                for col, v in zip("DEF", (line.initial, line.adjusted, line.executed), strict=True):
                    put(f"{col}{row}", _cell_number(v), "p_money")
            else:
                put(f"D{row}", DASH, "p_center")
                put(f"E{row}", _cell_number(getattr(ev.budget, dept_keys[i])), "p_money")
                put(f"F{row}", DASH, "p_center")
        for col in "GHI":
            put(f"{col}{row}", DASH, "p_center")
        s.heights[row] = 20

    # Goals: rows 10..11
    merge("A10:A11", "年度总体目标", "p_label")
    merge("B10:E10", "预期目标", "p_label")
    merge("F10:I10", "实际完成情况", "p_label")
    if live:
        merge("B11:E11", None, "p_text", _show(_ref(F.INFO, info["goal_expected"].cell)))
        merge("F11:I11", None, "p_text", _show(_ref(F.INFO, info["goal_actual"].cell)))
    else:
        assert ev is not None
        merge("B11:E11", ev.goal_expected, "p_text")
        merge("F11:I11", ev.goal_actual, "p_text")
    goal_width = sum(WIDTHS[c] for c in "BCDE")
    s.heights[11] = (
        60 if live else max(60.0, row_height((ev.goal_expected, goal_width), (ev.goal_actual, goal_width)))
    )  # type: ignore[union-attr]

    # Indicators
    head = 12
    for col, text in zip("BCDEFGHI", IND_HEADERS, strict=True):
        put(f"{col}{head}", text, "p_label")
    s.heights[head] = 30
    if live:
        n = LIVE_ROWS
        _live_indicator_rows(s, head + 1)
    else:
        assert ev is not None and scores is not None
        n = max(len(ev.indicators), 1)
        _snapshot_indicator_rows(s, head + 1, ev.indicators, scores)
    merge(f"A{head}:A{head + n}", "绩效指标", "p_label")

    # Total, signatures, note
    total_row = head + n + 1
    merge(f"A{total_row}:F{total_row}", "总分", "p_label")
    if live:
        put(f"G{total_row}", Decimal(10), "p_total", f"='{F.SCORING}'!$B${F.SCORING_TOTAL_ROW}")
        put(f"H{total_row}", None, "p_total", "=总分")
        put(f"I{total_row}", None, "p_center", '=IF(等级="","","等级："&等级)')
    else:
        assert ev is not None and scores is not None
        weight_total = _number(ev.execution_weight) + sum(
            (i.weight for i in scores.indicators if i.weight is not None), Decimal(0)
        )
        put(f"G{total_row}", weight_total, "p_total")
        put(f"H{total_row}", scores.total, "p_total")
        put(f"I{total_row}", f"等级：{scores.grade}" if scores.grade else "", "p_center")
    s.heights[total_row] = 24
    sign = total_row + 2
    filled_by = "" if live else ev.filled_by  # type: ignore[union-attr]
    filled_on = "" if live else ev.filled_on  # type: ignore[union-attr]
    merge(f"A{sign}:C{sign}", f"填报人：{filled_by}", "p_footer")
    merge(f"D{sign}:E{sign}", "财务负责人：", "p_footer")
    merge(f"F{sign}:G{sign}", "单位负责人：", "p_footer")
    merge(f"H{sign}:I{sign}", f"填报日期：{filled_on}", "p_footer")
    merge(f"F{sign + 2}:I{sign + 2}", "单位（盖章）", "p_footer")
    note = (
        "注：执行率得分 = 分值 × min(全年执行数 ÷ 全年预算数, 100%)；定量指标按完成比例计分，不超过分值；"
        "定性指标按达成（80%–100%）、部分达成（60%–80%）、未达成（0–60%）档次评分；金额单位：万元。"
    )
    if live:
        note += f"本表前 {LIVE_ROWS} 条指标随填报实时更新；正式打印前请点击“生成自评表”或运行 perfeval-xl summary。"
    merge(f"A{sign + 4}:I{sign + 4}", note, "p_footnote")
    s.heights[sign + 4] = 42
    s.print_setup = PrintSetup(
        landscape=False,
        fit_width=1,
        fit_height=0,
        area=f"A1:I{sign + 4}",
        repeat_rows=f"{head}:{head}",
        margins_cm=(1.5, 2.0, 1.5, 1.2),
    )
    return s


def _number(v: Num) -> Decimal:
    return v if isinstance(v, Decimal) else Decimal(0)


def _cell_number(v: Num) -> CellValue:
    """A number stays a number; text the clerk typed is shown as typed (validation reports it)."""
    return v


def _live_indicator_rows(s: SheetSpec, first: int) -> None:
    C = F.COLUMN_BY_KEY
    for i in range(LIVE_ROWS):
        src = F.INDICATOR_FIRST_ROW + i
        r = first + i

        def ref(key: str, src: int = src) -> str:
            return f"'{F.INDICATORS}'!${C[key].letter}{src}"

        name = ref("name")
        blank = f'{name}=""'
        s.put(f"B{r}", None, "p_center", formula=f'=IF({blank},"",{ref("level1")}&"")')
        s.put(f"C{r}", None, "p_center", formula=f'=IF({blank},"",{ref("level2")}&"")')
        s.put(f"D{r}", None, "p_text", formula=f'=IF({blank},"",{name}&"")')
        op, tgt, unit = ref("operator"), ref("target"), ref("unit")
        s.put(
            f"E{r}",
            None,
            "p_center",
            formula=f'=IF({blank},"",IF({op}="定性",{tgt}&"",{op}&{tgt}&{unit}))',
        )
        act, band = ref("actual"), ref("band")
        s.put(
            f"F{r}",
            None,
            "p_center",
            formula=f'=IF({blank},"",IF({op}="定性",IF({band}<>"",{band}&"",{act}&""),IF(ISNUMBER({act}),{act}&{unit},{act}&"")))',
        )
        s.put(f"G{r}", None, "p_score", formula=f'=IF({blank},"",{ref("weight")})')
        s.put(f"H{r}", None, "p_score", formula=f'=IF({blank},"",{ref("rule_score")})')
        s.put(f"I{r}", None, "p_text", formula=f'=IF({blank},"",{ref("deviation_note")}&"")')
        s.heights[r] = 30


def row_height(*texts_and_widths: tuple[str, float]) -> float:
    """A row tall enough for its wrapped texts (a CJK character is about two width units)."""
    lines = 1
    for text, width in texts_and_widths:
        units = sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
        per_line = max(int(width * 0.85) - 1, 4)  # 仿宋 runs a little wider than the column unit
        lines = max(lines, -(-units // per_line), text.count("\n") + 1)
    return max(20.0, LINE_HEIGHT * lines + 4)


def _runs(values: Sequence[str]) -> list[tuple[int, int]]:
    """(start, end) index pairs of consecutive equal values."""
    out: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start]:
            out.append((start, i - 1))
            start = i
    return out


def _snapshot_indicator_rows(
    s: SheetSpec, first: int, indicators: Sequence[Indicator], scores: Scores
) -> None:
    if not indicators:
        for col in "BCDEFGHI":
            s.put(f"{col}{first}", None, "p_center")
        return
    level1 = [i.level1.strip() for i in indicators]
    level12 = [f"{i.level1.strip()}\x00{i.level2.strip()}" for i in indicators]
    for col, values, labels in (
        ("B", level1, level1),
        ("C", level12, [i.level2.strip() for i in indicators]),
    ):
        for a, b in _runs(values):
            if b > a:
                s.merge(f"{col}{first + a}:{col}{first + b}", labels[a], "p_center")
            else:
                s.put(f"{col}{first + a}", labels[a], "p_center")
    for k, (ind, sc) in enumerate(zip(indicators, scores.indicators, strict=True)):
        r = first + k
        s.put(f"D{r}", ind.name, "p_text")
        s.put(f"E{r}", target_text(ind), "p_center")
        s.put(f"F{r}", actual_text(ind), "p_center")
        s.put(f"G{r}", ind.weight if isinstance(ind.weight, Decimal) else (ind.weight or ""), "p_score")
        if sc.applicable:
            s.put(f"H{r}", sc.score, "p_score")
        else:
            s.put(f"H{r}", "/", "p_center")
        s.put(f"I{r}", ind.deviation_note, "p_text")
        s.heights[r] = row_height(
            (ind.name, WIDTHS["D"]),
            (ind.deviation_note, WIDTHS["I"]),
            (ind.level2, WIDTHS["C"]),
            (actual_text(ind), WIDTHS["F"]),
        )
