"""The rules compiled to Python source: expression trees (rules.expr) turned, once per scheme and process,
into plain Python functions (generated source, ``compile()`` and ``exec``).

Why: a row program and the row rules are hundreds of small nodes evaluated for every indicator of every
evaluation. As closures (``rules.expr.compile_expr``) every node is a Python call, and those calls were most
of the time of ``service.evaluate`` (issue 14). Each rule is still defined once, as its tree: the same tree
renders the workbook's formula (``rules.expr.render``) and is evaluated by ``rules.expr.evaluate``, the
reference; this module only computes the same values faster. tests/test_pycompile.py holds it to the
reference on generated evaluations of every shipped scheme.

What is generated. For a scheme's row program (``compile_program``), one function::

    def run(env):
        x_target = env.get('target')
        (v_t_n, v_t_pre, …, v_t_dir) = _g0(x_target)     # a group of steps of one input, cached by its value
        …
        v_dir = (v_op_cell if (v_op_cell.casefold() in _k7) else ('' if … else …))
        …
        env['t_n'] = v_t_n
        …
        return env

and for a list of conditions (``compile_conditions``: the row rules or the book rules of a scheme), one
function returning the positions of the conditions that hold: ``if ((not v_na) and …): out.append(3)``.

How the spreadsheet semantics are kept (rules.expr is the definition; each point mirrors its closures):

- Every operation calls the primitive the closures call (``_num``, ``_text``, ``_truth``, ``_compare``,
  ``round_half_up``, the 34-digit context's add/subtract/multiply/divide …), operands in the same order,
  except where the kinds of an operand are known and the primitive is then the identity or one Python
  operation: ``_num`` of a number, ``_text`` of a text, a comparison of two numbers, a text compared with a
  text constant (``casefold`` once, as the closures' ``compare_text``).
- Kinds (number, text, logical, blank, other) are inferred from the tree: a comparison is logical, ``&``
  text, arithmetic a number, an input may be anything; and narrowed by guards: in ``IF(ISNUMBER(x), a, b)``
  x is a number in ``a``; in a lazy ``AND(ISNUMBER(x), x>0)`` in every argument after the guard.
- ``IF`` is Python's conditional expression. ``AND``/``OR`` are ``and``/``or`` when lazy (as
  ``compile_expr(lazy=True)``: stop at the first argument that decides) and ``all([…])``/``any([…])``
  when strict (every argument evaluated, as a spreadsheet does). An ``OR`` of ``x = "a"``, ``x = "b"`` … on
  a text ``x`` is one set lookup.
- A node that may raise FormulaError under ISNUMBER/ISTEXT/ISERROR/IFERROR becomes a small function with
  ``try``/``except FormulaError`` returning a sentinel (``_ERR``); a node that cannot raise is inlined.
- A subtree without inputs is evaluated once by rules.expr's closures and becomes a constant.
- An expression nested deeper than Python's parser allows is moved into a function of its own.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any, Generic, NamedTuple, TypeVar

from .expr import (
    _CTX,
    _VALUE_TEXT,
    BinOp,
    Cmp,
    Const,
    Expr,
    FormulaError,
    Func,
    If,
    Ref,
    Value,
    _compare,
    _num,
    _text,
    _truth,
    children,
    compile_expr,
    round_half_up,
)

#: Kinds a value may have: a number (Decimal), text (str), a logical (bool), blank (None), anything else.
NUMBER, TEXT, LOGICAL, BLANK, OTHER = "n", "s", "b", "e", "o"
Kinds = frozenset[str]
ANY: Kinds = frozenset((NUMBER, TEXT, LOGICAL, BLANK, OTHER))
_N, _S, _B, _E = frozenset(NUMBER), frozenset(TEXT), frozenset(LOGICAL), frozenset(BLANK)
#: Kinds that FormulaError on arithmetic and as a condition.
_NOT_NUMERIC = frozenset((TEXT, OTHER))
#: How deep generated parentheses may nest before a subtree becomes a function (Python's parser allows 200).
_MAX_DEPTH = 100

_PY_OPS = {"=": "==", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


class _Err:
    """The sentinel a guarded subexpression returns instead of raising FormulaError."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "_ERR"


_ERR = _Err()


# ------------------------------------------------------------------ runtime helpers (as rules.expr's closures)


def _div(a: Decimal, b: Decimal) -> Decimal:
    if b.is_zero():
        raise FormulaError("division by zero")
    return _CTX.divide(a, b)


def _count(v: Value) -> int:
    n = _num(v)
    if n < 0:
        raise FormulaError("negative length")
    return int(n)


def _right(s: str, k: int) -> str:
    return s[len(s) - k :] if k else ""


def _mid(s: str, first: Decimal, k: int) -> str:
    if first < 1:
        raise FormulaError("MID start below 1")
    i = int(first) - 1
    return s[i : i + k]


def _find(n: str, h: str) -> Decimal:
    at = h.find(n) if n else -1  # LibreOffice: FIND("",x) is an error
    if at < 0:
        raise FormulaError("FIND: not found")
    return Decimal(at + 1)


def _value(v: Value) -> Decimal:
    if isinstance(v, Decimal):
        return v
    s = _text(v)
    if not _VALUE_TEXT.fullmatch(s):
        raise FormulaError(f"VALUE of {s!r}")
    return Decimal(s.strip())


def _sum(values: Iterable[Value]) -> Decimal:
    out = Decimal(0)
    for v in values:
        if isinstance(v, Decimal):
            out = _CTX.add(out, v)
    return out


def _sumif(crit: Sequence[Value], want: Value, values: Sequence[Value]) -> Decimal:
    folded = want.casefold() if want.__class__ is str else None  # type: ignore[union-attr]
    out = Decimal(0)
    for c, v in zip(crit, values, strict=True):
        if (
            isinstance(v, Decimal)
            and c is not None
            and (
                c.casefold() == folded  # type: ignore[union-attr]
                if folded is not None and c.__class__ is str
                else _compare("=", c, want)
            )
        ):
            out = _CTX.add(out, v)
    return out


def _counteq(values: Iterable[Value], want: Value) -> Decimal:
    if want.__class__ is str:  # a text: casefold it once (what _compare does to each pair of texts)
        folded = want.casefold()  # type: ignore[union-attr]
        return Decimal(
            sum(
                1
                for v in values
                if (v.casefold() == folded if v.__class__ is str else _compare("=", v, want))
            )  # type: ignore[union-attr]
        )
    return Decimal(sum(1 for v in values if _compare("=", v, want)))


_RUNTIME: dict[str, object] = {
    "Decimal": Decimal,
    "FormulaError": FormulaError,
    "_ERR": _ERR,
    "_ROUND_FLOOR": ROUND_FLOOR,
    "_num": _num,
    "_text": _text,
    "_truth": _truth,
    "_compare": _compare,
    "_round": round_half_up,
    "_add": _CTX.add,
    "_sub": _CTX.subtract,
    "_mul": _CTX.multiply,
    "_div": _div,
    "_count": _count,
    "_right": _right,
    "_mid": _mid,
    "_find": _find,
    "_value": _value,
    "_sum": _sum,
    "_sumif": _sumif,
    "_counteq": _counteq,
}


# ------------------------------------------------------------------------------------------ the generator


class _Code(NamedTuple):
    """A generated Python expression: its text, the kinds of its value, whether it may raise FormulaError,
    how deep its parentheses nest, and its value when it is a constant."""

    text: str
    kinds: Kinds
    raises: bool
    depth: int = 0
    const: tuple[Value] | None = None  # (value,) for a constant
    as_int: str | None = None  # LEN: the same length as a Python int (compared with numbers as it is)


class _Var(NamedTuple):
    """A variable of the generated code: its identifier, its kinds, and for a text (or blank) the identifier
    of its casefolded copy (assigned once after it when a comparison uses it)."""

    ident: str
    kinds: Kinds
    folded: str | None = None


Scope = Mapping[str, _Var]


def _kinds_of(value: object) -> Kinds:
    if isinstance(value, bool):
        return _B
    if isinstance(value, Decimal):
        return _N
    if value is None:
        return _E
    if value.__class__ is str:
        return _S
    return ANY


class _Generator:
    """Python source for expressions of one compiled unit: its constants and helper functions."""

    def __init__(self, lazy: bool) -> None:
        self.lazy = lazy
        self.namespace: dict[str, object] = dict(_RUNTIME)
        self.helpers: list[str] = []
        self._constants: dict[tuple[type, object], str] = {}
        self._count = 0
        self._refs: dict[Expr, frozenset[str]] = {}
        self._memo: dict[tuple[Expr, tuple[_Var, ...]], _Code] = {}
        self._taken: set[str] = set()
        #: Casefolded copies: identifier → its assignment; and those the function being generated uses.
        self._fold_source: dict[str, str] = {}
        self.folds: dict[str, str] = {}

    # -- names and constants

    def fresh(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}{self._count}"

    def constant(self, value: object) -> str:
        """The source of a constant: a literal for text, logicals and blank; a name for anything else."""
        if value is None or isinstance(value, bool):
            return repr(value)
        if value.__class__ is str:
            return repr(value)
        key = (type(value), value if not isinstance(value, Decimal) else (value, str(value)))
        if key not in self._constants:
            name = self.fresh("_k")
            self.namespace[name] = value
            self._constants[key] = name
        return self._constants[key]

    def refs(self, expr: Expr) -> frozenset[str]:
        """The names ``expr`` reads (memoised: trees share subtrees)."""
        got = self._refs.get(expr)
        if got is None:
            if isinstance(expr, Ref):
                got = frozenset((expr.name,))
            else:
                got = frozenset().union(*(self.refs(c) for c in children(expr)))
            self._refs[expr] = got
        return got

    def var(self, prefix: str, name: str, kinds: Kinds) -> _Var:
        """A new variable for ``name`` (a text or blank one with a casefolded copy at hand)."""
        ident = _identifier(prefix, name, self._taken)
        if not kinds <= _S | _E:
            return _Var(ident, kinds)
        folded = _identifier("f_", name, self._taken)
        source = f"{ident}.casefold()" if kinds <= _S else f"({ident} or '').casefold()"  # blank is ""
        self._fold_source[folded] = f"{folded} = {source}"
        return _Var(ident, kinds, folded)

    def fold(self, var: _Var) -> str:
        """The casefolded copy of a text (or blank: "") variable, assigned in the function using it."""
        assert var.folded is not None
        self.folds[var.folded] = self._fold_source[var.folded]
        return var.folded

    def function(self, header: str, lines: list[tuple[str, Sequence[_Var]]], tail: Sequence[str]) -> str:
        """A function: ``header``, each line with the variables it assigns (followed by the casefolded
        copies of those the function uses), then ``tail``."""
        out = [header]
        for line, assigned in lines:
            out.append(f"    {line}")
            out.extend(f"    {self.folds[v.folded]}" for v in assigned if v.folded in self.folds)
        out.extend(f"    {line}" for line in tail)
        self.folds, self._memo = {}, {}  # code remembered inside this function may use its folds
        return "\n".join(out) + "\n"

    # -- expressions

    def code(self, expr: Expr, scope: Scope) -> _Code:
        """``expr`` as a Python expression over the variables of ``scope``."""
        if isinstance(expr, Const):
            return self.literal(expr.value)
        if isinstance(expr, Ref):
            var = scope[expr.name]
            return _Code(var.ident, var.kinds, False)
        refs = self.refs(expr)
        if not refs:  # a constant: its value, as lazy as the code generated (ISERROR(AND(…)) may differ)
            try:
                value = compile_expr(expr, self.lazy)({})
            except FormulaError:
                pass
            else:
                return self.literal(value)
        # Trees share subtrees: the same subtree over the same variables is the same code.
        key = (expr, tuple(scope[n] for n in sorted(refs)))
        out = self._memo.get(key)
        if out is None:
            out = self._code(expr, scope)
            if out.depth > _MAX_DEPTH:
                out = self.outline(expr, out, scope, catch=False)
            self._memo[key] = out
        return out

    def literal(self, value: Value) -> _Code:
        return _Code(self.constant(value), _kinds_of(value), False, 0, (value,))

    def _code(self, expr: Expr, scope: Scope) -> _Code:
        if isinstance(expr, BinOp):
            return self.binop(expr, scope)
        if isinstance(expr, Cmp):
            return self.compare(expr.op, expr.left, expr.right, scope)
        if isinstance(expr, If):
            return self.if_(expr, scope)
        if isinstance(expr, Func):
            return _FUNCS[expr.name](self, expr.args, scope)
        raise TypeError(expr)

    def outline(self, expr: Expr, c: _Code, scope: Scope, *, catch: bool) -> _Code:
        """The code ``c`` of ``expr`` as a call of a function of its own, whose parameters are the variables
        ``c`` reads (with ``catch``: returning _ERR for FormulaError)."""
        names = sorted(self.refs(expr))
        idents = [scope[n].ident for n in names]
        # The casefolded copies the code reads are parameters too (assigned in the calling function).
        idents += [
            self.fold(v) for n in names if (v := scope[n]).folded and re.search(rf"\b{v.folded}\b", c.text)
        ]
        params = ", ".join(idents)
        name = self.fresh("_h")
        if catch and c.raises:
            self.helpers.append(
                f"def {name}({params}):\n    try:\n        return {c.text}\n"
                f"    except FormulaError:\n        return _ERR\n"
            )
            return _Code(f"{name}({params})", c.kinds | {OTHER}, False, 1)
        self.helpers.append(f"def {name}({params}):\n    return {c.text}\n")
        return _Code(f"{name}({params})", c.kinds, c.raises, 1)

    # -- conversions (rules.expr's _num, _text, _truth)

    def num(self, c: _Code) -> _Code:
        if c.kinds <= _N:
            return c
        return _Code(f"_num({c.text})", _N, c.raises or bool(c.kinds & _NOT_NUMERIC), c.depth + 1)

    def text(self, c: _Code) -> _Code:
        if c.kinds <= _S:
            return c
        return _Code(f"_text({c.text})", _S, c.raises, c.depth + 1)

    def truth(self, c: _Code) -> _Code:
        """A Python bool expression: the value as a spreadsheet condition."""
        if c.const is not None:
            try:
                return self.literal(_truth(c.const[0]))
            except FormulaError:
                pass
        if c.kinds <= _B:
            return c
        if c.kinds <= _N:
            return _Code(f"(not {c.text}.is_zero())", _B, c.raises, c.depth + 1)
        return _Code(f"_truth({c.text})", _B, c.raises or bool(c.kinds & _NOT_NUMERIC), c.depth + 1)

    # -- nodes

    def binop(self, expr: BinOp, scope: Scope) -> _Code:
        left, right = self.code(expr.left, scope), self.code(expr.right, scope)
        if expr.op == "&":
            a, b = self.text(left), self.text(right)
            return _Code(f"({a.text} + {b.text})", _S, a.raises or b.raises, max(a.depth, b.depth) + 1)
        a, b = self.num(left), self.num(right)
        fn = {"+": "_add", "-": "_sub", "*": "_mul", "/": "_div"}[expr.op]
        raises = a.raises or b.raises or expr.op == "/"
        return _Code(f"{fn}({a.text}, {b.text})", _N, raises, max(a.depth, b.depth) + 1)

    def compare(self, op: str, left_expr: Expr, right_expr: Expr, scope: Scope) -> _Code:
        left, right = self.code(left_expr, scope), self.code(right_expr, scope)
        raises = left.raises or right.raises
        depth = max(left.depth, right.depth) + 1
        py = _PY_OPS[op]
        if left.kinds <= _N and right.kinds <= _N:  # an int compares with a Decimal exactly
            a, b = left.as_int or left.text, right.as_int or right.text
            return _Code(f"({a} {py} {b})", _B, raises, depth)
        if right.const is not None and right.kinds <= _S:
            folded = repr(right.const[0].casefold())  # type: ignore[union-attr]
            var = scope[left_expr.name] if isinstance(left_expr, Ref) else None
            if var is not None and var.folded is not None and left.kinds <= _S | _E:
                return _Code(f"({self.fold(var)} {py} {folded})", _B, raises, depth)
            if left.kinds <= _S:
                return _Code(f"({left.text}.casefold() {py} {folded})", _B, raises, depth)
            if left.kinds <= _S | _E:  # blank equals ""
                return _Code(f"(({left.text} or '').casefold() {py} {folded})", _B, raises, depth + 1)
        if left.kinds <= _S and right.kinds <= _S:
            return _Code(f"({left.text}.casefold() {py} {right.text}.casefold())", _B, raises, depth)
        generic = f"_compare({op!r}, {left.text}, {right.text})"
        if isinstance(left_expr, Ref) and right.const is not None:
            # An input of several kinds against a constant: the closures' fast path, then _compare.
            if right.kinds <= _S:
                fast = f"{left.text}.casefold() {py} {right.const[0].casefold()!r}"  # type: ignore[union-attr]
                return _Code(f"({fast} if {left.text}.__class__ is str else {generic})", _B, raises, depth)
            if right.kinds <= _N:
                fast = f"{left.text} {py} {right.text}"
                return _Code(
                    f"({fast} if {left.text}.__class__ is Decimal else {generic})", _B, raises, depth
                )
        return _Code(generic, _B, raises, depth)

    def if_(self, expr: If, scope: Scope) -> _Code:
        cond = self.truth(self.code(expr.cond, scope))
        if cond.const is not None:
            return self.code(expr.then if cond.const[0] else expr.orelse, scope)
        then = self.code(expr.then, narrow(scope, expr.cond, True))
        orelse = self.code(expr.orelse, narrow(scope, expr.cond, False))
        return _Code(
            f"({then.text} if {cond.text} else {orelse.text})",
            then.kinds | orelse.kinds,
            cond.raises or then.raises or orelse.raises,
            max(cond.depth, then.depth, orelse.depth) + 1,
        )

    def logical(self, args: tuple[Expr, ...], scope: Scope, *, is_and: bool) -> _Code:
        if not args:
            return self.literal(is_and)
        parts: list[_Code] = []
        current = scope
        i = 0
        while i < len(args):
            run = [] if is_and else _equality_run(args, i, current)
            if len(run) > 1:
                parts.append(self._one_of(run, current))
                i += len(run)
                continue
            parts.append(self.truth(self.code(args[i], current)))
            if self.lazy:
                current = narrow(current, args[i], is_and)
            i += 1
        raises = any(p.raises for p in parts)
        depth = max(p.depth for p in parts) + 1
        if len(parts) == 1:
            return parts[0]
        if self.lazy:
            joiner = " and " if is_and else " or "
            return _Code("(" + joiner.join(p.text for p in parts) + ")", _B, raises, depth)
        fn = "all" if is_and else "any"
        return _Code(f"{fn}([{', '.join(p.text for p in parts)}])", _B, raises, depth + 1)

    def _one_of(self, run: list[Cmp], scope: Scope) -> _Code:
        """OR(x = "a", x = "b", …) on a text (or blank) x: one lookup in a set of casefolded constants."""
        var = scope[run[0].left.name]  # type: ignore[attr-defined]
        options = frozenset(r.right.value.casefold() for r in run)  # type: ignore[attr-defined]
        if var.folded is not None:
            subject = self.fold(var)
        else:
            subject = f"{var.ident}.casefold()" if var.kinds <= _S else f"({var.ident} or '').casefold()"
        return _Code(f"({subject} in {self.constant(options)})", _B, False, 2)


def _equality_run(args: tuple[Expr, ...], start: int, scope: Scope) -> list[Cmp]:
    """The comparisons ``x = "text"`` of one text-or-blank input ``x`` from ``args[start]`` on."""
    run: list[Cmp] = []
    name = None
    for arg in args[start:]:
        if not (
            isinstance(arg, Cmp)
            and arg.op == "="
            and isinstance(arg.left, Ref)
            and isinstance(arg.right, Const)
            and isinstance(arg.right.value, str)
            and arg.left.name in scope
            and scope[arg.left.name].kinds <= _S | _E
            and (name is None or arg.left.name == name)
        ):
            break
        name = arg.left.name
        run.append(arg)
    return run


def narrow(scope: Scope, cond: Expr, holds: bool) -> Scope:
    """``scope`` where ``cond`` is known to be TRUE (``holds``) or FALSE: ISNUMBER(x) and ISTEXT(x) of an
    input tell its kind; AND that holds (OR that fails) tells what each argument tells; NOT swaps."""
    facts: dict[str, Kinds] = {}
    _facts(cond, holds, facts)
    if not facts:
        return scope
    out = dict(scope)
    for name, kinds in facts.items():
        if name in out:
            out[name] = out[name]._replace(kinds=out[name].kinds & kinds)
    return out


def _facts(cond: Expr, holds: bool, out: dict[str, Kinds]) -> None:
    if not isinstance(cond, Func):
        return
    if cond.name in ("ISNUMBER", "ISTEXT") and isinstance(cond.args[0], Ref):
        kinds = _N if cond.name == "ISNUMBER" else _S
        name = cond.args[0].name
        out[name] = out.get(name, ANY) & (kinds if holds else ANY - kinds)
    elif cond.name == "NOT":
        _facts(cond.args[0], not holds, out)
    elif (cond.name == "AND" and holds) or (cond.name == "OR" and not holds):
        for arg in cond.args:
            _facts(arg, holds, out)


# ------------------------------------------------------------------------------------------ functions


def _one(fn: Callable[[_Generator, _Code], _Code]) -> Callable[[_Generator, tuple[Expr, ...], Scope], _Code]:
    return lambda g, args, scope: fn(g, g.code(args[0], scope))


def _call(name: str, parts: Sequence[_Code], kinds: Kinds, raises: bool) -> _Code:
    return _Code(
        f"{name}({', '.join(p.text for p in parts)})",
        kinds,
        raises or any(p.raises for p in parts),
        max((p.depth for p in parts), default=0) + 1,
    )


def _guarded(g: _Generator, expr: Expr, scope: Scope) -> _Code:
    """``expr`` under a function catching FormulaError (when it may raise one): its value or _ERR."""
    c = g.code(expr, scope)
    return g.outline(expr, c, scope, catch=True) if c.raises else c


def _f_isnumber(g: _Generator, args: tuple[Expr, ...], scope: Scope) -> _Code:
    c = _guarded(g, args[0], scope)
    if c.const is not None:
        return g.literal(isinstance(c.const[0], Decimal))
    return _Code(f"isinstance({c.text}, Decimal)", _B, False, c.depth + 1)


def _f_istext(g: _Generator, args: tuple[Expr, ...], scope: Scope) -> _Code:
    c = _guarded(g, args[0], scope)
    if c.const is not None:
        return g.literal(c.const[0].__class__ is str)
    return _Code(f"({c.text}.__class__ is str)", _B, False, c.depth + 1)


def _f_iserror(g: _Generator, args: tuple[Expr, ...], scope: Scope) -> _Code:
    c = _guarded(g, args[0], scope)
    if c.const is not None:
        return g.literal(False)
    return _Code(f"({c.text} is _ERR)", _B, False, c.depth + 1)


def _f_iferror(g: _Generator, args: tuple[Expr, ...], scope: Scope) -> _Code:
    c = g.code(args[0], scope)
    if not c.raises:
        return c
    guarded = g.outline(args[0], c, scope, catch=True)
    fallback = g.code(args[1], scope)
    temp = g.fresh("t")
    return _Code(
        f"({temp} if ({temp} := {guarded.text}) is not _ERR else {fallback.text})",
        c.kinds | fallback.kinds,
        fallback.raises,
        max(guarded.depth, fallback.depth) + 2,
    )


def _f_minmax(name: str) -> Callable[[_Generator, tuple[Expr, ...], Scope], _Code]:
    def build(g: _Generator, args: tuple[Expr, ...], scope: Scope) -> _Code:
        parts = [g.num(g.code(a, scope)) for a in args]
        if len(parts) == 1:
            return parts[0]  # min() of one value is that value
        return _call(name, parts, _N, False)

    return build


def _f_round(g: _Generator, args: tuple[Expr, ...], scope: Scope) -> _Code:
    value, digits = g.num(g.code(args[0], scope)), g.num(g.code(args[1], scope))
    d = str(int(digits.const[0])) if digits.const is not None else f"int({digits.text})"  # type: ignore[arg-type]
    return _Code(
        f"_round({value.text}, {d})", _N, value.raises or digits.raises, max(value.depth, digits.depth) + 2
    )


def _count_of(g: _Generator, c: _Code) -> _Code:
    """rules.expr's _count (a length: a number, truncated, not negative), folded when constant."""
    if c.const is not None:
        try:
            return _Code(str(_count(c.const[0])), _N, False, 0, (None,))
        except FormulaError:
            pass
    return _Code(f"_count({c.text})", _N, True, c.depth + 1)


def _f_left(g: _Generator, args: tuple[Expr, ...], scope: Scope) -> _Code:
    text, n = g.text(g.code(args[0], scope)), _count_of(g, g.code(args[1], scope))
    return _Code(f"{text.text}[:{n.text}]", _S, text.raises or n.raises, max(text.depth, n.depth) + 1)


def _f_right(g: _Generator, args: tuple[Expr, ...], scope: Scope) -> _Code:
    text, n = g.text(g.code(args[0], scope)), _count_of(g, g.code(args[1], scope))
    return _call("_right", [text, n], _S, False)


def _f_mid(g: _Generator, args: tuple[Expr, ...], scope: Scope) -> _Code:
    text = g.text(g.code(args[0], scope))
    start = g.num(g.code(args[1], scope))
    n = _count_of(g, g.code(args[2], scope))
    if start.const is not None and start.const[0] >= 1 and n.const is not None:  # type: ignore[operator]
        i = int(start.const[0]) - 1  # type: ignore[arg-type]
        return _Code(f"{text.text}[{i}:{i + int(n.text)}]", _S, text.raises, text.depth + 1)
    return _call("_mid", [text, start, n], _S, True)


def _f_len(g: _Generator, args: tuple[Expr, ...], scope: Scope) -> _Code:
    text = g.text(g.code(args[0], scope))
    length = f"len({text.text})"
    return _Code(f"Decimal({length})", _N, text.raises, text.depth + 2, as_int=length)


def _f_substitute(g: _Generator, args: tuple[Expr, ...], scope: Scope) -> _Code:
    text, old, new = (g.text(g.code(a, scope)) for a in args)
    return _Code(
        f"{text.text}.replace({old.text}, {new.text})",
        _S,
        text.raises or old.raises or new.raises,
        max(text.depth, old.depth, new.depth) + 1,
    )


def _f_find(g: _Generator, args: tuple[Expr, ...], scope: Scope) -> _Code:
    return _call("_find", [g.text(g.code(a, scope)) for a in args], _N, True)


def _f_value(g: _Generator, args: tuple[Expr, ...], scope: Scope) -> _Code:
    c = g.code(args[0], scope)
    return c if c.kinds <= _N else _call("_value", [c], _N, True)


def _f_char(g: _Generator, args: tuple[Expr, ...], scope: Scope) -> _Code:
    c = g.num(g.code(args[0], scope))
    return _Code(f"chr(int({c.text}))", _S, c.raises, c.depth + 2)


def _ranges(*positions: int) -> Callable[[Callable[..., _Code]], Callable[..., _Code]]:
    """SUM/SUMIF/COUNTEQ: the arguments at ``positions`` are column ranges (lists), read as they are."""

    def wrap(build: Callable[..., _Code]) -> Callable[..., _Code]:
        def run(g: _Generator, args: tuple[Expr, ...], scope: Scope) -> _Code:
            parts = [
                _Code(scope[a.name].ident, ANY, False)
                if i in positions and isinstance(a, Ref)
                else g.code(a, scope)
                for i, a in enumerate(args)
            ]
            return build(parts)

        return run

    return wrap


_FUNCS: dict[str, Callable[[_Generator, tuple[Expr, ...], Scope], _Code]] = {
    "TRUE": lambda g, args, scope: g.literal(True),
    "FALSE": lambda g, args, scope: g.literal(False),
    "AND": lambda g, args, scope: g.logical(args, scope, is_and=True),
    "OR": lambda g, args, scope: g.logical(args, scope, is_and=False),
    "NOT": _one(lambda g, c: _Code(f"(not {g.truth(c).text})", _B, g.truth(c).raises, c.depth + 2)),
    "ISNUMBER": _f_isnumber,
    "ISTEXT": _f_istext,
    "ISERROR": _f_iserror,
    "IFERROR": _f_iferror,
    "ABS": _one(lambda g, c: _call("abs", [g.num(c)], _N, False)),
    "INT": _one(
        lambda g, c: _Code(
            f"{g.num(c).text}.to_integral_value(rounding=_ROUND_FLOOR)", _N, g.num(c).raises, c.depth + 2
        )
    ),
    "LEFT": _f_left,
    "RIGHT": _f_right,
    "MID": _f_mid,
    "LEN": _f_len,
    "SUBSTITUTE": _f_substitute,
    "FIND": _f_find,
    "VALUE": _f_value,
    "CHAR": _f_char,
    "COUNTEQ": _ranges(0)(lambda parts: _call("_counteq", parts, _N, False)),
    "MIN": _f_minmax("min"),
    "MAX": _f_minmax("max"),
    "ROUND": _f_round,
    "SUM": _ranges(0)(lambda parts: _call("_sum", parts, _N, False)),
    "SUMIF": _ranges(0, 2)(lambda parts: _call("_sumif", parts, _N, False)),
}


# ------------------------------------------------------------------------------------------ when to compile

#: Calls a unit runs on rules.expr's closures before it is compiled: rows for a row program and the row
#: rules, evaluations for the book rules. Generating and compiling a scheme's code takes about 50 ms, what
#: the compiled code saves over a few hundred rows (measured: benchmarks/bench_rules.py); one workbook (the
#: command line, a click in Excel) never pays for it, a batch pays for it once per process.
COMPILE_AFTER_ROWS = 200
COMPILE_AFTER_EVALUATIONS = 10

T = TypeVar("T")


class Tiered(Generic[T]):
    """A function run by ``slow`` (closures: nothing to build) for its first ``after`` calls, then by what
    ``build()`` returns (built once). Both give the same results: only the speed differs."""

    def __init__(self, slow: Callable[..., T], build: Callable[[], Callable[..., T]], after: int) -> None:
        self._slow, self._build, self._left = slow, build, after
        self._fast: Callable[..., T] | None = None

    def __call__(self, *args: Any) -> T:
        if self._fast is not None:
            return self._fast(*args)
        if self._left > 0:
            self._left -= 1
            return self._slow(*args)
        return self.compile()(*args)

    def compile(self) -> Callable[..., T]:
        """Build the compiled function now (if not yet) and run it from now on."""
        if self._fast is None:
            self._fast = self._build()
        return self._fast


def walk_program(
    groups: Sequence[tuple[str, Sequence[tuple[str, Expr]]]], rest: Sequence[tuple[str, Expr]]
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """``compile_program``'s function on rules.expr's closures (lazy; each group cached by its input)."""
    cached = tuple((source, _cached_group(source, steps)) for source, steps in groups)
    closures = tuple((name, compile_expr(expr, True)) for name, expr in rest)

    def run(env: dict[str, Any]) -> dict[str, Any]:
        for source, read in cached:
            env.update(read(env.get(source)))
        for name, fn in closures:
            env[name] = fn(env)
        return env

    return run


def _cached_group(source: str, steps: Sequence[tuple[str, Expr]]) -> Callable[[Value], dict[str, Value]]:
    compiled = tuple((name, compile_expr(expr, True)) for name, expr in steps)

    @functools.lru_cache(maxsize=4096)
    def read(x: Value) -> dict[str, Value]:
        env: dict[str, Value] = {source: x}
        for name, fn in compiled:
            env[name] = fn(env)
        del env[source]
        return env

    return read


def walk_conditions(
    conditions: Sequence[Expr],
) -> Callable[[Mapping[str, object], Mapping[str, object]], list[int]]:
    """``Conditions.holding`` on rules.expr's closures (lazy): ``extra`` is merged into a copy of ``env``."""
    closures = [compile_expr(c, True) for c in conditions]

    def holding(env: Mapping[str, object], extra: Mapping[str, object]) -> list[int]:
        merged = {**env, **extra} if extra else env
        return [i for i, fn in enumerate(closures) if fn(merged)]  # type: ignore[arg-type]

    return holding


# ------------------------------------------------------------------------------------------ compiled units


def _identifier(prefix: str, name: str, taken: set[str]) -> str:
    base = prefix + re.sub(r"\W", "_", name, flags=re.ASCII)
    ident, k = base, 1
    while ident in taken:
        k += 1
        ident = f"{base}_{k}"
    taken.add(ident)
    return ident


def _load(source: str, namespace: dict[str, object], label: str) -> dict[str, object]:
    exec(compile(source, f"<perfeval_xl.rules.pycompile {label}>", "exec"), namespace)
    return namespace


@dataclass(frozen=True)
class Program:
    """A compiled row program: ``run(env)`` adds every step to ``env`` (which holds the inputs) and returns
    it; ``kinds`` gives the kinds of every step's value (for compiling conditions over the result)."""

    run: Callable[[dict[str, object]], dict[str, object]]
    kinds: Mapping[str, Kinds]
    source: str


def compile_program(
    groups: Sequence[tuple[str, Sequence[tuple[str, Expr]]]],
    rest: Sequence[tuple[str, Expr]],
    *,
    cache_size: int = 4096,
) -> Program:
    """A row program as one function, lazy as ``compile_expr(lazy=True)``.

    ``groups``: (input, steps) for steps that read one input only; each group is a function of that input's
    value, cached (``functools.lru_cache(cache_size)``) like rules.reading's groups. ``rest``: the other
    steps, in order. An input is read with ``env.get`` (a group's) or ``env[…]`` (the rest's).
    """
    g = _Generator(lazy=True)
    lines: list[tuple[str, Sequence[_Var]]] = []
    scope: dict[str, _Var] = {}
    kinds: dict[str, Kinds] = {}
    outputs: list[tuple[str, str]] = []
    for k, (source, steps) in enumerate(groups):
        param = g.var("x_", source, ANY)
        inner: dict[str, _Var] = {source: param}
        body: list[tuple[str, Sequence[_Var]]] = []
        for name, expr in steps:
            c = g.code(expr, inner)
            inner[name] = g.var("v_", name, c.kinds)
            kinds[name] = c.kinds
            body.append((f"{inner[name].ident} = {c.text}", [inner[name]]))
        assigned = [inner[name] for name, _ in steps]
        unpacked = f"({', '.join(v.ident for v in assigned)},)"
        g.helpers.append(
            g.function(f"def _g{k}_({param.ident}):", body, [f"return {unpacked}"])
            + f"_g{k} = _lru_cache(maxsize={cache_size})(_g{k}_)\n"
        )
        scope[source] = param
        lines.append((f"{param.ident} = env.get({source!r})", [param]))
        lines.append((f"{unpacked} = _g{k}({param.ident})", assigned))
        scope.update((name, inner[name]) for name, _ in steps)
        outputs.extend((name, inner[name].ident) for name, _ in steps)
    for name, expr in rest:
        for ref in sorted(g.refs(expr) - scope.keys()):
            scope[ref] = g.var("x_", ref, ANY)
            lines.append((f"{scope[ref].ident} = env[{ref!r}]", [scope[ref]]))
        c = g.code(expr, scope)
        scope[name] = g.var("v_", name, c.kinds)
        kinds[name] = c.kinds
        lines.append((f"{scope[name].ident} = {c.text}", [scope[name]]))
        outputs.append((name, scope[name].ident))
    # One store per name: faster than env.update({…}) of 70 names.
    tail = [*(f"env[{n!r}] = {i}" for n, i in outputs), "return env"]
    source = "\n".join([*g.helpers, g.function("def run(env):", lines, tail)])
    g.namespace["_lru_cache"] = functools.lru_cache
    run = _load(source, g.namespace, "row program")["run"]
    return Program(run, kinds, source)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Conditions:
    """Compiled conditions: ``holding(env, extra)`` lists the positions of those that hold (Python truth of
    the value, as ``if compiled(env):``); a name listed in ``extra_names`` is read from ``extra``."""

    holding: Callable[[Mapping[str, object], Mapping[str, object]], list[int]]
    source: str


def compile_conditions(
    conditions: Sequence[Expr],
    kinds: Mapping[str, Kinds] | None = None,
    *,
    extra_names: Iterable[str] = (),
    lazy: bool = True,
) -> Conditions:
    """Conditions over one environment as one function. ``kinds``: what each name may hold (others: any)."""
    g = _Generator(lazy=lazy)
    extra = set(extra_names)
    scope: dict[str, _Var] = {}
    lines: list[tuple[str, Sequence[_Var]]] = []
    for ref in sorted(set().union(*(g.refs(c) for c in conditions))):
        scope[ref] = g.var("x_", ref, (kinds or {}).get(ref, ANY))
        lines.append((f"{scope[ref].ident} = {'extra' if ref in extra else 'env'}[{ref!r}]", [scope[ref]]))
    tail = ["out = []"]
    for i, cond in enumerate(conditions):
        tail.append(f"if {g.code(cond, scope).text}:\n        out.append({i})")
    tail.append("return out")
    source = "\n".join([*g.helpers, g.function("def holding(env, extra):", lines, tail)])
    return Conditions(_load(source, g.namespace, "conditions")["holding"], source)  # type: ignore[arg-type]


def compile_py(
    expr: Expr, lazy: bool = False, kinds: Mapping[str, Kinds] | None = None
) -> Callable[..., Value]:
    """One expression as a function of ``env`` (like ``rules.expr.compile_expr``; for tests and one-offs)."""
    g = _Generator(lazy=lazy)
    scope: dict[str, _Var] = {}
    lines: list[tuple[str, Sequence[_Var]]] = []
    for ref in sorted(g.refs(expr)):
        scope[ref] = g.var("x_", ref, (kinds or {}).get(ref, ANY))
        lines.append((f"{scope[ref].ident} = env[{ref!r}]", [scope[ref]]))
    tail = [f"return {g.code(expr, scope).text}"]
    source = "\n".join([*g.helpers, g.function("def value(env):", lines, tail)])
    return _load(source, g.namespace, "expression")["value"]  # type: ignore[return-value]


__all__ = [
    "ANY",
    "COMPILE_AFTER_EVALUATIONS",
    "COMPILE_AFTER_ROWS",
    "Conditions",
    "Kinds",
    "Program",
    "Tiered",
    "compile_conditions",
    "compile_program",
    "compile_py",
    "walk_conditions",
    "walk_program",
]
