"""Read a filled workbook into the model: one bulk read per sheet, input cells only."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterable, Sequence
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
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a compound file: an encrypted workbook or an .xls


class WorkbookError(Exception):
    """The file cannot be used at all (not found, not a workbook, damaged, not ours). Chinese message."""


@dataclass
class BookData:
    """A workbook read into the model, with problems found while reading (sheet and cell filled in).

    ``properties`` are the workbook's custom document properties: the template version and the scheme it
    was made for (layout.fields.PROPERTY, SCHEME_PROPERTY, SCHEME_DIGEST_PROPERTY).
    """

    path: Path
    evaluation: Evaluation
    findings: list[Finding] = field(default_factory=list)
    properties: dict[str, str] = field(default_factory=dict)

    @property
    def scheme_id(self) -> str:
        return self.properties.get(F.SCHEME_PROPERTY) or self.properties.get(F.SCHEME_NAME_PROPERTY, "")

    @property
    def scheme_digest(self) -> str:
        return self.properties.get(F.SCHEME_DIGEST_PROPERTY, "")

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
    """Refuse an indicator sheet whose header row (row ``INDICATOR_HEADER_ROW``) is not the template's.

    The input columns A–M (every template version has them) are compared; each may carry any label a
    scheme gives it (layout.fields.header_texts: 未完成原因分析 for 偏差原因分析及改进措施, 权重 for 分值 …).
    """
    row = F.INDICATOR_HEADER_ROW
    got = [cell_text(h) for h in list(headers)[: len(F.COLUMNS)]]
    got += [""] * (len(F.COLUMNS) - len(got))
    for c in F.COLUMNS:
        if c.letter > "M" or not c.is_input:
            continue
        if got[F.COLUMNS.index(c)] not in F.header_texts(c.key):
            expected = "、".join(x.header for x in F.COLUMNS if x.letter <= "M")
            raise WorkbookError(
                f"{name} 的“{F.INDICATORS}”表第 {row} 行表头与模板不符（{c.letter} 列应为“{c.header}”，"
                f"现为“{got[F.COLUMNS.index(c)]}”；整行应为：{expected}）。请不要增删或移动模板的列。"
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


#: The block of the 基本信息 sheet that holds every input (A1 to the last field's row, columns A–E), in
#: every template version.
INFO_ROWS = max(max(split_ref(f.cell)[1] for f in F.layout_for(v).fields) for v in F.VERSIONS)
INFO_COLS = 5
#: Columns A.. through the last input column of the 绩效指标 sheet.
INDICATOR_COLS = max(col_index(c.letter) for c in F.INPUT_COLUMNS)


def _cell(grid: Sequence[Sequence[Any]], row: int, col: int) -> Any:
    """grid[row-1][col-1], or None outside a short grid."""
    if row - 1 < len(grid) and col - 1 < len(grid[row - 1]):
        return grid[row - 1][col - 1]
    return None


def _read_info(grid: Sequence[Sequence[Any]], ev: Evaluation, layout: F.Layout) -> None:
    for f in layout.fields:
        col, row = split_ref(f.cell)
        raw = _cell(grid, row, col_index(col))
        if f.kind in ("number", "score", "integer", "percent"):
            value: Any = cell_number(raw)
        else:
            value = cell_text(raw)
        _set(ev, f.key, value)


def _read_indicators(
    rows: Iterable[Sequence[Any]], first: int, findings: list[Finding], layout: F.Layout
) -> list[Indicator]:
    cols = {c.key: col_index(c.letter) - 1 for c in layout.columns}
    max_col = max(cols.values()) + 1
    out: list[Indicator] = []
    for offset, raw in enumerate(rows):
        row = first + offset
        values = tuple(raw)[:max_col] + (None,) * (max_col - len(raw))

        def get(key: str, values: tuple[Any, ...] = values) -> Any:
            return values[cols[key]] if key in cols else None

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
            method=cell_text(get("method")),
            coefficient=cell_number(get("coefficient")),
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
    version: str = F.TEMPLATE_VERSION,
) -> tuple[Evaluation, list[Finding]]:
    """Turn cell values into the model: the one conversion every edge uses (file and live workbook).

    ``info_grid`` is the 基本信息 sheet from A1 (rows of columns A–E; a shorter grid reads as blanks);
    ``indicator_rows`` are the 绩效指标 rows from ``first_row`` down (columns A–M, values as a workbook
    library returns them: numbers, text, dates, None). Blank rows are skipped; each indicator keeps its
    sheet row. ``version`` is the template version the workbook records (its input positions,
    layout.fields.layout_for). Returns the evaluation and the findings made while reading (rows outside the
    template).
    """
    layout = F.layout_for(version)
    ev = Evaluation(budget=Budget(), text=ReportText())
    for key in ("total", *F.FUND_SLOTS):
        setattr(ev.budget, key, FundLine())
    _read_info(info_grid, ev, layout)
    findings: list[Finding] = []
    ev.indicators = _read_indicators(indicator_rows, first_row, findings, layout)
    return ev, findings


def template_version(properties: dict[str, str], info_grid: Sequence[Sequence[Any]]) -> str:
    """The template version a workbook records, or (when its properties were lost) the one whose
    执行率分值 label sits where that version puts it."""
    version = properties.get(F.PROPERTY, "")
    if version in F.VERSIONS:
        return version
    for v in reversed(F.VERSIONS):
        cell = next(f.cell for f in F.layout_for(v).fields if f.key == "execution_weight")
        if "执行率" in cell_text(_cell(info_grid, split_ref(cell)[1], 1)):
            return v
    return F.TEMPLATE_VERSION


def book_properties(path: Path) -> dict[str, str]:
    """The custom document properties of a workbook (docProps/custom.xml), {} when it has none."""
    import re as _re

    try:
        with zipfile.ZipFile(path) as z:
            xml = z.read("docProps/custom.xml").decode("utf-8", "replace")
    except (KeyError, OSError, zipfile.BadZipFile):
        return {}
    out = {}
    for m in _re.finditer(r'<property\b[^>]*\bname="([^"]*)"[^>]*>\s*<vt:\w+>([^<]*)</vt:\w+>', xml):
        out[_unescape(m[1])] = _unescape(m[2])
    return out


def _unescape(text: str) -> str:
    from xml.sax.saxutils import unescape

    return unescape(text, {"&quot;": '"', "&apos;": "'"})


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
        properties = book_properties(path)
        ev, findings = evaluation_from_grids(info, rows, version=template_version(properties, info))
        return BookData(path, ev, findings, properties)
    except WorkbookError:
        raise
    except (KeyError, ValueError, TypeError, InvalidOperation, zipfile.BadZipFile, SyntaxError) as exc:
        raise WorkbookError(f"{path.name} 无法读取（{type(exc).__name__}: {exc}），文件可能已损坏。") from exc
    finally:
        wb.close()
