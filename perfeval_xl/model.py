"""The data of one self-evaluation (评价对象) as the clerk entered it, and the findings about it.

No I/O here. Numeric fields hold what was entered: a ``Decimal`` when it is a number, the raw ``str``
when the clerk typed text that is not a number (a finding, never silently dropped), ``None`` when blank.
Money is in 万元 throughout, as on the official tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

#: A numeric input: a number, the raw text that is not one, or blank.
Num = Decimal | str | None


def as_number(value: Num) -> Decimal | None:
    """The value if it is a number, else None (text and blanks do not count)."""
    return value if isinstance(value, Decimal) else None


class Kind(StrEnum):
    """评价类型."""

    DEPARTMENT = "部门整体支出"
    PROJECT = "项目支出"


class Level(StrEnum):
    """How serious a finding is. Errors make ``validate`` exit 1."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def label(self) -> str:
        return {"error": "错误", "warning": "警告", "info": "提示"}[self.value]


@dataclass
class FundLine:
    """One row of the 项目资金 table: 年初预算数, 全年预算数, 全年执行数 (万元)."""

    initial: Num = None
    adjusted: Num = None
    executed: Num = None


@dataclass
class Budget:
    """The money of one evaluation (万元).

    ``total`` is the 年度资金总额 row. The 其中 rows (national: 当年财政拨款, 上年结转资金, 其他资金; 四川:
    财政资金 = ``appropriation``, 财政专户管理资金, 单位资金, 其他资金) are optional; the scheme says which. The 部门整体 split (income sources, spending by nature and by economic class)
    is optional and given as 全年预算数 figures, as in the seed report.
    """

    total: FundLine = field(default_factory=FundLine)
    # 项目资金 其中 rows
    appropriation: FundLine = field(default_factory=FundLine)  # 当年财政拨款
    carried_over: FundLine = field(default_factory=FundLine)  # 上年结转资金
    special_account: FundLine = field(default_factory=FundLine)  # 财政专户管理资金 (四川)
    unit_funds: FundLine = field(default_factory=FundLine)  # 单位资金 (四川)
    other_funds: FundLine = field(default_factory=FundLine)  # 其他资金
    # 部门整体: income sources (收入预算)
    general_public: Num = None  # 一般公共预算拨款
    government_fund: Num = None  # 政府性基金拨款
    other_income: Num = None  # 其他收入
    # 部门整体: spending (预算支出)
    basic: Num = None  # 基本支出
    wages: Num = None  # 工资福利支出
    goods_services: Num = None  # 商品和服务支出
    household_subsidy: Num = None  # 对个人和家庭的补助
    project: Num = None  # 项目支出
    enterprise_subsidy: Num = None  # 对企业补助（按经济分类，属项目支出的一部分）
    #: 预算执行说明: why 执行率 < 90 % or why the budget was adjusted (四川 asks for it).
    note: str = ""


@dataclass
class Indicator:
    """One 三级指标 row.

    For 定性 rows ``band`` holds the chosen grade (达成年度指标 …) and ``score`` the evaluator's pick inside
    it; ``actual`` may then be a description. A row whose 实际完成值 or 完成档次 is ``/`` (or 不适用) is
    not applicable and not scored (rules.vocab.is_not_applicable).
    """

    level1: str = ""  # 一级指标
    level2: str = ""  # 二级指标
    name: str = ""  # 三级指标
    operator: str = ""  # 指标性质: ≥ > = ≤ < 定性 (as entered; see rules.vocab.normalize_operator)
    target: Num = None  # 年度指标值 (text for 定性 targets such as 效果明显)
    unit: str = ""  # 度量单位
    actual: Num = None  # 实际完成值
    band: str = ""  # 完成档次 (定性)
    weight: Num = None  # 分值
    score: Num = None  # 自评得分 as entered (required for 定性, optional otherwise)
    deviation_note: str = ""  # 偏差原因分析及改进措施
    #: 计分方法 as entered (a method name of the scheme: 比例 / 区间 / 扣分 / 系数 …); "" = the scheme's default.
    method: str = ""
    #: 得分系数 as entered (per cent as written, 76 for 76 %), for the coefficient method (重庆 部门整体).
    coefficient: Num = None
    #: Where the row came from (sheet row or CSV line), for messages; None when built in code.
    row: int | None = None


@dataclass
class ReportText:
    """Free text only a person can write, for the 自评报告 (empty → placeholder, never invented)."""

    duties: str = ""  # 主要职责职能
    organisation: str = ""  # 组织架构和人员情况
    assets: str = ""  # 资产情况
    tasks: str = ""  # 履职总体目标、工作任务及完成情况
    management: str = ""  # 预算绩效管理开展情况
    achievements: str = ""  # 整体支出绩效实现情况
    problems: str = ""  # 主要问题及原因分析
    measures: str = ""  # 改进的方向和具体措施
    publication: str = ""  # 结果应用和公开情况


@dataclass
class Evaluation:
    """One 评价对象: a department as a whole or one project of a unit, for one year."""

    unit_code: str = ""  # 单位编码
    unit_name: str = ""  # 单位名称
    department: str = ""  # 主管部门
    year: Num = None  # 评价年度
    kind: str = Kind.DEPARTMENT  # 评价类型 (as entered; Kind values are the valid ones)
    project_name: str = ""  # 项目名称 (项目支出 only)
    budget: Budget = field(default_factory=Budget)
    goal_expected: str = ""  # 年度总体目标：预期目标
    goal_actual: str = ""  # 年度总体目标：实际完成情况
    indicators: list[Indicator] = field(default_factory=list)
    execution_weight: Num = Decimal(10)  # 预算执行率分值
    #: 执行率 as the clerk entered it on the 年度资金总额 row (a fraction: 0.9827), None when not entered.
    execution_rate_entered: Num = None
    #: 执行率得分 as the clerk entered it (points), None when not entered; compared with the rule's score.
    execution_score_entered: Num = None
    #: The scoring scheme's id this evaluation was made under (a workbook records it), "" when unknown.
    scheme: str = ""
    text: ReportText = field(default_factory=ReportText)
    filled_by: str = ""  # 填报人
    filled_on: str = ""  # 填报日期

    @property
    def subject(self) -> str:
        """评价对象 as the CSV names it: 部门整体 or the project's name."""
        return self.project_name if self.kind == Kind.PROJECT else "部门整体"


@dataclass(frozen=True)
class Finding:
    """One validation result.

    ``field`` names the input it is about in model terms (``budget.total.executed``,
    ``indicators[3].weight``); edges translate it into a sheet and cell or a CSV row and column and fill
    ``sheet``/``cell``. ``message`` is Chinese and says what is wrong and what to do.
    """

    code: str
    level: Level
    message: str
    field: str = ""
    sheet: str = ""
    cell: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "sheet": self.sheet,
            "cell": self.cell,
            "code": self.code,
            "level": self.level.value,
            "message": self.message,
        }


class LevelCounts:
    """``errors`` and ``warnings``: how many of the items ``leveled()`` gives are at each level."""

    def leveled(self) -> Iterable[Any]:  # Finding, batch.Issue: anything with a ``level``
        raise NotImplementedError

    @property
    def errors(self) -> int:
        return sum(1 for item in self.leveled() if item.level is Level.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for item in self.leveled() if item.level is Level.WARNING)
