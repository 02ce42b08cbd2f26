"""Read a filled workbook into the model: one bulk read per sheet, input cells only."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from ..layout import fields as F
from ..layout.spec import col_index, split_ref
from ..model import Budget, Evaluation, Finding, FundLine, Indicator, Level, Num, ReportText
from ..rules import vocab

SUPPORTED = (".xlsx", ".xlsm")


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
    try:
        return openpyxl.load_workbook(path, read_only=read_only, data_only=False, keep_vba=keep_vba)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, TypeError) as exc:
        raise WorkbookError(
            f"{path.name} 已损坏或不是 Excel 工作簿（{type(exc).__name__}），请用 Excel 打开检查后另存。"
        ) from exc


def check_ours(wb: openpyxl.Workbook, name: str) -> None:
    """Refuse a workbook that is not a perfeval-xl template (sheets and the indicator header row)."""
    missing = [s for s in (F.INFO, F.INDICATORS) if s not in wb.sheetnames]
    if missing:
        raise WorkbookError(
            f"{name} 不是 perfeval-xl 自评工作簿：缺少工作表“{'”“'.join(missing)}”。"
            "请用 perfeval-xl template 生成模板，把数据填入模板后再试。"
        )
    ws = wb[F.INDICATORS]
    row = F.INDICATOR_HEADER_ROW
    headers = next(ws.iter_rows(min_row=row, max_row=row, max_col=len(F.COLUMNS), values_only=True), ())
    expected = [c.header for c in F.COLUMNS[: len(headers)]]
    got = [cell_text(h) for h in headers]
    if got[: len(F.INPUT_COLUMNS)] != expected[: len(F.INPUT_COLUMNS)]:
        raise WorkbookError(
            f"{name} 的“{F.INDICATORS}”表第 {row} 行表头与模板不符（应为：{'、'.join(expected[:13])}）。"
            "请不要增删或移动模板的列。"
        )


def _grid(ws: Any, max_row: int, max_col: int) -> list[tuple[Any, ...]]:
    """One bulk read of the top-left block of a sheet."""
    rows = list(ws.iter_rows(min_row=1, max_row=max_row, max_col=max_col, values_only=True))
    return [tuple(r) + (None,) * (max_col - len(r)) for r in rows] + [(None,) * max_col] * (
        max_row - len(rows)
    )


def _read_info(grid: Sequence[tuple[Any, ...]], ev: Evaluation) -> None:
    for f in F.FIELDS:
        col, row = split_ref(f.cell)
        raw = grid[row - 1][col_index(col) - 1]
        if f.kind in ("number", "score", "integer"):
            value: Any = cell_number(raw)
        else:
            value = cell_text(raw)
        _set(ev, f.key, value)


def _read_indicators(ws: Any, findings: list[Finding]) -> list[Indicator]:
    cols = {c.key: col_index(c.letter) - 1 for c in F.INPUT_COLUMNS}
    max_col = max(cols.values()) + 1
    out: list[Indicator] = []
    first = F.INDICATOR_FIRST_ROW
    for offset, raw in enumerate(ws.iter_rows(min_row=first, max_col=max_col, values_only=True)):
        row = first + offset
        values = tuple(raw) + (None,) * (max_col - len(raw))

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
                    f"第 {row} 行超出模板的公式区域（第 {first}–{F.INDICATOR_LAST_ROW} 行），工作簿里不会自动计算它的得分；"
                    "请把该指标移到公式区域内的空行。",
                    sheet=F.INDICATORS,
                    cell=f"D{row}",
                )
            )
        out.append(ind)
    return out


def read_workbook(path: Path) -> BookData:
    """Read a filled perfeval-xl workbook. Raises WorkbookError when the file cannot be used."""
    path = Path(path)
    wb = open_workbook(path)
    try:
        check_ours(wb, path.name)
        ev = Evaluation(budget=Budget(), text=ReportText())
        for key in ("total", "appropriation", "carried_over", "other_funds"):
            setattr(ev.budget, key, FundLine())
        max_row = max(split_ref(f.cell)[1] for f in F.FIELDS)
        _read_info(_grid(wb[F.INFO], max_row, 5), ev)
        findings: list[Finding] = []
        ev.indicators = _read_indicators(wb[F.INDICATORS], findings)
        return BookData(path, ev, findings)
    except WorkbookError:
        raise
    except (KeyError, ValueError, TypeError, InvalidOperation, zipfile.BadZipFile) as exc:
        raise WorkbookError(f"{path.name} 无法读取（{type(exc).__name__}: {exc}），文件可能已损坏。") from exc
    finally:
        wb.close()
