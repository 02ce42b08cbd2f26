"""Attacks and accidents of the desk (issue 12), each built here by code: every one ends in the right result
or a Chinese message with the right exit code, and nothing a clerk wrote is lost.

Hostile report templates are in test_report_sandbox.py, edited reports in test_report_stamp.py; hostile
workbooks and CSVs belong to the readers' tests. Slow attacks run small here; benchmarks/bench_memory.py
runs them at full size.
"""

from __future__ import annotations

import errno
import os
import signal
import socket
import stat
import subprocess
import sys
import time
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest
from test_batch import HEADER, report, unit_rows, write_csv
from typer.testing import CliRunner

from perfeval_xl import batch, cli_guard, files, office
from perfeval_xl.batch import REPORT_NAME, Status, UniqueNames, fill_csv, plan_csv, safe_name
from perfeval_xl.cli import app
from perfeval_xl.collect import collect, link_target, shown_name
from perfeval_xl.workers import MAX_JOBS, cap_jobs

runner = CliRunner()
CLI = [sys.executable, "-m", "perfeval_xl.cli"]


def units_csv(path: Path, n: int, name: str = "局") -> Path:
    rows = [HEADER]
    for i in range(n):
        rows += unit_rows(f"{i:03d}", f"第{i}{name}")
    return write_csv(path, rows)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") or p.suffix == ".tmp")


def wait_for(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


# ------------------------------------------------------------------------------------------ names


@pytest.mark.parametrize(
    "name",
    [
        "CON", "con", "con.txt", "CON .txt", "CON. .txt", "Con.tar.gz", "PRN", "AUX", "NUL", "nul.xlsx",
        "COM0", "COM1", "com9", "COM¹", "COM²", "COM³", "LPT0", "LPT1", "LPT¹", "lpt².xlsx", "LPT³",
        "CONIN$", "conout$", "CONOUT$.txt",
    ],
)  # fmt: skip
def test_every_spelling_of_a_windows_device_name_is_made_safe(name: str) -> None:
    safe = safe_name(name)
    assert (
        safe.startswith("_")
        and safe.lstrip("_").split(".")[0].rstrip(" .").upper() == name.split(".")[0].rstrip(" .").upper()
    )


def test_names_lose_trailing_dots_spaces_bidi_and_link_breakers() -> None:
    assert safe_name("单位. . ") == "单位" and safe_name("  .单位") == "单位"
    rlo = "报表\u202egpj.exe.xlsx"  # shows as 报表xslx.exe.jpg
    assert safe_name(rlo) == "报表gpj.exe.xlsx"
    assert safe_name("甲\u200b乙\u2066丙\u2069\u2028丁\u200e") == "甲乙丙丁"
    assert safe_name("第#1局") == "第_1局" and safe_name("a\\b/c") == "a_b_c"
    assert safe_name("a\x85b\x9bc") == "a_b_c"  # C1 controls too
    assert safe_name("COMA") == "COMA" and safe_name("CONSOLE") == "CONSOLE"  # not devices


def test_eighty_character_chinese_name_survives_in_place_writes(tmp_path: Path) -> None:
    from builders import seed_evaluation

    from perfeval_xl.xlsx.build import build_template
    from perfeval_xl.xlsx.fill import fill_workbook

    name = "很" * 80 + ".xlsx"  # 245 bytes of UTF-8: the old temporary name passed 255
    book = fill_workbook(seed_evaluation(), tmp_path / name, template=build_template(tmp_path / "t.xlsx"))
    assert runner.invoke(app, ["summary", str(book)]).exit_code == 0
    assert runner.invoke(app, ["validate", str(book), "--mark"]).exit_code == 0
    assert leftovers(tmp_path) == []
    assert len(files.temporary_name(".xlsx").encode()) < 40


# ------------------------------------------------------------------------------------------ links


def test_links_in_the_roll_up_escape_hash_and_refuse_backslash() -> None:
    assert link_target("交回/甲#1 局.xlsx") == "交回/甲%231%20局.xlsx"
    assert link_target("100%.xlsx") == "100%25.xlsx"
    assert link_target("..\\..\\Windows\\x.xlsx") is None  # a \ in a Linux name: a folder step on Windows
    assert link_target("报表\u202egpj.exe.xlsx") is None
    assert shown_name("报表\u202egpj.exe.xlsx") == "报表<U+202E>gpj.exe.xlsx"


def test_collect_with_hash_backslash_bidi_and_a_fifo(tmp_path: Path) -> None:
    out = tmp_path / "out"
    fill_csv(units_csv(tmp_path / "d.csv", 1), out, jobs=0)
    book = next(out.glob("*.xlsx"))
    folder = tmp_path / "交回"
    folder.mkdir()
    names = ["甲#1.xlsx", "丙\\..\\..\\evil.xlsx", "乙\u202egpj.exe.xlsx"]
    for name in names:
        (folder / name).write_bytes(book.read_bytes())
    if hasattr(os, "mkfifo"):
        os.mkfifo(folder / "管道.xlsx")
    sock = None
    if hasattr(socket, "AF_UNIX"):
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(folder / "套接字.xlsx"))
    try:
        started = time.monotonic()
        summary = collect(folder, tmp_path / "汇总.xlsx", jobs=0)
        assert time.monotonic() - started < 60  # the FIFO did not hang it
    finally:
        if sock is not None:
            sock.close()
    assert summary.books == 3
    special = {u.file for u in summary.unusable_files}
    assert {"管道.xlsx", "套接字.xlsx"} >= special and special, special
    assert all("不是普通文件" in u.reason for u in summary.unusable_files)
    ws = openpyxl.load_workbook(tmp_path / "汇总.xlsx")["汇总"]
    files_col = {ws.cell(r, 14).value: ws.cell(r, 14).hyperlink for r in range(2, 5)}
    assert files_col["甲#1.xlsx"].target.endswith("甲%231.xlsx")
    assert files_col["丙\\..\\..\\evil.xlsx"] is None  # plain text, no link out of the folder
    assert files_col["乙<U+202E>gpj.exe.xlsx"] is None


# ------------------------------------------------------------------------------------------ output accidents


def test_fill_into_a_file_a_folder_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "输出.xlsx"
    target.write_bytes(b"a clerk's file")
    result = runner.invoke(app, ["fill", str(units_csv(tmp_path / "d.csv", 1)), "-o", str(target)])
    assert result.exit_code == 2 and "是一个文件，不是文件夹" in result.output
    assert target.read_bytes() == b"a clerk's file"


@pytest.mark.parametrize("command", ["collect", "report"])
def test_a_folder_where_a_file_should_be_is_refused(tmp_path: Path, command: str) -> None:
    out = tmp_path / "out"
    fill_csv(units_csv(tmp_path / "d.csv", 1), out, jobs=0)
    source = str(out) if command == "collect" else str(next(out.glob("*.xlsx")))
    folder = tmp_path / "汇总"
    folder.mkdir()
    result = runner.invoke(app, [command, source, "-o", str(folder)])
    assert result.exit_code == 2 and "是一个文件夹" in result.output, result.output
    assert list(folder.iterdir()) == []


def test_fill_into_a_folder_it_cannot_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "只读目录"
    out.mkdir()
    real_open = os.open

    def refuse(path, *args, **kwargs):  # a read-only folder, without needing a non-root user
        if Path(path).parent == out:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(files.os, "open", refuse)
    result = runner.invoke(app, ["fill", str(units_csv(tmp_path / "d.csv", 2)), "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert "无法在输出文件夹" in result.output and "没有写入权限" in result.output
    assert sorted(p.name for p in out.iterdir()) == []


def test_a_full_disk_fails_the_units_it_hits_and_says_why_the_report_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from perfeval_xl.xlsx import fastfill

    real_write, real_replace = fastfill.write_zip, files.os.replace
    written: list[Path] = []

    def fill_disk(path, parts, level=6):
        if len(written) >= 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        written.append(path)
        return real_write(path, parts, level)

    monkeypatch.setattr(fastfill, "write_zip", fill_disk)
    out = tmp_path / "out"
    summary = fill_csv(units_csv(tmp_path / "d.csv", 4), out, jobs=0)
    assert summary.by_status == {Status.WRITTEN: 2, Status.FAILED: 2}
    rows = [r for r in report(out) if r["状态"] == Status.FAILED]
    assert len(rows) == 2 and all("磁盘空间不足" in r["说明"] for r in rows)
    assert leftovers(out) == []

    def no_room_for_report(src, dst):
        if Path(dst).name == REPORT_NAME:
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        return real_replace(src, dst)

    monkeypatch.setattr(files.os, "replace", no_room_for_report)
    (out / REPORT_NAME).unlink()
    summary = fill_csv(units_csv(tmp_path / "d.csv", 4), out, jobs=0)
    assert summary.unusable and "磁盘空间不足" in summary.report_error
    assert any("未能写入：磁盘空间不足" in line for line in summary.lines())
    assert not (out / REPORT_NAME).exists() and leftovers(out) == []


def test_a_full_disk_during_an_in_place_write_keeps_the_workbook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    fill_csv(units_csv(tmp_path / "d.csv", 1), out, jobs=0)
    book = next(out.glob("*.xlsx"))
    before = book.read_bytes()

    def full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device", str(dst))

    monkeypatch.setattr(files.os, "replace", full)
    result = runner.invoke(app, ["summary", str(book)])
    assert result.exit_code == 2 and "磁盘空间不足" in result.output and "Traceback" not in result.output
    assert book.read_bytes() == before and not [p for p in out.iterdir() if p.suffix == ".tmp"]


# ------------------------------------------------------------------------------------------ read-only


def _read_only(path: Path) -> None:
    path.chmod(stat.S_IREAD)


def test_read_only_workbooks_are_refused_never_made_writable(tmp_path: Path) -> None:
    out = tmp_path / "out"
    data = units_csv(tmp_path / "d.csv", 2)
    fill_csv(data, out, jobs=0)
    first, _ = sorted(out.glob("*.xlsx"))
    _read_only(first)
    before = first.read_bytes()
    for args in (["validate", str(first), "--mark"], ["summary", str(first)]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and "只读" in result.output, result.output
    summary = fill_csv(data, out, jobs=0, force=True)
    assert summary.by_status == {Status.KEPT: 1, Status.UPDATED: 1}
    assert any("只读" in r["说明"] for r in report(out) if r["文件"] == first.name)
    assert first.read_bytes() == before and not first.stat().st_mode & stat.S_IWUSR
    with pytest.raises(files.NotWritable, match="只读"), files.atomic_path(first):
        pass
    first.chmod(stat.S_IREAD | stat.S_IWRITE)


# ------------------------------------------------------------------------------------------ internal errors


def test_an_internal_error_is_exit_3_with_a_log_and_no_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import perfeval_xl.cli as cli_module

    log = tmp_path / "perfeval-xl-cli.log"
    monkeypatch.setattr(cli_guard, "LOG_FILE", log)

    def boom(book, rules):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(cli_module, "evaluate_book", boom)
    result = runner.invoke(app, ["score", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 3
    assert "程序内部出错（ZeroDivisionError）" in result.output and str(log) in result.output
    assert "Traceback" not in result.output
    assert "ZeroDivisionError: a bug" in log.read_text(encoding="utf-8")


def test_typer_pretty_exceptions_are_off() -> None:
    assert app.pretty_exceptions_enable is False


def test_a_damaged_file_is_still_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "坏.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    for command in ("validate", "score", "summary", "report"):
        result = runner.invoke(app, [command, str(bad)])
        assert result.exit_code == 2 and "Traceback" not in result.output, (command, result.output)


# ------------------------------------------------------------------------------------------ console encoding


def test_a_gbk_console_never_crashes_on_characters_outside_gbk(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONIOENCODING": "gbk", "COLUMNS": "200"}
    data = write_csv(tmp_path / "d.csv", [HEADER, *unit_rows("001", "𠮷野家局")])
    out = tmp_path / "out"

    def run(*args: str) -> subprocess.CompletedProcess[bytes]:
        done = subprocess.run([*CLI, *args], capture_output=True, env=env, timeout=300, check=False)
        done.stdout.decode("gbk")  # what a GBK console receives is GBK
        assert b"Traceback" not in done.stderr and b"UnicodeEncodeError" not in done.stderr, done.stderr
        return done

    assert run("fill", str(data), "-o", str(out), "-j", "1").returncode == 0
    book = next(out.glob("*.xlsx"))
    assert "𠮷" in book.name
    score = run("score", str(book))
    assert score.returncode == 0 and "?野家局" in score.stdout.decode("gbk")
    for args in (
        ["validate", str(book)],
        ["summary", str(book)],
        ["collect", str(out), "-o", str(tmp_path / "h.xlsx")],
    ):
        assert run(*args).returncode == 0, args


# ------------------------------------------------------------------------------------------ two runs, signals


def _wait_started(out: Path) -> None:
    wait_for(lambda: (out / files.LOCK_NAME).exists() and (out / files.LOCK_NAME).read_text(encoding="utf-8"))


def test_two_fills_into_one_folder_the_second_is_refused(tmp_path: Path) -> None:
    data = units_csv(tmp_path / "d.csv", 40)
    out = tmp_path / "out"
    first = subprocess.Popen(
        [*CLI, "fill", str(data), "-o", str(out), "-j", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    paused = hasattr(signal, "SIGSTOP")
    try:
        _wait_started(out)
        if paused:  # the first run holds its lock while the second starts, however fast the machine
            first.send_signal(signal.SIGSTOP)
        second = subprocess.run(
            [*CLI, "fill", str(data), "-o", str(out), "-j", "1"],
            capture_output=True,
            timeout=300,
            check=False,
        )
        if paused:
            first.send_signal(signal.SIGCONT)
        assert second.returncode == 2
        message = second.stderr.decode("utf-8")
        assert "正被另一次运行使用" in message and f"进程 {first.pid}" in message, message
        assert first.wait(timeout=300) == 0
    finally:
        first.kill()
    rows = report(out)
    assert len({r["单位编码"] for r in rows}) == 40 and all(r["状态"] == Status.WRITTEN for r in rows)
    assert leftovers(out) == []


def test_the_lock_of_a_killed_run_is_taken_over(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from perfeval_xl.files import folder_lock\n"
         "with folder_lock(sys.argv[1]):\n    print('held', flush=True); time.sleep(600)", str(out)],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert holder.stdout.readline() == b"held\n"
        with pytest.raises(files.FolderBusy, match=f"进程 {holder.pid}"), files.folder_lock(out):
            pass
    finally:
        holder.kill()
        holder.wait()
    assert (out / files.LOCK_NAME).exists()  # left behind by the killed run
    summary = fill_csv(units_csv(tmp_path / "d.csv", 1), out, jobs=0)
    assert summary.written == 1 and not (out / files.LOCK_NAME).exists()


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="POSIX signals")
@pytest.mark.parametrize("sig", ["SIGTERM", "SIGHUP"])
def test_sigterm_and_sighup_are_handled_like_ctrl_c(tmp_path: Path, sig: str) -> None:
    data = units_csv(tmp_path / "d.csv", 400)
    out = tmp_path / "out"
    run = subprocess.Popen(
        [*CLI, "fill", str(data), "-o", str(out), "-j", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        wait_for(lambda: len(list(out.glob("*.xlsx"))) >= 3, timeout=120)
        run.send_signal(getattr(signal, sig))
        code = run.wait(timeout=120)
    finally:
        run.kill()
    stdout = run.stdout.read().decode("utf-8")
    assert code == 130, stdout
    assert "运行已中断" in stdout
    rows = report(out)
    done = {r["文件"] for r in rows if r["状态"] == Status.WRITTEN}
    assert done and done == {p.name for p in out.glob("*.xlsx")}  # every file on disk is reported, whole
    assert len({r["单位编码"] for r in rows}) < 400 or all(r["状态"] == Status.WRITTEN for r in rows)
    for name in done:
        with zipfile.ZipFile(out / name) as z:
            assert z.testzip() is None
    assert leftovers(out) == []


# ------------------------------------------------------------------------------------------ jobs and memory


def test_jobs_are_capped_at_the_work_and_a_sane_maximum(tmp_path: Path) -> None:
    assert cap_jobs(40, 3) == 3 and cap_jobs(0) == 0 and cap_jobs(1000) <= MAX_JOBS and cap_jobs(5, 0) == 1
    summary = fill_csv(units_csv(tmp_path / "d.csv", 3), tmp_path / "out", jobs=40)
    assert summary.jobs <= 3 and summary.written == 3


def _grouped_or_interleaved(path: Path, n: int, interleaved: bool) -> Path:
    rows = [HEADER]
    for i in range(n):
        rows += unit_rows(f"{i:05d}", f"第{i}局")[:1]
    if interleaved:  # the second half's units come back at the end: their spans cross others
        rows += [unit_rows(f"{i:05d}", f"第{i}局")[1] for i in range(n // 2, n)]
    return write_csv(path, rows)


def test_the_plan_keeps_only_units_that_come_back(tmp_path: Path) -> None:
    plan = plan_csv(_grouped_or_interleaved(tmp_path / "g.csv", 2000, False), 2)
    assert plan.units == 2000 and len(plan.last_record) < 20  # a few false "maybe seen" at most
    plan = plan_csv(_grouped_or_interleaved(tmp_path / "i.csv", 2000, True), 2)
    assert len(plan.last_record) >= 1000  # every unit that comes back
    assert all(plan.last_record[f"{i:05d}"] == 2000 + (i - 1000) + 1 for i in range(1000, 2000))


def test_the_parents_memory_for_names_and_plan_is_flat(tmp_path: Path) -> None:
    names = UniqueNames()
    tracemalloc.start()
    for i in range(200_000):
        names.assign(f"{i:09d}_雷州市某某单位名称较长的局_部门整体.xlsx")
    current, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert current < 200_000 * 16  # ~8 bytes a name (the names themselves took ~170)
    assert names.assign("000000001_雷州市某某单位名称较长的局_部门整体.xlsx").endswith("_2.xlsx")


def test_sweep_removes_only_temporary_files_of_processes_that_are_gone(tmp_path: Path) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        dead_tmp = tmp_path / f".perfeval-{gone.pid}-abcd1234.xlsx.tmp"
        live_tmp = tmp_path / f".perfeval-{alive.pid}-abcd1234.xlsx.tmp"
        for p in (dead_tmp, live_tmp):
            p.write_bytes(b"half")
        assert batch.sweep_temporary(tmp_path) == 1
        assert not dead_tmp.exists() and live_tmp.exists()  # another run's file in progress is kept
    finally:
        alive.kill()
        alive.wait()


# ------------------------------------------------------------------------------------------ PDF without poppler


def test_pdf_pages_are_counted_and_merged_without_poppler(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pypdf import PdfWriter

    parts = []
    for pages in (1, 2):
        writer = PdfWriter()
        for _ in range(pages):
            writer.add_blank_page(595, 842)
        path = tmp_path / f"{pages}.pdf"
        with open(path, "wb") as fh:
            writer.write(fh)
        parts.append(path)
    monkeypatch.setenv("PATH", str(tmp_path))  # no pdfinfo, no pdfunite
    assert office.pdf_page_count(parts[1]) == 2
    assert office.pdf_page_count(office.merge_pdfs(parts, tmp_path / "合并.pdf")) == 3
    (tmp_path / "坏.pdf").write_bytes(b"%PDF-1.4 junk")
    with pytest.raises(office.OfficeError, match="无法读取 PDF"):
        office.pdf_page_count(tmp_path / "坏.pdf")
