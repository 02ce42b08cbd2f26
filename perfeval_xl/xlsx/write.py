"""Write results into an existing workbook: validation marks, the 校验结果 sheet, the 自评表 snapshot.

Input cells keep their values: a mark only changes a cell's fill and adds a comment signed ``perfeval-xl``;
clearing removes exactly those comments and gives the cells their input fill back. The file is replaced
atomically (temporary file, then rename).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from ..display import counts_line
from ..files import atomic_path
from ..layout import fields as F
from ..layout.styles import INPUT_FILL, MARK_FILLS
from ..layout.summary import summary_sheet
from ..layout.template import findings_sheet
from ..model import Evaluation, Finding, Level
from ..rules.scoring import Scores
from .read import check_ours, open_workbook

# openpyxl is imported inside the functions that write through it: the Excel add-in uses the findings
# helpers below (mark_notes, findings_row …) and must not pay for openpyxl.

MARK_AUTHOR = "perfeval-xl"
_SEVERITY = {Level.ERROR: 0, Level.WARNING: 1, Level.INFO: 2}


def clear_marks(wb) -> int:  # type: ignore[no-untyped-def]
    """Remove our comments and mark fills from the input sheets; return how many cells were cleared."""
    from openpyxl.styles import PatternFill

    cleared = 0
    input_fill = PatternFill("solid", fgColor=INPUT_FILL)
    for name in (F.INFO, F.INDICATORS):
        ws = wb[name]
        for row in ws.iter_rows():
            for c in row:
                if c.comment is not None and c.comment.author == MARK_AUTHOR:
                    c.comment = None
                    c.fill = input_fill
                    cleared += 1
    return cleared


def mark_notes(findings: Sequence[Finding]) -> dict[tuple[str, str], tuple[Level, str]]:
    """(sheet, cell) → (worst level, note text) for every input cell a finding points at.

    The note has one line per finding, the worst first: ``【错误】message（CODE）``. The file edge and the
    live workbook (perfeval_xl.excel) both mark with this.
    """
    by_cell: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in findings:
        if f.sheet in (F.INFO, F.INDICATORS) and f.cell:
            by_cell[(f.sheet, f.cell)].append(f)
    out: dict[tuple[str, str], tuple[Level, str]] = {}
    for key, items in by_cell.items():
        items.sort(key=lambda f: _SEVERITY[f.level])
        out[key] = (items[0].level, "\n".join(f"【{f.level.label}】{f.message}（{f.code}）" for f in items))
    return out


def ordered_findings(findings: Sequence[Finding]) -> list[Finding]:
    """Findings in the order of the 校验结果 sheet: errors first, then by sheet."""
    return sorted(
        findings, key=lambda f: (_SEVERITY[f.level], F.SHEETS.index(f.sheet) if f.sheet in F.SHEETS else 9)
    )


def findings_summary(findings: Sequence[Finding], when: dt.datetime) -> str:
    """The line above the 校验结果 table (cell A2)."""
    return f"校验时间 {when:%Y-%m-%d %H:%M}：{counts_line(findings)}。" + (
        "点击“单元格”列可跳转到对应位置；修改后请重新校验。" if findings else "未发现问题。"
    )


def findings_row(i: int, f: Finding) -> tuple[int, str, str, str, str, str]:
    """One row of the 校验结果 table (columns A–F): 序号, 级别, 代码, 工作表, 单元格, 说明."""
    return (i, f.level.label, f.code, f.sheet, f.cell, f.message)


def _mark_cells(wb, findings: Sequence[Finding]) -> None:  # type: ignore[no-untyped-def]
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    for (sheet, ref), (worst, text) in mark_notes(findings).items():
        c = wb[sheet][ref]
        c.fill = PatternFill("solid", fgColor=MARK_FILLS[worst.value])
        comment = Comment(text, MARK_AUTHOR)
        comment.width, comment.height = 320, min(60 + 48 * (text.count("\n") + 1), 400)
        c.comment = comment


def _write_findings_sheet(wb, findings: Sequence[Finding]) -> None:  # type: ignore[no-untyped-def]
    from openpyxl.styles import PatternFill
    from openpyxl.worksheet.hyperlink import Hyperlink

    from .render_openpyxl import apply_style, render_sheet, set_value

    ws = wb[F.FINDINGS] if F.FINDINGS in wb.sheetnames else wb.create_sheet(F.FINDINGS)
    if ws.max_row >= 4:
        ws.delete_rows(4, ws.max_row - 3)
    if not ws["A3"].value:
        render_sheet(ws, findings_sheet())
    set_value(ws, "A2", findings_summary(findings, dt.datetime.now()))
    for i, f in enumerate(ordered_findings(findings), start=1):
        r = 3 + i
        for col, value in zip("ABCDEF", findings_row(i, f), strict=True):
            set_value(ws, f"{col}{r}", value)
            apply_style(ws, f"{col}{r}", "note")
        ws[f"B{r}"].fill = PatternFill("solid", fgColor=MARK_FILLS[f.level.value])
        if f.sheet in wb.sheetnames and f.cell:
            ws[f"E{r}"].hyperlink = Hyperlink(ref=f"E{r}", location=f"'{f.sheet}'!{f.cell}", display=f.cell)
            apply_style(ws, f"E{r}", "link")


def _replace_summary(wb, ev: Evaluation, scores: Scores) -> None:  # type: ignore[no-untyped-def]
    from .render_openpyxl import render_sheet

    index = wb.sheetnames.index(F.SUMMARY) if F.SUMMARY in wb.sheetnames else len(wb.sheetnames)
    if F.SUMMARY in wb.sheetnames:
        wb.remove(wb[F.SUMMARY])
    ws = wb.create_sheet(F.SUMMARY, index)
    render_sheet(ws, summary_sheet(ev, scores))


def update_workbook(
    src: Path,
    out: Path | None = None,
    *,
    findings: Sequence[Finding] | None = None,
    summary: tuple[Evaluation, Scores] | None = None,
    clear: bool = True,
) -> Path:
    """Apply marks (``findings``) and/or the 自评表 snapshot (``summary``) to ``src``, saved to ``out``.

    ``findings`` must carry sheet and cell (see service.locate). Earlier marks are cleared first.
    """
    src = Path(src)
    out = Path(out) if out else src
    keep_vba = src.suffix.lower() == ".xlsm"
    wb = open_workbook(src, read_only=False, keep_vba=keep_vba)
    check_ours(wb, src.name)
    if clear or findings is not None:
        clear_marks(wb)
    if findings is not None:
        _mark_cells(wb, findings)
        _write_findings_sheet(wb, findings)
    if summary is not None:
        _replace_summary(wb, *summary)
    with atomic_path(out) as tmp:
        wb.save(tmp)
    return out
