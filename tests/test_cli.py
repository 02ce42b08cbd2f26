"""The command line: exit status, JSON shapes, what each command writes and refuses to overwrite."""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path

import openpyxl
import pytest
from builders import seed_evaluation
from typer.testing import CliRunner

from perfeval_xl.cli import app
from perfeval_xl.layout import fields as F
from perfeval_xl.rules.scoring import score
from perfeval_xl.xlsx.build import build_template
from perfeval_xl.xlsx.fill import fill_workbook

runner = CliRunner()
EXAMPLE_CSV = Path(__file__).resolve().parent.parent / "workbooks" / "examples" / "seed_2023.csv"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("cli") / "t.xlsx")


@pytest.fixture
def clean(template: Path, tmp_path: Path) -> Path:
    """A workbook without errors (the seed evaluation)."""
    return fill_workbook(seed_evaluation(), tmp_path / "clean.xlsx", template=template)


@pytest.fixture
def faulty(template: Path, tmp_path: Path) -> Path:
    ev = seed_evaluation()
    ev.budget.total.executed = D("3000")  # over-executed: a warning
    ev.indicators[1].deviation_note = ""  # shortfall without a reason: an error
    return fill_workbook(ev, tmp_path / "faulty.xlsx", template=template)


def test_template_writes_and_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "模板.xlsx"
    assert runner.invoke(app, ["template", "-o", str(target)]).exit_code == 0
    assert openpyxl.load_workbook(target).sheetnames[1] == F.INFO
    before = target.read_bytes()
    result = runner.invoke(app, ["template", "-o", str(target)])
    assert result.exit_code == 2 and "--force" in result.output
    assert target.read_bytes() == before
    assert runner.invoke(app, ["template", "-o", str(target), "--force"]).exit_code == 0


def test_validate_clean_exits_zero(clean: Path) -> None:
    result = runner.invoke(app, ["validate", str(clean), "--json"])
    assert result.exit_code == 0, result.output
    findings = json.loads(result.stdout)
    assert all(f["level"] != "error" for f in findings)


def test_validate_json_shape_and_exit_one(faulty: Path) -> None:
    result = runner.invoke(app, ["validate", str(faulty), "--json"])
    assert result.exit_code == 1
    findings = json.loads(result.stdout)
    assert all(set(f) == {"sheet", "cell", "code", "level", "message"} for f in findings)
    by_code = {f["code"]: f for f in findings}
    assert by_code["DEVIATION_NOTE_MISSING"] == {
        "sheet": "绩效指标",
        "cell": "M5",
        "code": "DEVIATION_NOTE_MISSING",
        "level": "error",
        "message": by_code["DEVIATION_NOTE_MISSING"]["message"],
    }
    assert by_code["BUDGET_EXEC_OVER"]["cell"] == "D14" and by_code["BUDGET_EXEC_OVER"]["level"] == "warning"


def test_validate_mark_writes_marks(faulty: Path) -> None:
    assert runner.invoke(app, ["validate", str(faulty), "--mark"]).exit_code == 1
    wb = openpyxl.load_workbook(faulty)
    assert wb[F.INDICATORS]["M5"].comment is not None
    assert wb[F.FINDINGS]["C4"].value == "DEVIATION_NOTE_MISSING"


def test_score_json(clean: Path) -> None:
    result = runner.invoke(app, ["score", str(clean), "--json"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    s = score(seed_evaluation())
    assert set(doc) == {
        "unit_code",
        "scheme",
        "execution_rate",
        "execution_score",
        "indicator_score",
        "total",
        "grade",
        "total_blocked",
        "partial",
        "indicators",
    }
    assert doc["scheme"] == "national" and doc["total_blocked"] is None and doc["partial"] is None
    assert doc["unit_code"] == "001234"
    assert doc["execution_rate"] == 1.0
    assert doc["total"] == float(s.total) and doc["grade"] == s.grade
    assert doc["indicators"][1] == {
        "name": "新增5G基站",
        "weight": 15.0,
        "score": float(s.indicators[1].score),
        "method": "比例",
    }


def test_summary_to_another_file_leaves_the_book(clean: Path, tmp_path: Path) -> None:
    before = clean.read_bytes()
    out = tmp_path / "sum.xlsx"
    assert runner.invoke(app, ["summary", str(clean), "-o", str(out)]).exit_code == 0
    assert clean.read_bytes() == before
    assert openpyxl.load_workbook(out)[F.SUMMARY]["D13"].value == "完成技改企业数"
    again = runner.invoke(app, ["summary", str(clean), "-o", str(out)])
    assert again.exit_code == 2


@pytest.mark.parametrize("command", ["validate", "score", "summary", "report"])
def test_unusable_input_exits_two(command: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a zip")
    result = runner.invoke(app, [command, str(bad)])
    assert result.exit_code == 2
    assert "已损坏" in result.output
    assert "Traceback" not in result.output


def test_fill_from_the_example_csv(tmp_path: Path) -> None:
    result = runner.invoke(app, ["fill", str(EXAMPLE_CSV), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    books = sorted((tmp_path / "out").glob("*.xlsx"))
    assert len(books) == 2
    totals = {json.loads(runner.invoke(app, ["score", str(b), "--json"]).stdout)["total"] for b in books}
    assert totals == {94.0, 96.0}


def test_fill_reports_bad_rows_by_line_and_column(tmp_path: Path) -> None:
    csv = tmp_path / "data.csv"
    csv.write_text(
        "单位编码,单位名称,评价年度,评价对象,全年预算数,全年执行数,一级指标,二级指标,三级指标,指标性质,年度指标值,实际完成值,分值\n"
        "001,甲单位,2023,部门整体,100,90,产出指标,数量指标,培训人次,≥,100,八十,90\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["fill", str(csv), "-o", str(tmp_path / "out")], terminal_width=200)
    assert result.exit_code == 1
    assert "第2行" in result.output and "实际完成值" in result.output and "NOT_A_NUMBER" in result.output
    assert len(list((tmp_path / "out").glob("*.xlsx"))) == 1  # written, findings and all


def test_report_and_pdf(clean: Path, tmp_path: Path) -> None:
    from docx import Document

    docx = tmp_path / "报告.docx"
    assert runner.invoke(app, ["report", str(clean), "-o", str(docx)]).exit_code == 0
    text = "\n".join(p.text for p in Document(str(docx)).paragraphs)
    assert f"{score(seed_evaluation()).total}分" in text


@pytest.mark.libreoffice
def test_pdf_of_the_summary_with_the_report(clean: Path, tmp_path: Path) -> None:
    from perfeval_xl import office

    if office.find_soffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    before = clean.read_bytes()
    target = tmp_path / "自评表.pdf"
    result = runner.invoke(app, ["pdf", str(clean), "-o", str(target), "--report"])
    assert result.exit_code == 0, result.output
    assert clean.read_bytes() == before  # the snapshot is made on a copy
    first = office.pdf_text(target).split("\f")[0]
    assert "部门整体支出绩效自评表" in first and f"{score(seed_evaluation()).total}" in first
    assert "新增5G基站" in first  # the snapshot's exact indicator rows
    assert office.pdf_page_count(target) >= 3  # one page of table, then the report
    assert all(abs(w - 595) < 2 and abs(h - 842) < 2 for w, h in office.pdf_page_sizes(target))  # A4


def test_fill_and_collect_with_reports(tmp_path: Path) -> None:
    from docx import Document

    out = tmp_path / "out"
    result = runner.invoke(app, ["fill", str(EXAMPLE_CSV), "-o", str(out), "--report", "-j", "1"])
    assert result.exit_code == 0, result.output
    reports = sorted(out.glob("*_自评报告.docx"))
    assert len(reports) == 2
    text = "\n".join(p.text for p in Document(str(reports[0])).paragraphs)
    assert "94.00分" in text  # the seed department's report states its score
    stamp = reports[0].stat().st_mtime_ns
    (out / "broken.xlsx").write_bytes(b"junk")
    result = runner.invoke(
        app, ["collect", str(out), "-o", str(tmp_path / "汇总.xlsx"), "--report", "-j", "1"]
    )
    assert "已是最新 2 份" in result.output  # reports newer than their workbooks are kept
    assert reports[0].stat().st_mtime_ns == stamp
    assert not (out / "broken_自评报告.docx").exists()


@pytest.mark.parametrize("command", [[], ["fill"], ["validate"], ["collect"]])
@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_is_in_chinese(command: list[str], flag: str) -> None:
    result = runner.invoke(app, [*command, flag], terminal_width=120)
    assert result.exit_code == 0
    assert "显示本帮助并退出。" in result.output
    assert "Show this message" not in result.output
    assert "选项" in result.output and "Options" not in result.output
    if command:
        assert "[必填]" in result.output and "[required]" not in result.output


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["score"], "缺少参数 'book'。"),
        (["fill", "x.csv"], "缺少选项 '-o' / '--output'。"),
        (["validate", "--jsn", "x.xlsx"], "没有选项 --jsn（可能是：--json）。"),
        (["valdate", "x.xlsx"], "没有命令“valdate”，是否想用“validate”？"),
        (["validate", "a.xlsx", "b.xlsx"], "多余的参数：b.xlsx。"),
        (["fill", "x.csv", "-o", "d", "-j", "0"], "'-j' / '--jobs' 的值无效：应不小于 1"),
        (["fill", "x.csv", "-o", "d", "-j", "abc"], "'-j' / '--jobs' 的值无效：应为整数"),
    ],
)
def test_usage_errors_are_in_chinese_with_exit_status_2(args: list[str], expected: str) -> None:
    result = runner.invoke(app, args, terminal_width=200)
    assert result.exit_code == 2
    assert expected in result.output
    assert "用法：perfeval-xl" in result.output and "Usage:" not in result.output


def test_an_unknown_message_is_left_as_typer_wrote_it() -> None:
    from perfeval_xl.cli_text import translate

    assert translate("Something new from typer.") == "Something new from typer."
    assert translate("Missing argument 'data'.") == "缺少参数 'data'。"


def test_fill_with_a_missing_csv_fails_at_once_and_writes_nothing(tmp_path: Path) -> None:
    result = runner.invoke(app, ["fill", str(tmp_path / "无此文件.csv"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "找不到 CSV 文件" in result.output and "无此文件.csv" in result.output
    assert not (tmp_path / "out").exists()


def test_score_says_why_there_is_no_total(tmp_path: Path, clean: Path) -> None:
    """A workbook whose 分值 add up to 110 has no 总分: null in JSON, the reason in one line (issue 9 §6)."""
    import openpyxl

    book = tmp_path / "110.xlsx"
    wb = openpyxl.load_workbook(clean)
    ws = wb["绩效指标"]
    ws["J4"] = float(ws["J4"].value) + 10
    wb.save(book)
    result = runner.invoke(app, ["score", str(book), "--json"])
    doc = json.loads(result.stdout)
    assert doc["total"] is None and doc["grade"] == ""
    assert doc["total_blocked"] == "未计总分：分值合计 110，应为 100"
    text = runner.invoke(app, ["score", str(book)], env={"COLUMNS": "200"}).output
    assert "未计总分：分值合计 110，应为 100" in text and "总分 " not in text.replace("未计总分", "")


@pytest.mark.parametrize("command", ["fill", "collect", "validate", "pdf", "report"])
def test_option_help_is_folded_not_cut_off_in_an_80_column_console(command: str) -> None:
    """Chinese has no spaces to wrap at: rich's table cut each long option text off with "…"."""
    result = runner.invoke(app, [command, "-h"], env={"COLUMNS": "80"})
    assert result.exit_code == 0
    assert "…" not in result.output, result.output
    if command == "fill":
        flat = "".join(c for c in result.output if c not in "│ \n")
        assert "重新生成并覆盖已存在的工作簿（包括已是最新或已被编辑的）" in flat


def test_codes_are_never_split_in_a_narrow_table(faulty: Path) -> None:
    result = runner.invoke(app, ["validate", str(faulty)], env={"COLUMNS": "60"})
    assert result.exit_code == 1
    assert "DEVIATION_NOTE_MISSING" in result.output  # whole, on one line
