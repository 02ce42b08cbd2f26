"""Parity: the workbook's formulas, recalculated by LibreOffice, give the numbers Python gives.

Many generated evaluations (hypothesis) are written into the template, recalculated in one LibreOffice
call, read back (cached values) and compared with rules.scoring, cell by cell, to the cent.
"""

from __future__ import annotations

import shutil
import zipfile
from decimal import Decimal as D
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfeval_xl.layout import fields as F
from perfeval_xl.layout.summary import LIVE_ROWS
from perfeval_xl.model import Budget, Evaluation, FundLine, Indicator
from perfeval_xl.rules import vocab
from perfeval_xl.rules.scoring import Scores, score
from perfeval_xl.xlsx.build import build_template
from perfeval_xl.xlsx.fill import fill_workbook

office = pytest.importorskip("perfeval_xl.office")
pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(office.find_soffice() is None, reason="LibreOffice (soffice) is not installed"),
]

BATCH = 30


def money(max_value: int = 100_000) -> st.SearchStrategy[D]:
    return st.decimals(min_value=0, max_value=max_value, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def indicators(draw: st.DrawFn) -> Indicator:
    level1 = draw(st.sampled_from(list(vocab.LEVELS)))
    op = draw(st.sampled_from(["≥", "≤", "=", ">", "<", "定性", "≥", "≤"]))
    weight = draw(st.one_of(st.decimals(min_value=D("0.5"), max_value=50, places=2), st.just(D(10))))
    ind = Indicator(
        level1, vocab.LEVELS[level1][0], f"指标{draw(st.integers(0, 999))}", op, unit="个", weight=weight
    )
    if op == "定性":
        band = draw(st.sampled_from([*vocab.BANDS, "达成", "/"]))
        ind.band = band
        ind.target = "效果明显"
        ind.actual = "效果明显"
        ind.score = draw(st.one_of(st.none(), st.decimals(min_value=0, max_value=weight, places=2)))
        return ind
    ind.target = draw(
        st.one_of(
            st.decimals(min_value=D("0.01"), max_value=10_000, places=draw(st.sampled_from([0, 2, 3]))),
            st.just(D(0)),
            st.just(D(-5)),
        )
    )
    ind.actual = draw(
        st.one_of(
            st.decimals(min_value=-10, max_value=20_000, places=draw(st.sampled_from([0, 2, 3]))),
            st.just("/"),
            st.none(),
        )
    )
    return ind


@st.composite
def evaluations(draw: st.DrawFn) -> Evaluation:
    adjusted = draw(st.one_of(money(), st.just(D(0))))
    executed = draw(st.one_of(money(int(adjusted * 2) + 1), st.just(adjusted)))
    ev = Evaluation(
        unit_code="1",
        unit_name="测试",
        year=D(2023),
        budget=Budget(total=FundLine(adjusted, adjusted, executed)),
        execution_weight=draw(st.sampled_from([D(10), D(10), D("15.5")])),
        indicators=draw(st.lists(indicators(), min_size=1, max_size=25)),
    )
    return ev


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("parity") / "template.xlsx")


def number(v: object) -> float | None:
    return None if v in (None, "") else float(v)  # type: ignore[arg-type]


def py(v: D | None) -> float | None:
    return None if v is None else float(v)


def assert_same(lo: object, expected: D | None, what: str) -> None:
    got = number(lo)
    want = py(expected)
    if want is None:
        assert got is None, f"{what}: LibreOffice {lo!r}, Python blank"
    else:
        assert got is not None and abs(got - want) < 0.001, f"{what}: LibreOffice {lo!r}, Python {want}"


def compare(book: Path, ev: Evaluation, s: Scores) -> None:
    wb = openpyxl.load_workbook(book, data_only=True)
    ws = wb[F.INDICATORS]
    for i, (ind, got) in enumerate(zip(ev.indicators, s.indicators, strict=True)):
        row = F.INDICATOR_FIRST_ROW + i
        assert_same(ws[f"L{row}"].value, got.score, f"{book.name} 得分 L{row} {ind}")
    sc = wb[F.SCORING]
    rate = sc[F.RATE_CELL].value
    if s.execution_rate is None:
        assert rate in (None, ""), f"{book.name} 执行率"
    else:
        assert abs(float(rate) - float(s.execution_rate)) < 1e-9, f"{book.name} 执行率"
    assert_same(sc[F.EXEC_SCORE_CELL].value, s.execution_score, f"{book.name} 执行率得分")
    assert_same(sc[F.TOTAL_CELL].value, s.total, f"{book.name} 总分")
    assert (sc[F.GRADE_CELL].value or "") == s.grade, f"{book.name} 等级"
    for name, (weight, points) in s.level1_totals().items():
        row = F.SCORING_LEVEL1_ROWS[name]
        assert_same(sc[f"B{row}"].value, weight, f"{book.name} {name} 分值")
        assert_same(sc[f"D{row}"].value, points, f"{book.name} {name} 得分")
    summary = wb[F.SUMMARY]
    total_row = 12 + LIVE_ROWS + 1
    assert_same(summary[f"H{total_row}"].value, s.total, f"{book.name} 自评表总分")
    assert_same(summary["I6"].value, s.execution_score, f"{book.name} 自评表执行率得分")


@settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(cases=st.lists(evaluations(), min_size=BATCH, max_size=BATCH))
def test_formulas_equal_python(
    cases: list[Evaluation], template: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    work = tmp_path_factory.mktemp("cases")
    books = [fill_workbook(ev, work / f"case{i:03}.xlsx", template=template) for i, ev in enumerate(cases)]
    out = office.recalculate(books, work / "recalculated")
    for path, ev in zip(out, cases, strict=True):
        compare(path, ev, score(ev))


SEED_CASES = [
    # the vendor boundary: exactly 90.00 must be 优 (10 + 90 × 88.89 / 100 = 10 + 80.00)
    Evaluation(
        budget=Budget(total=FundLine(D(100), D(100), D(100))),
        indicators=[Indicator("产出指标", "数量指标", "a", "≥", D(100), "", D("88.89"), "", D(90))],
    ),
    # rounding: 3 × 3.335 → 3.34 each (Python's round() would say 3.33 or drift)
    Evaluation(
        budget=Budget(total=FundLine(D(3), D(3), D(2))),
        indicators=[
            Indicator("产出指标", "数量指标", f"r{i}", "≥", D(1000), "", D(667), "", D(5)) for i in range(3)
        ],
    ),
    # not applicable rows rescale to 100
    Evaluation(
        budget=Budget(total=FundLine(D(100), D(100), D(95))),
        indicators=[
            Indicator("产出指标", "数量指标", "a", "≥", D(100), "", D(50), "", D(40)),
            Indicator("效益指标", "社会效益指标", "b", "≤", D(10), "", D(12), "", D(40)),
            Indicator("满意度指标", "服务对象满意度指标", "c", "≥", D(95), "", "/", "", D(10)),
        ],
    ),
]


def test_boundary_cases(template: Path, tmp_path: Path) -> None:
    books = [fill_workbook(ev, tmp_path / f"b{i}.xlsx", template=template) for i, ev in enumerate(SEED_CASES)]
    out = office.recalculate(books, tmp_path / "out")
    for path, ev in zip(out, SEED_CASES, strict=True):
        compare(path, ev, score(ev))
    assert score(SEED_CASES[0]).total == D("90.00") and score(SEED_CASES[0]).grade == "优"


def test_template_cached_values_are_what_libreoffice_computes(template: Path, tmp_path: Path) -> None:
    """The empty template's stored results are right (LibreOffice shows them until something changes),
    and a stale value planted on purpose comes back corrected (the recalculation is real)."""
    canary = tmp_path / "canary.xlsx"
    shutil.copy(template, canary)
    _plant_stale_value(canary, F.SCORING, f"B{F.SCORING_TOTAL_ROW}", "999")
    plain, stale = office.recalculate([template, canary], tmp_path / "out")
    ours = openpyxl.load_workbook(template, data_only=True)
    theirs = openpyxl.load_workbook(plain, data_only=True)
    checked = 0
    formulas = openpyxl.load_workbook(template)
    for name in (F.INFO, F.INDICATORS, F.SCORING, F.SUMMARY):
        for row in formulas[name].iter_rows():
            for c in row:
                if c.data_type == "f":
                    mine, lo = ours[name][c.coordinate].value, theirs[name][c.coordinate].value
                    assert (mine in (None, "") and lo in (None, "")) or mine == lo, (
                        f"{name}!{c.coordinate}: {mine!r} vs {lo!r}"
                    )
                    checked += 1
    assert checked > 900
    assert openpyxl.load_workbook(stale, data_only=True)[F.SCORING][f"B{F.SCORING_TOTAL_ROW}"].value == 10


def _plant_stale_value(path: Path, sheet: str, cell: str, value: str) -> None:
    import re

    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    wb = openpyxl.load_workbook(path, read_only=True)
    index = wb.sheetnames.index(sheet) + 1
    wb.close()
    part = f"xl/worksheets/sheet{index}.xml"
    xml = parts[part].decode()
    xml, n = re.subn(rf'(<c r="{cell}"[^>]*>\s*<f>[^<]*</f>\s*<v>)[^<]*(</v>)', rf"\g<1>{value}\g<2>", xml)
    assert n == 1
    parts[part] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
