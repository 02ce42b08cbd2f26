"""Parity: the workbook's own formulas, recalculated by LibreOffice, find what Python finds.

For every shipped scheme, generated evaluations (tests/generate.py: values written the ways people write
them, each scheme's methods at their edges, planted faults) are written into that scheme's template by the
batch writer (inputs only: the formulas do the rest), recalculated in one LibreOffice call, and read back:

- every indicator's 得分, 执行率, 执行率得分, the honest 总分 (blank when Python has none), 等级, and the
  一级 sums on 评分, to the cent (issues 9 and 10);
- every check: the set of (code, cell, level) the 计算/校验计算 sheets hold equals ``check()``'s findings,
  and the live counts (错误数, 警告数) equal Python's counts (issue 13);
- the live 自评表 lists every filled indicator in order and puts 总分 right after the last one.
"""

from __future__ import annotations

import shutil
import zipfile
from decimal import Decimal as D
from pathlib import Path

import openpyxl
import pytest
from generate import cases

from perfeval_xl.layout import fields as F
from perfeval_xl.layout import live
from perfeval_xl.model import Budget, Evaluation, FundLine, Indicator, Level
from perfeval_xl.rules import vocab
from perfeval_xl.rules.checks import check
from perfeval_xl.rules.scheme import Scheme, builtin_ids, get_scheme
from perfeval_xl.rules.scoring import Scores, score
from perfeval_xl.service import locate
from perfeval_xl.xlsx.build import build_template
from perfeval_xl.xlsx.fastfill import CompiledTemplate

office = pytest.importorskip("perfeval_xl.office")
pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(office.find_soffice() is None, reason="LibreOffice (soffice) is not installed"),
]

PER_SCHEME = 4

SEED_CASES = [
    # a form without 一级/二级 (issue 9 §6): one LEVELS_MISSING, no REQUIRED_MISSING per row
    Evaluation(
        budget=Budget(total=FundLine(D(100), D(100), D(95))),
        indicators=[
            Indicator("", "", "a", "≥", D(100), "", D(100), "", D(60)),
            Indicator("", "", "b", "", D(10), "个", D(8), "", D(30), deviation_note="延期"),
        ],
    ),
    # a group written once (or merged: the lower cells read as blank in a formula), an empty row ending it,
    # a new 一级 that does not take the 二级 above, a first row with no level
    Evaluation(
        budget=Budget(total=FundLine(D(100), D(100), D(100))),
        indicators=[
            Indicator("", "", "无上行", "≥", D(10), "", D(10), "", D(10)),
            Indicator("产出指标", "数量指标", "a", "≥", D(10), "", D(10), "", D(20)),
            Indicator("", "", "b", "≥", D(10), "", D(10), "", D(20)),
            Indicator(" ", "质量指标", "c", "≥", D(10), "", D(10), "", D(10)),
            Indicator("效益指标", "", "d", "≥", D(10), "", D(10), "", D(10)),
            Indicator(),
            Indicator("", "", "e", "≥", D(10), "", D(10), "", D(20)),
        ],
    ),
    # the vendor boundary: exactly 90.00 must be 优 (10 + 90 × 88.89 / 100 = 10 + 80.00)
    Evaluation(
        budget=Budget(total=FundLine(D(100), D(100), D(100))),
        indicators=[Indicator("产出指标", "数量指标", "a", "≥", D(100), "", D("88.89"), "", D(90))],
    ),
    # rounding: 3 × 3.335 → 3.34 each (Python's round() would say 3.33 or drift)
    Evaluation(
        budget=Budget(total=FundLine(D(3), D(3), D(2))),
        indicators=[
            *(
                Indicator("产出指标", "数量指标", f"r{i}", "≥", D(1000), "", D(667), "", D(5))
                for i in range(3)
            ),
            Indicator("效益指标", "社会效益指标", "f", "≥", D(1), "", D(1), "", D(75)),
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
    # the national form's way (issue 9): signs inside values, a bare target, a 定性 row with only a score,
    # a line-broken 二级, target 0 on a 反向 row
    Evaluation(
        budget=Budget(total=FundLine(D(200), D(200), D(180))),
        indicators=[
            Indicator("产出指标", "数量\n指标", "道路长度", "", "≥266米", "", "≥266米", "", D(30)),
            Indicator(
                "产出指标",
                "时效指标",
                "办结时间",
                "",
                "≤3个工作日",
                "",
                "4个工作日",
                "",
                D(20),
                None,
                "材料不全",
            ),
            Indicator(
                "效益指标", "社会效益指标", "覆盖率", "", "100%", "", "95%", "", D(20), None, "偏远村未覆盖"
            ),
            Indicator("效益指标", "社会效益指标", "安全事故", "反向指标", "≤0起", "", "0", "", D(10)),
            Indicator(
                "满意度指标",
                "满意度指标",
                "群众满意度",
                "定性",
                "满意",
                "",
                "较满意",
                "",
                D(10),
                D(7),
                "部分不满意",
            ),
        ],
    ),
]


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Scheme, Evaluation, Path]]:
    work = tmp_path_factory.mktemp("parity")
    written: list[tuple[Scheme, Evaluation, Path]] = []
    for scheme_id in builtin_ids():
        scheme = get_scheme(scheme_id)
        template = CompiledTemplate(scheme)
        batch = cases(scheme, PER_SCHEME, seed=1)
        if scheme_id == "national":
            batch += SEED_CASES
        for i, ev in enumerate(batch):
            written.append((scheme, ev, template.write(ev, work / f"{scheme_id}_{i:02}.xlsx")))
    out = office.recalculate([p for _, _, p in written], work / "recalculated")
    return [(s, ev, o) for (s, ev, _), o in zip(written, out, strict=True)]


def number(v: object) -> float | None:
    return None if v in (None, "") else float(v)  # type: ignore[arg-type]


def assert_same(lo: object, expected: D | None, what: str) -> None:
    got, want = number(lo), (None if expected is None else float(expected))
    if want is None:
        assert got is None, f"{what}: LibreOffice {lo!r}, Python blank"
    else:
        assert got is not None and abs(got - want) < 0.001, f"{what}: LibreOffice {lo!r}, Python {want}"


def test_scores_equal_python(recalculated: list[tuple[Scheme, Evaluation, Path]]) -> None:
    assert len(recalculated) == len(builtin_ids()) * PER_SCHEME + len(SEED_CASES)
    for scheme, ev, book in recalculated:
        s = score(ev, scheme)
        wb = openpyxl.load_workbook(book, data_only=True, read_only=True)
        try:
            _compare_scores(wb, book, ev, s, scheme)
        finally:
            wb.close()


def _compare_scores(wb: openpyxl.Workbook, book: Path, ev: Evaluation, s: Scores, scheme: Scheme) -> None:
    name = f"{book.name} ({scheme.id})"
    rows = list(
        wb[F.INDICATORS].iter_rows(
            min_row=F.INDICATOR_FIRST_ROW,
            max_row=F.INDICATOR_FIRST_ROW + len(ev.indicators),
            min_col=12,
            max_col=12,
            values_only=True,
        )
    )
    for i, got in enumerate(s.indicators):
        assert_same(rows[i][0], got.score, f"{name} 得分 L{F.INDICATOR_FIRST_ROW + i} {ev.indicators[i]}")
    sc = wb[F.SCORING]
    rate = sc[F.RATE_CELL].value
    if s.execution_rate is None:
        assert rate in (None, ""), f"{name} 执行率"
    else:
        assert abs(float(rate) - float(s.execution_rate)) < 1e-9, f"{name} 执行率"
    assert_same(sc[F.EXEC_SCORE_CELL].value, s.execution_score, f"{name} 执行率得分")
    assert_same(sc[F.TOTAL_CELL].value, s.total, f"{name} 总分")
    assert (sc[F.GRADE_CELL].value or "") == s.grade, f"{name} 等级"
    reason = sc[F.REASON_CELL].value or ""
    assert bool(reason) == (s.total is None), f"{name} 未计总分原因 {reason!r}"
    if reason:  # the same clauses in the same order (the workbook's are shorter: no row numbers)
        clauses = reason.removeprefix("未计总分：").split("；")
        assert [c.split("（")[0] for c in clauses] == [c.split("（")[0] for c in s.blocked], (
            f"{name} {reason!r}"
        )
    assert_same(sc[F.PARTIAL_CELL].value, s.partial, f"{name} 已计得分")
    for k, (level1, (weight, points)) in enumerate(
        (n, v) for n, v in s.level1_totals(scheme).items() if n in scheme.level1_names
    ):
        row = F.SCORING_LEVEL1_FIRST_ROW + k
        assert sc[f"A{row}"].value == level1
        assert_same(sc[f"B{row}"].value, weight, f"{name} {level1} 分值")
        assert_same(sc[f"D{row}"].value, points, f"{name} {level1} 得分")


def workbook_findings(wb: openpyxl.Workbook, scheme: Scheme, n: int) -> set[tuple[str, str, str, str]]:
    """(code, sheet, cell, level) of every check the workbook's formulas say holds."""
    out = set()
    columns = [c for c in live.calc_columns(scheme) if c.kind == "flag"]
    letters = {c.letter for c in columns}
    calc = wb[F.CALC]
    for offset, row in enumerate(
        calc.iter_rows(min_row=F.INDICATOR_FIRST_ROW, max_row=F.INDICATOR_FIRST_ROW + n - 1)
    ):
        values = {c.column_letter: c.value for c in row if c.column_letter in letters}
        for c in columns:
            if values.get(c.letter) == 1:
                attr = F.COLUMN_BY_KEY[c.rule.attr].letter  # type: ignore[union-attr]
                out.add((c.rule.code, F.INDICATORS, f"{attr}{F.INDICATOR_FIRST_ROW + offset}", c.level.value))  # type: ignore[union-attr]
    book = wb[F.BOOK_CALC]
    for row in book.iter_rows(min_row=live.BOOK_FIRST_ROW, values_only=True):
        if row[0] and row[5] == 1:
            level = {v: k for k, v in live.LEVEL_LABELS.items()}[row[1]]
            out.add((row[0], row[3], row[4], level.value))
    return out


def test_live_checks_equal_validate(recalculated: list[tuple[Scheme, Evaluation, Path]]) -> None:
    for scheme, ev, book in recalculated:
        expected = {
            (f.code, f.sheet, f.cell, f.level.value) for f in locate(check(ev, scheme), ev, use_rows=False)
        }
        wb = openpyxl.load_workbook(book, data_only=True, read_only=True)
        try:
            got = workbook_findings(wb, scheme, len(ev.indicators))
            assert got == expected, (
                f"{book.name} ({scheme.id}): only in the workbook {sorted(got - expected)}; "
                f"only in Python {sorted(expected - got)}"
            )
            sc = wb[F.SCORING]
            errors = sum(1 for f in expected if f[3] == Level.ERROR.value)
            warnings = sum(1 for f in expected if f[3] == Level.WARNING.value)
            assert (sc[F.ERRORS_CELL].value, sc[F.WARNINGS_CELL].value) == (errors, warnings), book.name
        finally:
            wb.close()


def test_live_summary_lists_every_indicator_then_the_total(
    recalculated: list[tuple[Scheme, Evaluation, Path]],
) -> None:
    for scheme, ev, book in recalculated[:6]:
        s = score(ev, scheme)
        wb = openpyxl.load_workbook(book, data_only=True, read_only=True)
        try:
            ws = wb[F.SUMMARY]
            head = next(r for r in range(1, 30) if ws[f"D{r}"].value == scheme.label("name"))
            shown = [i for i in ev.indicators if not vocab.is_blank(i)]  # an empty row is left out
            names = [ws[f"D{head + 1 + k}"].value for k in range(len(shown))]
            assert names == [i.name or None for i in shown], book.name
            total_row = head + 1 + len(shown)
            assert ws[f"A{total_row}"].value == scheme.label("total"), book.name
            if s.total is None:
                assert ws[f"H{total_row}"].value == "未计" and ws[f"I{total_row}"].value.startswith(
                    "未计总分"
                )
            else:
                assert_same(ws[f"H{total_row}"].value, s.total, f"{book.name} 自评表总分")
            assert ws[f"D{total_row + 1}"].value in (None, "")
        finally:
            wb.close()


def test_template_cached_values_are_what_libreoffice_computes(tmp_path: Path) -> None:
    """The empty template's stored results are right (LibreOffice shows them until something changes),
    and a stale value planted on purpose comes back corrected (the recalculation is real)."""
    template = build_template(tmp_path / "template.xlsx")
    canary = tmp_path / "canary.xlsx"
    shutil.copy(template, canary)
    _plant_stale_value(canary, F.SCORING, f"B{F.SCORING_EXEC_ROW}", "999")
    plain, stale = office.recalculate([template, canary], tmp_path / "out")
    ours = openpyxl.load_workbook(template, data_only=True)
    theirs = openpyxl.load_workbook(plain, data_only=True)
    formulas = openpyxl.load_workbook(template)
    checked = 0
    for name in (F.INFO, F.SCORING, F.FINDINGS, F.BOOK_CALC):
        for row in formulas[name].iter_rows():
            for c in row:
                if c.data_type == "f":
                    mine, lo = ours[name][c.coordinate].value, theirs[name][c.coordinate].value
                    same = (
                        (mine in (None, "") and lo in (None, ""))
                        or mine == lo
                        or (isinstance(lo, bool) and mine == int(lo))
                    )
                    assert same, f"{name}!{c.coordinate}: {mine!r} vs {lo!r}"
                    checked += 1
    assert checked > 60
    assert openpyxl.load_workbook(stale, data_only=True)[F.SCORING][f"B{F.SCORING_EXEC_ROW}"].value == 10


def _plant_stale_value(path: Path, sheet: str, cell: str, value: str) -> None:
    import re

    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    index = F.SHEETS.index(sheet) + 1
    part = f"xl/worksheets/sheet{index}.xml"
    xml = parts[part].decode()
    xml, n = re.subn(rf'(<c r="{cell}"[^>]*>\s*<f>[^<]*</f>\s*<v>)[^<]*(</v>)', rf"\g<1>{value}\g<2>", xml)
    assert n == 1
    parts[part] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
