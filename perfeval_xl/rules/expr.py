"""A tiny expression language: each scoring rule is written once, evaluated in Python, rendered as a formula.

A rule is a tree of ``Expr`` nodes over named inputs (``Ref``). ``evaluate(expr, env)`` computes it in
``Decimal`` with spreadsheet semantics (blank counts as 0 in arithmetic and equals ""; text is not a
number; ``ROUND`` is half-up after rounding to 15 significant digits, as LibreOffice and Excel do on
binary doubles). ``render(expr, refs)`` writes the same tree as an Excel/WPS/LibreOffice formula using only
functions every one of them has (Excel 2010 is the oldest target): IF, AND, OR, NOT, ISNUMBER, ISTEXT,
ISERROR, IFERROR, MIN, MAX, ABS, ROUND, SUM, SUMIF, SUMPRODUCT, LEFT, RIGHT, MID, LEN, SUBSTITUTE, FIND,
VALUE, CHAR and the ``&`` operator.

Errors (``#VALUE!``, ``#DIV/0!``) are ``FormulaError`` in Python: they propagate as in a spreadsheet until an
``ISNUMBER``/``ISTEXT``/``ISERROR``/``IFERROR`` catches them; one that reaches the top is a rule that is not
guarded. Where Excel and LibreOffice disagree on an edge (``FIND("",x)``: 1 in Excel, an error in
LibreOffice; ``CODE("")``), the rules must not go there: Python follows LibreOffice, which the parity tests
run, and the rules guard such calls.

Only what the rules need is here; anything else raises.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Context, Decimal

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

    def cat(self, other: Operand) -> Expr:
        """Text concatenation (``&``)."""
        return BinOp("&", self, lift(other))

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


def children(expr: Expr) -> tuple[Expr, ...]:
    """The operands of a node, in order (none for a constant or a reference)."""
    if isinstance(expr, BinOp | Cmp):
        return (expr.left, expr.right)
    if isinstance(expr, If):
        return (expr.cond, expr.then, expr.orelse)
    if isinstance(expr, Func):
        return expr.args
    return ()


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


def IsText(arg: Expr) -> Expr:
    return Func("ISTEXT", (arg,))


def IsError(arg: Expr) -> Expr:
    return Func("ISERROR", (arg,))


def IfError(arg: Operand, fallback: Operand) -> Expr:
    return Func("IFERROR", (lift(arg), lift(fallback)))


def Abs(arg: Operand) -> Expr:
    return Func("ABS", (lift(arg),))


def Int(arg: Operand) -> Expr:
    """Round down to a whole number (``INT``)."""
    return Func("INT", (lift(arg),))


#: The logical constants (rendered ``TRUE()`` and ``FALSE()``, which Excel, WPS and LibreOffice all have).
TRUE = Func("TRUE", ())
FALSE = Func("FALSE", ())


def Guard(guard: Expr, then: Expr) -> Expr:
    """``then`` only where ``guard`` holds, else FALSE: AND evaluates every argument (as spreadsheets do),
    so arithmetic on a value that may be text must sit behind an IF."""
    return If(guard, then, FALSE)


def Left(text: Operand, n: Operand) -> Expr:
    return Func("LEFT", (lift(text), lift(n)))


def Right(text: Operand, n: Operand) -> Expr:
    return Func("RIGHT", (lift(text), lift(n)))


def Mid(text: Operand, start: Operand, n: Operand) -> Expr:
    return Func("MID", (lift(text), lift(start), lift(n)))


def Len(text: Operand) -> Expr:
    return Func("LEN", (lift(text),))


def Substitute(text: Operand, old: str, new: str) -> Expr:
    """Every ``old`` replaced by ``new`` (``old`` is a constant, never empty)."""
    if not old:
        raise ValueError("SUBSTITUTE of an empty text")
    return Func("SUBSTITUTE", (lift(text), _text_const(old), _text_const(new)))


def Find(needle: Operand, haystack: Operand) -> Expr:
    """Position (from 1) of ``needle`` in ``haystack``, case-sensitive; an error when absent or empty."""
    return Func("FIND", (lift(needle), lift(haystack)))


def ToNumber(text: Operand) -> Expr:
    """The number a text spells (``VALUE``); the rules call it only on texts they checked."""
    return Func("VALUE", (lift(text),))


def CountEqual(values: Ref, value: Operand) -> Expr:
    """How many items of a column range equal ``value`` (``SUMPRODUCT(--(range=value))``: exact, no
    wildcards, unlike COUNTIF)."""
    return Func("COUNTEQ", (values, lift(value)))


def Text(arg: Operand) -> Expr:
    """A value as text (``arg&""``): blank → "", a number as a spreadsheet shows it in General format."""
    return BinOp("&", lift(arg), Const(""))


def _text_const(text: str) -> Expr:
    """A constant text; line breaks and tabs are rendered with CHAR() (a formula cannot hold them)."""
    parts = re.split(r"([\n\r\t])", text)
    exprs: list[Expr] = [
        Func("CHAR", (Const(Decimal(ord(p))),)) if p in "\n\r\t" and p else Const(p) for p in parts if p
    ]
    if not exprs:
        return Const("")
    out = exprs[0]
    for e in exprs[1:]:
        out = BinOp("&", out, e)
    return out


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


def _text(v: Value) -> str:
    """A value used as text, as the spreadsheet sees it (General format for numbers)."""
    if v is None:
        return ""
    if v.__class__ is str:
        return v  # type: ignore[return-value]
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, Decimal):
        return _general(v)
    return str(v)


def _general(d: Decimal) -> str:
    """A number as General format shows it: 15 significant digits, no trailing zeros, no exponent for
    ordinary magnitudes (12.5, 0.1, 266)."""
    if d.is_zero():
        return "0"
    d15 = (
        round_half_up(d, 0)
        if d.adjusted() >= 15
        else d.quantize(Decimal(1).scaleb(d.adjusted() - 14), rounding=ROUND_HALF_UP)
    )
    text = format(d15.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def plain(d: Decimal) -> str:
    """A number as entered, without exponent or trailing zeros (95, 0.95, 12.5, 89.974)."""
    text = format(d.normalize(), "f")
    return "0" if text in ("-0", "0", "") else text


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


def _compile_cmp(op: str, left_expr: Expr, right_expr: Expr, lazy: bool) -> Compiled:
    fn = _CMP_OPS[op]
    left, right = compile_expr(left_expr, lazy), compile_expr(right_expr, lazy)
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
def compile_expr(expr: Expr, lazy: bool = False) -> Compiled:
    """``expr`` turned once into nested closures (the rules run per indicator, thousands of times).

    ``lazy``: AND and OR stop at the first argument that decides them. A spreadsheet evaluates every
    argument, so a lazy result differs from the strict one only where the strict evaluation raises
    FormulaError (the workbook would show #VALUE!): tests evaluate every rule strictly on generated rows
    and assert it never raises, so the checks may run lazily, several times faster.
    """
    if isinstance(expr, Const):
        value = expr.value
        return lambda env: value
    if isinstance(expr, Ref):
        name = expr.name
        return lambda env: env[name]  # type: ignore[return-value]
    if isinstance(expr, BinOp):
        return _compile_binop(expr.op, compile_expr(expr.left, lazy), compile_expr(expr.right, lazy))
    if isinstance(expr, Cmp):
        return _compile_cmp(expr.op, expr.left, expr.right, lazy)
    if isinstance(expr, If):
        cond, then, orelse = (
            compile_expr(expr.cond, lazy),
            compile_expr(expr.then, lazy),
            compile_expr(expr.orelse, lazy),
        )
        return lambda env: then(env) if _truth(cond(env)) else orelse(env)
    if isinstance(expr, Func):
        return _FUNCS[expr.name](expr.args, lazy)
    raise TypeError(expr)


def _compile_binop(op: str, left: Compiled, right: Compiled) -> Compiled:
    if op == "&":
        return lambda env: _text(left(env)) + _text(right(env))
    if op == "/":

        def divide(env: Env) -> Decimal:
            a, b = _num(left(env)), _num(right(env))
            if b.is_zero():
                raise FormulaError("division by zero")
            return _CTX.divide(a, b)

        return divide
    fn = {"+": _CTX.add, "-": _CTX.subtract, "*": _CTX.multiply}[op]
    return lambda env: fn(_num(left(env)), _num(right(env)))


def _f_and(args: tuple[Expr, ...], lazy: bool) -> Compiled:
    # Spreadsheets evaluate every argument (no short circuit): an unguarded error surfaces here too.
    parts = [compile_expr(a, lazy) for a in args]
    if lazy:
        return lambda env: all(_truth(p(env)) for p in parts)
    return lambda env: all([_truth(p(env)) for p in parts])


def _f_or(args: tuple[Expr, ...], lazy: bool) -> Compiled:
    parts = [compile_expr(a, lazy) for a in args]
    if lazy:
        return lambda env: any(_truth(p(env)) for p in parts)
    return lambda env: any([_truth(p(env)) for p in parts])


def _f_not(args: tuple[Expr, ...], lazy: bool) -> Compiled:
    arg = compile_expr(args[0], lazy)
    return lambda env: not _truth(arg(env))


def _f_min(args: tuple[Expr, ...], lazy: bool) -> Compiled:
    parts = [compile_expr(a, lazy) for a in args]
    return lambda env: min(_num(p(env)) for p in parts)


def _f_max(args: tuple[Expr, ...], lazy: bool) -> Compiled:
    parts = [compile_expr(a, lazy) for a in args]
    return lambda env: max(_num(p(env)) for p in parts)


def _f_round(args: tuple[Expr, ...], lazy: bool) -> Compiled:
    value, digits = compile_expr(args[0], lazy), compile_expr(args[1], lazy)
    return lambda env: round_half_up(_num(value(env)), int(_num(digits(env))))


def _f_sum(args: tuple[Expr, ...], lazy: bool) -> Compiled:
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


def _f_sumif(args: tuple[Expr, ...], lazy: bool) -> Compiled:
    crit, value, vals = args
    assert isinstance(crit, Ref) and isinstance(vals, Ref)
    want_of = compile_expr(value, lazy)

    def total(env: Env) -> Decimal:
        want = want_of(env)
        out = Decimal(0)
        for c, v in zip(env[crit.name], env[vals.name], strict=True):  # type: ignore[call-overload]
            if isinstance(v, Decimal) and c is not None and _compare("=", c, want):
                out = _CTX.add(out, v)
        return out

    return total


def _catching(arg: Compiled) -> Callable[[Env], tuple[bool, Value]]:
    def run(env: Env) -> tuple[bool, Value]:
        try:
            return False, arg(env)
        except FormulaError:
            return True, None

    return run


def _f_istext(args: tuple[Expr, ...], lazy: bool) -> Compiled:
    run = _catching(compile_expr(args[0], lazy))

    def istext(env: Env) -> bool:
        failed, value = run(env)
        return not failed and value.__class__ is str

    return istext


def _f_isnumber_safe(args: tuple[Expr, ...], lazy: bool) -> Compiled:
    run = _catching(compile_expr(args[0], lazy))

    def isnumber(env: Env) -> bool:
        failed, value = run(env)
        return not failed and isinstance(value, Decimal)

    return isnumber


def _f_iserror(args: tuple[Expr, ...], lazy: bool) -> Compiled:
    run = _catching(compile_expr(args[0], lazy))
    return lambda env: run(env)[0]


def _f_iferror(args: tuple[Expr, ...], lazy: bool) -> Compiled:
    run, fallback = _catching(compile_expr(args[0], lazy)), compile_expr(args[1], lazy)

    def iferror(env: Env) -> Value:
        failed, value = run(env)
        return fallback(env) if failed else value

    return iferror


def _f_abs(args: tuple[Expr, ...], lazy: bool) -> Compiled:
    arg = compile_expr(args[0], lazy)
    return lambda env: abs(_num(arg(env)))


def _f_int(args: tuple[Expr, ...], lazy: bool) -> Compiled:
    arg = compile_expr(args[0], lazy)
    return lambda env: _num(arg(env)).to_integral_value(rounding=ROUND_FLOOR)


def _count(v: Value) -> int:
    n = _num(v)
    if n < 0:
        raise FormulaError("negative length")
    return int(n)  # spreadsheets truncate


def _f_left(args: tuple[Expr, ...], lazy: bool) -> Compiled:
    text, n = compile_expr(args[0], lazy), compile_expr(args[1], lazy)
    return lambda env: _text(text(env))[: _count(n(env))]


def _f_right(args: tuple[Expr, ...], lazy: bool) -> Compiled:
    text, n = compile_expr(args[0], lazy), compile_expr(args[1], lazy)

    def right(env: Env) -> str:
        s, k = _text(text(env)), _count(n(env))
        return s[len(s) - k :] if k else ""

    return right


def _f_mid(args: tuple[Expr, ...], lazy: bool) -> Compiled:
    text, start, n = (compile_expr(a, lazy) for a in args)

    def mid(env: Env) -> str:
        s, first, k = _text(text(env)), _num(start(env)), _count(n(env))
        if first < 1:
            raise FormulaError("MID start below 1")
        i = int(first) - 1
        return s[i : i + k]

    return mid


def _f_len(args: tuple[Expr, ...], lazy: bool) -> Compiled:
    text = compile_expr(args[0], lazy)
    return lambda env: Decimal(len(_text(text(env))))


def _f_substitute(args: tuple[Expr, ...], lazy: bool) -> Compiled:
    text, old, new = (compile_expr(a, lazy) for a in args)
    return lambda env: _text(text(env)).replace(_text(old(env)), _text(new(env)))


def _f_find(args: tuple[Expr, ...], lazy: bool) -> Compiled:
    needle, hay = compile_expr(args[0], lazy), compile_expr(args[1], lazy)

    def find(env: Env) -> Decimal:
        n, h = _text(needle(env)), _text(hay(env))
        at = h.find(n) if n else -1  # LibreOffice: FIND("",x) is an error
        if at < 0:
            raise FormulaError("FIND: not found")
        return Decimal(at + 1)

    return find


_VALUE_TEXT = re.compile(r" *[+-]?(?:\d+\.?\d*|\.\d+) *", re.ASCII)


def _f_value(args: tuple[Expr, ...], lazy: bool) -> Compiled:
    text = compile_expr(args[0], lazy)

    def value(env: Env) -> Decimal:
        v = text(env)
        if isinstance(v, Decimal):
            return v
        s = _text(v)
        if not _VALUE_TEXT.fullmatch(s):
            raise FormulaError(f"VALUE of {s!r}")
        return Decimal(s.strip())

    return value


def _f_char(args: tuple[Expr, ...], lazy: bool) -> Compiled:
    code = compile_expr(args[0], lazy)
    return lambda env: chr(int(_num(code(env))))


def _f_counteq(args: tuple[Expr, ...], lazy: bool) -> Compiled:
    ref, value = args
    assert isinstance(ref, Ref)
    name, want = ref.name, compile_expr(value, lazy)

    def count(env: Env) -> Decimal:
        w = want(env)
        return Decimal(sum(1 for v in env[name] if _compare("=", v, w)))  # type: ignore[union-attr]

    return count


_FUNCS: dict[str, Callable[[tuple[Expr, ...]], Compiled]] = {
    "TRUE": lambda args, lazy: lambda env: True,
    "FALSE": lambda args, lazy: lambda env: False,
    "AND": _f_and,
    "OR": _f_or,
    "NOT": _f_not,
    "ISNUMBER": _f_isnumber_safe,
    "ISTEXT": _f_istext,
    "ISERROR": _f_iserror,
    "IFERROR": _f_iferror,
    "ABS": _f_abs,
    "INT": _f_int,
    "LEFT": _f_left,
    "RIGHT": _f_right,
    "MID": _f_mid,
    "LEN": _f_len,
    "SUBSTITUTE": _f_substitute,
    "FIND": _f_find,
    "VALUE": _f_value,
    "CHAR": _f_char,
    "COUNTEQ": _f_counteq,
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
    elif isinstance(expr, Func) and expr.name == "COUNTEQ":
        out = f"SUMPRODUCT(--({r(expr.args[0])}={r(expr.args[1])}))"
    elif isinstance(expr, Func):
        out = f"{expr.name}({','.join(r(a) for a in expr.args)})"
    else:
        raise TypeError(expr)
    return "=" + out if top else out
