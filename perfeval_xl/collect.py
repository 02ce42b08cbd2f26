"""Roll-up of the returned workbooks (perfeval-xl collect DIR -o 汇总.xlsx).

Every workbook under DIR (.xlsx/.xlsm, and .xls/.et/.ods so that a clerk's wrong format is listed rather
than ignored; Excel's ``~$`` lock files, hidden files and the roll-up itself are skipped) is read, checked
and scored exactly as ``perfeval-xl validate`` and ``score`` do (``read_book`` is ``xlsx.read.read_workbook``,
the one reader of every command; then ``service.evaluate``), across worker processes
(``workers.WorkerPool``). The roll-up is written with XlsxWriter in constant-memory mode, rows in file order
as results arrive, then put in place atomically:

- 汇总: a row per workbook (单位, 评价对象, 全年预算数, 全年执行数, 执行率, 总分, 等级, 错误/警告数, 文件), a 合计 row
  (sums; overall 执行率 = Σ执行数 / Σ预算数 over the rows with both numbers; 平均分 of the scored rows).
- 等级分布: count and share per grade, counts per score band, and a column chart of the score bands.
- 问题清单: every finding with its file, sheet and cell, linked to that cell in the file (Excel allows
  65 530 links per sheet; later rows are plain text), and units that came back more than once.
- 无法读取: damaged, foreign or wrong-format files with the reason. None of them stops the run.

Text from the workbooks is always written as text (``write_string``), never as a formula.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from .files import atomic_path
from .model import Finding, Level, LevelCounts, Num
from .rules.expr import round_half_up
from .rules.scheme import Scheme, default_scheme
from .service import evaluate_data
from .workers import WorkerError, cap_jobs, default_jobs, make_pool
from .xlsx.read import BookData, WorkbookError, read_workbook

BOOK_SUFFIXES = (".xlsx", ".xlsm")
FOREIGN_SUFFIXES = (".xls", ".et", ".ods", ".xlsb")
PER_MESSAGE = 8  # workbooks per message to a worker
MAX_LINKS = 65_000
BANDS = ((90, "90–100"), (80, "80–89.99"), (70, "70–79.99"), (60, "60–69.99"), (0, "60 以下"))


@dataclass
class Book(LevelCounts):
    """One returned workbook, read and scored."""

    file: str  # relative to the collected folder
    unit_code: str = ""
    unit_name: str = ""
    subject: str = ""
    kind: str = ""
    year: str = ""
    adjusted: Num = None
    executed: Num = None
    rate: Decimal | None = None
    total: Decimal | None = None
    grade: str = ""
    findings: list[Finding] = field(default_factory=list)
    scheme: str = ""  # the name of the scheme it was scored by
    blocked: str = ""  # why there is no 总分 (issue 9 §6), "" when there is one
    grade_labels: tuple[str, ...] = ()

    def leveled(self) -> list[Finding]:
        return self.findings


@dataclass
class Unusable:
    file: str
    reason: str


@dataclass
class CollectSummary:
    out: Path
    books: int = 0
    unusable: int = 0
    errors: int = 0
    warnings: int = 0
    duplicates: int = 0
    grades: dict[str, int] = field(default_factory=dict)
    unusable_files: list[Unusable] = field(default_factory=list)
    elapsed: float = 0.0
    jobs: int = 1
    interrupted: bool = False

    def lines(self) -> list[str]:
        grades = "，".join(f"{g} {n}" for g, n in self.grades.items() if n) or "无"
        out = [
            f"已汇总 {self.books} 个工作簿（等级：{grades}）；错误 {self.errors} 项，警告 {self.warnings} 项；"
            f"无法读取 {self.unusable} 个；用时 {self.elapsed:.1f} 秒（{self.jobs} 个进程）。",
        ]
        if self.duplicates:
            out.append(f"{self.duplicates} 个评价对象交回了不止一份工作簿，见“问题清单”。")
        out.append(f"汇总表：{self.out}" if not self.interrupted else "运行已中断，未生成汇总表。")
        return out


def find_books(
    folder: Path, exclude: Path | None = None, skipped: list[tuple[Path, str]] | None = None
) -> list[Path]:
    """The workbooks under ``folder`` in a stable order (see module doc for what is skipped).

    A name with a workbook's suffix that is not a regular file (a FIFO, a socket, a device: reading one
    would wait forever or read without end) is left out and, if ``skipped`` is given, added to it with the
    reason (Chinese). Symbolic links to folders are not followed (no loops).
    """
    skip = exclude.resolve() if exclude else None
    out = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith(("~$", ".")):
                continue
            path = Path(root) / name
            if path.suffix.lower() not in BOOK_SUFFIXES + FOREIGN_SUFFIXES:
                continue
            try:
                regular = stat.S_ISREG(path.stat().st_mode)
            except OSError:  # a dangling link, no permission: listed, not read
                regular = False
            if not regular:
                if skipped is not None:
                    skipped.append((path, "不是普通文件（管道、设备、套接字或失效的链接），已跳过，未读取。"))
                continue
            if path.resolve() != skip:
                out.append(path)
    return out


def shown_name(name: str) -> str:
    """A file name as the roll-up shows it: invisible format characters (a bidi override that makes
    ``…xslx.exe.jpg`` read as something else, zero-width spaces) written out as ``<U+202E>``."""
    return "".join(
        f"<U+{ord(c):04X}>" if unicodedata.category(c) in ("Cf", "Cc", "Zl", "Zp") else c for c in name
    )


def link_target(relative: str) -> str | None:
    r"""A file's path (relative to the roll-up, ``/`` between parts) as an XlsxWriter ``external:`` target,
    escaped as Excel writes it (``#`` → %23, ``%`` → %25, spaces …), so a ``#`` in a name no longer cuts
    the link; None when no safe link can be made: a ``\`` inside a name (legal on Linux) would be a folder
    step on Windows and could point outside the folder, and control characters have no place in a link."""
    if "\\" in relative or any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in relative):
        return None
    escaped = relative
    for char, code in (("%", "%25"), ("#", "%23"), ('"', "%22"), (" ", "%20"), ("<", "%3c"), (">", "%3e")):
        escaped = escaped.replace(char, code)
    for char, code in (("[", "%5b"), ("]", "%5d"), ("^", "%5e"), ("`", "%60"), ("{", "%7b"), ("}", "%7d")):
        escaped = escaped.replace(char, code)
    return escaped


# ------------------------------------------------------------------------------------------ reading


def read_book(path: Path) -> BookData:
    """A returned workbook read as every command reads it: ``xlsx.read.read_workbook``, nothing else.

    One reader for all commands means collect can never score a file differently from validate (issue 11:
    a wrong ``<dimension>`` once gave 10.00 in validate and 94 in collect). Its limits (zip bombs, a million
    rows, damaged parts) make such a file a ``WorkbookError``, listed under 无法读取 with the reason.
    """
    return read_workbook(Path(path))


# ------------------------------------------------------------------------------------------ worker


def _init(rules: Scheme | None) -> Scheme | None:
    return rules


def _close(state: Any) -> None:
    return None


def _read(rules: Scheme | None, message: tuple[Path, list[Path]]) -> list[Book | Unusable]:
    base, paths = message
    out: list[Book | Unusable] = []
    for path in paths:
        name = path.relative_to(base).as_posix()
        try:
            data = read_book(path)
            outcome = evaluate_data(data, rules)  # each workbook by its own scheme unless --rules
        except WorkbookError as exc:
            out.append(Unusable(name, str(exc)))
            continue
        except Exception as exc:  # one odd file must not stop the roll-up
            reason = f"{path.name} 读取时出错（{type(exc).__name__}: {exc}），文件可能已损坏，请用 Excel 打开检查后另存。"
            out.append(Unusable(name, reason))
            continue
        ev, s = outcome.evaluation, outcome.scores
        out.append(
            Book(
                name,
                ev.unit_code,
                ev.unit_name,
                ev.subject,
                str(ev.kind),
                _text(ev.year),
                ev.budget.total.adjusted,
                ev.budget.total.executed,
                s.execution_rate,
                s.total,
                s.grade,
                outcome.findings,
                scheme=outcome.scheme.name if outcome.scheme else "",
                blocked=s.blocked_line,
                grade_labels=tuple(g.label for g in outcome.scheme.grades) if outcome.scheme else (),
            )
        )
    return out


def _text(value: Num) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value or ""


# ------------------------------------------------------------------------------------------ the run

Progress = Callable[[int, int, int], None]


def collect(
    folder: Path,
    out: Path,
    *,
    jobs: int | None = None,
    rules: Scheme | None = None,
    progress: Progress | None = None,
) -> CollectSummary:
    """Read every workbook under ``folder`` and write the roll-up ``out`` (atomically).

    ``jobs``: worker processes (default: one per CPU); 0 reads in this process."""
    started = time.perf_counter()
    folder, out = Path(folder), Path(out)
    special: list[tuple[Path, str]] = []
    paths = find_books(folder, exclude=out, skipped=special)
    jobs = default_jobs() if jobs is None else max(0, jobs)
    jobs = cap_jobs(jobs, -(-len(paths) // PER_MESSAGE))  # 0 (in this process) stays 0
    summary = CollectSummary(out, jobs=max(1, jobs))
    chunks = [paths[i : i + PER_MESSAGE] for i in range(0, len(paths), PER_MESSAGE)]
    try:
        with atomic_path(out) as tmp:  # an interrupted run leaves no roll-up, not half of one
            book = _RollUp(tmp, folder, out.parent, summary, rules)
            for path, reason in special:
                book.add(Unusable(path.relative_to(folder).as_posix(), reason))
            for results in _read_all(folder, chunks, jobs, rules):
                for r in results:
                    book.add(r)
                if progress:
                    progress(summary.books + summary.unusable, len(paths), summary.errors)
            book.close()
    except KeyboardInterrupt:
        summary.interrupted = True
    summary.elapsed = time.perf_counter() - started
    return summary


def _read_all(
    folder: Path,
    chunks: list[list[Path]],
    jobs: int,
    rules: Scheme | None,
    read: Callable[..., Any] | None = None,
) -> Iterator[list[Any]]:
    """Results chunk by chunk, in order. A chunk lost with a dead worker is read again one file per
    message, so that only the file that kills a worker (twice) is listed as unreadable and the others keep
    their result. ``read`` replaces ``_read`` (tests)."""
    if not chunks:
        return
    pool = make_pool(jobs, _init, rules, read or _read, _close)
    parts: dict[int, dict[int, list[Any]]] = {}  # chunk → {file index or -1 for the whole chunk: results}
    expected: dict[int, int] = {}  # chunk → pieces it is waiting for
    todo: list[tuple[int, int]] = [(i, -1) for i in range(len(chunks))]
    tried: set[tuple[int, int]] = set()
    following = 0
    terminate = True

    def paths_of(task: tuple[int, int]) -> list[Path]:
        chunk, file = task
        return chunks[chunk] if file < 0 else [chunks[chunk][file]]

    def unusable(task: tuple[int, int], why: str) -> list[Unusable]:
        return [Unusable(p.relative_to(folder).as_posix(), why) for p in paths_of(task)]

    def finish(task: tuple[int, int], results: list[Any]) -> None:
        parts.setdefault(task[0], {})[task[1]] = results

    try:
        while following < len(chunks):
            for w in pool.idle():
                if not todo:
                    break
                task = todo.pop(0)
                pool.send(w, task, (folder, paths_of(task)))
            if not pool.workers and todo:
                for task in todo:
                    finish(task, unusable(task, "未能读取（工作进程不可用）。"))
                todo = []
            for _, task, kind, reply in pool.poll(0.2):
                chunk, file = task
                if kind == "ok":
                    finish(task, reply)
                elif kind == "died" and file < 0 and len(chunks[chunk]) > 1:
                    expected[chunk] = len(chunks[chunk])  # one file at a time: find the culprit
                    todo[:0] = [(chunk, i) for i in range(len(chunks[chunk]))]
                elif kind == "died" and task not in tried:
                    tried.add(task)
                    todo.insert(0, task)
                elif kind == "died":
                    finish(
                        task,
                        unusable(
                            task,
                            "读取时工作进程异常退出（文件可能被恶意构造或已损坏），已跳过；请用 Excel 打开检查后另存。",
                        ),
                    )
                else:
                    finish(task, unusable(task, f"读取时工作进程出错：{str(reply).splitlines()[0]}"))
            while following in parts and (
                -1 in parts[following] or len(parts[following]) == expected.get(following, -1)
            ):
                pieces = parts.pop(following)
                yield pieces[-1] if -1 in pieces else [r for i in sorted(pieces) for r in pieces[i]]
                following += 1
        terminate = False
    finally:
        pool.close(terminate=terminate)


class _RollUp:
    """The roll-up workbook, written row by row (XlsxWriter constant-memory mode)."""

    def __init__(
        self, path: Path, folder: Path, out_dir: Path, summary: CollectSummary, rules: Scheme | None
    ) -> None:
        import xlsxwriter  # the parent writes the roll-up; the workers that read do not need it

        self.summary, self.folder, self.out_dir = summary, folder, out_dir
        self.wb = xlsxwriter.Workbook(
            str(path),
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        wb = self.wb
        self.f = {
            "head": wb.add_format(
                {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "vcenter"}
            ),
            "text": wb.add_format({"border": 1}),
            "money": wb.add_format({"border": 1, "num_format": "#,##0.00"}),
            "pct": wb.add_format({"border": 1, "num_format": "0.00%"}),
            "score": wb.add_format({"border": 1, "num_format": "0.00"}),
            "int": wb.add_format({"border": 1, "num_format": "0"}),
            "total": wb.add_format({"bold": True, "border": 1, "bg_color": "#EDEDED"}),
            "total_money": wb.add_format(
                {"bold": True, "border": 1, "bg_color": "#EDEDED", "num_format": "#,##0.00"}
            ),
            "total_pct": wb.add_format(
                {"bold": True, "border": 1, "bg_color": "#EDEDED", "num_format": "0.00%"}
            ),
            "total_score": wb.add_format(
                {"bold": True, "border": 1, "bg_color": "#EDEDED", "num_format": "0.00"}
            ),
            "link": wb.add_format({"border": 1, "font_color": "#0563C1", "underline": 1}),
            "error": wb.add_format({"border": 1, "bg_color": "#FFC7CE"}),
            "warning": wb.add_format({"border": 1, "bg_color": "#FFEB9C"}),
            "info": wb.add_format({"border": 1, "bg_color": "#DDEBF7"}),
            "title": wb.add_format({"bold": True, "font_size": 14}),
        }
        self.units = self._sheet(
            "汇总",
            (
                "序号",
                "单位编码",
                "单位名称",
                "评价对象",
                "评价类型",
                "评价年度",
                "全年预算数（万元）",
                "全年执行数（万元）",
                "执行率",
                "总分",
                "等级",
                "错误",
                "警告",
                "文件",
                "评分规则",
            ),
            (6, 14, 28, 30, 12, 8, 14, 14, 10, 8, 6, 6, 6, 40, 20),
        )
        self.grades_ws = wb.add_worksheet("等级分布")
        self.findings = self._sheet(
            "问题清单",
            ("文件", "单位编码", "单位名称", "评价对象", "级别", "代码", "工作表", "单元格", "说明"),
            (36, 14, 24, 24, 6, 22, 10, 8, 90),
        )
        self.bad = self._sheet("无法读取", ("文件", "原因"), (50, 100))
        self.rows = {"units": 1, "findings": 1, "bad": 1}
        self.links = 0
        self.sums = {
            "adjusted": Decimal(0),
            "executed": Decimal(0),
            "rate_adjusted": Decimal(0),
            "rate_executed": Decimal(0),
        }
        self.scores: list[Decimal] = []
        self.bands = dict.fromkeys((label for _, label in BANDS), 0)
        self.seen: dict[tuple[str, str], str] = {}
        self.duplicates: list[tuple[Book, str, str]] = []  # (the second book, the first's file, the key)
        self.grade_labels = [g.label for g in (rules or default_scheme()).grades]

    def _sheet(self, name: str, heads: tuple[str, ...], widths: tuple[int, ...]) -> Any:
        ws = self.wb.add_worksheet(name)
        for c, (head, width) in enumerate(zip(heads, widths, strict=True)):
            ws.set_column(c, c, width)
            ws.write_string(0, c, head, self.f["head"])
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, 0, len(heads) - 1)  # extended to the last row on close
        return ws

    def add(self, r: Book | Unusable) -> None:
        if isinstance(r, Unusable):
            self._bad(r)
        else:
            self._book(r)

    def _bad(self, r: Unusable) -> None:
        row = self.rows["bad"]
        self.bad.write_string(row, 0, shown_name(r.file), self.f["text"])
        self.bad.write_string(row, 1, r.reason, self.f["text"])
        self.rows["bad"] += 1
        self.summary.unusable += 1
        self.summary.unusable_files.append(r)

    def _book(self, b: Book) -> None:
        s, f, ws = self.summary, self.f, self.units
        row = self.rows["units"]
        s.books += 1
        s.errors += b.errors
        s.warnings += b.warnings
        ws.write_number(row, 0, s.books, f["int"])
        for col, text in ((1, b.unit_code), (2, b.unit_name), (3, b.subject), (4, b.kind), (5, b.year)):
            ws.write_string(row, col, text, f["text"])
        for col, value in ((6, b.adjusted), (7, b.executed)):
            self._number(ws, row, col, value, f["money"])
        self._number(ws, row, 8, b.rate, f["pct"])
        self._number(ws, row, 9, b.total, f["score"])
        # No 总分 without complete data: the 等级 cell says why instead (issue 9 §6).
        ws.write_string(row, 10, b.grade if b.total is not None else b.blocked, f["text"])
        ws.write_number(row, 11, b.errors, f["error"] if b.errors else f["int"])
        ws.write_number(row, 12, b.warnings, f["warning"] if b.warnings else f["int"])
        self._link(ws, row, 13, b.file, "", b.file)
        ws.write_string(row, 14, b.scheme, f["text"])
        self.rows["units"] += 1
        for label in b.grade_labels:
            if label not in self.grade_labels:
                self.grade_labels.append(label)
        if isinstance(b.adjusted, Decimal):
            self.sums["adjusted"] += b.adjusted
        if isinstance(b.executed, Decimal):
            self.sums["executed"] += b.executed
        if isinstance(b.adjusted, Decimal) and isinstance(b.executed, Decimal) and b.adjusted > 0:
            self.sums["rate_adjusted"] += b.adjusted
            self.sums["rate_executed"] += b.executed
        if b.total is not None:
            self.scores.append(b.total)
            self.bands[next(label for bound, label in BANDS if b.total >= bound)] += 1
        if b.grade:
            s.grades[b.grade] = s.grades.get(b.grade, 0) + 1
        for finding in b.findings:
            self._finding(b, finding)
        key = (b.unit_code or b.unit_name, b.subject)
        if key[0] and key in self.seen:
            self.duplicates.append((b, self.seen[key], f"{key[0]}/{key[1]}"))
        else:
            self.seen.setdefault(key, b.file)

    def _finding(self, b: Book, x: Finding) -> None:
        ws, f, row = self.findings, self.f, self.rows["findings"]
        self._link(ws, row, 0, b.file, "", b.file)
        for col, text in ((1, b.unit_code), (2, b.unit_name), (3, b.subject)):
            ws.write_string(row, col, text, f["text"])
        ws.write_string(row, 4, x.level.label, f[x.level.value])
        ws.write_string(row, 5, x.code, f["text"])
        ws.write_string(row, 6, x.sheet, f["text"])
        location = f"'{x.sheet}'!{x.cell}" if x.sheet and x.cell else ""
        self._link(ws, row, 7, b.file, location, x.cell)
        ws.write_string(row, 8, x.message, f["text"])
        self.rows["findings"] += 1

    def _number(self, ws: Any, row: int, col: int, value: object, fmt: Any) -> None:
        if isinstance(value, Decimal) and value.is_finite():
            ws.write_number(row, col, float(value), fmt)
        elif value is None or value == "":
            ws.write_blank(row, col, None, fmt)
        else:
            ws.write_string(row, col, str(value), fmt)

    def _link(self, ws: Any, row: int, col: int, file: str, location: str, text: str) -> None:
        """A link to ``file`` (relative to the roll-up), at ``location`` if given; plain text past the limit."""
        if not text:
            ws.write_blank(row, col, None, self.f["text"])
            return
        if self.links >= MAX_LINKS:
            ws.write_string(row, col, text, self.f["text"])
            return
        parts = Path(os.path.relpath(self.folder / file, self.out_dir)).parts
        target = link_target("/".join(parts))
        text = shown_name(text)
        url = f"external:{target}" + (f"#{location}" if location else "")
        if target is None or len(url) > 2000 or ws.write_url(row, col, url, self.f["link"], string=text) < 0:
            ws.write_string(row, col, text, self.f["text"])
            return
        self.links += 1

    def close(self) -> None:
        s, f, ws = self.summary, self.f, self.units
        row, last = self.rows["units"], self.rows["units"] - 1
        ws.write_string(row, 0, "合计", f["total"])
        for col in range(1, 14):
            ws.write_blank(row, col, None, f["total"])
        ws.write_string(row, 2, f"{s.books} 个工作簿", f["total"])
        if last >= 1:
            adjusted, executed = self.sums["adjusted"], self.sums["executed"]
            ws.write_formula(row, 6, f"=SUM(G2:G{last + 1})", f["total_money"], float(adjusted))
            ws.write_formula(row, 7, f"=SUM(H2:H{last + 1})", f["total_money"], float(executed))
            if self.sums["rate_adjusted"] > 0:
                rate = self.sums["rate_executed"] / self.sums["rate_adjusted"]
                ws.write_number(row, 8, float(rate), f["total_pct"])
            if self.scores:
                mean = round_half_up(sum(self.scores, Decimal(0)) / len(self.scores))
                ws.write_string(row, 10, "← 平均分", f["total"])
                ws.write_number(row, 9, float(mean), f["total_score"])
            ws.write_formula(row, 11, f"=SUM(L2:L{last + 1})", f["total"], s.errors)
            ws.write_formula(row, 12, f"=SUM(M2:M{last + 1})", f["total"], s.warnings)
        ws.autofilter(0, 0, max(last, 1), 13)
        for book, first, key in self.duplicates:
            dup = Finding(
                "DUPLICATE_UNIT",
                Level.WARNING,
                f"评价对象“{key}”交回了不止一份工作簿（另见 {first}），汇总中两份都计入；请确认哪一份有效，删除另一份后重新汇总。",
            )
            self._finding(book, dup)  # its row names the unit as the book does (code, 单位名称, subject)
            s.warnings += 1
        s.duplicates = len(self.duplicates)
        self.findings.autofilter(0, 0, max(self.rows["findings"] - 1, 1), 8)
        self.bad.autofilter(0, 0, max(self.rows["bad"] - 1, 1), 1)
        self._grades()
        self.wb.set_properties({"title": "预算绩效自评汇总", "creator": "perfeval-xl"})
        self.wb.close()

    def _grades(self) -> None:
        ws, f, s = self.grades_ws, self.f, self.summary
        ws.set_column(0, 0, 16)
        ws.set_column(1, 2, 10)
        ws.write_string(0, 0, "预算绩效自评汇总", f["title"])
        ws.write_string(1, 0, f"汇总时间 {dt.datetime.now():%Y-%m-%d %H:%M}；目录 {self.folder}", f["text"])
        ws.write_string(2, 0, f"工作簿 {s.books} 个，无法读取 {s.unusable} 个", f["text"])
        scored = sum(s.grades.values())
        ws.write_string(4, 0, "等级", f["head"])
        ws.write_string(4, 1, "个数", f["head"])
        ws.write_string(4, 2, "占比", f["head"])
        labels = [*self.grade_labels, "未评分"]
        counts = {**s.grades, "未评分": s.books - scored}
        for i, label in enumerate(labels, start=5):
            ws.write_string(i, 0, label, f["text"])
            ws.write_number(i, 1, counts.get(label, 0), f["int"])
            ws.write_number(i, 2, counts.get(label, 0) / s.books if s.books else 0, f["pct"])
        top = 6 + len(labels)
        ws.write_string(top, 0, "总分段", f["head"])
        ws.write_string(top, 1, "个数", f["head"])
        bands = list(reversed(list(self.bands.items())))
        for i, (label, n) in enumerate(bands, start=top + 1):
            ws.write_string(i, 0, label, f["text"])
            ws.write_number(i, 1, n, f["int"])
        chart = self.wb.add_chart({"type": "column"})
        chart.add_series(
            {
                "name": "工作簿数",
                "categories": ["等级分布", top + 1, 0, top + len(bands), 0],
                "values": ["等级分布", top + 1, 1, top + len(bands), 1],
                "data_labels": {"value": True},
            }
        )
        chart.set_title({"name": "总分分布"})
        chart.set_x_axis({"name": "总分"})
        chart.set_y_axis({"name": "工作簿数", "major_gridlines": {"visible": True}})
        chart.set_legend({"none": True})
        ws.insert_chart(4, 4, chart, {"x_scale": 1.3, "y_scale": 1.2})


__all__ = ["Book", "CollectSummary", "Unusable", "WorkerError", "collect", "find_books"]
