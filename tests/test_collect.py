"""perfeval-xl collect (perfeval_xl/collect.py) and the bad-input corpus (tests/data/bad/).

The roll-up is checked against ``service.evaluate_book`` of each file: collect reads each file with
``xlsx.read.read_workbook``, the reader of every command (tests/test_books.py runs all of them over the
corpus of field workbooks). Every malformed
CSV and workbook of the corpus goes through fill or collect: no crash, no partial file, and every problem
names its CSV row, the workbook cell, or the file.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import sys
import zipfile
from decimal import Decimal as D
from pathlib import Path

import openpyxl
import pytest
from factories import valid_evaluation, valid_project_evaluation
from typer.testing import CliRunner

from perfeval_xl.batch import REPORT_NAME, compiled_template, fill_csv
from perfeval_xl.cli import app
from perfeval_xl.collect import collect, find_books, read_book
from perfeval_xl.layout import fields as F
from perfeval_xl.model import Evaluation
from perfeval_xl.rules.config import DEFAULT_RULES
from perfeval_xl.service import evaluate, evaluate_book
from perfeval_xl.xlsx.build import build_template
from perfeval_xl.xlsx.read import read_workbook

BAD = Path(__file__).resolve().parent / "data" / "bad"


def write(ev: Evaluation, path: Path) -> Path:
    outcome = evaluate(ev, use_rows=False)
    return compiled_template(DEFAULT_RULES).write(ev, path, findings=outcome.findings, scores=outcome.scores)


def edit(path: Path, changes: dict[tuple[str, str], object]) -> Path:
    """Change cells as a clerk would (openpyxl load and save)."""
    wb = openpyxl.load_workbook(path)
    for (sheet, ref), value in changes.items():
        wb[sheet][ref] = value
    wb.save(path)
    return path


@pytest.fixture
def returned(tmp_path: Path) -> Path:
    """A folder as the bureau gets it back: good, faulty, duplicated, damaged, foreign, wrong-format files."""
    folder = tmp_path / "交回"
    (folder / "乡镇").mkdir(parents=True)
    write(valid_evaluation(), folder / "440882001_局.xlsx")
    write(valid_project_evaluation(), folder / "乡镇" / "项目.xlsx")
    faulty = valid_evaluation()
    faulty.unit_code, faulty.unit_name = "002", "乙局"
    write(faulty, folder / "乙局.xlsx")
    edit(folder / "乙局.xlsx", {(F.INFO, "D14"): "两千", (F.INDICATORS, "J5"): "=J4*2"})
    shutil.copy(folder / "440882001_局.xlsx", folder / "440882001_局 (1).xlsx")  # returned twice
    (folder / "损坏.xlsx").write_bytes(b"PK\x03\x04 broken")
    (folder / "旧格式.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    shutil.copy(BAD / "books" / "not_ours.xlsx", folder / "别的表.xlsx")
    (folder / "~$440882001_局.xlsx").write_bytes(b"lock")  # Excel's lock file of an open workbook
    (folder / ".hidden.xlsx").write_bytes(b"x")
    (folder / "说明.pdf").write_bytes(b"%PDF")
    return folder


def sheet_rows(path: Path, name: str) -> list[tuple[object, ...]]:
    return list(openpyxl.load_workbook(path)[name].iter_rows(values_only=True))


def test_roll_up(returned: Path, tmp_path: Path) -> None:
    out = returned / "汇总.xlsx"  # inside the folder: not read as a returned workbook
    summary = collect(returned, out, jobs=0)
    assert summary.books == 4 and summary.unusable == 3 and summary.duplicates == 1
    assert not [p for p in returned.iterdir() if p.suffix == ".tmp"]
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["汇总", "等级分布", "问题清单", "无法读取"]
    rows = sheet_rows(out, "汇总")
    head, body, total = rows[0], rows[1:-1], rows[-1]
    assert head[:3] == ("序号", "单位编码", "单位名称") and len(body) == 4
    by_file = {r[13]: r for r in body}
    assert list(by_file) == ["440882001_局 (1).xlsx", "440882001_局.xlsx", "乙局.xlsx", "乡镇/项目.xlsx"]
    for name, row in by_file.items():
        o = evaluate_book(returned / name)
        s = o.scores
        assert row[1] == o.evaluation.unit_code and row[3] == o.evaluation.subject
        assert row[9] == (None if s.total is None else float(s.total))
        assert row[10] == (s.grade if s.total is not None else s.blocked_line)  # no 总分: the reason
        assert row[14] == o.scheme.name  # type: ignore[union-attr]
        assert (row[11], row[12]) == (o.errors, o.warnings), name
    assert by_file["乙局.xlsx"][7] == "两千" and by_file["乙局.xlsx"][11] >= 2
    assert total[0] == "合计" and str(total[6]).startswith("=SUM(G2:G5")
    grades = {r[0]: r[1] for r in sheet_rows(out, "等级分布") if r[0] in ("优", "良", "中", "差", "未评分")}
    assert sum(grades.values()) == 4 and grades == {
        **dict.fromkeys(grades, 0),
        **summary.grades,
        "未评分": grades["未评分"],
    }
    with zipfile.ZipFile(out) as z:
        assert any(n.startswith("xl/charts/chart") for n in z.namelist())  # the chart of scores
    findings = sheet_rows(out, "问题清单")[1:]
    j5 = next(r for r in findings if r[0] == "乙局.xlsx" and r[7] == "J5")
    assert j5[4] == "错误" and j5[6] == F.INDICATORS and "=J4*2" in j5[8]
    link = next(c for c in wb["问题清单"]["H"] if c.value == "J5").hyperlink
    assert link.target.endswith("乙局.xlsx") and link.location == "'绩效指标'!J5"
    dup = next(r for r in findings if r[5] == "DUPLICATE_UNIT")
    assert dup[0] == "440882001_局.xlsx" and "440882001_局 (1).xlsx" in dup[8]  # both copies named
    assert dup[1] == "440882001" and dup[2] and dup[3]  # the unit as the book names it (its name was blank)
    bad = {r[0]: r[1] for r in sheet_rows(out, "无法读取")[1:]}
    assert set(bad) == {"损坏.xlsx", "旧格式.xls", "别的表.xlsx"}
    assert (
        "已损坏" in bad["损坏.xlsx"]
        and "另存为" in bad["旧格式.xls"]
        and "不是 perfeval-xl" in bad["别的表.xlsx"]
    )


def test_parallel_roll_up_equals_in_process(returned: Path, tmp_path: Path) -> None:
    one = collect(returned, tmp_path / "one.xlsx", jobs=0)
    two = collect(returned, tmp_path / "two.xlsx", jobs=2)
    assert (one.books, one.unusable, one.errors, one.warnings) == (
        two.books,
        two.unusable,
        two.errors,
        two.warnings,
    )
    for sheet in ("汇总", "问题清单", "无法读取"):
        assert sheet_rows(tmp_path / "one.xlsx", sheet) == sheet_rows(tmp_path / "two.xlsx", sheet)


def test_find_books_skips_locks_hidden_and_the_output(returned: Path) -> None:
    names = [
        p.relative_to(returned).as_posix() for p in find_books(returned, exclude=returned / "别的表.xlsx")
    ]
    assert names == [
        "440882001_局 (1).xlsx",
        "440882001_局.xlsx",
        "乙局.xlsx",
        "损坏.xlsx",
        "旧格式.xls",
        "乡镇/项目.xlsx",
    ]


def test_collect_reads_each_file_as_validate_does(tmp_path: Path) -> None:
    """collect has no reader of its own: the edited cells come back as the one reader reads them."""
    template = build_template(tmp_path / "t.xlsx")
    from perfeval_xl.xlsx.fill import fill_workbook

    cases = {
        "fast": write(valid_evaluation(), tmp_path / "fast.xlsx"),
        "openpyxl": fill_workbook(valid_project_evaluation(), tmp_path / "slow.xlsx", template=template),
        "empty": template,
    }
    cases["edited"] = edit(
        write(valid_evaluation(), tmp_path / "edited.xlsx"),
        {
            (F.INFO, "D14"): "2,652.84",
            (F.INFO, "B11"): dt.datetime(2024, 7, 12),
            (F.INFO, "B7"): 2023.0,
            (F.INDICATORS, "H6"): 88.5,
            (F.INDICATORS, "D40"): "后补指标",
            (F.INDICATORS, "J40"): 5,
            (F.INDICATORS, "D310"): "模板外",
            (F.INDICATORS, "K4"): True,
        },
    )
    cases["formula"] = edit(  # openpyxl stores no result for a formula
        write(valid_evaluation(), tmp_path / "formula.xlsx"), {(F.INFO, "C14"): "=1000+1652.84"}
    )
    for name, path in cases.items():
        assert read_book(path) == read_workbook(path), name
    edited = read_book(cases["edited"]).evaluation
    assert edited.filled_on == "2024年7月12日" and edited.year == D(2023)
    assert edited.budget.total.executed == "2,652.84"
    assert [i.row for i in edited.indicators][-2:] == [40, 310]
    assert edited.indicators[2].actual == D("88.5") and edited.indicators[0].score == "True"
    formula = read_book(cases["formula"])
    assert formula.evaluation.budget.total.adjusted is None  # no stored result: not a number we could use
    [finding] = [f for f in formula.findings if f.cell == "C14"]
    assert finding.code == "FORMULA_NO_VALUE" and "=1000+1652.84" in finding.message


def test_cli_collect(returned: Path, tmp_path: Path) -> None:
    out = tmp_path / "汇总.xlsx"
    result = CliRunner().invoke(
        app, ["collect", str(returned), "-o", str(out), "-j", "1"], terminal_width=200
    )
    assert result.exit_code == 1, result.output  # errors in 乙局 and files that cannot be read
    assert (
        "已汇总 4 个工作簿" in result.output
        and "损坏.xlsx" in result.output
        and "Traceback" not in result.output
    )
    again = CliRunner().invoke(app, ["collect", str(returned), "-o", str(out)])
    assert again.exit_code == 2 and "--force" in again.output
    empty = tmp_path / "空"
    empty.mkdir()
    nothing = CliRunner().invoke(app, ["collect", str(empty), "-o", str(tmp_path / "x.xlsx")])
    assert nothing.exit_code == 2 and (tmp_path / "x.xlsx").exists()


# ------------------------------------------------------------------------------------------ bad-input corpus


def corpus(kind: str) -> list[Path]:
    return sorted((BAD / kind).iterdir())


def test_corpus_is_what_the_script_writes() -> None:
    sys.path.insert(0, str(BAD))
    try:
        import make_corpus
    finally:
        sys.path.remove(str(BAD))
    assert len(make_corpus.CORPUS) >= 30
    on_disk = {p.relative_to(BAD).as_posix() for kind in ("csv", "books") for p in corpus(kind)}
    assert on_disk == set(make_corpus.CORPUS)
    for name, (data, _) in make_corpus.CORPUS.items():
        assert (BAD / name).read_bytes() == data, name


@pytest.mark.parametrize("path", corpus("csv"), ids=lambda p: p.name)
def test_bad_csv_never_crashes_and_always_names_the_row(path: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    summary = fill_csv(path, out, jobs=0)  # never raises
    assert sorted(p.name for p in out.iterdir() if p.suffix != ".xlsx") == [REPORT_NAME]  # no temporaries
    for book in out.glob("*.xlsx"):
        assert read_workbook(book).evaluation is not None  # every file written is whole
    rows = list(csv.DictReader((out / REPORT_NAME).read_text(encoding="utf-8-sig").splitlines()))
    assert rows, "the report always has a row"
    for r in rows:
        if r["级别"] in ("错误", "警告"):
            named = r["CSV行"] or path.name in r["说明"]
            assert named, f"{path.name}: {r['代码']} {r['说明']}"
    if summary.units == 0:
        assert summary.unusable and summary.file_issues  # the file itself is what is wrong, and it says so


def test_bad_workbooks_are_listed_not_fatal(tmp_path: Path) -> None:
    folder = tmp_path / "books"
    shutil.copytree(BAD / "books", folder)
    template = build_template(folder / "空模板.xlsx")
    faulty = write(valid_evaluation(), folder / "文字与公式.xlsx")
    edit(faulty, {(F.INFO, "C14"): "两千万", (F.INDICATORS, "H4"): "=1/0", (F.INDICATORS, "J6"): -5})
    summary = collect(folder, tmp_path / "汇总.xlsx", jobs=0)
    assert summary.books == 2 and summary.unusable == len(corpus("books"))
    bad = {r[0]: r[1] for r in sheet_rows(tmp_path / "汇总.xlsx", "无法读取")[1:]}
    for name, reason in bad.items():
        assert name in reason, (name, reason)  # each reason names the file
    findings = sheet_rows(tmp_path / "汇总.xlsx", "问题清单")[1:]
    assert findings and all(r[6] and r[7] for r in findings if r[0] in ("文字与公式.xlsx", "空模板.xlsx"))
    assert {r[7] for r in findings if r[0] == "文字与公式.xlsx"} >= {"C14", "H4", "J6"}
    assert any(r[0] == "空模板.xlsx" and r[7] == "B4" for r in findings)  # 单位名称 missing
    assert template.exists()


def test_money_sums_in_the_totals_row(tmp_path: Path) -> None:
    folder = tmp_path / "f"
    a, b = valid_evaluation(), valid_project_evaluation()
    write(a, folder / "a.xlsx")
    write(b, folder / "b.xlsx")
    collect(folder, tmp_path / "s.xlsx", jobs=0)
    total = sheet_rows(tmp_path / "s.xlsx", "汇总")[-1]
    wb = openpyxl.load_workbook(tmp_path / "s.xlsx", data_only=True)
    cached = [c.value for c in wb["汇总"][wb["汇总"].max_row]]
    want = float(a.budget.total.adjusted + b.budget.total.adjusted)  # type: ignore[operator]
    assert total[6] == "=SUM(G2:G3)" and cached[6] == pytest.approx(want)
    assert cached[9] == pytest.approx(float((evaluate(a).scores.total + evaluate(b).scores.total) / 2))  # type: ignore[operator]
    assert D(str(cached[8])) == D(1)  # 执行率 100 % in both


def _crashing_read(rules, message):  # type: ignore[no-untyped-def]
    """collect's worker read, but a file named crash*.xlsx kills the worker (as a native crash would)."""
    import os

    from perfeval_xl.collect import _read

    if any(p.name.startswith("crash") for p in message[1]):
        os._exit(3)
    return _read(rules, message)


def test_a_file_that_kills_a_worker_costs_only_itself(tmp_path: Path) -> None:
    """Issue 12: the files read with it in one message keep their result; it alone is listed."""
    from perfeval_xl.collect import Book, Unusable, _read_all

    folder = tmp_path / "交回"
    folder.mkdir()
    good = write(valid_evaluation(), folder / "a.xlsx")
    names = [f"b{i}.xlsx" for i in range(5)] + ["crash.xlsx"] + [f"c{i}.xlsx" for i in range(4)]
    for name in names:
        shutil.copy(good, folder / name)
    paths = [folder / "a.xlsx", *(folder / n for n in names)]
    chunks = [paths[i : i + 8] for i in range(0, len(paths), 8)]
    results = [r for chunk in _read_all(folder, chunks, 1, DEFAULT_RULES, _crashing_read) for r in chunk]
    assert [r.file for r in results] == [p.name for p in paths]  # every file, in order
    bad = [r for r in results if isinstance(r, Unusable)]
    assert [r.file for r in bad] == ["crash.xlsx"] and "工作进程异常退出" in bad[0].reason
    assert all(isinstance(r, Book) and r.total is not None for r in results if r.file != "crash.xlsx")
