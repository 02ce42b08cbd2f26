"""Many units at once: one workbook per 单位/项目 from the budget system's CSV export."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from .csvin import CsvUnit, locate_findings
from .model import Evaluation, Finding, Kind, Level
from .rules.config import DEFAULT_RULES, RuleSet
from .service import evaluate
from .xlsx.fill import fill_workbook

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')
_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}
MAX_NAME = 80


def safe_name(text: str) -> str:
    """A file name that is valid on Windows and Linux (unsafe characters → _, length capped)."""
    text = unicodedata.normalize("NFC", text)
    text = _UNSAFE.sub("_", text).strip(" .")
    text = re.sub(r"_+", "_", text)
    if text.upper() in _RESERVED:
        text = f"_{text}"
    return text[:MAX_NAME] or "未命名"


def output_name(ev: Evaluation) -> str:
    """``单位编码_单位名称.xlsx`` for a department, ``单位编码_单位名称_项目名称.xlsx`` for a project."""
    parts = [ev.unit_code, ev.unit_name]
    if ev.kind == Kind.PROJECT and ev.project_name:
        parts.append(ev.project_name)
    return safe_name("_".join(p for p in parts if p)) + ".xlsx"


def assign_names(evaluations: Iterable[Evaluation]) -> list[str]:
    """File names for a batch, made unique (case-insensitively, as on Windows) with _2, _3 …"""
    seen: set[str] = set()
    out = []
    for ev in evaluations:
        name = output_name(ev)
        stem, n = name[:-5], 2
        while name.casefold() in seen:
            name = f"{stem}_{n}.xlsx"
            n += 1
        seen.add(name.casefold())
        out.append(name)
    return out


@dataclass
class UnitResult:
    """What happened to one unit: the file written, its score and its findings located in the CSV."""

    key: str
    file: str = ""
    total: str = ""
    grade: str = ""
    findings: list[Finding] = field(default_factory=list)  # sheet = CSV file, cell = 第N行 列
    skipped: str = ""  # why no file was written (up to date, error)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.level is Level.ERROR)


def fill_unit(
    unit: CsvUnit, out: Path, *, template: Path, csv_name: str, rules: RuleSet = DEFAULT_RULES
) -> UnitResult:
    """Write one unit's workbook, findings marked and 自评表 filled; report findings by CSV row."""
    ev = unit.evaluation
    outcome = evaluate(ev, rules, use_rows=False)
    fill_workbook(ev, out, template=template, findings=outcome.findings, scores=outcome.scores)
    # the same findings, located in the CSV this time (row and column instead of sheet and cell)
    unlocated = [replace(f, sheet="", cell="") for f in outcome.findings]
    csv_findings = unit.findings + locate_findings(unit, unlocated, csv_name)
    total = "" if outcome.scores.total is None else f"{outcome.scores.total:.2f}"
    return UnitResult(
        key=f"{ev.unit_code}/{ev.subject}",
        file=out.name,
        total=total,
        grade=outcome.scores.grade,
        findings=csv_findings,
    )


def fill_units(
    units: list[CsvUnit],
    outdir: Path,
    *,
    template: Path,
    csv_name: str,
    force: bool = False,
    rules: RuleSet = DEFAULT_RULES,
    progress: Callable[[UnitResult], None] | None = None,
) -> list[UnitResult]:
    """Fill every unit in turn; a failure in one unit is recorded and the others go on."""
    outdir.mkdir(parents=True, exist_ok=True)
    results = []
    for unit, name in zip(units, assign_names(u.evaluation for u in units), strict=True):
        target = outdir / name
        ev = unit.evaluation
        key = f"{ev.unit_code}/{ev.subject}"
        if target.exists() and not force:
            result = UnitResult(key, file=name, skipped="已存在（加 --force 覆盖）")
        else:
            try:
                result = fill_unit(unit, target, template=template, csv_name=csv_name, rules=rules)
            except OSError as exc:
                result = UnitResult(key, skipped=f"写入失败：{exc}")
        results.append(result)
        if progress:
            progress(result)
    return results
