"""Where every input lives in the template: sheet names, the 基本信息 form, the 绩效指标 columns.

Reader, writer, template builder and the Excel add-in derive all addresses from here. Field keys are model
attribute paths (``budget.total.executed``, ``indicators[3].weight``), the same names validation findings use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ..model import Kind
from ..rules import vocab

INSTRUCTIONS = "填报说明"
INFO = "基本信息"
INDICATORS = "绩效指标"
SCORING = "评分"
SUMMARY = "自评表"
FINDINGS = "校验结果"
SHEETS = (INSTRUCTIONS, INFO, INDICATORS, SCORING, SUMMARY, FINDINGS)

#: Template format version, stored as a custom document property; readers accept this major version.
TEMPLATE_VERSION = "1"
PROPERTY = "perfeval-xl"

FieldKind = Literal["text", "longtext", "number", "integer", "choice", "score"]


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


# 二、预算执行情况: the fund table, rows 年度资金总额 and its three 其中 rows, columns 年初 / 全年 / 执行.
FUND_ROWS = (
    ("total", "年度资金总额", 14),
    ("appropriation", "当年财政拨款", 15),
    ("carried_over", "上年结转资金", 16),
    ("other_funds", "其他资金", 17),
)
FUND_COLUMNS = (
    ("initial", "年初预算数", "B"),
    ("adjusted", "全年预算数", "C"),
    ("executed", "全年执行数", "D"),
)

# The 基本信息 form. Rows are fixed; template.py draws section headers on the rows in between.
FIELDS: tuple[Field, ...] = (
    Field("unit_name", "单位名称", "B4", "text", True, merge_to="D"),
    Field("unit_code", "单位编码", "B5", "text", True, help="预算单位编码，按文本填写，保留前导 0"),
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
    # 二、预算执行情况: the fund table, columns B 年初 / C 全年 / D 执行
    *(
        Field(
            f"budget.{key}.{part}",
            f"{label} {head}",
            f"{col}{row}",
            "number",
            key == "total" and part != "initial",
        )
        for key, label, row in FUND_ROWS
        for part, head, col in FUND_COLUMNS
    ),
    Field("execution_weight", "执行率分值", "B18", "score", True, help="默认 10 分"),
    Field(
        "budget.note",
        "预算执行说明",
        "B21",
        "longtext",
        merge_to="E",
        help="执行率低于 90% 或年中调整预算时，说明原因",
    ),
    # 三、部门整体收支 (全年预算数)
    Field("budget.general_public", "一般公共预算拨款", "B23", "number"),
    Field("budget.government_fund", "政府性基金拨款", "B24", "number"),
    Field("budget.other_income", "其他收入", "B25", "number"),
    Field("budget.basic", "基本支出", "B27", "number"),
    Field("budget.wages", "其中：工资福利支出", "B28", "number"),
    Field("budget.goods_services", "　　　商品和服务支出", "B29", "number"),
    Field("budget.household_subsidy", "　　　对个人和家庭的补助", "B30", "number"),
    Field("budget.project", "项目支出", "B31", "number"),
    Field(
        "budget.enterprise_subsidy",
        "其中：对企业补助",
        "B32",
        "number",
        help="按经济分类，属项目支出的一部分",
    ),
    # 四、年度总体目标
    Field("goal_expected", "预期目标", "B35", "longtext", merge_to="E"),
    Field("goal_actual", "实际完成情况", "B36", "longtext", merge_to="E"),
    # 五、自评报告文字
    Field("text.duties", "主要职责职能", "B38", "longtext", merge_to="E"),
    Field("text.organisation", "组织架构和人员情况", "B39", "longtext", merge_to="E"),
    Field("text.assets", "资产情况", "B40", "longtext", merge_to="E"),
    Field("text.tasks", "履职总体目标、工作任务及完成情况", "B41", "longtext", merge_to="E"),
    Field("text.management", "预算绩效管理开展情况", "B42", "longtext", merge_to="E"),
    Field("text.achievements", "整体支出绩效实现情况", "B43", "longtext", merge_to="E"),
    Field("text.problems", "主要问题及原因分析", "B44", "longtext", merge_to="E"),
    Field("text.measures", "改进的方向和具体措施", "B45", "longtext", merge_to="E"),
    Field("text.publication", "结果应用和公开情况", "B46", "longtext", merge_to="E"),
)
FIELD_BY_KEY = {f.key: f for f in FIELDS}

# Computed cells on 基本信息 (display of the 评分 results and of the split sums).
INFO_RATE_CELL, INFO_EXEC_SCORE_CELL = "B19", "B20"
INFO_INCOME_SUM_CELL, INFO_SPENDING_SUM_CELL = "B26", "B33"

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
    choices: tuple[str, ...] = ()
    help: str = ""

    @property
    def is_input(self) -> bool:
        return self.kind not in ("seq", "formula")


LEVEL2_ALL: tuple[str, ...] = tuple(n for names in vocab.LEVELS.values() for n in names)
BAND_CHOICES: tuple[str, ...] = (*vocab.BANDS, "/")

COLUMNS: tuple[Column, ...] = (
    Column("seq", "A", "序号", "seq", 5),
    Column("level1", "B", "一级指标", "choice", 11, tuple(vocab.LEVELS)),
    Column("level2", "C", "二级指标", "choice", 14, LEVEL2_ALL),
    Column("name", "D", "三级指标", "text", 24),
    Column("operator", "E", "指标性质", "choice", 7, vocab.OPERATOR_CHOICES, "≥ 正向；≤ 反向；= 等于；定性"),
    Column("target", "F", "年度指标值", "value", 11, help="定量指标填数字；定性指标可填文字"),
    Column("unit", "G", "度量单位", "text", 8),
    Column("actual", "H", "实际完成值", "value", 11, help="不适用的指标填 /"),
    Column("band", "I", "完成档次（定性）", "choice", 16, BAND_CHOICES, "定性指标选择完成档次"),
    Column("weight", "J", "分值", "number", 7),
    Column("score", "K", "自评得分", "score", 8, help="定性指标必填，须在档次区间内"),
    Column("rule_score", "L", "得分", "formula", 8),
    Column("deviation_note", "M", "偏差原因分析及改进措施", "longtext", 30),
    Column("applicable_weight", "N", "计分分值", "formula", 8),
    Column("na_flag", "O", "不适用", "formula", 6),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
INPUT_COLUMNS = tuple(c for c in COLUMNS if c.is_input)
HIDDEN_COLUMNS = ("N", "O")

# ------------------------------------------------------------------------------------- 评分 sheet

SCORING_EXEC_ROW = 4
SCORING_LEVEL1_ROWS = {name: 5 + i for i, name in enumerate(vocab.LEVELS)}  # 产出 5, 效益 6, 满意度 7
SCORING_SUM_ROW = 8
SCORING_TOTAL_ROW = 9
SCORING_GRADE_ROW = 10
RATE_CELL = f"C{SCORING_EXEC_ROW}"
EXEC_SCORE_CELL = f"D{SCORING_EXEC_ROW}"
TOTAL_CELL = f"D{SCORING_TOTAL_ROW}"
GRADE_CELL = f"D{SCORING_GRADE_ROW}"

# ------------------------------------------------------------------------------------- locating fields

_INDICATOR_KEY = re.compile(r"^indicators\[(\d+)\]\.(\w+)$")


def indicator_column(attr: str) -> Column:
    return COLUMN_BY_KEY[attr]


def locate(field_key: str, rows: list[int | None] | None = None) -> tuple[str, str]:
    """(sheet, cell) of a model field path; ``rows`` maps indicator index → sheet row (Indicator.row).

    Unknown or evaluation-wide keys point at the sheet's first input cell, so a finding is never placeless.
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
    return INFO, FIELD_BY_KEY["unit_name"].cell
