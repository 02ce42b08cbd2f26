"""How one indicator row is read: what people write in 指标性质, 年度指标值, 实际完成值 … turned into a
direction, numbers and clean labels — written once as expressions (rules.expr), evaluated here in Python
and rendered by the template as hidden helper columns, so the workbook reads a cell exactly as we do.

The grammar of a value (年度指标值, 实际完成值, 得分系数), after ``vocab.NORMALISE`` (full-width → half-width,
spaces and line breaks removed, 百分比 → %)::

    value   = [prefix] [sign] number [unit] [suffix]      e.g. ≥266米, 不少于12种, 90%以上, 3个工作日内, -5
    prefix  = ≥ ≤ > < = or a word of vocab.VALUE_PREFIXES (不少于 …), giving the direction
    number  = digits with at most one point; commas are thousands separators (1,000)
    unit    = any text without digits (米, 个工作日, %)
    suffix  = a word of vocab.VALUE_SUFFIXES (以上, 以内, 内 …), giving the direction

A value that does not fit (``1-2个``, ``2023年12月底前``, ``效果明显``) is text: a 定性 target, or for a
quantitative row a value that cannot be read (the row is not scored and says why). A number stored as a
number is its number. The number of a percentage is the per cent as written (``95%`` → 95): targets and
actual values are compared in the same unit.

How a row's direction is decided (issue 9 §1; each step is a column of the template's 计算 sheet):

1. 指标性质, any spelling of vocab.OPERATOR_SPELLINGS (≥ > 正向 正向指标 …, ═ is =, 定性指标 …);
2. else the sign or word inside 年度指标值 (``≥266米``, ``不少于12种``, ``90%以上``);
3. else, when 年度指标值 is a number (``100%``, ``38508人``): 正向, **assumed** (OPERATOR_ASSUMED asks the clerk
   to confirm); 定量/定量指标 without a sign in the target also lands here;
4. else, when 年度指标值 is text and 指标性质 is blank: 定性, assumed likewise;
5. an unknown 指标性质 (``正相关``) decides nothing: the row is not scored (OPERATOR_INVALID).

A sign inside 实际完成值 (``≥266米``, ``=100%``) is ignored: the value is its number (VALUE_SIGN_IGNORED
says so). An actual whose unit differs from the row's (度量单位, else the target's unit) is not read
(UNIT_MISMATCH): ``3万元`` against ``≥30000元`` would otherwise score as 3.

Labels (一级, 二级) are matched after removing spaces and line breaks (merged cells on forms: ``经济效益⏎指标``),
a ``(50分)`` suffix and a trailing 等; then the scheme's aliases give the canonical name. A 三级 name is
matched (common indicators, duplicates) after removing spaces and quotes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from ..model import Indicator
from . import vocab
from .expr import (
    And,
    Const,
    Expr,
    Find,
    If,
    IsError,
    IsNumber,
    Left,
    Len,
    Max,
    Mid,
    Not,
    Or,
    Ref,
    Right,
    Substitute,
    Text,
    ToNumber,
    Value,
    children,
)
from .pycompile import COMPILE_AFTER_ROWS, Program, Tiered, compile_program, compile_py, walk_program
from .scheme import Scheme

# Raw inputs of one indicator row (model.Indicator attributes, ``score`` as ENTERED).
LEVEL1, LEVEL2, NAME, OPERATOR, TARGET, UNIT, ACTUAL, BAND = (
    "level1",
    "level2",
    "name",
    "operator",
    "target",
    "unit",
    "actual",
    "band",
)
WEIGHT, ENTERED, NOTE, METHOD, COEFFICIENT = "weight", "entered", "deviation_note", "method", "coefficient"
RAW_INPUTS = (
    LEVEL1,
    LEVEL2,
    NAME,
    OPERATOR,
    TARGET,
    UNIT,
    ACTUAL,
    BAND,
    WEIGHT,
    ENTERED,
    NOTE,
    METHOD,
    COEFFICIENT,
)


#: A group's 一级/二级 is written once on the printed form (a merged cell, or only on the group's first row).
#: The cell as typed, the row above's inherited value, and the inherited value itself (what the row program
#: reads as LEVEL1/LEVEL2): see ``inherited_level``.
LEVEL_CELL = {LEVEL1: "level1_cell", LEVEL2: "level2_cell"}
LEVEL_ABOVE = {LEVEL1: "level1_above", LEVEL2: "level2_above"}


def _blank(x: Expr) -> Expr:
    """Nothing but spaces in the cell (the Python model stores such text as blank)."""
    return Substitute(Substitute(Text(x), " ", ""), "\u3000", "").eq("")


def _filled(x: Expr) -> Expr:
    return Not(_blank(x))


def inherited_level(name: str) -> Expr:
    """The 一级 (``LEVEL1``) or 二级 (``LEVEL2``) a row belongs to, as the official table is written.

    Reading (issue 13, found by a tester who merged the 一级 cells of a group as the printed 项目支出绩效自评表
    does): a blank 一级 on a row that holds anything else is the 一级 of the row above (after that row's own
    inheritance); a blank 二级 likewise, when the row's 一级 is blank too or the same as the row above's. So a
    merged group (whose lower cells read as blank in a formula) and a group written once on its first row
    mean the same thing in Python and in the workbook's formulas. Empty rows are passed over (the reader and
    the CSV drop them, so a formula that stopped there would disagree with validate); the first row has
    nothing above it. A blank level with nothing above stays blank (REQUIRED_MISSING says so).
    """
    others = [n for n in RAW_INPUTS if n not in LEVEL_CELL]
    content: Expr = Text(Ref(others[0]))
    for n in others[1:]:
        content = content.cat(Ref(n))
    cell, above = Ref(LEVEL_CELL[name]), Ref(LEVEL_ABOVE[name])
    continues = And(_blank(cell), Len(content).gt(0))
    if name == LEVEL2:
        level1_cell = Ref(LEVEL_CELL[LEVEL1])
        continues = And(continues, Or(_blank(level1_cell), level1_cell.eq(Ref(LEVEL_ABOVE[LEVEL1]))))
    # An empty row carries the group on (a clerk leaves one between rows; the workbook reader and CSV drop
    # it): its own row program reads it as blank all the same (inherit_levels, the 计算 sheet's ANY guard).
    empty = And(Len(content).eq(0), *(_blank(Ref(c)) for c in LEVEL_CELL.values()))
    # As text: a formula reads an empty cell as 0 but joined to "" as "" (the same in Python: blank → "").
    return If(Or(empty, continues), Text(above), Text(cell))


@functools.cache
def _inheritance() -> list[tuple[str, Callable[..., Value]]]:
    """``inherited_level`` of 一级 and 二级, compiled once per process to Python (rules.pycompile)."""
    return [(name, compile_py(inherited_level(name), True)) for name in LEVEL_CELL]


def inherit_levels(
    envs: Iterable[dict[str, Value | Sequence[Value]]],
) -> Iterator[dict[str, Value | Sequence[Value]]]:
    """``raw_env`` of each row in order, with LEVEL1/LEVEL2 replaced by their ``inherited_level``."""
    rules = _inheritance()
    above: dict[str, Value | Sequence[Value]] = {LEVEL_ABOVE[n]: None for n in LEVEL_CELL}
    for env in envs:
        empty = all(env[n] is None for n in RAW_INPUTS)
        env.update({LEVEL_CELL[n]: env[n] for n in LEVEL_CELL}, **above)
        values = {name: rule(env) for name, rule in rules}
        for name, value in values.items():
            above[LEVEL_ABOVE[name]] = None if value == "" else value
            if not empty:  # an empty row carries the group on, and stays empty itself
                env[name] = above[LEVEL_ABOVE[name]]
        yield env


@dataclass(frozen=True)
class Step:
    """One derived value of a row: its name (an input of later steps), its rule, a short Chinese title."""

    name: str
    expr: Expr
    title: str


def _chain(
    pairs: Iterable[tuple[Expr, Expr | str | Decimal | int]], otherwise: Expr | str | Decimal | int
) -> Expr:
    """IF(c1, v1, IF(c2, v2, … otherwise)) from (condition, value) pairs, first pair outermost."""
    pairs = list(pairs)
    out = (
        otherwise
        if isinstance(otherwise, Expr)
        else Const(otherwise if isinstance(otherwise, str) else Decimal(otherwise))
    )
    for cond, value in reversed(pairs):
        out = If(cond, value, out)
    return out


def normalise_expr(x: Expr, table: tuple[tuple[str, str], ...] = vocab.NORMALISE) -> Expr:
    """vocab.NORMALISE (or a shorter table) as nested SUBSTITUTEs over ``x`` as text."""
    out = Text(x)
    for old, new in table:
        out = Substitute(out, old, new)
    return out


def _no_digit(x: Expr) -> Expr:
    stripped: Expr = x
    for d in "0123456789":
        stripped = Substitute(stripped, d, "")
    return Len(stripped).eq(Len(x))


def _numeric_length(b: Expr) -> Expr:
    """How many leading characters of ``b`` are vocab.NUMBER_CHARS (at most NUMBER_MAX_LENGTH)."""
    out: Expr = Const(Decimal(vocab.NUMBER_MAX_LENGTH))
    for k in range(vocab.NUMBER_MAX_LENGTH, 0, -1):
        ch = Mid(b, k, 1)
        out = If(ch.eq(""), k - 1, If(IsError(Find(ch, vocab.NUMBER_CHARS)), k - 1, out))
    return out


def value_steps(p: str, source: str, what: str) -> list[Step]:
    """The steps reading the value in ``source`` (a raw input name); step names start with ``p_``."""
    x = Ref(source)
    n, pre, suf = Ref(f"{p}_n"), Ref(f"{p}_pre"), Ref(f"{p}_suf")
    pl, sl, core, b = Ref(f"{p}_pl"), Ref(f"{p}_sl"), Ref(f"{p}_core"), Ref(f"{p}_b")
    nl, txt, unit = Ref(f"{p}_nl"), Ref(f"{p}_txt"), Ref(f"{p}_unit")
    prefix = _chain(
        ((Left(n, len(word)).eq(word), f"{d}{len(word)}") for word, d in vocab.VALUE_PREFIXES), ""
    )
    suffix = _chain(
        (
            (And(Len(n).gt(len(word)), Right(n, len(word)).eq(word)), f"{d}{len(word)}")
            for word, d in vocab.VALUE_SUFFIXES
        ),
        "",
    )
    dots = Len(txt) - Len(Substitute(txt, ".", ""))
    valid = And(Len(Substitute(txt, ".", "")).gt(0), dots.le(1), _no_digit(unit))
    sign = If(Left(core, 1).eq("-"), -1, 1)
    return [
        Step(f"{p}_n", If(IsNumber(x), "", normalise_expr(x)), f"{what}（规范化）"),
        Step(f"{p}_pre", prefix, f"{what}前缀"),
        Step(f"{p}_suf", suffix, f"{what}后缀"),
        Step(f"{p}_pl", If(pre.eq(""), 0, ToNumber(Mid(pre, 2, 2))), f"{what}前缀长度"),
        Step(f"{p}_sl", If(suf.eq(""), 0, ToNumber(Mid(suf, 2, 2))), f"{what}后缀长度"),
        Step(f"{p}_core", Mid(n, pl + 1, Max(0, Len(n) - pl - sl)), f"{what}数与单位"),
        Step(
            f"{p}_b",
            Mid(core, If(Or(Left(core, 1).eq("-"), Left(core, 1).eq("+")), 2, 1), 999),
            f"{what}去符号",
        ),
        Step(f"{p}_nl", _numeric_length(b), f"{what}数字长度"),
        Step(f"{p}_txt", Substitute(Left(b, nl), ",", ""), f"{what}数字"),
        Step(f"{p}_unit", Mid(b, nl + 1, 999), f"{what}单位"),
        Step(f"{p}_num", If(IsNumber(x), x, If(valid, sign * ToNumber(txt), "")), f"{what}数值"),
        Step(
            f"{p}_dir",
            If(pre.eq(""), If(suf.eq(""), "", Left(suf, 1)), Left(pre, 1)),
            f"{what}方向",
        ),
    ]


def _clean_label(x: Expr) -> Expr:
    """A 一级/二级 label as matched: no whitespace, no trailing ``(50分)``, no trailing 等."""
    s: Expr = Text(x)
    for ws in (" ", "\u3000", "\n", "\r", "\t"):
        s = Substitute(s, ws, "")
    paren = Substitute(s, "（", "(")
    ends = Or(Right(s, 1).eq(")"), Right(s, 1).eq("）"))
    at = Find("(", paren)
    # AND evaluates every argument (a FIND that fails would fail it), so the guards nest as IFs.
    return If(ends, If(IsError(at), s, If(at.gt(1), Left(s, at - 1), s)), s)


def _no_deng(x: Expr) -> Expr:
    return If(And(Len(x).gt(1), Right(x, 1).eq("等")), Left(x, Len(x) - 1), x)


def label_steps(scheme: Scheme) -> list[Step]:
    """Clean and canonical 一级/二级 names and the matched 三级 name."""
    l1c, l2c, l1 = Ref("l1_clean"), Ref("l2_clean"), Ref("l1")
    steps = [
        Step("l1_clean", _no_deng(Ref("l1_cut")), "一级（规范化）"),
        Step("l2_clean", _no_deng(Ref("l2_cut")), "二级（规范化）"),
    ]
    canon1 = _chain(
        ((Or(*(l1c.eq(n) for n in (x.name, *x.aliases))), x.name) for x in scheme.level1 if x.aliases),
        l1c,
    )
    pairs2 = []
    for x in scheme.level1:
        for y in x.level2:
            if y.aliases:
                pairs2.append((And(l1.eq(x.name), Or(*(l2c.eq(n) for n in (y.name, *y.aliases)))), y.name))
    name: Expr = Text(Ref(NAME))
    for ch in (" ", "\u3000", "\n", "\r", "\t", *vocab.NAME_QUOTES):
        name = Substitute(name, ch, "")
    return [
        Step("l1_cut", _clean_label(Ref(LEVEL1)), "一级（去分值）"),
        Step("l2_cut", _clean_label(Ref(LEVEL2)), "二级（去分值）"),
        *steps,
        Step("l1", canon1, "一级"),
        Step("l2", _chain(pairs2, l2c), "二级"),
        Step("nm", name, "三级（匹配用）"),
    ]


def direction_steps(scheme: Scheme) -> list[Step]:
    o, t_n, t_num, t_dir = Ref("o_n"), Ref("t_n"), Ref("t_num"), Ref("t_dir")
    op_cell = Ref("op_cell")
    by_direction: dict[str, list[str]] = {}
    for spelling, direction in vocab.OPERATOR_SPELLINGS.items():
        by_direction.setdefault(direction, []).append(spelling)
    cell = _chain(
        ((Or(*(o.eq(s) for s in spellings)), direction) for direction, spellings in by_direction.items()),
        If(o.eq(""), "", "?"),
    )
    definite = Or(*(op_cell.eq(d) for d in vocab.DIRECTIONS))
    na = Or(*(t_n.eq(m) for m in vocab.NOT_APPLICABLE))
    direction = If(
        definite,
        op_cell,
        If(
            op_cell.eq("?"),
            "",
            If(
                Not(t_dir.eq("")),
                t_dir,
                If(
                    IsNumber(t_num),
                    vocab.POSITIVE,
                    If(And(op_cell.eq(""), Not(t_n.eq("")), Not(na)), vocab.QUALITATIVE, ""),
                ),
            ),
        ),
    )
    band_cell, actual_text = Ref("b_n"), Ref("a_n")

    def band_of(cell: Expr, otherwise: Expr | str) -> Expr:
        return _chain(
            (
                (
                    Or(*(cell.eq(vocab.normalise(n, vocab.NORMALISE_WORD)) for n in (q.name, *q.aliases))),
                    q.name,
                )
                for q in scheme.qualitative
            ),
            otherwise,
        )

    # The band as entered; filled forms often write it in 实际完成值 instead ([P1] 达成预期指标).
    bands = band_of(
        band_cell,
        If(
            band_cell.eq(""),
            band_of(actual_text, ""),
            If(Or(*(band_cell.eq(m) for m in vocab.NOT_APPLICABLE)), "/", "?"),
        ),
    )
    return [
        Step("o_n", normalise_expr(Ref(OPERATOR), vocab.NORMALISE_WORD), "指标性质（规范化）"),
        Step("op_cell", cell, "指标性质"),
        Step("dir", direction, "计分方向"),
        Step(
            "assumed",
            And(Or(op_cell.eq(""), op_cell.eq(vocab.QUANTITATIVE)), t_dir.eq(""), Not(Ref("dir").eq(""))),
            "方向为推定",
        ),
        Step(
            "conflict",
            And(
                Or(op_cell.eq("≥"), op_cell.eq("≤"), op_cell.eq("=")),
                Not(t_dir.eq("")),
                Not(t_dir.eq(op_cell)),
            ),
            "性质与指标值符号不一致",
        ),
        Step("u_n", normalise_expr(Ref(UNIT)), "度量单位（规范化）"),
        Step("row_unit", If(Ref("u_n").eq(""), Ref("t_unit"), Ref("u_n")), "本行单位"),
        Step(
            "a_uok",
            Or(Ref("a_unit").eq(""), Ref("row_unit").eq(""), Ref("a_unit").eq(Ref("row_unit"))),
            "完成值单位一致",
        ),
        Step("a_val", If(Ref("a_uok"), Ref("a_num"), ""), "计分完成值"),
        Step("b_n", normalise_expr(Ref(BAND), vocab.NORMALISE_WORD), "完成档次（规范化）"),
        Step("b_cell", bands, "完成档次"),
        Step(
            "na",
            Or(*(Ref("a_n").eq(m) for m in vocab.NOT_APPLICABLE), Ref("b_cell").eq("/")),
            "不适用",
        ),
    ]


@dataclass(frozen=True)
class RowProgram:
    """The steps of one scheme's row program, in order, and how to run them in Python.

    Steps that depend on one raw input only (the reading of a value, a label, 指标性质) are evaluated once
    per distinct input and cached: the same text is read the same way wherever it appears. The first rows
    run on rules.expr's closures, the rest on the program compiled to one Python function
    (rules.pycompile: the same values, several times faster, worth compiling only for many rows).
    """

    steps: tuple[Step, ...]

    @functools.cached_property
    def _plan(self) -> tuple[tuple[tuple[str, list[tuple[str, Expr]]], ...], list[tuple[str, Expr]]]:
        """(input, steps reading only that input) groups, and the other steps, in order."""
        deps: dict[str, frozenset[str]] = {name: frozenset((name,)) for name in RAW_INPUTS}
        groups: dict[str, list[tuple[str, Expr]]] = {}
        rest: list[tuple[str, Expr]] = []
        for step in self.steps:
            need = frozenset().union(*(deps.get(r, frozenset((r,))) for r in refs_of(step.expr)))
            deps[step.name] = need
            if len(need) == 1 and next(iter(need)) in RAW_INPUTS:
                groups.setdefault(next(iter(need)), []).append((step.name, step.expr))
            else:
                rest.append((step.name, step.expr))
        return tuple(groups.items()), rest

    @functools.cached_property
    def compiled(self) -> Program:
        """The program compiled to one Python function (and the kinds of value each step may hold)."""
        return compile_program(*self._plan)

    @functools.cached_property
    def _run(self) -> Tiered[dict[str, Value | Sequence[Value]]]:
        return Tiered(walk_program(*self._plan), lambda: self.compiled.run, COMPILE_AFTER_ROWS)

    def run(self, env: dict[str, Value | Sequence[Value]]) -> dict[str, Value | Sequence[Value]]:
        """Evaluate every step into ``env`` (which holds the raw inputs) and return it."""
        return self._run(env)

    def compile_now(self) -> None:
        """Run the compiled program from now on (a batch that will read many rows; tests)."""
        self._run.compile()


def refs_of(expr: Expr) -> set[str]:
    """The names an expression reads."""
    if isinstance(expr, Ref):
        return {expr.name}
    out: set[str] = set()
    for child in children(expr):
        out |= refs_of(child)
    return out


def raw_env(ind: Indicator) -> dict[str, Value | Sequence[Value]]:
    """The raw inputs of a row as the program reads them (blank text as None, like an empty cell)."""

    def cell(v: object) -> Value:
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        return v  # type: ignore[return-value]

    return {
        LEVEL1: cell(ind.level1),
        LEVEL2: cell(ind.level2),
        NAME: cell(ind.name),
        OPERATOR: cell(ind.operator),
        TARGET: cell(ind.target),
        UNIT: cell(ind.unit),
        ACTUAL: cell(ind.actual),
        BAND: cell(ind.band),
        WEIGHT: cell(ind.weight),
        ENTERED: cell(ind.score),
        NOTE: cell(ind.deviation_note),
        METHOD: cell(ind.method),
        COEFFICIENT: cell(ind.coefficient),
    }


__all__ = [
    "LEVEL_ABOVE",
    "LEVEL_CELL",
    "RAW_INPUTS",
    "RowProgram",
    "Step",
    "direction_steps",
    "inherit_levels",
    "inherited_level",
    "label_steps",
    "normalise_expr",
    "raw_env",
    "value_steps",
]
