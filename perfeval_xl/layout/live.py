"""The rules rendered into the workbook, so it scores and checks itself without Python.

- 计算 (hidden): one row per 绩效指标 row, one column per step of the row program (rules.scoring.row_program:
  how each value is read, the direction, the method, the score …) and per row check (rules.checks.row_rules:
  1 when the check holds on that row), then the row's error and warning counts and its problem text.
- 校验计算 (hidden): one row per check of the evaluation as a whole (rules.checks.book_rules): its code,
  level, the cell it marks, 1 when it holds, its short message.

Every formula is rendered from the same expression Python evaluates (rules.expr.render), so the workbook and
``perfeval-xl validate`` find the same problems on the same cells at the same levels; the visible sheets
(layout.template) only show these cells. tests/test_parity.py and tests/test_live_checks.py recalculate in
LibreOffice and compare.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from ..model import Level
from ..rules import checks, scoring
from ..rules.expr import FALSE, TRUE, Const, Expr, If, Len, Ref, Sum, Text, evaluate, render
from ..rules.reading import LEVEL_ABOVE, LEVEL_CELL, RAW_INPUTS, inherited_level
from ..rules.scheme import Scheme
from . import fields as F
from .spec import SheetSpec, absolute, col_letter

#: 绩效指标 column of each raw input of the row program.
RAW_COLUMNS = {
    "level1": "level1",
    "level2": "level2",
    "name": "name",
    "operator": "operator",
    "target": "target",
    "unit": "unit",
    "actual": "actual",
    "band": "band",
    "weight": "weight",
    "entered": "score",
    "deviation_note": "deviation_note",
    "method": "method",
    "coefficient": "coefficient",
}
ANY = "any"
LEVEL_LABELS = {Level.ERROR: "错误", Level.WARNING: "警告", Level.INFO: "提示"}
CALC_HEADER_ROW = 3
BOOK_FIRST_ROW = 4


@dataclass(frozen=True)
class CalcColumn:
    """One column of 计算: a step (``kind`` "step") or a row check's flag ("flag"), or a count/text."""

    name: str
    letter: str
    title: str
    expr: Expr
    kind: str  # step | flag | errors | warnings | infos | message | row_errors
    rule: checks.RowRule | None = None
    level: Level | None = None


@dataclass(frozen=True)
class BookRow:
    row: int
    rule: checks.BookRule
    level: Level
    sheet: str
    cell: str


def _raw_cell(name: str, row: int) -> str:
    return f"'{F.INDICATORS}'!${F.COLUMN_BY_KEY[RAW_COLUMNS[name]].letter}{row}"


@functools.lru_cache(maxsize=16)
def calc_columns(scheme: Scheme) -> tuple[CalcColumn, ...]:
    """Every column of the 计算 sheet under ``scheme``, in order (steps first, then flags and counts)."""
    cols: list[CalcColumn] = []

    def add(name: str, title: str, expr: Expr, kind: str, **kw: object) -> None:
        cols.append(CalcColumn(name, col_letter(len(cols) + 1), title, expr, kind, **kw))  # type: ignore[arg-type]

    # The 一级/二级 a row belongs to (a group written once, or merged): the row program reads these columns
    # as its LEVEL1/LEVEL2; each reads the typed cell and the same column one row up (row 3 of this sheet,
    # above the first indicator row, is left empty for them).
    for name in LEVEL_CELL:
        add(name, f"{'一级' if name == 'level1' else '二级'}（含上行延续）", inherited_level(name), "level")
    # Then: does the row hold anything at all? Every other column of an empty row is then a constant (its
    # value on an empty row), so the 300 prepared rows cost nothing to recalculate until they are used.
    # (the typed level cells: the level columns carry a group on through empty rows)
    typed = [LEVEL_CELL.get(name, name) for name in RAW_INPUTS]
    anything: Expr = Text(Ref(typed[0]))
    for name in typed[1:]:
        anything = anything.cat(Ref(name))
    add(ANY, "本行有内容", Len(anything).gt(0), "step")
    for step in scoring.row_program(scheme).steps:
        if not inlined(step.name):
            add(step.name, step.title, step.expr, "step")
    filled = Ref("filled").eq(1)
    errors: list[str] = []
    warnings: list[str] = []
    infos: list[str] = []
    messages: list[tuple[str, Level, str]] = []
    for i, rule in enumerate(checks.row_rules(scheme)):
        level = checks.rule_level(rule, scheme)
        if level is None:
            continue
        name = f"f{i}_{rule.code}"
        add(
            name,
            f"{rule.code}（{F.COLUMN_BY_KEY[rule.attr].header}）",
            If(filled, If(rule.when, 1, 0), 0),
            "flag",
            rule=rule,
            level=level,
        )
        {Level.ERROR: errors, Level.WARNING: warnings, Level.INFO: infos}[level].append(name)
        messages.append((name, level, rule.short))
    add("cum", "已填序号", If(Ref("filled").eq(1), Sum(Ref("filled_upto")), ""), "step")
    add(checks.ROW_ERRORS, "本行错误（不含无法计分）", _sum(errors), "row_errors")
    unscored = checks.unscored_rule()
    level = checks.rule_level(unscored, scheme)
    if level is not None:
        name = f"f_{unscored.code}"
        add(name, unscored.code, If(filled, If(unscored.when, 1, 0), 0), "flag", rule=unscored, level=level)
        {Level.ERROR: errors, Level.WARNING: warnings, Level.INFO: infos}[level].append(name)
        messages.append((name, level, unscored.short))
    add("errors", "错误数", _sum(errors), "errors")
    add("warnings", "警告数", _sum(warnings), "warnings")
    add("infos", "提示数", _sum(infos), "infos")
    parts: list[Expr] = [If(Ref(n).eq(1), f"【{LEVEL_LABELS[lv]}】{short}", "") for n, lv, short in messages]
    text: Expr = parts[0] if parts else Const("")
    for p in parts[1:]:
        text = text.cat(p)
    add("message", "问题", text, "message")
    return tuple(cols)


def _constant(value: object) -> Expr:
    """An empty row's value of a column as a formula constant."""
    if isinstance(value, bool):
        return TRUE if value else FALSE
    if value is None or value == "":
        return Const("")
    if isinstance(value, int):
        return Const(Decimal(value))
    return Const(value)  # type: ignore[arg-type]


#: Steps written into the formulas that use them instead of a column of their own (each is short and read
#: by few formulas): fewer cells for the spreadsheet to load, the same rules.
_INLINED_SUFFIXES = ("_pl", "_sl", "_dir")


def inlined(name: str) -> bool:
    return name.startswith("z_") or name.endswith(_INLINED_SUFFIXES)


@functools.lru_cache(maxsize=16)
def _steps(scheme: Scheme) -> dict[str, Expr]:
    return {step.name: step.expr for step in scoring.row_program(scheme).steps}


def _sum(names: list[str]) -> Expr:
    if not names:
        return If(Ref("filled").eq(1), 0, 0)
    out: Expr = Ref(names[0])
    for n in names[1:]:
        out = out + Ref(n)
    return out


def column_of(scheme: Scheme, name: str) -> str:
    """The 计算 column letter of a step or flag."""
    return _letters(scheme)[name]


@functools.lru_cache(maxsize=16)
def _letters(scheme: Scheme) -> dict[str, str]:
    return {c.name: c.letter for c in calc_columns(scheme)}


def headline_refs() -> dict[str, str]:
    """The headline cells (on 评分) by rule input name, absolute."""
    info = F.FIELD_BY_KEY
    return {
        scoring.ADJUSTED: absolute(F.INFO, info["budget.total.adjusted"].cell),
        scoring.EXECUTED: absolute(F.INFO, info["budget.total.executed"].cell),
        scoring.EXEC_WEIGHT: absolute(F.INFO, info["execution_weight"].cell),
        scoring.RATE: absolute(F.SCORING, F.RATE_CELL),
        scoring.EXEC_SCORE: absolute(F.SCORING, F.EXEC_SCORE_CELL),
        scoring.TOTAL: absolute(F.SCORING, F.TOTAL_CELL),
        scoring.COMPLETE: absolute(F.SCORING, F.COMPLETE_CELL),
    }


def row_refs(scheme: Scheme, row: int) -> Callable[[str], str]:
    """Input names of one 计算 row → cells (for formulas on the 计算 sheet itself)."""
    letters = _letters(scheme)
    heads = headline_refs()

    steps = _steps(scheme)

    def ref(name: str) -> str:
        if name in LEVEL_CELL:  # the inherited 一级/二级 column of this row
            return f"${letters[name]}{row}"
        if name in LEVEL_CELL.values():
            return _raw_cell(next(k for k, v in LEVEL_CELL.items() if v == name), row)
        if name in LEVEL_ABOVE.values():
            return f"${letters[next(k for k, v in LEVEL_ABOVE.items() if v == name)]}{row - 1}"
        if name in RAW_INPUTS:
            return _raw_cell(name, row)
        if inlined(name) and name in steps:
            return render(steps[name], ref, top=False)
        if name.endswith("_all"):  # a step's column over every row (scoring.LEVELS_ALL)
            col = letters[name.removesuffix("_all")]
            return f"${col}${F.INDICATOR_FIRST_ROW}:${col}${F.INDICATOR_LAST_ROW}"
        if name == checks.NAMES_UP_TO_HERE or name.endswith("_upto"):
            col = letters["nm" if name == checks.NAMES_UP_TO_HERE else name.removesuffix("_upto")]
            return f"${col}${F.INDICATOR_FIRST_ROW}:${col}{row}"
        if name in letters:
            return f"${letters[name]}{row}"
        if name in heads:
            return heads[name]
        raise KeyError(f"no cell for {name!r} on row {row}")

    return ref


def column_range(scheme: Scheme, name: str) -> str:
    """A step's column over all indicator rows, absolute, on 计算."""
    col = column_of(scheme, name)
    return absolute(F.CALC, f"{col}{F.INDICATOR_FIRST_ROW}:{col}{F.INDICATOR_LAST_ROW}")


def book_refs(scheme: Scheme) -> Callable[[str], str]:
    """Input names of the book-level rules (fields, headline cells, step columns) → cells and ranges."""
    heads = headline_refs()
    letters = _letters(scheme)

    def ref(name: str) -> str:
        if name in heads:
            return heads[name]
        if name in F.FIELD_BY_KEY:
            return absolute(F.INFO, F.FIELD_BY_KEY[name].cell)
        if name in letters:
            return column_range(scheme, name)
        raise KeyError(f"no cell for {name!r}")

    return ref


def formula(
    expr: Expr, refs: Callable[[str], str], blank: dict[str, object] | None = None
) -> dict[str, object]:
    """A rule as a formula, with its value in the empty template as the cached result."""
    value = evaluate(expr, _Blank(blank or {}))
    if isinstance(value, bool):
        value = int(value)
    return {"formula": render(expr, refs), "cached": "" if value is None else value}


class _Blank(dict):  # type: ignore[type-arg]
    """Inputs of the empty template: every cell blank, every range empty (or what ``init`` says)."""

    def __init__(self, init: dict[str, object]) -> None:
        super().__init__(init)

    def __missing__(self, key: str) -> object:
        return []


def calc_sheet(scheme: Scheme) -> SheetSpec:
    """The hidden 计算 sheet: titles on row 3, a formula per column on every indicator row."""
    cols = calc_columns(scheme)
    s = SheetSpec(F.CALC, widths={c.letter: 10 for c in cols}, hidden=True)
    s.put("A1", "计算：由公式自动生成，请勿修改（每行对应“绩效指标”表的同一行）", "note")
    for c in cols:  # the level columns' titles one row higher: their first formula reads the cell above
        s.put(f"{c.letter}{CALC_HEADER_ROW - (c.kind == 'level')}", c.title, "header")
    first = F.INDICATOR_FIRST_ROW
    refs = row_refs(scheme, first)
    blank = _blank_row_values(scheme)
    for c in cols:
        expr = (
            c.expr if c.name == ANY or c.kind == "level" else If(Ref(ANY), c.expr, _constant(blank[c.name]))
        )
        s.put(f"{c.letter}{first}", None, "calc_plain", formula=render(expr, refs), cached="")
        s.fill_down(f"{c.letter}{first}", F.INDICATOR_LAST_ROW)
    s.protect = True
    return s


@functools.lru_cache(maxsize=16)
def _blank_row_values(scheme: Scheme) -> dict[str, object]:
    """What each 计算 column holds on an empty row (the cached values of the empty template)."""
    env: dict[str, object] = {name: None for name in RAW_INPUTS}
    env.update(dict.fromkeys([*LEVEL_CELL.values(), *LEVEL_ABOVE.values()]))
    env[checks.NAMES_UP_TO_HERE] = [""]
    env[checks.ROW_ERRORS] = Decimal(0)
    env["filled_upto"] = [Decimal(0)]
    env[scoring.LEVELS_ALL] = [Decimal(0)]
    for key in (scoring.RATE, scoring.EXEC_SCORE):
        env[key] = None
    out: dict[str, object] = {}
    for name, expr in [*_steps(scheme).items(), *((c.name, c.expr) for c in calc_columns(scheme))]:
        if name in out:
            continue
        value = evaluate(expr, env)  # type: ignore[arg-type]
        env[name] = value
        out[name] = "" if value is None else (int(value) if isinstance(value, bool) else value)
    return out


@functools.lru_cache(maxsize=16)
def book_rows(scheme: Scheme) -> tuple[BookRow, ...]:
    """The rows of 校验计算: each book rule with its level and the cell it marks."""
    out = []
    row = BOOK_FIRST_ROW
    for rule in checks.book_rules(scheme):
        level = checks.rule_level(rule, scheme)
        if level is None:
            continue
        sheet, cell = F.locate(rule.field)
        out.append(BookRow(row, rule, level, sheet, cell))
        row += 1
    return tuple(out)


def book_calc_sheet(scheme: Scheme, blank: dict[str, object]) -> SheetSpec:
    """The hidden 校验计算 sheet (``blank``: the empty template's headline values, for cached results)."""
    s = SheetSpec(
        F.BOOK_CALC, widths={"A": 24, "B": 6, "C": 26, "D": 10, "E": 8, "F": 6, "G": 40}, hidden=True
    )
    s.put("A1", "校验计算：由公式自动生成，请勿修改（第 2 行：评分规则、摘要、模板版本）", "note")
    s.put("A2", scheme.id, "calc_plain")
    s.put("B2", scheme.digest, "calc_plain")
    s.put("C2", F.TEMPLATE_VERSION, "calc_plain")
    for col, head in zip(
        "ABCDEFG", ("代码", "级别", "字段", "工作表", "单元格", "成立", "说明"), strict=True
    ):
        s.put(f"{col}3", head, "header")
    refs = book_refs(scheme)
    env = _book_blank_env(scheme, blank)
    for b in book_rows(scheme):
        s.put(f"A{b.row}", b.rule.code, "calc_plain")
        s.put(f"B{b.row}", LEVEL_LABELS[b.level], "calc_plain")
        s.put(f"C{b.row}", b.rule.field, "calc_plain")
        s.put(f"D{b.row}", b.sheet, "calc_plain")
        s.put(f"E{b.row}", b.cell, "calc_plain")
        value = 1 if evaluate(b.rule.when, env) else 0
        s.put(f"F{b.row}", None, "calc_plain", formula=render(If(b.rule.when, 1, 0), refs), cached=value)
        s.put(f"G{b.row}", b.rule.short, "calc_plain")
    s.protect = True
    return s


def blank_holding(scheme: Scheme, blank: dict[str, object]) -> list[BookRow]:
    """The book checks that hold in the empty template (for the cached values of the live views)."""
    env = _book_blank_env(scheme, blank)
    return [b for b in book_rows(scheme) if evaluate(b.rule.when, env)]


def blank_counts(scheme: Scheme, blank: dict[str, object]) -> dict[Level, int]:
    """How many checks hold in the empty template, by level (the cached values of the live counts)."""
    counts = dict.fromkeys(Level, 0)
    for b in blank_holding(scheme, blank):
        counts[b.level] += 1
    return counts


def problem_text(rows: list[BookRow]) -> str:
    """The live problem text of some book checks, as the formulas write it."""
    return "".join(f"【{LEVEL_LABELS[b.level]}】{b.rule.short}" for b in rows)


def _book_blank_env(scheme: Scheme, blank: dict[str, object]) -> dict[str, object]:
    row = _blank_row_values(scheme)
    env: dict[str, object] = dict(blank)
    for name in F.FIELD_BY_KEY:
        env.setdefault(name, None)
    for name, value in row.items():
        env[name] = [value] * F.INDICATOR_ROWS
    env["execution_weight"] = blank.get(scoring.EXEC_WEIGHT, scheme.execution.weight)
    return env


def book_range(col: str) -> str:
    last = BOOK_FIRST_ROW + 200
    return absolute(F.BOOK_CALC, f"{col}{BOOK_FIRST_ROW}:{col}{last}")


def count_formula(level: Level, scheme: Scheme) -> str:
    """The live count of findings at ``level``: every row's count plus the book checks that hold."""
    name = {Level.ERROR: "errors", Level.WARNING: "warnings", Level.INFO: "infos"}[level]
    rows = column_range(scheme, name)
    return f'=SUM({rows})+SUMIF({book_range("B")},"{LEVEL_LABELS[level]}",{book_range("F")})'


def field_problem_formula(scheme: Scheme, cells: set[str]) -> str | None:
    """The problem text beside a 基本信息 row: the short messages of the book checks on ``cells``."""
    parts = [
        f'IF({absolute(F.BOOK_CALC, f"F{b.row}")}=1,"【{LEVEL_LABELS[b.level]}】{b.rule.short}","")'
        for b in book_rows(scheme)
        if b.sheet == F.INFO and b.cell in cells
    ]
    return "=" + "&".join(parts) if parts else None


def whole_problem_formula(scheme: Scheme) -> str | None:
    """The problem text of the evaluation as a whole (分值合计, no indicators …), shown on 评分."""
    parts = [
        f'IF({absolute(F.BOOK_CALC, f"F{b.row}")}=1,"【{LEVEL_LABELS[b.level]}】{b.rule.short}","")'
        for b in book_rows(scheme)
        if b.sheet == F.SCORING
    ]
    return "=" + "&".join(parts) if parts else None


def mark_formula(scheme: Scheme, attr: str, level: Level, row: int) -> str | None:
    """Conditional-format formula (relative to ``row``) true when a check at ``level`` marks ``attr``."""
    cells = [
        f"'{F.CALC}'!${c.letter}{row}=1"
        for c in calc_columns(scheme)
        if c.kind == "flag" and c.rule is not None and c.rule.attr == attr and c.level == level
    ]
    if not cells:
        return None
    return "=OR(" + ",".join(cells) + ")"


def book_mark_formula(scheme: Scheme, cell: str, level: Level) -> str | None:
    cells = [
        f"{absolute(F.BOOK_CALC, f'F{b.row}')}=1"
        for b in book_rows(scheme)
        if b.sheet == F.INFO and b.cell == cell and b.level == level
    ]
    if not cells:
        return None
    return "=OR(" + ",".join(cells) + ")"


ZERO = Decimal(0)

__all__ = [
    "CalcColumn",
    "book_calc_sheet",
    "book_refs",
    "book_rows",
    "calc_columns",
    "calc_sheet",
    "column_range",
    "count_formula",
    "row_refs",
]
