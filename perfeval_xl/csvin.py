"""The budget system's CSV export → one ``Evaluation`` per unit and 评价对象 (部门整体 or a project).

The file is long: one row per indicator, the unit's columns repeated on each row of that unit or left
blank after its first row (issue 2). Reading it (issue 5, issue 9 §4–5, issue 12):

- Encodings: UTF-8 with or without BOM, then GB18030 (a superset of GBK, what Excel on Chinese Windows
  saves); UTF-16 with a BOM (Excel's “Unicode 文本”). A file that is UTF-8 except for a few stray bytes (a
  BOM, or at least ``UTF8_MAJORITY`` valid non-ASCII characters per bad byte; GBK text decoded as UTF-8
  has far more bad bytes than good characters) is read as UTF-8: each bad byte becomes U+FFFD and each
  damaged cell is an error naming its row, column and the bytes in hex (CSV_BYTES_INVALID); the rest of
  the file is read. It is never decoded whole as GB18030, which would turn every Chinese character into
  another one without a word. Delimiter: comma, tab or semicolon, whichever finds the most known column
  names. Quoted fields may hold new lines.
- The header is found, not assumed (``choose_header``): among the first 10 records, the record with the
  most known names, or that record joined with the record above it when that finds more (or gives the
  money unit of its columns): a two-row header as forms export it, ``项目资金（元）,,,`` over
  ``年初预算数,全年预算数,全年执行数`` or ``绩效指标,,,`` over ``一级指标,二级指标,…``. A label in the upper
  row is carried right over the blank cells of its merged span; a column blank in the lower row takes the
  upper label (merged downwards); upper and lower labels are joined when together they name a column
  (``当年财政拨款`` over ``全年预算数`` → ``当年财政拨款_全年预算数``), else the lower one counts, with the
  upper one's money unit. Title records above it (``2023年度项目支出绩效自评表``, ``单位：元``) are skipped;
  a money unit they state applies to the file. Messages name the header's real row(s).
- Names are matched after normalising: full-width → half-width, spaces and ``_ - : / 、 *`` removed,
  English case-insensitive, a trailing ``(A)``/``(B)``/``(分)`` and a leading ``其中`` dropped, and a trailing money
  unit taken off and kept (below). Accepted names and English aliases are in ``COLUMNS``.
- Every cell is read as text (pandas ``dtype=str``): 单位编码 ``001234`` stays ``001234``; a 单位编码 written
  the Excel way as ``="001234"`` is unwrapped, a leading ``'`` (Excel's text mark) is dropped. Numbers are
  parsed by ``rules.numbers``; a value that is not a number stays text in the model (validation reports
  it). Cells starting with ``=`` ``+`` ``-`` ``@`` are data, never formulas: they stay text unless they are
  numbers (``-5``), and writers must write them as strings.
- Line numbers are the rows Excel shows when it opens the file (header row included, a record with a new
  line inside quotes counts once).

Money (issue 9 §4). The model holds 万元. An amount in another unit is converted exactly (``Decimal``, a
shift of the decimal point) by one table, ``MONEY_UNITS``: 元 ÷ 10 000, 千元 ÷ 10, 万元 × 1, 亿元 × 10 000.
The unit of an amount is, most specific first: a unit written in the cell (``125000元``); the column's
header (``全年预算数（元）``, ``全年预算数(单位:元)``, or the upper row of a two-row header, ``项目资金（元）``);
the unit's ``金额单位`` column (``元`` / ``万元`` …, one value per 评价对象); a title record (``单位：元``);
else 万元. A header unit and a ``金额单位`` that disagree cannot both be right: the 评价对象 is not
imported (CSV_MONEY_UNIT_CONFLICT), as when ``金额单位`` names no unit of the table (CSV_MONEY_UNIT_INVALID).
Every conversion is an info finding (CSV_MONEY_CONVERTED) naming the row, the columns, the amounts before
and after, and what gave the unit; it is also written into the workbook's 校验结果 (``CsvUnit.notes``). A
header with a unit is never taken for the 万元 column silently, and the hint for an unknown column never
proposes a column of another meaning (``_suggest``).

执行率 and 执行率得分 (the 年度资金总额 row's own cells on the form) go to ``execution_rate_entered`` (a
fraction) and ``execution_score_entered`` (points); the comparison with the rule is validation's. How an
执行率 is read: ``98.27%`` is 0.9827. A bare number is ambiguous: ≤ 1.5 is read as a fraction (0.9827, or
1.2 for a budget executed at 120 %), above 1.5 as a percentage (98.27 → 0.9827). Reason: Excel writes a cell
formatted as % into CSV with its ``%``, so a bare number is either a fraction (a General cell holding the
quotient) or a percentage typed without its sign; an execution above 150 % of the budget, or one at
1.5 % or less, is far rarer than either, so the line between them is drawn there. Each time this rule
decides, an info finding (CSV_RATE_ASSUMED) says what was assumed.

Grouping: the key is (单位编码, 评价对象), or (单位名称, 评价对象) when the code is blank. 单位编码 may be
left out where 单位名称 is given: the column missing or blank is one warning for the file
(CSV_CODE_MISSING), and units are told apart by name. A code Excel turned into scientific notation
(``4.40882E+11``: its last digits are gone) is an error on its row and column that says how to export it
as text, and its 评价对象 is not imported; several units that collide on such a code are named in that one
error (CSV_CODE_DAMAGED), not reported as a conflict of names. A row whose 单位编码, 单位名称 and 评价对象
are all blank belongs to the unit above. A row that names the same unit as the row above (code or name
equal, the other blank) takes the blank code, name and 评价对象 from it. Other unit columns (budget,
texts …) need only be given once per 评价对象; when two rows give different values, that is an error
naming both rows.

A 评价对象 is left out (``CsvResult.skipped``) only when its required values cannot be read: no
评价对象, two rows disagreeing on a unit value (which one is right cannot be told), a row with more cells
than the header (a comma inside an unquoted cell shifts everything after it), a damaged 单位编码, or a
money unit that is unknown or contradicted. Everything else is read, findings and all: bad numbers, an
over-executed budget and the like are for validation to mark.

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
import functools
import io
import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd

from . import catalog
from .model import Evaluation, Finding, Indicator, Kind, Level, Num
from .rules.numbers import excerpt, normalize_width, parse_number

if TYPE_CHECKING:
    from .rules.scheme import Scheme

CellKind = Literal["text", "number", "year", "code", "rate", "money_unit"]
DEPARTMENT_SUBJECT = "部门整体"
_DEPARTMENT_SUBJECTS = {"部门整体", "部门整体支出", "整体支出"}
HEADER_SCAN = 10  # records searched for the header
DELIMITERS = (",", "\t", ";")
#: A file that fails as UTF-8 is still UTF-8 (with damage) when it has a BOM or at least this many valid
#: non-ASCII characters per bad byte (see module doc).
UTF8_MAJORITY = 8
#: Damaged cells reported one by one; more are counted in one more finding.
_DAMAGE_REPORTED = 50

#: Money units → the power of ten that turns an amount in that unit into 万元 (the model's unit).
MONEY_UNITS: dict[str, int] = {"元": -4, "千元": -1, "万元": 0, "亿元": 4}
_UNIT_WORD = r"(万元|千元|亿元|元)"

# One cell may be long (a whole report pasted into 偏差原因). Python's csv stops at 131 072 characters a
# field and would reject the whole file, so the limit is lifted here, for the process (csv has no per-reader
# setting); text over Excel's 32 767-character cell limit is cut when written, with a TEXT_TOO_LONG warning.
csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))

# ------------------------------------------------------------------------------------------ codes

_E, _W, _I = Level.ERROR, Level.WARNING, Level.INFO
for _code, _level, _title, _description in (
    ("CSV_OPEN", _E, "CSV 文件无法打开", "文件不存在、是文件夹或没有读取权限。"),
    ("CSV_EMPTY", _E, "CSV 文件是空的", "文件没有内容，请从预算系统重新导出。"),
    ("CSV_NOT_TEXT", _E, "不是 CSV 文本文件", "文件是 Excel 工作簿或含二进制内容，请另存为 CSV 后再导入。"),
    ("CSV_ENCODING", _E, "CSV 编码无法识别", "文件既不是 UTF-8 也不是 GBK/GB18030，请另存为“CSV UTF-8”。"),
    (
        "CSV_BYTES_INVALID",
        _E,
        "UTF-8 文件中有无法识别的字节",
        "文件是 UTF-8，但个别单元格含有不是 UTF-8 的字节（已替换为 �），请改正该单元格后另存为“CSV UTF-8”。",
    ),
    ("CSV_PARSE", _E, "CSV 无法解析", "引号不成对等格式问题，请在 Excel 中重新另存为 CSV。"),
    (
        "CSV_HEADERS_MISSING",
        _E,
        "缺少表头或必需的列",
        "表头须含单位名称、评价年度、评价对象、金额和指标等列。",
    ),
    ("CSV_HEADER_DUPLICATE", _E, "两列表示同一项", "表头中两列对应同一标准列，请删除其中一列。"),
    ("CSV_COLUMN_UNKNOWN", _I, "未识别的列", "表头中的列名不认识，该列已忽略；如需导入请改用标准列名。"),
    ("CSV_COLUMN_UNNAMED", _W, "无列名的列有数据", "没有列名的列中有数据，已忽略；如需导入请补上列名。"),
    ("CSV_NO_DATA", _E, "只有表头没有数据", "文件只有表头，没有数据行。"),
    (
        "CSV_NO_UNIT",
        _E,
        "数据行不属于任何单位",
        "行中没有单位编码、单位名称和评价对象，上面也没有可沿用的单位。",
    ),
    ("CSV_SUBJECT_MISSING", _E, "评价对象为空", "新单位的第一行须填写评价对象（部门整体或项目名称）。"),
    (
        "CSV_UNIT_SPLIT",
        _W,
        "同一评价对象的行不连续",
        "同一评价对象的行分散在文件各处，已合并，请确认不是重复导出。",
    ),
    (
        "CSV_UNIT_CONFLICT",
        _E,
        "同一评价对象的值前后不一致",
        "同一评价对象的两行给出不同的值，无法判断哪个正确。",
    ),
    ("CSV_ROW_TOO_LONG", _E, "行的单元格比表头多", "可能是未加引号的逗号使后面的值错位。"),
    (
        "CSV_CODE_MISSING",
        _W,
        "未填写单位编码",
        "没有单位编码列或编码为空：已按单位名称区分单位，名称相同的行视为同一单位。",
    ),
    (
        "CSV_CODE_DAMAGED",
        _E,
        "单位编码被 Excel 改成科学计数法",
        "如 4.40882E+11：编码的后几位已丢失，无法确定是哪个单位；请把编码列设为文本后重新导出。",
    ),
    ("CSV_KIND_SUBJECT", _W, "评价类型与评价对象不符", "部门整体应为部门整体支出，项目应为项目支出。"),
    (
        "CSV_MONEY_CONVERTED",
        _I,
        "金额已换算为万元",
        "金额按元、千元或亿元填写（表头、金额单位列、标题或单元格注明），已精确换算为万元。",
    ),
    ("CSV_MONEY_UNIT_INVALID", _E, "金额单位不正确", "金额单位只能是元、千元、万元或亿元。"),
    (
        "CSV_MONEY_UNIT_CONFLICT",
        _E,
        "金额单位前后矛盾",
        "表头注明的金额单位与“金额单位”列不同，无法判断哪个正确。",
    ),
    (
        "CSV_RATE_ASSUMED",
        _I,
        "执行率按假定读取",
        "执行率没有 %：大于 1.5 的数按百分数、不大于 1.5 的数按小数读取。",
    ),
):
    catalog.code(_code, _level, _title, _description, "csv")
#: The codes this module emits (tests check each is registered and used).
CODES = tuple(c for c, info in catalog.CODES.items() if info.origin == "csv")


@dataclass(frozen=True)
class Column:
    """One accepted CSV column: its standard header, where it goes in the model, its other names."""

    name: str
    field: str  # model path (unit columns) or Indicator attribute (indicator columns); "" = not in the model
    aliases: tuple[str, ...] = ()
    kind: CellKind = "text"
    indicator: bool = False
    required: bool = False

    @property
    def money(self) -> bool:
        """An amount in 万元 (a budget figure): converted when given in another unit."""
        return self.kind == "number" and self.field.startswith("budget.")


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
    Column("单位编码", "unit_code", ("unit_code", "单位代码", "预算单位编码"), "code"),
    Column("单位名称", "unit_name", ("unit_name", "预算单位名称", "实施单位"), required=True),
    Column("主管部门", "department", ("department", "主管部门名称")),
    Column("评价年度", "year", ("year", "年度"), "year", required=True),
    Column("评价对象", "project_name", ("subject", "项目名称"), required=True),
    Column("评价类型", "kind", ("kind",)),
    Column("金额单位", "", ("money_unit", "单位（金额）"), "money_unit"),
    Column("年初预算数", "budget.total.initial", ("budget_initial", "年初预算"), "number"),
    Column(
        "全年预算数", "budget.total.adjusted", ("budget_adjusted", "调整后预算数"), "number", required=True
    ),
    Column(
        "全年执行数", "budget.total.executed", ("executed", "预算执行数", "执行数"), "number", required=True
    ),
    Column("执行率", "execution_rate_entered", ("execution_rate", "预算执行率"), "rate"),
    Column("执行率得分", "execution_score_entered", ("execution_score", "预算执行率得分"), "number"),
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
    # 一级/二级 may be missing: a flat scheme has none, and for the others the checks say so once per
    # 评价对象 (LEVELS_MISSING), not twice per row.
    Column("一级指标", "level1", ("level1",), indicator=True),
    Column("二级指标", "level2", ("level2",), indicator=True),
    Column("三级指标", "name", ("indicator", "三级指标名称", "指标名称"), indicator=True, required=True),
    Column("指标性质", "operator", ("operator", "计算符号"), indicator=True),
    Column("年度指标值", "target", ("target", "指标值"), indicator=True, required=True),
    Column("度量单位", "unit", ("unit", "计量单位"), indicator=True),
    Column("实际完成值", "actual", ("actual", "完成值", "全年实际值"), indicator=True, required=True),
    Column("完成档次", "band", ("band",), indicator=True),
    Column("分值", "weight", ("weight", "权重"), "number", indicator=True, required=True),
    Column("得分", "score", ("score", "自评得分"), "number", indicator=True),
    Column("得分系数", "coefficient", ("coefficient",), "number", indicator=True),
    Column("计分方法", "method", ("method", "评分方法"), indicator=True),
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
CODE, NAME, SUBJECT, KIND, MONEY_UNIT, RATE = (
    "单位编码",
    "单位名称",
    "评价对象",
    "评价类型",
    "金额单位",
    "执行率",
)
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
_HEADER_SUFFIX = re.compile(r"\((?:a|b|分)\)$")
_MONEY_SUFFIX = re.compile(rf"\((?:金额)?(?:单位)?{_UNIT_WORD}\)$")
_MONEY_TAIL = re.compile(rf"{_UNIT_WORD}$")
#: ``单位：元`` in a title record (not followed by a Chinese character: 单位：元宝山区… is a name).
_TITLE_UNIT = re.compile(rf"(?:金额)?单位\s*[:：]\s*{_UNIT_WORD}(?![\u4e00-\u9fff])")


def _normal(text: str) -> str:
    t = normalize_width(text).replace("（", "(").replace("）", ")").lower()
    t = _HEADER_DROP.sub("", t)
    t = _HEADER_SUFFIX.sub("", t)
    return t.removeprefix("其中")


def _split_unit(normal: str) -> tuple[str, str | None]:
    """A normalised header without its money unit, and the unit (``全年预算数(元)`` → 全年预算数, 元)."""
    m = _MONEY_SUFFIX.search(normal)
    if m:
        return normal[: m.start()], m[1]
    m = _MONEY_TAIL.search(normal)  # 全年预算数元: only where the rest names a money column
    if m and normal[: m.start()] in _ALIASES and _BY_NAME[_ALIASES[normal[: m.start()]]].money:
        return normal[: m.start()], m[1]
    return normal, None


def normalize_header(text: str) -> str:
    """The form in which headers are compared (see module doc); a money unit suffix is taken off."""
    return _split_unit(_normal(text))[0]


_ALIASES: dict[str, str] = {}
for _col in COLUMNS:
    for _alias in (_col.name, *_col.aliases):
        _ALIASES.setdefault(_normal(_alias), _col.name)


#: The CSV column a scheme's label (``[labels]`` of a scheme file) names: a table exported in a scheme's
#: words (指标权重, 未完成原因分析, 调整后预算数 …) is read without renaming its headers.
LABEL_COLUMNS = {
    "initial": "年初预算数",
    "adjusted": "全年预算数",
    "executed": "全年执行数",
    "execution_weight": "执行率分值",
    "level1": "一级指标",
    "level2": "二级指标",
    "name": "三级指标",
    "operator": "指标性质",
    "target": "年度指标值",
    "unit": "度量单位",
    "actual": "实际完成值",
    "band": "完成档次",
    "weight": "分值",
    "score": "得分",
    "rule_score": "得分",
    "deviation_note": "偏差原因分析及改进措施",
    "method": "计分方法",
    "coefficient": "得分系数",
    "budget_note": "预算执行说明",
}


def add_scheme_labels(scheme: Scheme) -> None:
    """Accept ``scheme``'s labels as headers of the columns they name (``LABEL_COLUMNS``). A label that
    already means another column keeps that meaning (the standard names and aliases come first)."""
    for key, column in LABEL_COLUMNS.items():
        _ALIASES.setdefault(_normal(scheme.label(key)), column)


@functools.cache
def _shipped_labels() -> None:
    """The labels of every available scheme (shipped and PERFEVAL_XL_SCHEMES), added once per process."""
    from .rules.scheme import scan_schemes

    for scheme in scan_schemes()[0]:  # a broken scheme file elsewhere must not stop reading a CSV
        add_scheme_labels(scheme)


def _lookup_normal(normal: str) -> tuple[str | None, str | None]:
    """(standard column, money unit) of a normalised header; a unit other than 万元 on a column that is
    not money makes the header unknown (it cannot mean what it says)."""
    if normal in _ALIASES:
        return _ALIASES[normal], None
    base, unit = _split_unit(normal)
    name = _ALIASES.get(base)
    if name is None or unit is None:
        return name, unit
    if not _BY_NAME[name].money:
        return (name, None) if unit == "万元" else (None, unit)
    return name, unit


def column_of(label: str) -> tuple[str | None, str | None]:
    """(standard column name, money unit) of a header as written; (None, …) when not a known column."""
    return _lookup_normal(_normal(label))


@dataclass(frozen=True)
class HeaderCell:
    """One column of the header as found: its label as the file shows it (``项目资金（元）/全年预算数`` for
    two rows), the standard column (None: unknown or blank) and the money unit the header gives (None:
    none; only on money columns)."""

    label: str
    name: str | None
    unit: str | None


@dataclass(frozen=True)
class HeaderChoice:
    """Where the header is: delimiter, its first and last record (0-based; data starts after ``last``),
    its columns, a money unit stated in a title record above it, and how many standard columns it names
    (0: no header found)."""

    delimiter: str
    first: int
    last: int
    cells: tuple[HeaderCell, ...]
    title_unit: str | None = None
    known: int = 0

    @property
    def lines(self) -> str:
        """``第2行`` or ``第2–3行``: the header's rows as Excel numbers them."""
        if self.first == self.last:
            return f"第{self.last + 1}行"
        return f"第{self.first + 1}–{self.last + 1}行"


def _is_title_unit(cell: str, record: list[str]) -> bool:
    """``单位：元`` (alone in its record, or the cell starts with it): a statement for the whole file."""
    text = normalize_width(cell).strip()
    if not _TITLE_UNIT.search(text):
        return False
    return text.startswith(("单位", "金额单位")) or sum(1 for c in record if c.strip()) == 1


def _header_cells(upper: list[str] | None, lower: list[str]) -> tuple[HeaderCell, ...]:
    """The columns of a one-row header (``upper`` None) or of a two-row header (see module doc)."""
    width = max(len(lower), len(upper or ()))
    out = []
    carried = ""
    for j in range(width):
        child = lower[j].strip() if j < len(lower) else ""
        own = upper[j].strip() if upper is not None and j < len(upper) else ""
        if own and upper is not None and _is_title_unit(own, upper):
            own = ""
        if own:
            carried = own
        parent = own or (carried if child else "")
        if not parent:
            name, unit = column_of(child) if child else (None, None)
            out.append(HeaderCell(child, name, unit))
            continue
        if not child:  # merged downwards: the label is the upper one
            name, unit = column_of(parent)
            out.append(HeaderCell(parent, name, unit))
            continue
        p_normal, p_unit = _split_unit(_normal(parent))
        joined, unit = _lookup_normal(p_normal + _normal(child))
        if joined is not None:
            name, unit = joined, unit or p_unit
        else:
            name, unit = column_of(child)
            unit = unit or p_unit
        if name is not None and not _BY_NAME[name].money:
            unit = None
        shown = f"{parent}/{child}" if joined is not None or (unit and unit == p_unit) else child
        out.append(HeaderCell(shown, name, unit))
    return tuple(out)


def _known(cells: Iterable[HeaderCell]) -> int:
    return len({c.name for c in cells if c.name})


def _with_unit(cells: Iterable[HeaderCell]) -> int:
    return sum(1 for c in cells if c.name and c.unit)


def choose_header(records: Callable[[str], Iterable[list[str]]]) -> HeaderChoice:
    """Find the header among the first ``HEADER_SCAN`` records (see module doc).

    ``records(delimiter)`` gives the file's records split with that delimiter (only the first
    ``HEADER_SCAN`` are read). batch.py plans its slices with the same choice.
    """
    _shipped_labels()
    best = HeaderChoice(",", 0, 0, ())
    best_key = (0, 0)
    best_records: list[list[str]] = []
    for delimiter in DELIMITERS:
        head = list(itertools.islice(records(delimiter), HEADER_SCAN))
        for i, record in enumerate(head):
            cells, first = _header_cells(None, record), i
            known = _known(cells)
            if i > 0 and any(c.strip() for c in head[i - 1]):
                pair = _header_cells(head[i - 1], record)
                both = _known(pair)
                if both > known or (both == known and _with_unit(pair) > _with_unit(cells)):
                    cells, first, known = pair, i - 1, both
            key = (known, len(record))
            if key > best_key:
                best, best_key, best_records = (
                    HeaderChoice(delimiter, first, i, cells, None, known),
                    key,
                    head,
                )
    title = next(
        (
            _TITLE_UNIT.search(normalize_width(cell))[1]  # type: ignore[index]
            for record in best_records[: best.last]
            for cell in record
            if _is_title_unit(cell, record)
        ),
        None,
    )
    return replace(best, title_unit=title)


# ------------------------------------------------------------------------------------------ results


@dataclass
class CsvUnit:
    """One 评价对象 read from the file."""

    evaluation: Evaluation
    rows: list[int]  # CSV line numbers (Excel row numbers; header = its own line) of this 评价对象
    locate: Callable[[str], tuple[int, str]]  # Finding.field → (line, column header as in the file)
    findings: list[Finding] = field(default_factory=list)  # reading problems about it, located
    #: Reading notes the workbook's 校验结果 should show too (money converted, an 执行率 assumption): the
    #: same findings as in ``findings``, with ``sheet``/``cell`` empty and ``field`` set, for the writer.
    notes: list[Finding] = field(default_factory=list)


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


# ------------------------------------------------------------------------------------------ encodings

_SURROGATE = re.compile("[\udc80-\udcff]")


def utf8_damage(chunks: Iterable[bytes]) -> tuple[int, int]:
    """(valid non-ASCII characters, bytes that are not UTF-8) of a byte stream read as UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
    good = bad = 0
    for chunk in itertools.chain(chunks, [b""]):
        text = decoder.decode(chunk, final=not chunk)
        wrong = len(_SURROGATE.findall(text))
        bad += wrong
        good += len(text) - len(text.encode("ascii", "ignore")) - wrong
    return good, bad


def mostly_utf8(good: int, bad: int, bom: bool) -> bool:
    """Whether a file that is not valid UTF-8 is still UTF-8 with a few damaged bytes (module doc)."""
    return bad > 0 and (bom or good >= UTF8_MAJORITY * bad)


def damaged_utf8_file(path: Path | str, chunk: int = 1 << 20) -> bool:
    """``mostly_utf8`` for a file, streamed (batch.py: such a file is read whole, where damage is named)."""
    try:
        with open(path, "rb") as fh:
            bom = fh.read(3) == codecs.BOM_UTF8
            fh.seek(0)
            good, bad = utf8_damage(iter(lambda: fh.read(chunk), b""))
    except OSError:
        return False
    return mostly_utf8(good, bad, bom)


@functools.lru_cache(maxsize=4096)  # every row repeats its unit's code
def unit_code(text: str) -> str:
    """A 单位编码 as written → as compared: Excel's ``="001234"`` unwrapped, a leading ``'`` dropped,
    full-width digits made half-width, spaces stripped."""
    t = normalize_width(text).strip()
    t = t.removeprefix("'").strip()
    m = re.fullmatch(r'="(.*)"', t)  # Excel's way of keeping leading zeros
    return (m[1] if m else t).strip()


#: A code Excel turned into scientific notation: the digits after the sixth are gone (4.40882E+11).
_DAMAGED_CODE = re.compile(r"[+-]?\d+(?:\.\d*)?[eE][+-]?\d+")


def damaged_code(code: str) -> bool:
    """Whether a 单位编码 is a number Excel wrote in scientific notation (its digits are lost)."""
    return bool(_DAMAGED_CODE.fullmatch(code))


# ------------------------------------------------------------------------------------------ reading


def read_csv(path: Path | str, *, line_offset: int = 0, scheme: Scheme | None = None) -> CsvResult:
    """Read a budget-system CSV export. Never raises for a bad file: problems come back as findings.

    ``line_offset`` is added to the line of every data record: for a slice of a larger file (its header
    records, then some of its data records) read on its own, so lines are the larger file's (batch.py).
    ``scheme``: the scheme the units are filled for; its labels are accepted as headers (as are those of
    every shipped scheme).
    """
    _shipped_labels()
    if scheme is not None:
        add_scheme_labels(scheme)
    path = Path(path)
    reader = _Reader(path.name, line_offset)
    if scheme is not None:
        reader.execution_weight = scheme.execution.weight
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
    damaged_code: str = ""  # the 单位编码 as Excel damaged it ("" when the code is sound)
    names: dict[str, int] = field(default_factory=dict)  # 单位名称 → first line (damaged codes)


@dataclass(frozen=True)
class _Conversion:
    """One amount converted to 万元."""

    line: int
    column: str  # standard name
    label: str  # header as in the file
    text: str  # as written
    unit: str
    source: str  # what gave the unit (表头, “金额单位”列, 标题, 单元格)
    value: Decimal  # 万元


class _Reader:
    def __init__(self, file_name: str, line_offset: int = 0) -> None:
        self.file = file_name
        self.line_offset = line_offset  # added to data records' lines (read_csv)
        #: 执行率分值 of a unit whose CSV does not give one: the scheme's (read_csv), as the template shows.
        self.execution_weight: Decimal = Evaluation().execution_weight  # type: ignore[assignment]
        self.findings: list[Finding] = []
        self.encoding = ""
        self.delimiter = ""
        self.raw = ""  # the text with undecodable bytes as surrogates ("" when the file decoded cleanly)
        self.headers: dict[str, str] = {}  # standard name → header as in the file
        self.positions: dict[str, int] = {}  # standard name → column index
        self.unit_names: tuple[str, ...] = ()  # the unit columns the file has
        self.units: dict[str, str] = {}  # standard name → money unit its header gives
        self.title_unit: str | None = None
        self.header: list[str] = []  # the header's labels as in the file
        self.header_width = 0
        self.header_line = 0  # the header's last line
        self.code_blank = False  # some unit has no 单位编码 (warned once per file)

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

    def header_of(self, name: str) -> str:
        return self.headers.get(name, name)

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
            damage = self.damage(header_index) if self.raw else {}
        except (csv.Error, pd.errors.ParserError, ValueError) as exc:
            return self.fail(
                "CSV_PARSE",
                f"文件“{self.file}”无法按 CSV 读取（{excerpt(exc, 200)}）。请检查引号是否成对，或在 Excel 中重新另存为 CSV。",
            )
        return self.read_rows(table, header_index, damage)

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
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                pass
            else:
                self.encoding = "utf-8-sig"
                return text
            if mostly_utf8(*utf8_damage([data]), data.startswith(codecs.BOM_UTF8)):
                self.encoding = "utf-8-sig"
                self.raw = data.decode("utf-8-sig", "surrogateescape")
                return _SURROGATE.sub("\ufffd", self.raw)
            try:
                text = data.decode("gb18030")
            except UnicodeDecodeError:
                pass
            else:
                self.encoding = "gb18030"
                return text
        self.fail(
            "CSV_ENCODING",
            f"无法识别文件“{self.file}”的编码（不是 UTF-8，也不是 GBK/GB18030）。请在 Excel 中另存为“CSV UTF-8（逗号分隔）”。",
        )
        return None

    def damage(self, header_index: int) -> dict[int, list[Finding]]:
        """Per record index, an error for each cell with bytes that are not UTF-8 (``self.raw``)."""
        out: dict[int, list[Finding]] = {}
        count = 0
        records = csv.reader(io.StringIO(self.raw, newline=""), delimiter=self.delimiter)
        for index, record in enumerate(records):
            for col, cell in enumerate(record):
                bad = _SURROGATE.findall(cell)
                if not bad:
                    continue
                count += 1
                if count > _DAMAGE_REPORTED:
                    continue
                line = index + 1 + (self.line_offset if index > header_index else 0)
                column = self.header[col].strip() if col < len(self.header) else ""
                where = f"“{column}”" if column else f"第{col + 1}列"
                hex_bytes = " ".join(f"{ord(ch) - 0xDC00:02X}" for ch in bad)
                shown = excerpt(_SURROGATE.sub("\ufffd", cell).strip())
                message = (
                    f"文件“{self.file}”是 UTF-8 编码，但第{line}行{where}含有不是 UTF-8 的字节 {hex_bytes}"
                    f"（已替换为 �：“{shown}”），可能是从其他编码的文件中粘贴而来或文件被截断。其余内容已正常读取。"
                    "请在原文件中改正这个单元格，再在 Excel 中另存为“CSV UTF-8（逗号分隔）”后重新导入。"
                )
                out.setdefault(index, []).append(
                    self.finding("CSV_BYTES_INVALID", Level.ERROR, message, line, column)
                )
        if count > _DAMAGE_REPORTED:
            message = (
                f"文件“{self.file}”中另有 {count - _DAMAGE_REPORTED} 个单元格含有不是 UTF-8 的字节（已替换为 �），"
                "未逐一列出。请检查文件的编码，另存为“CSV UTF-8（逗号分隔）”后重新导入。"
            )
            self.findings.append(self.finding("CSV_BYTES_INVALID", Level.ERROR, message))
        return out

    def find_header(self, text: str) -> tuple[pd.DataFrame, int] | None:
        """Choose delimiter and header records; parse the whole file with pandas, every cell as text."""
        choice = choose_header(lambda d: csv.reader(io.StringIO(text, newline=""), delimiter=d))
        self.delimiter = choice.delimiter
        if choice.known == 0:
            self.fail(
                "CSV_HEADERS_MISSING",
                f"文件“{self.file}”的前{HEADER_SCAN}行中没有找到表头（应有 单位编码、单位名称、评价年度、评价对象、"
                f"全年预算数、三级指标 等列）。请确认这是预算系统导出的绩效自评数据 CSV。{self.missing_text(set())}",
            )
            return None
        if not self.map_header(choice):
            return None
        delimiter = choice.delimiter
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
        return table.fillna(""), choice.last

    def missing_text(self, present: set[str]) -> str:
        missing = [c for c in COLUMNS if c.required and c.name not in present]
        if not missing:
            return ""
        parts = [f"{c.name}（也可写作 {' / '.join(c.aliases)}）" if c.aliases else c.name for c in missing]
        return (
            "缺少必需的列："
            + "、".join(parts)
            + "。（单位编码可以没有：没有时按单位名称区分单位，名称相同的行视为同一单位。）"
        )

    def map_header(self, choice: HeaderChoice) -> bool:
        line = choice.last + 1
        seen: dict[str, int] = {}
        for index, cell in enumerate(choice.cells):
            label = cell.label
            if not label:
                continue
            if cell.name is None:
                self.findings.append(
                    self.finding(
                        "CSV_COLUMN_UNKNOWN",
                        Level.INFO,
                        f"未识别的列“{label}”，已忽略。如果它是需要导入的数据，请改用标准列名{_suggest(label)}。"
                        + _unit_hint(label),
                        line,
                        label,
                    )
                )
                continue
            name = cell.name
            if name in seen:
                first = choice.cells[seen[name]].label
                self.fail(
                    "CSV_HEADER_DUPLICATE",
                    f"表头（{choice.lines}）中“{first}”（第{seen[name] + 1}列）和“{label}”（第{index + 1}列）都表示“{name}”。"
                    "请删除其中一列后再导入。",
                    line,
                    label,
                )
                return False
            seen[name] = index
            self.headers[name] = label
            if cell.unit:
                self.units[name] = cell.unit
        self.positions = seen
        self.unit_names = tuple(c.name for c in _UNIT_COLUMNS if c.name in seen)
        missing = self.missing_text(set(seen))
        if missing:
            self.fail(
                "CSV_HEADERS_MISSING",
                f"文件“{self.file}”{missing}请在表头（{choice.lines}）补上这些列。",
                line,
            )
            return False
        self.header = [c.label for c in choice.cells]
        self.header_width = len(choice.cells)
        self.header_line = line
        self.title_unit = choice.title_unit
        if CODE not in seen:
            message = (
                f"文件“{self.file}”没有“单位编码”列：已按“单位名称”区分单位，名称相同的行视为同一单位。"
                "如果有同名的不同单位，请加上单位编码列后重新导入。"
            )
            self.findings.append(self.finding("CSV_CODE_MISSING", Level.WARNING, message, line))
        return True

    # -- the rows
    def read_rows(
        self, table: pd.DataFrame, header_index: int, damage: dict[int, list[Finding]]
    ) -> CsvResult:
        groups: dict[tuple[str, str], _Group] = {}
        previous: tuple[_Group, dict[str, tuple[str, int]]] | None = None
        unnamed = [i for i, h in enumerate(self.header) if not h.strip()]
        for index in (i for i in damage if i <= header_index):
            self.findings.extend(damage[index])
        for index, record in enumerate(table.to_numpy(dtype=object).tolist()):
            if index <= header_index:
                continue
            line = index + 1 + self.line_offset
            cells = {name: _clean(record[pos]) for name, pos in self.positions.items()}
            for name in _KEY:
                cells.setdefault(name, "")
            extra = [i for i in range(self.header_width, len(record)) if record[i].strip()]
            unnamed = self.warn_unnamed(unnamed, record, line)
            hurt = damage.get(index, [])
            if not any(cells.values()) and not extra:
                self.findings.extend(hurt)
                continue  # a blank line
            ident = self.identify(cells, line, previous)
            if ident is None:
                self.findings.extend(hurt)
                continue
            group = self.group(groups, ident, line, previous)
            group.lines.append(line)
            group.findings.extend(hurt)
            if extra:
                group.unreadable = True
                group.findings.append(
                    self.finding(
                        "CSV_ROW_TOO_LONG",
                        Level.ERROR,
                        f"第{line}行比表头多出{len(record) - self.header_width}个单元格（从第{self.header_width + 1}列起），"
                        "可能是某个单元格含未加引号的逗号，使后面的值错位。请在 Excel 中修正后重新导出。"
                        f"评价对象“{group.label}”未导入。",
                        line,
                    )
                )
            self.collect(group, cells, ident, line)
            if any(cells.get(c.name) for c in _INDICATOR_COLUMNS):
                group.indicators.append((line, cells))
            previous = (group, ident)
        order = list(groups.values())
        _share_unit_values(order)
        if self.code_blank:
            message = (
                f"文件“{self.file}”中有评价对象没有填写“单位编码”：这些行已按“单位名称”区分单位，名称相同的行视为同一单位。"
                "如果有同名的不同单位，请补上单位编码后重新导入。"
            )
            self.findings.append(
                self.finding(
                    "CSV_CODE_MISSING", Level.WARNING, message, self.header_line, self.header_of(CODE)
                )
            )
        units, skipped = [], []
        for group in order:
            if group.damaged_code:
                group.findings.insert(0, self.code_damaged(group))
            self.check_money(group)
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
        for i in [i for i in unnamed if i < len(record) and record[i].strip()]:
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
        code = unit_code(ident[CODE][0])
        key = (code or ident[NAME][0], _subject(ident[SUBJECT][0]))
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Group(key, f"{key[0]}/{key[1] or '（评价对象为空）'}", line)
            if not code and CODE in self.positions:
                self.code_blank = True
            if damaged_code(code):
                group.unreadable = True
                group.damaged_code = code
            if not key[1]:
                group.unreadable = True
                message = (
                    f"第{line}行开始新的单位“{excerpt(key[0])}”，但“评价对象”为空。请填写“部门整体”或项目名称。"
                    f"评价对象“{group.label}”未导入。"
                )
                group.findings.append(
                    self.finding("CSV_SUBJECT_MISSING", Level.ERROR, message, line, self.header_of(SUBJECT))
                )
        elif previous is not None and previous[0] is not group and not group.split_warned:
            group.split_warned = True
            message = (
                f"评价对象“{group.label}”的行不连续（第{group.lines[-1]}行之后又出现在第{line}行），已合并。"
                "请确认不是重复导出。"
            )
            group.findings.append(
                self.finding("CSV_UNIT_SPLIT", Level.WARNING, message, line, self.header_of(SUBJECT))
            )
        return group

    def code_damaged(self, group: _Group) -> Finding:
        """The one error about a 评价对象 whose 单位编码 Excel turned into scientific notation."""
        code = group.damaged_code
        line = group.values[CODE][1] if CODE in group.values else group.first_line
        names = "、".join(f"“{n}”（第{at}行）" for n, at in group.names.items())
        collide = (
            f"这个编码同时用于{names}，它们原本可能是不同的单位，现在无法区分。"
            if len(group.names) > 1
            else ""
        )
        message = (
            f"第{line}行“单位编码”为“{excerpt(code)}”：这是 Excel 把较长的编码显示成科学计数法后另存为 CSV 的结果，"
            f"编码的后几位已经丢失，无法确定是哪个单位。{collide}评价对象“{group.label}”未导入。"
            "请在原始数据中找回完整编码：在 Excel 中先把该列设置为“文本”格式，再粘贴编码后另存为 CSV；"
            '或导出时把编码写成 ="440882001" 的形式（Excel 会保留全部数字和前导 0）。'
        )
        return self.finding("CSV_CODE_DAMAGED", Level.ERROR, message, line, self.header_of(CODE), "unit_code")

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
                        self.headers.get(CODE) or self.header_of(NAME),
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
        given = {name: (cells[name], line) for name in self.unit_names if cells[name]}
        given.update({k: v for k, v in ident.items() if v[0]})
        if SUBJECT in given:
            given[SUBJECT] = (_subject(given[SUBJECT][0]), given[SUBJECT][1])
        if group.damaged_code:  # not imported: only who shares the code matters (code_damaged)
            if NAME in given:
                group.names.setdefault(given[NAME][0], given[NAME][1])
            group.values.setdefault(CODE, given.get(CODE, ("", line)))
            return
        for name, (text, at) in given.items():
            known = group.values.get(name)
            if known is None:
                group.values[name] = (text, at)
                continue
            if _same_value(_BY_NAME[name], known[0], text):
                continue
            group.unreadable = True
            header = self.header_of(name)
            group.findings.append(
                self.finding(
                    "CSV_UNIT_CONFLICT",
                    Level.ERROR,
                    f"评价对象“{group.label}”的“{header}”前后不一致：第{known[1]}行为“{excerpt(known[0])}”，"
                    f"第{at}行为“{excerpt(text)}”。请核对后改为同一个值。该评价对象未导入。",
                    at,
                    header,
                    _BY_NAME[name].field,
                )
            )

    # -- money
    def check_money(self, group: _Group) -> None:
        """An unknown 金额单位, or one that contradicts a column's header, makes the 评价对象 unreadable."""
        if MONEY_UNIT not in group.values or group.unreadable:
            return
        text, line = group.values[MONEY_UNIT]
        header = self.header_of(MONEY_UNIT)
        unit = _money_unit(text)
        if unit is None:
            group.unreadable = True
            message = (
                f"第{line}行“{header}”为“{excerpt(text)}”，不是可识别的金额单位（只能是 元、千元、万元 或 亿元），"
                f"无法换算金额。请改正后重新导入。评价对象“{group.label}”未导入。"
            )
            group.findings.append(self.finding("CSV_MONEY_UNIT_INVALID", Level.ERROR, message, line, header))
            return
        clash = [name for name, own in self.units.items() if own != unit and name in group.values]
        if clash:
            group.unreadable = True
            labels = "、".join(f"“{self.header_of(n)}”" for n in clash)
            message = (
                f"第{line}行“{header}”为“{unit}”，而表头{labels}注明的单位是“{self.units[clash[0]]}”，"
                f"无法判断金额以哪个为准。请删除“{header}”列或改正表头后重新导入。评价对象“{group.label}”未导入。"
            )
            group.findings.append(self.finding("CSV_MONEY_UNIT_CONFLICT", Level.ERROR, message, line, header))

    def money(self, group: _Group, column: Column, text: str, line: int) -> tuple[Num, _Conversion | None]:
        """An amount in 万元 and, when it was converted, the record of it (module doc: which unit wins)."""
        value, unit = _money_cell(text)
        source = "单元格"
        if unit is None:
            if column.name in self.units:
                unit, source = self.units[column.name], "表头"
            elif MONEY_UNIT in group.values:
                unit, source = _money_unit(group.values[MONEY_UNIT][0]), f"“{self.header_of(MONEY_UNIT)}”列"
            elif self.title_unit:
                unit, source = self.title_unit, f"标题“单位：{self.title_unit}”"
        if not isinstance(value, Decimal) or unit is None or MONEY_UNITS[unit] == 0:
            return value, None
        converted = _tidy(value.scaleb(MONEY_UNITS[unit]))
        label = self.header_of(column.name)
        return converted, _Conversion(line, column.name, label, text, unit, source, converted)

    def converted(self, conversions: list[_Conversion]) -> list[Finding]:
        """One info finding per row whose amounts were converted (CSV_MONEY_CONVERTED)."""
        out = []
        for line, items in itertools.groupby(sorted(conversions, key=lambda c: c.line), key=lambda c: c.line):
            done = list(items)
            parts = "；".join(
                f"“{c.label}”{excerpt(c.text)}{'' if c.source == '单元格' else ' ' + c.unit} → {c.value:f} 万元"
                for c in done
            )
            sources = "、".join(dict.fromkeys(f"{c.source}（{c.unit}）" for c in done))
            message = (
                f"CSV 第{line}行的金额不是以万元填写，已按{sources}换算为万元（工作簿中的金额以万元为单位）：{parts}。"
                "如单位有误，请改正 CSV 后重新生成。"
            )
            out.append(
                Finding(
                    "CSV_MONEY_CONVERTED",
                    Level.INFO,
                    message,
                    field=_BY_NAME[done[0].column].field,
                    sheet=self.file,
                    cell=cell_label(line, done[0].label),
                )
            )
        return out

    # -- the model
    def build(self, group: _Group) -> CsvUnit:
        ev = Evaluation(execution_weight=self.execution_weight)
        findings: list[Finding] = []
        notes: list[Finding] = []
        conversions: list[_Conversion] = []
        for name, (text, line) in group.values.items():
            column = _BY_NAME[name]
            if name in (SUBJECT, MONEY_UNIT):
                continue
            if name == KIND:
                ev.kind = _kind(text)
                continue
            if column.money:
                value, done = self.money(group, column, text, line)
                if done is not None:
                    conversions.append(done)
                _assign(ev, column.field, value)
                continue
            if column.kind == "rate":
                value, assumed = _rate(text)
                ev.execution_rate_entered = value
                if assumed is not None:
                    header = self.header_of(name)
                    rule = (
                        "大于 1.5，按百分数理解" if assumed == "percent" else "不大于 1.5，按小数（比率）理解"
                    )
                    percent = _tidy(value.scaleb(2)) if isinstance(value, Decimal) else value
                    message = (
                        f"CSV 第{line}行“{header}”填的是“{excerpt(text)}”，没有 %：{rule}，即 {percent}%。"
                        "规则：不带 % 的执行率大于 1.5 时按百分数读取，不大于 1.5 时按小数读取。如不对，请写成带 % 的形式（如 98.27%）。"
                    )
                    f = self.finding("CSV_RATE_ASSUMED", Level.INFO, message, line, header, column.field)
                    findings.append(f)
                    notes.append(replace(f, sheet="", cell=""))
                continue
            _assign(ev, column.field, _value(column, text))
        for f in self.converted(conversions):
            findings.append(f)
            notes.append(replace(f, sheet="", cell=""))
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
            line, column_label = locate("kind")
            findings.append(
                self.finding(
                    "CSV_KIND_SUBJECT",
                    Level.WARNING,
                    f"评价对象为“{subject}”，评价类型却是“{ev.kind}”。部门整体应为“部门整体支出”，项目应为“项目支出”，请核对。",
                    line,
                    column_label,
                    "kind",
                )
            )
        return CsvUnit(ev, list(group.lines), locate, [*group.findings, *findings], notes)

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
        by_field = {c.field: c.name for c in _UNIT_COLUMNS if c.field}
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
        return unit_code(text)
    if column.kind == "rate":
        return _rate(text)[0]
    if column.kind == "money_unit":
        return _money_unit(text) or text
    return text


def _tidy(value: Decimal) -> Decimal:
    """A converted amount without trailing zeros after the point (``100.0000`` → ``100``), never as 1E+2."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def _money_unit(text: str) -> str | None:
    """A 金额单位 cell (``元``, ``万元``, ``单位：元``, ``（千元）``) → its unit in ``MONEY_UNITS``, else None."""
    t = re.sub(r"[\s()（）:：]|^(?:金额)?单位", "", normalize_width(text))
    return t if t in MONEY_UNITS else None


_MONEY_CELL = re.compile(rf"(?P<num>.*?)\s*{_UNIT_WORD}")


def _money_cell(text: str) -> tuple[Num, str | None]:
    """An amount as written: (its number, the unit written in the cell) — ``125000元`` → (125000, 元); a
    cell without a unit, or whose number is not one, → (``parse_number``, None)."""
    m = _MONEY_CELL.fullmatch(normalize_width(text).strip())
    if m:
        value = parse_number(m["num"])
        if isinstance(value, Decimal):
            return value, m[2]
    return parse_number(text), None


def _rate(text: str) -> tuple[Num, str | None]:
    """An entered 执行率 as a fraction, and which bare-number rule decided (``percent``/``fraction``) or
    None (module doc: ``98.27%`` → 0.9827; bare > 1.5 → ÷ 100; bare ≤ 1.5 → as it is)."""
    value = parse_number(text)
    if not isinstance(value, Decimal):
        return value, None
    if normalize_width(text).strip().endswith("%"):
        return _tidy(value.scaleb(-2)), None
    if value > Decimal("1.5"):
        return _tidy(value.scaleb(-2)), "percent"
    return value, "fraction"


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


#: Words that say what a column holds, and what: a hint for an unknown column never proposes a standard
#: column that holds another kind of value (a score is not a weight: 执行率得分 must never be pointed at
#: 执行率分值, which would put a score into a weight), nor another stage of the budget. Chinese names end
#: in their head noun, so the kind is the word that ends last (执行率得分 is a score, 执行率 a rate).
_KIND_WORDS = re.compile(r"得分|分数|分值|权重|系数|执行率|预算数|执行数|金额|资金|数额|分")
_KINDS = {
    "得分": "score",
    "分数": "score",
    "分值": "weight",
    "权重": "weight",
    "系数": "coefficient",
    "分": "points",
}
_KINDS.update({"执行率": "rate", **dict.fromkeys(("预算数", "执行数", "金额", "资金", "数额"), "amount")})
_STAGE_WORDS = re.compile(r"年初|全年预算|调整|执行数|执行")
_STAGES = {
    "年初": "initial",
    "全年预算": "adjusted",
    "调整": "adjusted",
    "执行数": "executed",
    "执行": "executed",
}


def _meaning(text: str) -> tuple[str | None, str | None]:
    """(kind of value, stage of the budget) ``text`` names, each None when it names none."""
    kinds = list(_KIND_WORDS.finditer(text))
    kind = _KINDS[max(kinds, key=lambda m: (m.end(), len(m[0])))[0]] if kinds else None
    stage = None
    if kind == "amount":  # 执行 in 执行率 is no stage; only amounts have one
        stages = list(_STAGE_WORDS.finditer(text))
        stage = _STAGES[stages[0][0]] if stages else None
    return kind, stage


def _same_meaning(label: str, candidate: str) -> bool:
    """Whether a standard column may be proposed for an unknown header: the header names no money unit
    (every amount column is 万元, so a header in 元 or 美元 is never pointed at one), and where both name a
    kind of value the candidate names the same (a bare ``分`` names none: score or weight cannot be told),
    and where both name a stage of the budget, the same."""
    if _MONEY_TAIL.search(label.rstrip("）)")):
        return False
    (kind, stage), (their_kind, their_stage) = _meaning(label), _meaning(candidate)
    return (kind is None or kind == their_kind) and (
        stage is None or their_stage is None or stage == their_stage
    )


def _suggest(label: str) -> str:
    """``（如“全年预算数”）`` when a standard name looks like ``label`` and means the same (for the
    unknown-column message); "" when none does."""
    text = normalize_width(label.strip())
    names = [c.name for c in COLUMNS if _same_meaning(text, c.name)]
    match = difflib.get_close_matches(text, names, n=1, cutoff=0.5)
    return f"（如“{match[0]}”）" if match else ""


def _unit_hint(label: str) -> str:
    """For an unknown header naming a money unit: which units are understood."""
    if "元" not in label:
        return ""
    return (
        "金额列可在列名后注明单位（元、千元、万元 或 亿元，如“全年预算数（元）”），"
        "导入时换算为万元；其他单位请先换算。"
    )


__all__ = [
    "CODES",
    "COLUMNS",
    "MONEY_UNITS",
    "Column",
    "CsvResult",
    "CsvUnit",
    "HeaderCell",
    "HeaderChoice",
    "cell_label",
    "choose_header",
    "column_of",
    "damaged_code",
    "damaged_utf8_file",
    "locate_findings",
    "normalize_header",
    "read_csv",
    "unit_code",
]
