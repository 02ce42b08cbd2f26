"""The macro-enabled workbook: package parts, ribbon ↔ VBA ↔ Python names, VBA project, LibreOffice run."""

from __future__ import annotations

import importlib
import re
import shutil
import zipfile
from pathlib import Path

import olefile
import openpyxl
import pytest
import xlsxwriter
from lxml import etree
from oletools.olevba import VBA_Parser

from perfeval_xl import office
from perfeval_xl.xlsx import macro

BAS_FILES = sorted(macro.MACROS_DIR.glob("*.bas"))
CUSTOMUI = (macro.MACROS_DIR / macro.RIBBON_FILE).read_bytes()
CUI = "{http://schemas.microsoft.com/office/2006/01/customui}"

#: Built-in Excel control ids from [MS-CUSTOMUI] "Custom UI control id table (imageMso table)".
VERIFIED_IMAGE_MSO = {
    "DataValidationCircleInvalid",
    "CalculateNow",
    "SheetInsert",
    "DataValidationClearValidationCircles",
    "Help",
}


def make_plain_xlsx(path: Path) -> Path:
    """A small .xlsx as the template builder would write it (XlsxWriter, Chinese sheet names)."""
    workbook = xlsxwriter.Workbook(path)
    cover = workbook.add_worksheet("封面")
    cover.write("A1", "预算绩效自评")
    indicators = workbook.add_worksheet("指标")
    indicators.write_row("A1", ["一级指标", "权重"])
    indicators.write_row("A2", ["产出指标", 50])
    workbook.close()
    return path


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The built .xlsm, and the same after an openpyxl load(keep_vba=True) + fill + save."""
    folder = tmp_path_factory.mktemp("macro")
    built = macro.make_macro_workbook(make_plain_xlsx(folder / "plain.xlsx"), folder / "built.xlsm")
    workbook = openpyxl.load_workbook(built, keep_vba=True)
    workbook["指标"]["C2"] = 48.5
    filled = folder / "filled.xlsm"
    workbook.save(filled)
    template = macro.build_macro_template(folder / "template.xlsm")
    return {"built": built, "filled": filled, "template": template}


def parts_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rel_targets(parts: dict[str, bytes], rels_part: str, rel_type: str) -> list[str]:
    root = etree.fromstring(parts[rels_part])
    return [rel.get("Target") for rel in root if rel.get("Type") == rel_type]


def content_type(parts: dict[str, bytes], part: str) -> str | None:
    root = etree.fromstring(parts["[Content_Types].xml"])
    ns = f"{{{macro.CT_NS}}}"
    for override in root.iter(ns + "Override"):
        if override.get("PartName") == "/" + part:
            return override.get("ContentType")
    extension = part.rsplit(".", 1)[-1].lower()
    for default in root.iter(ns + "Default"):
        if default.get("Extension").lower() == extension:
            return default.get("ContentType")
    return None


def sheet_codenames(parts: dict[str, bytes]) -> list[str]:
    """Code names of the worksheets, in workbook order."""
    main = f"{{{macro.MAIN_NS}}}"
    book = etree.fromstring(parts["xl/workbook.xml"])
    targets = {
        rel.get("Id"): rel.get("Target")
        for rel in etree.fromstring(parts["xl/_rels/workbook.xml.rels"])
        if rel.get("Type") == macro.REL_WORKSHEET
    }
    names = []
    for sheet in book.iter(main + "sheet"):
        part = macro._resolve("xl/workbook.xml", targets[sheet.get(f"{{{macro.DOC_REL_NS}}}id")])
        names.append(etree.fromstring(parts[part]).find(main + "sheetPr").get("codeName"))
    return names


def assert_macro_package(path: Path) -> None:
    parts = parts_of(path)
    assert content_type(parts, "xl/workbook.xml") == "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
    (vba,) = rel_targets(parts, "xl/_rels/workbook.xml.rels", macro.REL_VBA)
    vba_part = macro._resolve("xl/workbook.xml", vba)
    assert vba_part == "xl/vbaProject.bin"
    assert parts[vba_part].startswith(olefile.MAGIC)
    assert content_type(parts, vba_part) == "application/vnd.ms-office.vbaProject"
    (ribbon,) = rel_targets(parts, "_rels/.rels", macro.REL_RIBBON)
    assert ribbon.lstrip("/") == "customUI/customUI.xml"
    assert parts["customUI/customUI.xml"] == CUSTOMUI
    book = etree.fromstring(parts["xl/workbook.xml"])
    assert book.find(f"{{{macro.MAIN_NS}}}workbookPr").get("codeName") == "ThisWorkbook"
    names = sheet_codenames(parts)
    assert names == [f"Sheet{number}" for number in range(1, len(names) + 1)]


# ---- package --------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["built", "filled", "template"])
def test_package_has_vba_project_and_ribbon(books: dict[str, Path], which: str) -> None:
    assert_macro_package(books[which])


def test_openpyxl_save_keeps_vba_project_and_value(books: dict[str, Path]) -> None:
    built, filled = parts_of(books["built"]), parts_of(books["filled"])
    assert filled["xl/vbaProject.bin"] == built["xl/vbaProject.bin"]
    assert openpyxl.load_workbook(books["filled"])["指标"]["C2"].value == 48.5


def test_plain_xlsx_has_no_macro_parts(tmp_path: Path) -> None:
    parts = parts_of(make_plain_xlsx(tmp_path / "plain.xlsx"))
    assert "xl/vbaProject.bin" not in parts and "customUI/customUI.xml" not in parts
    assert content_type(parts, "xl/workbook.xml").endswith("sheet.main+xml")


def test_ensure_ribbon_restores_a_dropped_ribbon(books: dict[str, Path], tmp_path: Path) -> None:
    parts = parts_of(books["built"])
    del parts["customUI/customUI.xml"]
    root_rels = etree.fromstring(parts["_rels/.rels"])
    for rel in list(root_rels):
        if rel.get("Type") == macro.REL_RIBBON:
            root_rels.remove(rel)
    parts["_rels/.rels"] = etree.tostring(root_rels)
    dropped = tmp_path / "dropped.xlsm"
    macro._write_zip(dropped, parts)

    assert macro.ensure_ribbon(dropped) is True
    assert_macro_package(dropped)
    again = dropped.read_bytes()
    assert macro.ensure_ribbon(dropped) is False
    assert dropped.read_bytes() == again


def test_make_macro_workbook_is_reproducible_and_idempotent(books: dict[str, Path], tmp_path: Path) -> None:
    plain = make_plain_xlsx(tmp_path / "plain.xlsx")
    first = macro.make_macro_workbook(plain, tmp_path / "a.xlsm").read_bytes()
    second = macro.make_macro_workbook(plain, tmp_path / "b.xlsm").read_bytes()
    assert first == second
    # Running it on its own output changes nothing (no duplicate relationships or modules).
    rebuilt = macro.make_macro_workbook(tmp_path / "a.xlsm", tmp_path / "c.xlsm")
    assert parts_of(rebuilt) == parts_of(tmp_path / "a.xlsm")


def test_make_macro_workbook_refuses_bad_input_without_leaving_files(tmp_path: Path) -> None:
    not_a_book = tmp_path / "notes.xlsx"
    not_a_book.write_text("这不是工作簿", encoding="utf-8")
    with pytest.raises(macro.MacroError, match="无法读取工作簿"):
        macro.make_macro_workbook(not_a_book, tmp_path / "out.xlsm")
    with pytest.raises(macro.MacroError, match=r"\.xlsm"):
        macro.make_macro_workbook(make_plain_xlsx(tmp_path / "plain.xlsx"), tmp_path / "out.xlsx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.xlsx", "plain.xlsx"]


# ---- ribbon ↔ VBA ↔ Python ------------------------------------------------------------------------


def test_ribbon_tab_and_buttons() -> None:
    root = etree.fromstring(CUSTOMUI)
    assert root.tag == CUI + "customUI"
    (tab,) = root.iter(CUI + "tab")
    assert tab.get("label") == "绩效自评"
    buttons = list(tab.iter(CUI + "button"))
    assert [b.get("label") for b in buttons] == ["校验", "计算评分", "生成自评表", "清除标记", "关于"]
    for button in buttons:
        assert button.get("screentip") and button.get("supertip"), button.get("id")
        assert button.get("imageMso") in VERIFIED_IMAGE_MSO, button.get("imageMso")


def test_every_on_action_names_a_ribbon_callback() -> None:
    callbacks = set().union(*(macro.ribbon_callbacks(macro.read_bas(path)) for path in BAS_FILES))
    actions = macro.ribbon_actions(CUSTOMUI)
    assert len(actions) == 5
    assert set(actions.values()) <= callbacks


def test_every_run_python_command_names_an_entry_point() -> None:
    calls = [call for path in BAS_FILES for call in macro.python_calls(macro.read_bas(path))]
    assert {call.module for call in calls} == {macro.EXCEL_MODULE}
    assert {call.function for call in calls} == set(macro.ENTRY_POINTS)
    by_callback = {call.sub: call.function for call in calls if call.sub.startswith("On")}
    assert by_callback == {
        "OnValidate": "validate_book",
        "OnScore": "score_book",
        "OnSummary": "summary_book",
        "OnClearMarks": "clear_marks",
        "OnAbout": "about",
    }


def test_entry_points_exist_in_excel_module() -> None:
    excel = pytest.importorskip(macro.EXCEL_MODULE)
    importlib.reload(excel)
    missing = [name for name in macro.ENTRY_POINTS if not callable(getattr(excel, name, None))]
    assert missing == []


def copy_sources(tmp_path: Path) -> Path:
    folder = tmp_path / "macros"
    shutil.copytree(macro.MACROS_DIR, folder)
    return folder


def test_check_sources_reports_a_missing_callback(tmp_path: Path) -> None:
    folder = copy_sources(tmp_path)
    ribbon = folder / macro.RIBBON_FILE
    ribbon.write_text(ribbon.read_text("utf-8").replace('"OnScore"', '"OnRescore"'), "utf-8")
    with pytest.raises(macro.MacroError, match="btnScore 的 onAction=OnRescore"):
        macro.check_sources(*macro.macro_sources(folder))


def test_check_sources_reports_an_unknown_python_function(tmp_path: Path) -> None:
    folder = copy_sources(tmp_path)
    bas = folder / "PerfEval.bas"
    bas.write_text(bas.read_text("ascii").replace("m.score_book()", "m.score()"), "ascii")
    with pytest.raises(macro.MacroError, match=r"OnScore 调用的 perfeval_xl\.excel\.score"):
        macro.make_macro_workbook(
            make_plain_xlsx(tmp_path / "p.xlsx"), tmp_path / "o.xlsm", macros_dir=folder
        )


def test_bas_sources_are_ascii_and_non_ascii_is_refused(tmp_path: Path) -> None:
    for path in BAS_FILES:
        assert path.read_bytes().isascii(), path
    bad = tmp_path / "Bad.bas"
    bad.write_text('Attribute VB_Name = "Bad"\nSub A()\n    MsgBox "校验"\nEnd Sub\n', "utf-8")
    with pytest.raises(macro.MacroError, match=r"Bad\.bas 第 3 行含有非 ASCII"):
        macro.read_bas(bad)


def test_chinese_messages_round_trip_through_escapes() -> None:
    text = macro.read_bas(macro.MACROS_DIR / "PerfEval.bas")
    constants = dict(re.findall(r'^Private Const (MSG_\w+) As String = "([^"]*)"$', text, re.MULTILINE))
    assert constants.keys() == macro.VBA_MESSAGES.keys()
    for name, readable in macro.VBA_MESSAGES.items():
        assert macro.vba_unescape(constants[name]) == readable
        assert macro.vba_escape(readable) == constants[name]
    assert macro.vba_escape("表 A😀") == "\\u8868 A\\ud83d\\ude00"  # UTF-16 code units, as ChrW takes them
    assert macro.vba_unescape("\\u8868 A\\ud83d\\ude00") == "表 A😀"


# ---- VBA project ----------------------------------------------------------------------------------


def olevba_modules(path: Path) -> dict[str, str]:
    parser = VBA_Parser(str(path))
    try:
        return {name: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


@pytest.mark.parametrize("which", ["built", "filled", "template"])
def test_olevba_reads_back_the_sources(books: dict[str, Path], which: str) -> None:
    modules = olevba_modules(books[which])
    documents = ["ThisWorkbook", *sheet_codenames(parts_of(books[which]))]
    assert set(modules) == {f"{name}.cls" for name in documents} | {f"{p.stem}.bas" for p in BAS_FILES}
    for path in BAS_FILES:
        assert modules[f"{path.stem}.bas"].replace("\r\n", "\n") == path.read_text("ascii")
    for name in documents:
        assert modules[f"{name}.cls"].startswith(f'Attribute VB_Name = "{name}"\r\n'), name


def test_long_and_repetitive_modules_survive_compression(tmp_path: Path) -> None:
    # ms-ovba 0.0.1 corrupts copy tokens longer than the position allows; long repeats late in a
    # 4096-byte chunk and a module spanning several chunks exercise the fix.
    lines = ['Attribute VB_Name = "Long"', "Option Explicit"]
    lines += [f'Public Sub P{i}()\n    Debug.Print "{"-" * 60}" & {i}\nEnd Sub' for i in range(120)]
    bas = tmp_path / "Long.bas"
    bas.write_text("\n".join(lines) + "\n", "ascii")
    assert len(bas.read_bytes()) > 3 * 4096
    project = tmp_path / "vbaProject.bin"
    project.write_bytes(macro.build_vba_project([bas]))
    assert olevba_modules(project)["Long.bas"].replace("\r\n", "\n") == bas.read_text("ascii")


def test_vba_project_container_is_well_formed(books: dict[str, Path]) -> None:
    ole = olefile.OleFileIO(parts_of(books["built"])["xl/vbaProject.bin"])
    streams = {"/".join(entry) for entry in ole.listdir()}
    assert {"PROJECT", "PROJECTwm", "VBA/dir", "VBA/_VBA_PROJECT", "VBA/PerfEval"} <= streams
    # Source-only project: _VBA_PROJECT version 0xFFFF tells Office to compile from the source.
    assert ole.openstream("VBA/_VBA_PROJECT").read()[:4] == b"\xcc\x61\xff\xff"
    project = ole.openstream("PROJECT").read().decode("ascii")
    assert "Module=PerfEval\r\n" in project and "Document=ThisWorkbook/&H00000000\r\n" in project

    # Windows' structured storage wants each directory's red-black tree ordered by (length, upper name).
    def ordered(sid: int, low: tuple | None, high: tuple | None) -> bool:
        if sid == olefile.NOSTREAM:
            return True
        entry = ole.direntries[sid]
        key = (len(entry.name), entry.name.upper())
        inside = (low is None or low < key) and (high is None or key < high)
        return (
            inside
            and ordered(entry.sid_left, low, key)
            and ordered(entry.sid_right, key, high)
            and ordered(entry.sid_child, None, None)
        )

    assert ordered(ole.direntries[0].sid_child, None, None)


# ---- LibreOffice ----------------------------------------------------------------------------------


@pytest.mark.libreoffice
@pytest.mark.skipif(
    office.find_soffice() is None or office.find_uno_python() is None,
    reason="运行宏需要 LibreOffice 与 python3-uno",
)
@pytest.mark.parametrize("which", ["built", "filled", "template"])
def test_libreoffice_runs_the_self_test_macro(books: dict[str, Path], which: str, tmp_path: Path) -> None:
    ran = tmp_path / f"{which}-ran.xlsx"
    office.run_macro(books[which], "PerfEval.SelfTest", save_to=ran)
    sheet = openpyxl.load_workbook(ran)["PerfEvalSelfTest"]
    no_xlwings = macro.VBA_MESSAGES["MSG_NO_XLWINGS"]
    assert sheet["A1"].value == "PerfEval self-test OK"
    assert sheet["A2"].value == no_xlwings  # Zh() decoded the escapes
    assert sheet["A3"].value == no_xlwings  # what a button reports without xlwings
