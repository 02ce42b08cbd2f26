"""Read a workbook file into the model: the one reader behind every command.

``read_workbook`` is how a workbook file becomes an ``Evaluation`` for validate, score, summary, report,
pdf, collect and the add-in's file paths; ``evaluation_from_grids`` is the one conversion from cell values
to the model, shared with the live workbook (``perfeval_xl.excel``), which reads its grids through xlwings.

How the file is read (``xlsx.package`` opens it within its limits, ``xlsx.cells`` finds the cells):

- Only the two input sheets (基本信息, 绩效指标) are read, and on them only the input columns (letters from
  ``layout.fields``), sparse: what a sheet declares as its size (``<dimension>``) is ignored, every row
  holding data is read, and a stray value far away (XFD1048576) costs nothing.
- Strict Open XML is read like any other workbook (``Package`` resolves its namespaces), so every command
  gives it the same answer.
- A formula in an input cell counts with its stored result, as Excel and WPS saved it, and is reported
  (``FORMULA_IN_INPUT``, a warning naming the cell and the formula). A formula with no stored result
  (written by a program, never opened in Excel) has no value we could honestly use: the cell reads as
  blank and ``FORMULA_NO_VALUE`` (an error) says to open and save the file in Excel or WPS.
- A label range merged down its group (一级/二级 merged over the group's rows, as the official table shows
  them) gives every row of the range its value (``MERGED_LABEL_KEYS``); other merged cells keep their value
  in the top-left cell only, as Excel holds them.
- Limits checked before the work: parts (``xlsx.package``), and data on 绩效指标 below row
  ``MAX_INDICATOR_ROW`` (the template's last row + ``EXTRA_ROWS``) makes the file unusable
  (``WorkbookError``) without reading further — a sheet of a million filled rows costs the time to reach
  the first row too far.
- A damaged part (a shared-string index out of range, ``1E999``, a corrupt deflate stream, a date that is
  not one) is a ``WorkbookError`` naming the file, the sheet and the cell: exit 2, never a traceback.
- No library warning reaches the console: the reader uses none, and filters warnings while it runs.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from .. import catalog
from ..layout import fields as F
from ..layout.spec import col_index, split_ref
from ..model import Budget, Evaluation, Finding, FundLine, Indicator, Level, Num, ReportText
from ..rules import vocab
from .cells import CellError, CellFormats, RawCell, RowLimit, SharedStrings, col_name, make_decoder, scan
from .package import SUPPORTED, Package, WorkbookError

__all__ = [
    "INDICATOR_COLS",
    "INFO_COLS",
    "INFO_ROWS",
    "MAX_INDICATOR_ROW",
    "SUPPORTED",
    "BookData",
    "FormulaCell",
    "WorkbookError",
    "accepted_headers",
    "book_properties",
    "cell_number",
    "cell_text",
    "check_header",
    "check_sheets",
    "custom_properties",
    "evaluation_from_grids",
    "has_entries",
    "read_package",
    "read_workbook",
    "sheet_values",
    "template_version",
]

catalog.code(
    "FORMULA_IN_INPUT",
    Level.WARNING,
    "输入单元格中是公式",
    "输入单元格填的是公式（如 =1800+852.84）：按文件中保存的计算结果读取，并提示核对。",
    "workbook",
)
catalog.code(
    "FORMULA_NO_VALUE",
    Level.ERROR,
    "公式没有保存计算结果",
    "输入单元格中的公式在文件里没有计算结果（由程序生成、未在 Excel/WPS 中保存过），无法读取其数值。",
    "workbook",
)
catalog.code(
    "ROW_OUTSIDE_TEMPLATE",
    Level.WARNING,
    "指标写在模板公式区域之外",
    "指标写在模板公式区域之外，工作簿不会自动计分。",
    "workbook",
)

#: Rows of data allowed below the template's indicator area; data further down makes the file unusable.
EXTRA_ROWS = 2000
MAX_INDICATOR_ROW = F.INDICATOR_LAST_ROW + EXTRA_ROWS
#: Indicator columns whose merged ranges give every row the merged value (the official table's groups).
MERGED_LABEL_KEYS = ("level1", "level2")
#: Other header texts accepted per 绩效指标 column key, besides ``Column.header`` (``accepted_headers``).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {}


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


@dataclass(frozen=True)
class FormulaCell:
    """A formula found in a cell: its text (without ``=``; "" when shared from another cell) and whether
    the file stored its result."""

    formula: str
    has_value: bool = True


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


def _normal_header(text: str) -> str:
    """A header as compared: no white space or line breaks, full-width brackets as ASCII."""
    return "".join(text.split()).replace("（", "(").replace("）", ")")


def accepted_headers(column: F.Column) -> tuple[str, ...]:
    """The header texts a 绩效指标 column may carry: its own, every label a scheme gives it
    (layout.fields.header_texts: 权重 for 分值, 未完成原因分析 for 偏差原因分析及改进措施 …) and the
    aliases of ``HEADER_ALIASES``. The one place that decides what a header may say.
    """
    return (column.header, *sorted(F.header_texts(column.key)), *HEADER_ALIASES.get(column.key, ()))


def check_sheets(sheetnames: Sequence[str], name: str) -> None:
    """Refuse a workbook without the input sheets of a perfeval-xl template (WorkbookError).

    Only the input sheets are required: a missing 自评表 or 校验结果 is added again by the commands that
    write them, and sheets a clerk added are kept. A renamed input sheet is a missing one, named.
    """
    missing = [s for s in (F.INFO, F.INDICATORS) if s not in sheetnames]
    if missing:
        present = "、".join(f"“{s}”" for s in sheetnames[:12]) or "无"
        raise WorkbookError(
            f"{name} 不是 perfeval-xl 自评工作簿：缺少工作表“{'”“'.join(missing)}”（工作簿中的工作表：{present}）。"
            "若改过工作表名称，请改回原名；否则请用 perfeval-xl template 生成模板，把数据填入模板后再试。"
        )


def check_header(headers: Sequence[Any], name: str) -> None:
    """Refuse an indicator sheet whose header row (row ``INDICATOR_HEADER_ROW``) is not the template's.

    Every column from A to M (the columns every template version has; version 2 adds 问题, 计分方法 and
    得分系数 after them) must carry one of its ``accepted_headers``.
    """
    row = F.INDICATOR_HEADER_ROW
    got = list(headers)[:HEADER_COLS]
    got += [None] * (HEADER_COLS - len(got))
    for column in F.COLUMNS:
        index = col_index(column.letter) - 1
        if index >= HEADER_COLS:
            continue
        text = _normal_header(cell_text(got[index]))
        if text not in {_normal_header(h) for h in accepted_headers(column)}:
            expected = [c.header for c in F.COLUMNS if col_index(c.letter) <= HEADER_COLS]
            raise WorkbookError(
                f"{name} 的“{F.INDICATORS}”表第 {row} 行表头与模板不符：{column.letter}{row} 应为“{column.header}”，"
                f"实为“{cell_text(got[index]) or '（空）'}”（应为：{'、'.join(expected)}）。请不要增删或移动模板的列。"
            )


#: The block of the 基本信息 sheet that holds every input (A1 to the last field's row, columns A–E), in
#: every template version.
INFO_ROWS = max(F.layout_for(v).info_rows for v in F.VERSIONS)
INFO_COLS = 5
#: Columns A.. through the last input column of the 绩效指标 sheet.
INDICATOR_COLS = max(col_index(c.letter) for c in F.INPUT_COLUMNS)
#: Columns A..M: the header every template version shares.
HEADER_COLS = col_index("M")
_INPUT_LETTERS = frozenset(c.letter for c in F.INPUT_COLUMNS)


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
    merged: Iterable[tuple[int, int, int, int]] = (),
    formulas: Mapping[tuple[str, str], FormulaCell] | None = None,
    version: str = F.TEMPLATE_VERSION,
) -> tuple[Evaluation, list[Finding]]:
    """Turn cell values into the model: the one conversion every edge uses (file and live workbook).

    ``info_grid`` is the 基本信息 sheet from A1 (rows of columns A–E; a shorter grid reads as blanks);
    ``indicator_rows`` are the 绩效指标 rows from ``first_row`` down (columns A–M, values as a workbook
    library returns them: numbers, text, dates, None). Blank rows are skipped; each indicator keeps its
    sheet row. ``merged``: the 绩效指标 sheet's merged ranges (first row, first column, last row, last
    column; 1-based): a range in a ``MERGED_LABEL_KEYS`` column gives its value to every row it covers
    that has something else entered (down its first column; other columns of a 2-D merge stay blank).
    ``formulas``: (sheet, cell) → ``FormulaCell`` for cells that hold a formula (their grid value is the
    stored result, None when there is none); those in input cells are reported. ``version`` is the
    template version the workbook records: its input positions (layout.fields.layout_for). Returns the
    evaluation and the findings made while reading (formulas in inputs, rows outside the template).
    """
    layout = F.layout_for(version)
    rows = [list(r) for r in indicator_rows]
    _fill_merged_labels(rows, first_row, merged)
    ev = Evaluation(budget=Budget(), text=ReportText())
    for key in ("total", *F.FUND_SLOTS):
        setattr(ev.budget, key, FundLine())
    _read_info(info_grid, ev, layout)
    findings: list[Finding] = _formula_findings(formulas or {}, info_grid, rows, first_row, layout)
    ev.indicators = _read_indicators(rows, first_row, findings, layout)
    return ev, findings


def _fill_merged_labels(
    rows: list[list[Any]], first_row: int, merged: Iterable[tuple[int, int, int, int]]
) -> None:
    """Every row of a merged label range gets the range's value (its top-left cell's), in place."""
    label_cols = {col_index(F.COLUMN_BY_KEY[k].letter) for k in MERGED_LABEL_KEYS}
    for r1, c1, r2, _c2 in merged:
        if c1 not in label_cols or r1 < first_row or r2 <= r1:
            continue
        top = r1 - first_row
        if top >= len(rows) or c1 - 1 >= len(rows[top]):
            continue
        value = rows[top][c1 - 1]
        for r in range(top + 1, min(r2 - first_row + 1, len(rows))):
            row = rows[r]
            if c1 - 1 < len(row) and row[c1 - 1] in (None, "") and has_entries(row):
                row[c1 - 1] = value  # a row with nothing else entered stays blank (no indicator)


_ENTRY_INDEXES = tuple(col_index(c.letter) - 1 for c in F.INPUT_COLUMNS if c.key not in MERGED_LABEL_KEYS)


def has_entries(row: Sequence[Any]) -> bool:
    """Whether a 绩效指标 row (values from column A) has something entered besides its 一级/二级 labels."""
    return any(i < len(row) and row[i] not in (None, "") for i in _ENTRY_INDEXES)


def _formula_findings(
    formulas: Mapping[tuple[str, str], FormulaCell],
    info_grid: Sequence[Sequence[Any]],
    rows: Sequence[Sequence[Any]],
    first_row: int,
    layout: F.Layout,
) -> list[Finding]:
    info_cells = {f.cell for f in layout.fields}
    input_letters = {c.letter for c in layout.columns}
    out = []
    for (sheet, ref), formula in sorted(formulas.items(), key=lambda x: (x[0][0], *_order(x[0][1]))):
        col, row = split_ref(ref)
        if sheet == F.INFO and ref in info_cells:
            value = _cell(info_grid, row, col_index(col))
        elif sheet == F.INDICATORS and col in input_letters and row >= first_row:
            value = _cell(rows, row - first_row + 1, col_index(col))
        else:
            continue
        shown = f"公式 ={formula.formula}" if formula.formula else "公式"
        if formula.has_value:
            result = cell_text(value) or "（空）"
            out.append(
                Finding(
                    "FORMULA_IN_INPUT",
                    Level.WARNING,
                    f"此处填的是{shown}，已按文件中保存的计算结果 {result} 读取；请核对结果，"
                    "最好直接填写数值（公式引用的单元格变动时结果会随之改变）。",
                    sheet=sheet,
                    cell=ref,
                )
            )
        else:
            out.append(
                Finding(
                    "FORMULA_NO_VALUE",
                    Level.ERROR,
                    f"此处填的是{shown}，但文件中没有保存它的计算结果（文件由其他程序生成，未在 Excel/WPS 中保存过），"
                    "无法读取数值，按未填写处理。请用 Excel 或 WPS 打开本工作簿并保存一次，或直接填写数值。",
                    sheet=sheet,
                    cell=ref,
                )
            )
    return out


def _order(ref: str) -> tuple[int, int]:
    col, row = split_ref(ref)
    return row, col_index(col)


# ------------------------------------------------------------------------------------------ the file


def read_workbook(path: Path) -> BookData:
    """Read a filled perfeval-xl workbook (see module doc). Raises WorkbookError when it cannot be used."""
    path = Path(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Package(path) as pkg:
            return read_package(pkg)


def read_package(pkg: Package) -> BookData:
    """``read_workbook`` on an opened package (the writer reads the workbook it is about to change)."""
    check_sheets([s.name for s in pkg.sheets], pkg.name)
    parts = {}
    for sheet in (F.INFO, F.INDICATORS):
        ref = pkg.sheet(sheet)
        if ref is None or not ref.part or ref.kind != "worksheet":
            raise WorkbookError(
                f"{pkg.name} 的工作表“{sheet}”不是普通工作表或内容缺失，文件可能已损坏，请用 Excel 打开检查后另存。"
            )
        parts[sheet] = ref.part
    decoder = make_decoder(
        SharedStrings(_workbook_part(pkg, "sharedStrings")),
        CellFormats(_workbook_part(pkg, "styles")),
        pkg.date1904,
    )
    sheet = F.INFO
    try:
        info = scan(_sheet_xml(pkg, parts[F.INFO], F.INFO), _INFO_LETTERS, decoder, last_row=INFO_ROWS)
        sheet = F.INDICATORS
        indicators = scan(
            _sheet_xml(pkg, parts[F.INDICATORS], F.INDICATORS),
            _INPUT_LETTERS,
            decoder,
            first_row=F.INDICATOR_HEADER_ROW,
            stop_row=MAX_INDICATOR_ROW + 1,
            extra=(F.INDICATOR_HEADER_ROW, [col_name(c) for c in range(1, INDICATOR_COLS + 1)]),
        )
    except CellError as exc:
        raise WorkbookError(
            f"{pkg.name} 的“{sheet}”表已损坏：{exc}。请用 Excel 打开检查，修正该单元格后另存。"
        ) from exc
    except RowLimit as exc:
        raise WorkbookError(
            f"{pkg.name} 的“{F.INDICATORS}”表第 {exc.row} 行有数据，超出模板的指标区域"
            f"（第 {F.INDICATOR_FIRST_ROW}–{F.INDICATOR_LAST_ROW} 行）{EXTRA_ROWS} 行以上，"
            "不是正常的自评工作簿，已拒绝读取。请把指标移到模板区域内，删除多余的行后再交回。"
        ) from exc
    header = [_value(indicators.cells, F.INDICATOR_HEADER_ROW, c) for c in range(1, INDICATOR_COLS + 1)]
    check_header(header, pkg.name)
    info_grid = _grid(info.cells, 1, INFO_ROWS, INFO_COLS)
    last = max((r for r, _ in indicators.cells), default=F.INDICATOR_HEADER_ROW)
    rows = _grid(indicators.cells, F.INDICATOR_FIRST_ROW, last, INDICATOR_COLS)
    formulas = {
        (name, f"{col_name(c)}{r}"): FormulaCell(cell.formula, cell.cached)
        for name, cells in ((F.INFO, info.cells), (F.INDICATORS, indicators.cells))
        for (r, c), cell in cells.items()
        if cell.formula is not None
    }
    properties = package_properties(pkg)
    ev, findings = evaluation_from_grids(
        info_grid,
        rows,
        merged=indicators.merges,
        formulas=formulas,
        version=template_version(properties, info_grid),
    )
    return BookData(pkg.path, ev, findings, properties)


_INFO_LETTERS = sorted({split_ref(f.cell)[0] for v in F.VERSIONS for f in F.layout_for(v).fields})


def template_version(properties: Mapping[str, str], info_grid: Sequence[Sequence[Any]]) -> str:
    """The template version a workbook records (its ``perfeval-xl`` property), or, when its properties
    were lost (a copy made by another program), the newest version whose 执行率分值 label sits where that
    version puts it; the current version when neither tells."""
    version = properties.get(F.PROPERTY, "")
    if version in F.VERSIONS:
        return version
    for v in reversed(F.VERSIONS):
        cell = next(f.cell for f in F.layout_for(v).fields if f.key == "execution_weight")
        if "执行率" in cell_text(_cell(info_grid, split_ref(cell)[1], 1)):
            return v
    return F.TEMPLATE_VERSION


_PROPERTY = re.compile(r"<(?:[\w.-]+:)?property\b([^>]*)>(.*?)</(?:[\w.-]+:)?property>", re.S)
_NAME_ATTR = re.compile(r'\bname="([^"]*)"')
_TAG = re.compile(r"<[^>]*>")


def custom_properties(xml: str) -> dict[str, str]:
    """name → text of the custom document properties in a docProps/custom.xml, as any program writes them
    (``<vt:lpwstr>`` with or without attributes or namespace declarations, other prefixes, other types)."""
    out = {}
    for m in _PROPERTY.finditer(xml):
        name = _NAME_ATTR.search(m[1])
        if name:
            out[html.unescape(name[1])] = html.unescape(_TAG.sub("", m[2])).strip()
    return out


def package_properties(pkg: Package) -> dict[str, str]:
    """The custom document properties (docProps/custom.xml) of an opened package; {} when it has none."""
    part = pkg.find("docProps/custom.xml")
    return custom_properties(pkg.text(part)) if part else {}


def book_properties(path: Path) -> dict[str, str]:
    """The custom document properties of a workbook file; {} when it has none or cannot be opened."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Package(Path(path)) as pkg:
                return package_properties(pkg)
    except WorkbookError:
        return {}


def sheet_values(
    pkg: Package, sheet: str, letters: Iterable[str], *, first_row: int = 1, last_row: int = MAX_INDICATOR_ROW
) -> dict[tuple[int, int], Any]:
    """(row, column) → value of the non-empty cells of ``letters`` on ``sheet`` (the writer reads the
    old 校验结果 with it). Damage is a WorkbookError; rows past ``last_row`` are not read."""
    ref = pkg.sheet(sheet)
    if ref is None or not ref.part:
        return {}
    decoder = make_decoder(
        SharedStrings(_workbook_part(pkg, "sharedStrings")), CellFormats(None), pkg.date1904
    )
    try:
        cells = scan(pkg.read(ref.part), letters, decoder, first_row=first_row, last_row=last_row)
    except CellError as exc:
        raise WorkbookError(f"{pkg.name} 的“{sheet}”表已损坏：{exc}。请用 Excel 打开检查后另存。") from exc
    return {k: c.value for k, c in cells.cells.items()}


def _grid(cells: Mapping[tuple[int, int], RawCell], first: int, last: int, width: int) -> list[list[Any]]:
    """Rows ``first``..``last``, columns 1..``width`` of sparse cells, blanks as None."""
    grid: list[list[Any]] = [[None] * width for _ in range(max(0, last - first + 1))]
    for (r, c), cell in cells.items():
        if first <= r <= last and c <= width:
            grid[r - first][c - 1] = cell.value
    return grid


def _value(cells: Mapping[tuple[int, int], RawCell], row: int, col: int) -> Any:
    cell = cells.get((row, col))
    return None if cell is None else cell.value


def _sheet_xml(pkg: Package, part: str, sheet: str) -> bytes:
    """A worksheet part's XML, refused when it is cut short (it must end with its root's end tag)."""
    xml = pkg.read(part)
    if not xml.rstrip().endswith(b"worksheet>"):
        raise WorkbookError(
            f"{pkg.name} 的“{sheet}”表内容不完整（XML 被截断），文件已损坏。请用 Excel 打开检查后另存，"
            "或向交回者索取完整的文件。"
        )
    return xml


def _workbook_part(pkg: Package, kind: str) -> bytes | None:
    """The workbook's shared strings or styles part (by relationship, else by its usual name)."""
    for rel in pkg.rels(pkg.workbook_part):
        if rel.kind == kind and not rel.external:
            part = pkg.find(pkg.resolve(pkg.workbook_part, rel.target))
            if part:
                return pkg.read(part)
    usual = pkg.find(f"xl/{kind}.xml")
    return pkg.read(usual) if usual else None
