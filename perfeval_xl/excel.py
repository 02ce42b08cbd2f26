"""The live edge: ribbon entry points and worksheet functions (UDFs) for Excel, through xlwings.

Each ribbon button runs ``RunPython "import perfeval_xl.excel as m; m.validate_book()"`` on the calling
workbook (the functions are listed in ``xlsx.macro.ENTRY_POINTS``; each takes only an optional ``book``). An entry point reads each sheet it needs in **one** bulk read,
turns the values into the model with the same conversion as the file reader
(``xlsx.read.evaluation_from_grids``), scores and checks with ``service.evaluate`` (the command line's
rules), and writes each sheet back in **one** bulk values write. Input cells are never written: marks
are fills and notes only.

Calls per button (``tests/test_excel.py`` counts them on xlwings' remote engine):

- reads: one per sheet involved (基本信息, 绩效指标, and 校验结果 or 自评表), never per cell;
- values: one write per output sheet (校验结果 or 自评表), plus one ``clear`` of the old 校验结果 rows;
- fills: one ``set_colors`` per sheet (xlwings sends it as one action; on Windows it still sets cell by
  cell, but only the marked cells);
- notes: one call per marked cell and per cleared mark — xlwings has no bulk note API, so this is bounded
  by the number of findings, not by the size of the sheets;
- 自评表 layout: one row insert or delete, one unmerge, one merge per merged 一级/二级 group, two format
  calls per block of equally formatted cells, a few row heights, one row autofit of the indicator block
  and one print area: bounded by the number of indicator groups, not by cells.

The 自评表 keeps the template's formatting: the button finds the current 总分 row, inserts or deletes
whole rows inside the indicator block so that it holds exactly one row per indicator (Excel copies the
format of the neighbouring indicator row), writes the snapshot values of ``layout.summary.summary_sheet``
in one write, re-merges the 绩效指标/一级/二级 cells, sets alignment and number format where they depend
on the data, and lets Excel autofit the indicator rows' heights (the command line estimates them instead).
Fonts and borders come from the template. A sheet whose 总分 row cannot be found is refused politely.

Problems reach the clerk as a Chinese message box: a workbook that is not ours gets a polite refusal,
anything unexpected is logged with its traceback to ``LOG_FILE`` (in the temp directory), which the
message names.

Worksheet functions for clerks who build their own sheets (``PERFEVAL_EXEC_RATE``,
``PERFEVAL_EXEC_SCORE``, ``PERFEVAL_INDICATOR_SCORE``, ``PERFEVAL_GRADE``) call ``rules.scoring``:
add ``perfeval_xl.excel`` to the xlwings add-in's "UDF Modules" and click "Import Functions".
"""

from __future__ import annotations

import datetime as dt
import platform
import re
import tempfile
import traceback
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlwings as xw

from . import __version__
from .display import counts_line
from .layout import fields as F
from .layout.spec import SheetSpec, col_index, col_letter, split_ref
from .layout.styles import INPUT_FILL, MARK_FILLS, STYLES
from .layout.summary import COLS, ind_headers, project_fund_rows, summary_sheet
from .layout.template import findings_sheet
from .model import Budget, Finding, FundLine, Indicator, Level
from .rules import scoring
from .rules.scheme import Scheme, SchemeError, default_scheme, find_recorded, get_scheme
from .service import Outcome, evaluate_read
from .xlsx.read import (
    INDICATOR_COLS,
    INFO_COLS,
    INFO_ROWS,
    MAX_INDICATOR_ROW,
    MERGED_LABEL_KEYS,
    FormulaCell,
    WorkbookError,
    cell_number,
    cell_text,
    check_header,
    check_sheets,
    evaluation_from_grids,
    has_entries,
    template_version,
)
from .xlsx.write import findings_row, findings_summary, mark_notes, ordered_findings

TITLE = "绩效自评"
#: Where unexpected errors are logged (the message box names it).
LOG_FILE = Path(tempfile.gettempdir()) / "perfeval-xl-excel.log"
#: Custom document property holding the rule set's name (layout.template.template_book).
RULES_PROPERTY = "perfeval-xl rules"
#: Where the template writes its scheme's id and digest (校验计算 sheet), readable by every engine.
SCHEME_CELLS = "A2:B2"

#: The 校验结果 table: title row 1, summary row 2, header row 3, findings from row 4 (template.findings_sheet).
FINDINGS_HEADER_ROW = 3
FINDINGS_FIRST_ROW = FINDINGS_HEADER_ROW + 1
FINDINGS_COLS = 6
#: Most cells xlwings' ``Range.set_colors`` takes in one call.
MAX_COLOUR_CELLS = 10_000

_MARK_NOTE = re.compile("^【(?:" + "|".join(level.label for level in Level) + ")】")
#: Text Excel would turn into a formula, number, date or boolean when written as a value.
_COERCIBLE_START = "=+-@'.(#$¥￥＝＋－"


# ------------------------------------------------------------------------------------- entry points


def validate_book(book: xw.Book | None = None) -> None:
    """校验: mark the problem cells (fill + note), list every finding on 校验结果, report the counts."""
    _run(book, "校验", _validate)


def score_book(book: xw.Book | None = None) -> None:
    """评分: show 执行率, 得分, 总分 and 等级 as the command line computes them."""
    _run(book, "评分", _score)


def summary_book(book: xw.Book | None = None) -> None:
    """生成自评表: write the 自评表 snapshot, one row per indicator, in the template's layout."""
    _run(book, "生成自评表", _summary)


def clear_marks(book: xw.Book | None = None) -> None:
    """清除标注: remove the marks listed on 校验结果 (our notes and fills) and empty that list."""
    _run(book, "清除标注", _clear)


def about(book: xw.Book | None = None) -> None:
    """关于: versions and where the error log is."""
    _run(book, "关于", _about)


def _run(book: xw.Book | None, action: str, body: Callable[[xw.Book, Scheme], None]) -> None:
    """Run one button: a polite message for a workbook we cannot use, a logged error for anything else."""
    try:
        book = book if book is not None else xw.Book.caller()
    except Exception as exc:
        path = _log(action, "", exc)
        raise RuntimeError(f"无法连接调用的工作簿（{type(exc).__name__}）。详细信息见 {path}。") from None
    try:
        body(book, rules_for(book))
    except WorkbookError as exc:
        _alert(book, f"抱歉，“{action}”无法处理本工作簿：\n{exc}", mode="info")
    except Exception as exc:
        path = _log(action, _book_name(book), exc)
        _alert(
            book,
            f"“{action}”出现意外错误（{type(exc).__name__}），操作可能没有完成。\n"
            f"详细信息已写入 {path}，请把该文件发给技术支持。",
            mode="critical",
        )


def _alert(book: xw.Book, message: str, mode: str = "info") -> None:
    book.app.alert(message, title=TITLE, buttons="ok", mode=mode)


def _book_name(book: Any) -> str:
    try:
        return str(book.name)
    except Exception:
        return "?"


def _log(action: str, book_name: str, exc: BaseException) -> Path:
    """Append the traceback to LOG_FILE (never raises) and return its path."""
    entry = (
        f"==== {dt.datetime.now():%Y-%m-%d %H:%M:%S} perfeval-xl {__version__} xlwings {xw.__version__} "
        f"{action} {book_name}\n" + "".join(traceback.format_exception(exc))
    )
    try:
        with LOG_FILE.open("a", encoding="utf-8") as fh:
            fh.write(entry)
    except OSError:
        pass
    return LOG_FILE


def rules_for(book: Any) -> Scheme:
    """The scheme the template was built with: its id and digest on the hidden 校验计算 sheet (cells
    ``SCHEME_CELLS``, one bulk read that every engine can do), else the national one (a workbook made
    before schemes). A scheme this machine does not have is refused (WorkbookError, a polite message):
    scoring by other rules would show a wrong total.
    """
    recorded, digest = "", ""
    try:
        if F.BOOK_CALC in _sheet_names(book):
            values = book.sheets[F.BOOK_CALC].range(SCHEME_CELLS).options(ndim=2).value[0]
            recorded, digest = cell_text(values[0]), cell_text(values[1])
    except Exception:  # an odd workbook: the national rules, and the reader says what else is wrong
        return default_scheme()
    if not recorded:
        return default_scheme()
    scheme, _ = find_recorded(recorded, digest)
    if scheme is None:
        raise WorkbookError(
            f"本工作簿按评分规则“{recorded}”制作，本机没有这套规则。请向下发模板的财政部门索取规则文件，"
            "放入环境变量 PERFEVAL_XL_SCHEMES 所指的文件夹后再试。"
        )
    return scheme


# ------------------------------------------------------------------------------------- reading


def _last_row(sheet: xw.Sheet) -> int:
    return int(sheet.used_range.last_cell.row)


def _read(sheet: xw.Sheet, first_row: int, last_row: int, last_col: int) -> list[list[Any]]:
    """One bulk read of rows first_row..last_row, columns A..last_col, always as a 2-D list."""
    if last_row < first_row:
        return []
    return sheet.range((first_row, 1), (last_row, last_col)).options(ndim=2).value


def _sheet_names(book: xw.Book) -> list[str]:
    return [s.name for s in book.sheets]


def evaluate_open_book(book: xw.Book, rules: Scheme | None = None) -> Outcome:
    """Read 基本信息 and 绩效指标 (one read each), refuse a workbook that is not ours, score and check it.

    As the file reader does (``xlsx.read``): a formula in an input cell counts with the value Excel
    computed and is reported (``FORMULA_IN_INPUT``) — the formulas come from one ``.formula`` read per
    sheet beside the values, where the engine can read formulas (Windows Excel; not xlwings' remote
    engine); a cell counts as a formula when its formula text starts with ``=`` and differs from its value
    (text such as ``'=abc`` does not). Merged label cells: Excel gives a merged range's value in its top-left
    cell only, and no engine reads merge areas in bulk, so a blank 一级/二级 directly below a filled one, on
    an indicator row, takes the value above (``label_merges``) — unless one call says the label columns hold
    no merged cells at all (Windows Excel), and then nothing is filled. Reads stop at
    ``xlsx.read.MAX_INDICATOR_ROW``, the file reader's limit. ``rules``: the scheme to score by; None is
    the one the workbook records (``rules_for``).
    """
    check_sheets(_sheet_names(book), book.name)
    info_sheet = book.sheets[F.INFO]
    info = _read(info_sheet, 1, INFO_ROWS, INFO_COLS)
    ws = book.sheets[F.INDICATORS]
    last = min(max(F.INDICATOR_LAST_ROW, _last_row(ws)), MAX_INDICATOR_ROW)
    grid = _read(ws, F.INDICATOR_HEADER_ROW, last, INDICATOR_COLS)
    check_header(grid[0], book.name)
    rows = grid[F.INDICATOR_FIRST_ROW - F.INDICATOR_HEADER_ROW :]
    formulas = {
        **_formulas(info_sheet, F.INFO, 1, info),
        **_formulas(ws, F.INDICATORS, F.INDICATOR_FIRST_ROW, rows),
    }
    merged = label_merges(rows, F.INDICATOR_FIRST_ROW) if _may_have_merges(ws, last) else []
    ev, findings = evaluation_from_grids(
        info, rows, merged=merged, formulas=formulas, version=template_version({}, info)
    )
    return evaluate_read(ev, findings, rules or rules_for(book))


def _formulas(
    sheet: xw.Sheet, name: str, first_row: int, values: Sequence[Sequence[Any]]
) -> dict[tuple[str, str], FormulaCell]:
    """(sheet, cell) → FormulaCell for the formula cells among ``values`` (one ``.formula`` read)."""
    if not values:
        return {}
    width = max(len(r) for r in values)
    try:
        read = sheet.range((first_row, 1), (first_row + len(values) - 1, width)).formula
    except Exception:  # the engine cannot read formulas (xlwings' remote engine): values only
        return {}
    grid = read if isinstance(read, list | tuple) else [[read]]
    if grid and not isinstance(grid[0], list | tuple):
        grid = [grid] if len(values) == 1 else [[x] for x in grid]
    out = {}
    for r, row in enumerate(grid):
        for c, text in enumerate(row):
            if not isinstance(text, str) or not text.startswith("=") or len(text) < 2:
                continue
            value = values[r][c] if r < len(values) and c < len(values[r]) else None
            if value == text:
                continue  # text that looks like a formula
            out[(name, f"{col_letter(c + 1)}{first_row + r}")] = FormulaCell(text[1:], True)
    return out


def _may_have_merges(ws: xw.Sheet, last: int) -> bool:
    """False only when the engine says the label columns hold no merged cell (one call)."""
    first_col = min(col_index(F.COLUMN_BY_KEY[k].letter) for k in MERGED_LABEL_KEYS)
    last_col = max(col_index(F.COLUMN_BY_KEY[k].letter) for k in MERGED_LABEL_KEYS)
    try:
        merged = ws.range((F.INDICATOR_FIRST_ROW, first_col), (last, last_col)).merge_cells
    except Exception:  # not readable here: assume they may be merged
        return True
    return merged is not False


def label_merges(rows: Sequence[Sequence[Any]], first_row: int) -> list[tuple[int, int, int, int]]:
    """Merged label ranges as a live workbook shows them: a filled 一级/二级 and the blank cells below it on
    the following indicator rows (rows with something else entered), as (first row, column, last row,
    column) for ``evaluation_from_grids``. A blank row ends a range."""
    out = []
    for key in MERGED_LABEL_KEYS:
        c = col_index(F.COLUMN_BY_KEY[key].letter) - 1
        top = None
        end = None
        for i, row in enumerate(rows):
            label = row[c] if c < len(row) else None
            filled = label not in (None, "")
            used = has_entries(row)
            if filled:
                if top is not None and end is not None and end > top:
                    out.append((first_row + top, c + 1, first_row + end, c + 1))
                top, end = i, i
            elif used and top is not None and end == i - 1:
                end = i
            else:
                if top is not None and end is not None and end > top:
                    out.append((first_row + top, c + 1, first_row + end, c + 1))
                top = end = None
        if top is not None and end is not None and end > top:
            out.append((first_row + top, c + 1, first_row + end, c + 1))
    return out


def _listed_marks(book: xw.Book) -> tuple[set[tuple[str, str]], int]:
    """The input cells listed on 校验结果 (our marks) and that sheet's last used row (one read)."""
    if F.FINDINGS not in _sheet_names(book):
        return set(), 0
    ws = book.sheets[F.FINDINGS]
    last = _last_row(ws)
    listed: set[tuple[str, str]] = set()
    for row in _read(ws, FINDINGS_FIRST_ROW, last, FINDINGS_COLS):
        sheet, cell = cell_text(row[3]), cell_text(row[4]).replace("$", "").upper()
        if sheet in (F.INFO, F.INDICATORS) and _is_cell(cell):
            listed.add((sheet, cell))
    return listed, last


def _is_cell(ref: str) -> bool:
    try:
        split_ref(ref)
    except ValueError:
        return False
    return True


# ------------------------------------------------------------------------------------- writing


def excel_value(value: Any) -> Any:
    """A value as it must be sent to Excel: Decimal as float, text that Excel would reinterpret behind ``'``.

    Excel reads a written string as if typed: ``001234`` becomes 1234, ``=1+1`` a formula, ``2024-7-12``
    a date. A leading apostrophe keeps such text as it is (the apostrophe is not part of the value).
    """
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str):
        head = value.lstrip()[:1]
        if head and (
            head in _COERCIBLE_START or head.isdigit() or value.strip().upper() in ("TRUE", "FALSE")
        ):
            return "'" + value
    return value


def _colour(sheet: xw.Sheet, colours: Mapping[str, str]) -> None:
    """Fill the given cells (address → RRGGBB) in one ``set_colors`` per band of ≤ MAX_COLOUR_CELLS."""
    if not colours:
        return
    at = {(split_ref(ref)[1], col_index(split_ref(ref)[0])): c for ref, c in colours.items()}
    rows = sorted({r for r, _ in at})
    c1, c2 = min(c for _, c in at), max(c for _, c in at)
    band = max(1, MAX_COLOUR_CELLS // (c2 - c1 + 1))
    start = 0
    while start < len(rows):
        r1 = rows[start]
        chunk = [r for r in rows[start:] if r < r1 + band]
        r2 = chunk[-1]
        matrix = [
            [("#" + at[(r, c)]) if (r, c) in at else ... for c in range(c1, c2 + 1)]
            for r in range(r1, r2 + 1)
        ]
        sheet.range((r1, c1), (r2, c2)).set_colors(matrix)
        start += len(chunk)


def _is_our_note(note: Any) -> bool:
    """A note we wrote (``【错误】…``). The remote engine cannot read note text: the 校验结果 list decides."""
    try:
        text = note.text
    except NotImplementedError:
        return True
    return bool(_MARK_NOTE.match(text or ""))


def _unmark(book: xw.Book, listed: Iterable[tuple[str, str]]) -> int:
    """Delete our notes on the listed cells; return how many were deleted."""
    removed = 0
    for sheet, ref in sorted(listed):
        note = book.sheets[sheet].range(ref).note
        if note is not None and _is_our_note(note):
            note.delete()
            removed += 1
    return removed


def _apply_marks(
    book: xw.Book, old: set[tuple[str, str]], new: Mapping[tuple[str, str], tuple[Level, str]]
) -> None:
    """Replace the old marks by the new ones: notes per cell, fills in one call per input sheet."""
    _unmark(book, old)
    colours: dict[str, dict[str, str]] = defaultdict(dict)
    for sheet, ref in old:
        colours[sheet][ref] = INPUT_FILL
    for (sheet, ref), (level, _) in new.items():
        colours[sheet][ref] = MARK_FILLS[level.value]
    for sheet in (F.INFO, F.INDICATORS):
        _colour(book.sheets[sheet], colours.get(sheet, {}))
    for (sheet, ref), (_, text) in sorted(new.items()):
        rng = book.sheets[sheet].range(ref)
        if rng.note is None:  # a clerk's own note stays; the cell is still filled and listed
            rng.add_note(text)


def findings_grid(findings: Sequence[Finding], sheets: Sequence[str], when: dt.datetime) -> list[list[Any]]:
    """The 校验结果 sheet from A1: title, summary line, header row, one row per finding (links as formulas)."""
    spec = findings_sheet()
    grid = [
        [spec.cells[f"{c}{r}"].value if f"{c}{r}" in spec.cells else None for c in "ABCDEF"]
        for r in (1, 2, 3)
    ]
    grid[1] = [findings_summary(findings, when), None, None, None, None, None]
    for i, f in enumerate(ordered_findings(findings), start=1):
        row = [excel_value(v) for v in findings_row(i, f)]
        if f.sheet in sheets and f.cell:
            row[4] = f'=HYPERLINK("#\'{f.sheet}\'!{f.cell}","{f.cell}")'
        grid.append(row)
    return grid


def _write_findings(book: xw.Book, findings: Sequence[Finding], old_last: int) -> None:
    names = _sheet_names(book)
    if F.FINDINGS in names:
        ws = book.sheets[F.FINDINGS]
    else:
        ws = book.sheets.add(F.FINDINGS, after=book.sheets[len(names) - 1])
    if old_last >= FINDINGS_FIRST_ROW:
        ws.range((FINDINGS_FIRST_ROW, 1), (old_last, FINDINGS_COLS)).clear()
    grid = findings_grid(findings, names, dt.datetime.now())
    ws.range((1, 1), (len(grid), FINDINGS_COLS)).value = grid
    if findings:
        fills = [["#" + MARK_FILLS[f.level.value]] for f in ordered_findings(findings)]
        ws.range((FINDINGS_FIRST_ROW, 2), (FINDINGS_FIRST_ROW + len(fills) - 1, 2)).set_colors(fills)


def _fmt(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:.2f}"


# ------------------------------------------------------------------------------------- the buttons


def _validate(book: xw.Book, rules: Scheme) -> None:
    outcome = evaluate_open_book(book, rules)
    listed, old_last = _listed_marks(book)
    _apply_marks(book, listed, mark_notes(outcome.findings))
    _write_findings(book, outcome.findings, old_last)
    if outcome.findings:
        book.sheets[F.FINDINGS].activate()
    message = f"{book.name}：{counts_line(outcome.findings)}。已在工作簿中标注。"
    if outcome.findings:
        message += "\n问题单元格已填色并加批注，清单见“校验结果”工作表。"
    _alert(book, message, mode="critical" if outcome.errors else "info")


def score_lines(outcome: Outcome) -> list[str]:
    """The score summary the command line prints (perfeval-xl score), line by line."""
    s = outcome.scores
    rate = "—" if s.execution_rate is None else f"{s.execution_rate * 100:.2f}%"
    total = f"总分 {_fmt(s.total)}，等级 {s.grade or '—'}" if s.total is not None else s.blocked_line
    return [
        f"执行率 {rate}，执行率得分 {_fmt(s.execution_score)}，指标得分 {_fmt(s.indicator_score)}",
        total,
    ]


def _score(book: xw.Book, rules: Scheme) -> None:
    outcome = evaluate_open_book(book, rules)
    lines = [f"{outcome.evaluation.unit_name or book.name} 评分", *score_lines(outcome)]
    if outcome.findings:
        lines.append(f"另有校验问题：{counts_line(outcome.findings)}（点击“校验”查看）。")
    _alert(book, "\n".join(lines), mode="critical" if outcome.errors else "info")


def _clear(book: xw.Book, rules: Scheme) -> None:
    _check_ours(book)
    listed, old_last = _listed_marks(book)
    _apply_marks(book, listed, {})
    ws = book.sheets[F.FINDINGS] if F.FINDINGS in _sheet_names(book) else None
    if ws is not None:
        if old_last >= FINDINGS_FIRST_ROW:
            ws.range((FINDINGS_FIRST_ROW, 1), (old_last, FINDINGS_COLS)).clear()
        ws.range("A2").value = "已清除标注。点击功能区“绩效自评 → 校验”重新校验。"
    _alert(book, f"已清除 {len(listed)} 个单元格的校验标注。", mode="info")


def _about(book: xw.Book, rules: Scheme) -> None:
    _alert(
        book,
        f"perfeval-xl {__version__}：预算绩效自评（校验、评分、生成自评表）。\n"
        f"评分规则：{rules.name}。Python {platform.python_version()}，xlwings {xw.__version__}。\n"
        f"出错时的详细信息写入 {LOG_FILE}。",
        mode="info",
    )


# ------------------------------------------------------------------------------------- the 自评表


class SummaryPlan:
    """What the 自评表 button writes, computed from the snapshot spec before anything is written."""

    def __init__(self, spec: SheetSpec, indicators: int, scheme: Scheme | None = None) -> None:
        self.spec = spec
        self.scheme = scheme or default_scheme()
        self.head = _row_of(spec, "B", ind_headers(self.scheme)[0])  # the indicator header row
        self.rows = max(indicators, 1)  # indicator rows (an empty table keeps one blank row)
        self.last = split_ref(spec.print_setup.area.split(":")[1])[1]
        self.width = len(COLS)

    @property
    def block(self) -> tuple[int, int]:
        """First and last indicator row."""
        return self.head + 1, self.head + self.rows

    @property
    def below(self) -> int:
        """Rows of the snapshot after the indicator header: indicators, 总分, signatures, stamp, note."""
        return self.last - self.head

    def values(self) -> list[list[Any]]:
        """Rows 1..last, columns A..I: the snapshot's values (merged cells hold their value top-left)."""
        out = []
        for r in range(1, self.last + 1):
            row = []
            for c in COLS:
                cell = self.spec.cells.get(f"{c}{r}")
                assert cell is None or cell.formula is None, "the snapshot holds values only"
                row.append(None if cell is None else excel_value(cell.value))
            out.append(row)
        return out

    def merges(self) -> list[str]:
        """The merges from the indicator header down (绩效指标, 一级, 二级 groups, 总分, signatures, note):
        the template's live block has none (its rows follow the data), the snapshot's table has them."""
        return [ref for ref in self.spec.merges if split_ref(ref.split(":")[0])[1] >= self.head]

    def formats(self) -> list[tuple[str, str, str]]:
        """(range, horizontal alignment, number format) blocks covering the money rows and the indicators.

        These are the cells whose alignment and number format depend on the data (numbers, — or /); the
        rest of the sheet keeps the template's formatting.
        """
        money = _row_of(self.spec, "B", "年度资金总额")
        first_col = col_index("D")
        cells: dict[tuple[int, int], tuple[str, str]] = {}
        rows = [
            *range(money, money + len(project_fund_rows(self.scheme)) + 1),
            *range(self.block[0], self.block[1] + 1),
        ]
        styles = _styles(self.spec)
        for r in rows:
            for ci in range(first_col if r < self.head else 2, self.width + 1):
                st = STYLES[styles.get(f"{col_letter(ci)}{r}", "p_center")]
                cells[(r, ci)] = (st.halign, st.num_format or "General")
        return [(ref, *key) for ref, key in _rectangles(cells)]

    def heights(self) -> list[tuple[int, int, float]]:
        """(first row, last row, height) runs of equal row heights outside the indicator block.

        The indicator rows are autofitted by Excel instead (one call, Excel's own text measure), so the
        number of calls does not grow with the indicators.
        """
        first, last = self.block
        out: list[tuple[int, int, float]] = []
        for r in sorted(h for h in self.spec.heights if not first <= h <= last):
            h = float(self.spec.heights[r])
            if out and out[-1][1] == r - 1 and out[-1][2] == h:
                out[-1] = (out[-1][0], r, h)
            else:
                out.append((r, r, h))
        return out


def _row_of(spec: SheetSpec, col: str, text: str) -> int:
    for ref, cell in spec.cells.items():
        c, r = split_ref(ref)
        if c == col and cell.value == text:
            return r
    raise ValueError(f"{text} not in {spec.name}")


def _styles(spec: SheetSpec) -> dict[str, str]:
    out: dict[str, str] = {}
    for rng, style in spec.styled_ranges.items():
        a, _, b = rng.partition(":")
        (c1, r1), (c2, r2) = split_ref(a), split_ref(b or a)
        for r in range(r1, r2 + 1):
            for ci in range(col_index(c1), col_index(c2) + 1):
                out[f"{col_letter(ci)}{r}"] = style
    for ref, cell in spec.cells.items():
        out[ref] = cell.style
    return out


def _rectangles(cells: Mapping[tuple[int, int], Any]) -> list[tuple[str, Any]]:
    """Cover cells ((row, col) → key) with few rectangles of one key: column runs, then equal neighbours."""
    runs: dict[tuple[int, int, Any], list[int]] = defaultdict(list)
    by_col: dict[int, list[int]] = defaultdict(list)
    for r, c in cells:
        by_col[c].append(r)
    for c, rows in by_col.items():
        rows.sort()
        start = rows[0]
        for i, r in enumerate(rows):
            nxt = rows[i + 1] if i + 1 < len(rows) else None
            if nxt is None or nxt != r + 1 or cells[(nxt, c)] != cells[(r, c)]:
                runs[(start, r, cells[(r, c)])].append(c)
                start = nxt if nxt is not None else start
    out = []
    for (r1, r2, key), cols in runs.items():
        cols.sort()
        s = cols[0]
        for i, c in enumerate(cols):
            if i + 1 == len(cols) or cols[i + 1] != c + 1:
                out.append((f"{col_letter(s)}{r1}:{col_letter(c)}{r2}", key))
                if i + 1 < len(cols):
                    s = cols[i + 1]
    return sorted(out, key=lambda x: (split_ref(x[0].split(":")[0])[1], x[0]))


def _current_block(book: xw.Book, plan: SummaryPlan) -> tuple[xw.Sheet, int]:
    """The 自评表 sheet and how many rows it has below the indicator header (one read of the header).

    Everything below the header is the block the button rewrites: the template's live rows (indicators,
    总分 and signatures, which follow the data) or an earlier snapshot.
    """
    if F.SUMMARY not in _sheet_names(book):
        raise WorkbookError(_LAYOUT_CHANGED.format(sheet=F.SUMMARY, what="找不到该工作表"))
    ws = book.sheets[F.SUMMARY]
    header = [cell_text(v) for v in _read(ws, plan.head, plan.head, len(COLS))[0]]
    expected = [
        cell_text(plan.spec.cells[f"{c}{plan.head}"].value) if f"{c}{plan.head}" in plan.spec.cells else ""
        for c in COLS
    ]
    if header[1:] != expected[1:]:
        raise WorkbookError(
            _LAYOUT_CHANGED.format(
                sheet=F.SUMMARY, what=f"第 {plan.head} 行不是指标表头（{'、'.join(expected[1:])}）"
            )
        )
    return ws, max(_last_row(ws) - plan.head, 1)


_LAYOUT_CHANGED = (
    "“{sheet}”工作表的版式已被改动（{what}），无法按模板生成。"
    "请从新模板复制“{sheet}”工作表到本工作簿，或关闭文件后在命令行运行 perfeval-xl summary 本文件.xlsx。"
)


def resize_block(ws: xw.Sheet, first: int, current: int, wanted: int) -> None:
    """Make the indicator block starting at row ``first`` hold ``wanted`` rows instead of ``current``.

    Whole rows are inserted or deleted inside the block, so the rows below move with their formatting and
    the merged 绩效指标 cell grows or shrinks; inserted rows take the format of an indicator row.
    """
    if wanted < current:
        ws.range(f"{first + wanted}:{first + current - 1}").delete("up")
    elif wanted > current:
        k = wanted - current
        if current >= 2:  # below the block's first row: format from the indicator row above
            ws.range(f"{first + 1}:{first + k}").insert("down", "format_from_left_or_above")
        else:  # at the first row: format from the indicator row below
            ws.range(f"{first}:{first + k - 1}").insert("down", "format_from_right_or_below")


def _check_ours(book: xw.Book) -> None:
    """The sheets and the 绩效指标 header row of a perfeval-xl workbook, else WorkbookError (one read)."""
    check_sheets(_sheet_names(book), book.name)
    row = F.INDICATOR_HEADER_ROW
    check_header(_read(book.sheets[F.INDICATORS], row, row, INDICATOR_COLS)[0], book.name)


def _summary(book: xw.Book, rules: Scheme) -> None:
    outcome = evaluate_open_book(book, rules)
    plan = SummaryPlan(
        summary_sheet(outcome.evaluation, outcome.scores, rules), len(outcome.evaluation.indicators), rules
    )
    ws, current = _current_block(book, plan)
    first, last = plan.block
    resize_block(ws, first, current, plan.below)
    ws.range(f"A{plan.head}:I{plan.last}").unmerge()
    ws.range((1, 1), (plan.last, plan.width)).value = plan.values()
    for ref in plan.merges():
        ws.range(ref).merge()
    for ref, halign, number_format in plan.formats():
        rng = ws.range(ref)
        rng.horizontal_alignment = halign
        rng.number_format = number_format
    for r1, r2, height in plan.heights():
        ws.range(f"{r1}:{r2}").row_height = height
    ws.range(f"{first}:{last}").rows.autofit()
    ws.page_setup.print_area = plan.spec.print_setup.area
    ws.activate()
    s = outcome.scores
    total = f"总分 {_fmt(s.total)}，等级 {s.grade or '—'}" if s.total is not None else s.blocked_line
    message = f"已生成自评表（{total}）。"
    if outcome.errors:
        message += f"\n注意：数据仍有 {outcome.errors} 项错误，自评表中的数字可能不可靠；请点击“校验”查看。"
    _alert(book, message, mode="critical" if outcome.errors else "info")


# ------------------------------------------------------------------------------------- worksheet functions


def _out(value: Decimal | None) -> float | str:
    """A rule's result for a cell: a number, or "" where the rule is undefined (as the template's formulas)."""
    return "" if value is None else float(value)


@xw.func
@xw.arg("budget", doc="全年预算数（万元）")
@xw.arg("executed", doc="全年执行数（万元）")
def PERFEVAL_EXEC_RATE(budget: Any, executed: Any) -> float | str:
    """预算执行率 = 全年执行数 ÷ 全年预算数；全年预算数为空、为 0 或不是数字时返回空白。

    例：=PERFEVAL_EXEC_RATE(基本信息!C14, 基本信息!D14) → 0.9827（单元格设为百分比格式即 98.27%）。
    """
    line = FundLine(adjusted=cell_number(budget), executed=cell_number(executed))
    return _out(scoring.execution_rate(Budget(total=line)))


@xw.func
@xw.arg("budget", doc="全年预算数（万元）")
@xw.arg("executed", doc="全年执行数（万元）")
@xw.arg("weight", doc="执行率分值，默认 10")
def PERFEVAL_EXEC_SCORE(budget: Any, executed: Any, weight: Any = 10) -> float | str:
    """执行率得分 = 分值 × min(执行率, 100%)，保留两位小数；执行率无法计算时返回空白。

    例：=PERFEVAL_EXEC_SCORE(2652.84, 2606.9) → 9.83；=PERFEVAL_EXEC_SCORE(100, 120, 10) → 10。
    """
    line = FundLine(adjusted=cell_number(budget), executed=cell_number(executed))
    rate = scoring.execution_rate(Budget(total=line))
    return _out(scoring.execution_score(rate, cell_number(weight), default_scheme()))


@xw.func
@xw.arg("operator", doc="指标性质：≥ ≤ = > < 或 定性")
@xw.arg("target", doc="年度指标值")
@xw.arg("actual", doc="实际完成值；不适用填 /")
@xw.arg("weight", doc="分值")
@xw.arg("band", doc="完成档次（定性指标）")
@xw.arg("score", doc="自评得分（定性指标必填）")
@xw.arg("rules", doc="评分规则（可省略，默认 national）")
def PERFEVAL_INDICATOR_SCORE(
    operator: Any, target: Any, actual: Any, weight: Any, band: Any = "", score: Any = None, rules: Any = ""
) -> float | str:
    """三级指标得分：正向 ≥ 完成得满分，否则 分值 × 实际 ÷ 指标值；反向 ≤ 超出时 分值 × 指标值 ÷ 实际；
    定性指标取自评得分（超出 0 至分值时不计分）；不适用（/）或无法计算时返回空白。指标值可照表填写（"≥266米"、"不少于12种"），
    指标性质可留空。规则可选（如 "hubei"）。

    例：=PERFEVAL_INDICATOR_SCORE("≥", 262, 224, 15) → 12.82；=PERFEVAL_INDICATOR_SCORE("", "≤3个工作日", "4个工作日", 15)
    → 11.25；=PERFEVAL_INDICATOR_SCORE("定性", "满意", "达成年度指标", 10, "达成年度指标", 9) → 9。
    """
    ind = Indicator(
        operator=cell_text(operator),
        target=cell_number(target),
        actual=cell_number(actual),
        weight=cell_number(weight),
        band=cell_text(band),
        score=cell_number(score),
    )
    try:
        scheme = get_scheme(cell_text(rules)) if cell_text(rules) else default_scheme()
    except SchemeError:
        return "规则不存在"
    return _out(scoring.indicator_score(ind, scheme))


@xw.func
@xw.arg("total", doc="总分")
def PERFEVAL_GRADE(total: Any) -> str:
    """等级（下限含本数）：≥ 90 优，≥ 80 良，≥ 60 中，其余 差；总分为空或不是数字时返回空白。

    例：=PERFEVAL_GRADE(评分!D9)；=PERFEVAL_GRADE(90) → 优；=PERFEVAL_GRADE(89.99) → 良。
    """
    return scoring.grade(cell_number(total))
