"""How rows are read as people write them (issue 9): signs and words inside values, bare targets, 指标性质
spellings, target 0, line-broken labels and aliases, 定性 rows without 完成档次 — each example with the
value a person computing by the rules gets.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from perfeval_xl.model import Indicator
from perfeval_xl.rules import vocab
from perfeval_xl.rules.checks import check
from perfeval_xl.rules.scheme import Scheme, get_scheme
from perfeval_xl.rules.scoring import read_row

NATIONAL = get_scheme("national")


def row(**kw: object) -> dict[str, object]:
    base = {"level1": "产出指标", "level2": "数量指标", "name": "测试指标", "weight": D(10)}
    base.update(kw)
    return read_row(Indicator(**base), NATIONAL)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("target", "actual", "direction", "t", "a", "score"),
    [
        # signs and units inside 年度指标值; the same sign restated in 实际完成值 is ignored
        ("≥266米", "≥266米", "≥", D(266), D(266), D("10.00")),
        ("≥266米", "200米", "≥", D(266), D(200), D("7.52")),  # 10 × 200/266 = 7.518…
        ("≥90%", "≥90%", "≥", D(90), D(90), D("10.00")),
        ("=100%", "=100%", "=", D(100), D(100), D("10.00")),
        # words give the direction
        ("不少于12种", "10种", "≥", D(12), D(10), D("8.33")),
        ("不低于95%", "96%", "≥", D(95), D(96), D("10.00")),
        ("不超过3个工作日", "4个工作日", "≤", D(3), D(4), D("7.50")),  # 10 × 3/4
        ("不高于5%", "4%", "≤", D(5), D(4), D("10.00")),
        ("90%以上", "80%", "≥", D(90), D(80), D("8.89")),
        ("3个工作日以内", "2个工作日", "≤", D(3), D(2), D("10.00")),
        ("3个工作日内", "6个工作日", "≤", D(3), D(6), D("5.00")),
        ("≤3个工作日", "3个工作日", "≤", D(3), D(3), D("10.00")),
        # full-width characters and thousands separators
        ("≥１,０００人", "１２００人", "≥", D(1000), D(1200), D("10.00")),
        ("＞＝50个", "25个", "≥", D(50), D(25), D("5.00")),
        ("≥100百分比", "95%", "≥", D(100), D(95), D("9.50")),
    ],
)
def test_values_with_signs_and_words(target: str, actual: str, direction: str, t: D, a: D, score: D) -> None:
    env = row(target=target, actual=actual)
    assert (env["dir"], env["t_num"], env["a_val"], env["score"]) == (direction, t, a, score)
    assert not env["assumed"]


def test_a_sign_in_the_actual_is_ignored_and_said() -> None:
    ind = Indicator("产出指标", "数量指标", "道路长度", target="≥266米", actual="≥266米", weight=D(10))
    env = read_row(ind, NATIONAL)
    assert env["score"] == D("10.00") and env["a_dir"] == "≥"
    found = [f for f in _check_row(ind) if f.code == "VALUE_SIGN_IGNORED"]
    assert found and "按 266 计分" in found[0].message and found[0].field == "indicators[0].actual"


@pytest.mark.parametrize(
    ("target", "actual", "t", "a", "score"),
    [
        ("100%", "95%", D(100), D(95), D("9.50")),
        ("38508人", "38000人", D(38508), D(38000), D("9.87")),
        ("1", "1", D(1), D(1), D("10.00")),
    ],
)
def test_a_bare_target_is_scored_as_positive_and_assumed(
    target: str, actual: str, t: D, a: D, score: D
) -> None:
    ind = Indicator("产出指标", "数量指标", "覆盖率", target=target, actual=actual, weight=D(10))
    env = read_row(ind, NATIONAL)
    assert (env["dir"], env["t_num"], env["a_val"], env["score"]) == ("≥", t, a, score)
    assert env["assumed"]
    found = [f for f in _check_row(ind) if f.code == "OPERATOR_ASSUMED"]
    assert found and found[0].level.value == "warning" and "正向" in found[0].message


@pytest.mark.parametrize(
    ("operator", "target", "direction", "assumed"),
    [
        ("═", "100%", "=", False),  # U+2550 on official forms
        ("正向指标", "100", "≥", False),
        ("反向指标", "5", "≤", False),
        ("定量指标", "≤5%", "≤", False),  # direction from the target's sign
        ("定量指标", "95%", "≥", True),  # no sign: 正向, said
        ("定量", "不少于3次", "≥", False),
        ("定性指标", "效果明显", "定性", False),
        ("＞", "10", "≥", False),
        (" ≤ ", "10", "≤", False),
    ],
)
def test_operator_spellings(operator: str, target: str, direction: str, assumed: bool) -> None:
    env = row(operator=operator, target=target, actual="5", score=D(9))
    assert env["dir"] == direction and bool(env["assumed"]) is assumed


def test_every_spelling_is_in_one_table() -> None:
    assert vocab.OPERATOR_SPELLINGS["═".replace("═", "=")] == "="
    for spelling in ("正向指标", "反向指标", "定性指标", "定量指标", "定量"):
        assert spelling in vocab.OPERATOR_SPELLINGS


def test_an_unknown_operator_is_not_guessed() -> None:
    env = row(operator="正相关", target="≥5", actual="6")
    assert env["dir"] == "" and env["score"] == "" and env["unscored"] == 1


@pytest.mark.parametrize(
    ("operator", "target", "actual", "score"),
    [
        ("", "≤0起", "0", D("10.00")),  # no accident: full marks
        ("", "≤0起", "1", D("0.00")),  # any accident: 0
        ("≤", "0", "0", D("10.00")),
        ("反向指标", "0", "2", D("0.00")),
        ("≥", "0", "0", D("10.00")),  # 正向 with target 0: any actual ≥ 0 meets it
        ("≥", "0", "3", D("10.00")),
        ("=", "0", "0", D("10.00")),
        ("=", "0", "1", D("0.00")),
    ],
)
def test_target_zero(operator: str, target: str, actual: str, score: D) -> None:
    env = row(operator=operator, target=target, actual=actual)
    assert env["score"] == score


def test_target_zero_is_no_longer_an_error() -> None:
    ind = Indicator("产出指标", "数量指标", "安全事故", operator="≤", target=D(0), actual=D(0), weight=D(10))
    assert not [f for f in _check_row(ind) if f.level.value == "error"]


@pytest.mark.parametrize(
    ("level1", "level2", "l1", "l2"),
    [
        ("经济效益\n指标", "", "经济效益指标", ""),  # merged cells on forms break lines
        ("产出指标（50分）", "数量\n指标", "产出指标", "数量指标"),
        ("产出指标(50分)", " 质量指标 ", "产出指标", "质量指标"),
        ("服务对象满意度指标等", "满意度指标", "满意度指标", "服务对象满意度指标"),
        ("满意度指标(10分)", "服务对象满意度指标等", "满意度指标", "服务对象满意度指标"),
        ("成本指标", "经济成本指标", "成本指标", "经济成本指标"),
        ("产出", "成本指标", "产出指标", "成本指标"),
    ],
)
def test_labels(level1: str, level2: str, l1: str, l2: str) -> None:
    env = row(level1=level1, level2=level2, target="≥1", actual="1")
    assert (env["l1"], env["l2"]) == (l1, l2)


def test_label_messages_show_the_cleaned_name() -> None:
    ind = Indicator("效益\n指标x", "社会效益指标", "x", target="≥1", actual="1", weight=D(10))
    found = [f for f in _check_row(ind) if f.code == "LEVEL1_UNKNOWN"]
    assert found and "\n" not in found[0].message and "效益指标x" in found[0].message


def test_cost_layout_of_101_is_known() -> None:
    for level1, level2 in (
        ("成本指标", "经济成本指标"),
        ("成本指标", "社会成本指标"),
        ("成本指标", "生态环境成本指标"),
        ("产出指标", "经济成本指标"),
    ):
        ind = Indicator(level1, level2, "成本控制", operator="≤", target=D(100), actual=D(90), weight=D(10))
        codes = {f.code for f in _check_row(ind)}
        assert not codes & {"LEVEL1_UNKNOWN", "LEVEL2_UNKNOWN", "LEVEL2_MISMATCH"}, (level1, level2, codes)


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (D(9), "达成年度指标"),
        (D(8), "达成年度指标"),
        (D("7.99"), "部分达成年度指标并具有一定效果"),
        (D(6), "部分达成年度指标并具有一定效果"),
        (D(5), "未达成年度指标且效果较差"),
    ],
)
def test_a_qualitative_row_without_band_takes_it_from_the_score(score: D, band: str) -> None:
    ind = Indicator(
        "满意度指标",
        "服务对象满意度指标",
        "群众满意度",
        operator="定性",
        target="满意",
        actual="满意",
        score=score,
        weight=D(10),
        deviation_note="原因",
    )
    env = read_row(ind, NATIONAL)
    assert env["band"] == band and env["score"] == score.quantize(D("0.01"))
    assert not [f for f in _check_row(ind) if f.level.value == "error"]


def test_a_qualitative_row_with_neither_band_nor_score_is_an_error() -> None:
    ind = Indicator(
        "满意度指标",
        "服务对象满意度指标",
        "群众满意度",
        operator="定性",
        target="满意",
        actual="满意",
        weight=D(10),
    )
    found = [f for f in _check_row(ind) if f.code == "REQUIRED_MISSING"]
    assert found and found[0].field == "indicators[0].score"


def test_a_band_written_in_the_actual_is_read() -> None:
    env = row(operator="定性", target="效果明显", actual="达成预期指标", score=D(9))
    assert env["b_cell"] == "达成年度指标"


def test_a_row_with_no_values_is_told_that() -> None:
    ind = Indicator("产出指标", "数量指标", "培训人次", weight=D(10))
    found = {(f.code, f.field) for f in _check_row(ind)}
    assert ("REQUIRED_MISSING", "indicators[0].target") in found
    assert ("REQUIRED_MISSING", "indicators[0].actual") in found
    messages = " ".join(f.message for f in _check_row(ind))
    assert "实际完成值也未填写" in messages


def test_an_actual_in_another_unit_is_not_read() -> None:
    ind = Indicator(
        "产出指标", "成本指标", "造价", operator="≤", target="30000元", actual="3万元", weight=D(10)
    )
    env = read_row(ind, NATIONAL)
    assert env["a_val"] == "" and env["score"] == ""
    assert "UNIT_MISMATCH" in {f.code for f in _check_row(ind)}


def test_text_that_is_not_a_number_stays_unread() -> None:
    env = row(operator="≥", target="1-2个", actual="2个")
    assert env["t_num"] == "" and env["score"] == ""


def _check_row(ind: Indicator, scheme: Scheme = NATIONAL):  # type: ignore[no-untyped-def]
    from perfeval_xl.model import Budget, Evaluation, FundLine

    ev = Evaluation(
        unit_code="1",
        unit_name="测试单位",
        year=D(2023),
        budget=Budget(total=FundLine(D(100), D(100), D(100))),
        indicators=[ind],
    )
    return [f for f in check(ev, scheme) if f.field.startswith("indicators")]  # the row's own findings


def test_a_text_target_with_a_score_is_the_national_forms_qualitative_row_and_not_told() -> None:
    """The national form has no 指标性质 column: a text target with a 得分 is a 定性 row, scored by the 得分
    without a warning the clerk cannot clear; without a 得分 the assumption is said (it may be a number)."""
    scored = Indicator(
        "效益指标",
        "可持续影响指标",
        "长效管护机制",
        target="长效管护机制健全",
        actual="基本健全",
        weight=D(10),
        score=D(7),
    )
    assert read_row(scored, NATIONAL)["score"] == D("7.00")
    assert not [f for f in _check_row(scored) if f.code == "OPERATOR_ASSUMED"]
    unscored = Indicator(
        "效益指标", "可持续影响指标", "长效管护机制", target="机制健全", actual="基本健全", weight=D(10)
    )
    [found] = [f for f in _check_row(unscored) if f.code == "OPERATOR_ASSUMED"]
    assert "定性" in found.message


def test_a_row_scored_by_deduction_has_no_direction_to_assume() -> None:
    """hunan-bmzt's 三公经费变动率 is scored by deduction above 0: a bare target is not 正向 or 反向 there."""
    hunan = get_scheme("hunan-bmzt")
    ind = Indicator("投入", "预算配置", "三公经费变动率", target="0", unit="%", actual="2", weight=D(5))
    assert read_row(ind, hunan)["mk"] == "deduction"
    assert not [f for f in _check_row(ind, hunan) if f.code == "OPERATOR_ASSUMED"]
    ratio = Indicator("产出指标", "数量指标", "覆盖率", target="100%", actual="95%", weight=D(10))
    assert [f for f in _check_row(ratio, hunan) if f.code == "OPERATOR_ASSUMED"]


def test_a_bare_target_of_zero_says_that_any_actual_meets_it() -> None:
    """``0次`` with no sign: 正向 with target 0 is met by any actual (issue 9), which on a 返工次数 row is
    probably not what the clerk meant; the warning says so and how to make it 反向."""
    ind = Indicator("产出指标", "质量指标", "返工次数", target="0次", actual="3次", weight=D(10))
    assert read_row(ind, NATIONAL)["score"] == D("10.00")
    [found] = [f for f in _check_row(ind) if f.code == "OPERATOR_ASSUMED"]
    assert "指标值为 0，任何完成值都得满分" in found.message and "≤" in found.message
    reverse = Indicator("产出指标", "质量指标", "返工次数", "≤", "0次", actual="3次", weight=D(10))
    assert read_row(reverse, NATIONAL)["score"] == D("0.00")
