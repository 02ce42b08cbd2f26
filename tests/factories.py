"""Valid evaluations built in code, for any test to start from and spoil one field at a time.

``valid_evaluation()`` is a clean 部门整体 evaluation on the seed department's 2023 figures
(official-rules.md §5, seeds/000_3b180e091e71180d.txt): balanced budget splits, 9 indicators weighing
50 + 30 + 10 = 90 plus 执行率 10, one indicator below its 分值 with its 偏差原因 written. ``check`` finds
nothing in it; its total is 98.70 (优). Each call returns a fresh object.
"""

from __future__ import annotations

from decimal import Decimal

from perfeval_xl.model import Budget, Evaluation, FundLine, Indicator, Kind

D = Decimal


def seed_budget(*, enterprise_subsidy: bool = False) -> Budget:
    """The seed department's 2023 budget (万元), 执行率 100 %; optionally with 对企业补助支出 1348.28."""
    return Budget(
        total=FundLine(initial=D("2652.84"), adjusted=D("2652.84"), executed=D("2652.84")),
        general_public=D("1807.49"),
        government_fund=D("838.62"),
        other_income=D("6.73"),
        basic=D("591.31"),
        wages=D("314.19"),
        goods_services=D("104.11"),
        household_subsidy=D("173.01"),
        project=D("2061.53"),
        enterprise_subsidy=D("1348.28") if enterprise_subsidy else None,
    )


def quant(
    level1: str,
    level2: str,
    name: str,
    op: str,
    target: str,
    unit: str,
    actual: str,
    weight: str,
    score: str | None = None,
    note: str = "",
) -> Indicator:
    """A quantitative row; ``score`` is the self-entered 得分 (defaults to the full 分值)."""
    return Indicator(
        level1=level1,
        level2=level2,
        name=name,
        operator=op,
        target=D(target),
        unit=unit,
        actual=D(actual),
        weight=D(weight),
        score=D(score if score is not None else weight),
        deviation_note=note,
    )


def qual(
    level1: str, level2: str, name: str, band: str, weight: str, score: str, note: str = ""
) -> Indicator:
    """A 定性 row with a text target and actual."""
    return Indicator(
        level1=level1,
        level2=level2,
        name=name,
        operator="定性",
        target="持续完善",
        actual="体系运行良好",
        band=band,
        weight=D(weight),
        score=D(score),
        deviation_note=note,
    )


def valid_indicators() -> list[Indicator]:
    """产出 50 + 效益 30 + 满意度 10 = 90; every rule score equals the entered 得分."""
    return [
        quant("产出指标", "数量指标", "推动企业申报高新技术企业", "≥", "10", "家", "10", "10"),
        quant("产出指标", "数量指标", "科技型中小企业备案入库", "≥", "25", "家", "29", "10"),
        quant("产出指标", "质量指标", "专项资金项目验收合格率", "≥", "95", "%", "100", "10"),
        quant("产出指标", "时效指标", "资金拨付及时率", "=", "100", "%", "100", "10"),
        quant("产出指标", "成本指标", "“三公”经费支出", "≤", "12", "万元", "10.5", "10"),
        quant(
            "效益指标",
            "经济效益指标",
            "进出口总额",
            "≥",
            "200000",
            "万元",
            "173970.59",
            "10",
            "8.70",
            note="受外贸需求下降影响，进出口总额同比下降；加强外贸企业帮扶，拓展出口市场。",
        ),
        quant("效益指标", "社会效益指标", "净增高新技术企业", "≥", "8", "家", "8", "10"),
        qual("效益指标", "可持续影响指标", "科技创新体系建设", "达成年度指标", "10", "10"),
        quant("满意度指标", "服务对象满意度指标", "服务企业满意度", "≥", "90", "%", "95", "10"),
    ]


def valid_evaluation() -> Evaluation:
    """A clean 部门整体 evaluation (no error, warning or info)."""
    return Evaluation(
        unit_code="440882001",
        unit_name="雷州市科工贸和信息化局",
        department="雷州市科工贸和信息化局",
        year=D(2023),
        kind=Kind.DEPARTMENT,
        budget=seed_budget(),
        goal_expected="推动科技创新、工业和商务发展，完成年度科创、外经贸目标任务。",
        goal_actual="科创指标超额完成，外经贸受外需影响未完成。",
        indicators=valid_indicators(),
        execution_weight=D(10),
        filled_by="张三",
        filled_on="2024-07-12",
    )


def valid_project_evaluation() -> Evaluation:
    """A clean 项目支出 evaluation whose 其中 rows add up to 年度资金总额 in every column."""
    ev = valid_evaluation()
    ev.kind = Kind.PROJECT
    ev.project_name = "雷州市产业集聚区基础设施建设项目（一期首批）"
    ev.budget = Budget(
        total=FundLine(initial=D("2061.53"), adjusted=D("2061.53"), executed=D("2061.53")),
        appropriation=FundLine(initial=D("1500"), adjusted=D("1500"), executed=D("1500")),
        carried_over=FundLine(initial=D("561.53"), adjusted=D("561.53"), executed=D("561.53")),
    )
    return ev
