"""rules.pycompile: the rules compiled to Python source give what the reference gives, for every shipped scheme.

The reference is rules.expr: ``evaluate`` (the tree walker, strict as a spreadsheet) step by step and rule
by rule, and the closures (``compile_expr``) that score and check the first rows of a process. Cases are
tests/generate.py's evaluations (values written the ways people write them, planted faults) and random
expression trees over values of every kind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import astuple
from decimal import Decimal as D
from typing import Any

import pytest
from generate import cases
from hypothesis import given, settings
from hypothesis import strategies as st

from perfeval_xl import service
from perfeval_xl.model import Evaluation
from perfeval_xl.rules import checks, pycompile, reading, scoring
from perfeval_xl.rules.expr import (
    And,
    Expr,
    Find,
    Func,
    If,
    IfError,
    IsError,
    IsNumber,
    IsText,
    Left,
    Len,
    Max,
    Mid,
    Min,
    Not,
    Or,
    Ref,
    Right,
    Round,
    Substitute,
    Text,
    ToNumber,
    compile_expr,
    evaluate,
)
from perfeval_xl.rules.scheme import builtin_ids, get_scheme

SCHEMES = builtin_ids()


def outcome(f: Callable[[], Any]) -> tuple[str, Any]:
    """What a call gives: its value (with its type: 1 and True and "1" differ), or what it raised."""
    try:
        value = f()
    except Exception as exc:  # FormulaError above all; any other must be the same too
        return (type(exc).__name__, None)
    return ("value", (type(value), value))


def rows(ev: Evaluation) -> Iterator[dict[str, Any]]:
    for ind in ev.indicators:
        yield reading.raw_env(ind)


# ------------------------------------------------------------------------- step by step, rule by rule


@pytest.mark.parametrize("scheme_id", SCHEMES)
def test_compiled_program_and_rules_agree_with_the_tree_walker(scheme_id: str) -> None:
    """Every step of the compiled row program, every row rule and every book rule, on generated
    evaluations: the value the tree walker (``evaluate``, strict) gives, of the same type."""
    scheme = get_scheme(scheme_id)
    program = scoring.row_program(scheme)
    run = program.compiled.run
    walk = pycompile.walk_program(*program._plan)
    row_rules = [r.when for r in checks.row_rules(scheme)] + [checks.unscored_rule().when]
    row_holding = pycompile.compile_conditions(
        row_rules,
        program.compiled.kinds,
        extra_names=(checks.NAMES_UP_TO_HERE, scoring.LEVELS_ALL, scoring.RATE, "dup_of", checks.ROW_ERRORS),
    ).holding
    book_rules = [r.when for r in checks.book_rules(scheme)]
    book_holding = pycompile.compile_conditions(book_rules).holding
    compared = 0
    for ev in cases(scheme, 12, seed=14):
        s = scoring.score(ev, scheme)
        names: list[object] = []
        for raw in rows(ev):
            fast = run(dict(raw))
            env = dict(raw)
            for step in program.steps:
                got = outcome(lambda step=step, fast=fast: fast[step.name])
                want = outcome(lambda step=step, env=env: evaluate(step.expr, env))
                assert got == want, (scheme_id, step.name, raw)
                env[step.name] = fast[step.name]
                compared += 1
            assert list(fast) == list(walk(dict(raw)))  # the same names, in the same order
            names.append(env["nm"])
            extra = {
                checks.NAMES_UP_TO_HERE: list(names),
                scoring.LEVELS_ALL: [i.env.get(scoring.LEVELS_HERE) for i in s.indicators],
                scoring.RATE: s.execution_rate,
                "dup_of": 1,
                checks.ROW_ERRORS: D(len(names) % 2),
            }
            env.update(extra)
            want_rows = [i for i, when in enumerate(row_rules) if evaluate(when, env)]
            assert row_holding(fast, extra) == want_rows, (scheme_id, raw)
        book = checks.book_env(ev, s, scheme)
        assert book_holding(book, {}) == [i for i, when in enumerate(book_rules) if evaluate(when, book)]
    assert compared > 1000


# ------------------------------------------------------------------------------ whole evaluations


def _everything(o: service.Outcome) -> tuple[Any, ...]:
    s = o.scores
    items = tuple((astuple(i), tuple(i.env.items())) for i in s.indicators)
    findings = tuple((f.code, f.field, f.level, f.message, f.sheet, f.cell) for f in o.findings)
    return (
        items,
        findings,
        s.total,
        s.grade,
        s.blocked,
        s.blocked_line,
        s.partial,
        s.weight_total,
        s.indicator_score,
        s.applicable_weight,
        s.execution_rate,
        s.execution_score,
    )


@pytest.fixture
def fresh_rules(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[bool], None]]:
    """``fresh(compiled)``: new row programs and rules, all compiled now or all on the closures for good."""

    def fresh(compiled: bool) -> None:
        never = 10**9 if not compiled else 0
        monkeypatch.setattr(reading, "COMPILE_AFTER_ROWS", never)
        monkeypatch.setattr(checks, "COMPILE_AFTER_ROWS", never)
        monkeypatch.setattr(checks, "COMPILE_AFTER_EVALUATIONS", never)
        scoring.row_program.cache_clear()
        checks._compiled.cache_clear()

    yield fresh
    scoring.row_program.cache_clear()
    checks._compiled.cache_clear()


@pytest.mark.parametrize("scheme_id", SCHEMES)
def test_evaluate_compiled_gives_what_the_closures_give(
    scheme_id: str, fresh_rules: Callable[[bool], None]
) -> None:
    """service.evaluate with everything compiled and everything on the closures: every finding (code,
    field, level, message, cell), every score and every step of every row, the total, the reasons."""
    scheme = get_scheme(scheme_id)
    evaluations = cases(scheme, 40, seed=2024)
    fresh_rules(False)
    want = [_everything(service.evaluate(ev, scheme)) for ev in evaluations]
    assert "compiled" not in scoring.row_program(scheme).__dict__  # the closures did it
    fresh_rules(True)
    got = [_everything(service.evaluate(ev, scheme)) for ev in evaluations]
    assert "compiled" in scoring.row_program(scheme).__dict__
    assert got == want
    # findings and scores were there to compare
    assert any(w[1] for w in want) and any(item[0][3] is not None for w in want for item in w[0])


def test_a_process_switches_to_the_compiled_rules_after_many_rows() -> None:
    scheme = get_scheme("national")
    scoring.row_program.cache_clear()
    checks._compiled.cache_clear()
    try:
        ev = cases(scheme, 1, seed=1)[0]
        program = scoring.row_program(scheme)
        service.evaluate(ev, scheme)
        assert "compiled" not in program.__dict__  # one workbook: nothing compiled
        while "compiled" not in program.__dict__:
            service.evaluate(ev, scheme)
        assert "compiled" in program.__dict__
    finally:
        scoring.row_program.cache_clear()
        checks._compiled.cache_clear()


# ---------------------------------------------------------------------------- random expressions

VALUES = [
    None,
    "",
    " ",
    "abc",
    "ABC",
    "ß",
    "SS",
    "1",
    "-2.5",
    "≥5",
    D(0),
    D(-0),
    D("1.5"),
    D(-2),
    D(100),
    D("0.005"),
    True,
    False,
]
NAMES = ("x", "y", "z")


def _binop(a: Expr, b: Expr, op: str) -> Expr:
    return {"+": a + b, "-": a - b, "*": a * b, "/": a / b, "&": a.cat(b)}[op]


def _trees(depth: int) -> st.SearchStrategy[Expr]:
    leaf = st.one_of(
        st.sampled_from([Ref(n) for n in NAMES]),
        st.sampled_from([D(0), D(1), D(2), D("0.5"), D(-1), "", "a", "ABC", "1", "ß"]).map(
            lambda v: If(Func("TRUE", ()), v, v)  # a constant (If folds it)
        ),
    )
    if depth == 0:
        return leaf
    sub = _trees(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(sub, sub, st.sampled_from(["ge", "gt", "le", "lt", "eq", "ne"])).map(
            lambda t: getattr(t[0], t[2])(t[1])
        ),
        st.tuples(sub, sub, st.sampled_from(["+", "-", "*", "/", "&"])).map(lambda t: _binop(*t)),
        st.tuples(sub, sub, sub).map(lambda t: If(*t)),
        st.lists(sub, min_size=1, max_size=3).map(lambda a: And(*a)),
        st.lists(sub, min_size=1, max_size=3).map(lambda a: Or(*a)),
        st.sampled_from(NAMES).map(lambda n: Or(*(Ref(n).eq(v) for v in ("a", "", "abc")))),
        sub.map(Not),
        sub.map(IsNumber),
        sub.map(IsText),
        sub.map(IsError),
        st.tuples(sub, sub).map(lambda t: IfError(*t)),
        st.tuples(sub, sub).map(lambda t: Min(*t)),
        st.tuples(sub, sub).map(lambda t: Max(*t)),
        sub.map(Round),
        sub.map(Len),
        sub.map(Text),
        sub.map(ToNumber),
        st.tuples(sub, st.sampled_from([0, 1, 2, 5])).map(lambda t: Left(*t)),
        st.tuples(sub, st.sampled_from([0, 1, 2, 5])).map(lambda t: Right(*t)),
        st.tuples(sub, sub).map(lambda t: Right(*t)),
        st.tuples(sub, sub, sub).map(lambda t: Mid(*t)),
        st.tuples(sub, st.sampled_from([1, 2])).map(lambda t: Mid(t[0], t[1], 2)),
        st.tuples(sub, sub).map(lambda t: Find(*t)),
        sub.map(lambda e: Substitute(e, "a", "b")),
        sub.map(lambda e: Len(e).eq(2)),
    )


@pytest.mark.filterwarnings("error::SyntaxWarning")  # no warning from the generated code reaches a clerk
@settings(max_examples=500, deadline=None)
@given(
    _trees(3),
    st.fixed_dictionaries({n: st.sampled_from(VALUES) for n in NAMES}),
    st.booleans(),
    st.sampled_from(["any", "exact", "text or blank"]),
)
def test_any_expression_compiles_to_what_the_closures_compute(
    expr: Expr, env: dict[str, Any], lazy: bool, known: str
) -> None:
    """Random trees over text, numbers, logicals and blanks: the same value of the same type, or the same
    FormulaError (ISERROR and IFERROR catch it in both), strict and lazy; with the inputs' kinds unknown,
    known exactly, or known to be text or blank."""
    kinds = {n: pycompile._kinds_of(v) for n, v in env.items()} if known == "exact" else None
    if known == "text or blank":
        env = {n: v if v is None or isinstance(v, str) else str(v) for n, v in env.items()}
        kinds = dict.fromkeys(env, frozenset("se"))
    want = outcome(lambda: compile_expr(expr, lazy)(env))
    got = outcome(lambda: pycompile.compile_py(expr, lazy, kinds)(env))
    assert got == want


@pytest.mark.parametrize("x", VALUES)
def test_a_guard_narrows_an_input_without_changing_anything(x: object) -> None:
    x_ = Ref("x")
    for expr in (
        If(IsNumber(x_), x_.gt(0), x_.eq("abc")),
        And(IsNumber(x_), (x_ * 2).gt(1)),
        If(Not(IsText(x_)), x_ + 1, Len(x_)),
        Or(Not(IsNumber(x_)), x_.lt(0)),
    ):
        for lazy in (True, False):
            got = outcome(lambda e=expr, lz=lazy: pycompile.compile_py(e, lz)({"x": x}))
            assert got == outcome(lambda e=expr, lz=lazy: compile_expr(e, lz)({"x": x}))


def test_an_expression_nested_beyond_the_parser_compiles() -> None:
    """Python's parser allows 200 nested parentheses: deeper code is moved into functions of its own."""
    x = Ref("x")
    expr: Expr = x
    for k in range(60):  # about 180 parentheses deep
        expr = Left(If(x.eq(str(k)), Text(expr).cat("a"), "b"), 200)
    assert "def _h" in pycompile.compile_conditions([expr]).source
    for value in ("7", "59", "zz", D(3), None):
        assert pycompile.compile_py(expr, True)({"x": value}) == compile_expr(expr, True)({"x": value})


@pytest.mark.parametrize("x", [None, "", "A", "b"])
def test_a_text_or_blank_input_is_casefolded_once_whatever_a_guard_says(x: object) -> None:
    """The casefolded copy of an input that may be text or blank is made where the input is read, before
    any guard: ISTEXT(x) narrowing x to text must not make it ``x.casefold()`` (None has no casefold)."""
    x_ = Ref("x")
    conditions = [If(IsText(x_), x_.eq("a"), x_.eq("")), Or(x_.eq("a"), x_.eq("b")), x_.eq("")]
    got = pycompile.compile_conditions(conditions, {"x": frozenset("se")}).holding({"x": x}, {})
    assert got == [i for i, c in enumerate(conditions) if compile_expr(c, True)({"x": x})]
