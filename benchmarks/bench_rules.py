"""Benchmark the rules in Python (issue 14): ``service.evaluate`` (scores + checks) per evaluation.

    python benchmarks/bench_rules.py --before 5485dba   # this code against that commit's (git archive)
    python benchmarks/bench_rules.py                    # this code only
    python benchmarks/bench_rules.py --quick            # 3 rounds instead of 7 (CI)

What is measured, in one run on one machine, each code version in a fresh process:

- ``service.evaluate(ev, scheme)`` of tests/factories.valid_evaluation with its 9 indicators repeated to
  9, 20 and 100 rows (each copy renamed, so no row is a duplicate), under the national scheme,
  chongqing-bmzt and hunan-bmzt; and its two halves, ``scoring.score`` and ``checks.check`` (given the
  scores). Best mean over the rounds of several calls each, with the rules compiled (``checks.compile_now``,
  where a batch gets after its first rows).
- the first evaluation of a process (9 indicators: building the rules' trees and closures included), and
  the time ``checks.compile_now`` takes to compile a scheme's rules (rules.pycompile).
- the floor, in the same process: ``copy.deepcopy(ev)`` of the same evaluation (what merely walking the
  model once costs in Python).

Times are the CPU time of the measuring process (``time.process_time``): the rules are single-threaded
pure Python, and on a shared machine wall time also counts the waits for a CPU. Each code version runs
twice, in turns with the other, each time in a fresh process; the best of each figure is kept.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCHEMES = ("national", "chongqing-bmzt", "hunan-bmzt")
SIZES = (9, 20, 100)


def best(f, repeat: int, number: int) -> float:  # type: ignore[no-untyped-def]
    """Best mean of ``number`` calls over ``repeat`` rounds, in CPU seconds of this process."""
    out = []
    for _ in range(repeat):
        t = time.process_time()
        for _ in range(number):
            f()
        out.append((time.process_time() - t) / number)
    return min(out)


def child(root: str, repeat: int) -> dict[str, float]:
    """Time this code version (``root``) in this process; seconds by key."""
    sys.path.insert(0, root)
    sys.path.insert(1, str(ROOT / "tests"))
    import copy

    from factories import valid_evaluation, valid_indicators

    from perfeval_xl import service
    from perfeval_xl.model import Indicator
    from perfeval_xl.rules import checks, scoring
    from perfeval_xl.rules.scheme import get_scheme

    out: dict[str, float] = {}
    for scheme_id in SCHEMES:
        scheme = get_scheme(scheme_id)
        for n in SIZES:
            ev = valid_evaluation()
            base = valid_indicators()
            ev.indicators = [
                Indicator(**{**base[i % 9].__dict__, "name": f"{base[i % 9].name}{i // 9 or ''}"})
                for i in range(n)
            ]
            key = f"{scheme_id}:{n}"
            t = time.process_time()
            service.evaluate(ev, scheme)
            out[f"{key}:first"] = time.process_time() - t
            if hasattr(checks, "compile_now"):  # compiled now rather than after the first rows
                t = time.process_time()
                checks.compile_now(scheme)
                out[f"{key}:compile"] = time.process_time() - t
            number = max(3, 300 // n)
            out[f"{key}:evaluate"] = best(lambda: service.evaluate(ev, scheme), repeat, number)  # noqa: B023
            out[f"{key}:score"] = best(lambda: scoring.score(ev, scheme), repeat, number)  # noqa: B023
            scores = scoring.score(ev, scheme)
            out[f"{key}:check"] = best(lambda: checks.check(ev, scheme, scores), repeat, number)  # noqa: B023
            out[f"{key}:deepcopy"] = best(lambda: copy.deepcopy(ev), repeat, number)  # noqa: B023
    return out


def run_child(root: Path, repeat: int) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", str(root), "--repeat", str(repeat)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode:
        raise SystemExit(f"child for {root} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.splitlines()[-1])


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", help="a commit to time as 'before' (its code from git archive)")
    parser.add_argument("--repeat", type=int, default=7, help="rounds; the best is kept")
    parser.add_argument("--quick", action="store_true", help="3 rounds")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    repeat = 3 if args.quick else args.repeat
    if args.child:
        print(json.dumps(child(args.child, repeat)))
        return
    print(
        f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, load {os.getloadavg()}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-rules-") as tmp:
        roots = {"after": ROOT}
        if args.before:
            before = Path(tmp) / "before"
            before.mkdir()
            archive = subprocess.run(
                ["git", "-C", str(ROOT), "archive", args.before], capture_output=True, check=True
            )
            subprocess.run(["tar", "-x", "-C", str(before)], input=archive.stdout, check=True)
            roots = {"before": before, "after": ROOT}
        # Versions in turns, each twice: load from elsewhere on a shared machine hits both alike.
        results: dict[str, dict[str, float]] = {}
        for _ in range(2):
            for label, root in roots.items():
                got = run_child(root, repeat)
                mine = results.setdefault(label, got)
                for key, value in got.items():
                    mine[key] = min(mine[key], value)
    after, before = results["after"], results.get("before")
    print(f"\nservice.evaluate per evaluation, rules compiled (best of {repeat} rounds)")
    print(
        "| scheme | indicators | before | after | speed-up | score | check | floor: deepcopy | after / floor |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for scheme_id in SCHEMES:
        for n in SIZES:
            key = f"{scheme_id}:{n}"
            now = after[f"{key}:evaluate"]
            then = before[f"{key}:evaluate"] if before else None
            print(
                f"| {scheme_id} | {n} | {ms(then) if then else ''} | {ms(now)} |"
                f" {f'×{then / now:.1f}' if then else ''} | {ms(after[f'{key}:score'])} |"
                f" {ms(after[f'{key}:check'])} | {ms(after[f'{key}:deepcopy'])} |"
                f" {now / after[f'{key}:deepcopy']:.1f} |"
            )
    print("\nfirst evaluation of a process (9 indicators), and compiling a scheme's rules")
    print("| scheme | first, before | first, after | compile (once per process) |")
    print("|---|---|---|---|")
    for scheme_id in SCHEMES:
        key = f"{scheme_id}:{SIZES[0]}"
        print(
            f"| {scheme_id} | {ms(before[f'{key}:first']) if before else ''} | {ms(after[f'{key}:first'])} |"
            f" {ms(after[f'{key}:compile'])} |"
        )


if __name__ == "__main__":
    main()
