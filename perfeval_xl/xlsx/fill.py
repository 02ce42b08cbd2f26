"""Fill a fresh copy of the template with one evaluation (perfeval-xl fill)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..files import atomic_path
from ..layout import fields as F
from ..model import Evaluation, Finding
from ..rules.scheme import Scheme
from ..rules.scoring import Scores


def field_value(ev: Evaluation, key: str) -> Any:
    obj: Any = ev
    for part in key.split("."):
        obj = getattr(obj, part)
    return obj


def _put(ws: Any, ref: str, value: Any) -> None:
    from .render_openpyxl import set_value  # openpyxl: fastfill imports this module for field_value

    if value is None or value == "":
        return
    set_value(ws, ref, float(value) if isinstance(value, Decimal) else value)


def fill_workbook(
    ev: Evaluation,
    out: Path,
    *,
    template: Path,
    findings: Sequence[Finding] | None = None,
    scores: Scores | None = None,
    scheme: Scheme | None = None,
) -> Path:
    """Write ``ev`` into a copy of ``template`` at ``out`` (atomically), with marks and 自评表 if given.

    Indicators go to consecutive rows from the first indicator row, so findings must be located with
    ``rows=None`` (service.locate). Text is written as text: a CSV cell "=1+1" stays the string "=1+1".
    """
    from .render_openpyxl import load_template, mark_cells, replace_summary, write_findings_sheet

    wb = load_template(template)
    info = wb[F.INFO]
    for f in F.FIELDS:
        _put(info, f.cell, field_value(ev, f.key))
    ws = wb[F.INDICATORS]
    for i, ind in enumerate(ev.indicators):
        row = F.INDICATOR_FIRST_ROW + i
        for col in F.INPUT_COLUMNS:
            _put(ws, f"{col.letter}{row}", getattr(ind, col.key))
    if findings is not None:
        mark_cells(wb, findings)
        write_findings_sheet(wb, findings, scheme)
    if scores is not None:
        replace_summary(wb, ev, scores, scheme)
    with atomic_path(out) as tmp:
        wb.save(tmp)
    return out
