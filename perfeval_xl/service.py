"""What the command line and the Excel add-in both do: read, score, check, locate, write back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from .layout import fields as F
from .model import Evaluation, Finding, LevelCounts
from .rules.checks import check
from .rules.config import DEFAULT_RULES, RuleSet
from .rules.scoring import Scores, rate_for_display, score


@dataclass
class Outcome(LevelCounts):
    """One evaluation with its scores and located findings."""

    evaluation: Evaluation
    scores: Scores
    findings: list[Finding]
    path: Path | None = None

    def leveled(self) -> list[Finding]:
        return self.findings


def locate(findings: Sequence[Finding], ev: Evaluation, *, use_rows: bool = True) -> list[Finding]:
    """Fill sheet and cell of each finding from its model field (layout.fields.locate).

    ``use_rows``: indicators sit at their ``Indicator.row`` (a workbook that was read); otherwise at
    consecutive rows from the first indicator row (a workbook being filled from a CSV).
    """
    rows = [ind.row for ind in ev.indicators] if use_rows else None
    out = []
    for f in findings:
        if f.sheet:
            out.append(f)
            continue
        sheet, cell = F.locate(f.field, rows)
        out.append(replace(f, sheet=sheet, cell=cell))
    return out


def evaluate(ev: Evaluation, rules: RuleSet = DEFAULT_RULES, *, use_rows: bool = True) -> Outcome:
    """Score and check a model (findings located on the template's cells)."""
    scores = score(ev, rules)
    return Outcome(ev, scores, locate(check(ev, rules, scores), ev, use_rows=use_rows))


def evaluate_read(
    ev: Evaluation, read_findings: Sequence[Finding], rules: RuleSet = DEFAULT_RULES
) -> Outcome:
    """Evaluate a model read from a workbook; the problems found while reading come first."""
    outcome = evaluate(ev, rules)
    outcome.findings = [*read_findings, *outcome.findings]
    return outcome


def evaluate_book(path: Path, rules: RuleSet = DEFAULT_RULES) -> Outcome:
    """Read a workbook and evaluate it. Raises xlsx.read.WorkbookError for an unusable file."""
    from .xlsx.read import read_workbook  # the file reader: not needed by fill or the Excel add-in

    data = read_workbook(path)
    outcome = evaluate_read(data.evaluation, data.findings, rules)
    outcome.path = Path(path)
    return outcome


def _num(d: Decimal | None) -> float | None:
    return None if d is None else float(d)


def scores_json(outcome: Outcome) -> dict[str, Any]:
    """The ``score --json`` document (rates as fractions, scores rounded to 2 decimals)."""
    s = outcome.scores
    return {
        "unit_code": outcome.evaluation.unit_code,
        "execution_rate": _num(rate_for_display(s.execution_rate)),
        "execution_score": _num(s.execution_score),
        "indicator_score": _num(s.indicator_score),
        "total": _num(s.total),
        "grade": s.grade,
        "indicators": [
            {"name": i.name, "weight": _num(i.weight), "score": _num(i.score)} for i in s.indicators
        ],
    }
