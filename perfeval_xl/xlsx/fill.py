"""Fill a fresh copy of the template with one evaluation (perfeval-xl fill)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..files import atomic_path
from ..layout import fields as F
from ..model import Evaluation, Finding
from ..rules.scoring import Scores
from .read import open_workbook
from .write import _mark_cells, _replace_summary, _write_findings_sheet


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
) -> Path:
    """Write ``ev`` into a copy of ``template`` at ``out`` (atomically), with marks and 自评表 if given.

    Indicators go to consecutive rows from the first indicator row, so findings must be located with
    ``rows=None`` (service.locate). Text is written as text: a CSV cell "=1+1" stays the string "=1+1".
    """
    wb = open_workbook(template, read_only=False)
    info = wb[F.INFO]
    for f in F.FIELDS:
        _put(info, f.cell, field_value(ev, f.key))
    ws = wb[F.INDICATORS]
    for i, ind in enumerate(ev.indicators):
        row = F.INDICATOR_FIRST_ROW + i
        for col in F.INPUT_COLUMNS:
            _put(ws, f"{col.letter}{row}", getattr(ind, col.key))
    if findings is not None:
        _mark_cells(wb, findings)
        _write_findings_sheet(wb, findings)
    if scores is not None:
        _replace_summary(wb, ev, scores)
    with atomic_path(out) as tmp:
        wb.save(tmp)
    return out
