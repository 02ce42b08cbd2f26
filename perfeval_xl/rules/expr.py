"""A tiny expression language: each scoring rule is written once, evaluated in Python, rendered as a formula.

A rule is a tree of ``Expr`` nodes over named inputs (``Ref``). ``evaluate(expr, env)`` computes it in
``Decimal`` with spreadsheet semantics (blank counts as 0 in arithmetic and equals ""; text is not a
number; ``ROUND`` is half-up after rounding to 15 significant digits, as LibreOffice and Excel do on
binary doubles). ``render(expr, refs)`` writes the same tree as an Excel/WPS/LibreOffice formula using only
functions every one of them has (IF, AND, OR, NOT, ISNUMBER, MIN, MAX, ROUND, SUM, SUMPRODUCT).

Only what the rules need is here; anything else raises.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal

Value = Decimal | str | None | bool


class Expr:
    """Base node. Arithmetic operators build new nodes; comparisons use ``ge``/``le``/``eq``/…"""

    def __add__(self, other: Operand) -> Expr:
        return BinOp("+", self, lift(other))

    def __radd__(self, other: Operand) -> Expr:
        return BinOp("+", lift(other), self)

    def __sub__(self, other: Operand) -> Expr:
        return BinOp("-", self, lift(other))

    def __rsub__(self, other: Operand) -> Expr:
        return BinOp("-", lift(other), self)

    def __mul__(self, other: Operand) -> Expr:
        return BinOp("*", self, lift(other))

    def __rmul__(self, other: Operand) -> Expr:
        return BinOp("*", lift(other), self)

    def __truediv__(self, other: Operand) -> Expr:
        return BinOp("/", self, lift(other))

    def __rtruediv__(self, other: Operand) -> Expr:
        return BinOp("/", lift(other), self)

    def ge(self, other: Operand) -> Expr:
        return Cmp(">=", self, lift(other))

    def gt(self, other: Operand) -> Expr:
        return Cmp(">", self, lift(other))

    def le(self, other: Operand) -> Expr:
        return Cmp("<=", self, lift(other))

    def lt(self, other: Operand) -> Expr:
        return Cmp("<", self, lift(other))

    def eq(self, other: Operand) -> Expr:
        return Cmp("=", self, lift(other))

    def ne(self, other: Operand) -> Expr:
        return Cmp("<>", self, lift(other))

    def isin(self, options: Sequence[str]) -> Expr:
        """True when the value equals one of ``options`` (rendered as OR(x="a",x="b",…))."""
        return Or(*(self.eq(o) for o in options))


Operand = Expr | Decimal | int | str


@dataclass(frozen=True, eq=False)
class Const(Expr):
    value: Decimal | str


@dataclass(frozen=True, eq=False)
class Ref(Expr):
    """A named input: one cell (a scalar) or, for ``Sum``/``SumProduct``, a column range (a list)."""

    name: str


@dataclass(frozen=True, eq=False)
class BinOp(Expr):
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, eq=False)
class Cmp(Expr):
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, eq=False)
class If(Expr):
    cond: Expr
    then: Expr
    orelse: Expr

    def __init__(self, cond: Expr, then: Operand, orelse: Operand) -> None:
        object.__setattr__(self, "cond", cond)
        object.__setattr__(self, "then", lift(then))
        object.__setattr__(self, "orelse", lift(orelse))


@dataclass(frozen=True, eq=False)
class Func(Expr):
    """A spreadsheet function applied to arguments."""

    name: str
    args: tuple[Expr, ...]


def lift(x: Operand) -> Expr:
    if isinstance(x, Expr):
        return x
    if isinstance(x, bool):
        raise TypeError("use And/Or for booleans")
    if isinstance(x, int):
        return Const(Decimal(x))
    if isinstance(x, Decimal | str):
        return Const(x)
    raise TypeError(f"cannot lift {x!r}")


def _flat(name: str, args: tuple[Expr, ...]) -> tuple[Expr, ...]:
    out: list[Expr] = []
    for a in args:
        out.extend(a.args if isinstance(a, Func) and a.name == name else (a,))
    return tuple(out)


def And(*args: Expr) -> Expr:
    return Func("AND", _flat("AND", args))


def Or(*args: Expr) -> Expr:
    return Func("OR", _flat("OR", args))


def Not(arg: Expr) -> Expr:
    return Func("NOT", (arg,))


def IsNumber(arg: Expr) -> Expr:
    return Func("ISNUMBER", (arg,))


def Min(*args: Operand) -> Expr:
    return Func("MIN", tuple(lift(a) for a in args))


def Max(*args: Operand) -> Expr:
    return Func("MAX", tuple(lift(a) for a in args))


def Round(arg: Operand, digits: int = 2) -> Expr:
    return Func("ROUND", (lift(arg), Const(Decimal(digits))))


def Sum(arg: Ref) -> Expr:
    """SUM over a column range: numbers only, text and blanks ignored."""
    return Func("SUM", (arg,))


def SumIf(criteria: Ref, value: Operand, values: Ref) -> Expr:
    """SUMIF over two column ranges of equal length: sum ``values`` where ``criteria`` equals ``value``."""
    return Func("SUMIF", (criteria, lift(value), values))


BLANK = Const("")


# ---------------------------------------------------------------------------------------- evaluation


class FormulaError(ValueError):
    """The spreadsheet would show an error value (#VALUE!, #DIV/0!): a rule that is not guarded."""


_CTX = Context(prec=34)


def round_half_up(x: Decimal, digits: int = 2) -> Decimal:
    """Round as a spreadsheet does: to 15 significant digits first, then half-up to ``digits``.

    Source: ground-notes.md ("Rounding to 15 significant digits, then half-up with Decimal, matched
    LibreOffice in every case tried"); official-rules.md §3 (round half-up to 2 decimals per indicator).
    """
    if x.is_zero():
        return Decimal(0).quantize(Decimal(1).scaleb(-digits))
    exp = x.adjusted() - 14
    x15 = x.quantize(Decimal(1).scaleb(exp), rounding=ROUND_HALF_UP, context=_CTX)
    if x15.adjusted() + digits + 1 > _CTX.prec:
        return x15  # 15 significant digits reach no further than the units: nothing after the point
    return x15.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP, context=_CTX)


def _num(v: Value) -> Decimal:
    """A value used in arithmetic, as the spreadsheet sees it."""
    if v is None:
        return Decimal(0)
    if isinstance(v, bool):
        return Decimal(int(v))
    if isinstance(v, Decimal):
        return v
    if v == "":
        raise FormulaError('arithmetic on ""')
    raise FormulaError(f"arithmetic on text {v!r}")


def _truth(v: Value) -> bool:
    if v.__class__ is bool:
        return v
    if v is None:
        return False
    if isinstance(v, Decimal):
        return not v.is_zero()
    raise FormulaError(f"text {v!r} used as a condition")


_CMP_OPS: dict[str, Callable[[object, object], bool]] = {
    "=": operator.eq,
    "<>": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _compare(op: str, a: Value, b: Value) -> bool:
    # Blank equals "" and 0; text compares case-insensitively; a number is never equal to text.
    if a is None:
        a = "" if isinstance(b, str) else Decimal(0)
    if b is None:
        b = "" if isinstance(a, str) else Decimal(0)
    if isinstance(a, bool):
        a = Decimal(int(a))
    if isinstance(b, bool):
        b = Decimal(int(b))
    if isinstance(a, str) and isinstance(b, str):
        x, y = a.casefold(), b.casefold()
    elif isinstance(a, Decimal) and isinstance(b, Decimal):
        x, y = a, b  # type: ignore[assignment]
    else:
        # Excel and LibreOffice order every number before every text.
        x, y = (Decimal(0), Decimal(1)) if isinstance(a, Decimal) else (Decimal(1), Decimal(0))  # type: ignore[assignment]
    return _CMP_OPS[op](x, y)


def _compile_cmp(op: str, left_expr: Expr, right_expr: Expr) -> Compiled:
    fn = _CMP_OPS[op]
    left, right = compile_expr(left_expr), compile_expr(right_expr)
    if isinstance(right_expr, Const) and isinstance(right_expr.value, str):
        # The rules compare a cell with a text constant (指标性质, 档次) most of the time: fold it once.
        folded = right_expr.value.casefold()

        def compare_text(env: Env) -> bool:
            a = left(env)
            if a.__class__ is str:
                return fn(a.casefold(), folded)
            return _compare(op, a, right_expr.value)  # type: ignore[arg-type]

        return compare_text

    def compare(env: Env) -> bool:
        a, b = left(env), right(env)
        if a.__class__ is Decimal and b.__class__ is Decimal:  # the common case, no coercion
            return fn(a, b)
        return _compare(op, a, b)

    return compare


Env = Mapping[str, Value | Sequence[Value]]
Compiled = Callable[[Env], Value]


def evaluate(expr: Expr, env: Env) -> Value:
    """Compute ``expr`` with the inputs in ``env`` the way a spreadsheet would."""
    return compile_expr(expr)(env)


@functools.lru_cache(maxsize=512)
def compile_expr(expr: Expr) -> Compiled:
    """``expr`` turned once into nested closures (the rules run per indicator, thousands of times)."""
    if isinstance(expr, Const):
        value = expr.value
        return lambda env: value
    if isinstance(expr, Ref):
        name = expr.name
        return lambda env: env[name]  # type: ignore[return-value]
    if isinstance(expr, BinOp):
        return _compile_binop(expr.op, compile_expr(expr.left), compile_expr(expr.right))
    if isinstance(expr, Cmp):
        return _compile_cmp(expr.op, expr.left, expr.right)
    if isinstance(expr, If):
        cond, then, orelse = compile_expr(expr.cond), compile_expr(expr.then), compile_expr(expr.orelse)
        return lambda env: then(env) if _truth(cond(env)) else orelse(env)
    if isinstance(expr, Func):
        return _FUNCS[expr.name](expr.args)
    raise TypeError(expr)


def _compile_binop(op: str, left: Compiled, right: Compiled) -> Compiled:
    if op == "/":

        def divide(env: Env) -> Decimal:
            a, b = _num(left(env)), _num(right(env))
            if b.is_zero():
                raise FormulaError("division by zero")
            return _CTX.divide(a, b)

        return divide
    fn = {"+": _CTX.add, "-": _CTX.subtract, "*": _CTX.multiply}[op]
    return lambda env: fn(_num(left(env)), _num(right(env)))


def _f_and(args: tuple[Expr, ...]) -> Compiled:
    # Spreadsheets evaluate every argument (no short circuit): an unguarded error surfaces here too.
    parts = [compile_expr(a) for a in args]
    return lambda env: all([_truth(p(env)) for p in parts])


def _f_or(args: tuple[Expr, ...]) -> Compiled:
    parts = [compile_expr(a) for a in args]
    return lambda env: any([_truth(p(env)) for p in parts])


def _f_not(args: tuple[Expr, ...]) -> Compiled:
    arg = compile_expr(args[0])
    return lambda env: not _truth(arg(env))


def _f_isnumber(args: tuple[Expr, ...]) -> Compiled:
    arg = compile_expr(args[0])
    return lambda env: isinstance(arg(env), Decimal)


def _f_min(args: tuple[Expr, ...]) -> Compiled:
    parts = [compile_expr(a) for a in args]
    return lambda env: min(_num(p(env)) for p in parts)


def _f_max(args: tuple[Expr, ...]) -> Compiled:
    parts = [compile_expr(a) for a in args]
    return lambda env: max(_num(p(env)) for p in parts)


def _f_round(args: tuple[Expr, ...]) -> Compiled:
    value, digits = compile_expr(args[0]), compile_expr(args[1])
    return lambda env: round_half_up(_num(value(env)), int(_num(digits(env))))


def _f_sum(args: tuple[Expr, ...]) -> Compiled:
    (ref,) = args
    assert isinstance(ref, Ref)
    name = ref.name

    def total(env: Env) -> Decimal:
        out = Decimal(0)
        for v in env[name]:  # type: ignore[union-attr]
            if isinstance(v, Decimal):
                out = _CTX.add(out, v)
        return out

    return total


def _f_sumif(args: tuple[Expr, ...]) -> Compiled:
    crit, value, vals = args
    assert isinstance(crit, Ref) and isinstance(vals, Ref)
    want_of = compile_expr(value)

    def total(env: Env) -> Decimal:
        want = want_of(env)
        out = Decimal(0)
        for c, v in zip(env[crit.name], env[vals.name], strict=True):  # type: ignore[call-overload]
            if isinstance(v, Decimal) and c is not None and _compare("=", c, want):
                out = _CTX.add(out, v)
        return out

    return total


_FUNCS: dict[str, Callable[[tuple[Expr, ...]], Compiled]] = {
    "AND": _f_and,
    "OR": _f_or,
    "NOT": _f_not,
    "ISNUMBER": _f_isnumber,
    "MIN": _f_min,
    "MAX": _f_max,
    "ROUND": _f_round,
    "SUM": _f_sum,
    "SUMIF": _f_sumif,
}


# ---------------------------------------------------------------------------------------- rendering


def _const(value: Decimal | str) -> str:
    if isinstance(value, str):
        return '"' + value.replace('"', '""') + '"'
    text = format(value.normalize(), "f")
    return text if not text.startswith("-") else f"({text})"


def render(expr: Expr, refs: Mapping[str, str] | Callable[[str], str], *, top: bool = True) -> str:
    """The formula text for ``expr`` (with a leading ``=`` when ``top``); ``refs`` maps input names to
    cell or range references such as ``F5``, ``$C$12``, ``绩效指标!$L$5:$L$304`` or a defined name."""
    look = refs if callable(refs) else refs.__getitem__
    r = lambda e: render(e, refs, top=False)  # noqa: E731
    if isinstance(expr, Const):
        out = _const(expr.value)
    elif isinstance(expr, Ref):
        out = look(expr.name)
    elif isinstance(expr, BinOp | Cmp):
        out = f"({r(expr.left)}{expr.op}{r(expr.right)})"
    elif isinstance(expr, If):
        out = f"IF({r(expr.cond)},{r(expr.then)},{r(expr.orelse)})"
    elif isinstance(expr, Func):
        out = f"{expr.name}({','.join(r(a) for a in expr.args)})"
    else:
        raise TypeError(expr)
    return "=" + out if top else out
