"""Many PDFs in one go: office.to_pdfs (order, per-file errors, hangs, atomic outputs) and the commands.

The first tests drive ``office.to_pdfs`` with a stand-in soffice (``PERFEVAL_SOFFICE``): a small script that
behaves as LibreOffice does when it converts several files in one call (one after the other, a lock file
while it writes each PDF, a load error that skips a file and goes on) and that can be told to hang. The
others run the real LibreOffice on workbooks built here.
"""

from __future__ import annotations

import os
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from builders import seed_evaluation
from factories import valid_evaluation
from typer.testing import CliRunner

from perfeval_xl import office
from perfeval_xl.cli import app
from perfeval_xl.xlsx.build import build_template
from perfeval_xl.xlsx.fill import fill_workbook

FAKE_SOFFICE = """#!{python}
import os, sys, time
from pathlib import Path
args = sys.argv[1:]
out = Path(args[args.index("--outdir") + 1])
files = [a for a in args[args.index("--outdir") + 2 :]]
Path(os.environ["FAKE_PIDS"]).open("a").write(f"{{os.getpid()}}\\n")
for name in files:
    data = Path(name).read_bytes()
    if b"BAD" in data:
        print("Error: source file could not be loaded", flush=True)
        continue
    stem = Path(name).stem
    lock = out / f".~lock.{{stem}}.pdf#"
    lock.write_text("lock")
    if b"HANG" in data:
        time.sleep(600)
    time.sleep(0.05)
    tmp = out / f"{{stem}}.tmp"
    tmp.write_bytes(b"%PDF-1.4 " + data)
    os.replace(tmp, out / f"{{stem}}.pdf")
    lock.unlink()
"""


@pytest.fixture
def fake_soffice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    script = tmp_path / "bin" / "soffice"
    script.parent.mkdir()
    script.write_text(FAKE_SOFFICE.format(python=sys.executable), encoding="utf-8")
    script.chmod(0o755)
    pids = tmp_path / "pids.txt"
    monkeypatch.setenv(office.SOFFICE_ENV, str(script))
    monkeypatch.setenv("FAKE_PIDS", str(pids))
    return pids


def book(path: Path, marker: str) -> Path:
    """A zip named .xlsx whose bytes carry ``marker`` (stored, not compressed) for the stand-in soffice."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("marker.txt", f"{marker} {path.name}")
    return path


def test_many_files_one_process_in_order_with_a_bad_one(fake_soffice: Path, tmp_path: Path) -> None:
    items = [
        (book(tmp_path / "in" / f"b{i}.xlsx", "BAD" if i == 2 else "OK"), tmp_path / "out" / f"b{i}.pdf")
        for i in range(5)
    ]
    seen: list[tuple[int, int]] = []
    errors = office.to_pdfs(items, processes=1, progress=lambda done, failed: seen.append((done, failed)))
    assert [bool(e) for e in errors] == [False, False, True, False, False]
    assert "未能把" in errors[2] and "转为 PDF" in errors[2]
    for i in (0, 1, 3, 4):  # each PDF is its own file's (the stand-in copies the file into it)
        assert f"OK b{i}.xlsx".encode() in items[i][1].read_bytes()
    assert sorted(os.listdir(tmp_path / "out")) == ["b0.pdf", "b1.pdf", "b3.pdf", "b4.pdf"]  # nothing else
    assert seen[-1] == (5, 1) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert len(fake_soffice.read_text().split()) == 1  # one soffice for all five


def test_a_hung_file_is_killed_reported_and_the_rest_go_on(fake_soffice: Path, tmp_path: Path) -> None:
    items = [
        (book(tmp_path / "in" / f"b{i}.xlsx", "HANG" if i == 1 else "OK"), tmp_path / "out" / f"b{i}.pdf")
        for i in range(4)
    ]
    errors = office.to_pdfs(items, processes=1, timeout=2)
    assert [bool(e) for e in errors] == [False, True, False, False]
    assert "超过 2 秒未完成" in errors[1] and "已终止" in errors[1]
    assert (tmp_path / "out" / "b3.pdf").is_file() and not (tmp_path / "out" / "b1.pdf").exists()
    pids = [int(p) for p in fake_soffice.read_text().split()]
    assert len(pids) == 2  # the hung process was replaced by one for the files after it
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_several_processes_share_the_files(fake_soffice: Path, tmp_path: Path) -> None:
    items = [(book(tmp_path / "in" / f"b{i}.xlsx", "OK"), tmp_path / "out" / f"b{i}.pdf") for i in range(7)]
    items.append((tmp_path / "in" / "missing.xlsx", tmp_path / "out" / "missing.pdf"))
    errors = office.to_pdfs(items, processes=3)
    assert errors[:7] == [""] * 7 and "找不到文件" in errors[7]
    assert len(fake_soffice.read_text().split()) == 3


def test_no_libreoffice_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(office.SOFFICE_ENV, str(tmp_path / "no-such-soffice"))
    with pytest.raises(office.OfficeUnavailable, match="LibreOffice"):
        office.to_pdfs([(tmp_path / "a.xlsx", tmp_path / "a.pdf")])


# ------------------------------------------------------------------------------------------ LibreOffice

needs_soffice = pytest.mark.skipif(
    office.find_soffice() is None, reason="LibreOffice (soffice) is not installed"
)
runner = CliRunner()


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pdfs")
    template = build_template(folder / "t.xlsx")
    returned = folder / "交回"
    fill_workbook(seed_evaluation(), returned / "甲单位.xlsx", template=template)
    other = valid_evaluation()
    other.unit_name = "乙单位测试局"
    fill_workbook(other, returned / "子目录" / "乙单位.xlsx", template=template)
    (returned / "损坏.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    (folder / "t.xlsx").unlink()
    return returned


@pytest.mark.libreoffice
@needs_soffice
def test_pdf_of_a_folder(books: Path, tmp_path: Path) -> None:
    before = {p: p.read_bytes() for p in books.rglob("*.xlsx")}
    result = runner.invoke(app, ["pdf", str(books), "-o", str(tmp_path / "pdf")])
    assert result.exit_code == 1, result.output  # one workbook could not be printed
    assert "已生成 PDF 2 份，失败 1 份" in result.output and "损坏.xlsx" in result.output
    one, two = tmp_path / "pdf" / "甲单位_自评表.pdf", tmp_path / "pdf" / "子目录" / "乙单位_自评表.pdf"
    assert "雷州市科工贸和信息化局" in office.pdf_text(one) and "乙单位测试局" in office.pdf_text(two)
    assert office.pdf_page_count(one) == 1
    assert {p: p.read_bytes() for p in books.rglob("*.xlsx")} == before  # originals untouched
    again = runner.invoke(app, ["pdf", str(books / "甲单位.xlsx"), "-o", str(tmp_path / "pdf")])
    assert again.exit_code == 2 and "--force" in again.output  # existing PDFs are not overwritten


@pytest.mark.libreoffice
@needs_soffice
def test_fill_pdf_prints_beside_each_workbook(tmp_path: Path) -> None:
    csv = Path(__file__).resolve().parent.parent / "workbooks" / "examples" / "seed_2023.csv"
    result = runner.invoke(app, ["fill", str(csv), "-o", str(tmp_path), "--pdf", "-j", "1"])
    assert result.exit_code == 0, result.output
    assert "自评表 PDF：新生成 2 份" in result.output
    pdfs = sorted(tmp_path.glob("*_自评表.pdf"))
    assert len(pdfs) == 2 and all("自评表" in office.pdf_text(p) for p in pdfs)
    again = runner.invoke(app, ["fill", str(csv), "-o", str(tmp_path), "--pdf", "-j", "1"])
    assert "已是最新 2 份" in again.output


@pytest.mark.libreoffice
@needs_soffice
def test_the_printed_page_is_the_one_update_workbook_gives(books: Path, tmp_path: Path) -> None:
    """summary_copy prints what the whole workbook with its refreshed 自评表 prints: the same pages with the
    same words in the same order. (Not pixel for pixel any more: the writer now keeps the template's own
    stylesheet and page setup, which LibreOffice scales a hair differently from openpyxl's.)"""
    from perfeval_xl.layout.fields import SUMMARY
    from perfeval_xl.pdfs import summary_copy
    from perfeval_xl.service import evaluate_book
    from perfeval_xl.xlsx.write import update_workbook

    source = books / "子目录" / "乙单位.xlsx"
    outcome = evaluate_book(source)
    whole = update_workbook(
        source, tmp_path / "whole.xlsx", summary=(outcome.evaluation, outcome.scores), clear=False
    )
    alone = summary_copy(source, outcome.evaluation, outcome.scores, tmp_path / "alone.xlsx")
    assert openpyxl.load_workbook(alone).sheetnames == [SUMMARY]
    assert office.to_pdfs(
        [(whole, tmp_path / "whole.pdf"), (alone, tmp_path / "alone.pdf")], sheet=SUMMARY
    ) == ["", ""]
    from pypdf import PdfReader

    readers = [PdfReader(str(tmp_path / f"{k}.pdf")) for k in ("whole", "alone")]
    assert [len(r.pages) for r in readers] == [len(readers[0].pages)] * 2
    assert readers[0].pages[0].mediabox == readers[1].pages[0].mediabox  # A4 both
    words = [office.pdf_text(tmp_path / f"{k}.pdf").split() for k in ("whole", "alone")]
    assert words[0] == words[1] and "总分" in words[0]


def test_a_snapshot_with_a_formula_is_printed_from_the_whole_workbook(
    books: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from perfeval_xl.layout import summary
    from perfeval_xl.pdfs import summary_copy
    from perfeval_xl.service import evaluate_book

    real = summary.summary_sheet

    def with_formula(ev: object, scores: object, scheme: object = None) -> object:
        spec = real(ev, scores, scheme)  # type: ignore[arg-type]
        spec.put("K1", None, "note", formula="=基本信息!B2")
        return spec

    monkeypatch.setattr(summary, "summary_sheet", with_formula)
    source = books / "甲单位.xlsx"
    outcome = evaluate_book(source)
    copy = summary_copy(source, outcome.evaluation, outcome.scores, tmp_path / "copy.xlsx")
    assert "基本信息" in openpyxl.load_workbook(copy).sheetnames


def test_several_workbooks_need_an_output_folder(books: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["pdf", str(books), "-o", str(tmp_path / "全部.pdf")])
    assert result.exit_code == 2 and "-o 应为输出目录" in result.output
    result = runner.invoke(
        app, ["pdf", str(books / "甲单位.xlsx"), str(tmp_path / "无此文件.xlsx"), "-o", str(tmp_path)]
    )
    assert result.exit_code == 2 and "找不到文件" in result.output
    assert not list(tmp_path.glob("*.pdf"))


@pytest.mark.libreoffice
@needs_soffice
def test_collect_pdf_prints_the_readable_workbooks(books: Path, tmp_path: Path) -> None:
    import shutil

    folder = shutil.copytree(books, tmp_path / "交回")
    result = runner.invoke(
        app, ["collect", str(folder), "-o", str(tmp_path / "汇总.xlsx"), "--pdf", "-j", "1"]
    )
    assert "自评表 PDF：新生成 2 份，已是最新 0 份，失败 0 份" in result.output, result.output
    assert (folder / "甲单位_自评表.pdf").is_file() and (folder / "子目录" / "乙单位_自评表.pdf").is_file()
    assert not (folder / "损坏_自评表.pdf").exists()
