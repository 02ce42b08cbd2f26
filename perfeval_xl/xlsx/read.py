"""Read a filled workbook into the model: one bulk read per sheet, input cells only."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..layout import fields as F
from ..layout.spec import col_index, split_ref
from ..model import Budget, Evaluation, Finding, FundLine, Indicator, Level, Num, ReportText
from ..rules import vocab

if TYPE_CHECKING:
    import openpyxl

SUPPORTED = (".xlsx", ".xlsm")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a compound file: an encrypted workbook or an .xls


class WorkbookError(Exception):
    """The file cannot be used at all (not found, not a workbook, damaged, not ours). Chinese message."""


@dataclass
class BookData:
    """A workbook read into the model, with problems found while reading (sheet and cell filled in)."""

    path: Path
    evaluation: Evaluation
    findings: list[Finding] = field(default_factory=list)

    @property
    def indicator_rows(self) -> list[int | None]:
        return [ind.row for ind in self.evaluation.indicators]


def cell_number(value: Any) -> Num:
    """A cell's value as a model number: numbers become Decimal (via their shortest repr), text stays text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        return value
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%Y-%m-%d")
    text = str(value).strip()
    return text or None


def cell_text(value: Any) -> str:
    """A cell's value as text (numbers without a trailing .0, dates as 2024年7月12日)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime | dt.date):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value).strip()


def _set(obj: Any, path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for p in parents:
        obj = getattr(obj, p)
    setattr(obj, last, value)


def open_workbook(path: Path, *, read_only: bool = True, keep_vba: bool = False) -> openpyxl.Workbook:
    """Open ``path`` with openpyxl, turning every way it can fail into a WorkbookError."""
    import openpyxl  # deliberately local: the Excel add-in and fill use this module's helpers only
    from openpyxl.utils.exceptions import InvalidFileException

    path = Path(path)
    if not path.exists():
        raise WorkbookError(f"找不到文件 {path}。")
    if path.suffix.lower() not in SUPPORTED:
        hint = (
            "请在 Excel 中“另存为” .xlsx 格式后再试。"
            if path.suffix.lower() in (".xls", ".et", ".ods")
            else ""
        )
        raise WorkbookError(f"{path.name} 不是 .xlsx/.xlsm 工作簿，无法读取。{hint}")
    with path.open("rb") as fh:
        if fh.read(8) == _OLE_MAGIC:
            raise WorkbookError(
                f"{path.name} 设置了打开密码（已加密），或实为旧版 .xls 文件，无法读取。"
                "请在 Excel 中取消密码（文件 → 信息 → 保护工作簿 → 用密码进行加密，清空密码）或另存为 .xlsx 后再试。"
            )
    try:
        return openpyxl.load_workbook(path, read_only=read_only, data_only=False, keep_vba=keep_vba)
    except (
        zipfile.BadZipFile,
        InvalidFileException,
        KeyError,
        OSError,
        ValueError,
        TypeError,
        SyntaxError,
    ) as exc:
        raise WorkbookError(
            f"{path.name} 已损坏或不是 Excel 工作簿（{type(exc).__name__}），请用 Excel 打开检查后另存。"
        ) from exc


def check_sheets(sheetnames: Sequence[str], name: str) -> None:
    """Refuse a workbook without the input sheets of a perfeval-xl template (WorkbookError)."""
    missing = [s for s in (F.INFO, F.INDICATORS) if s not in sheetnames]
    if missing:
        raise WorkbookError(
            f"{name} 不是 perfeval-xl 自评工作簿：缺少工作表“{'”“'.join(missing)}”。"
            "请用 perfeval-xl template 生成模板，把数据填入模板后再试。"
        )


def check_header(headers: Sequence[Any], name: str) -> None:
    """Refuse an indicator sheet whose header row (row ``INDICATOR_HEADER_ROW``) is not the template's."""
    row = F.INDICATOR_HEADER_ROW
    headers = list(headers)[: len(F.COLUMNS)]
    expected = [c.header for c in F.COLUMNS[: len(headers)]]
    got = [cell_text(h) for h in headers]
    if got[: len(F.INPUT_COLUMNS)] != expected[: len(F.INPUT_COLUMNS)]:
        raise WorkbookError(
            f"{name} 的“{F.INDICATORS}”表第 {row} 行表头与模板不符（应为：{'、'.join(expected[:13])}）。"
            "请不要增删或移动模板的列。"
        )


def check_ours(wb: openpyxl.Workbook, name: str) -> None:
    """Refuse a workbook that is not a perfeval-xl template (sheets and the indicator header row)."""
    check_sheets(wb.sheetnames, name)
    ws = wb[F.INDICATORS]
    row = F.INDICATOR_HEADER_ROW
    headers = next(ws.iter_rows(min_row=row, max_row=row, max_col=len(F.COLUMNS), values_only=True), ())
    check_header(headers, name)


def _grid(ws: Any, max_row: int, max_col: int) -> list[tuple[Any, ...]]:
    """One bulk read of the top-left block of a sheet."""
    rows = list(ws.iter_rows(min_row=1, max_row=max_row, max_col=max_col, values_only=True))
    return [tuple(r) + (None,) * (max_col - len(r)) for r in rows] + [(None,) * max_col] * (
        max_row - len(rows)
    )


#: The block of the 基本信息 sheet that holds every input (A1 to the last field's row, columns A–E).
INFO_ROWS = max(split_ref(f.cell)[1] for f in F.FIELDS)
INFO_COLS = 5
#: Columns A.. through the last input column of the 绩效指标 sheet.
INDICATOR_COLS = max(col_index(c.letter) for c in F.INPUT_COLUMNS)


def _cell(grid: Sequence[Sequence[Any]], row: int, col: int) -> Any:
    """grid[row-1][col-1], or None outside a short grid."""
    if row - 1 < len(grid) and col - 1 < len(grid[row - 1]):
        return grid[row - 1][col - 1]
    return None


def _read_info(grid: Sequence[Sequence[Any]], ev: Evaluation) -> None:
    for f in F.FIELDS:
        col, row = split_ref(f.cell)
        raw = _cell(grid, row, col_index(col))
        if f.kind in ("number", "score", "integer"):
            value: Any = cell_number(raw)
        else:
            value = cell_text(raw)
        _set(ev, f.key, value)


def _read_indicators(rows: Iterable[Sequence[Any]], first: int, findings: list[Finding]) -> list[Indicator]:
    cols = {c.key: col_index(c.letter) - 1 for c in F.INPUT_COLUMNS}
    max_col = max(cols.values()) + 1
    out: list[Indicator] = []
    for offset, raw in enumerate(rows):
        row = first + offset
        values = tuple(raw)[:max_col] + (None,) * (max_col - len(raw))

        def get(key: str, values: tuple[Any, ...] = values) -> Any:
            return values[cols[key]]

        ind = Indicator(
            level1=cell_text(get("level1")),
            level2=cell_text(get("level2")),
            name=cell_text(get("name")),
            operator=cell_text(get("operator")),
            target=cell_number(get("target")),
            unit=cell_text(get("unit")),
            actual=cell_number(get("actual")),
            band=cell_text(get("band")),
            weight=cell_number(get("weight")),
            score=cell_number(get("score")),
            deviation_note=cell_text(get("deviation_note")),
            row=row,
        )
        if vocab.is_blank(ind):
            continue
        if row > F.INDICATOR_LAST_ROW:
            findings.append(
                Finding(
                    "ROW_OUTSIDE_TEMPLATE",
                    Level.WARNING,
                    f"第 {row} 行超出模板的公式区域（第 {F.INDICATOR_FIRST_ROW}–{F.INDICATOR_LAST_ROW} 行），工作簿里不会自动计算它的得分；"
                    "请把该指标移到公式区域内的空行。",
                    sheet=F.INDICATORS,
                    cell=f"D{row}",
                )
            )
        out.append(ind)
    return out


def evaluation_from_grids(
    info_grid: Sequence[Sequence[Any]],
    indicator_rows: Iterable[Sequence[Any]],
    *,
    first_row: int = F.INDICATOR_FIRST_ROW,
) -> tuple[Evaluation, list[Finding]]:
    """Turn cell values into the model: the one conversion every edge uses (file and live workbook).

    ``info_grid`` is the 基本信息 sheet from A1 (rows of columns A–E; a shorter grid reads as blanks);
    ``indicator_rows`` are the 绩效指标 rows from ``first_row`` down (columns A–M, values as a workbook
    library returns them: numbers, text, dates, None). Blank rows are skipped; each indicator keeps its
    sheet row. Returns the evaluation and the findings made while reading (rows outside the template).
    """
    ev = Evaluation(budget=Budget(), text=ReportText())
    for key in ("total", "appropriation", "carried_over", "other_funds"):
        setattr(ev.budget, key, FundLine())
    _read_info(info_grid, ev)
    findings: list[Finding] = []
    ev.indicators = _read_indicators(indicator_rows, first_row, findings)
    return ev, findings


def read_workbook(path: Path) -> BookData:
    """Read a filled perfeval-xl workbook. Raises WorkbookError when the file cannot be used."""
    path = Path(path)
    wb = open_workbook(path)
    try:
        check_ours(wb, path.name)
        info = _grid(wb[F.INFO], INFO_ROWS, INFO_COLS)
        rows = wb[F.INDICATORS].iter_rows(
            min_row=F.INDICATOR_FIRST_ROW, max_col=INDICATOR_COLS, values_only=True
        )
        ev, findings = evaluation_from_grids(info, rows)
        return BookData(path, ev, findings)
    except WorkbookError:
        raise
    except (KeyError, ValueError, TypeError, InvalidOperation, zipfile.BadZipFile, SyntaxError) as exc:
        raise WorkbookError(f"{path.name} 无法读取（{type(exc).__name__}: {exc}），文件可能已损坏。") from exc
    finally:
        wb.close()
