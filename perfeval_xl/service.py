"""What the command line and the Excel add-in both do: read, score, check, locate, write back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import catalog
from .layout import fields as F
from .model import Evaluation, Finding, Level, LevelCounts
from .rules.checks import check
from .rules.scheme import LEGACY_NAMES, Scheme, default_scheme, find_recorded
from .rules.scoring import Scores, rate_for_display, score
from .xlsx.read import BookData, WorkbookError, read_workbook

SCHEME_OTHER = catalog.code(
    "SCHEME_OTHER",
    Level.INFO,
    "按指定的评分规则计分",
    "工作簿按另一套评分规则制作，本次按命令行指定的规则（--rules）计分。",
    "workbook",
)
SCHEME_CHANGED = catalog.code(
    "SCHEME_CHANGED",
    Level.WARNING,
    "评分规则与制作时不同",
    "本机同名评分规则的内容与制作工作簿时不同（规则文件已更新）；按本机的规则计分，请确认。",
    "workbook",
)


@dataclass
class Outcome(LevelCounts):
    """One evaluation with its scheme, scores and located findings."""

    evaluation: Evaluation
    scores: Scores
    findings: list[Finding]
    path: Path | None = None
    scheme: Scheme | None = None

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


def evaluate(ev: Evaluation, scheme: Scheme | None = None, *, use_rows: bool = True) -> Outcome:
    """Score and check a model (findings located on the template's cells)."""
    scheme = scheme or default_scheme()
    scores = score(ev, scheme)
    return Outcome(ev, scores, locate(check(ev, scheme, scores), ev, use_rows=use_rows), scheme=scheme)


def evaluate_read(ev: Evaluation, read_findings: Sequence[Finding], scheme: Scheme | None = None) -> Outcome:
    """Evaluate a model read from a workbook; the problems found while reading come first."""
    outcome = evaluate(ev, scheme)
    outcome.findings = [*read_findings, *outcome.findings]
    return outcome


def scheme_for(data: BookData, override: Scheme | None = None) -> tuple[Scheme, list[Finding]]:
    """The scheme to score a workbook by, and what to tell the clerk about it.

    The workbook's own scheme (recorded when its template was built) unless ``override`` is given. A
    recorded scheme this machine does not have is a WorkbookError (scoring it by other rules would print a
    confident, wrong total); a workbook without a record (made before schemes) is scored nationally.
    """
    recorded, digest = data.scheme_id, data.scheme_digest
    where = {"sheet": F.SCORING, "cell": F.TOTAL_CELL}
    if override is not None:
        recorded_id = LEGACY_NAMES.get(recorded, recorded)
        if recorded_id and recorded_id != override.id:
            note = f"工作簿按评分规则“{recorded}”制作，本次按“{override.name}”（{override.id}）计分。"
            return override, [Finding(SCHEME_OTHER.code, SCHEME_OTHER.level, note, **where)]
        return override, []
    if not recorded:
        return default_scheme(), []
    scheme, note = find_recorded(recorded, digest)
    if scheme is None:
        raise WorkbookError(
            f"{data.path.name} 按评分规则“{recorded}”制作，本机找不到这套规则，无法按它计分。"
            "请向下发模板的财政部门索取规则文件（.toml），用 --rules 规则文件.toml 指定，"
            "或放入环境变量 PERFEVAL_XL_SCHEMES 所指的文件夹。"
        )
    return scheme, (
        [Finding(SCHEME_CHANGED.code, SCHEME_CHANGED.level, note + "。", **where)] if note else []
    )


def evaluate_book(path: Path, scheme: Scheme | None = None) -> Outcome:
    """Read a workbook and evaluate it by its own scheme (or ``scheme``). Raises WorkbookError for an
    unusable file or a scheme this machine does not have."""
    data = read_workbook(path)
    return evaluate_data(data, scheme)


def evaluate_data(data: BookData, scheme: Scheme | None = None) -> Outcome:
    """Evaluate a workbook already read (xlsx.read) by its own scheme (or ``scheme``)."""
    chosen, notes = scheme_for(data, scheme)
    outcome = evaluate_read(data.evaluation, [*data.findings, *notes], chosen)
    outcome.path = Path(data.path)
    return outcome


def _num(d: Decimal | None) -> float | None:
    return None if d is None else float(d)


def scores_json(outcome: Outcome) -> dict[str, Any]:
    """The ``score --json`` document (rates as fractions, scores rounded to 2 decimals).

    ``total`` is null when 总分 cannot be computed; ``total_blocked`` then says why in one line and
    ``partial`` is the sum of what could be scored (never a 总分).
    """
    s = outcome.scores
    return {
        "unit_code": outcome.evaluation.unit_code,
        "scheme": outcome.scheme.id if outcome.scheme else s.scheme,
        "execution_rate": _num(rate_for_display(s.execution_rate)),
        "execution_score": _num(s.execution_score),
        "indicator_score": _num(s.indicator_score),
        "total": _num(s.total),
        "grade": s.grade,
        "total_blocked": s.blocked_line or None,
        "partial": _num(s.partial) if s.total is None else None,
        "indicators": [
            {"name": i.name, "weight": _num(i.weight), "score": _num(i.score), "method": i.method}
            for i in s.indicators
        ],
    }
