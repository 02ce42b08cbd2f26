"""Evaluations built in code for the workbook tests (the seed department's 2023 budget)."""

from __future__ import annotations

from decimal import Decimal as D

from factories import seed_budget

from perfeval_xl.model import Evaluation, Indicator


def seed_evaluation() -> Evaluation:
    """雷州市科工贸和信息化局 2023 (figures from the seed report; indicators illustrative)."""
    return Evaluation(
        unit_code="001234",
        unit_name="雷州市科工贸和信息化局",
        department="雷州市人民政府",
        year=D(2023),
        kind="部门整体支出",
        budget=seed_budget(enterprise_subsidy=True),
        goal_expected="保障机关正常运转，推进企业技改创新升级。",
        goal_actual="完成技改企业 20 家，新增 5G 基站 224 座。",
        indicators=[
            Indicator("产出指标", "数量指标", "完成技改企业数", "≥", D(17), "家", D(20), "", D(20)),
            Indicator(
                "产出指标",
                "数量指标",
                "新增5G基站",
                "≥",
                D(262),
                "座",
                D(224),
                "",
                D(15),
                None,
                "部分站址协调滞后；下年提前对接铁塔公司。",
            ),
            Indicator("产出指标", "时效指标", "项目备案办结时限", "≤", D(3), "个工作日", D(3), "", D(15)),
            Indicator("效益指标", "经济效益指标", "规上工业增加值增速", "≥", D(5), "%", D("5.4"), "", D(30)),
            Indicator(
                "满意度指标",
                "服务对象满意度指标",
                "企业满意度",
                "定性",
                "满意",
                "",
                "达成年度指标",
                "达成年度指标",
                D(10),
                D(9),
                "个别企业反映办事流程较长；下年精简材料。",
            ),
        ],
    )
