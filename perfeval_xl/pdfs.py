"""自评表 PDFs of many workbooks in one go (``perfeval-xl pdf BOOK... / FOLDER``, ``fill --pdf``, ``collect --pdf``).

1. **Prepare** (worker processes, ``jobs``): each workbook is read and scored (``service.evaluate_book``),
   and its 自评表 refreshed into a temporary workbook (``summary_copy``: the sheet ``update_workbook``
   would write, on its own); the original is never written. With ``report`` its 自评报告 is rendered too
   (.docx). A workbook that cannot be read is reported and skipped.
2. **Print**: every copy (and report) in one ``office.to_pdfs`` call: one LibreOffice per core, each
   converting many files (its ~2 s start-up is paid once per process, not per workbook), progress as
   files finish, a per-file time-out that kills a hung LibreOffice and goes on with the rest.
3. **Join**: a workbook's 自评表 and report PDFs are joined into its target (``office.merge_pdfs``); a
   single PDF is written to its target directly. Every target is written atomically. An existing target
   is an error unless ``force``; with ``keep_newer`` (fill, collect) one newer than its workbook is up to
   date and left alone, an older one is replaced.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .files import OutputExists, atomic_path
from .layout.fields import SUMMARY
from .model import Evaluation
from .rules.scheme import Scheme
from .rules.scoring import Scores

#: What ``perfeval-xl pdf`` calls the PDF of ``BOOK.xlsx``: ``BOOK_自评表.pdf``.
SUFFIX = "_自评表.pdf"


WRITTEN, UP_TO_DATE, FAILED = "written", "up_to_date", "failed"


@dataclass
class PdfResult:
    """One workbook's PDF: ``status`` (WRITTEN, UP_TO_DATE or FAILED), ``error`` why there is none, and
    ``errors``, the workbook's findings at error level (its 自评表 may then be unreliable)."""

    book: Path
    target: Path
    error: str = ""
    errors: int = 0
    up_to_date: bool = False

    @property
    def status(self) -> str:
        return FAILED if self.error else UP_TO_DATE if self.up_to_date else WRITTEN


def pdf_target(book: Path, outdir: Path | None = None, base: Path | None = None) -> Path:
    """``BOOK_自评表.pdf`` beside ``book``, or in ``outdir`` (under ``book``'s folder relative to ``base``)."""
    name = f"{book.stem}{SUFFIX}"
    if outdir is None:
        return book.with_name(name)
    if base is not None:
        return outdir / book.parent.relative_to(base) / name
    return outdir / name


Progress = Callable[[str, int, int, int], None]  # (stage "prepare" | "print", done, total, failed)


def print_books(
    pairs: Sequence[tuple[Path, Path]],
    *,
    rules: Scheme | None = None,
    report: bool = False,
    jobs: int | None = None,
    force: bool = False,
    keep_newer: bool = False,
    timeout: float = 120,
    progress: Progress | None = None,
) -> list[PdfResult]:
    """The 自评表 PDF (with ``report``: followed by the 自评报告) of each (workbook, target PDF), in order.

    See the module doc for the steps. Never raises for one workbook's problem: each result says what
    happened. Raises office.OfficeUnavailable when LibreOffice is not installed (before any work).
    """
    from . import office

    office.require_soffice()  # before any work
    results = [PdfResult(Path(b), Path(t)) for b, t in pairs]
    for r in results:
        if r.target.exists() and not force:
            if not keep_newer:
                r.error = str(OutputExists(r.target))
            elif r.book.exists() and r.target.stat().st_mtime >= r.book.stat().st_mtime:
                r.up_to_date = True
    todo = [i for i, r in enumerate(results) if not r.error and not r.up_to_date]
    if progress is not None:
        progress("prepare", 0, len(todo), 0)
    with tempfile.TemporaryDirectory(prefix="perfeval-pdf-") as tmp:
        work = Path(tmp)
        tasks = [(results[i].book, work / f"{i:06d}", rules, report) for i in todo]
        parts: dict[int, list[Path]] = {}
        for i, (paths, errors, error) in zip(todo, _prepare_all(tasks, jobs, progress), strict=True):
            results[i].errors, results[i].error = errors, error
            if not error:
                parts[i] = paths
        # one conversion for every part; a workbook with one part prints straight to its target
        items: list[tuple[Path, Path]] = []
        owners: list[int] = []
        for i, paths in parts.items():
            for k, path in enumerate(paths):
                target = results[i].target if len(paths) == 1 else work / f"{i:06d}" / f"part{k}.pdf"
                items.append((path, target))
                owners.append(i)

        def step(done: int, failed: int) -> None:
            if progress is not None:
                progress("print", done, len(items), failed)

        step(0, 0)
        errors = office.to_pdfs(items, sheet=SUMMARY, timeout=timeout, processes=jobs, progress=step)
        for i, error in zip(owners, errors, strict=True):
            if error and not results[i].error:
                results[i].error = error
        for i, paths in parts.items():
            if len(paths) > 1 and not results[i].error:
                pdfs = [work / f"{i:06d}" / f"part{k}.pdf" for k in range(len(paths))]
                try:
                    office.merge_pdfs(pdfs, results[i].target)
                except (office.OfficeError, office.OfficeUnavailable, OSError) as exc:
                    results[i].error = str(exc)
    return results


def _prepare_all(
    tasks: list[tuple[Path, Path, Scheme | None, bool]], jobs: int | None, progress: Progress | None
) -> list[tuple[list[Path], int, str]]:
    """``_prepare`` for every task, in worker processes when there are several; results in task order."""
    done = failed = 0
    out: list[tuple[list[Path], int, str] | None] = [None] * len(tasks)

    def record(k: int, result: tuple[list[Path], int, str]) -> None:
        nonlocal done, failed
        out[k] = result
        done += 1
        failed += bool(result[2])
        if progress is not None:
            progress("prepare", done, len(tasks), failed)

    workers = min(jobs or os.cpu_count() or 1, len(tasks))
    if workers <= 1:
        for k, task in enumerate(tasks):
            record(k, _prepare(task))
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        with ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn")
        ) as pool:
            futures = {pool.submit(_prepare, task): k for k, task in enumerate(tasks)}
            for future in as_completed(futures):
                record(futures[future], future.result())
    return [r for r in out if r is not None]


def _prepare(task: tuple[Path, Path, Scheme | None, bool]) -> tuple[list[Path], int, str]:
    """(files to print, errors in the workbook, "" or why it cannot be printed) for one workbook."""
    from .report import ReportError, render_report
    from .service import evaluate_book
    from .xlsx.read import WorkbookError

    book, folder, rules, report = task
    folder.mkdir(parents=True)
    try:
        outcome = evaluate_book(book, rules)
        paths = [
            summary_copy(
                book,
                outcome.evaluation,
                outcome.scores,
                folder / f"summary{book.suffix.lower()}",
                outcome.scheme,
            )
        ]
        if report:
            docx = folder / "report.docx"
            paths.append(
                render_report(
                    outcome.evaluation, outcome.scores, docx, findings=outcome.findings, scheme=outcome.scheme
                )
            )
        return paths, outcome.errors, ""
    except (WorkbookError, ReportError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        return [], 0, str(exc)
    except PermissionError:
        return [], 0, f"无法读取 {book}：文件可能正在 Excel 中打开，请关闭后重试。"
    except OSError as exc:
        return [], 0, f"无法处理 {book}：{exc.strerror or exc}"


def summary_copy(book: Path, ev: Evaluation, scores: Scores, out: Path, scheme: Scheme | None = None) -> Path:
    """A workbook to print ``book``'s 自评表 from: its 自评表 refreshed from ``ev`` and ``scores``.

    The sheet is rendered exactly as ``xlsx.write.update_workbook(..., summary=...)`` renders it into the
    workbook (``render_openpyxl.render_sheet`` of ``layout.summary.summary_sheet``), but into a workbook of
    its own: the snapshot holds values only, so the other sheets add nothing to the page, and without them
    LibreOffice prints it in less than half the time, and no openpyxl load and save of the whole workbook
    is needed (~1 s each). Should the snapshot ever hold a formula, the whole workbook is copied instead.
    """
    from .layout.summary import summary_sheet

    spec = summary_sheet(ev, scores, scheme)
    if any(cell.formula for cell in spec.cells.values()):
        from .xlsx.write import update_workbook

        return update_workbook(book, out, summary=(ev, scores, scheme), clear=False)
    from openpyxl import Workbook

    from .xlsx.render_openpyxl import render_sheet

    wb = Workbook()
    wb.remove(wb.active)
    render_sheet(wb.create_sheet(SUMMARY), spec)
    with atomic_path(out) as tmp:
        wb.save(tmp)
    return out
