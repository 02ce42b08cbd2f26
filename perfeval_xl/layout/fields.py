"""Where every input lives in the template: sheet names, the 基本信息 form, the 绩效指标 columns.

Reader, writer, template builder and the Excel add-in derive all addresses from here. Field keys are model
attribute paths (``budget.total.executed``, ``indicators[3].weight``), the same names validation findings use.

Positions are the same for every scheme (a scheme changes labels, dropdowns and formulas, and hides the
fund rows it does not use), so a workbook can be read before its scheme is known. They differ between
template versions: version 2 (this one) has five fund rows (四川's 财政专户管理资金 and 单位资金 besides the
national three), the 执行率/执行率得分 a clerk enters beside the computed ones, and the 计分方法 and 得分系数
columns; ``layout_for("1")`` gives version 1's positions, so workbooks made with it are still read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from ..model import Kind
from ..rules import vocab

INSTRUCTIONS = "填报说明"
INFO = "基本信息"
INDICATORS = "绩效指标"
SCORING = "评分"
SUMMARY = "自评表"
FINDINGS = "校验结果"
CALC = "计算"  # hidden: the row program and the row checks, one row per 绩效指标 row
BOOK_CALC = "校验计算"  # hidden: the checks of the evaluation as a whole, one row per rule
SHEETS = (INSTRUCTIONS, INFO, INDICATORS, SCORING, SUMMARY, FINDINGS, CALC, BOOK_CALC)

#: Template format version, stored as a custom document property; readers accept versions 1 and 2.
TEMPLATE_VERSION = "2"
VERSIONS = ("1", "2")
PROPERTY = "perfeval-xl"
SCHEME_PROPERTY = "perfeval-xl scheme"
SCHEME_DIGEST_PROPERTY = "perfeval-xl scheme digest"
SCHEME_NAME_PROPERTY = "perfeval-xl rules"  # version 1 stored the rule set's display name here

FieldKind = Literal["text", "longtext", "number", "integer", "choice", "score", "percent"]


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    cell: str  # on the 基本信息 sheet
    kind: FieldKind = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    help: str = ""
    merge_to: str = ""  # last column of a merged input (e.g. "D")


#: The fund table: 年度资金总额 and the budget slots a scheme's 其中 rows may use, in this order.
FUND_SLOTS = ("appropriation", "carried_over", "special_account", "unit_funds", "other_funds")
#: Labels of the fund slots in messages of the reader (the template shows the scheme's labels).
FUND_SLOT_LABELS = {
    "appropriation": "当年财政拨款",
    "carried_over": "上年结转资金",
    "special_account": "财政专户管理资金",
    "unit_funds": "单位资金",
    "other_funds": "其他资金",
}
FUND_COLUMNS = (
    ("initial", "年初预算数", "B"),
    ("adjusted", "全年预算数", "C"),
    ("executed", "全年执行数", "D"),
)


def _fields(version: str) -> tuple[Field, ...]:
    """The 基本信息 form of a template version (rows are fixed; template.py draws section headers)."""
    v1 = version == "1"
    total_row = 14
    slots = ("appropriation", "carried_over", "other_funds") if v1 else FUND_SLOTS
    fund_rows = [("total", "年度资金总额", total_row)] + [
        (k, FUND_SLOT_LABELS[k], total_row + 1 + i) for i, k in enumerate(slots)
    ]
    r = total_row + len(slots) + 1  # 执行率分值
    fields: list[Field] = [
        Field("unit_name", "单位名称", "B4", "text", True, merge_to="D"),
        Field("unit_code", "单位编码", "B5", "text", False, help="预算单位编码，按文本填写，保留前导 0"),
        Field("department", "主管部门", "B6", "text", merge_to="D"),
        Field("year", "评价年度", "B7", "integer", True, help="四位年份，如 2023"),
        Field(
            "kind",
            "评价类型",
            "B8",
            "choice",
            True,
            choices=(Kind.DEPARTMENT.value, Kind.PROJECT.value),
            help="部门整体支出或项目支出",
        ),
        Field("project_name", "项目名称", "B9", "text", merge_to="D", help="评价类型为项目支出时必填"),
        Field("filled_by", "填报人", "B10", "text"),
        Field("filled_on", "填报日期", "B11", "text", help="如 2024年7月12日"),
        *(
            Field(
                f"budget.{key}.{part}",
                f"{label} {head}",
                f"{col}{row}",
                "number",
                key == "total" and part != "initial",
            )
            for key, label, row in fund_rows
            for part, head, col in FUND_COLUMNS
        ),
        Field("execution_weight", "执行率分值", f"B{r}", "score", True, help="按评分规则"),
    ]
    if not v1:
        fields += [
            Field(
                "execution_rate_entered",
                "执行率（表上填写）",
                f"C{r + 1}",
                "percent",
                help="可不填；填了则核对",
            ),
            Field(
                "execution_score_entered",
                "执行率得分（表上填写）",
                f"C{r + 2}",
                "score",
                help="可不填；填了则核对",
            ),
        ]
    note = r + 3
    fields.append(
        Field(
            "budget.note",
            "预算执行说明",
            f"B{note}",
            "longtext",
            merge_to="E",
            help="执行率低于 90% 或年中调整预算时，说明原因",
        )
    )
    split = note + 2  # 三、部门整体收支 starts one row after its header
    fields += [
        Field("budget.general_public", "一般公共预算拨款", f"B{split}", "number"),
        Field("budget.government_fund", "政府性基金拨款", f"B{split + 1}", "number"),
        Field("budget.other_income", "其他收入", f"B{split + 2}", "number"),
        Field("budget.basic", "基本支出", f"B{split + 4}", "number"),
        Field("budget.wages", "其中：工资福利支出", f"B{split + 5}", "number"),
        Field("budget.goods_services", "　　　商品和服务支出", f"B{split + 6}", "number"),
        Field("budget.household_subsidy", "　　　对个人和家庭的补助", f"B{split + 7}", "number"),
        Field("budget.project", "项目支出", f"B{split + 8}", "number"),
        Field(
            "budget.enterprise_subsidy",
            "其中：对企业补助",
            f"B{split + 9}",
            "number",
            help="按经济分类，属项目支出的一部分",
        ),
    ]
    goals = split + 12
    fields += [
        Field("goal_expected", "预期目标", f"B{goals}", "longtext", merge_to="E"),
        Field("goal_actual", "实际完成情况", f"B{goals + 1}", "longtext", merge_to="E"),
    ]
    texts = goals + 3
    for i, (key, label) in enumerate(
        (
            ("text.duties", "主要职责职能"),
            ("text.organisation", "组织架构和人员情况"),
            ("text.assets", "资产情况"),
            ("text.tasks", "履职总体目标、工作任务及完成情况"),
            ("text.management", "预算绩效管理开展情况"),
            ("text.achievements", "整体支出绩效实现情况"),
            ("text.problems", "主要问题及原因分析"),
            ("text.measures", "改进的方向和具体措施"),
            ("text.publication", "结果应用和公开情况"),
        )
    ):
        fields.append(Field(key, label, f"B{texts + i}", "longtext", merge_to="E"))
    return tuple(fields)


FIELDS: tuple[Field, ...] = _fields(TEMPLATE_VERSION)
FIELD_BY_KEY = {f.key: f for f in FIELDS}


def _row(key: str) -> int:
    return int(re.sub(r"^[A-Z]+", "", FIELD_BY_KEY[key].cell))


#: Rows of the 基本信息 sheet's parts (version 2).
FUND_TOTAL_ROW = _row("budget.total.initial")
FUND_SLOT_ROWS = {key: FUND_TOTAL_ROW + 1 + i for i, key in enumerate(FUND_SLOTS)}
EXEC_WEIGHT_ROW = _row("execution_weight")
# Computed cells on 基本信息 (display of the 评分 results and of the split sums).
INFO_RATE_CELL, INFO_EXEC_SCORE_CELL = f"B{EXEC_WEIGHT_ROW + 1}", f"B{EXEC_WEIGHT_ROW + 2}"
INFO_INCOME_SUM_CELL = f"B{_row('budget.other_income') + 1}"
INFO_SPENDING_SUM_CELL = f"B{_row('budget.enterprise_subsidy') + 1}"
#: The column of 基本信息 where the live problems of each row are shown.
INFO_PROBLEM_COL = "F"
INFO_LAST_ROW = max(_row(f.key) for f in FIELDS)

# ------------------------------------------------------------------------------------- 绩效指标 sheet

INDICATOR_HEADER_ROW = 3
INDICATOR_FIRST_ROW = 4
INDICATOR_ROWS = 300  # room for many indicators (issue 2: at least 200)
INDICATOR_LAST_ROW = INDICATOR_FIRST_ROW + INDICATOR_ROWS - 1

ColumnKind = Literal["seq", "text", "choice", "value", "number", "score", "longtext", "formula"]


@dataclass(frozen=True)
class Column:
    key: str  # Indicator attribute, or a computed column name
    letter: str
    header: str
    kind: ColumnKind
    width: float
    help: str = ""

    @property
    def is_input(self) -> bool:
        return self.kind not in ("seq", "formula")

    @property
    def label_key(self) -> str:
        """The key of scheme.LABEL_DEFAULTS naming this column."""
        return self.key


COLUMNS: tuple[Column, ...] = (
    Column("seq", "A", "序号", "seq", 5),
    Column("level1", "B", "一级指标", "choice", 11),
    Column("level2", "C", "二级指标", "choice", 14),
    Column("name", "D", "三级指标", "text", 24),
    Column(
        "operator", "E", "指标性质", "choice", 7, "≥ 正向；≤ 反向；= 等于；定性；也可留空（按指标值中的符号）"
    ),
    Column("target", "F", "年度指标值", "value", 11, "可写“≥50个”“100%”“3个工作日内”；定性指标填文字"),
    Column("unit", "G", "度量单位", "text", 8),
    Column("actual", "H", "实际完成值", "value", 11, "填完成的数值（可带单位）；不适用的指标填 /"),
    Column("band", "I", "完成档次（定性）", "choice", 16, "定性指标可选完成档次，不选则按得分推定"),
    Column("weight", "J", "分值", "number", 7),
    Column("score", "K", "自评得分", "score", 8, "定性指标必填，须在档次区间内"),
    Column("rule_score", "L", "得分", "formula", 8),
    Column("deviation_note", "M", "偏差原因分析及改进措施", "longtext", 30),
    Column("problem", "N", "问题（自动校验）", "formula", 30),
    Column("method", "O", "计分方法", "choice", 12, "按规则：留空用默认方法"),
    Column("coefficient", "P", "得分系数（%）", "value", 9, "0–100，如 76 表示 76%"),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
INPUT_COLUMNS = tuple(c for c in COLUMNS if c.is_input)

# ------------------------------------------------------------------------------------- 评分 sheet

SCORING_EXEC_ROW = 4
SCORING_SUM_ROW = 5
SCORING_TOTAL_ROW = 6
SCORING_GRADE_ROW = 7
SCORING_REASON_ROW = 8
SCORING_PARTIAL_ROW = 9
SCORING_COUNTS_ROW = 10
SCORING_LEVEL1_FIRST_ROW = 13  # the 一级 breakdown, one row per 一级 of the scheme
RATE_CELL = f"C{SCORING_EXEC_ROW}"
EXEC_SCORE_CELL = f"D{SCORING_EXEC_ROW}"
TOTAL_CELL = f"D{SCORING_TOTAL_ROW}"
GRADE_CELL = f"D{SCORING_GRADE_ROW}"
COMPLETE_CELL = f"B{SCORING_TOTAL_ROW}"  # 1 when 总分 may be computed (hidden number format)
REASON_CELL = f"B{SCORING_REASON_ROW}"
PARTIAL_CELL = f"D{SCORING_PARTIAL_ROW}"
ERRORS_CELL = f"B{SCORING_COUNTS_ROW}"
WARNINGS_CELL = f"D{SCORING_COUNTS_ROW}"

#: Findings about sums the 评分 sheet shows point at them: 分值合计 (B5) and the 一级 breakdown (B13).
SCORING_FIELDS = {"weights": f"B{SCORING_SUM_ROW}", "level1_weights": f"B{SCORING_LEVEL1_FIRST_ROW}"}

# ------------------------------------------------------------------------------------- versions


@dataclass(frozen=True)
class Layout:
    """The input positions of one template version."""

    version: str
    fields: tuple[Field, ...]
    columns: tuple[Column, ...]  # input columns of 绩效指标

    @property
    def info_rows(self) -> int:
        return max(int(re.sub(r"^[A-Z]+", "", f.cell)) for f in self.fields)


@cache
def layout_for(version: str = TEMPLATE_VERSION) -> Layout:
    """Positions of a template version ("1" or "2"); an unknown version reads as the current one."""
    if version == "1":
        v1_columns = tuple(c for c in INPUT_COLUMNS if c.letter <= "M")
        return Layout("1", _fields("1"), v1_columns)
    return Layout(TEMPLATE_VERSION, FIELDS, INPUT_COLUMNS)


# ------------------------------------------------------------------------------------- locating fields

_INDICATOR_KEY = re.compile(r"^indicators\[(\d+)\]\.(\w+)$")


def indicator_column(attr: str) -> Column:
    return COLUMN_BY_KEY[attr]


def locate(field_key: str, rows: list[int | None] | None = None) -> tuple[str, str]:
    """(sheet, cell) of a model field path; ``rows`` maps indicator index → sheet row (Indicator.row).

    ``weights`` and ``level1_weights`` point at the sums on 评分 (``SCORING_FIELDS``); the evaluation as a
    whole (``""``: no indicators …) points at 总分 on 评分; unknown keys point
    at the sheet's first input cell, so a finding is never placeless.
    """
    if field_key in FIELD_BY_KEY:
        return INFO, FIELD_BY_KEY[field_key].cell
    m = _INDICATOR_KEY.match(field_key)
    if m:
        index, attr = int(m.group(1)), m.group(2)
        row = rows[index] if rows and index < len(rows) and rows[index] else INDICATOR_FIRST_ROW + index
        col = COLUMN_BY_KEY.get(attr, COLUMN_BY_KEY["name"])
        return INDICATORS, f"{col.letter}{row}"
    if field_key.startswith("indicators"):
        return INDICATORS, f"D{INDICATOR_FIRST_ROW}"
    if field_key in SCORING_FIELDS:
        return SCORING, SCORING_FIELDS[field_key]
    if field_key == "":
        return SCORING, TOTAL_CELL
    return INFO, FIELD_BY_KEY["unit_name"].cell


#: Header texts accepted for each input column of 绩效指标 (the default, version 1's, every label a shipped
#: scheme gives it); the reader checks a workbook's header row against these.
def header_texts(key: str) -> frozenset[str]:
    from ..rules.scheme import LABEL_DEFAULTS, scan_schemes

    out = {COLUMN_BY_KEY[key].header}
    label_key = {"rule_score": "rule_score"}.get(key, key)
    if label_key in LABEL_DEFAULTS:
        out.add(LABEL_DEFAULTS[label_key])
        for s in scan_schemes()[0]:  # a broken scheme file elsewhere must not stop reading a workbook
            out.add(s.label(label_key))
    return frozenset(out)


LEVEL2_HINT = "二级指标按所选一级指标填写"
#: 指标性质 dropdown.
OPERATOR_CHOICES = vocab.OPERATOR_CHOICES
