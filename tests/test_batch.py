"""perfeval-xl fill at scale (perfeval_xl/batch.py): real-world CSVs, slicing, names, report, reruns, interruptions.

Each real-world input case of issue 5 has a CSV written here in the shape that shows it (encoding,
delimiter, header spelling …) and goes through the whole run; the workbooks are read back. Most runs are
in-process (``jobs=0``, the same worker code); the parallel run, Ctrl-C and a killed worker use processes.
"""

from __future__ import annotations

import csv
import multiprocessing
import os
import signal
import zipfile
from decimal import Decimal as D
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfeval_xl import batch
from perfeval_xl.batch import REPORT_NAME, Status, UniqueNames, fill_csv, plan_csv, safe_name
from perfeval_xl.csvin import read_csv
from perfeval_xl.layout import fields as F
from perfeval_xl.model import Level
from perfeval_xl.rules.config import DEFAULT_RULES
from perfeval_xl.xlsx.read import read_workbook

HEADER = [
    "单位编码",
    "单位名称",
    "主管部门",
    "评价年度",
    "评价对象",
    "全年预算数",
    "全年执行数",
    "预期目标",
    "一级指标",
    "二级指标",
    "三级指标",
    "指标性质",
    "年度指标值",
    "度量单位",
    "实际完成值",
    "分值",
    "实际完成情况",
]


def unit_rows(
    code: str, name: str, subject: str = "部门整体", budget: str = "100", executed: str = "95"
) -> list[list[str]]:
    """A clean unit: 3 indicators weighing 50 + 30 + 10, unit columns on the first row only."""
    first = [code, name, "某某县财政局", "2023", subject, budget, executed, "完成年度任务"]
    rest = [code, name, "", "", subject, "", "", ""]
    return [
        [*first, "产出指标", "数量指标", "培训人次", "≥", "100", "人次", "110", "50", "全部完成"],
        [*rest, "效益指标", "社会效益指标", "受益群众", "≥", "1000", "人", "1000", "30", ""],
        [*rest, "满意度指标", "服务对象满意度指标", "满意度", "≥", "90", "%", "95", "10", ""],
    ]


def write_csv(
    path: Path, rows: list[list[str]], *, encoding: str = "utf-8-sig", delimiter: str = ","
) -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return path


def report(out: Path) -> list[dict[str, str]]:
    raw = (out / REPORT_NAME).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel opens it as UTF-8
    return list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))


def books(out: Path) -> list[str]:
    return sorted(p.name for p in out.glob("*.xlsx"))


def no_temporaries(out: Path) -> bool:
    return not [p for p in out.iterdir() if p.name.startswith(".") or p.suffix == ".tmp"]


# ------------------------------------------------------------------------------------------ names


def test_safe_names() -> None:
    assert safe_name('甲/乙:丙*丁?"戊"<己>|庚') == "甲_乙_丙_丁_戊_己_庚"
    assert safe_name("CON") == "_CON" and safe_name("lpt1.txt") == "_lpt1.txt"
    assert safe_name(" 单位. ") == "单位" and safe_name("...") == "未命名" and safe_name("") == "未命名"
    assert safe_name("a\x00b\tc") == "a_b_c"
    long = safe_name("很长的单位名称" * 100)
    assert len(long.encode()) <= batch.MAX_NAME_BYTES and long.startswith("很长的单位名称")
    names = UniqueNames(["_report.csv"])
    assert [names.assign(n) for n in ("a_b.xlsx", "A_B.xlsx", "a_b.xlsx", "a_b_2.xlsx")] == [
        "a_b.xlsx",
        "A_B_2.xlsx",
        "a_b_3.xlsx",
        "a_b_2_2.xlsx",
    ]


def test_unit_names_that_are_not_file_names(tmp_path: Path) -> None:
    rows = [HEADER]
    for code, name in [
        ("", "甲/乙"),
        ("", "甲:乙"),
        ("", "CON"),
        ("009", "名称." + "长" * 120),
        ("", "Ab"),
        ("", "aB"),
    ]:
        rows += unit_rows(code, name)
    out = tmp_path / "out"
    summary = fill_csv(write_csv(tmp_path / "names.csv", rows), out, jobs=0)
    assert summary.written == 6
    names = books(out)
    assert len({n.casefold() for n in names}) == 6  # never colliding, even case-insensitively
    assert "甲_乙.xlsx" in names and "甲_乙_2.xlsx" in names and "_CON.xlsx" in names
    assert all(len(Path(n).stem.encode()) <= batch.MAX_NAME_BYTES + 4 for n in names)
    by_file = {r["文件"]: r["单位名称"] for r in report(out)}
    assert by_file["甲_乙_2.xlsx"] == "甲:乙"
    assert read_workbook(out / "_CON.xlsx").evaluation.unit_name == "CON"


# ------------------------------------------------------------------------------------------ real-world inputs


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8-sig", ","), ("utf-8", "\t"), ("gbk", ";"), ("gb18030", ",")],
    ids=["utf8-bom-comma", "utf8-tab", "gbk-semicolon", "gb18030"],
)
def test_encodings_and_delimiters(tmp_path: Path, encoding: str, delimiter: str) -> None:
    name = "龘𠀀科技局" if encoding == "gb18030" else "雷州市科工贸和信息化局"  # 𠀀 is outside GBK
    path = write_csv(
        tmp_path / "data.csv", [HEADER, *unit_rows("001234", name)], encoding=encoding, delimiter=delimiter
    )
    if encoding == "utf-8":
        assert not path.read_bytes().startswith(b"\xef\xbb\xbf")
    out = tmp_path / "out"
    summary = fill_csv(path, out, jobs=0)
    assert summary.written == 1 and summary.errors == 0 and not summary.file_issues
    ev = read_workbook(out / f"001234_{name}.xlsx").evaluation
    assert ev.unit_code == "001234" and ev.unit_name == name  # leading zeros and every character kept
    assert ev.budget.total.adjusted == D(100) and len(ev.indicators) == 3


def test_quoted_fields_with_new_lines_keep_row_numbers(tmp_path: Path) -> None:
    rows = [HEADER, *unit_rows("001", "甲局")]
    rows[1][7] = '目标一：保障运转；\n目标二：完成任务，"按期"验收。'
    rows += unit_rows("002", "乙局")
    rows[4][14] = "八十"  # 乙局's first indicator (line 5: the quoted new line does not count)
    out = tmp_path / "out"
    fill_csv(write_csv(tmp_path / "nl.csv", rows), out, jobs=0)
    ev = read_workbook(out / "001_甲局.xlsx").evaluation
    assert ev.goal_expected == '目标一：保障运转；\n目标二：完成任务，"按期"验收。'
    bad = [r for r in report(out) if r["代码"] == "NOT_A_NUMBER"]
    assert [(r["CSV行"], r["CSV列"], r["工作簿位置"]) for r in bad] == [("5", "实际完成值", "绩效指标!H4")]


def test_headers_with_spaces_full_width_brackets_and_english_aliases(tmp_path: Path) -> None:
    header = [
        " unit_code ",
        "单位 名称",
        "主管部门",
        "year",
        "subject",
        "全年预算数（万元）",
        "Executed",
        "预期目标",
        "level1",
        "二级指标",
        "indicator",
        "operator",
        "年度指标值（A）",
        "unit",
        "actual",
        "weight",
        "goal_actual",
    ]
    out = tmp_path / "out"
    summary = fill_csv(write_csv(tmp_path / "h.csv", [header, *unit_rows("001", "甲局")]), out, jobs=0)
    assert summary.written == 1 and not summary.file_issues
    ev = read_workbook(out / "001_甲局.xlsx").evaluation
    assert ev.budget.total.executed == D(95) and ev.indicators[0].target == D(100)


def test_duplicated_unit_with_conflicting_budget_names_both_rows(tmp_path: Path) -> None:
    rows = [HEADER, *unit_rows("001", "甲局", budget="100"), *unit_rows("002", "乙局")]
    rows += unit_rows("001", "甲局", budget="120")  # the same unit again, far below, another budget
    rows += unit_rows("003", "丙局")
    out = tmp_path / "out"
    path = write_csv(tmp_path / "dup.csv", rows)
    plan = plan_csv(path)
    plan.per_slice = 1
    assert len(list(plan.slices())) == 2  # 甲局's span keeps 乙局 with it; 丙局 is on its own
    summary = fill_csv(path, out, jobs=0)
    assert books(out) == ["002_乙局.xlsx", "003_丙局.xlsx"]
    assert summary.unusable and summary.by_status[Status.NOT_READ] == 1
    conflict = next(r for r in report(out) if r["代码"] == "CSV_UNIT_CONFLICT")
    assert conflict["CSV行"] == "8" and conflict["CSV列"] == "全年预算数"
    assert "第2行" in conflict["说明"] and "第8行" in conflict["说明"]  # both rows named
    assert conflict["状态"] == Status.NOT_READ and conflict["单位编码"] == "001"


def test_formula_like_cells_are_written_as_text(tmp_path: Path) -> None:
    rows = [HEADER, *unit_rows("001", '=HYPERLINK("http://x","点")')]
    rows[1][10], rows[2][10], rows[3][10] = "+1+1", "-2+3", "@SUM(A1:A3)"
    rows[1][7] = "=cmd|' /C calc'!A0"
    out = tmp_path / "out"
    fill_csv(write_csv(tmp_path / "f.csv", rows), out, jobs=0)
    (path,) = out.glob("*.xlsx")
    wb = openpyxl.load_workbook(path)
    info, ind = wb[F.INFO], wb[F.INDICATORS]
    assert info["B4"].value == '=HYPERLINK("http://x","点")' and info["B4"].data_type == "s"
    goal = F.FIELD_BY_KEY["goal_expected"].cell
    assert info[goal].value == "=cmd|' /C calc'!A0" and info[goal].data_type == "s"
    assert [ind[f"D{r}"].value for r in (4, 5, 6)] == ["+1+1", "-2+3", "@SUM(A1:A3)"]
    assert all(ind[f"D{r}"].data_type == "s" for r in (4, 5, 6))
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet2.xml").decode()
    assert "<f>HYPERLINK" not in sheet and "<f>cmd" not in sheet
    row = report(out)[0]
    assert row["单位名称"].startswith("'=HYPERLINK")  # the report is safe to open in Excel too


# ------------------------------------------------------------------------------------------ slicing


ROWS = st.lists(
    st.tuples(
        st.sampled_from(["001", "002", "003", ""]),  # 单位编码 ("" → by name or inherited)
        st.sampled_from(["甲局", "乙局", ""]),
        st.sampled_from(["部门整体", "项目A", "项目B", ""]),
        st.sampled_from(["", "", "100", "200"]),  # 全年预算数: conflicts happen
        st.sampled_from(["10", "十", "/", ""]),  # 实际完成值
        st.booleans(),  # a blank line after the row
    ),
    min_size=1,
    max_size=14,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=ROWS, title=st.booleans())
def test_slices_read_exactly_like_the_whole_file(
    rows: list[tuple[str, ...]], title: bool, tmp_path: Path
) -> None:
    """Cut into the smallest slices, csvin finds the same units, rows, locations and findings."""
    table = [["某县 2023 年绩效自评数据"]] if title else []
    table.append(HEADER)
    for k, (code, name, subject, budget, actual, blank) in enumerate(rows):
        table.append(
            [
                code,
                name,
                "",
                "2023",
                subject,
                budget,
                "90",
                "",
                "产出指标",
                "数量指标",
                f"指标{k}",
                "≥",
                "10",
                "个",
                actual,
                "10",
            ]
        )
        if blank:
            table.append([])
    path = write_csv(tmp_path / "p.csv", table)
    whole = read_csv(path)
    plan = plan_csv(path)
    assert not plan.whole
    plan.per_slice = 1
    state = batch._FillState(None, DEFAULT_RULES, tmp_path, False, path, tmp_path / "work")
    state.tmp.mkdir(exist_ok=True)
    units, skipped, loose = [], [], set()
    for piece in plan.slices():
        reply = batch._parse(state, piece)
        units += state.pending
        skipped += [label for label, *_ in reply["skipped"]]
        loose |= {(i.code, i.line, i.message) for i in reply["file"]}
        loose |= {(i.code, i.line, i.message) for _, issues, _ in reply["skipped"] for i in issues}
    assert [u.evaluation for u in units] == [u.evaluation for u in whole.units]
    assert [u.rows for u in units] == [u.rows for u in whole.units]
    assert [u.findings for u in units] == [u.findings for u in whole.units]
    fields = ["unit_code", "budget.total.adjusted", "kind", *(f"indicators[{i}].actual" for i in range(3))]
    for mine, theirs in zip(units, whole.units, strict=True):
        assert [mine.locate(f) for f in fields] == [theirs.locate(f) for f in fields]
    assert skipped == whole.skipped
    own = {id(f) for u in whole.units for f in u.findings}
    expected = {(f.code, batch._issue(f).line, f.message) for f in whole.findings if id(f) not in own}
    assert loose == expected


def test_files_csvin_must_judge_whole(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes(b"\xff\xfe" + "单位编码\n".encode("utf-16-le"))
    (tmp_path / "b.csv").write_bytes(b"no header here\n1,2,3\n")
    (tmp_path / "c.csv").write_bytes(b"\x80\x80\x80")
    for name in ("a.csv", "b.csv", "c.csv", "missing.csv"):
        assert plan_csv(tmp_path / name).whole, name
    summary = fill_csv(tmp_path / "b.csv", tmp_path / "out", jobs=0)
    assert summary.units == 0 and summary.unusable
    assert [i.code for i in summary.file_issues] == ["CSV_HEADERS_MISSING"]
    assert report(tmp_path / "out")[0]["代码"] == "CSV_HEADERS_MISSING"


# ------------------------------------------------------------------------------------------ report and reruns


def test_report_has_every_unit_and_finding(tmp_path: Path) -> None:
    rows = [HEADER, *unit_rows("001", "甲局"), *unit_rows("002", "乙局", executed="100")]
    rows[4][15] = "三十"  # 乙局: 分值 is text
    out = tmp_path / "out"
    summary = fill_csv(write_csv(tmp_path / "r.csv", rows), out, jobs=0)
    rows_out = report(out)
    assert list(rows_out[0]) == list(batch.REPORT_COLUMNS)
    clean = [r for r in rows_out if r["单位编码"] == "001"]
    assert len(clean) == 1 and clean[0]["代码"] == "" and clean[0]["状态"] == Status.WRITTEN
    assert clean[0]["总分"] == "99.50" and clean[0]["等级"] == "优"  # 执行率 95 %: 9.5 + 90
    bad = [r for r in rows_out if r["单位编码"] == "002" and r["级别"] == "错误"]
    assert bad and all(r["CSV行"] and r["CSV列"] for r in bad)
    assert any(r["CSV行"] == "5" and r["CSV列"] == "分值" and r["工作簿位置"] == "绩效指标!J4" for r in bad)
    assert summary.errors == sum(1 for r in rows_out if r["级别"] == "错误")
    wb = openpyxl.load_workbook(out / "002_乙局.xlsx")
    assert wb[F.INDICATORS]["J4"].value == "三十" and wb[F.INDICATORS]["J4"].comment is not None


def test_rerun_skips_up_to_date_and_never_overwrites_edits(tmp_path: Path) -> None:
    rows = [HEADER, *unit_rows("001", "甲局"), *unit_rows("002", "乙局"), *unit_rows("003", "丙局")]
    data, out = write_csv(tmp_path / "d.csv", rows), tmp_path / "out"
    fill_csv(data, out, jobs=0)
    before = {n: (out / n).read_bytes() for n in books(out)}
    again = fill_csv(data, out, jobs=0)
    assert again.by_status == {Status.UP_TO_DATE: 3}
    assert {n: (out / n).read_bytes() for n in books(out)} == before
    assert {r["状态"] for r in report(out)} == {Status.UP_TO_DATE} and report(out)[0]["总分"]

    wb = openpyxl.load_workbook(out / "002_乙局.xlsx")  # a clerk edits and saves 乙局
    wb[F.INFO]["B10"] = "李四"
    wb.save(out / "002_乙局.xlsx")
    edited = (out / "002_乙局.xlsx").read_bytes()
    rows[1][6] = rows[4][6] = rows[7][6] = "90"  # every unit's 全年执行数 changes in the CSV
    write_csv(data, rows)
    third = fill_csv(data, out, jobs=0)
    assert third.by_status == {Status.UPDATED: 2, Status.KEPT: 1}
    assert (out / "002_乙局.xlsx").read_bytes() == edited  # the clerk's entries are safe
    kept = next(r for r in report(out) if r["状态"] == Status.KEPT)
    assert kept["文件"] == "002_乙局.xlsx" and "--force" in kept["说明"]
    assert read_workbook(out / "001_甲局.xlsx").evaluation.budget.total.executed == D(90)

    forced = fill_csv(data, out, jobs=0, force=True)
    assert forced.by_status == {Status.UPDATED: 3}
    assert read_workbook(out / "002_乙局.xlsx").evaluation.budget.total.executed == D(90)


def test_a_foreign_file_with_the_same_name_is_kept(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "001_甲局.xlsx").write_bytes(b"someone else's file")
    summary = fill_csv(write_csv(tmp_path / "d.csv", [HEADER, *unit_rows("001", "甲局")]), out, jobs=0)
    assert summary.by_status == {Status.KEPT: 1}
    assert (out / "001_甲局.xlsx").read_bytes() == b"someone else's file"


def test_leftover_temporary_files_are_removed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / ".001_甲局.abc123.xlsx.tmp").write_bytes(b"half")
    (out / "._report.xyz.csv.tmp").write_bytes(b"half")
    (out / "keep.txt").write_text("mine")
    fill_csv(write_csv(tmp_path / "d.csv", [HEADER, *unit_rows("001", "甲局")]), out, jobs=0)
    assert sorted(p.name for p in out.iterdir()) == ["001_甲局.xlsx", REPORT_NAME, "keep.txt"]


def test_text_over_the_cell_limit_is_cut_and_reported(tmp_path: Path) -> None:
    rows = [HEADER, *unit_rows("001", "甲局")]
    rows[1][7] = "长" * 40_000
    out = tmp_path / "out"
    fill_csv(write_csv(tmp_path / "long.csv", rows), out, jobs=0)
    hit = next(r for r in report(out) if r["代码"] == "TEXT_TOO_LONG")
    goal = F.FIELD_BY_KEY["goal_expected"].cell
    assert hit["CSV行"] == "2" and hit["CSV列"] == "预期目标" and hit["工作簿位置"] == f"基本信息!{goal}"
    assert len(read_workbook(out / "001_甲局.xlsx").evaluation.goal_expected) == 32_767


@pytest.mark.parametrize("jobs", [0, 1])
def test_a_cell_over_the_csv_modules_field_limit_does_not_reject_the_file(tmp_path: Path, jobs: int) -> None:
    # Python's csv stops at 131 072 characters per field by default; one pasted report must not cost
    # the whole file (the planner in this process and csvin in the worker both read it).
    rows = [HEADER, *unit_rows("001", "甲局"), *unit_rows("002", "乙局")]
    rows[1][7] = "长" * 200_000
    out = tmp_path / "out"
    summary = fill_csv(write_csv(tmp_path / "huge.csv", rows), out, jobs=jobs)
    assert summary.written == 2 and not summary.file_issues
    hit = next(r for r in report(out) if r["代码"] == "TEXT_TOO_LONG")
    assert hit["CSV行"] == "2" and hit["CSV列"] == "预期目标"
    assert len(read_workbook(out / "001_甲局.xlsx").evaluation.goal_expected) == 32_767


# ------------------------------------------------------------------------------------------ processes


def many_units(tmp_path: Path, n: int) -> Path:
    rows = [HEADER]
    for i in range(n):
        rows += unit_rows(f"{i:04}", f"第{i}局")
    return write_csv(tmp_path / "many.csv", rows)


def test_parallel_run_equals_the_in_process_run(tmp_path: Path) -> None:
    data = many_units(tmp_path, 24)
    fill_csv(data, tmp_path / "one", jobs=0)
    summary = fill_csv(data, tmp_path / "two", jobs=2)
    assert summary.written == 24 and summary.jobs == 2
    assert books(tmp_path / "one") == books(tmp_path / "two")

    def rows(out: Path) -> list[list[str]]:
        return [[v for k, v in r.items() if k != "说明"] for r in report(out)]

    assert rows(tmp_path / "one") == rows(tmp_path / "two")  # the same report, in file order
    assert read_workbook(tmp_path / "two" / "0013_第13局.xlsx").evaluation.unit_name == "第13局"


def test_ctrl_c_leaves_no_partial_file_and_reports_what_was_done(tmp_path: Path) -> None:
    data, out = many_units(tmp_path, 40), tmp_path / "out"

    def interrupt(done: int, total: int, errors: int) -> None:
        if done == 5:
            raise KeyboardInterrupt

    summary = fill_csv(data, out, jobs=2, progress=interrupt)
    assert summary.interrupted
    assert no_temporaries(out)
    written = books(out)
    assert 5 <= len(written) < 40
    for name in written:
        assert read_workbook(out / name).evaluation.indicators  # every file there is complete
    statuses = [r["状态"] for r in report(out)]
    assert set(statuses) <= {Status.WRITTEN, Status.INTERRUPTED}
    assert statuses.count(Status.WRITTEN) == len(written)  # the report says exactly what is on disk
    rerun = fill_csv(data, out, jobs=0)
    assert rerun.by_status[Status.UP_TO_DATE] == len(written) and rerun.written == 40 - len(written)


def test_a_killed_worker_costs_only_its_slice(tmp_path: Path) -> None:
    data, out = many_units(tmp_path, 40), tmp_path / "out"
    killed: list[int] = []

    def kill_one(done: int, total: int, errors: int) -> None:
        if done >= 3 and not killed:
            victim = multiprocessing.active_children()[0]
            os.kill(victim.pid, signal.SIGKILL)
            killed.append(victim.pid)

    summary = fill_csv(data, out, jobs=2, progress=kill_one)
    assert killed and not summary.interrupted
    assert no_temporaries(out)
    lost = [r for r in report(out) if r["状态"] == Status.FAILED]
    assert lost and all("工作进程意外退出" in r["说明"] for r in lost)  # by file, or by CSV rows
    assert 24 <= summary.written < 40  # only the slice in the killed worker's hands is lost
    for name in books(out):
        assert read_workbook(out / name).evaluation.indicators
    # The worker may die after a file's rename and before its reply: the note says which happened.
    # A slice lost while being read has one row for its CSV lines; one lost while writing, a row per file.
    for r in lost:
        if r["文件"]:
            assert (out / r["文件"]).exists() == ("文件已完整写入" in r["说明"]), r["说明"]
        else:
            assert r["说明"].startswith("CSV 第")
    before = len(books(out))
    rerun = fill_csv(data, out, jobs=0)  # a rerun does the rest and keeps what is whole
    assert rerun.written == 40 - before and rerun.by_status.get(Status.UP_TO_DATE, 0) == before
    assert len(books(out)) == 40


def test_cli_fill(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from perfeval_xl.cli import app

    rows = [HEADER, *unit_rows("001", "甲局"), *unit_rows("002", "乙局")]
    rows[4][14] = "八十"
    result = CliRunner().invoke(
        app, ["fill", str(write_csv(tmp_path / "c.csv", rows)), "-o", str(tmp_path / "out"), "-j", "1"]
    )
    assert result.exit_code == 1, result.output
    assert "第5行 实际完成值" in result.output and "NOT_A_NUMBER" in result.output
    assert "_report.csv" in result.output and "已生成 2" in result.output
    assert "Traceback" not in result.output


def test_levels_have_labels() -> None:
    assert {s: lvl for s, (lvl, _) in batch._STATUS_ROW.items()}[Status.NOT_READ] is Level.ERROR
