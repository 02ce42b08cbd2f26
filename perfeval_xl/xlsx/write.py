"""Write results into a clerk's workbook: validation marks, the 校验结果 sheet, the 自评表 snapshot.

``update_workbook`` patches the file's parts (``xlsx.patch``; the module doc there says what the tool owns
and why nothing else changes): input cells keep their values and everything the clerk put in the file —
pictures, their notes, dropdowns, VBA — comes out the same bytes. A mark is a fill in the level's colour
and a note signed ``perfeval-xl``; a cell that already carries a note of the clerk's keeps it and gets the
fill only (the finding is listed on 校验结果, whose link leads there). Each run first clears the marks of the
run before. A read-only workbook is refused; the file is replaced atomically (temporary file in its folder,
then rename).
"""

from __future__ import annotations

import datetime as dt
import os
import stat
import warnings
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from ..display import counts_line
from ..layout import fields as F
from ..layout.spec import SheetSpec, col_index, split_ref
from ..layout.styles import INPUT_FILL, MARK_FILLS
from ..layout.summary import summary_sheet
from ..model import Evaluation, Finding, Level
from ..rules.scheme import Scheme
from ..rules.scoring import Scores
from .notes import CommentsPart, VmlPart, vml_blocks
from .package import Package, WorkbookError
from .patch import (
    BookPatch,
    CellIndex,
    absolute_area,
    add_sheet_entry,
    column_styles,
    new_sheet_xml,
    rel_prefix,
    replace_sheet_content,
    root_prefix,
    set_defined_name,
)
from .read import read_package, sheet_values
from .sheetxml import (
    MARK_AUTHOR,
    comments_xml,
    drop_children,
    mark_text,
    note_height,
    set_child,
    vml_xml,
    with_prefix,
)

__all__ = [
    "MARK_AUTHOR",
    "findings_row",
    "findings_summary",
    "mark_notes",
    "ordered_findings",
    "update_workbook",
]

_SEVERITY = {Level.ERROR: 0, Level.WARNING: 1, Level.INFO: 2}
#: The 校验结果 table: findings from row 4, the sheet in column D and the cell in column E.
FINDINGS_FIRST_ROW = 4
_CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
_CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
_CT_SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


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
        out[key] = (items[0].level, mark_text(items))
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


# ------------------------------------------------------------------------------------------ the file


def update_workbook(
    src: Path,
    out: Path | None = None,
    *,
    findings: Sequence[Finding] | None = None,
    summary: tuple[Evaluation, Scores, Scheme | None] | tuple[Evaluation, Scores] | None = None,
    clear: bool = True,
) -> Path:
    """Apply marks (``findings``) and/or the 自评表 snapshot (``summary``) to ``src``, saved to ``out``.

    ``summary`` is (evaluation, scores[, scheme]): the 自评表 in the scheme's layout (its labels, fund rows,
    levels or flat). ``findings`` must carry sheet and cell (see service.locate). Earlier marks are cleared first (with
    ``clear`` or ``findings``). Raises WorkbookError (Chinese) for a file that cannot be used or written:
    read-only, not ours, damaged, over the reader's limits.
    """
    src = Path(src)
    out = Path(out) if out else src
    for target in {src.resolve() if out.resolve() == src.resolve() else out}:
        if Path(target).exists() and _read_only(Path(target)):
            raise WorkbookError(
                f"{Path(target).name} 是只读文件，perfeval-xl 不会改写它，也不会去掉它的只读属性。"
                "如确需写入，请先在文件“属性”中取消“只读”后重试（summary 也可用 -o 另存为新文件）。"
            )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Package(src) as pkg:
            read_package(pkg)  # ours, readable, within the limits
            patch = BookPatch(pkg)
            if clear or findings is not None:
                clear_marks(patch)
            if findings is not None:
                _mark(patch, findings)
                _write_findings_sheet(patch, findings, summary[2] if summary and len(summary) > 2 else None)
            if summary is not None:
                _write_summary(patch, *summary)
            patch.save(out)
    return out


def _read_only(path: Path) -> bool:
    """Marked read-only (its owner may not write it: Windows' read-only attribute), or not writable by us."""
    return not path.stat().st_mode & stat.S_IWUSR or not os.access(path, os.W_OK)


def _sheet_part(patch: BookPatch, name: str) -> str:
    ref = patch.pkg.sheet(name)
    if ref is None or not ref.part or ref.kind != "worksheet":
        raise WorkbookError(
            f"{patch.pkg.name} 的“{name}”不是普通工作表，无法写入。请用 Excel 打开检查后另存。"
        )
    return ref.part


def _listed(patch: BookPatch) -> set[tuple[str, str]]:
    """Input cells listed on the 校验结果 sheet (the marks of the run before, notes or not)."""
    ref = patch.pkg.sheet(F.FINDINGS)
    if ref is None or not ref.part or ref.kind != "worksheet":
        return set()
    values = sheet_values(patch.pkg, F.FINDINGS, ("D", "E"), first_row=FINDINGS_FIRST_ROW)
    rows: dict[int, dict[int, object]] = defaultdict(dict)
    for (r, c), v in values.items():
        rows[r][c] = v
    out = set()
    for cols in rows.values():
        sheet, cell = str(cols.get(4) or "").strip(), str(cols.get(5) or "").replace("$", "").strip().upper()
        if sheet in (F.INFO, F.INDICATORS) and _is_ref(cell):
            out.add((sheet, cell))
    return out


def _is_ref(text: str) -> bool:
    try:
        split_ref(text)
    except ValueError:
        return False
    return True


def clear_marks(patch: BookPatch) -> int:
    """Remove our notes and give the cells we marked their input fill back; return how many cells."""
    listed = _listed(patch)
    marks = set(MARK_FILLS.values())
    cleared = 0
    for sheet in (F.INFO, F.INDICATORS):
        part = _sheet_part(patch, sheet)
        xml = patch.text(part)
        ours: set[str] = set()
        found = patch.related(part, "comments")
        if found is not None:
            rid, cpart = found
            comments = CommentsPart(patch.text(cpart))
            ours = comments.remove_ours()
            if ours:
                if comments.notes:
                    patch.put(cpart, comments.xml)
                else:
                    patch.delete(cpart)
                    patch.remove_rel(part, rid)
                    patch.remove_override(cpart)
                vml = patch.related(part, "vmlDrawing")
                if vml is not None:
                    drawing = VmlPart(patch.text(vml[1]))
                    drawing.remove(ours - comments.refs())  # a shape the clerk's note shares stays
                    if drawing.has_shapes():
                        patch.put(vml[1], drawing.xml)
                    else:
                        patch.delete(vml[1])
                        patch.remove_rel(part, vml[0])
                        xml = set_child(xml, "legacyDrawing", None, root_prefix(xml))
        cells = ours | {ref for s, ref in listed if s == sheet}
        if cells:
            index = CellIndex(xml, root_prefix(xml))
            columns = column_styles(xml)
            restyle = {}
            for ref in cells:
                current = index.style(ref, columns)
                if patch.styles.fill_rgb(current) in marks:
                    restyle[ref] = patch.styles.with_fill(current, INPUT_FILL)
            if restyle:
                xml = index.restyled(restyle)
            cleared += len(restyle)
        patch.put(part, xml)
    return cleared


def _mark(patch: BookPatch, findings: Sequence[Finding]) -> None:
    """Fill each problem cell in its worst level's colour and add our note unless the clerk has one."""
    notes = mark_notes(findings)
    for sheet in (F.INFO, F.INDICATORS):
        items = {ref: v for (s, ref), v in notes.items() if s == sheet}
        if not items:
            continue
        part = _sheet_part(patch, sheet)
        xml = patch.text(part)
        p = root_prefix(xml)
        index = CellIndex(xml, p)
        columns = column_styles(xml)
        xml = index.restyled(
            {
                ref: patch.styles.with_fill(index.style(ref, columns), MARK_FILLS[level.value])
                for ref, (level, _) in items.items()
            }
        )
        found = patch.related(part, "comments")
        clerks = CommentsPart(patch.text(found[1])).refs() if found else set()
        order = sorted((r for r in items if r not in clerks), key=_position)
        new = [(ref, items[ref][1]) for ref in order]
        if new:
            if found is not None:
                comments = CommentsPart(patch.text(found[1]))
                comments.add(new)
                patch.put(found[1], comments.xml)
            else:
                cpart = patch.unique("xl/comments{}.xml")
                patch.put(cpart, comments_xml(new, patch.ns.main))
                patch.add_rel(part, "comments", cpart)
                patch.add_override(cpart, _CT_COMMENTS)
            shapes = [(ref, note_height(text.count("\n") + 1)) for ref, text in new]
            vml = patch.related(part, "vmlDrawing")
            if vml is not None:
                drawing = VmlPart(patch.text(vml[1]))
                drawing.add(shapes)
                patch.put(vml[1], drawing.xml)
            else:
                others = [
                    patch.text(n) for n in patch.pkg.names if n.lower().endswith(".vml") and patch.exists(n)
                ]
                block = max(vml_blocks(others), default=0) + 1
                vpart = patch.unique("xl/drawings/vmlDrawing{}.vml")
                patch.put(vpart, vml_xml(shapes, block))
                rid = patch.add_rel(part, "vmlDrawing", vpart)
                patch.add_default("vml", _CT_VML)
                xml, r = _rel_prefix(xml, patch.ns.rel)
                xml = set_child(xml, "legacyDrawing", with_prefix(f'<legacyDrawing {r}:id="{rid}"/>', p), p)
        patch.put(part, xml)


def _position(ref: str) -> tuple[int, int]:
    col, row = split_ref(ref)
    return row, col_index(col)


def _rel_prefix(xml: str, rel_ns: str) -> tuple[str, str]:
    """(xml, prefix): the sheet's prefix for the relationships namespace, declared on its root if missing."""
    prefix = rel_prefix(xml, rel_ns)
    if prefix:
        return xml, prefix
    root = xml.find(f"<{root_prefix(xml)}worksheet")
    end = xml.find(">", root)
    return xml[:end] + f' xmlns:r="{rel_ns}"' + xml[end:], "r"


def _write_findings_sheet(patch: BookPatch, findings: Sequence[Finding], scheme: Scheme | None) -> None:
    from .fastfill import findings_spec

    _write_our_sheet(patch, findings_spec(findings, scheme=scheme))


def _write_summary(patch: BookPatch, ev: Evaluation, scores: Scores, scheme: Scheme | None = None) -> None:
    """The 自评表 snapshot in place of the live one: its conditional formats (borders of the rows in use)
    go, and its print area (a formula that grows with the indicators) becomes the snapshot's fixed one."""
    spec = summary_sheet(ev, scores, scheme)
    index = _write_our_sheet(patch, spec, snapshot=True)
    workbook = patch.text(patch.pkg.workbook_part)
    pr = spec.print_setup
    new = set_defined_name(
        workbook, "_xlnm.Print_Area", index, absolute_area(spec.name, pr.area) if pr.area else None
    )
    if pr.repeat_rows:
        first, _, last = pr.repeat_rows.partition(":")
        quoted = spec.name.replace("'", "''")
        new = set_defined_name(new, "_xlnm.Print_Titles", index, f"'{quoted}'!${first}:${last or first}")
    if new != workbook:
        patch.put(patch.pkg.workbook_part, new)


def _write_our_sheet(patch: BookPatch, spec: SheetSpec, *, snapshot: bool = False) -> int:
    """Write a sheet the tool owns (its content replaced, or the sheet added last); return its position.
    ``snapshot``: the sheet's conditional formats are removed with its old content."""
    ref = patch.pkg.sheet(spec.name)
    if ref is not None:
        part = _sheet_part(patch, spec.name)
        xml = patch.text(part)
        if snapshot:
            xml = drop_children(xml, "conditionalFormatting", root_prefix(xml))
        patch.put(part, replace_sheet_content(xml, spec, patch.layout_style))
        return ref.index
    part = patch.unique("xl/worksheets/sheet{}.xml")
    patch.put(part, new_sheet_xml(spec, patch.layout_style, patch.ns.main, patch.ns.rel))
    patch.add_override(part, _CT_SHEET)
    rid = patch.add_rel(patch.pkg.workbook_part, "worksheet", part)
    workbook = patch.text(patch.pkg.workbook_part)
    prefix = rel_prefix(workbook, patch.ns.rel)
    if not prefix:
        raise WorkbookError(f"{patch.pkg.name} 的工作簿部件无法添加工作表，请用 Excel 打开检查后另存。")
    patch.put(patch.pkg.workbook_part, add_sheet_entry(workbook, spec.name, rid, prefix))
    patch.added_sheets += 1
    return len(patch.pkg.sheets) + patch.added_sheets - 1
