"""The LibreOffice edge: forced recalculation, PDF of a workbook or one sheet, running a VBA macro."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
import threading
import uuid
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from openpyxl.workbook.defined_name import DefinedName

from perfeval_xl import office

needs_soffice = pytest.mark.skipif(
    office.find_soffice() is None,
    reason="LibreOffice (soffice) 未安装：apt-get install libreoffice-calc-nogui",
)
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler 未安装：apt-get install poppler-utils"
)


def values(path: Path, sheet: str, *cells: str) -> list[object]:
    ws = openpyxl.load_workbook(path, data_only=True)[sheet]
    return [ws[c].value for c in cells]


def xlsxwriter_book(path: Path, a: float, b: float, *, stale: float = 999) -> Path:
    """自评表!A3 = A1 + A2 and 汇总!A1 = 分值 × 10 (a workbook-level name), cached values deliberately wrong."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("自评表")
    ws.write("A1", a)
    ws.write("A2", b)
    ws.write_formula("A3", "=A1+A2", None, stale)
    wb.define_name("分值", "=自评表!$A$1")
    summary = wb.add_worksheet("汇总")
    summary.write_formula("A1", "=分值*10", None, stale)
    summary.write_formula("A2", "='自评表'!A3*2", None, stale)
    wb.close()
    return path


def openpyxl_book(path: Path, a: float, b: float) -> Path:
    """The same formulas written by openpyxl: no cached values at all."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "自评表"
    ws["A1"], ws["A2"], ws["A3"] = a, b, "=A1+A2"
    wb.defined_names["分值"] = DefinedName("分值", attr_text="自评表!$A$1")
    summary = wb.create_sheet("汇总")
    summary["A1"], summary["A2"] = "=分值*10", "='自评表'!A3*2"
    wb.save(path)
    return path


# ---------------------------------------------------------------------------------------------- no soffice


def test_macro_url_names_the_document_vba_project() -> None:
    expected = "vnd.sun.star.script:VBAProject.Module1.Run?language=Basic&location=document"
    assert office.macro_url("Module1.Run") == expected
    assert office.macro_url("VBAProject.Module1.Run") == expected
    assert (
        office.macro_url("vnd.sun.star.script:X.Y.Z?language=Basic")
        == "vnd.sun.star.script:X.Y.Z?language=Basic"
    )


def test_only_sheet_hides_the_others_and_activates_the_one(tmp_path: Path) -> None:
    src = xlsxwriter_book(tmp_path / "book.xlsx", 1, 2)
    copy = office._only_sheet(src, "汇总", tmp_path / "copy" / "book.xlsx")
    wb = openpyxl.load_workbook(copy)
    assert [(ws.title, ws.sheet_state) for ws in wb.worksheets] == [("自评表", "hidden"), ("汇总", "visible")]
    assert wb.active.title == "汇总"
    # Only the workbook part changed; every other part is byte-identical.
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(copy) as b:
        assert a.namelist() == b.namelist()
        changed = [n for n in a.namelist() if a.read(n) != b.read(n)]
    assert changed == ["xl/workbook.xml"]
    with pytest.raises(office.OfficeError, match=r"没有工作表“总表”.*自评表、汇总"):
        office._only_sheet(src, "总表", tmp_path / "x.xlsx")


def test_only_sheet_also_hides_sheets_marked_visible(tmp_path: Path) -> None:
    # openpyxl (and so every workbook we have written back) spells out state="visible"
    src = xlsxwriter_book(tmp_path / "book.xlsx", 1, 2)
    openpyxl.load_workbook(src).save(src)
    copy = office._only_sheet(src, "汇总", tmp_path / "copy" / "book.xlsx")
    wb = openpyxl.load_workbook(copy)
    assert [(ws.title, ws.sheet_state) for ws in wb.worksheets] == [("自评表", "hidden"), ("汇总", "visible")]


def test_only_sheet_drops_the_other_sheets_print_ranges(tmp_path: Path) -> None:
    # LibreOffice prints a hidden sheet when it has a print range
    src = xlsxwriter_book(tmp_path / "book.xlsx", 1, 2)
    wb = openpyxl.load_workbook(src)
    wb["自评表"].print_area = "A1:B2"
    wb["汇总"].print_area = "A1:C3"
    wb.save(src)
    wb = openpyxl.load_workbook(office._only_sheet(src, "汇总", tmp_path / "copy" / "book.xlsx"))
    assert not wb["自评表"].print_area
    assert wb["汇总"].print_area == "'汇总'!$A$1:$C$3"


def test_missing_soffice_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(office.SOFFICE_ENV, str(tmp_path / "no-such-soffice"))
    assert office.find_soffice() is None
    book = openpyxl_book(tmp_path / "book.xlsx", 1, 2)
    with pytest.raises(office.OfficeUnavailable, match="libreoffice-calc-nogui"):
        office.recalculate([book], tmp_path / "out")


def test_bad_inputs_are_refused_before_soffice_runs(tmp_path: Path) -> None:
    text = tmp_path / "假的.xlsx"
    text.write_text("not a workbook", encoding="utf-8")
    with pytest.raises(office.OfficeError, match=r"假的\.xlsx.*不是有效的 \.xlsx 工作簿"):
        office.recalculate([text], tmp_path / "out")
    with pytest.raises(office.OfficeError, match="找不到文件"):
        office.recalculate([tmp_path / "missing.xlsx"], tmp_path / "out")
    (tmp_path / "a").mkdir()
    one = openpyxl_book(tmp_path / "book.xlsx", 1, 2)
    two = openpyxl_book(tmp_path / "a" / "book.xlsx", 1, 2)
    with pytest.raises(office.OfficeError, match="同名"):
        office.recalculate([one, two], tmp_path / "out")
    with pytest.raises(office.OfficeError, match="覆盖原文件"):
        office.recalculate([one], tmp_path)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def fake_soffice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> None:
    """Point PERFEVAL_SOFFICE at a shell script standing in for soffice."""
    script = tmp_path / "bin" / "soffice"
    script.parent.mkdir(exist_ok=True)
    script.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setenv(office.SOFFICE_ENV, str(script))


def gone(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in {"Z", "X"}  # a zombie is dead, only not yet reaped


@pytest.mark.skipif(os.name != "posix", reason="shell-script stand-in for soffice")
def test_what_soffice_printed_is_in_the_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_soffice(tmp_path, monkeypatch, 'echo "Error: 模拟的加载失败" >&2; exit 1')
    book = openpyxl_book(tmp_path / "单位甲.xlsx", 1, 2)
    with pytest.raises(office.OfficeError, match=r"(?s)单位甲\.xlsx.*模拟的加载失败"):
        office.recalculate([book], tmp_path / "out")
    with pytest.raises(office.OfficeError, match=r"(?s)未能把 .*单位甲\.xlsx 转为 PDF.*模拟的加载失败"):
        office.to_pdf(book, tmp_path / "out" / "x.pdf")
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.skipif(os.name != "posix", reason="shell-script stand-in for soffice")
def test_time_out_kills_soffice_and_its_children(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pidfile = tmp_path / "child.pid"
    fake_soffice(tmp_path, monkeypatch, f"sleep 300 & echo $! > '{pidfile}'; wait")
    book = openpyxl_book(tmp_path / "book.xlsx", 1, 2)
    with pytest.raises(office.OfficeError, match="超过 1 秒未完成，已终止"):
        office.recalculate([book], tmp_path / "out", timeout=1)
    assert gone(int(pidfile.read_text()))
    assert list((tmp_path / "out").iterdir()) == []


# ---------------------------------------------------------------------------------------------- recalc


@pytest.mark.libreoffice
@needs_soffice
def test_recalculate_replaces_stale_cached_values(tmp_path: Path) -> None:
    src = xlsxwriter_book(tmp_path / "自评 #1.xlsx", 3, 4)
    before = src.read_bytes()
    assert values(src, "自评表", "A3") == [999]  # the canary: what a non-recalculating reader sees
    (out,) = office.recalculate([src], tmp_path / "out")
    assert out == (tmp_path / "out" / "自评 #1.xlsx").resolve()
    assert values(out, "自评表", "A3") == [7]
    assert values(out, "汇总", "A1", "A2") == [30, 14]
    assert src.read_bytes() == before
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["自评 #1.xlsx"]  # no staging left


@pytest.mark.libreoffice
@needs_soffice
def test_recalculate_many_files_in_one_soffice_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    books = [
        xlsxwriter_book(tmp_path / "甲.xlsx", 1, 2),
        openpyxl_book(tmp_path / "乙.xlsx", 10, 20),
        xlsxwriter_book(tmp_path / "丙.xlsx", 0.1, 0.2, stale=0),
    ]
    runs: list[list[str]] = []
    real = office._run_soffice

    def counting(cmd: list[str], *args: object, **kwargs: object) -> str:
        runs.append(cmd)
        return real(cmd, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(office, "_run_soffice", counting)
    outs = office.recalculate(books, tmp_path / "out")
    assert len(runs) == 1
    assert [p.name for p in outs] == ["甲.xlsx", "乙.xlsx", "丙.xlsx"]
    got = [values(p, "自评表", "A3") + values(p, "汇总", "A1", "A2") for p in outs]
    assert got[0] == [3, 10, 6]
    assert got[1] == [30, 100, 60]
    assert got[2][0] == pytest.approx(0.3) and got[2][1:] == pytest.approx([1, 0.6])


@pytest.mark.libreoffice
@needs_soffice
def test_one_broken_workbook_is_named_and_nothing_is_written(tmp_path: Path) -> None:
    good = xlsxwriter_book(tmp_path / "good.xlsx", 1, 2)
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(broken, "w") as z:  # a zip, but no workbook inside
        z.writestr("hello.txt", "hi")
    later = openpyxl_book(tmp_path / "later.xlsx", 1, 2)
    with pytest.raises(office.OfficeError, match=r"未能重算.*\n.*broken\.xlsx") as err:
        office.recalculate([good, broken, later], tmp_path / "out")
    assert "good.xlsx" not in str(err.value)
    assert "could not be loaded" in str(err.value)  # what LibreOffice printed
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.libreoffice
@needs_soffice
def test_parallel_calls_do_not_collide(tmp_path: Path) -> None:
    results: dict[int, object] = {}

    def work(i: int) -> None:
        book = xlsxwriter_book(tmp_path / f"b{i}.xlsx", i, 100)
        try:
            (out,) = office.recalculate([book], tmp_path / f"out{i}")
            results[i] = values(out, "自评表", "A3")[0]
        except Exception as exc:  # reported below
            results[i] = exc

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {0: 100, 1: 101, 2: 102}


# ---------------------------------------------------------------------------------------------- PDF


def two_sheet_report(path: Path) -> Path:
    """自评表 (A4 portrait) and 汇总 (A4 landscape); 汇总 reads 自评表 through a formula cached as 0."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("自评表")
    ws.set_paper(9)
    ws.write("A1", "项目支出绩效自评表")
    ws.write("A2", "年度资金总额")
    ws.write("B2", 2652.84)
    summary = wb.add_worksheet("汇总")
    summary.set_paper(9)
    summary.set_landscape()
    summary.write("A1", "部门整体支出绩效汇总")
    summary.write("A2", "合计加倍")
    summary.write_formula("B2", "='自评表'!B2*2", None, 0)
    wb.close()
    return path


def cjk_fonts(pdf: Path) -> list[str]:
    listing = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    names = [line.split()[0] for line in listing.splitlines()[2:] if line.strip()]
    return [
        n for n in names if any(k in n.lower() for k in ("cjk", "wenquanyi", "wqy", "hei", "song", "ming"))
    ]


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


@pytest.mark.libreoffice
@needs_soffice
@needs_poppler
def test_pdf_of_whole_workbook_prints_every_sheet_on_a4(tmp_path: Path) -> None:
    src = two_sheet_report(tmp_path / "报告.xlsx")
    pdf = office.to_pdf(src, tmp_path / "pdf" / "全部.pdf")
    assert pdf == (tmp_path / "pdf" / "全部.pdf").resolve()
    assert office.pdf_page_count(pdf) == 2
    (w1, h1), (w2, h2) = office.pdf_page_sizes(pdf)
    assert (round(w1), round(h1), round(w2), round(h2)) == (595, 842, 842, 595)  # A4, portrait then landscape
    text = office.pdf_text(pdf)
    assert "项目支出绩效自评表" in text and "部门整体支出绩效汇总" in text
    assert "5305.68" in text  # the formula cached as 0 was recalculated before printing
    assert cjk_fonts(pdf), "PDF 中没有中文字体：apt-get install fonts-noto-cjk"
    pngs = office.pdf_to_png(pdf, tmp_path / "png", dpi=50)
    assert [p.name for p in pngs] == ["全部-1.png", "全部-2.png"]
    (pw, ph), (lw, lh) = map(png_size, pngs)
    assert pw < ph and lw > lh
    assert abs(pw - 8.27 * 50) <= 2
    assert sorted(os.listdir(tmp_path / "pdf")) == ["全部.pdf"]


@pytest.mark.libreoffice
@needs_soffice
@needs_poppler
def test_pdf_of_one_sheet_contains_only_that_sheet(tmp_path: Path) -> None:
    src = two_sheet_report(tmp_path / "报告.xlsx")
    before = src.read_bytes()
    pdf = office.to_pdf(src, tmp_path / "汇总.pdf", sheet="汇总")
    assert office.pdf_page_count(pdf) == 1
    text = office.pdf_text(pdf)
    assert "部门整体支出绩效汇总" in text
    assert "5305.68" in text  # reads the hidden sheet
    assert "项目支出绩效自评表" not in text and "年度资金总额" not in text
    (size,) = office.pdf_page_sizes(pdf)
    assert tuple(map(round, size)) == (842, 595)
    assert src.read_bytes() == before
    first = office.to_pdf(src, tmp_path / "自评表.pdf", sheet="自评表")
    assert "年度资金总额" in office.pdf_text(first) and "汇总" not in office.pdf_text(first)


# ---------------------------------------------------------------------------------------------- macros

MODULE = """Attribute VB_Name = "Module1"
Sub WriteOK()
    ThisWorkbook.Worksheets(1).Range("B2").Value = "OK"
End Sub
Function Answer()
    Answer = "OK" & CStr(40 + 2)
End Function
Sub Forever()
    Do
        DoEvents
    Loop
End Sub
"""

needs_uno = pytest.mark.skipif(
    office.find_soffice() is None or office.find_uno_python() is None,
    reason="运行宏需要 LibreOffice 与 python3-uno",
)


def vba_project(workdir: Path, module: str) -> Path:
    """vbaProject.bin from .bas text with ms-ovba (which writes into the current directory)."""
    ms_ovba = pytest.importorskip("ms_ovba")
    from ms_ovba.Models.Entities.doc_module import DocModule
    from ms_ovba.Models.Entities.std_module import StdModule
    from ms_ovba.vbaProject import VbaProject
    from ms_ovba.Views.project_ole_file import ProjectOleFile

    workdir.mkdir(parents=True, exist_ok=True)
    blank = Path(ms_ovba.__file__).parent / "blank_files"
    project = VbaProject()
    project.project_id = "{9E394C0B-697E-4AEE-9FA6-446F51FB30DC}"
    for name, guid in (
        ("Sheet1", "00020820-0000-0000-C000-000000000046"),
        ("ThisWorkbook", "00020819-0000-0000-C000-000000000046"),
    ):
        shutil.copyfile(blank / f"{name}.cls", workdir / f"{name}.cls")
        doc = DocModule(name)
        doc.add_file(str(workdir / f"{name}.cls"))
        doc.add_guid(uuid.UUID(guid))
        doc.normalize_file()
        project.add_module(doc)
    (workdir / "Module1.bas").write_text(module, encoding="ascii")
    std = StdModule("Module1")
    std.add_file(str(workdir / "Module1.bas"))
    std.normalize_file()
    project.add_module(std)
    cwd = Path.cwd()
    os.chdir(workdir)
    try:
        ProjectOleFile.write_file(project)
    finally:
        os.chdir(cwd)
    return workdir / "vbaProject.bin"


@pytest.fixture
def macro_book(tmp_path: Path) -> Path:
    path = tmp_path / "宏 测试.xlsm"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("自评表")
    ws.write("A1", "自评")
    ws.write_formula("A2", '=IF(B2="OK",1,0)', None, 5)
    wb.set_vba_name("ThisWorkbook")
    ws.set_vba_name("Sheet1")
    wb.add_vba_project(str(vba_project(tmp_path / "vba", MODULE)))
    wb.close()
    return path


@pytest.mark.libreoffice
@needs_uno
def test_run_macro_writes_a_cell_and_saves(macro_book: Path, tmp_path: Path) -> None:
    before = macro_book.read_bytes()
    assert office.run_macro(macro_book, "Module1.WriteOK", save_to=tmp_path / "out" / "结果.xlsx") is None
    assert values(tmp_path / "out" / "结果.xlsx", "自评表", "A1", "B2", "A2") == ["自评", "OK", 1]
    assert macro_book.read_bytes() == before
    assert sorted(os.listdir(tmp_path / "out")) == ["结果.xlsx"]
    office.run_macro(macro_book, "Module1.WriteOK", save_to=tmp_path / "out" / "结果.xlsm")
    with zipfile.ZipFile(tmp_path / "out" / "结果.xlsm") as z:
        assert "xl/vbaProject.bin" in z.namelist()
    assert values(tmp_path / "out" / "结果.xlsm", "自评表", "B2") == ["OK"]


@pytest.mark.libreoffice
@needs_uno
def test_run_macro_returns_a_function_result(macro_book: Path) -> None:
    assert office.run_macro(macro_book, "Module1.Answer") == "OK42"


@pytest.mark.libreoffice
@needs_uno
def test_missing_macro_is_a_clear_error(macro_book: Path, tmp_path: Path) -> None:
    with pytest.raises(office.OfficeError, match=r"(?s)运行宏失败（宏 Module1\.Nope）.*method: 'Nope'"):
        office.run_macro(macro_book, "Module1.Nope", save_to=tmp_path / "never.xlsx")
    assert not (tmp_path / "never.xlsx").exists()


@pytest.mark.libreoffice
@needs_uno
def test_macro_time_out_kills_soffice_and_cleans_up(
    macro_book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # the workspace (profile, copies) goes here
    with pytest.raises(office.OfficeError, match="超过 5 秒未结束"):
        office.run_macro(macro_book, "Module1.Forever", timeout=5)
    assert list(scratch.iterdir()) == []
    alive = []
    for proc in Path("/proc").iterdir():
        try:
            if str(scratch) in (proc / "cmdline").read_bytes().decode("utf-8", "replace"):
                alive.append(proc.name)
        except OSError:
            continue
    assert alive == []


@pytest.mark.skipif(
    os.name != "posix" or office.find_uno_python() is None, reason="需要 python3-uno 与 shell 脚本"
)
def test_run_macro_stops_when_soffice_dies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_soffice(tmp_path, monkeypatch, 'echo "模拟崩溃" >&2; exit 134')
    book = openpyxl_book(tmp_path / "book.xlsx", 1, 2)
    with pytest.raises(office.OfficeError, match=r"(?s)LibreOffice 意外退出.*模拟崩溃"):
        office.run_macro(book, "Module1.WriteOK", timeout=60)
