"""The Excel binding (perfeval_xl.excel) on xlwings' own ``remote`` engine, and its worksheet functions.

A filled workbook is turned into the JSON payload an Office.js client sends (``payload``); an entry point
runs on ``xw.Book(json=payload)`` and the test reads what it would do in Excel from ``book.json()["actions"]``
and compares it with what the command line writes into a copy of the same file. The remote engine needs
``XLWINGS_LICENSE_KEY=noncommercial`` (PolyForm Noncommercial), set here for the tests only.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
import shutil
from collections.abc import Iterator
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlwings as xw
from factories import valid_evaluation, valid_indicators
from typer.testing import CliRunner

from perfeval_xl import excel
from perfeval_xl.cli import app
from perfeval_xl.layout import fields as F
from perfeval_xl.layout.spec import cells_in, split_ref
from perfeval_xl.layout.styles import INPUT_FILL, MARK_FILLS
from perfeval_xl.layout.summary import LIVE_FOOTER_ROWS, LIVE_ROWS, summary_sheet
from perfeval_xl.model import Evaluation, Indicator
from perfeval_xl.rules import scoring
from perfeval_xl.rules.config import PRESETS
from perfeval_xl.xlsx.build import build_template
from perfeval_xl.xlsx.fill import fill_workbook
from perfeval_xl.xlsx.macro import ENTRY_POINTS
from perfeval_xl.xlsx.read import WorkbookError, read_workbook

INPUT_SHEETS = (F.INFO, F.INDICATORS)
#: What an entry point may do to an input sheet: fills and notes, never values or layout.
MARK_ACTIONS = {"setRangeColors", "addNote", "deleteNote"}
_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")


# ------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module", autouse=True)
def _remote_engine() -> Iterator[None]:
    """The licence key for xlwings' remote engine, in these tests only.

    ``import xlwings`` registers the engine only when the key is set at import time; when xlwings was
    imported earlier (by perfeval_xl.excel at collection), register it as that import would have.
    """
    mp = pytest.MonkeyPatch()
    mp.setenv("XLWINGS_LICENSE_KEY", "noncommercial")
    if "remote" not in [e.name for e in xw.engines]:
        from xlwings.pro import _xlremote

        xw.engines.add(xw.main.Engine(impl=_xlremote.engine))
    yield
    mp.undo()


@pytest.fixture(autouse=True)
def _log_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(excel, "LOG_FILE", tmp_path / "perfeval-xl-excel.log")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("tpl") / "t.xlsx")


@pytest.fixture(scope="module")
def spoiled_path(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The spoiled evaluation in a workbook (tests copy it before changing it)."""
    return filled(template, tmp_path_factory.mktemp("spoiled"), spoiled())


@pytest.fixture(scope="module")
def valid_path(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return filled(template, tmp_path_factory.mktemp("valid"), valid_evaluation())


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts range value reads on the remote engine (each ``Range.value`` get is one)."""
    from xlwings.pro import _xlremote as remote  # imports only with the licence key set (_remote_engine)

    counter = {"n": 0}
    prop = remote.Range.raw_value

    def get(self: Any) -> Any:
        counter["n"] += 1
        return prop.fget(self)

    monkeypatch.setattr(remote.Range, "raw_value", property(get, prop.fset))
    return counter


def spoiled() -> Evaluation:
    """A valid evaluation spoiled: text in a money cell, a missing 偏差原因, a not-applicable row, a 0-led code."""
    ev = valid_evaluation()
    ev.unit_code = "001234"  # leading zeros: must stay text
    ev.indicators[5].deviation_note = ""  # DEVIATION_NOTE_MISSING (error) on M9
    ev.indicators[6].actual = "/"  # not applicable: "/" in the 自评表
    ev.budget.total.executed = "2,600"  # NOT_A_NUMBER on D14
    return ev


def many(n: int) -> Evaluation:
    """``n`` indicators (names made unique), enough to tell per-cell work from per-sheet work."""
    ev = valid_evaluation()
    base = valid_indicators()
    ev.indicators = []
    for i in range(n):
        ind = base[i % len(base)]
        ev.indicators.append(Indicator(**{**ind.__dict__, "name": f"{ind.name}{i + 1}"}))
    return ev


def filled(template: Path, where: Path, ev: Evaluation, name: str = "自评.xlsx") -> Path:
    where.mkdir(parents=True, exist_ok=True)
    return fill_workbook(ev, where / name, template=template)


_PAYLOADS: dict[tuple[Path, int], str] = {}


def payload(path: Path) -> dict[str, Any]:
    """A fresh copy of ``_payload(path)`` (cached per file version: openpyxl loads take a while)."""
    key = (path, path.stat().st_mtime_ns)
    if key not in _PAYLOADS:
        _PAYLOADS[key] = json.dumps(_payload(path), default=str)
    return json.loads(_PAYLOADS[key])


def _payload(path: Path) -> dict[str, Any]:
    """The request an Office.js client of xlwings sends for this workbook.

    Values from A1 to each sheet's last used cell, blanks as "", merged cells blank except top-left;
    formula cells carry no value (openpyxl keeps no cached results; the entry points read input cells
    and constant labels only). Notes are listed by address, as the client lists them.
    """
    wb = openpyxl.load_workbook(path)
    sheets = []
    for ws in wb.worksheets:
        values = [
            ["" if c.value is None or c.data_type == "f" else c.value for c in row]
            for row in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=ws.max_column)
        ]
        notes = [{"address": c.coordinate} for row in ws.iter_rows() for c in row if c.comment]
        sheets.append(
            {
                "name": ws.title,
                "values": values or [[]],
                "pictures": [],
                "tables": [],
                "shapes": [],
                "charts": [],
                "notes": notes,
                "notes_supported": True,
                "print_area": None,
            }
        )
    return {
        "client": "Office.js",
        "version": xw.__version__,
        "book": {"name": path.name, "active_sheet_index": 1, "selection": "A1"},
        "names": [],
        "sheets": sheets,
    }


def book_of(path: Path) -> xw.Book:
    return xw.Book(json=payload(path))


def actions(book: xw.Book) -> list[dict[str, Any]]:
    return book.json()["actions"]


def position(path: Path, sheet: str) -> int:
    return openpyxl.load_workbook(path, read_only=True).sheetnames.index(sheet)


def of(acts: list[dict[str, Any]], func: str, sheet: int | None = None) -> list[dict[str, Any]]:
    return [a for a in acts if a["func"] == func and (sheet is None or a["sheet_position"] == sheet)]


def alerts(acts: list[dict[str, Any]]) -> list[list[str]]:
    return [a["args"] for a in of(acts, "alert")]


def cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def cell_at(action: dict[str, Any], r: int, c: int) -> str:
    """Address of (row, col) inside an action's range, both 0-based offsets."""
    return f"{openpyxl.utils.get_column_letter(action['start_column'] + c + 1)}{action['start_row'] + r + 1}"


def colours(acts: list[dict[str, Any]], names: list[str]) -> dict[tuple[str, str], str]:
    """(sheet, cell) → RRGGBB that setRangeColors actions leave (later actions win)."""
    out: dict[tuple[str, str], str] = {}
    for a in of(acts, "setRangeColors"):
        for r, row in enumerate(a["args"][0]):
            for c, colour in enumerate(row):
                if colour != "keep":
                    out[(names[a["sheet_position"]], cell_at(a, r, c))] = colour.lstrip("#").upper()
    return out


def notes_added(acts: list[dict[str, Any]], names: list[str]) -> dict[tuple[str, str], str]:
    return {
        (names[a["sheet_position"]], a["args"][0].replace("$", "")): a["args"][1] for a in of(acts, "addNote")
    }


def plain(value: Any) -> Any:
    """A written value as Excel keeps it: the text guard ``'`` dropped, blanks as None."""
    if value == "" or value is None:
        return None
    if isinstance(value, str) and value.startswith("'"):
        return value[1:]
    return value


def cli_marks(path: Path) -> tuple[dict[tuple[str, str], str], dict[tuple[str, str], str]]:
    """Notes and fills the command line's ``validate --mark`` left on the input sheets."""
    wb = openpyxl.load_workbook(path)
    notes, fills = {}, {}
    for name in INPUT_SHEETS:
        for row in wb[name].iter_rows():
            for c in row:
                if c.comment is not None:
                    notes[(name, c.coordinate)] = c.comment.text
                    fills[(name, c.coordinate)] = c.fill.fgColor.rgb[-6:].upper()
    return notes, fills


# ------------------------------------------------------------------------------------- 校验


def test_validate_writes_what_the_command_line_writes(spoiled_path: Path, tmp_path: Path) -> None:
    live = spoiled_path
    (tmp_path / "cli").mkdir()
    other = Path(shutil.copy(live, tmp_path / "cli" / live.name))
    found = json.loads(cli("validate", str(other), "--json", "--mark"))
    (tmp_path / "cli2").mkdir()
    text_out = cli("validate", str(shutil.copy(live, tmp_path / "cli2" / live.name)), "--mark")
    assert any(f["code"] == "DEVIATION_NOTE_MISSING" and f["level"] == "error" for f in found)
    assert any(f["code"] == "NOT_A_NUMBER" and f["cell"] == "D14" for f in found)

    book = book_of(live)
    names = [s.name for s in book.sheets]
    excel.validate_book(book)
    acts = actions(book)

    # 校验结果: one values write, rows as the command line's sheet, links as HYPERLINK formulas
    writes = of(acts, "setValues", names.index(F.FINDINGS))
    assert len(writes) == 1 and (writes[0]["start_row"], writes[0]["start_column"]) == (0, 0)
    grid = writes[0]["values"]
    ws = openpyxl.load_workbook(other)[F.FINDINGS]
    assert _TIME.sub("T", grid[1][0]) == _TIME.sub("T", ws["A2"].value)
    assert [plain(v) for v in grid[2]] == [c.value for c in ws[3][:6]]
    rows = grid[3:]
    assert len(rows) == len(found) > 0
    for r, row in enumerate(rows, start=4):
        want = [c.value for c in ws[r][:6]]
        link = f'=HYPERLINK("#\'{want[3]}\'!{want[4]}","{want[4]}")'
        assert [plain(v) for v in row[:4]] + [row[4], plain(row[5])] == [*want[:4], link, want[5]]
    as_json = sorted((f["code"], f["sheet"], f["cell"], f["message"]) for f in found)
    assert sorted((r[2], r[3], re.findall(r"!(\w+)", r[4])[0], r[5]) for r in rows) == as_json

    # marks: the same notes and fills on the same cells
    want_notes, want_fills = cli_marks(other)
    assert notes_added(acts, names) == want_notes
    on_inputs = [a for a in acts if a["sheet_position"] in (names.index(F.INFO), names.index(F.INDICATORS))]
    assert colours(on_inputs, names) == want_fills
    level_fills = colours(of(acts, "setRangeColors", names.index(F.FINDINGS)), names)
    assert [level_fills[(F.FINDINGS, f"B{r}")] for r in range(4, 4 + len(rows))] == [
        ws[f"B{r}"].fill.fgColor.rgb[-6:].upper() for r in range(4, 4 + len(rows))
    ]

    # the message box: the command line's count line
    [(message, title, buttons, mode, _)] = alerts(acts)
    assert message.splitlines()[0] in text_out.strip().splitlines()
    assert (title, buttons, mode) == (excel.TITLE, "ok", "critical")


def test_a_clean_workbook_gets_an_info_box_and_no_marks(valid_path: Path) -> None:
    book = book_of(valid_path)
    excel.validate_book(book)
    acts = actions(book)
    assert of(acts, "addNote") == [] and of(acts, "setRangeColors") == []
    [(message, _, _, mode, _)] = alerts(acts)
    assert "错误 0 项，警告 0 项，提示 0 项" in message and mode == "info"
    assert "未发现问题" in of(acts, "setValues")[0]["values"][1][0]


def apply(payload_: dict[str, Any], acts: list[dict[str, Any]]) -> dict[str, Any]:
    """What Excel holds after the actions, for what the next button reads: values, notes (a sketch of Excel).

    HYPERLINK formulas show their friendly name, as Excel computes them; other formulas are not supported.
    """
    sheets = payload_["sheets"]
    for a in acts:
        if a["sheet_position"] is None:
            continue
        sheet = sheets[a["sheet_position"]]
        values = sheet["values"]
        if a["func"] in ("setValues", "rangeClear", "rangeClearContents"):
            rows, cols = a["row_count"], a["column_count"]
            need_rows, need_cols = a["start_row"] + rows, a["start_column"] + cols
            while len(values) < need_rows:
                values.append([""] * len(values[0]))
            for row in values:
                row.extend([""] * (need_cols - len(row)))
            for r in range(rows):
                for c in range(cols):
                    v = a["values"][r][c] if a["func"] == "setValues" else ""
                    if isinstance(v, str) and v.startswith("=HYPERLINK("):
                        v = re.findall(r',"([^"]*)"\)$', v)[0]
                    elif isinstance(v, str) and v.startswith("'"):
                        v = v[1:]
                    values[a["start_row"] + r][a["start_column"] + c] = "" if v is None else v
        elif a["func"] == "addNote":
            sheet["notes"].append({"address": a["args"][0].replace("$", "")})
        elif a["func"] == "deleteNote":
            key = a["args"][0].replace("$", "")
            sheet["notes"] = [n for n in sheet["notes"] if n["address"].replace("$", "") != key]
    return payload_


def note_cells(payload_: dict[str, Any]) -> set[tuple[str, str]]:
    return {(s["name"], n["address"].replace("$", "")) for s in payload_["sheets"] for n in s["notes"]}


def test_marks_are_replaced_then_cleared_and_a_clerks_note_stays(template: Path, tmp_path: Path) -> None:
    path = filled(template, tmp_path, spoiled())
    wb = openpyxl.load_workbook(path)
    wb[F.INFO]["B6"].comment = openpyxl.comments.Comment("主管部门待确认", "张会计")  # the clerk's own note
    wb.save(path)
    state = payload(path)

    first = xw.Book(json=json.loads(json.dumps(state)))
    excel.validate_book(first)
    state = apply(state, actions(first))
    marked = note_cells(state) - {(F.INFO, "B6")}
    assert (F.INDICATORS, "M9") in marked and (F.INFO, "D14") in marked

    # the clerk fixes the missing note; the second run removes that mark and keeps the others
    ind = state["sheets"][2]["values"]
    ind[8][12] = "已补充偏差原因"
    second = xw.Book(json=json.loads(json.dumps(state)))
    excel.validate_book(second)
    acts = actions(second)
    names = [s["name"] for s in state["sheets"]]
    deleted = {(names[a["sheet_position"]], a["args"][0].replace("$", "")) for a in of(acts, "deleteNote")}
    assert deleted == marked  # our notes only: the clerk's note on B6 is not touched
    fills = colours(acts, names)
    assert fills[(F.INDICATORS, "M9")] == INPUT_FILL  # fixed: back to the input fill
    assert fills[(F.INFO, "D14")] == MARK_FILLS["error"]  # still wrong: marked again
    state = apply(state, acts)
    assert (F.INDICATORS, "M9") not in note_cells(state) and (F.INFO, "D14") in note_cells(state)

    # 清除标注: every listed mark goes, the clerk's note stays, the list is emptied
    third = xw.Book(json=json.loads(json.dumps(state)))
    excel.clear_marks(third)
    acts = actions(third)
    state = apply(state, acts)
    assert note_cells(state) == {(F.INFO, "B6")}
    assert set(colours(acts, names).values()) == {INPUT_FILL}
    assert all(v == "" for row in state["sheets"][5]["values"][3:] for v in row)
    [(message, *_)] = alerts(acts)
    assert message == f"已清除 {len(marked) - 1} 个单元格的校验标注。"


def test_a_clerks_note_on_a_problem_cell_is_kept(template: Path, tmp_path: Path) -> None:
    path = filled(template, tmp_path, spoiled())
    wb = openpyxl.load_workbook(path)
    wb[F.INFO]["D14"].comment = openpyxl.comments.Comment("执行数以决算为准", "张会计")
    wb.save(path)
    book = book_of(path)
    names = [s.name for s in book.sheets]
    excel.validate_book(book)
    acts = actions(book)
    assert (F.INFO, "D14") not in notes_added(acts, names) and of(acts, "deleteNote") == []
    assert colours(acts, names)[(F.INFO, "D14")] == MARK_FILLS["error"]
    assert len(notes_added(acts, names)) > 0  # the other problem cells are noted
    [(message, *_)] = alerts(acts)
    assert message.startswith(f"{path.name}：错误 ")  # the normal report, not an error box


# ------------------------------------------------------------------------------------- bounds


@pytest.fixture(scope="module")
def sixty(
    template: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Evaluation, Path, Path, list[Any]]:
    """60 indicators, every third below its weight without a reason; unmarked and marked by the CLI."""
    ev = many(60)
    ev.budget.total.executed = "2,600"
    for ind in ev.indicators[::3]:
        ind.deviation_note, ind.actual = "", D(0)
    where = tmp_path_factory.mktemp("sixty")
    path = filled(template, where, ev)
    marked = Path(shutil.copy(path, where / "marked.xlsx"))
    found = json.loads(cli("validate", str(marked), "--mark", "--json"))
    return ev, path, marked, found


@pytest.mark.parametrize(
    ("entry", "sheets"),
    [
        # 校验计算: the scheme's id, read once (excel.rules_for)
        (excel.validate_book, (F.INFO, F.INDICATORS, F.FINDINGS, F.BOOK_CALC)),
        (excel.score_book, (F.INFO, F.INDICATORS, F.BOOK_CALC)),
        (excel.summary_book, (F.INFO, F.INDICATORS, F.SUMMARY, F.BOOK_CALC)),
        (excel.clear_marks, (F.INDICATORS, F.FINDINGS, F.BOOK_CALC)),
    ],
)
def test_reads_and_writes_are_bounded_by_sheets(
    sixty: tuple[Evaluation, Path, Path, list[Any]],
    reads: dict[str, int],
    entry: Any,
    sheets: tuple[str, ...],
) -> None:
    ev, path, marked_path, found = sixty
    book = book_of(marked_path if entry is excel.clear_marks else path)
    entry(book)
    acts = actions(book)
    assert reads["n"] <= len(sheets)  # one bulk read per sheet involved
    per_sheet: dict[tuple[str, int], int] = {}
    for a in acts:
        if a["func"] in ("setValues", "setRangeColors", "rangeClear"):
            key = (a["func"], a["sheet_position"])
            per_sheet[key] = per_sheet.get(key, 0) + 1
    assert all(n == 1 for n in per_sheet.values()), per_sheet  # one values/fill write per sheet
    # notes: one call per marked (or unmarked) cell, which only the findings bound
    marked = {(f["sheet"], f["cell"]) for f in found if f["sheet"] in INPUT_SHEETS}
    added, deleted = len(of(acts, "addNote")), len(of(acts, "deleteNote"))
    if entry is excel.validate_book:
        assert (added, deleted) == (len(marked), 0)
    elif entry is excel.clear_marks:
        assert (added, deleted) == (0, len(marked))
    else:
        assert added == deleted == 0
    merges = len(of(acts, "rangeMerge"))
    rest = len(acts) - sum(per_sheet.values()) - added - deleted - merges
    if entry is excel.summary_book:  # one merge per 一级/二级 group (and 绩效指标), no more
        plan = excel.SummaryPlan(summary_sheet(ev, scoring.score(ev)), len(ev.indicators))
        assert merges == len(plan.merges())
        assert all(split_ref(m.split(":")[0])[1] >= plan.head for m in plan.merges())
    # 自评表 layout: a row operation, format blocks, fixed heights, one autofit; else activate + a box
    assert rest <= (45 if entry is excel.summary_book else 2), [a["func"] for a in acts]
    assert len(marked) < 60 < 60 * len(F.INPUT_COLUMNS)


def test_fills_are_split_into_calls_xlwings_accepts(
    sixty: tuple[Evaluation, Path, Path, list[Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, path, _, _ = sixty
    whole = book_of(path)
    excel.validate_book(whole)
    monkeypatch.setattr(excel, "MAX_COLOUR_CELLS", 30)
    split = book_of(path)
    excel.validate_book(split)
    names = [s.name for s in split.sheets]
    calls = of(actions(split), "setRangeColors", names.index(F.INDICATORS))
    assert len(calls) > 1 and all(a["row_count"] * a["column_count"] <= 30 for a in calls)
    assert colours(actions(split), names) == colours(actions(whole), names)


def test_a_missing_findings_sheet_is_added(valid_path: Path, tmp_path: Path) -> None:
    path = Path(shutil.copy(valid_path, tmp_path / "no-findings.xlsx"))
    wb = openpyxl.load_workbook(path)
    del wb[F.FINDINGS]
    wb.save(path)
    book = book_of(path)
    excel.validate_book(book)
    acts = actions(book)
    [added] = of(acts, "addSheet")
    assert added["args"][1] == F.FINDINGS
    [write] = of(acts, "setValues")
    assert write["sheet_position"] == added["args"][0] and write["values"][2][0] == "序号"


def test_input_cells_are_never_written(spoiled_path: Path, tmp_path: Path) -> None:
    path = Path(shutil.copy(spoiled_path, tmp_path / "marked.xlsx"))
    cli("validate", str(path), "--mark")  # earlier marks, so that every button has marks to replace
    for entry in (excel.validate_book, excel.score_book, excel.summary_book, excel.clear_marks, excel.about):
        book = book_of(path)
        names = [s.name for s in book.sheets]
        entry(book)
        touched = {
            a["func"]
            for a in actions(book)
            if a["sheet_position"] is not None and names[a["sheet_position"]] in INPUT_SHEETS
        }
        assert touched <= MARK_ACTIONS, (entry.__name__, touched)


# ------------------------------------------------------------------------------------- 自评表


def cli_summary(path: Path, tmp_path: Path) -> openpyxl.worksheet.worksheet.Worksheet:
    out = tmp_path / "cli-summary" / path.name
    out.parent.mkdir(exist_ok=True)
    shutil.copy(path, out)
    cli("summary", str(out))
    return openpyxl.load_workbook(out)[F.SUMMARY]


def summary_write(acts: list[dict[str, Any]], pos: int) -> list[list[Any]]:
    [write] = of(acts, "setValues", pos)
    assert (write["start_row"], write["start_column"]) == (0, 0)
    return write["values"]


@pytest.mark.parametrize("count", [5, 9, 27])
def test_summary_values_are_the_command_lines(template: Path, tmp_path: Path, count: int) -> None:
    ev = spoiled() if count == 9 else many(count)
    path = filled(template, tmp_path, ev)
    want = cli_summary(path, tmp_path)
    book = book_of(path)
    pos = [s.name for s in book.sheets].index(F.SUMMARY)
    excel.summary_book(book)
    acts = actions(book)
    grid = summary_write(acts, pos)
    assert len(grid) == want.max_row and len(grid[0]) == 9
    for r, row in enumerate(grid, start=1):
        assert [plain(v) for v in row] == [want.cell(r, c).value for c in range(1, 10)], r
    # everything below the indicator header is the block: the live rows (300 + footer) shrink to the
    # snapshot's (indicators, 总分, signatures, stamp, note) by deleting rows inside it
    head, first = 12, 13
    below = want.max_row - head
    [op] = of(acts, "rangeDelete", pos)
    assert (op["start_row"] + 1, op["row_count"], op["column_count"]) == (
        first + below,
        LIVE_ROWS + LIVE_FOOTER_ROWS - below,
        16384,
    )
    # every merge from the header down, as the command line's sheet has them (the live rows have none)
    merged = {cell_range(a) for a in of(acts, "rangeMerge", pos)}
    assert merged == {str(m) for m in want.merged_cells.ranges if m.min_row >= head}
    [unmerge] = of(acts, "rangeUnmerge", pos)
    assert cell_range(unmerge) == f"A{head}:I{want.max_row}"
    [area] = of(acts, "setPrintArea", pos)
    assert area["args"] == [f"A1:I{want.max_row}"]
    # row heights: Excel autofits the indicator rows; the other rows get the command line's heights
    [fit] = of(acts, "setAutofit", pos)
    assert (list(rows_of(fit)), fit["args"]) == (list(range(first, first + count)), ["rows"])
    heights = {r: a["args"][0] for a in of(acts, "setRowHeight", pos) for r in rows_of(a)}
    assert heights == {
        r: want.row_dimensions[r].height
        for r in range(1, want.max_row + 1)
        if want.row_dimensions[r].height and not first <= r < first + count
    }
    if count == 9:
        assert grid[3][6] == "'001234" and plain(grid[3][6]) == "001234"  # stays text in Excel
        na = [r for r, row in enumerate(grid, start=1) if row[7] == "/"]
        assert na and all(
            any(
                a["args"] == ["Center"] and cell_range(a).startswith("H") and r in rows_of(a)
                for a in of(acts, "setHorizontalAlignment", pos)
            )
            for r in na
        )


def cell_range(a: dict[str, Any]) -> str:
    top = cell_at(a, 0, 0)
    bottom = cell_at(a, a["row_count"] - 1, a["column_count"] - 1)
    return top if top == bottom else f"{top}:{bottom}"


def rows_of(a: dict[str, Any]) -> range:
    return range(a["start_row"] + 1, a["start_row"] + a["row_count"] + 1)


@pytest.mark.parametrize(
    ("before", "after", "op", "at", "rows", "origin"),
    [
        (5, 7, "rangeInsert", 14, 2, "format_from_left_or_above"),
        (5, 2, "rangeDelete", 22, 3, None),  # rows below the snapshot's last 7 footer rows
        (1, 4, "rangeInsert", 14, 3, "format_from_left_or_above"),
        (3, 3, None, 0, 0, None),
    ],
)
def test_a_previous_snapshot_is_resized(
    template: Path,
    tmp_path: Path,
    before: int,
    after: int,
    op: str | None,
    at: int,
    rows: int,
    origin: str | None,
) -> None:
    """The second press resizes the earlier snapshot's rows below the header to the new snapshot's."""
    ev = many(before) if before else valid_evaluation()
    path = fill_workbook(ev, tmp_path / "s.xlsx", template=template, scores=scoring.score(ev))
    wb = openpyxl.load_workbook(path)
    ws = wb[F.INDICATORS]
    for r in range(F.INDICATOR_FIRST_ROW, F.INDICATOR_FIRST_ROW + 40):
        for c in range(2, 14):
            ws.cell(r, c).value = None
    for i, ind in enumerate(many(after).indicators):
        for col in F.INPUT_COLUMNS:
            v = getattr(ind, col.key)
            ws[f"{col.letter}{F.INDICATOR_FIRST_ROW + i}"] = float(v) if isinstance(v, D) else (v or None)
    wb.save(path)
    book = book_of(path)
    pos = [s.name for s in book.sheets].index(F.SUMMARY)
    excel.summary_book(book)
    acts = actions(book)
    ops = of(acts, "rangeInsert", pos) + of(acts, "rangeDelete", pos)
    if op is None:
        assert ops == []
    else:
        [a] = ops
        assert (a["func"], a["start_row"] + 1, a["row_count"]) == (op, at, rows)
        if origin:
            assert a["args"] == ["down", origin]
    total_row = 12 + after + 1
    assert plain(summary_write(acts, pos)[total_row - 1][0]) == "总分"


def test_summary_relies_on_the_templates_layout() -> None:
    """Above the indicator header the live 自评表 and the snapshot agree cell for cell (styles and merges):
    the button rewrites only what lies below it."""
    ev = spoiled()
    live, snap = summary_sheet(None, None), summary_sheet(ev, scoring.score(ev))
    plan = excel.SummaryPlan(snap, len(ev.indicators))
    formatted = {r for rng, *_ in plan.formats() for r in cells_in(rng)}

    def above(spec: Any) -> dict[str, str]:
        return {
            ref: style
            for ref, style in excel._styles(spec).items()
            if split_ref(ref)[1] < plan.head and ref not in formatted and ref[0] not in live.hidden_columns
        }

    assert above(live) == above(snap)
    assert sorted(m for m in live.merges if split_ref(m.split(":")[0])[1] < plan.head) == sorted(
        m for m in snap.merges if split_ref(m.split(":")[0])[1] < plan.head
    )
    assert set(plan.merges()) == {m for m in snap.merges if split_ref(m.split(":")[0])[1] >= plan.head}


def test_a_changed_summary_sheet_is_refused(template: Path, tmp_path: Path) -> None:
    path = filled(template, tmp_path, valid_evaluation())
    wb = openpyxl.load_workbook(path)
    wb[F.SUMMARY]["D12"] = "指标"  # the indicator header moved or renamed by hand
    wb.save(path)
    book = book_of(path)
    excel.summary_book(book)
    acts = actions(book)
    [(message, _, _, mode, _)] = alerts(acts)
    assert len(acts) == 1 and mode == "info"
    assert "“自评表”工作表的版式已被改动" in message and "perfeval-xl summary" in message


# ------------------------------------------------------------------------------------- 评分, 关于


def test_score_box_says_what_the_command_line_prints(spoiled_path: Path) -> None:
    path = spoiled_path
    printed = cli("score", str(path))
    book = book_of(path)
    excel.score_book(book)
    acts = actions(book)
    [(message, _, _, mode, _)] = alerts(acts)
    lines = message.splitlines()
    assert lines[0] == "雷州市科工贸和信息化局 评分"
    assert lines[1] in printed and lines[2] in printed  # 执行率 …, 总分 …
    assert lines[2].startswith(
        "未计总分：执行率无法计算"
    )  # the honest total: no number when it cannot be computed
    assert lines[3].startswith("另有校验问题：错误 2 项") and mode == "critical"
    assert acts == of(acts, "alert")  # nothing written


def test_about(valid_path: Path) -> None:
    book = book_of(valid_path)
    excel.about(book)
    [(message, title, *_)] = alerts(actions(book))
    assert message.startswith("perfeval-xl ") and str(excel.LOG_FILE) in message and title == excel.TITLE


# ------------------------------------------------------------------------------------- refusals and errors


def foreign(tmp_path: Path) -> Path:
    wb = openpyxl.Workbook()
    wb.active.title = "Sheet1"
    wb.active["A1"] = "别的表"
    wb.save(tmp_path / "其他.xlsx")
    return tmp_path / "其他.xlsx"


@pytest.mark.parametrize(
    "entry", [excel.validate_book, excel.score_book, excel.summary_book, excel.clear_marks]
)
def test_a_foreign_workbook_gets_a_polite_refusal(tmp_path: Path, entry: Any) -> None:
    book = book_of(foreign(tmp_path))
    entry(book)
    acts = actions(book)
    [(message, title, buttons, mode, _)] = alerts(acts)
    assert len(acts) == 1  # nothing else touched
    assert (
        message.startswith("抱歉，")
        and "不是 perfeval-xl 自评工作簿" in message
        and "Traceback" not in message
    )
    assert (title, buttons, mode) == (excel.TITLE, "ok", "info")


def test_moved_columns_are_refused(template: Path, tmp_path: Path) -> None:
    path = filled(template, tmp_path, valid_evaluation())
    wb = openpyxl.load_workbook(path)
    wb[F.INDICATORS].insert_cols(2)
    wb.save(path)
    for entry in (excel.validate_book, excel.clear_marks):
        book = book_of(path)
        entry(book)
        [(message, *_)] = alerts(actions(book))
        assert "表头与模板不符" in message


def test_an_unexpected_error_is_logged_not_shown(
    template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: Any, **kwargs: Any) -> None:
        raise ZeroDivisionError("内部错误")

    monkeypatch.setattr(excel, "evaluate_read", boom)
    book = book_of(filled(template, tmp_path, valid_evaluation()))
    excel.validate_book(book)
    acts = actions(book)
    [(message, _, _, mode, _)] = alerts(acts)
    assert len(acts) == 1 and mode == "critical"
    assert "ZeroDivisionError" in message and str(excel.LOG_FILE) in message and "Traceback" not in message
    log = excel.LOG_FILE.read_text(encoding="utf-8")
    assert "Traceback" in log and "内部错误" in log and "校验" in log


def test_the_scheme_comes_from_the_workbook(tmp_path: Path) -> None:
    """The ribbon scores by the scheme the template was made for (its id on 校验计算, one small read that
    every engine can make), and refuses politely a scheme this machine does not have."""
    sichuan = build_template(tmp_path / "sc.xlsx", PRESETS["sichuan"])
    assert excel.rules_for(book_of(sichuan)).id == "sichuan"
    national = build_template(tmp_path / "n.xlsx")
    assert excel.rules_for(book_of(national)).id == "national"
    assert excel.rules_for(object()).id == "national"  # not a workbook we can read: the national rules
    doc = payload(sichuan)
    calc = next(sh for sh in doc["sheets"] if sh["name"] == "校验计算")
    calc["values"][1][0] = "some-county"
    with pytest.raises(WorkbookError, match="some-county"):
        excel.rules_for(xw.Book(json=doc))


# ------------------------------------------------------------------------------------- entry points


def test_entry_points_exist_and_need_no_arguments(valid_path: Path) -> None:
    """Every function the ribbon calls (xlsx.macro.ENTRY_POINTS) runs with no argument on the caller."""
    names = set(ENTRY_POINTS)
    assert names == {"validate_book", "score_book", "summary_book", "clear_marks", "about"}
    book = book_of(valid_path)
    book.set_mock_caller()
    try:
        for name in sorted(names):
            fn = getattr(excel, name)
            params = inspect.signature(fn).parameters
            assert list(params) == ["book"] and params["book"].default is None
            before = len(actions(book))
            fn()  # as RunPython calls it: the calling book
            assert len(of(actions(book)[before:], "alert")) == 1, name
    finally:
        del xw.Book._mock_caller


def test_without_a_calling_workbook_the_error_is_chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(RuntimeError, match="无法连接调用的工作簿"):
        excel.about()
    assert "Traceback" in excel.LOG_FILE.read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------- text guard


@pytest.mark.parametrize(
    ("value", "sent"),
    [
        ("001234", "'001234"),
        ("=1+1", "'=1+1"),
        ("+86", "'+86"),
        ("2024-07-12", "'2024-07-12"),
        ("TRUE", "'TRUE"),
        ("'引号", "''引号"),
        ("达成年度指标", "达成年度指标"),
        ("≥262座", "≥262座"),
        (D("12.50"), 12.5),
        (None, None),
    ],
)
def test_text_is_written_as_text(value: Any, sent: Any) -> None:
    assert excel.excel_value(value) == sent


# ------------------------------------------------------------------------------------- worksheet functions


def examples() -> Iterator[tuple[str, list[Any], Any]]:
    """``=NAME(args) → result`` examples from the UDF docstrings (cell references skipped)."""
    pattern = re.compile(r"=(PERFEVAL_\w+)\(([^()]*)\) → ([^；。（\s]+)")
    for name in ("PERFEVAL_EXEC_RATE", "PERFEVAL_EXEC_SCORE", "PERFEVAL_INDICATOR_SCORE", "PERFEVAL_GRADE"):
        for fn, args, result in pattern.findall(getattr(excel, name).__doc__):
            if "!" in args:
                continue
            try:
                expected: Any = float(result)
            except ValueError:
                expected = result
            yield fn, ast.literal_eval(f"[{args}]"), expected


def test_udf_docstring_examples_hold() -> None:
    found = list(examples())
    assert {fn for fn, *_ in found} == {"PERFEVAL_EXEC_SCORE", "PERFEVAL_INDICATOR_SCORE", "PERFEVAL_GRADE"}
    for fn, args, expected in found:
        got = getattr(excel, fn)(*args)
        assert got == (pytest.approx(expected) if isinstance(expected, float) else expected), (fn, args)


def test_udfs_follow_the_rules() -> None:
    assert excel.PERFEVAL_EXEC_RATE(2652.84, 2606.9) == pytest.approx(2606.9 / 2652.84)
    assert excel.PERFEVAL_EXEC_RATE(0, 10) == "" and excel.PERFEVAL_EXEC_RATE(None, 10) == ""
    assert excel.PERFEVAL_EXEC_RATE("一百", 10) == ""
    assert excel.PERFEVAL_EXEC_SCORE(100, 120) == 10.0  # capped at the weight
    assert excel.PERFEVAL_EXEC_SCORE(100, 85, 20) == 17.0
    # 0.1 + 0.2 style floats go through their shortest repr: 1.005 rounds half-up to 1.01
    assert excel.PERFEVAL_INDICATOR_SCORE("≥", 100, 10.05, 10) == 1.01
    assert excel.PERFEVAL_INDICATOR_SCORE("≥", 100, "/", 10) == ""  # not applicable
    assert excel.PERFEVAL_INDICATOR_SCORE("≥", 0, 5, 10) == 10.0  # t = 0 on 正向: met (issue 9)
    assert (
        excel.PERFEVAL_INDICATOR_SCORE("", "≤3个工作日", "4个工作日", 15) == 11.25
    )  # as the form is written
    assert excel.PERFEVAL_INDICATOR_SCORE("≤", 10, 15, 10, rules="vendor-r2") == 5.0
    assert excel.PERFEVAL_INDICATOR_SCORE("=", 0, 0, 10) == 10.0
    assert excel.PERFEVAL_INDICATOR_SCORE("定性", "好", "", 10, "部分达成", 7) == 7.0
    assert excel.PERFEVAL_INDICATOR_SCORE("定性", "好", "", 10, "达成", 12) == ""  # above 分值: not scored
    assert excel.PERFEVAL_GRADE(90) == "优" and excel.PERFEVAL_GRADE(89.99) == "良"
    assert excel.PERFEVAL_GRADE(60) == "中" and excel.PERFEVAL_GRADE(59.99) == "差"
    assert excel.PERFEVAL_GRADE(None) == "" and excel.PERFEVAL_GRADE("优秀") == ""


def test_udfs_agree_with_the_workbook_reader(spoiled_path: Path) -> None:
    """Every indicator of a filled workbook scores the same through the UDF as through rules.scoring."""
    ev = read_workbook(spoiled_path).evaluation
    for ind in ev.indicators:
        want = scoring.indicator_score(ind)
        args = [
            float(v) if isinstance(v, D) else v
            for v in (ind.operator, ind.target, ind.actual, ind.weight, ind.band, ind.score)
        ]
        assert excel.PERFEVAL_INDICATOR_SCORE(*args) == ("" if want is None else float(want))


# ------------------------------------------------------------------------------------------ field workbooks

BOOKS = Path(__file__).resolve().parent / "data" / "books"


@pytest.fixture(scope="module")
def field_books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    import sys

    sys.path.insert(0, str(BOOKS))
    import make_books

    folder = tmp_path_factory.mktemp("field")
    base = make_books.make_base(folder / "base.xlsx")
    out = {"base": base}
    for name, change in (("merged", make_books.merged_labels), ("formulas", make_books.formulas_cached)):
        parts = make_books.read_parts(base)
        change(parts)
        out[name] = make_books.write_parts(folder / f"{name}.xlsx", parts)
    return out


def outcome_key(o: Any) -> tuple[Any, ...]:
    return (o.scores.total, sorted((f.code, f.sheet, f.cell, f.message) for f in o.findings))


def test_merged_labels_read_as_the_file_reader_reads_them(field_books: dict[str, Path]) -> None:
    """xlwings gives a merged range's value in its top-left cell only: the add-in fills 一级/二级 down."""
    from perfeval_xl.service import evaluate_book

    book = book_of(field_books["merged"])
    ind = book.sheets[F.INDICATORS].range("B5").value
    assert ind in (None, "")  # what the engine shows for a merged cell below the top-left one
    live = excel.evaluate_open_book(book)
    assert outcome_key(live) == outcome_key(evaluate_book(field_books["merged"]))
    assert [i.level1 for i in live.evaluation.indicators][:5] == ["产出指标"] * 5
    assert not any(f.code == "REQUIRED_MISSING" for f in live.findings)


def test_label_merges_only_fill_indicator_rows() -> None:
    rows = [
        [None, "产出指标", "数量指标", "a", "≥", 1, "", 1, "", 10, "", None, ""],
        [None, None, None, "b", "≥", 1, "", 1, "", 10, "", None, ""],
        [None, None, "质量指标", "c", "≥", 1, "", 1, "", 10, "", None, ""],
        [None, None, None, None, None, None, None, None, None, None, None, 3, None],  # blank (a formula only)
        [None, None, None, "d", "≥", 1, "", 1, "", 10, "", None, ""],  # after a blank row: not filled
    ]
    assert excel.label_merges(rows, 4) == [(4, 2, 6, 2), (4, 3, 5, 3)]


def test_a_formula_in_an_input_cell_is_reported_by_the_add_in(
    field_books: dict[str, Path], monkeypatch: pytest.MonkeyPatch, reads: dict[str, int]
) -> None:
    """One ``.formula`` read per input sheet beside the values; the warning is the file reader's."""
    from xlwings.pro import _xlremote as remote

    from perfeval_xl.service import evaluate_book

    state = payload(field_books["formulas"])
    names = [s["name"] for s in state["sheets"]]
    info, ind = state["sheets"][names.index(F.INFO)], state["sheets"][names.index(F.INDICATORS)]
    info["values"][13][3] = 2652.84  # Excel shows the formulas' results
    ind["values"][4][9] = 10
    info["values"][9][1] = "=张三"  # text that looks like a formula is not one
    formulas = {(F.INFO, 14, 4): "=1800+852.84", (F.INDICATORS, 5, 10): "=8+2", (F.INFO, 10, 2): "=张三"}
    calls = {"n": 0}

    def formula(self: Any) -> Any:
        calls["n"] += 1
        sheet = self.sheet.name
        r0, c0 = self.row, self.column
        return [
            [formulas.get((sheet, r0 + r, c0 + c), "") for c in range(self.shape[1])]
            for r in range(self.shape[0])
        ]

    monkeypatch.setattr(remote.Range, "formula", property(formula), raising=False)
    book = xw.Book(json=state)
    live = excel.evaluate_open_book(book)
    # one formula read and one value read per input sheet, and the scheme's id on 校验计算 (rules_for)
    assert calls["n"] == 2 and reads["n"] <= 3
    found = {(f.code, f.sheet, f.cell): f.message for f in live.findings if f.code == "FORMULA_IN_INPUT"}
    from_file = {
        (f.code, f.sheet, f.cell): f.message
        for f in evaluate_book(field_books["formulas"]).findings
        if f.code == "FORMULA_IN_INPUT"
    }
    assert found == from_file and set(found) == {
        ("FORMULA_IN_INPUT", F.INFO, "D14"),
        ("FORMULA_IN_INPUT", F.INDICATORS, "J5"),
    }
