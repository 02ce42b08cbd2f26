"""Workbooks as the field saves them (tests/data/books/make_books.py): one answer from every command, and
writes that change only what the tool owns.

For every corpus workbook: the model and findings are what ``make_books.CASES`` says; validate, score,
summary, report and collect agree on the findings and the 总分 (or all refuse the file with the same
Chinese reason and exit 2); validate --mark and summary leave every part they do not own byte for byte as
it was, and inside the parts they edit only their own elements; the clerk's notes are never touched.
"""

from __future__ import annotations

import json
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from perfeval_xl.cli import app
from perfeval_xl.collect import collect
from perfeval_xl.layout import fields as F
from perfeval_xl.service import evaluate_book
from perfeval_xl.xlsx.notes import CommentsPart
from perfeval_xl.xlsx.package import Package
from perfeval_xl.xlsx.read import WorkbookError, read_workbook
from perfeval_xl.xlsx.write import update_workbook

BOOKS = Path(__file__).resolve().parent / "data" / "books"
sys.path.insert(0, str(BOOKS))
import make_books as M  # noqa: E402

SOFFICE = shutil.which("soffice") is not None
USABLE = [n for n, (_, e) in M.CASES.items() if not e.unusable and (SOFFICE or not e.needs_soffice)]
UNUSABLE = [n for n, (_, e) in M.CASES.items() if e.unusable]
WRITABLE = [n for n in USABLE if M.CASES[n][1].writes and M.CASES[n][1].summary_writes]


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return M.build(tmp_path_factory.mktemp("books"), soffice=SOFFICE)


@pytest.fixture(scope="session")
def base_findings(corpus: dict[str, Path]) -> set[tuple[str, str, str]]:
    return {(f.code, f.sheet, f.cell) for f in evaluate_book(corpus["base.xlsx"]).findings}


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), terminal_width=400)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


# ------------------------------------------------------------------------------------------ reading


@pytest.mark.parametrize("name", USABLE)
def test_each_workbook_reads_as_expected(name: str, corpus: dict[str, Path], base_findings: set) -> None:
    expect = M.CASES[name][1]
    outcome = evaluate_book(corpus[name])
    assert outcome.evaluation == M.expected_evaluation(name)
    found = {(f.code, f.sheet, f.cell) for f in outcome.findings}
    assert found == (base_findings - expect.removed) | expect.added


@pytest.mark.parametrize("name", UNUSABLE)
def test_unusable_workbooks_are_refused_with_the_reason(name: str, corpus: dict[str, Path]) -> None:
    with pytest.raises(WorkbookError, match=M.CASES[name][1].unusable):
        read_workbook(corpus[name])


def test_a_formula_in_an_input_cell_says_what_it_read(corpus: dict[str, Path]) -> None:
    cached = {f.cell: f for f in evaluate_book(corpus["formulas_cached.xlsx"]).findings}
    assert "=1800+852.84" in cached["D14"].message and "2652.84" in cached["D14"].message
    assert cached["D14"].level.value == "warning"
    missing = {
        f.cell: f
        for f in evaluate_book(corpus["formula_uncached.xlsx"]).findings
        if f.code.startswith("FORMULA")
    }
    assert missing["D14"].level.value == "error" and "Excel 或 WPS 打开" in missing["D14"].message


# ------------------------------------------------------------------------------------------ one answer


def test_every_command_gives_one_answer(corpus: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "returned"
    folder.mkdir()
    for name, path in corpus.items():
        shutil.copy(path, folder / name)
    summary = collect(folder, tmp_path / "汇总.xlsx", jobs=0)
    import openpyxl

    rolled = openpyxl.load_workbook(tmp_path / "汇总.xlsx")
    totals = {r[13]: r[9] for r in rolled["汇总"].iter_rows(min_row=2, values_only=True) if r[13]}
    listed = {r[4]: r for r in rolled["问题清单"].iter_rows(min_row=2, values_only=True)}
    bad = {r[0]: r[1] for r in rolled["无法读取"].iter_rows(min_row=2, values_only=True)}
    assert summary.unusable == len(bad)
    for name in corpus:
        path = folder / name
        expect = M.CASES[name][1]
        code, out = cli("validate", str(path), "--json")
        if expect.unusable:
            assert code == 2 and re.search(expect.unusable, out.replace("\n", "")), (name, out)
            for command in ("score", "summary", "report"):
                assert cli(command, str(path))[0] == 2, (name, command)
            assert re.search(expect.unusable, bad[name]), (name, bad.get(name))
            continue
        outcome = evaluate_book(path)
        assert json.loads(out) == [f.as_dict() for f in outcome.findings], name
        assert code == (1 if outcome.errors else 0)
        code, out = cli("score", str(path), "--json")
        total = json.loads(out)["total"]
        assert total == (None if outcome.scores.total is None else float(outcome.scores.total)), name
        assert totals[name] == total, name
        code, out = cli(
            "summary", str(path), "-o", str(tmp_path / f"s_{name}.xlsx").replace(".xlsm", ".xlsx")
        )
        shown = "未计总分" if total is None else f"总分 {total:.2f}"
        if expect.summary_writes:
            assert shown in out, name
        else:
            assert code == 2 and expect.write_error in out.replace("\n", ""), (name, out)
        code, out = cli("report", str(path), "-o", str(tmp_path / f"r_{name}.docx"))
        assert code in (0, 1), (name, out)
        from docx import Document

        text = "\n".join(p.text for p in Document(str(tmp_path / f"r_{name}.docx")).paragraphs)
        tables = "\n".join(
            c.text
            for t in Document(str(tmp_path / f"r_{name}.docx")).tables
            for row in t.rows
            for c in row.cells
        )
        if total is not None:
            assert f"{total:.2f}" in text + tables, name
        assert listed is not None


@pytest.mark.libreoffice
@pytest.mark.skipif(not SOFFICE, reason="LibreOffice not installed")
def test_pdf_prints_the_same_total(corpus: dict[str, Path], tmp_path: Path) -> None:
    from perfeval_xl import office

    for name in ("merged_labels.xlsx", "strict.xlsx"):
        path = Path(shutil.copy(corpus[name], tmp_path / name))
        code, out = cli("pdf", str(path), "-o", str(tmp_path / f"{name}.pdf"))
        assert code == 1 and "已生成 PDF" in out, out
        assert "98.70" in office.pdf_text(tmp_path / f"{name}.pdf"), name


# ------------------------------------------------------------------------------------------ writing

OUR_SHEETS = (F.INFO, F.INDICATORS, F.FINDINGS, F.SUMMARY)
_OWNED_ELEMENTS = ("sheetData", "mergeCells", "hyperlinks", "dimension")


def parts_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def owned_parts(path: Path) -> dict[str, str]:
    """Parts the writer may edit → what they are: sheet parts of our sheets, their notes, styles, …"""
    out: dict[str, str] = {"[Content_Types].xml": "types", "docProps/core.xml": "core"}
    with Package(path) as pkg:
        out[pkg.workbook_part] = "workbook"
        out[Package.rels_name(pkg.workbook_part)] = "rels"
        for rel in pkg.rels(pkg.workbook_part):
            if rel.kind == "styles":
                out[Package.resolve(pkg.workbook_part, rel.target)] = "styles"
        for sheet in OUR_SHEETS:
            ref = pkg.sheet(sheet)
            if ref is None or not ref.part:
                continue
            out[ref.part] = "input" if sheet in (F.INFO, F.INDICATORS) else "ours"
            out[Package.rels_name(ref.part)] = "rels"
            if sheet in (F.INFO, F.INDICATORS):
                for rel in pkg.rels(ref.part):
                    if rel.kind in ("comments", "vmlDrawing"):
                        out[Package.resolve(ref.part, rel.target)] = rel.kind
    return out


def _without(xml: str, names: tuple[str, ...]) -> str:
    for name in names:
        xml = re.sub(rf"<{name}\b[^>]*?/>|<{name}\b[^>]*>.*?</{name}>", "", xml, flags=re.S)
    return xml


def check_only_owned_changed(before: Path, after: Path) -> None:
    old, new = parts_of(before), parts_of(after)
    owned = owned_parts(before)
    for name, data in old.items():
        kind = owned.get(name)
        if kind is None:
            assert new.get(name) == data, f"{before.name}: {name} changed"
            continue
        if kind in ("comments", "vmlDrawing") and name not in new:
            continue  # only our notes were in it
        text, now = data.decode(), new[name].decode()
        if kind == "input":  # cell formats and our legacyDrawing only; an empty marked cell may be added

            def strip(x: str) -> str:
                x = re.sub(r'\ss="\d+"|<(?:x:)?legacyDrawing\b[^>]*/>', "", x)
                return re.sub(r'<(?:x:)?c r="[A-Z]+\d+"/>', "", x)

            assert strip(now) == strip(text), f"{before.name}: {name} changed beyond marks"
        elif kind == "ours":
            assert _without(now, _OWNED_ELEMENTS) == _without(text, _OWNED_ELEMENTS), f"{before.name}: {name}"
        elif kind == "styles":
            for section in (
                "numFmts",
                "fonts",
                "fills",
                "borders",
                "cellXfs",
                "cellStyleXfs",
                "dxfs",
                "cellStyles",
            ):
                a = re.search(rf"<{section}\b[^>]*>(.*?)</{section}>", text, re.S)
                b = re.search(rf"<{section}\b[^>]*>(.*?)</{section}>", now, re.S)
                if a:
                    assert b and b.group(1).startswith(a.group(1)), (
                        f"{before.name}: styles {section} rewritten"
                    )
        elif kind == "comments":
            for note in CommentsPart(text).notes:
                if not note.ours:
                    assert text[note.span[0] : note.span[1]] in now, (
                        f"{before.name}: the clerk's note {note.ref}"
                    )
        elif kind == "workbook":  # only the 自评表's print names and sheets we added
            names = r"<definedName\b[^>]*_xlnm\.Print_(?:Area|Titles)[^>]*>[^<]*</definedName>"
            added = [e for e in re.findall(r"<sheet\b[^>]*/>", now) if e not in text]
            for element in added:
                now = now.replace(element, "")
            assert re.sub(names, "", now) == re.sub(names, "", text), f"{before.name}: workbook.xml"
        elif kind in ("types", "rels"):
            for element in re.findall(r"<(?:Default|Override|Relationship)\b[^>]*/>", text):
                target = re.search(r'(?:PartName|Target)="/?([^"]*)"', element)
                if target and re.search(r"comments|vmlDrawing", target.group(1)):
                    continue  # our notes' parts may go
                assert element in now, f"{before.name}: {name} lost {element}"


@pytest.mark.parametrize("name", WRITABLE)
def test_validate_mark_and_summary_change_only_what_they_own(
    name: str, corpus: dict[str, Path], tmp_path: Path
) -> None:
    original = corpus[name]
    marked = Path(shutil.copy(original, tmp_path / name))
    outcome = evaluate_book(marked)
    update_workbook(marked, findings=outcome.findings)
    check_only_owned_changed(original, marked)
    again = Path(shutil.copy(marked, tmp_path / f"again_{name}"))
    update_workbook(again, summary=(outcome.evaluation, outcome.scores), clear=False)
    check_only_owned_changed(marked, again)
    # the file still reads the same, and a second validate --mark gives the same marks, not two of each
    assert evaluate_book(again).evaluation == outcome.evaluation
    twice = Path(shutil.copy(again, tmp_path / f"twice_{name}"))
    update_workbook(twice, findings=outcome.findings)
    for sheet in (F.INFO, F.INDICATORS):
        with Package(twice) as pkg:
            ref = pkg.sheet(sheet)
            found = [r for r in pkg.rels(ref.part) if r.kind == "comments"]
            notes = CommentsPart(pkg.text(Package.resolve(ref.part, found[0].target))).notes if found else []
        refs = [n.ref for n in notes]
        assert len(refs) == len(set(refs)), f"{name}: a note written twice on {sheet}"


@pytest.mark.parametrize("name", [n for n in USABLE if not M.CASES[n][1].writes])
def test_files_the_writer_cannot_patch_are_refused(
    name: str, corpus: dict[str, Path], tmp_path: Path
) -> None:
    path = Path(shutil.copy(corpus[name], tmp_path / name))
    before = path.read_bytes()
    code, out = cli("validate", str(path), "--mark")
    assert code == 2 and M.CASES[name][1].write_error in out.replace("\n", ""), out
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == [name]


def test_a_clerks_note_on_a_marked_cell_is_kept(corpus: dict[str, Path], tmp_path: Path) -> None:
    path = Path(shutil.copy(corpus["clerk_note.xlsx"], tmp_path / "note.xlsx"))
    for _ in range(2):
        assert cli("validate", str(path), "--mark")[0] == 1
    import openpyxl

    wb = openpyxl.load_workbook(path)
    m9 = wb[F.INDICATORS]["M9"]
    assert m9.comment.author == "张会计" and m9.comment.text == "原因正在核实，周五前补"
    assert m9.fill.fgColor.rgb.endswith("FFC7CE")  # coloured as an error all the same
    listed = [(r[3], r[4]) for r in wb[F.FINDINGS].iter_rows(min_row=4, values_only=True)]
    assert (F.INDICATORS, "M9") in listed
    assert wb[F.INFO]["B6"].comment.text == "主管部门待确认"


def test_marks_of_a_run_before_are_removed(corpus: dict[str, Path], tmp_path: Path) -> None:
    """A mark on a cell that is fine now goes: its note, and its fill back to the input colour."""
    import openpyxl

    path = Path(shutil.copy(corpus["libreoffice.xlsx" if SOFFICE else "base.xlsx"], tmp_path / "b.xlsx"))
    outcome = evaluate_book(path)
    from dataclasses import replace

    fake = replace(outcome.findings[0], sheet=F.INFO, cell="B7", code="YEAR_INVALID")
    update_workbook(path, findings=[*outcome.findings, fake])
    assert openpyxl.load_workbook(path)[F.INFO]["B7"].comment is not None
    update_workbook(path, findings=outcome.findings)
    b7 = openpyxl.load_workbook(path)[F.INFO]["B7"]
    assert b7.comment is None and b7.fill.fgColor.rgb.endswith("FFF2CC")


def test_the_seal_dropdown_and_merges_survive(corpus: dict[str, Path], tmp_path: Path) -> None:
    for name, part in (
        ("pictures.xlsx", "xl/media/image1.png"),
        ("x14_dropdown.xlsx", "xl/worksheets/sheet90.xml"),
        ("printer_settings.xlsx", "xl/printerSettings/printerSettings1.bin"),
        ("threaded_comment.xlsx", "xl/threadedComments/threadedComment1.xml"),
    ):
        path = Path(shutil.copy(corpus[name], tmp_path / name))
        assert cli("validate", str(path), "--mark")[0] == 1
        assert cli("summary", str(path))[0] == 1
        after = parts_of(path)
        assert after[part] == parts_of(corpus[name])[part], name
    summary = parts_of(tmp_path / "pictures.xlsx")[M.SUMMARY_PART].decode()
    assert '<drawing r:id="rId80"/>' in summary  # the seal is still placed on the 自评表
    info = parts_of(tmp_path / "x14_dropdown.xlsx")[M.INFO_PART].decode()
    assert "<xm:f>下拉选项!$A$1:$A$3</xm:f>" in info
    printer = parts_of(tmp_path / "printer_settings.xlsx")[M.SUMMARY_PART].decode()
    assert 'r:id="rId82"' in printer


def test_renamed_and_missing_sheets_of_ours(corpus: dict[str, Path], tmp_path: Path) -> None:
    """A renamed 校验结果 stays the clerk's; the tool adds a new one. A renamed input sheet is refused."""
    path = Path(shutil.copy(corpus["renamed_findings.xlsx"], tmp_path / "r.xlsx"))
    assert cli("validate", str(path), "--mark")[0] == 1
    with Package(path) as pkg:
        names = [s.name for s in pkg.sheets]
    assert names.count(F.FINDINGS) == 1 and names.index("上次校验") < names.index(F.FINDINGS)
    assert evaluate_book(path).evaluation == M.expected_evaluation("base.xlsx")
    code, out = cli("validate", str(corpus["renamed_input.xlsx"]), "--mark")
    assert code == 2 and "基本信息" in out


def test_strict_workbooks_are_written_in_their_own_namespaces(
    corpus: dict[str, Path], tmp_path: Path
) -> None:
    path = Path(shutil.copy(corpus["strict.xlsx"], tmp_path / "s.xlsx"))
    assert cli("validate", str(path), "--mark")[0] == 1
    assert cli("summary", str(path))[0] == 1
    parts = parts_of(path)
    transitional = [n for n, d in parts.items() if b"schemas.openxmlformats.org/spreadsheetml" in d]
    assert transitional == []
    assert evaluate_book(path).scores.total == evaluate_book(corpus["base.xlsx"]).scores.total


def test_a_read_only_workbook_is_refused(corpus: dict[str, Path], tmp_path: Path) -> None:
    path = Path(shutil.copy(corpus["base.xlsx"], tmp_path / "ro.xlsx"))
    path.chmod(stat.S_IREAD)
    try:
        before = path.read_bytes()
        for args in (("validate", str(path), "--mark"), ("summary", str(path))):
            code, out = cli(*args)
            assert code == 2 and "只读" in out, out
        assert path.read_bytes() == before and not path.stat().st_mode & stat.S_IWUSR
        assert cli("summary", str(path), "-o", str(tmp_path / "copy.xlsx"))[0] == 1  # a copy may be written
    finally:
        path.chmod(stat.S_IREAD | stat.S_IWRITE)


def test_no_english_warning_reaches_the_console(corpus: dict[str, Path], tmp_path: Path) -> None:
    names = [
        "libreoffice.xlsx" if SOFFICE else "base.xlsx",
        "x14_dropdown.xlsx",
        "pictures.xlsx",
        "strict.xlsx",
    ]
    for name in names:
        path = Path(shutil.copy(corpus[name], tmp_path / name))
        for args in (["validate", str(path), "--mark"], ["summary", str(path)], ["score", str(path)]):
            run = subprocess.run(
                [sys.executable, "-W", "error", "-m", "perfeval_xl.cli", *args],
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert run.returncode in (0, 1), (name, args, run.stderr)
            assert "Warning" not in run.stderr and "Traceback" not in run.stderr, run.stderr
