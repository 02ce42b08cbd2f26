"""Benchmark the workbook reader (issues 11 and 12): validate and collect before and after, hostile files.

    python benchmarks/bench_read.py                  # full sizes: 1 GiB zip bomb, a million rows (minutes)
    python benchmarks/bench_read.py --quick          # small sizes (CI)
    python benchmarks/bench_read.py --before 75fff71 # also time the code of that commit (git archive)

What is measured, in one run on one machine, each figure in a fresh process:

- validate in process: ``service.evaluate_book`` (read + score + check) of a workbook with 200 indicators,
  as the batch writer writes it and as LibreOffice saves it (shared strings, every formula written out);
  best of several runs. Beside it the read alone, and two floors for reading the same two sheets: their
  values through python-calamine (values only: no formulas, merges or limits) and through openpyxl.
- collect: ``collect.collect`` over N workbooks of 20 indicators, 1 worker and all workers (workbooks/s).
- hostile files, at full size: a zip bomb (one part inflating to 1 GiB from about 1 MB), a sheet of a
  million filled rows, and a million rows of one cell each (small enough to pass the part-size limit, so
  the row limit stops it): wall time and peak memory (VmHWM) of ``validate``, and of a collect over them and
  20 good workbooks (in this process, ``jobs=0``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def best(f, repeat: int = 5, number: int = 10) -> float:  # type: ignore[no-untyped-def]
    """Best mean of ``number`` calls over ``repeat`` rounds, in seconds (the noise floor of a shared VM)."""
    f()
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(number):
            f()
        out.append((time.perf_counter() - t) / number)
    return min(out)


# ------------------------------------------------------------------------------------------ inputs


def make_inputs(work: Path, quick: bool) -> dict[str, object]:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "tests"))
    sys.path.insert(0, str(ROOT / "tests" / "data" / "books"))
    import make_books
    from factories import valid_evaluation, valid_indicators

    from perfeval_xl.batch import compiled_template
    from perfeval_xl.model import Indicator
    from perfeval_xl.rules.config import DEFAULT_RULES
    from perfeval_xl.service import evaluate

    template = compiled_template(DEFAULT_RULES)

    def workbook(n: int, path: Path, code: str = "001") -> Path:
        ev = valid_evaluation()
        ev.unit_code = code
        base = valid_indicators()
        ev.indicators = [
            Indicator(**{**base[i % 9].__dict__, "name": f"{base[i % 9].name}{i}"}) for i in range(n)
        ]
        outcome = evaluate(ev, use_rows=False)
        return template.write(ev, path, findings=outcome.findings, scores=outcome.scores)

    inputs: dict[str, object] = {"b200": str(workbook(200, work / "b200.xlsx"))}
    if shutil.which("soffice"):
        lo = make_books.libreoffice(Path(inputs["b200"]), work / "b200_libreoffice.xlsx")  # type: ignore[arg-type]
        inputs["b200_lo"] = str(lo)
    n = 40 if quick else 1000
    folder = work / "returned"
    folder.mkdir()
    for i in range(n):
        workbook(20, folder / f"{i:04d}.xlsx", f"{i:04d}")
    inputs["folder"], inputs["n"] = str(folder), n
    base = make_books.make_base(work / "base.xlsx")
    bomb = make_books.zip_bomb(base, work / "zip_bomb.xlsx", (64 << 20) if quick else (1 << 30))
    rows = make_books.million_rows(base, work / "million_rows.xlsx", 20_000 if quick else 1_000_000)
    compact = make_books.million_rows(
        base, work / "million_rows_compact.xlsx", 20_000 if quick else 1_000_000, compact=True
    )
    hostile = work / "hostile"
    hostile.mkdir()
    for i in range(20):
        shutil.copy(folder / f"{i:04d}.xlsx", hostile / f"{i:04d}.xlsx")
    shutil.copy(bomb, hostile / "zip_bomb.xlsx")
    shutil.copy(rows, hostile / "million_rows.xlsx")
    shutil.copy(compact, hostile / "million_rows_compact.xlsx")
    inputs.update(bomb=str(bomb), rows=str(rows), compact=str(compact), hostile=str(hostile))
    inputs["sizes"] = {
        "bomb_file": bomb.stat().st_size,
        "bomb_inflated": 64 << 20 if quick else 1 << 30,
        "rows": 20_000 if quick else 1_000_000,
        "rows_file": rows.stat().st_size,
        "compact_file": compact.stat().st_size,
    }
    return inputs


# ------------------------------------------------------------------------------------------ measuring (child)


def child(task: str, inputs: dict[str, object]) -> dict[str, object]:
    """Run one measurement in this (fresh) process, with perfeval_xl from sys.path[0]."""
    from perfeval_xl.service import evaluate_book
    from perfeval_xl.workers import peak_rss_mb

    out: dict[str, object] = {}
    if task == "validate":
        for key in ("b200", "b200_lo"):
            if key not in inputs:
                continue
            path = Path(inputs[key])  # type: ignore[arg-type]
            out[f"{key}_validate"] = best(lambda p=path: evaluate_book(p))
            from perfeval_xl.xlsx import read

            if hasattr(read, "read_workbook"):
                out[f"{key}_read"] = best(lambda p=path: read.read_workbook(p))
    elif task == "floors":
        import openpyxl
        from python_calamine import CalamineWorkbook

        for key in ("b200", "b200_lo"):
            if key not in inputs:
                continue
            path = str(inputs[key])

            def calamine(p: str = path) -> None:
                book = CalamineWorkbook.from_path(p)
                book.get_sheet_by_name("基本信息").to_python(skip_empty_area=False)
                book.get_sheet_by_name("绩效指标").to_python(skip_empty_area=False)
                book.close()

            def with_openpyxl(p: str = path) -> None:
                wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
                list(wb["基本信息"].iter_rows(max_row=46, max_col=5, values_only=True))
                list(wb["绩效指标"].iter_rows(max_col=13, values_only=True))
                wb.close()

            out[f"{key}_calamine"] = best(calamine)
            out[f"{key}_openpyxl"] = best(with_openpyxl, repeat=3, number=3)
    elif task.startswith("collect"):
        from perfeval_xl.collect import collect

        jobs = int(task.split(":")[1])
        folder = Path(inputs["folder"])  # type: ignore[arg-type]
        with tempfile.TemporaryDirectory() as tmp:
            times = []
            for i in range(2):
                t = time.perf_counter()
                s = collect(folder, Path(tmp) / f"r{i}.xlsx", jobs=jobs)
                times.append(time.perf_counter() - t)
            out["collect_s"], out["books"], out["unusable"] = min(times), s.books, s.unusable
    elif task in ("bomb", "rows", "compact"):
        from perfeval_xl.xlsx.read import WorkbookError

        t = time.perf_counter()
        try:
            evaluate_book(Path(inputs[task]))  # type: ignore[arg-type]
            out["result"] = "read"
        except WorkbookError as exc:
            out["result"] = str(exc)[:160]
        out["seconds"], out["peak_mb"] = time.perf_counter() - t, peak_rss_mb()
    elif task == "hostile_collect":
        from perfeval_xl.collect import collect

        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            s = collect(Path(inputs["hostile"]), Path(tmp) / "r.xlsx", jobs=0)  # type: ignore[arg-type]
            out["seconds"], out["peak_mb"] = time.perf_counter() - t, peak_rss_mb()
            out["books"], out["unusable"] = s.books, s.unusable
    elif task == "startup":
        out["peak_mb"] = peak_rss_mb()
    return out


def run_child(root: Path, task: str, inputs_file: Path, timeout: float = 1800) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    proc = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            task,
            "--inputs",
            str(inputs_file),
            "--root",
            str(root),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )
    if proc.returncode != 0:
        return {
            "error": proc.stderr.strip().splitlines()[-1]
            if proc.stderr.strip()
            else f"exit {proc.returncode}"
        }
    return json.loads(proc.stdout.strip().splitlines()[-1])


def ms(seconds: object) -> str:
    return f"{float(seconds) * 1000:.1f} ms" if isinstance(seconds, int | float) else str(seconds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--before", help="a commit to time as 'before' (its code from git archive)")
    parser.add_argument("--child")
    parser.add_argument("--inputs")
    parser.add_argument("--root")
    parser.add_argument("--hostile-only", action="store_true", help="skip validate and collect timings")
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, args.root)
        inputs = json.loads(Path(args.inputs).read_text())
        print(json.dumps(child(args.child, inputs)))
        return

    with tempfile.TemporaryDirectory(prefix="bench-read-") as tmp:
        work = Path(tmp)
        t = time.perf_counter()
        inputs = make_inputs(work, args.quick)
        print(f"inputs built in {time.perf_counter() - t:.1f} s; sizes {inputs['sizes']}")
        inputs_file = work / "inputs.json"
        inputs_file.write_text(json.dumps(inputs))
        roots = {"after": ROOT}
        if args.before:
            before = work / "before"
            before.mkdir()
            archive = subprocess.run(
                ["git", "-C", str(ROOT), "archive", args.before], capture_output=True, check=True
            )
            subprocess.run(["tar", "-x", "-C", str(before)], input=archive.stdout, check=True)
            roots = {"before": before, "after": ROOT}
        cpus = os.cpu_count() or 1
        print(
            f"{platform.machine()}, {cpus} CPUs, Python {platform.python_version()}, load {os.getloadavg()}"
        )
        results: dict[str, dict[str, object]] = {}
        for label, root in roots.items() if not args.hostile_only else ():
            r: dict[str, object] = {}
            r.update(run_child(root, "validate", inputs_file))
            for jobs in (1, cpus):
                c = run_child(root, f"collect:{jobs}", inputs_file)
                r[f"collect_{jobs}"] = c.get("collect_s", c.get("error"))
            results[label] = r
        floors = run_child(ROOT, "floors", inputs_file) if not args.hostile_only else {}
        print("\nvalidate, in process (best of 5×10)")
        for key, name in (("b200", "batch writer"), ("b200_lo", "saved by LibreOffice")):
            if f"{key}_validate" not in results.get("after", {}):
                continue
            line = f"  200 indicators, {name}:"
            for label in roots:
                line += f" {label} {ms(results[label].get(f'{key}_validate'))} (read {ms(results[label].get(f'{key}_read'))});"
            line += f" floors: calamine values {ms(floors.get(f'{key}_calamine'))}, openpyxl {ms(floors.get(f'{key}_openpyxl'))}"
            print(line)
        n = int(inputs["n"])  # type: ignore[arg-type]
        print(f"\ncollect, {n} workbooks of 20 indicators")
        for label in results:
            for jobs in (1, cpus):
                s = results[label][f"collect_{jobs}"]
                rate = f"{n / float(s):.0f}/s" if isinstance(s, int | float) else ""
                print(
                    f"  {label}, {jobs} worker(s): {s if not isinstance(s, float) else f'{s:.2f} s'} {rate}"
                )
        print("\nhostile files (after)")
        base = run_child(ROOT, "startup", inputs_file)
        for task, what in (
            ("bomb", "zip bomb"),
            ("rows", "million rows"),
            ("compact", "million rows, one cell each"),
            ("hostile_collect", "collect of the bomb and the million rows + 20 workbooks"),
        ):
            h = run_child(ROOT, task, inputs_file)
            print(
                f"  {what}: {h.get('seconds', 0):.2f} s, peak {h.get('peak_mb', 0):.0f} MB (start-up {base['peak_mb']:.0f} MB) {h.get('result', '')} {h.get('books', '')} {h.get('unusable', '')} {h.get('error', '')}"
            )


if __name__ == "__main__":
    main()
