"""A 自评报告 a clerk edited is never overwritten (fill --report, collect --report, report) without --force."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from docx import Document
from typer.testing import CliRunner

from perfeval_xl import report_stamp
from perfeval_xl.cli import app

runner = CliRunner()
EXAMPLE_CSV = Path(__file__).resolve().parent.parent / "workbooks" / "examples" / "seed_2023.csv"
CLERK_TEXT = "本单位高度重视预算绩效管理工作，由财务股牵头……（办事员写的三页）"


def _clerk_writes(report: Path) -> None:
    doc = Document(str(report))
    doc.add_paragraph(CLERK_TEXT)
    doc.save(str(report))


def _clerk_saves_workbook(book: Path) -> None:
    wb = openpyxl.load_workbook(book)
    wb.properties.lastModifiedBy = "办事员"  # an open-and-save: the file's bytes change
    wb.save(book)


def _texts(report: Path) -> str:
    return "\n".join(p.text for p in Document(str(report)).paragraphs)


def test_a_written_report_carries_a_stamp_and_an_edit_breaks_it(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["fill", str(EXAMPLE_CSV), "-o", str(out), "--report", "-j", "1"])
    assert result.exit_code == 0, result.output
    report = sorted(out.glob("*_自评报告.docx"))[0]
    stamp = report_stamp.read(report)
    assert stamp is not None and stamp.untouched
    _clerk_writes(report)
    edited = report_stamp.read(report)
    assert edited is not None and not edited.untouched and edited.digest == stamp.digest


def test_collect_report_keeps_an_edited_report_and_says_so(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert (
        runner.invoke(app, ["fill", str(EXAMPLE_CSV), "-o", str(out), "--report", "-j", "1"]).exit_code == 0
    )
    reports = sorted(out.glob("*_自评报告.docx"))
    books = sorted(p for p in out.glob("*.xlsx") if not p.name.startswith("_"))
    _clerk_writes(reports[0])
    for book in books:  # both workbooks saved again: both reports would be rebuilt
        _clerk_saves_workbook(book)
    before_other = reports[1].read_bytes()
    result = runner.invoke(
        app, ["collect", str(out), "-o", str(tmp_path / "汇总.xlsx"), "--report", "-j", "1"]
    )
    assert "新生成 1 份" in result.output and "未覆盖（已被编辑）1 份" in result.output, result.output
    assert reports[0].name in result.output and "已被编辑" in result.output
    assert CLERK_TEXT in _texts(reports[0])  # the clerk's pages are still there
    assert reports[1].read_bytes() != before_other  # the untouched one was rebuilt from the new workbook
    # fill --report the same
    result = runner.invoke(app, ["fill", str(EXAMPLE_CSV), "-o", str(out), "--report", "-j", "1", "--force"])
    assert CLERK_TEXT not in _texts(reports[0])  # --force: rebuilt, as asked


def test_fill_report_rerun_keeps_an_edited_report(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert (
        runner.invoke(app, ["fill", str(EXAMPLE_CSV), "-o", str(out), "--report", "-j", "1"]).exit_code == 0
    )
    report = sorted(out.glob("*_自评报告.docx"))[0]
    _clerk_writes(report)
    result = runner.invoke(app, ["fill", str(EXAMPLE_CSV), "-o", str(out), "--report", "-j", "1"])
    assert "已是最新 1 份，未覆盖（已被编辑）1 份" in result.output, result.output
    assert CLERK_TEXT in _texts(report)


def test_report_command_rewrites_its_own_untouched_report_and_refuses_an_edited_one(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert runner.invoke(app, ["fill", str(EXAMPLE_CSV), "-o", str(out), "-j", "1"]).exit_code == 0
    book = sorted(p for p in out.glob("*.xlsx") if not p.name.startswith("_"))[0]
    target = tmp_path / "报告.docx"
    assert runner.invoke(app, ["report", str(book), "-o", str(target)]).exit_code == 0
    _clerk_saves_workbook(book)
    result = runner.invoke(app, ["report", str(book), "-o", str(target)])
    assert result.exit_code == 0, result.output  # ours and untouched: brought up to date
    _clerk_writes(target)
    result = runner.invoke(app, ["report", str(book), "-o", str(target)])
    assert result.exit_code == 2 and "已被编辑" in result.output and "--force" in result.output
    assert CLERK_TEXT in _texts(target)
    foreign = tmp_path / "别人的.docx"
    Document().save(str(foreign))
    result = runner.invoke(app, ["report", str(book), "-o", str(foreign)])
    assert result.exit_code == 2 and "不是本工具生成的" in result.output
    assert runner.invoke(app, ["report", str(book), "-o", str(target), "--force"]).exit_code == 0
    assert CLERK_TEXT not in _texts(target)
