"""Scoring schemes as files (issue 10): loading and its Chinese errors, export and reload, and for every
shipped scheme a case computed by hand from its source (official-rules.md §6)."""

from __future__ import annotations

import json
import re
from decimal import Decimal as D
from pathlib import Path

import pytest
from typer.testing import CliRunner

from perfeval_xl.cli import app
from perfeval_xl.model import Budget, Evaluation, FundLine, Indicator, Kind
from perfeval_xl.rules.checks import check
from perfeval_xl.rules.scheme import (
    SchemeError,
    builtin_ids,
    find_recorded,
    get_scheme,
    load_scheme,
)
from perfeval_xl.rules.scoring import score

SHIPPED = ("national", "sichuan", "ningxia", "hubei", "yinchuan", "chongqing-bmzt", "hunan-bmzt", "vendor-r2")


def test_every_scheme_the_issue_names_is_shipped() -> None:
    assert set(SHIPPED) <= set(builtin_ids())
    assert builtin_ids()[0] == "national"


@pytest.mark.parametrize("scheme_id", SHIPPED)
def test_shipped_schemes_load_and_are_consistent(scheme_id: str) -> None:
    s = get_scheme(scheme_id)
    assert s.id == scheme_id and s.name and len(s.digest) == 12
    for split in s.weight_splits:
        assert sum(g.weight for g in split.groups) + s.execution.weight == 100


def ev(
    indicators: list[Indicator],
    *,
    adjusted: str = "100",
    executed: str = "100",
    weight: str = "10",
    kind: str = Kind.PROJECT,
) -> Evaluation:
    return Evaluation(
        unit_code="001",
        unit_name="测试单位",
        year=D(2023),
        kind=kind,
        project_name="测试项目",
        budget=Budget(total=FundLine(D(adjusted), D(adjusted), D(executed))),
        execution_weight=D(weight),
        goal_expected="目标",
        goal_actual="完成",
        indicators=indicators,
    )


def q(
    level1: str,
    level2: str,
    name: str,
    target: object,
    actual: object,
    weight: str,
    op: str = "≥",
    **kw: object,
) -> Indicator:
    return Indicator(level1, level2, name, operator=op, target=target, actual=actual, weight=D(weight), **kw)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ hand cases


def test_national_with_the_101_cost_layout() -> None:
    # 执行率 95 % → 9.50; 产出 40 + 成本 10 (= 50 together), 效益 30, 满意度 10.
    e = ev(
        [
            q("产出指标", "数量指标", "建成里程", "≥10公里", "10公里", "40"),
            q(
                "成本指标",
                "经济成本指标",
                "单位造价",
                "≤500万元",
                "520万元",
                "10",
                op="",
                deviation_note="材料涨价",
            ),
            q("效益指标", "社会效益指标", "通行时间缩短", "≥20%", "25%", "30"),
            q("满意度指标", "服务对象满意度指标", "群众满意度", "≥90%", "93%", "10"),
        ],
        executed="95",
    )
    s = score(e, get_scheme("national"))
    # 9.50 + 40 + 10 × 500/520 = 9.615… → 9.62 + 30 + 10 = 99.12
    assert s.total == D("99.12") and s.grade == "优"
    codes = {f.code for f in check(e, get_scheme("national"), s)}
    assert "LEVEL1_WEIGHT" not in codes and "LEVEL1_UNKNOWN" not in codes


def test_sichuan_free_level1_weights_and_a_required_low_rate_reason() -> None:
    sichuan = get_scheme("sichuan")
    e = ev(
        [
            q("产出指标", "数量指标", "培训人次", "≥100人次", "100人次", "60"),
            q("效益指标", "社会效益指标", "持证率", "≥90%", "90%", "30"),
        ],
        executed="85",
    )
    s = score(e, sichuan)
    assert s.total == D("98.50")  # 8.50 + 60 + 30
    findings = check(e, sichuan, s)
    assert "LEVEL1_WEIGHT" not in {f.code for f in findings}  # 60/30 is a real 四川 split
    low = [f for f in findings if f.code == "EXEC_RATE_LOW"]
    assert low and low[0].level.value == "error"


def test_ningxia_does_not_score_the_execution_rate() -> None:
    e = ev(
        [
            q("产出指标", "数量指标", "a", "≥10", "10", "40"),
            q("效益指标", "社会效益指标", "b", "≥10", "5", "40", deviation_note="x"),
            q("满意度指标", "服务对象满意度指标", "c", "≥90%", "95%", "20"),
        ],
        executed="50",
        weight="0",
    )
    s = score(e, get_scheme("ningxia"))
    assert s.execution_score == D(0) and s.total == D("80.00")  # 40 + 20 + 20
    e.budget.total.adjusted = None  # no budget at all: still a total, 执行率 is not scored here
    assert score(e, get_scheme("ningxia")).total == D("80.00")


def test_hubei_execution_is_worth_twenty_and_its_bands_are_wider() -> None:
    hubei = get_scheme("hubei")
    e = ev(
        [
            q("产出指标", "数量指标", "a", "≥10", "10", "50"),
            q("效益指标", "社会效益指标", "b", "≥10", "10", "20"),
            Indicator(
                "满意度指标",
                "服务对象满意度指标",
                "c",
                operator="定性",
                target="满意",
                actual="较满意",
                band="部分达成",
                score=D(5),
                weight=D(10),
                deviation_note="x",
            ),
        ],
        executed="85",
        weight="20",
    )
    s = score(e, hubei)
    assert s.execution_score == D("17.00")  # 20 × 85 %
    assert s.total == D("92.00")  # 17 + 50 + 20 + 5
    # 5 of 10 is inside 部分达成 [50 %, 80 %) in 湖北 but outside the national [60 %, 80 %)
    assert "QUAL_SCORE_OUT_OF_BAND" not in {f.code for f in check(e, hubei, s)}
    assert "QUAL_SCORE_OUT_OF_BAND" in {f.code for f in check(e, get_scheme("national"))}


def test_yinchuan_scores_the_execution_rate_as_a_row() -> None:
    yinchuan = get_scheme("yinchuan")
    e = ev(
        [
            q("项目决策", "决策程序", "立项规范性", "=100%", "100%", "10"),
            q("项目管理", "资金管理", "预算执行率", "≥100%", "92%", "10", deviation_note="工程尾款未付"),
            q("项目管理", "资金管理", "资金使用合规性", "=100%", "100%", "15"),
            q("项目产出", "数量", "完成量", "≥10", "10", "30"),
            q("项目效益", "社会效益", "受益人数", "≥1000人", "1000人", "35"),
        ],
        executed="92",
        weight="0",
    )
    s = score(e, yinchuan)
    assert s.execution_score == D(0)
    assert s.total == D("99.20")  # 10 + 10 × 92/100 + 15 + 30 + 35
    codes = {f.code for f in check(e, yinchuan, s)}
    assert not codes & {"LEVEL1_UNKNOWN", "LEVEL1_WEIGHT", "EXEC_ROW_MISMATCH", "WEIGHT_TOTAL"}
    e.indicators[1].actual = "95%"  # the row disagrees with 全年执行数 ÷ 全年预算数 = 92 %
    assert "EXEC_ROW_MISMATCH" in {f.code for f in check(e, yinchuan)}


def test_chongqing_flat_list_with_coefficients() -> None:
    cq = get_scheme("chongqing-bmzt")
    e = ev(
        [
            Indicator(
                name="财政供养人员控制率",
                operator="定量指标",
                target="≤100%",
                actual="98%",
                weight=D(20),
                coefficient=D(100),
            ),
            Indicator(
                name="预算完成率",
                operator="定量指标",
                target="≥95%",
                actual="90%",
                weight=D(30),
                coefficient="90%",
                deviation_note="x",
            ),
            Indicator(
                name="履职效能",
                operator="定性指标",
                target="较好",
                actual="较好",
                weight=D(40),
                coefficient=D("87.5"),
                deviation_note="x",
            ),
        ],
        executed="76",
        kind=Kind.DEPARTMENT,
    )
    s = score(e, cq)
    assert s.execution_score == D("7.60")  # 10 × 76 %
    assert [i.score for i in s.indicators] == [D("20.00"), D("27.00"), D("35.00")]
    assert s.total == D("89.60")
    codes = {f.code for f in check(e, cq, s)}
    assert not codes & {"REQUIRED_MISSING", "LEVEL1_UNKNOWN", "LEVEL2_UNKNOWN", "LEVEL1_WEIGHT"}


def test_hunan_common_indicators_by_deduction_and_bands() -> None:
    hunan = get_scheme("hunan-bmzt")
    rows = [
        q("投入", "预算配置", "财政供养人员控制率", "≤100%", "102%", "5"),  # 5 − 0.5 × 2 = 4
        q("投入", "预算配置", "“三公经费”变动率", "≤0", "-3%", "5"),  # ≤ 0: full
        q("投入", "预算配置", "重点支出安排率", "≥90%", "85%", "5"),  # 80–90 %: 4
        q("过程", "预算执行", "预算调整率", "0", "15%", "3"),  # ≤ 20 %: 1
        q("过程", "预算执行", "三公经费控制率", "≤100%", "103%", "6"),  # 6 − 1 × 3 = 3
        q("过程", "预算执行", "预算完成率", "≥100%", "100%", "31"),
        q("产出", "职责履行", "重点工作办结率", "≥100%", "100%", "25"),
        q("效果", "履职效益", "社会效益", "≥100%", "100%", "20"),
    ]
    for r in rows:
        r.deviation_note = "说明"
    e = ev(rows, weight="0", kind=Kind.DEPARTMENT)
    s = score(e, hunan)
    assert [i.score for i in s.indicators[:5]] == [D("4.00"), D("5.00"), D("4.00"), D("1.00"), D("3.00")]
    assert s.total == D("93.00")  # 4 + 5 + 4 + 1 + 3 + 31 + 25 + 20
    assert s.indicators[0].method.startswith("扣分") and s.indicators[2].method.startswith("分档")
    assert "LEVEL1_WEIGHT" not in {f.code for f in check(e, hunan, s)}


def test_hunan_deduction_never_goes_below_zero() -> None:
    e = ev(
        [q("投入", "预算配置", "财政供养人员控制率", "≤100%", "130%", "5", deviation_note="x")], weight="0"
    )
    assert score(e, get_scheme("hunan-bmzt")).indicators[0].score == D("0.00")


def test_vendor_r2_reverse_formula() -> None:
    rows = [q("产出指标", "时效指标", "办结时间", "≤10天", "15天", "10", op="", deviation_note="x")]
    assert score(ev(rows), get_scheme("vendor-r2")).indicators[0].score == D("5.00")  # 10 × (1 − 5/10)
    assert score(ev(rows), get_scheme("national")).indicators[0].score == D("6.67")  # R1: 10 × 10/15


# ------------------------------------------------------------------------------------------ the format


def _write(tmp_path: Path, text: str, name: str = "county.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_misspelt_key_names_the_line_and_the_key(tmp_path: Path) -> None:
    path = _write(tmp_path, '[scheme]\nid = "x"\nname = "X"\nextends = "hubei"\n\n[execution]\nwieght = 15\n')
    with pytest.raises(SchemeError) as exc:
        load_scheme(path)
    assert "第 7 行" in str(exc.value) and "wieght" in str(exc.value) and "weight" in str(exc.value)


def test_a_misplaced_key_says_where_it_belongs(tmp_path: Path) -> None:
    path = _write(tmp_path, '[scheme]\nid = "x"\nname = "X"\nextends = "national"\nover_completion = 1.3\n')
    with pytest.raises(SchemeError, match=r"第 5 行.*\[indicators\]"):
        load_scheme(path)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('[scheme]\nid = "x"\nname = "X"\nextends = "national"\n[execution]\nweight = "十"\n', "应为数字"),
        ('[scheme]\nid = "x"\nname = "X"\nextends = "national"\n[indicators]\nreverse = "R3"\n', "R3"),
        ('[scheme]\nid = "X Y"\nname = "X"\n', "小写字母"),
        ('[scheme]\nid = "x"\nname = "X"\nextends = "nowhere"\n', "nowhere"),
        (
            '[scheme]\nid = "x"\nname = "X"\nextends = "national"\n[checks]\nEXEC_RATE_LOWW = "error"\n',
            "EXEC_RATE_LOW",
        ),
        ('[scheme]\nid = "x"\nname = "X"\nextends = "national"\n[execution]\nweight = 20\n', "不等于 100"),
        (
            '[scheme]\nid = "x"\nname = "X"\nextends = "national"\n[[grades]]\nfrom = 80\nlabel = "良"\n[[grades]]\nfrom = 90\nlabel = "优"\n',
            "从高到低",
        ),
        ('[scheme]\nid = "x"\nname = "X"\n[[level1]\n', "TOML"),
    ],
)
def test_bad_values_get_chinese_messages(tmp_path: Path, text: str, says: str) -> None:
    with pytest.raises(SchemeError, match=says):
        load_scheme(_write(tmp_path, text))


def test_export_then_load_gives_the_same_scores(tmp_path: Path) -> None:
    out = tmp_path / "x.toml"
    result = CliRunner().invoke(app, ["rules", "export", "hubei", "-o", str(out)])
    assert result.exit_code == 0, result.output
    exported, shipped = load_scheme(out), get_scheme("hubei")
    assert exported.digest == shipped.digest
    e = ev([q("产出指标", "数量指标", "a", "≥10", "8", "80", deviation_note="x")], executed="85", weight="20")
    assert score(e, exported) == score(e, shipped)


def test_the_cli_refuses_a_bad_scheme_file_with_exit_2(tmp_path: Path) -> None:
    path = _write(
        tmp_path, '[scheme]\nid = "x"\nname = "X"\nextends = "national"\n[execution]\nwieght = 15\n'
    )
    result = CliRunner().invoke(app, ["template", "-o", str(tmp_path / "t.xlsx"), "--rules", str(path)])
    assert result.exit_code == 2
    assert "wieght" in result.output and "第 6 行" in result.output
    check_result = CliRunner().invoke(app, ["rules", "check", str(path)])
    assert check_result.exit_code == 2


def test_rules_lists_the_shipped_schemes() -> None:
    result = CliRunner().invoke(app, ["rules"], env={"COLUMNS": "300"})
    assert result.exit_code == 0
    for scheme_id in SHIPPED:
        assert scheme_id in result.output


IMAGINARY = """
[scheme]
id = "imaginary-county"
name = "某县（决策、过程、产出、效益）"
extends = "national"

[execution]
weight = 15
method = { kind = "bands", bands = [ { at_least = 95, points = 15 }, { at_least = 90, points = 12 }, { at_least = 80, points = 8 } ], otherwise = 0 }

[[level1]]
name = "决策"
weight = 10

[[level1]]
name = "过程"
weight = 15

[[level1]]
name = "产出"
weight = 30

[[level1]]
name = "效益"
weight = 30

[[common]]
name = "公用经费控制率"
level1 = "过程"
weight = 5
method = { kind = "deduction", threshold = 100, per = 1 }
"""


def test_an_imaginary_county_scheme(tmp_path: Path) -> None:
    scheme = load_scheme(_write(tmp_path, IMAGINARY))
    e = ev(
        [
            q("决策", "立项", "立项规范性", "=100%", "100%", "10"),
            q("过程", "资金", "公用经费控制率", "≤100%", "102.5%", "5"),  # 5 − 2.5 = 2.5
            q("过程", "资金", "资金合规性", "=100%", "100%", "10"),
            q("产出", "数量", "完成量", "≥10", "10", "30"),
            q("效益", "社会", "受益人数", "≥100人", "100人", "30"),
        ],
        executed="91",
        weight="15",
    )
    for r in e.indicators:
        r.deviation_note = "x"
    s = score(e, scheme)
    assert s.execution_score == D("12.00")  # 91 %: the 90 % band
    assert s.total == D("94.50")  # 12 + 10 + 2.5 + 10 + 30 + 30
    assert not {f.code for f in check(e, scheme, s)} & {
        "LEVEL1_UNKNOWN",
        "LEVEL2_UNKNOWN",
        "LEVEL1_WEIGHT",
        "WEIGHT_TOTAL",
    }


# ------------------------------------------------------------------------ a bureau's folder (tried as a new user)


def test_a_bureau_folder_finds_a_scheme_by_its_id_whatever_the_file_is_called(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PERFEVAL_XL_SCHEMES: a workbook made with ``county.toml`` (id ``imaginary-county``) is scored by it on
    another machine that has the file under any name; ``rules`` lists it."""
    folder = tmp_path / "schemes"
    folder.mkdir()
    (folder / "本县规则2024.toml").write_text(IMAGINARY, encoding="utf-8")
    monkeypatch.setenv("PERFEVAL_XL_SCHEMES", str(folder))
    assert get_scheme("imaginary-county").name == "某县（决策、过程、产出、效益）"
    scheme, note = find_recorded("imaginary-county")
    assert scheme is not None and note == ""
    result = CliRunner().invoke(app, ["rules"], env={"COLUMNS": "300", "PERFEVAL_XL_SCHEMES": str(folder)})
    assert result.exit_code == 0 and "imaginary-county" in result.output


def test_one_broken_file_in_a_bureau_folder_does_not_hide_the_others(tmp_path: Path) -> None:
    folder = tmp_path / "schemes"
    folder.mkdir()
    (folder / "county.toml").write_text(IMAGINARY, encoding="utf-8")
    (folder / "broken.toml").write_text('[scheme]\nid = "broken"\nnmae = "x"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["rules"], env={"COLUMNS": "300", "PERFEVAL_XL_SCHEMES": str(folder)})
    assert result.exit_code == 2  # said, not hidden
    assert "imaginary-county" in result.output and "national" in result.output
    assert "broken.toml" in result.output and "nmae" in result.output


def test_a_workbook_saved_by_another_program_keeps_its_scheme(tmp_path: Path) -> None:
    """openpyxl writes ``<vt:lpwstr xmlns:vt=…>``: the scheme is still read (it was scored nationally)."""
    import openpyxl

    from perfeval_xl.xlsx.build import build_template
    from perfeval_xl.xlsx.read import read_workbook

    path = build_template(tmp_path / "cq.xlsx", get_scheme("chongqing-bmzt"))
    wb = openpyxl.load_workbook(path)
    wb.save(path)
    data = read_workbook(path)
    assert data.scheme_id == "chongqing-bmzt"
    assert data.scheme_digest == get_scheme("chongqing-bmzt").digest


def test_rules_other_than_the_workbooks_are_said_once_in_every_command(tmp_path: Path) -> None:
    """``--rules`` naming another scheme: validate (text, --json, --mark) and collect list SCHEME_OTHER (a
    code, as every finding) and go on; this crashed with exit 3 (the finding carried the catalog entry)."""
    from builders import seed_evaluation

    from perfeval_xl.xlsx.build import build_template
    from perfeval_xl.xlsx.fill import fill_workbook

    book = fill_workbook(
        seed_evaluation(), tmp_path / "book.xlsx", template=build_template(tmp_path / "t.xlsx")
    )
    runner = CliRunner()
    result = runner.invoke(app, ["validate", str(book), "--json", "--rules", "hubei"])
    assert result.exit_code in (0, 1), result.output
    other = [f for f in json.loads(result.stdout) if f["code"] == "SCHEME_OTHER"]
    assert len(other) == 1 and other[0]["level"] == "info" and "hubei" in other[0]["message"]
    for args in (
        ["validate", str(book), "--rules", "ningxia"],
        ["validate", str(book), "--mark", "--rules", "hubei"],
    ):
        result = runner.invoke(app, args, env={"COLUMNS": "300"})
        assert result.exit_code in (0, 1) and "SCHEME_OTHER" in result.output, result.output
    out = tmp_path / "汇总.xlsx"
    result = runner.invoke(app, ["collect", str(tmp_path), "-o", str(out), "--rules", "hubei", "-j", "1"])
    assert result.exit_code in (0, 1) and out.is_file(), result.output


def test_a_scheme_changed_since_the_workbook_was_made_is_used_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from perfeval_xl.xlsx.build import build_template

    folder = tmp_path / "schemes"
    folder.mkdir()
    (folder / "county.toml").write_text(IMAGINARY, encoding="utf-8")
    monkeypatch.setenv("PERFEVAL_XL_SCHEMES", str(folder))
    book = build_template(tmp_path / "county.xlsx", get_scheme("imaginary-county"))
    (folder / "county.toml").write_text(IMAGINARY.replace("某县", "某县（修订）"), encoding="utf-8")
    result = CliRunner().invoke(
        app, ["validate", str(book), "--json"], env={"PERFEVAL_XL_SCHEMES": str(folder)}
    )
    assert result.exit_code in (0, 1), result.output
    [changed] = [f for f in json.loads(result.stdout) if f["code"] == "SCHEME_CHANGED"]
    assert changed["level"] == "warning" and changed["cell"]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('[scheme\nid = "x"\n', "第 1 行第 8 列不是有效的 TOML（表头缺少右方括号“]”）"),
        ("[scheme]\nid = x\n", "第 2 行"),
        ('[scheme]\nid "x"\n', "键名后缺少等号"),
        ('[scheme]\nid = "x\n', "引号没有配对"),
    ],
)
def test_a_file_that_is_not_toml_is_said_in_chinese_with_its_line(
    tmp_path: Path, text: str, said: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["rules", "check", str(path)], env={"COLUMNS": "300"})
    assert result.exit_code == 2
    assert said in result.output
    assert not re.search(r"[A-Za-z]{4,}", result.output.replace("bad.toml", "").replace("TOML", "")), (
        result.output
    )


def test_rules_list_is_what_bare_rules_prints() -> None:
    listed = CliRunner().invoke(app, ["rules", "list"], env={"COLUMNS": "300"})
    bare = CliRunner().invoke(app, ["rules"], env={"COLUMNS": "300"})
    assert listed.exit_code == bare.exit_code == 0
    assert listed.output == bare.output and "national" in listed.output and "hubei" in listed.output
