"""A fast start: each command imports only what it uses (issue 14).

Each case runs the command in a fresh Python (what a clerk's click or a shell command starts) and lists
the modules it loaded: a module-level import of a heavy library anywhere on the command's path fails it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from builders import seed_evaluation

from perfeval_xl.xlsx.build import build_template
from perfeval_xl.xlsx.fill import fill_workbook

#: Libraries ``score`` and ``validate`` never use: openpyxl (xlsx.read reads), CSV parsing (pandas), the report (docx, docxtpl),
#: the template and roll-up writer (xlsxwriter), rich's tables and typer's help printer.
NOT_FOR_SCORE = ("openpyxl", "pandas", "docx", "docxtpl", "xlsxwriter", "rich.table", "typer.rich_utils")

_RUN = """
import json, sys
out, args = sys.argv[1], sys.argv[2:]
from perfeval_xl.cli import app
try:
    app(args, prog_name="perfeval-xl")
    code = 0
except SystemExit as exc:
    code = exc.code
with open(out, "w", encoding="utf-8") as fh:
    json.dump({"code": code, "modules": sorted(sys.modules)}, fh)
"""


def run_cli(tmp_path: Path, *args: str) -> tuple[int, set[str], str, str]:
    """Exit status, loaded modules, stdout and stderr of ``perfeval-xl ARGS`` in a fresh Python."""
    report = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", _RUN, str(report), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "PYTHONIOENCODING": "utf-8"},
        timeout=120,
        check=False,
    )
    answer = json.loads(report.read_text(encoding="utf-8"))
    return answer["code"], set(answer["modules"]), done.stdout, done.stderr


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("startup")
    template = build_template(folder / "t.xlsx")
    return fill_workbook(seed_evaluation(), folder / "clean.xlsx", template=template)


@pytest.mark.parametrize("command", ["score", "validate"])
def test_score_and_validate_json_load_no_heavy_library(clean: Path, tmp_path: Path, command: str) -> None:
    code, modules, stdout, _ = run_cli(tmp_path, command, str(clean), "--json")
    assert code == 0
    document = json.loads(stdout)
    assert document["total"] is not None if command == "score" else isinstance(document, list)
    loaded = [m for m in NOT_FOR_SCORE if m in modules]
    assert loaded == [], f"perfeval-xl {command} --json imported {loaded}"


def test_score_table_loads_rich_but_not_the_rest(clean: Path, tmp_path: Path) -> None:
    code, modules, stdout, _ = run_cli(tmp_path, "score", str(clean))
    assert code == 0 and "总分" in stdout
    assert "rich.table" in modules
    assert not {"pandas", "docx", "xlsxwriter"} & modules


def test_help_and_usage_errors_are_chinese_in_a_fresh_process(tmp_path: Path) -> None:
    """typer's help printer is imported only when needed, and still speaks Chinese then."""
    code, modules, stdout, _ = run_cli(tmp_path, "score", "-h")
    assert code == 0 and "显示本帮助并退出。" in stdout and "[必填]" in stdout
    assert "typer.rich_utils" in modules
    code, _, _, stderr = run_cli(tmp_path, "score")
    assert code == 2 and "缺少参数 'book'。" in stderr and "用法：perfeval-xl" in stderr
    code, _, _, stderr = run_cli(tmp_path, "valdate", "x.xlsx")
    assert code == 2 and "没有命令“valdate”" in stderr


def test_the_worksheet_functions_load_no_file_library() -> None:
    """``perfeval_xl.excel`` (the UDF module and the ribbon's entry points) reads live workbooks only."""
    code = "import sys, perfeval_xl.excel; print(' '.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    modules = set(done.stdout.split())
    assert "xlwings" in modules
    assert not {"openpyxl", "xlsxwriter", "docx", "docxtpl", "python_calamine"} & modules
