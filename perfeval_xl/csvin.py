"""The budget system's CSV export → one ``Evaluation`` per unit and 评价对象 (部门整体 or a project).

The file is long: one row per indicator, the unit's columns repeated on each row of that unit or left
blank after its first row (issue 2). Reading it (issue 5):

- Encodings: UTF-8 with or without BOM, then GB18030 (a superset of GBK, what Excel on Chinese Windows
  saves); UTF-16 with a BOM (Excel's “Unicode 文本”). Delimiter: comma, tab or semicolon, whichever splits
  the header into the most known column names. Quoted fields may hold new lines.
- The header is the first of the first 10 records that names known columns (a title line above it is
  allowed). Names are matched after normalising: full-width → half-width, spaces and ``_ - : / 、 *``
  removed, English case-insensitive, a trailing ``(万元)`` or ``(A)``/``(B)`` and a leading ``其中``
  dropped. Accepted names and English aliases are in ``COLUMNS``.
- Every cell is read as text (pandas ``dtype=str``): 单位编码 ``001234`` stays ``001234``; a 单位编码 written
  the Excel way as ``="001234"`` is unwrapped. Numbers are parsed by ``rules.numbers``; a value that is
  not a number stays text in the model (validation reports it). Cells starting with ``=`` ``+`` ``-`` ``@``
  are data, never formulas: they stay text unless they are numbers (``-5``), and writers must write
  them as strings.
- Line numbers are the rows Excel shows when it opens the file (header row included, a record with a new
  line inside quotes counts once).

Grouping: the key is (单位编码, 评价对象), or (单位名称, 评价对象) when the code is blank. A row whose
单位编码, 单位名称 and 评价对象 are all blank belongs to the unit above. A row that names the same unit as
the row above (code or name equal, the other blank) takes the blank code, name and 评价对象 from it.
Other unit columns (budget, texts …) need only be given once per 评价对象; when two rows give different
values, that is an error naming both rows.

A 评价对象 is left out (``CsvResult.skipped``) only when its required values cannot be read: no
评价对象, two rows disagreeing on a unit value (which one is right cannot be told), or a row with more
cells than the header (a comma inside an unquoted cell shifts everything after it). Everything else is
read, findings and all: bad numbers, an over-executed budget and the like are for validation to mark.

Interpretations (issue 5 left them to us):

- Indicator cells are kept as written (``≥266米``, ``不少于12种``, ``90%以上``, ``═``, ``定量指标``,
  ``产出指标(50分)``, ``经济效益⏎指标``): rules.reading reads them — direction, numbers, labels — exactly as it
  reads a workbook's cells, and the workbook written from the CSV holds the same text, which its own
  formulas read the same way. Only a plain number (``95``, ``1,234``) becomes a number.
- 评价类型 blank: 部门整体支出 when 评价对象 is 部门整体 (or 部门整体支出, 整体支出), else 项目支出.
- 项目资金 其中 rows: columns named ``<row>_<column>``, e.g. ``当年财政拨款_年初预算数``,
  ``上年结转资金_全年预算数``, ``其他资金_全年执行数`` (short forms ``当年财政拨款_年初/_全年/_执行``;
  English ``appropriation_initial``, ``carried_over_adjusted``, ``other_funds_executed``).
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Literal

import pandas as pd

from .model import Evaluation, Finding, Indicator, Kind, Level, Num
from .rules.numbers import normalize_width, parse_number

CellKind = Literal["text", "number", "year", "code"]
DEPARTMENT_SUBJECT = "部门整体"
_DEPARTMENT_SUBJECTS = {"部门整体", "部门整体支出", "整体支出"}
_HEADER_SCAN = 10  # records searched for the header
_DELIMITERS = (",", "\t", ";")

# One cell may be long (a whole report pasted into 偏差原因). Python's csv stops at 131 072 characters a
# field and would reject the whole file, so the limit is lifted here, for the process (csv has no per-reader
# setting); text over Excel's 32 767-character cell limit is cut when written, with a TEXT_TOO_LONG warning.
csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))


@dataclass(frozen=True)
class Column:
    """One accepted CSV column: its standard header, where it goes in the model, its other names."""

    name: str
    field: str  # model path (unit columns) or Indicator attribute (indicator columns)
    aliases: tuple[str, ...] = ()
    kind: CellKind = "text"
    indicator: bool = False
    required: bool = False


def _fund_columns() -> list[Column]:
    rows = (
        ("当年财政拨款", "appropriation", ("本年财政拨款",)),
        ("上年结转资金", "carried_over", ("上年结转",)),
        ("其他资金", "other_funds", ()),
    )
    cols = (
        ("年初预算数", "initial", ("年初", "年初预算")),
        ("全年预算数", "adjusted", ("全年", "调整后预算数")),
        ("全年执行数", "executed", ("执行", "全年执行", "执行数")),
    )
    out = []
    for row, attr, row_aliases in rows:
        for col, sub, col_aliases in cols:
            aliases = tuple(f"{r}_{c}" for r in (row, *row_aliases) for c in (col, *col_aliases))
            out.append(Column(f"{row}_{col}", f"budget.{attr}.{sub}", (*aliases, f"{attr}_{sub}"), "number"))
    return out


#: Every accepted column, unit columns first. ``name`` is the standard header (the example CSV uses it).
COLUMNS: tuple[Column, ...] = (
    Column("单位编码", "unit_code", ("unit_code", "单位代码", "预算单位编码"), "code", required=True),
    Column("单位名称", "unit_name", ("unit_name", "预算单位名称", "实施单位"), required=True),
    Column("主管部门", "department", ("department", "主管部门名称")),
    Column("评价年度", "year", ("year", "年度"), "year", required=True),
    Column("评价对象", "project_name", ("subject", "项目名称"), required=True),
    Column("评价类型", "kind", ("kind",)),
    Column("年初预算数", "budget.total.initial", ("budget_initial", "年初预算"), "number"),
    Column(
        "全年预算数", "budget.total.adjusted", ("budget_adjusted", "调整后预算数"), "number", required=True
    ),
    Column(
        "全年执行数", "budget.total.executed", ("executed", "预算执行数", "执行数"), "number", required=True
    ),
    Column("一般公共预算拨款", "budget.general_public", ("general_public",), "number"),
    Column("政府性基金拨款", "budget.government_fund", ("government_fund",), "number"),
    Column("其他收入", "budget.other_income", ("other_income",), "number"),
    Column("基本支出", "budget.basic", ("basic",), "number"),
    Column("工资福利支出", "budget.wages", ("wages",), "number"),
    Column("商品和服务支出", "budget.goods_services", ("goods_services", "一般商品和服务支出"), "number"),
    Column("对个人和家庭的补助", "budget.household_subsidy", ("household_subsidy",), "number"),
    Column("项目支出", "budget.project", ("project_spending",), "number"),
    Column("对企业补助", "budget.enterprise_subsidy", ("enterprise_subsidy", "对企业补助支出"), "number"),
    *_fund_columns(),
    Column("预算执行说明", "budget.note", ("budget_note",)),
    Column("执行率分值", "execution_weight", ("execution_weight", "预算执行率分值"), "number"),
    Column("预期目标", "goal_expected", ("goal_expected", "年度总体目标")),
    Column("实际完成情况", "goal_actual", ("goal_actual", "年度总体目标完成情况")),
    # ReportText (model.py comments give the labels)
    Column("主要职责职能", "text.duties", ("duties",)),
    Column("组织架构和人员情况", "text.organisation", ("organisation", "organization")),
    Column("资产情况", "text.assets", ("assets",)),
    Column("履职总体目标、工作任务及完成情况", "text.tasks", ("tasks",)),
    Column("预算绩效管理开展情况", "text.management", ("management",)),
    Column("整体支出绩效实现情况", "text.achievements", ("achievements",)),
    Column("主要问题及原因分析", "text.problems", ("problems",)),
    Column("改进的方向和具体措施", "text.measures", ("measures",)),
    Column("结果应用和公开情况", "text.publication", ("publication",)),
    Column("填报人", "filled_by", ("filled_by",)),
    Column("填报日期", "filled_on", ("filled_on",)),
    # indicator columns
    Column("一级指标", "level1", ("level1",), indicator=True, required=True),
    Column("二级指标", "level2", ("level2",), indicator=True, required=True),
    Column("三级指标", "name", ("indicator", "三级指标名称", "指标名称"), indicator=True, required=True),
    Column("指标性质", "operator", ("operator", "计算符号"), indicator=True),
    Column("年度指标值", "target", ("target", "指标值"), indicator=True, required=True),
    Column("度量单位", "unit", ("unit", "计量单位"), indicator=True),
    Column("实际完成值", "actual", ("actual", "完成值", "全年实际值"), indicator=True, required=True),
    Column("完成档次", "band", ("band",), indicator=True),
    Column("分值", "weight", ("weight", "权重"), "number", indicator=True, required=True),
    Column("得分", "score", ("score", "自评得分"), "number", indicator=True),
    Column(
        "偏差原因分析及改进措施",
        "deviation_note",
        ("deviation_note", "偏差原因分析", "未完成原因分析", "原因分析"),
        indicator=True,
    ),
)
_BY_NAME = {c.name: c for c in COLUMNS}
_UNIT_COLUMNS = tuple(c for c in COLUMNS if not c.indicator)
_INDICATOR_COLUMNS = tuple(c for c in COLUMNS if c.indicator)
CODE, NAME, SUBJECT, KIND = "单位编码", "单位名称", "评价对象", "评价类型"
_KEY = (CODE, NAME, SUBJECT)
#: Where a finding about a part (not a leaf) of the model points.
_FIELD_FALLBACK = {
    "budget": "全年预算数",
    "budget.total": "全年预算数",
    "budget.appropriation": "当年财政拨款_全年预算数",
    "budget.carried_over": "上年结转资金_全年预算数",
    "budget.other_funds": "其他资金_全年预算数",
    "text": "主要职责职能",
}

_HEADER_DROP = re.compile(r"[\s_\-—–:/、*·.]")
_HEADER_SUFFIX = re.compile(r"\((?:万元|a|b)\)$")


def normalize_header(text: str) -> str:
    """The form in which headers are compared (see module doc)."""
    t = normalize_width(text).replace("（", "(").replace("）", ")").lower()
    t = _HEADER_DROP.sub("", t)
    t = _HEADER_SUFFIX.sub("", t)
    return t.removeprefix("其中")


_ALIASES: dict[str, str] = {}
for _col in COLUMNS:
    for _alias in (_col.name, *_col.aliases):
        _ALIASES.setdefault(normalize_header(_alias), _col.name)


# ------------------------------------------------------------------------------------------ results


@dataclass
class CsvUnit:
    """One 评价对象 read from the file."""

    evaluation: Evaluation
    rows: list[int]  # CSV line numbers (Excel row numbers; header = its own line) of this 评价对象
    locate: Callable[[str], tuple[int, str]]  # Finding.field → (line, column header as in the file)
    findings: list[Finding] = field(default_factory=list)  # reading problems about it, located


@dataclass
class CsvResult:
    units: list[CsvUnit]  # 评价对象 that can be written
    skipped: list[str]  # keys (``单位编码/评价对象``) of those left out: their required values are unreadable
    findings: list[Finding]  # every reading problem (file, rows, units), sheet = file name, cell = 第N行 列名
    encoding: str = ""
    delimiter: str = ""

    @property
    def has_errors(self) -> bool:
        return any(f.level == Level.ERROR for f in self.findings)


def cell_label(line: int, column: str = "") -> str:
    return f"第{line}行 {column}" if column else f"第{line}行"


def locate_findings(unit: CsvUnit, findings: Iterable[Finding], file_name: str) -> list[Finding]:
    """The findings with ``sheet`` = file name and ``cell`` = 第N行 列名 from their model ``field``."""
    out = []
    for f in findings:
        line, column = unit.locate(f.field)
        out.append(replace(f, sheet=f.sheet or file_name, cell=f.cell or cell_label(line, column)))
    return out


# ------------------------------------------------------------------------------------------ reading


def read_csv(path: Path | str, *, line_offset: int = 0) -> CsvResult:
    """Read a budget-system CSV export. Never raises for a bad file: problems come back as findings.

    ``line_offset`` is added to the line of every data record: for a slice of a larger file (its header
    records, then some of its data records) read on its own, so lines are the larger file's (batch.py).
    """
    path = Path(path)
    reader = _Reader(path.name, line_offset)
    try:
        data = path.read_bytes()
    except OSError as exc:
        reason = _os_reason(exc)
        return reader.fail(
            "CSV_OPEN", f"无法打开文件“{path.name}”（{reason}）。请确认路径正确、文件未被其他程序占用。"
        )
    return reader.read(data)


@dataclass
class _Group:
    """The rows of one 评价对象 while reading."""

    key: tuple[str, str]
    label: str
    first_line: int
    lines: list[int] = field(default_factory=list)
    values: dict[str, tuple[str, int]] = field(default_factory=dict)  # column → (text, line)
    indicators: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    unreadable: bool = False
    split_warned: bool = False


class _Reader:
    def __init__(self, file_name: str, line_offset: int = 0) -> None:
        self.file = file_name
        self.line_offset = line_offset  # added to data records' lines (read_csv)
        self.findings: list[Finding] = []
        self.encoding = ""
        self.delimiter = ""
        self.headers: dict[str, str] = {}  # standard name → header as in the file
        self.positions: dict[str, int] = {}  # standard name → column index
        self.header: list[str] = []  # the header record as in the file
        self.header_width = 0

    # -- findings
    def finding(
        self, code: str, level: Level, message: str, line: int = 0, column: str = "", fld: str = ""
    ) -> Finding:
        cell = cell_label(line, column) if line else ""
        return Finding(code, level, message, field=fld, sheet=self.file, cell=cell)

    def fail(self, code: str, message: str, line: int = 0, column: str = "") -> CsvResult:
        self.findings.append(self.finding(code, Level.ERROR, message, line, column))
        return self.result([], [])

    def result(self, units: list[CsvUnit], skipped: list[str]) -> CsvResult:
        return CsvResult(units, skipped, self.findings, self.encoding, self.delimiter)

    # -- the file
    def read(self, data: bytes) -> CsvResult:
        text = self.decode(data)
        if text is None:
            return self.result([], [])
        if not text.strip():
            return self.fail(
                "CSV_EMPTY", f"文件“{self.file}”是空的。请从预算系统重新导出，或在 Excel 中另存为 CSV。"
            )
        try:
            found = self.find_header(text)
            if found is None:
                return self.result([], [])
            table, header_index = found
        except (csv.Error, pd.errors.ParserError, ValueError) as exc:
            return self.fail(
                "CSV_PARSE",
                f"文件“{self.file}”无法按 CSV 读取（{exc}）。请检查引号是否成对，或在 Excel 中重新另存为 CSV。",
            )
        return self.read_rows(table, header_index)

    def decode(self, data: bytes) -> str | None:
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            self.encoding = "utf-16"
            try:
                return data.decode("utf-16")
            except UnicodeDecodeError:
                pass
        elif data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
            self.fail(
                "CSV_NOT_TEXT",
                f"文件“{self.file}”是 Excel 工作簿，不是 CSV。请在 Excel 中“另存为”→“CSV UTF-8（逗号分隔）”后再导入。",
            )
            return None
        elif b"\x00" in data:
            self.fail(
                "CSV_NOT_TEXT",
                f"文件“{self.file}”不是文本文件（含二进制内容），不能按 CSV 读取。请从预算系统导出 CSV（UTF-8 或 GBK 编码）。",
            )
            return None
        else:
            for encoding in ("utf-8-sig", "gb18030"):
                try:
                    text = data.decode(encoding)
                except UnicodeDecodeError:
                    continue
                self.encoding = encoding
                return text
        self.fail(
            "CSV_ENCODING",
            f"无法识别文件“{self.file}”的编码（不是 UTF-8，也不是 GBK/GB18030）。请在 Excel 中另存为“CSV UTF-8（逗号分隔）”。",
        )
        return None

    def find_header(self, text: str) -> tuple[pd.DataFrame, int] | None:
        """Choose delimiter and header record; parse the whole file with pandas, every cell as text."""
        # (known names, cells, delimiter, record index, record): the most known names wins
        best: tuple[int, int, str, int, list[str]] = (0, 0, ",", 0, [])
        for delimiter in _DELIMITERS:
            records = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
            for index, record in enumerate(records):
                if index >= _HEADER_SCAN:
                    break
                known = len({_ALIASES[h] for h in map(normalize_header, record) if h in _ALIASES})
                candidate = (known, len(record), delimiter, index, record)
                if candidate[:2] > best[:2]:
                    best = candidate
        known, _, delimiter, header_index, header = best
        self.delimiter = delimiter
        if known == 0:
            self.fail(
                "CSV_HEADERS_MISSING",
                f"文件“{self.file}”的前{_HEADER_SCAN}行中没有找到表头（应有 单位编码、单位名称、评价年度、评价对象、"
                f"全年预算数、三级指标 等列）。请确认这是预算系统导出的绩效自评数据 CSV。{self.missing_text(set())}",
            )
            return None
        if not self.map_header(header, header_index + 1):
            return None
        width = max(len(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        table = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            header=None,
            names=list(range(width)),
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
        )
        return table.fillna(""), header_index

    def missing_text(self, present: set[str]) -> str:
        missing = [c for c in COLUMNS if c.required and c.name not in present]
        if not missing:
            return ""
        parts = [f"{c.name}（也可写作 {' / '.join(c.aliases)}）" if c.aliases else c.name for c in missing]
        return "缺少必需的列：" + "、".join(parts) + "。"

    def map_header(self, header: list[str], line: int) -> bool:
        seen: dict[str, int] = {}
        for index, text in enumerate(header):
            label = text.strip()
            if not label:
                continue
            name = _ALIASES.get(normalize_header(label))
            if name is None:
                self.findings.append(
                    self.finding(
                        "CSV_COLUMN_UNKNOWN",
                        Level.INFO,
                        f"未识别的列“{label}”，已忽略。如果它是需要导入的数据，请改用标准列名{_suggest(label)}。",
                        line,
                        label,
                    )
                )
                continue
            if name in seen:
                first = header[seen[name]].strip()
                self.fail(
                    "CSV_HEADER_DUPLICATE",
                    f"表头中“{first}”（第{seen[name] + 1}列）和“{label}”（第{index + 1}列）都表示“{name}”。请删除其中一列后再导入。",
                    line,
                    label,
                )
                return False
            seen[name] = index
            self.headers[name] = label
        self.positions = seen
        missing = self.missing_text(set(seen))
        if missing:
            self.fail(
                "CSV_HEADERS_MISSING",
                f"文件“{self.file}”{missing}请在表头（第{line}行）补上这些列。",
                line,
            )
            return False
        self.header = header
        self.header_width = len(header)
        return True

    # -- the rows
    def read_rows(self, table: pd.DataFrame, header_index: int) -> CsvResult:
        groups: dict[tuple[str, str], _Group] = {}
        previous: tuple[_Group, dict[str, tuple[str, int]]] | None = None
        unnamed = [i for i, h in enumerate(self.header) if not h.strip()]
        for index, record in enumerate(table.to_numpy(dtype=object).tolist()):
            if index <= header_index:
                continue
            line = index + 1 + self.line_offset
            cells = {name: _clean(record[pos]) for name, pos in self.positions.items()}
            extra = [i for i in range(self.header_width, len(record)) if record[i].strip()]
            unnamed = self.warn_unnamed(unnamed, record, line)
            if not any(cells.values()) and not extra:
                continue  # a blank line
            ident = self.identify(cells, line, previous)
            if ident is None:
                continue
            group = self.group(groups, ident, line, previous)
            group.lines.append(line)
            if extra:
                group.unreadable = True
                group.findings.append(
                    self.finding(
                        "CSV_ROW_TOO_LONG",
                        Level.ERROR,
                        f"第{line}行比表头多出{len(record) - self.header_width}个单元格（从第{self.header_width + 1}列起），"
                        "可能是某个单元格含未加引号的逗号，使后面的值错位。请在 Excel 中修正后重新导出。该评价对象未导入。",
                        line,
                    )
                )
            self.collect(group, cells, ident, line)
            if any(cells.get(c.name) for c in _INDICATOR_COLUMNS):
                group.indicators.append((line, cells))
            previous = (group, ident)
        order = list(groups.values())
        _share_unit_values(order)
        units, skipped = [], []
        for group in order:
            if group.unreadable:
                skipped.append(group.label)
                self.findings.extend(group.findings)
                continue
            unit = self.build(group)
            self.findings.extend(unit.findings)
            units.append(unit)
        if not order and not any(f.level == Level.ERROR for f in self.findings):
            message = f"文件“{self.file}”只有表头，没有数据行。请从预算系统重新导出。"
            self.findings.append(self.finding("CSV_NO_DATA", Level.ERROR, message))
        return self.result(units, skipped)

    def warn_unnamed(self, unnamed: list[int], record: list[str], line: int) -> list[int]:
        """Warn once about each column without a header that holds data; the columns still unwarned."""
        for i in [i for i in unnamed if record[i].strip()]:
            message = f"第{i + 1}列没有列名，但有数据（如第{line}行），已忽略。如需导入，请补上列名。"
            self.findings.append(self.finding("CSV_COLUMN_UNNAMED", Level.WARNING, message, line))
            unnamed = [j for j in unnamed if j != i]
        return unnamed

    def group(
        self,
        groups: dict[tuple[str, str], _Group],
        ident: dict[str, tuple[str, int]],
        line: int,
        previous: tuple[_Group, dict[str, tuple[str, int]]] | None,
    ) -> _Group:
        """The 评价对象 a row belongs to (new ones are added to ``groups``)."""
        code = str(_value(_BY_NAME[CODE], ident[CODE][0]))
        key = (code or ident[NAME][0], _subject(ident[SUBJECT][0]))
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Group(key, f"{key[0]}/{key[1] or '（评价对象为空）'}", line)
            if not key[1]:
                group.unreadable = True
                message = f"第{line}行开始新的单位“{key[0]}”，但“评价对象”为空。请填写“部门整体”或项目名称。该单位未导入。"
                group.findings.append(
                    self.finding("CSV_SUBJECT_MISSING", Level.ERROR, message, line, self.headers[SUBJECT])
                )
        elif previous is not None and previous[0] is not group and not group.split_warned:
            group.split_warned = True
            message = (
                f"评价对象“{group.label}”的行不连续（第{group.lines[-1]}行之后又出现在第{line}行），已合并。"
                "请确认不是重复导出。"
            )
            group.findings.append(
                self.finding("CSV_UNIT_SPLIT", Level.WARNING, message, line, self.headers[SUBJECT])
            )
        return group

    def identify(
        self,
        cells: dict[str, str],
        line: int,
        previous: tuple[_Group, dict[str, tuple[str, int]]] | None,
    ) -> dict[str, tuple[str, int]] | None:
        """单位编码, 单位名称, 评价对象 of a row, each with the line it was given on (blanks inherited)."""
        own = {k: (cells[k], line) for k in _KEY}
        code, name, subject = (cells[k] for k in _KEY)
        if not code and not name and not subject:
            if previous is None:
                self.findings.append(
                    self.finding(
                        "CSV_NO_UNIT",
                        Level.ERROR,
                        f"第{line}行没有单位编码、单位名称和评价对象，上面也没有可沿用的单位行，已跳过。请填写这三列。",
                        line,
                        self.headers[CODE],
                    )
                )
                return None
            return previous[1]
        if previous is None:
            return own
        before = previous[1]
        if not _same_unit(code, name, before[CODE][0], before[NAME][0]):
            return own
        out = dict(own)
        for k in (CODE, NAME):
            if not cells[k]:
                out[k] = before[k]
        if not subject:
            out[SUBJECT] = before[SUBJECT]
        return out

    def collect(
        self, group: _Group, cells: dict[str, str], ident: dict[str, tuple[str, int]], line: int
    ) -> None:
        """Record the row's unit values; a value differing from an earlier row's is an error."""
        given = {c.name: (cells[c.name], line) for c in _UNIT_COLUMNS if cells.get(c.name)}
        given.update({k: v for k, v in ident.items() if v[0]})
        if SUBJECT in given:
            given[SUBJECT] = (_subject(given[SUBJECT][0]), given[SUBJECT][1])
        for name, (text, at) in given.items():
            known = group.values.get(name)
            if known is None:
                group.values[name] = (text, at)
                continue
            if _same_value(_BY_NAME[name], known[0], text):
                continue
            group.unreadable = True
            header = self.headers.get(name, name)
            group.findings.append(
                self.finding(
                    "CSV_UNIT_CONFLICT",
                    Level.ERROR,
                    f"评价对象“{group.label}”的“{header}”前后不一致：第{known[1]}行为“{known[0]}”，第{at}行为“{text}”。"
                    "请核对后改为同一个值。该评价对象未导入。",
                    at,
                    header,
                    _BY_NAME[name].field,
                )
            )

    # -- the model
    def build(self, group: _Group) -> CsvUnit:
        ev = Evaluation()
        findings: list[Finding] = []
        for name, (text, _) in group.values.items():
            column = _BY_NAME[name]
            if name == SUBJECT:
                continue
            if name == KIND:
                ev.kind = _kind(text)
                continue
            _assign(ev, column.field, _value(column, text))
        subject = group.key[1]
        if KIND not in group.values:
            ev.kind = Kind.DEPARTMENT if subject == DEPARTMENT_SUBJECT else Kind.PROJECT
        ev.project_name = "" if subject == DEPARTMENT_SUBJECT else subject
        lines: list[int] = []
        sources: list[dict[str, str]] = []  # per indicator: attribute → column it was read from
        for line, cells in group.indicators:
            indicator, source, problems = self.indicator(cells, line, len(ev.indicators))
            ev.indicators.append(indicator)
            lines.append(line)
            sources.append(source)
            findings.extend(problems)
        where = {name: at for name, (_, at) in group.values.items()}
        locate = self.locator(group.first_line, where, lines, sources)
        if (ev.kind == Kind.PROJECT) == (subject == DEPARTMENT_SUBJECT) and ev.kind in (
            Kind.PROJECT,
            Kind.DEPARTMENT,
        ):
            line, column = locate("kind")
            findings.append(
                self.finding(
                    "CSV_KIND_SUBJECT",
                    Level.WARNING,
                    f"评价对象为“{subject}”，评价类型却是“{ev.kind}”。部门整体应为“部门整体支出”，项目应为“项目支出”，请核对。",
                    line,
                    column,
                    "kind",
                )
            )
        return CsvUnit(ev, list(group.lines), locate, [*group.findings, *findings])

    def indicator(
        self, cells: dict[str, str], line: int, index: int
    ) -> tuple[Indicator, dict[str, str], list[Finding]]:
        """One indicator row as written: labels, 指标性质 and values are kept as the file has them (``≥266米``
        stays ``≥266米``); rules.reading reads them, the same way it reads a workbook's cells."""
        get = cells.get
        source = {c.field: c.name for c in _INDICATOR_COLUMNS if c.name in self.headers}
        indicator = Indicator(
            level1=get("一级指标", ""),
            level2=get("二级指标", ""),
            name=get("三级指标", ""),
            operator=get("指标性质", ""),
            target=_value_cell(get("年度指标值", "")),
            unit=get("度量单位", ""),
            actual=_value_cell(get("实际完成值", "")),
            band=get("完成档次", ""),
            weight=parse_number(get("分值", "")),
            score=parse_number(get("得分", "")),
            deviation_note=get("偏差原因分析及改进措施", ""),
            method=get("计分方法", ""),
            coefficient=_value_cell(get("得分系数", "")),
            row=line,
        )
        return indicator, source, []

    def locator(
        self, first_line: int, where: dict[str, int], lines: list[int], sources: list[dict[str, str]]
    ) -> Callable[[str], tuple[int, str]]:
        headers = dict(self.headers)
        by_field = {c.field: c.name for c in _UNIT_COLUMNS}
        by_field["subject"] = SUBJECT
        pattern = re.compile(r"indicators\[(\d+)\](?:\.(\w+))?")

        def header(name: str) -> str:
            return headers.get(name, name)

        def locate(path: str) -> tuple[int, str]:
            m = pattern.match(path)
            if m:
                i = int(m[1])
                if not 0 <= i < len(lines):
                    return (lines[0] if lines else first_line), ""
                attr = m[2]
                if attr is None:
                    return lines[i], header("三级指标")
                name = sources[i].get(attr) or next(
                    (c.name for c in _INDICATOR_COLUMNS if c.field == attr), ""
                )
                return lines[i], header(name) if name else ""
            if path == "indicators":
                return (lines[0] if lines else first_line), header("三级指标")
            name = by_field.get(path) or _FIELD_FALLBACK.get(path)
            if name is None:
                name = next((n for f, n in by_field.items() if f.startswith(path + ".")), "") if path else ""
            if not name:
                return first_line, ""
            return where.get(name, first_line), header(name)

        return locate


# ------------------------------------------------------------------------------------------ helpers


#: Columns that describe the unit rather than one 评价对象: a project's rows may leave them to the
#: unit's other rows (its 部门整体 rows, say).
_SHARED = (NAME, "主管部门", "评价年度")


def _share_unit_values(groups: list[_Group]) -> None:
    """Give each 评价对象 the unit's 单位名称, 主管部门, 评价年度 when its own rows leave them blank."""
    known: dict[tuple[str, str], tuple[str, int]] = {}
    for group in groups:
        for name in _SHARED:
            if name in group.values:
                known.setdefault((group.key[0], name), group.values[name])
    for group in groups:
        for name in _SHARED:
            if name not in group.values and (group.key[0], name) in known:
                group.values[name] = known[group.key[0], name]


def _same_unit(code: str, name: str, code_before: str, name_before: str) -> bool:
    """Whether a row names the unit of the row above: by code when both have one, else by name."""
    code, code_before = (str(_value(_BY_NAME[CODE], c)) for c in (code, code_before))
    if code and code_before:
        return code == code_before  # a different name on the same code is a conflict, found later
    if not code and not name:
        return True  # only 评价对象 given: another 评价对象 of the same unit
    return bool(name) and name == name_before


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "文件不存在"
    if isinstance(exc, IsADirectoryError):
        return "这是一个文件夹"
    if isinstance(exc, PermissionError):
        return "没有读取权限"
    return exc.strerror or type(exc).__name__


def _clean(value: object) -> str:
    return str(value).strip() if value is not None else ""


def _subject(text: str) -> str:
    t = re.sub(r"\s", "", normalize_width(text))
    return DEPARTMENT_SUBJECT if t in _DEPARTMENT_SUBJECTS else text


def _kind(text: str) -> str:
    t = re.sub(r"\s", "", text)
    if t in ("部门整体支出", "部门整体", "整体支出", "部门"):
        return Kind.DEPARTMENT
    if t in ("项目支出", "项目"):
        return Kind.PROJECT
    return text


def _value(column: Column, text: str) -> Num:
    if column.kind == "number":
        return parse_number(text)
    if column.kind == "year":
        year = re.sub(r"年度?$", "", text.strip())
        value = parse_number(year)
        return value if isinstance(value, Decimal) else text
    if column.kind == "code":
        m = re.fullmatch(r'="(.*)"', text)  # Excel's way of keeping leading zeros
        return normalize_width(m[1] if m else text).strip()
    return text


def _same_value(column: Column, a: str, b: str) -> bool:
    va, vb = _value(column, a), _value(column, b)
    if isinstance(va, Decimal) and isinstance(vb, Decimal):
        return va == vb
    return str(va).strip() == str(vb).strip()


def _assign(ev: Evaluation, path: str, value: Num) -> None:
    *parents, leaf = path.split(".")
    target: object = ev
    for part in parents:
        target = getattr(target, part)
    setattr(target, leaf, value)


_PLAIN_NUMBER = re.compile(r"[\s0-9０-９.,，．+\-－−]+")


def _value_cell(text: str) -> Num:
    """A value cell (年度指标值, 实际完成值, 得分系数) as the model keeps it: a plain number as a Decimal
    (``1,234`` → 1234), anything else as written (``≥266米``, ``95%``, ``效果明显``)."""
    value = parse_number(text)
    if isinstance(value, Decimal) and _PLAIN_NUMBER.fullmatch(text):
        return value
    return text.strip() or None


def _suggest(label: str) -> str:
    """``（如“全年预算数”）`` when a standard name looks like ``label`` (for the unknown-column message)."""
    match = difflib.get_close_matches(
        normalize_width(label.strip()), [c.name for c in COLUMNS], n=1, cutoff=0.5
    )
    return f"（如“{match[0]}”）" if match else ""


__all__ = [
    "COLUMNS",
    "Column",
    "CsvResult",
    "CsvUnit",
    "cell_label",
    "locate_findings",
    "normalize_header",
    "read_csv",
]
