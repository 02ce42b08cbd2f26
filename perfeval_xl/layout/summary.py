"""The 自评表 (summary table) in the official layout, as a live template or as a filled snapshot.

Layout (official-rules.md §1, §2): title and （20XX年度）; 项目名称 / 部门（单位）名称; 主管部门 | 实施单位;
the money block (年初预算数 | 全年预算数 | 全年执行数 | 分值 | 执行率 | 得分; rows 年度资金总额 and the 其中 rows
of the scheme); 年度总体目标 (预期目标 | 实际完成情况); 绩效指标 (一级 | 二级 | 三级 | 年度指标值 | 实际完成值 |
分值 | 得分 | 偏差原因分析及改进措施); 总分 | 100 | total; signatures and stamp. Labels follow the scheme
(调整后预算数, 未完成原因分析, 权重 …).

Interpretations: the 部门整体 table's money block is not confirmed nationally (official-rules-sources.md §2.1);
we keep the project table's skeleton and use the income sources (一般公共预算拨款 / 政府性基金拨款 / 其他收入,
全年预算数 only) as its 其中 rows, the split the seed report gives. The grade is shown beside the total; when
there is no 总分 (issue 9 §6) the total cell says 未计 and the reason is printed beside it — never a number.

``summary_sheet(ev, scores, scheme)`` is what ``perfeval-xl summary`` writes: the model's values, exactly one
row per indicator, equal 一级/二级 cells merged, ready to print and stamp. ``summary_sheet(None, None,
scheme)`` is the template's live version (issue 13): formulas that list every filled indicator of
``绩效指标`` in order (the k-th row of the block shows the k-th filled row, found through the 计算 sheet), a
一级/二级 name once per group with a border above each group, and 总分, signatures and stamp right
after the last indicator (the note of the snapshot is left out: one cell cannot hold it). Excel prints exactly the used rows (a print area defined by formula); LibreOffice
ignores such a print area and prints the prepared rows too (README: what the clerk sees and does there).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from ..model import Evaluation, Indicator, Kind, Num
from ..rules.expr import plain
from ..rules.scheme import Scheme, default_scheme
from ..rules.scoring import Scores
from . import fields as F
from .spec import CellValue, Highlight, PrintSetup, SheetSpec, absolute

COLS = "ABCDEFGHI"
WIDTHS = {"A": 13, "B": 10, "C": 12, "D": 22, "E": 12, "F": 12, "G": 7, "H": 8, "I": 24}
LINE_HEIGHT = 15  # points per wrapped line at 11 pt
DEPARTMENT_FUND_ROWS = ("其中：一般公共预算拨款", "政府性基金拨款", "其他收入")
DEPARTMENT_FUND_KEYS = ("general_public", "government_fund", "other_income")
DASH = "—"
#: Rows of the live 自评表's indicator block: every row the 绩效指标 sheet allows, plus the footer rows.
LIVE_ROWS = F.INDICATOR_ROWS
LIVE_FOOTER_ROWS = 6  # 总分, a gap, signatures, a gap, the stamp, a gap
#: Helper columns of the live 自评表 (hidden): the block position k and the 绩效指标 row it shows.
K_COL, INDEX_COL, COUNT_CELL = "K", "L", "K1"


def ind_headers(scheme: Scheme) -> tuple[str, ...]:
    return (
        scheme.label("level1"),
        scheme.label("level2"),
        scheme.label("name"),
        scheme.label("target"),
        scheme.label("actual"),
        scheme.label("weight"),
        scheme.label("rule_score"),
        scheme.label("deviation_note"),
    )


def fund_headers(scheme: Scheme) -> tuple[str, ...]:
    return (
        scheme.label("initial"),
        scheme.label("adjusted"),
        scheme.label("executed"),
        scheme.label("weight"),
        "执行率",
        scheme.label("rule_score"),
    )


def project_fund_rows(scheme: Scheme) -> tuple[str, ...]:
    labels = [row.label for row in scheme.fund_rows]
    return tuple(("其中：" if i == 0 else "") + label for i, label in enumerate(labels))


def _ref(sheet: str, cell: str) -> str:
    return absolute(sheet, cell)


def _show(ref: str) -> str:
    """A formula showing ``ref``, blank (not 0) while it is empty."""
    return f'=IF({ref}="","",{ref})'


def summary_sheet(ev: Evaluation | None, scores: Scores | None, scheme: Scheme | None = None) -> SheetSpec:
    scheme = scheme or default_scheme()
    live = ev is None
    s = SheetSpec(F.SUMMARY, widths=dict(WIDTHS), tab_color="C00000")
    # Both versions share the frame (columns, print setup) so that a snapshot replaces the live sheet in
    # place (xlsx.fastfill keeps the template's frame): the live block's helper columns are hidden in both.
    s.widths[K_COL] = s.widths[INDEX_COL] = 6
    s.hidden_columns = (K_COL, INDEX_COL)
    info = F.FIELD_BY_KEY
    kind_ref = _ref(F.INFO, info["kind"].cell)
    is_project_f = f'{kind_ref}="{Kind.PROJECT.value}"'
    is_project = (not live) and ev.kind == Kind.PROJECT  # type: ignore[union-attr]
    fund_rows = project_fund_rows(scheme)
    n_fund = max(len(fund_rows), len(DEPARTMENT_FUND_ROWS))

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

    # Money block: rows 5 .. 6 + n_fund
    last_money = 6 + n_fund
    if live:
        merge(
            f"A5:A{last_money}",
            "部门资金（万元）",
            "p_label",
            f'=IF({is_project_f},"项目资金（万元）","部门资金（万元）")',
        )
    else:
        merge(f"A5:A{last_money}", "项目资金（万元）" if is_project else "部门资金（万元）", "p_label")
    merge("B5:C5", None, "p_label")
    s.heights[5] = s.heights[6] = 22
    for col, head in zip("DEFGHI", fund_headers(scheme), strict=True):
        put(f"{col}5", head, "p_label")
    merge("B6:C6", "年度资金总额", "p_center")
    total_cells = [info[f"budget.total.{k}"].cell for k in ("initial", "adjusted", "executed")]
    if live:
        for col, cell in zip("DEF", total_cells, strict=True):
            put(f"{col}6", None, "p_money", _show(_ref(F.INFO, cell)))
        put("G6", scheme.execution.weight, "p_score", _show(_ref(F.INFO, info["execution_weight"].cell)))
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
    for i in range(n_fund):
        row = 7 + i
        project_label = fund_rows[i] if i < len(fund_rows) else ""
        dept_label = DEPARTMENT_FUND_ROWS[i] if i < len(DEPARTMENT_FUND_ROWS) else ""
        if live:
            merge(
                f"B{row}:C{row}",
                dept_label,
                "p_center",
                f'=IF({is_project_f},"{project_label}","{dept_label}")',
            )
            for col, part in zip("DEF", ("initial", "adjusted", "executed"), strict=True):
                proj = (
                    _ref(F.INFO, info[f"budget.{scheme.fund_rows[i].key}.{part}"].cell)
                    if i < len(fund_rows)
                    else ""
                )
                proj_f = f'IF({proj}="","",{proj})' if proj else '""'
                if part == "adjusted" and i < len(DEPARTMENT_FUND_KEYS):
                    dept = _ref(F.INFO, info[f"budget.{DEPARTMENT_FUND_KEYS[i]}"].cell)
                    formula = f'=IF({is_project_f},{proj_f},IF({dept}="","",{dept}))'
                    cached: CellValue = None
                else:
                    formula = f'=IF({is_project_f},{proj_f},"{DASH if dept_label else ""}")'
                    cached = DASH if dept_label else ""
                put(f"{col}{row}", cached, "p_money", formula)
        else:
            assert ev is not None
            merge(f"B{row}:C{row}", project_label if is_project else dept_label, "p_center")
            if is_project:
                line = getattr(ev.budget, scheme.fund_rows[i].key) if i < len(fund_rows) else None
                for col, attr in zip("DEF", ("initial", "adjusted", "executed"), strict=True):
                    put(f"{col}{row}", _cell_number(getattr(line, attr)) if line else None, "p_money")
            else:
                put(f"D{row}", DASH if dept_label else None, "p_center")
                key = DEPARTMENT_FUND_KEYS[i] if i < len(DEPARTMENT_FUND_KEYS) else ""
                put(f"E{row}", _cell_number(getattr(ev.budget, key)) if key else None, "p_money")
                put(f"F{row}", DASH if dept_label else None, "p_center")
        for col in "GHI":
            put(f"{col}{row}", DASH, "p_center")
        s.heights[row] = 20

    # Goals
    g = last_money + 1
    merge(f"A{g}:A{g + 1}", "年度总体目标", "p_label")
    merge(f"B{g}:E{g}", "预期目标", "p_label")
    merge(f"F{g}:I{g}", "实际完成情况", "p_label")
    if live:
        merge(f"B{g + 1}:E{g + 1}", None, "p_text", _show(_ref(F.INFO, info["goal_expected"].cell)))
        merge(f"F{g + 1}:I{g + 1}", None, "p_text", _show(_ref(F.INFO, info["goal_actual"].cell)))
        s.heights[g + 1] = 60
    else:
        assert ev is not None
        merge(f"B{g + 1}:E{g + 1}", ev.goal_expected, "p_text")
        merge(f"F{g + 1}:I{g + 1}", ev.goal_actual, "p_text")
        goal_width = sum(WIDTHS[c] for c in "BCDE")
        s.heights[g + 1] = max(60.0, row_height((ev.goal_expected, goal_width), (ev.goal_actual, goal_width)))

    # Indicators
    head = g + 2
    for col, text in zip("BCDEFGHI", ind_headers(scheme), strict=True):
        put(f"{col}{head}", text, "p_label")
    s.heights[head] = 30
    if live:
        _live_block(s, head, scheme)
        return s
    assert ev is not None and scores is not None
    rows = [i for i, ind in enumerate(ev.indicators)]
    n = max(len(rows), 1)
    _snapshot_indicator_rows(s, head + 1, ev.indicators, scores, scheme)
    merge(f"A{head}:A{head + n}", "绩效指标", "p_label")

    total_row = head + n + 1
    merge(f"A{total_row}:F{total_row}", scheme.label("total"), "p_label")
    s.print_setup = replace(s.print_setup, repeat_rows=f"{head}:{head}")
    put(f"G{total_row}", scores.weight_total, "p_total")
    if scores.total is not None:
        put(f"H{total_row}", scores.total, "p_total")
        put(f"I{total_row}", f"等级：{scores.grade}" if scores.grade else "", "p_center")
    else:
        put(f"H{total_row}", "未计", "p_total")
        put(f"I{total_row}", scores.blocked_line, "p_text")
    s.heights[total_row] = max(24.0, row_height((scores.blocked_line, WIDTHS["I"])))
    _footer(s, total_row, ev.filled_by, ev.filled_on, head)
    return s


def _footer(s: SheetSpec, total_row: int, filled_by: str, filled_on: str, head: int) -> None:
    sign = total_row + 2
    s.merge(f"A{sign}:C{sign}", f"填报人：{filled_by}", "p_footer")
    s.merge(f"D{sign}:E{sign}", "财务负责人：", "p_footer")
    s.merge(f"F{sign}:G{sign}", "单位负责人：", "p_footer")
    s.merge(f"H{sign}:I{sign}", f"填报日期：{filled_on}", "p_footer")
    s.merge(f"F{sign + 2}:I{sign + 2}", "单位（盖章）", "p_footer")
    s.merge(f"A{sign + 4}:I{sign + 4}", NOTE, "p_footnote")
    s.heights[sign + 4] = 42
    s.print_setup = PrintSetup(
        landscape=False,
        fit_width=1,
        fit_height=0,
        area=f"A1:I{sign + 4}",
        repeat_rows=f"{head}:{head}",
        margins_cm=(1.5, 2.0, 1.5, 1.2),
    )


NOTE = (
    "注：执行率 = 全年执行数 ÷ 全年预算数；定量指标按完成比例计分，不超过分值；定性指标按完成档次评分；"
    "总分仅在数据完整（执行率可算、每项指标能计分、分值合计 100）时计算；金额单位：万元。"
)


def _number(v: Num) -> Decimal:
    return v if isinstance(v, Decimal) else Decimal(0)


def _cell_number(v: Num) -> CellValue:
    """A number stays a number; text the clerk typed is shown as typed (validation reports it)."""
    return v


def _live_block(s: SheetSpec, head: int, scheme: Scheme) -> None:
    """The live indicator block: row k shows the k-th filled row of 绩效指标, then 总分 and the footer."""
    from .live import column_of, column_range

    first = head + 1
    last = first + LIVE_ROWS + LIVE_FOOTER_ROWS - 1
    calc = F.CALC
    n = f"${K_COL}$1"
    s.put(COUNT_CELL, None, "calc_plain", formula=f"=SUM({column_range(scheme, 'filled')})", cached=0)
    s.put("L1", "← 已填指标数（本表自动列出）", "calc_plain")

    def col(name: str) -> str:
        letter = column_of(scheme, name)
        return f"'{calc}'!${letter}${F.INDICATOR_FIRST_ROW}:${letter}${F.INDICATOR_LAST_ROW}"

    def ind(key: str) -> str:
        letter = F.COLUMN_BY_KEY[key].letter
        return f"'{F.INDICATORS}'!${letter}${F.INDICATOR_FIRST_ROW}:${letter}${F.INDICATOR_LAST_ROW}"

    cum = col("cum")
    for r in (first, first + 1):
        k = f"${K_COL}{r}"
        idx = f"${INDEX_COL}{r}"
        s.put(f"{K_COL}{r}", None, "calc_plain", formula=f"=ROW()-{first - 1}", cached=r - first + 1)
        s.put(
            f"{INDEX_COL}{r}",
            None,
            "calc_plain",
            formula=f'=IF({k}>{n},"",IFERROR(MATCH({k},{cum},0),""))',
            cached="",
        )

        def at(rng: str, idx: str = idx) -> str:
            return f"INDEX({rng},{idx})"

        total_row = f"{k}={n}+1"
        sign_row = f"{k}={n}+3"
        prev = f"${INDEX_COL}{r - 1}"
        l1_here, l2_here = at(col("l1")), at(col("l2"))
        if r == first:
            new_group = new_sub = "TRUE()"
        else:
            new_group = f'IF({prev}="",TRUE(),{l1_here}<>INDEX({col("l1")},{prev}))'
            new_sub = f'IF({prev}="",TRUE(),OR({l1_here}<>INDEX({col("l1")},{prev}),{l2_here}<>INDEX({col("l2")},{prev})))'
        total_label = scheme.label("total")
        cells = {
            "A": (
                "p_live",
                f'=IF(AND({k}=1,{n}>0),"绩效指标",IF({total_row},"{total_label}",IF({sign_row},"填报人：","")))',
            ),
            "B": ("p_live", '=""' if scheme.flat else f'=IF({idx}="","",IF({new_group},{l1_here}&"",""))'),
            "C": (
                "p_live",
                f'=IF({idx}="",IF({sign_row},"财务负责人：",""),'
                + ('"")' if scheme.flat else f'IF({new_sub},{l2_here}&"",""))'),
            ),
            "D": ("p_live_text", f'=IF({idx}="","",{at(ind("name"))}&"")'),
            "E": ("p_live", f'=IF({idx}="",IF({sign_row},"单位负责人：",""),{at(col("t_show"))}&"")'),
            "F": ("p_live", f'=IF({idx}="","",{at(col("a_show"))}&"")'),
            "G": (
                "p_live_score",
                f'=IF({idx}="",IF({total_row},执行率分值+SUM({col("wt")}),""),'
                f'IF(ISNUMBER({at(ind("weight"))}),{at(ind("weight"))},{at(ind("weight"))}&""))',
            ),
            "H": (
                "p_live_score",
                f'=IF({idx}="",IF({total_row},IF(总分="","未计",总分),IF({sign_row},"填报日期：","")),'
                f'IF({at(col("na"))},"/",{at(col("score"))}))',
            ),
            "I": (
                "p_live_text",
                f'=IF({idx}="",IF({total_row},IF(总分="",未计总分原因,"等级："&等级),IF({k}={n}+5,"单位（盖章）",'
                f'"")),{at(ind("deviation_note"))}&"")',
            ),
        }
        for letter, (style, formula) in cells.items():
            s.put(f"{letter}{r}", None, style, formula=formula, cached="")
    for letter in ("A", "B", "C", "D", "E", "F", "G", "H", "I", K_COL, INDEX_COL):
        s.fill_down(f"{letter}{first + 1}", last)
    for r in range(first, last + 1):
        s.heights[r] = 30
    # Borders only where there is a table: every column of an indicator row and of the 总分 row; 一级/二级 get
    # a border above a new group only (the look of the official table's merged cells).
    in_table = f"${K_COL}{first}<={n}+1"
    group_top = f'AND({in_table},$B{first}<>"")'
    sub_top = f'AND({in_table},$C{first}<>"")'
    s.highlights += [
        Highlight(f"D{first}:I{last}", f"={in_table}", "", borders="all"),
        Highlight(f"A{first}:A{last}", f"={in_table}", "", borders="sides"),
        Highlight(f"B{first}:B{last}", f"={group_top}", "", borders="top_sides"),
        Highlight(f"B{first}:B{last}", f"={in_table}", "", borders="sides"),
        Highlight(f"C{first}:C{last}", f"={sub_top}", "", borders="top_sides"),
        Highlight(f"C{first}:C{last}", f"={in_table}", "", borders="sides"),
        Highlight(f"A{first}:I{last}", f"=${K_COL}{first}={n}+1", "", borders="all", bold=True),
    ]
    s.print_setup = PrintSetup(
        landscape=False,
        fit_width=1,
        fit_height=0,
        area=f"A1:I{last}",
        repeat_rows=f"{head}:{head}",
        margins_cm=(1.5, 2.0, 1.5, 1.2),
        dynamic_last_row=f"{first - 1}+{n}+5",
    )


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
    s: SheetSpec, first: int, indicators: Sequence[Indicator], scores: Scores, scheme: Scheme
) -> None:
    if not indicators:
        for col in "BCDEFGHI":
            s.put(f"{col}{first}", None, "p_center")
        return
    level1 = [sc.level1 for sc in scores.indicators]
    level12 = [f"{sc.level1}\x00{sc.level2}" for sc in scores.indicators]
    if scheme.flat:
        level1 = [""] * len(indicators)
        level12 = [""] * len(indicators)
    for col, values, labels in (
        ("B", level1, level1),
        ("C", level12, [sc.level2 if not scheme.flat else "" for sc in scores.indicators]),
    ):
        for a, b in _runs(values):
            if b > a:
                s.merge(f"{col}{first + a}:{col}{first + b}", labels[a], "p_center")
            else:
                s.put(f"{col}{first + a}", labels[a], "p_center")
    for k, (ind, sc) in enumerate(zip(indicators, scores.indicators, strict=True)):
        r = first + k
        target, actual = str(sc.env.get("t_show", "")), str(sc.env.get("a_show", ""))
        s.put(f"D{r}", ind.name, "p_text")
        s.put(f"E{r}", target, "p_center")
        s.put(f"F{r}", actual, "p_center")
        s.put(f"G{r}", ind.weight if isinstance(ind.weight, Decimal) else (ind.weight or ""), "p_score")
        if sc.applicable:
            s.put(f"H{r}", sc.score, "p_score")
        else:
            s.put(f"H{r}", "/", "p_center")
        s.put(f"I{r}", ind.deviation_note, "p_text")
        s.heights[r] = row_height(
            (ind.name, WIDTHS["D"]),
            (ind.deviation_note, WIDTHS["I"]),
            (sc.level2, WIDTHS["C"]),
            (actual, WIDTHS["F"]),
            (target, WIDTHS["E"]),
        )
