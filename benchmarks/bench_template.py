"""Benchmark the template (issue 13): its file size and LibreOffice's load + recalculation time, now and at
an earlier commit, against a floor measured in the same run.

    python benchmarks/bench_template.py                   # now and at 8a17a1b (before live checks), 3 runs
    python benchmarks/bench_template.py --before COMMIT   # compare with another commit (git archive)
    python benchmarks/bench_template.py --quick           # one run each (CI smoke)

What is measured, each in a fresh LibreOffice (``office.recalculate``: load, recalculate every formula, save
as .xlsx), best of the runs:

- the floor: an empty workbook of one sheet (LibreOffice's own start, load and save);
- the empty template of each commit (national scheme), and the template with 25 indicators typed in (the
  batch writer's output, the state a clerk's workbook is in): the seconds above the floor are what the
  template's formulas and sheets cost.

The earlier commit's template is built by that commit's own code (``git archive`` into a temporary folder,
run with this interpreter).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BEFORE = "8a17a1b"  # the last commit before the live checks and the scheme-driven template


def build_template(code: Path, out: Path) -> Path:
    """``perfeval-xl template -o out`` with the package found in ``code``."""
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); from perfeval_xl.cli import app; "
        "app(['template', '-o', sys.argv[2]], standalone_mode=False)"
    )
    subprocess.run(
        [sys.executable, "-c", script, str(code), str(out)], check=True, cwd=code, capture_output=True
    )
    return out


def fill_25(code: Path, out: Path) -> Path:
    """A workbook with 25 indicators (5 per 二级) made by that commit's own ``perfeval-xl fill`` from one CSV
    (the batch writer's output: the state a clerk's workbook is in)."""
    header = (
        "单位编码,单位名称,评价年度,评价对象,全年预算数,全年执行数,执行率分值,一级指标,二级指标,三级指标,"
    )
    header += "指标性质,年度指标值,度量单位,实际完成值,分值,偏差原因分析及改进措施"
    groups = [
        ("产出指标", "数量指标"),
        ("产出指标", "质量指标"),
        ("产出指标", "时效指标"),
        ("效益指标", "社会效益指标"),
        ("满意度指标", "服务对象满意度指标"),
    ]
    weights = [10] * 5 + [6] * 5 + [2] * 5 + [6] * 5 + [2] * 5
    lines = [header]
    for i in range(25):
        unit = "001,某县农业农村局,2023,高标准农田,500,480,10" if i == 0 else ",,,,,,"
        level1, level2 = groups[i // 5]
        actual = 90 + i % 10
        note = "" if actual >= 100 else "天气影响"
        lines.append(f"{unit},{level1},{level2},指标{i + 1},≥,100,%,{actual},{weights[i]},{note}")
    csv_path = out.with_suffix(".csv")
    csv_path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    folder = out.with_suffix("")
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); from perfeval_xl.cli import app; "
        "app(['fill', sys.argv[2], '-o', sys.argv[3], '-j', '1'], standalone_mode=False)"
    )
    subprocess.run(
        [sys.executable, "-c", script, str(code), str(csv_path), str(folder)], cwd=code, capture_output=True
    )
    (book,) = [p for p in folder.glob("*.xlsx") if not p.name.startswith("_")]
    return book


def empty_workbook(out: Path) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active["A1"] = 1
    wb.save(out)
    return out


def lo_seconds(path: Path, work: Path, runs: int) -> float:
    """Best wall time of LibreOffice loading, recalculating and saving ``path`` (a fresh soffice each run)."""
    sys.path.insert(0, str(ROOT))
    from perfeval_xl import office

    times = []
    for i in range(runs):
        t = time.perf_counter()
        office.recalculate([path], work / f"lo-{path.stem}-{i}")
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=BEFORE, help="commit to compare with (default %(default)s)")
    parser.add_argument("--quick", action="store_true", help="one run each")
    args = parser.parse_args()
    runs = 1 if args.quick else 3
    with tempfile.TemporaryDirectory(prefix="perfeval-bench-template-") as tmp:
        work = Path(tmp)
        old = work / "before"
        old.mkdir()
        archive = subprocess.run(["git", "archive", args.before], cwd=ROOT, check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
        floor = lo_seconds(empty_workbook(work / "floor.xlsx"), work, runs)
        rows = []
        for label, code in ((f"before ({args.before})", old), ("now", ROOT)):
            template = build_template(code, work / f"{code.name}-template.xlsx")
            filled = fill_25(code, work / f"{code.name}-filled.xlsx")
            for what, path in (("empty template", template), ("25 indicators", filled)):
                seconds = lo_seconds(path, work, runs)
                rows.append((label, what, path.stat().st_size, seconds))
        print(f"LibreOffice floor (an empty one-sheet workbook): {floor:.2f} s")
        print(f"{'code':<20} {'workbook':<16} {'size':>9} {'LO load+recalc+save':>21} {'above floor':>12}")
        for label, what, size, seconds in rows:
            print(
                f"{label:<20} {what:<16} {size / 1024:>6.0f} KB {seconds:>9.2f} s ({seconds / floor:4.2f}×)"
                f" {seconds - floor:>10.2f} s"
            )


if __name__ == "__main__":
    main()
