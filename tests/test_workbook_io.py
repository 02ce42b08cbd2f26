"""Reading and writing workbooks: round trip, marks that never touch input values, the 自评表, bad files."""

from __future__ import annotations

import zipfile
from decimal import Decimal as D
from pathlib import Path

import openpyxl
import pytest
from builders import seed_evaluation

from perfeval_xl.layout import fields as F
from perfeval_xl.model import Finding, Level
from perfeval_xl.rules.scoring import score
from perfeval_xl.xlsx.build import build_template
from perfeval_xl.xlsx.fill import fill_workbook
from perfeval_xl.xlsx.read import WorkbookError, read_workbook
from perfeval_xl.xlsx.write import MARK_AUTHOR, update_workbook


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("tpl") / "t.xlsx")


@pytest.fixture
def filled(template: Path, tmp_path: Path) -> Path:
    return fill_workbook(seed_evaluation(), tmp_path / "seed.xlsx", template=template)


def input_values(path: Path) -> dict[tuple[str, str], object]:
    wb = openpyxl.load_workbook(path)
    out: dict[tuple[str, str], object] = {}
    for f in F.FIELDS:
        out[(F.INFO, f.cell)] = wb[F.INFO][f.cell].value
    ws = wb[F.INDICATORS]
    for row in range(F.INDICATOR_FIRST_ROW, F.INDICATOR_FIRST_ROW + 10):
        for c in F.INPUT_COLUMNS:
            out[(F.INDICATORS, f"{c.letter}{row}")] = ws[f"{c.letter}{row}"].value
    return out


def test_round_trip(filled: Path) -> None:
    ev = read_workbook(filled).evaluation
    want = seed_evaluation()
    assert ev.unit_code == "001234"  # leading zeros kept
    assert ev.year == D(2023)
    assert ev.budget.total.adjusted == D("2652.84")
    assert ev.budget.enterprise_subsidy == D("1348.28")
    assert [i.name for i in ev.indicators] == [i.name for i in want.indicators]
    assert [i.row for i in ev.indicators] == [4, 5, 6, 7, 8]
    assert ev.indicators[1].deviation_note == want.indicators[1].deviation_note
    assert ev.indicators[4].band == "达成年度指标" and ev.indicators[4].score == D(9)
    assert ev.indicators[3].actual == D("5.4")
    assert score(ev).total == score(want).total


def test_blank_rows_between_indicators_are_skipped(filled: Path) -> None:
    wb = openpyxl.load_workbook(filled)
    ws = wb[F.INDICATORS]
    ws["D40"] = "后补指标"
    ws["J40"] = 5
    wb.save(filled)
    ev = read_workbook(filled).evaluation
    assert [i.row for i in ev.indicators] == [4, 5, 6, 7, 8, 40]


def test_text_in_a_number_cell_is_kept_as_text(filled: Path) -> None:
    wb = openpyxl.load_workbook(filled)
    wb[F.INFO]["D14"] = "2,652.84"
    wb.save(filled)
    assert read_workbook(filled).evaluation.budget.total.executed == "2,652.84"


def test_formula_like_text_is_written_as_text(template: Path, tmp_path: Path) -> None:
    ev = seed_evaluation()
    ev.unit_name = '=HYPERLINK("http://x")'
    ev.indicators[0].name = "+1+2"
    ev.indicators[1].deviation_note = "@SUM(A1)"
    out = fill_workbook(ev, tmp_path / "f.xlsx", template=template)
    with zipfile.ZipFile(out) as z:
        xml = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>HYPERLINK" not in xml and "<f>+1+2" not in xml and "<f>@SUM" not in xml
    back = read_workbook(out).evaluation
    assert back.unit_name == ev.unit_name and back.indicators[0].name == "+1+2"


def test_marks_never_change_input_values(filled: Path) -> None:
    before = input_values(filled)
    findings = [
        Finding("BUDGET_EXEC_OVER", Level.WARNING, "执行数高于预算数", sheet=F.INFO, cell="D14"),
        Finding("DEVIATION_NOTE_MISSING", Level.ERROR, "请填写偏差原因", sheet=F.INDICATORS, cell="M4"),
        Finding("SCORE_MISMATCH", Level.WARNING, "自评得分与规则不符", sheet=F.INDICATORS, cell="M4"),
    ]
    update_workbook(filled, findings=findings)
    assert input_values(filled) == before
    wb = openpyxl.load_workbook(filled)
    c = wb[F.INDICATORS]["M4"]
    assert c.comment is not None and c.comment.author == MARK_AUTHOR
    assert "请填写偏差原因" in c.comment.text and "自评得分与规则不符" in c.comment.text
    assert c.fill.fgColor.rgb.endswith("FFC7CE")  # the worse level (error) colours the cell
    ws = wb[F.FINDINGS]
    assert ws["C4"].value == "DEVIATION_NOTE_MISSING"  # errors first
    assert ws["E4"].hyperlink.location == f"'{F.INDICATORS}'!M4"
    assert "错误 1 项" in ws["A2"].value and "警告 2 项" in ws["A2"].value


def test_earlier_marks_are_cleared(filled: Path) -> None:
    update_workbook(filled, findings=[Finding("X", Level.ERROR, "旧问题", sheet=F.INFO, cell="B4")])
    wb = openpyxl.load_workbook(filled)
    wb[F.INFO]["C14"].comment = openpyxl.comments.Comment("会计的批注", "张会计")
    wb.save(filled)
    update_workbook(filled, findings=[Finding("Y", Level.WARNING, "新问题", sheet=F.INFO, cell="B5")])
    wb = openpyxl.load_workbook(filled)
    info = wb[F.INFO]
    assert info["B4"].comment is None
    assert info["B4"].fill.fgColor.rgb.endswith("FFF2CC")  # back to the input fill
    assert info["B5"].comment is not None
    assert info["C14"].comment is not None and info["C14"].comment.author == "张会计"  # not ours: kept
    assert wb[F.FINDINGS]["C4"].value == "Y" and wb[F.FINDINGS]["C5"].value is None


def test_summary_snapshot(filled: Path) -> None:
    ev = read_workbook(filled).evaluation
    s = score(ev)
    update_workbook(filled, summary=(ev, s), clear=False)
    ws = openpyxl.load_workbook(filled)[F.SUMMARY]
    assert ws["A1"].value == "部门整体支出绩效自评表"
    assert ws["A2"].value == "（2023年度）"
    assert ws["B3"].value == "雷州市科工贸和信息化局"
    assert ws["E6"].value == pytest.approx(2652.84) and ws["H6"].value == pytest.approx(1.0)
    assert ws["E7"].value == pytest.approx(1807.49)  # income sources as the 其中 rows
    names = [ws[f"D{r}"].value for r in range(13, 18)]
    assert names == [i.name for i in ev.indicators]
    assert ws["E14"].value == "≥262座" and ws["F14"].value == "224座"
    assert ws["F17"].value == "达成年度指标"
    assert ws["H14"].value == pytest.approx(float(s.indicators[1].score))
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert "B13:B15" in merged  # 产出指标 spans its three rows
    assert "C13:C14" in merged  # 数量指标 spans two
    assert ws["A18"].value == "总分" and ws["H18"].value == pytest.approx(float(s.total))
    assert ws["G18"].value == 100
    assert ws["I18"].value == f"等级：{s.grade}"
    assert ws.print_area and int(ws.page_setup.paperSize) == 9


def test_project_summary_uses_project_rows(template: Path, tmp_path: Path) -> None:
    ev = seed_evaluation()
    ev.kind, ev.project_name = "项目支出", "产业集聚区基础设施建设"
    ev.budget.appropriation.adjusted = D(2000)
    out = fill_workbook(ev, tmp_path / "p.xlsx", template=template, scores=score(ev))
    ws = openpyxl.load_workbook(out)[F.SUMMARY]
    assert ws["A1"].value == "项目支出绩效自评表"
    assert ws["A3"].value == "项目名称" and ws["B3"].value == "产业集聚区基础设施建设"
    assert ws["F4"].value == "实施单位" and ws["G4"].value == "雷州市科工贸和信息化局"
    assert ws["B7"].value == "其中：当年财政拨款" and ws["E7"].value == 2000


def test_not_ours(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "Sheet1"
    wb.save(tmp_path / "other.xlsx")
    with pytest.raises(WorkbookError, match="不是 perfeval-xl 自评工作簿"):
        read_workbook(tmp_path / "other.xlsx")


def test_columns_moved(filled: Path) -> None:
    wb = openpyxl.load_workbook(filled)
    wb[F.INDICATORS].insert_cols(2)
    wb.save(filled)
    with pytest.raises(WorkbookError, match="表头与模板不符"):
        read_workbook(filled)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.xlsx", b"PK\x03\x04 not really a zip", "已损坏"),
        ("empty.xlsx", b"", "已损坏"),
        ("old.xls", b"\xd0\xcf\x11\xe0", "另存为"),
        ("notes.txt", b"hello", "不是 .xlsx/.xlsm"),
    ],
)
def test_unusable_files(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(WorkbookError, match=message):
        read_workbook(tmp_path / name)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(WorkbookError, match="找不到文件"):
        read_workbook(tmp_path / "nope.xlsx")


def test_failed_write_leaves_the_original(filled: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from perfeval_xl.xlsx.patch import BookPatch

    original = filled.read_bytes()

    def boom(self, zout, name):  # type: ignore[no-untyped-def]
        zout.writestr(name, b"half")
        raise OSError(28, "disk full")

    monkeypatch.setattr(BookPatch, "_copy", boom)
    with pytest.raises(OSError):
        update_workbook(filled, findings=[])
    assert filled.read_bytes() == original
    assert [p.name for p in filled.parent.iterdir()] == [filled.name]  # no temporary file left


def test_corrupt_sheet_xml_is_a_clear_error(filled: Path, tmp_path: Path) -> None:
    bad = tmp_path / "cut.xlsx"
    with zipfile.ZipFile(filled) as zin, zipfile.ZipFile(bad, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/worksheets/sheet3.xml":
                data = data[: len(data) // 2]  # a sheet cut short (a generator that died half way)
            zout.writestr(info, data)
    with pytest.raises(WorkbookError, match="已损坏"):
        read_workbook(bad)
    not_ours = Path(__file__).parent / "data" / "bad" / "books" / "bad_xml.xlsx"
    with pytest.raises(WorkbookError, match="不是 perfeval-xl 自评工作簿"):
        read_workbook(not_ours)


def test_huge_numbers_do_not_crash_validation(template: Path, tmp_path: Path) -> None:
    from perfeval_xl.service import evaluate_book

    ev = seed_evaluation()
    ev.budget.total.executed = D("1e308")
    ev.indicators[0].actual = D("1e300")
    outcome = evaluate_book(fill_workbook(ev, tmp_path / "huge.xlsx", template=template))
    codes = {f.code for f in outcome.findings}
    assert {"BUDGET_EXEC_OVER", "MAGNITUDE_SUSPECT"} <= codes
    assert outcome.scores.execution_score == D("10.00")


def test_encrypted_workbook_says_so() -> None:
    bad = Path(__file__).parent / "data" / "bad" / "books" / "encrypted.xlsx"
    with pytest.raises(WorkbookError, match="打开密码"):
        read_workbook(bad)
