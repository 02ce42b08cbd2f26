"""Many units at once: one workbook per 单位/项目 from the budget system's CSV export (perfeval-xl fill).

The run, in order:

1. **Plan** (parent, streaming, memory independent of the file's length): the CSV is read record by
   record with the ``csv`` module, with the encoding, delimiter and header ``csvin`` would choose, and cut
   into *slices*: runs of consecutive records such that every unit's records (all its 评价对象, wherever
   they are in the file) lie inside one slice. A slice is the file's header records plus its own records,
   so ``csvin.read_csv`` reads it exactly as it reads the whole file: the same groups, conflicts, split
   and inheritance rules (a slice boundary is never inside the span of a unit, nor before a record that
   takes its unit's code, name or 评价对象 from the record above). tests/test_batch.py checks this on
   generated files against reading the file whole. Files ``csvin`` would
   reject (not text, unknown encoding, no header …) are handed to it whole, so its message is the one
   the user sees.
2. **Parse** (a worker): ``csvin.read_csv`` on the slice with the slice's ``line_offset``, so every line
   it reports (findings, the units' rows and locators) is the file's own and messages name the real CSV row.
3. **Name** (parent, in file order): a safe, unique file name per 评价对象 (``safe_name``; collisions,
   case-insensitive as on Windows, get ``_2``, ``_3`` … in file order, so reruns give the same names).
4. **Write** (the same worker): score and check (``service.evaluate``), then the compiled template
   (``xlsx.fastfill``) writes the workbook atomically, unless it is up to date (below). Each unit is on
   its own: an exception is reported for that unit and the others go on.
5. **Report**: results come back in file order into ``DIR/_report.csv`` (UTF-8 with BOM, for Excel): a row
   per finding per unit, with the CSV row and column and the workbook cell, and a row per unit without
   findings. Text cells that Excel would take for a formula (``=`` ``+`` ``-`` ``@``) get a leading ``'``.

Workers are processes (``spawn``: the same on Windows and Linux), one slice at a time each, so memory
stays flat; the compiled template is built once per worker. There are never more than the plan has slices
for, nor more than ``workers.cap_jobs`` allows, whatever ``-j`` says. Ctrl-C, and SIGTERM or SIGHUP (the
CLI turns them into Ctrl-C, ``cli_guard``), stop the workers (they ignore SIGINT and SIGHUP and clean their
temporary file on SIGTERM); the report is still written with what was done, and temporary files left by
processes that are gone (``files.temporary_name``: ``.perfeval-<pid>-….tmp``) are removed at the start and
end of every run, never those of a run still writing. A worker that dies (killed, out of memory) costs only
its slice: it is reported, a new worker takes its place (up to ``workers.MAX_RESTARTS``; the pool is
``workers.WorkerPool``).

One run at a time per folder: the run holds ``files.folder_lock`` on the output folder (the operating
system's lock, free again as soon as its holder is gone); a second run stops with FillError naming the
first. The parent's memory is flat in the file's length: per 评价对象 it keeps an 8-byte digest of the name
it gave (``UniqueNames``) and, only for units whose records are not together, their last record
(``plan_csv``); the summary keeps the first ``FillSummary.MAX_KEPT`` problems, the report has them all.

Reruns: each workbook carries, as custom document properties, a hash of its input (the evaluation, tool
version, template version, rule set) and the time it was written, which is also its core ``modified``
time. An existing file with the same hash is *up to date* and is left alone. One with another hash is
rewritten if nobody saved it since (its ``modified`` is still ours); a file someone saved (a clerk's
entries) or that fill did not write is never overwritten without ``--force``.
"""

from __future__ import annotations

import array
import bisect
import contextlib
import csv
import datetime as dt
import fnmatch
import hashlib
import heapq
import io
import os
import re
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import __version__
from .csvin import (
    CODE,
    HEADER_SCAN,
    NAME,
    SUBJECT,
    CsvUnit,
    choose_header,
    damaged_utf8_file,
    read_csv,
    unit_code,
)
from .files import (
    FolderBusy,
    NotWritable,
    atomic_path,
    describe_os_error,
    folder_lock,
    is_read_only,
)
from .files import sweep_temporary as sweep_dead_temporary
from .layout import fields as F
from .model import Evaluation, Finding, Kind, Level, LevelCounts
from .rules.scheme import Scheme, default_scheme
from .service import evaluate, locate
from .workers import Worker, WorkerError, WorkerPool, cap_jobs, default_jobs, make_pool

REPORT_NAME = "_report.csv"
#: Custom document properties of a filled workbook (see module doc).
INPUT_PROPERTY = "perfeval-xl input"
WRITTEN_PROPERTY = "perfeval-xl written"
MAX_NAME_BYTES = 180  # a file name's stem, UTF-8; leaves room for _N, .xlsx and the temporary name
#: Temporary names of earlier versions (``.{stem}.xxxx.xlsx.tmp``); today's are ``files.temporary_name``.
LEGACY_TEMP_GLOBS = (".*.xlsx.tmp", f".{Path(REPORT_NAME).stem}.*.csv.tmp")

#: Not in a file name on Windows, or breaking a link to the file (``#`` starts the place in the file).
_UNSAFE = re.compile(r'[\\/:*?"<>|#\x00-\x1f\x7f-\x9f]')
#: Names Windows takes for a device, whatever the extension and with trailing dots or spaces before it
#: (``CON``, ``con.txt``, ``CON .txt``), superscript digits and 0 included (Microsoft's "Naming Files,
#: Paths, and Namespaces"; COM¹ ² ³ and LPT¹ ² ³ are devices too, as CONIN$ and CONOUT$ are).
_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    "CONIN$",
    "CONOUT$",
    *(f"{port}{digit}" for port in ("COM", "LPT") for digit in "0123456789¹²³"),
}
_CELL_LABEL = re.compile(r"^第(\d+)行(?: (.*))?$")


# ------------------------------------------------------------------------------------------ names


def safe_name(text: str) -> str:
    """A file name stem valid on Windows and Linux: unsafe characters (``_UNSAFE``: also ``#``, which
    breaks links) → _, invisible format characters (bidi overrides such as U+202E, which make
    ``…xslx.exe.jpg`` show as something else; zero-width spaces) and line separators dropped, device names
    prefixed (``_RESERVED``, in every spelling Windows treats as one), length capped (``MAX_NAME_BYTES`` of
    UTF-8), no leading or trailing dots and spaces, never empty."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cf", "Zl", "Zp", "Cs", "Co"))
    text = _UNSAFE.sub("_", text)
    text = re.sub(r"_+", "_", text).strip(" ._")
    while len(text.encode()) > MAX_NAME_BYTES:
        text = text[:-1]
    text = text.rstrip(" .")
    if text.split(".")[0].rstrip(" .").upper() in _RESERVED:
        text = f"_{text}"
    return text or "未命名"


def output_name(ev: Evaluation) -> str:
    """``单位编码_单位名称.xlsx`` for a department, ``单位编码_单位名称_项目名称.xlsx`` for a project."""
    parts = [ev.unit_code, ev.unit_name]
    if ev.kind == Kind.PROJECT and ev.project_name:
        parts.append(ev.project_name)
    return safe_name("_".join(p for p in parts if p)) + ".xlsx"


class UniqueNames:
    """Hands out file names that never collide (case-insensitively, as on Windows), in call order.

    A run names every 评价对象 of the file, so the names given are kept as 8-byte digests (``_DigestSet``):
    8 MB at a million units instead of the ~170 MB the names themselves took. Two different names with
    the same 64-bit digest (odds about 3 × 10⁻⁸ at a million names) would get ``_2`` needlessly: never a
    collision, only an odd name.
    """

    def __init__(self, reserved: Iterable[str] = ()) -> None:
        self.used = _DigestSet()
        for n in reserved:
            self.used.add(_digest(n.casefold()))

    def assign(self, name: str) -> str:
        stem, suffix = name.rsplit(".", 1) if "." in name else (name, "")
        dot = f".{suffix}" if suffix else ""
        candidate, n = name, 2
        while _digest(candidate.casefold()) in self.used:
            candidate = f"{stem}_{n}{dot}"
            n += 1
        self.used.add(_digest(candidate.casefold()))
        return candidate


def _digest(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


class _DigestSet:
    """A set of 64-bit integers in about 8 bytes each: a sorted ``array`` plus a small set merged into it."""

    BUFFER = 65_536

    def __init__(self) -> None:
        self.sorted = array.array("Q")
        self.recent: set[int] = set()

    def __contains__(self, key: int) -> bool:
        if key in self.recent:
            return True
        i = bisect.bisect_left(self.sorted, key)
        return i < len(self.sorted) and self.sorted[i] == key

    def add(self, key: int) -> None:
        self.recent.add(key)
        if len(self.recent) >= self.BUFFER:
            merged = array.array("Q", heapq.merge(self.sorted, sorted(self.recent)))
            self.sorted, self.recent = merged, set()


class _SeenFilter:
    """Whether a unit may have been seen before, in a fixed 2 MB (a Bloom filter: 2²⁴ bits, 4 hashes).

    "No" is certain; "maybe" is wrong for about 0.2 % of new units at a million. plan_csv uses it to find
    units whose records are not all in one run: a wrong "maybe" only stores one more unit's last record."""

    BITS = 1 << 24

    def __init__(self) -> None:
        self.bits = bytearray(self.BITS // 8)

    def check_and_add(self, key: str) -> bool:
        h = hashlib.blake2b(key.encode(), digest_size=16).digest()
        seen = True
        for i in range(4):
            bit = int.from_bytes(h[4 * i : 4 * i + 4], "little") % self.BITS
            byte, mask = bit >> 3, 1 << (bit & 7)
            if not self.bits[byte] & mask:
                seen = False
                self.bits[byte] |= mask
        return seen


def input_key(ev: Evaluation, rules: Scheme) -> str:
    """A hash of everything a unit's workbook is made from (CSV row numbers excluded)."""
    plain = replace(ev, indicators=[replace(i, row=None) for i in ev.indicators])
    text = f"{__version__}|{F.TEMPLATE_VERSION}|{rules.id}|{rules.digest}|{plain!r}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


# ------------------------------------------------------------------------------------------ results


@dataclass(frozen=True)
class Issue:
    """One finding as the report shows it: the CSV row and column, and the workbook cell if any."""

    level: Level
    code: str
    message: str
    line: int | None = None
    column: str = ""
    book_cell: str = ""  # 工作表!单元格 in the unit's workbook


class Status:
    WRITTEN = "已生成"
    UPDATED = "已更新"
    UP_TO_DATE = "已是最新"
    KEPT = "未覆盖"
    NOT_READ = "未生成"
    FAILED = "失败"
    INTERRUPTED = "未完成"


@dataclass
class UnitResult(LevelCounts):
    """What happened to one 评价对象."""

    unit_code: str = ""
    unit_name: str = ""
    subject: str = ""
    file: str = ""
    status: str = ""
    note: str = ""  # why it was not written, in Chinese
    line: int | None = None  # the unit's first CSV line (for the report row that carries ``note``)
    total: str = ""
    grade: str = ""
    issues: list[Issue] = field(default_factory=list)

    def leveled(self) -> list[Issue]:
        return self.issues

    @property
    def key(self) -> str:
        return f"{self.unit_code or self.unit_name}/{self.subject}"


@dataclass
class FillSummary:
    """The outcome of a run: counts, the problems that concern the file itself, where the report is."""

    report: Path
    units: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    warnings: int = 0
    file_issues: list[Issue] = field(default_factory=list)  # the first MAX_KEPT (all are in the report)
    problems: list[tuple[str, Issue]] = field(default_factory=list)  # (unit key, issue), errors first
    interrupted: bool = False
    elapsed: float = 0.0
    jobs: int = 1
    worker_peak_rss_mb: float = 0.0
    file_errors: int = 0  # file issues at error level, all of them
    report_error: str = ""  # why _report.csv could not be written (Chinese), if it could not

    MAX_KEPT = 200  # problems and file issues kept for the screen: memory stays flat in the file's length

    @property
    def written(self) -> int:
        return self.by_status.get(Status.WRITTEN, 0) + self.by_status.get(Status.UPDATED, 0)

    def lines(self) -> list[str]:
        """The short summary printed after a run (Chinese)."""
        counts = "，".join(f"{status} {n}" for status, n in self.by_status.items() if n)
        out = [
            f"共 {self.units} 个评价对象：{counts or '无'}；错误 {self.errors + self.file_errors} 项，"
            f"警告 {self.warnings} 项；用时 {self.elapsed:.1f} 秒（{self.jobs} 个进程）。",
            f"逐项结果与问题清单：{self.report}"
            if not self.report_error
            else f"逐项结果与问题清单 {self.report} 未能写入：{self.report_error}",
        ]
        if self.by_status.get(Status.KEPT):
            out.append(
                f"{self.by_status[Status.KEPT]} 个同名文件已被编辑或不是本工具生成的，未覆盖（见报告“说明”列）。"
            )
        if self.interrupted:
            out.append(
                "运行已中断（Ctrl-C 或被结束）：已完成的工作簿完整可用，没有留下半成品；重新运行会跳过已是最新的单位。"
            )
        return out

    @property
    def unusable(self) -> bool:
        """Nothing could be read, or some 评价对象 could not be read or written."""
        return (
            bool(self.report_error)
            or (self.units == 0 and self.file_errors > 0)
            or any(self.by_status.get(s, 0) for s in (Status.NOT_READ, Status.FAILED))
        )


def _issue(f: Finding, book_cell: str = "") -> Issue:
    m = _CELL_LABEL.match(f.cell or "")
    if m:
        return Issue(f.level, f.code, f.message, int(m[1]), m[2] or "", book_cell)
    return Issue(f.level, f.code, f.message, None, "", book_cell)


# ------------------------------------------------------------------------------------------ plan


@dataclass(frozen=True)
class Slice:
    """A piece of the CSV that csvin can read on its own (see module doc)."""

    index: int
    text: str | None  # header records + the slice's records; None: read the whole file (``path``)
    header_lines: int = 0  # lines of the header records (lines up to here keep their number)
    offset: int = 0  # add to a slice line after the header to get the file's line
    first_line: int = 0
    last_line: int = 0
    units: tuple[tuple[int, str, str], ...] = ()  # (file line, unit, 评价对象) of the slice's records


@dataclass
class CsvPlan:
    path: Path
    encoding: str = ""
    delimiter: str = ","
    header_index: int = -1
    positions: tuple[int, int, int] = (0, 0, 0)  # 单位编码, 单位名称, 评价对象 columns
    last_record: dict[str, int] = field(default_factory=dict)  # unit → its last record, if not in one run
    units: int = 0  # 评价对象 (an estimate for progress)
    records: int = 0
    per_slice: int = 1

    def slice_count(self) -> int:
        """About how many slices ``slices`` will give (at most; units spanning others merge slices)."""
        return 1 if self.whole else max(1, -(-self.units // self.per_slice))

    @property
    def whole(self) -> bool:
        """No slicing: csvin reads (and judges) the file as it is."""
        return self.header_index < 0

    def slices(self) -> Iterator[Slice]:
        if self.whole:
            yield Slice(0, None)
            return
        with _open(self.path, self.encoding) as fh:
            records = _records(fh, self.delimiter)
            head = [raw for _, (_, raw) in zip(range(self.header_index + 1), records, strict=False)]
            header = "".join(head)
            header_lines = self.header_index + 1
            ident = _Identity(self.positions)
            parts: list[str] = []
            units: set[str] = set()
            lines: list[tuple[int, str, str]] = []
            start, reach, k = header_lines, -1, 0
            for index, (record, raw) in enumerate(records, start=header_lines):
                unit, attached = ident.of(record)
                # cut before this record only if no unit so far continues below and it inherits nothing
                if parts and not attached and index > reach and len(units) >= self.per_slice:
                    text = header + "".join(parts)
                    yield Slice(k, text, header_lines, start - header_lines, start + 1, index, tuple(lines))
                    parts, units, lines, k, start = [], set(), [], k + 1, index
                parts.append(raw)
                if unit is not None:
                    units.add(unit)
                    lines.append((index + 1, unit, ident.subject))
                    reach = max(reach, self.last_record.get(unit, index))
            if parts:
                text = header + "".join(parts)
                yield Slice(
                    k, text, header_lines, start - header_lines, start + 1, self.records, tuple(lines)
                )


@contextlib.contextmanager
def _open(path: Path, encoding: str) -> Iterator[io.TextIOWrapper]:
    with open(path, encoding=encoding, newline="") as fh:
        yield fh


def _records(fh: Iterable[str], delimiter: str) -> Iterator[tuple[list[str], str]]:
    """(record, its raw text) for each CSV record; a record may span lines (quoted new lines)."""
    buf: list[str] = []

    def lines() -> Iterator[str]:
        for line in fh:
            buf.append(line)
            yield line

    for record in csv.reader(lines(), delimiter=delimiter):
        raw = "".join(buf)
        buf.clear()
        yield record, raw


class _Identity:
    """The unit a record belongs to, as csvin decides it (its key's 单位编码, or 单位名称 without one)."""

    def __init__(self, positions: tuple[int, int, int]) -> None:
        self.positions = positions
        self.previous: tuple[str, str, str] | None = None  # code, name, unit
        self.subject = ""  # 评价对象 of the last record (inherited when blank)

    def cell(self, record: list[str], i: int) -> str:
        return record[i].strip() if i < len(record) else ""

    def of(self, record: list[str]) -> tuple[str | None, bool]:
        """(unit, whether the record takes anything from the record above it)."""
        code_at, name_at, subject_at = self.positions
        code, name, subject = (self.cell(record, i) for i in (code_at, name_at, subject_at))
        code = unit_code(code)
        if not code and not name and not subject:
            return (self.previous[2] if self.previous else None), True
        attached = self.previous is not None and _same_unit(code, name, *self.previous[:2])
        if attached:
            code, name = code or self.previous[0], name or self.previous[1]  # type: ignore[index]
            subject = subject or self.subject
        self.subject = subject
        unit = code or name
        self.previous = (code, name, unit)
        return unit, attached


def _same_unit(code: str, name: str, code_before: str, name_before: str) -> bool:
    if code and code_before:
        return code == code_before
    if not code and not name:
        return True
    return bool(name) and name == name_before


def plan_csv(path: Path, jobs: int = 1) -> CsvPlan:
    """Find the header and each unit's last record, streaming; ``whole`` when csvin must judge the file."""
    plan = CsvPlan(Path(path))
    try:
        with open(path, "rb") as fh:
            start = fh.read(8)
    except OSError:
        return plan
    if start.startswith((b"\xff\xfe", b"\xfe\xff", b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        return plan  # UTF-16, a workbook: csvin reads or rejects it whole
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            if _scan(plan, encoding):
                break
            return CsvPlan(plan.path)
        except UnicodeDecodeError:
            if encoding == "utf-8-sig" and damaged_utf8_file(plan.path):
                return CsvPlan(plan.path)  # UTF-8 with stray bytes: csvin reads it whole and names them
            continue
        except (csv.Error, OSError, ValueError):
            return CsvPlan(plan.path)
    else:
        return CsvPlan(plan.path)
    if plan.records <= plan.header_index + 1:
        return CsvPlan(plan.path)  # no data: csvin says so
    plan.per_slice = max(1, min(16, plan.units // max(1, jobs * 8)))
    return plan


def _head(path: Path, encoding: str, delimiter: str) -> list[list[str]]:
    """The first records of the file, where csvin looks for the header."""
    with _open(path, encoding) as fh:
        return [record for _, (record, _) in zip(range(HEADER_SCAN), _records(fh, delimiter), strict=False)]


def _scan(plan: CsvPlan, encoding: str) -> bool:
    """Header and unit spans of ``plan.path`` in ``encoding``; False when csvin should see it whole."""
    choice = choose_header(lambda delimiter: _head(plan.path, encoding, delimiter))
    names = [c.name for c in choice.cells if c.name]
    if choice.known == 0 or len(names) != len({*names}) or not {CODE, NAME, SUBJECT} <= {*names}:
        return False  # csvin reports the missing or doubled columns (or reads a file without codes whole)
    columns = {c.name: i for i, c in enumerate(choice.cells) if c.name}
    delimiter, header_index = choice.delimiter, choice.last
    plan.encoding, plan.delimiter, plan.header_index = encoding, delimiter, header_index
    plan.positions = (columns[CODE], columns[NAME], columns[SUBJECT])
    ident = _Identity(plan.positions)
    # Only units whose records are not in one run need their last record (``last_record``): a unit in one
    # run ends where the next unit starts. ``seen`` finds the others in fixed memory (see _SeenFilter).
    seen = _SeenFilter()
    last = plan.last_record
    run: str | None = None
    pair: tuple[str, str] | None = None
    units = subjects = 0
    subject_at = plan.positions[2]
    with _open(plan.path, encoding) as fh:
        for index, (record, _) in enumerate(_records(fh, delimiter)):
            plan.records = index + 1
            if index <= header_index:
                continue
            unit, _ = ident.of(record)
            if unit is None:
                continue
            if unit != run:
                run = unit
                units += 1
                if seen.check_and_add(unit):
                    last[unit] = index
            elif unit in last:
                last[unit] = index
            subject = record[subject_at].strip() if subject_at < len(record) else ""
            if (unit, subject) != pair:
                pair = (unit, subject)
                subjects += bool(subject)
    plan.units = subjects or units  # runs of 评价对象: exact for a file grouped by unit, else an estimate
    return True


# ------------------------------------------------------------------------------------------ worker


@dataclass
class _FillState:
    template: Any  # xlsx.fastfill.CompiledTemplate
    rules: Scheme
    outdir: Path
    force: bool
    csv_path: Path
    tmp: Path
    pending: list[CsvUnit] = field(default_factory=list)


_TEMPLATES: dict[str, Any] = {}  # compiled templates of this process, by rule set


def compiled_template(rules: Scheme) -> Any:
    """The compiled template for ``rules``, built once per process (``xlsx.fastfill.CompiledTemplate``)."""
    from .xlsx.fastfill import CompiledTemplate

    key = f"{rules.id}|{rules.digest}"
    if key not in _TEMPLATES:
        _TEMPLATES[key] = CompiledTemplate(rules)
    return _TEMPLATES[key]


def _fill_init(payload: tuple[Scheme, Path, bool, Path]) -> _FillState:
    rules, outdir, force, csv_path = payload
    tmp = Path(tempfile.mkdtemp(prefix="perfeval-fill-"))
    return _FillState(compiled_template(rules), rules, outdir, force, csv_path, tmp)


def _fill_handle(state: _FillState, message: tuple[str, Any]) -> Any:
    kind, body = message
    if kind == "parse":
        return _parse(state, body)
    if kind == "write":
        units, state.pending = state.pending, []
        return [_fill_one(state, unit, name) for unit, name in zip(units, body, strict=True)]
    raise ValueError(kind)


def _fill_close(state: _FillState) -> None:
    with contextlib.suppress(OSError):
        for p in state.tmp.iterdir():
            p.unlink()
        state.tmp.rmdir()


def _parse(state: _FillState, piece: Slice) -> dict[str, Any]:
    if piece.text is None:
        result = read_csv(state.csv_path, scheme=state.rules)
    else:
        path = state.tmp / state.csv_path.name
        path.write_text(piece.text, encoding="utf-8")
        result = read_csv(path, line_offset=piece.offset, scheme=state.rules)
        path.unlink()
    state.pending = list(result.units)
    ours = {id(f) for u in result.units for f in u.findings}
    rest = [f for f in result.findings if id(f) not in ours]
    skipped: dict[str, list[Issue]] = {label: [] for label in result.skipped}
    loose: list[Issue] = []
    for f in rest:
        issue = _issue(f)
        owner = _owner(issue, list(skipped), piece)
        (skipped[owner] if owner else loose).append(issue)
    return {
        "names": [output_name(u.evaluation) for u in state.pending],
        "skipped": [
            (label, issues, min((i.line for i in issues if i.line), default=None))
            for label, issues in skipped.items()
        ],
        "file": loose,
    }


def _owner(issue: Issue, labels: list[str], piece: Slice) -> str | None:
    """The skipped 评价对象 (csvin's ``单位/评价对象`` label) a reading problem is about, if any."""
    for label in labels:
        if f"“{label}”" in issue.message:
            return label
    at = next(((unit, subject) for line, unit, subject in piece.units if line == issue.line), None)
    if at is None:
        return None
    unit, subject = at
    same_unit = [label for label in labels if label.split("/", 1)[0] == unit]
    if len(same_unit) == 1:
        return same_unit[0]
    wanted = subject or "（评价对象为空）"
    return next((label for label in same_unit if label.split("/", 1)[1] == wanted), None)


def _long_texts(ev: Evaluation) -> list[Finding]:
    """Text over Excel's cell limit: written cut (fastfill.MAX_TEXT), so say so."""
    from .xlsx.fastfill import MAX_TEXT
    from .xlsx.fill import field_value

    out = []
    places = [(f.key, f.label, field_value(ev, f.key)) for f in F.FIELDS]
    for i, ind in enumerate(ev.indicators):
        places += [(f"indicators[{i}].{c.key}", c.header, getattr(ind, c.key)) for c in F.INPUT_COLUMNS]
    for key, label, value in places:
        if isinstance(value, str) and len(value) > MAX_TEXT:
            message = (
                f"“{label}”有 {len(value)} 个字符，超过 Excel 单元格上限 {MAX_TEXT}，工作簿中只保留前 {MAX_TEXT} 个字符；"
                "请精简后重新导出。"
            )
            out.append(Finding("TEXT_TOO_LONG", Level.WARNING, message, field=key))
    return out


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _decide(target: Path, key: str, force: bool) -> tuple[str, str]:
    """(status, note) for an existing or new target, before writing (see module doc)."""
    from .xlsx.fastfill import read_stamp

    if not target.exists():
        return Status.WRITTEN, ""
    if not target.is_file():
        return Status.KEPT, "同名的文件夹或特殊文件已存在，未写入；请改名或移走后重新运行。"
    if is_read_only(target):
        return (
            Status.KEPT,
            "同名文件是只读的，未覆盖（本工具不改动只读文件）；如确需更新，请先取消它的“只读”属性。",
        )
    if force:
        return Status.UPDATED, ""
    stamp = read_stamp(target)
    if stamp is None or INPUT_PROPERTY not in stamp.properties:
        return Status.KEPT, "同名文件已存在且不是本工具生成的，未覆盖；确需覆盖请加 --force。"
    untouched = stamp.modified == stamp.properties.get(WRITTEN_PROPERTY)
    if stamp.properties[INPUT_PROPERTY] == key:
        return Status.UP_TO_DATE, "" if untouched else "文件已被编辑，数据未变，保留现有文件。"
    if untouched:
        return Status.UPDATED, ""
    return (
        Status.KEPT,
        "CSV 中的数据已变，但文件已被打开编辑过（可能已有填报内容），未覆盖；确需重新生成请加 --force。",
    )


def _fill_one(state: _FillState, unit: CsvUnit, name: str) -> UnitResult:
    ev = unit.evaluation
    first_line = unit.rows[0] if unit.rows else None
    result = UnitResult(ev.unit_code, ev.unit_name, ev.subject, name, line=first_line)
    try:
        outcome = evaluate(ev, state.rules, use_rows=False)
        findings = outcome.findings + locate(_long_texts(ev), ev, use_rows=False)
        notes = locate(unit.notes, ev, use_rows=False)  # conversions etc.: in 校验结果 too (csvin)
        # No 总分 without complete data: the column then says why (issue 9 §6), never a number.
        s = outcome.scores
        result.total = s.blocked_line if s.total is None else f"{s.total:.2f}"
        result.grade = outcome.scores.grade
        result.issues = [_issue(f) for f in unit.findings]
        for f in findings:
            line, column = unit.locate(f.field)
            book = f"{f.sheet}!{f.cell}" if f.cell else ""
            result.issues.append(Issue(f.level, f.code, f.message, line, column, book))
        key = input_key(ev, state.rules)
        result.status, result.note = _decide(state.outdir / name, key, state.force)
        if result.status in (Status.WRITTEN, Status.UPDATED):
            stamp = _now()
            state.template.write(
                ev,
                state.outdir / name,
                findings=[*notes, *findings],
                scores=outcome.scores,
                properties={INPUT_PROPERTY: key, WRITTEN_PROPERTY: stamp},
                modified=stamp,
            )
    except OSError as exc:
        result.status, result.note = Status.FAILED, f"写入失败：{describe_os_error(exc)}"
    except Exception as exc:  # one unit's bug must not stop the others
        result.status = Status.FAILED
        result.note = (
            f"内部错误（{type(exc).__name__}: {exc}），该评价对象未生成；请检查 CSV 第{first_line or '?'}行起的数据"
            "（如异常大的数字），并把这一行报告给开发者。"
        )
    return result


# ------------------------------------------------------------------------------------------ files


def sweep_temporary(folder: Path) -> int:
    """Remove temporary files an interrupted write left behind (of a process that is gone, and those of
    earlier versions, ``LEGACY_TEMP_GLOBS``); return how many. Another run's file in progress is kept."""
    removed = sweep_dead_temporary(folder)
    legacy: list[str] = []
    with contextlib.suppress(OSError), os.scandir(folder) as entries:  # not Path.glob: it lists the folder
        for entry in entries:
            name = entry.name
            if (
                name.startswith(".")
                and not name.startswith(".perfeval-")
                and any(fnmatch.fnmatchcase(name, pattern) for pattern in LEGACY_TEMP_GLOBS)
            ):
                legacy.append(entry.path)
    for path in legacy:
        with contextlib.suppress(OSError):
            os.unlink(path)
            removed += 1
    return removed


# ------------------------------------------------------------------------------------------ report

REPORT_COLUMNS = (
    "单位编码",
    "单位名称",
    "评价对象",
    "文件",
    "状态",
    "总分",
    "等级",
    "级别",
    "代码",
    "CSV行",
    "CSV列",
    "工作簿位置",
    "说明",
)


def report_cell(value: object) -> str:
    """Text as a CSV cell Excel will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


#: The level and code of the report row that says why a unit was not written.
_STATUS_ROW = {
    Status.NOT_READ: (Level.ERROR, "UNIT_NOT_READ"),
    Status.FAILED: (Level.ERROR, "UNIT_FAILED"),
    Status.KEPT: (Level.WARNING, "FILE_KEPT"),
    Status.INTERRUPTED: (Level.WARNING, "INTERRUPTED"),
    Status.UP_TO_DATE: (Level.INFO, "FILE_EDITED"),
}


class ReportWriter:
    """``_report.csv``, written as results come in and put in place atomically when done.

    Opening it is the run's first write to the output folder: an error there (a read-only folder, a file
    named like the report that is read-only …) raises before any work. A write that fails later (a full
    disk) does not stop the run: ``error`` says why (Chinese), the rows stop, and ``close`` removes the
    temporary file instead of putting half a report in place.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.error = ""
        self._stack = contextlib.ExitStack()
        try:
            tmp = self._stack.enter_context(atomic_path(path))
            fh = self._stack.enter_context(open(tmp, "w", encoding="utf-8-sig", newline=""))  # noqa: SIM115
            self._csv = csv.writer(fh)
            self._csv.writerow(REPORT_COLUMNS)
        except BaseException:
            self._stack.close()
            raise

    def unit(self, r: UnitResult) -> None:
        head = [r.unit_code, r.unit_name, r.subject, r.file, r.status, r.total, r.grade]
        if r.note:
            level, code = _STATUS_ROW.get(r.status, (Level.INFO, ""))
            self._row([*head, level.label, code, r.line or "", "", "", r.note])
        for i in r.issues:
            self._row([*head, i.level.label, i.code, i.line or "", i.column, i.book_cell, i.message])
        if not r.note and not r.issues:
            self._row([*head, "", "", "", "", "", ""])

    def file_issue(self, i: Issue) -> None:
        self._row(["", "", "", "", "", "", "", i.level.label, i.code, i.line or "", i.column, "", i.message])

    def _row(self, values: list[object]) -> None:
        if self.error:
            return
        try:
            self._csv.writerow([report_cell(v) for v in values])
        except OSError as exc:
            self.error = describe_os_error(exc)

    def close(self) -> Path:
        if self.error:
            self.abort()
            return self.path
        try:
            self._stack.close()  # the file, then the rename into place
        except OSError as exc:
            self.error = describe_os_error(exc)
            self.abort()
        return self.path

    def abort(self) -> None:
        with contextlib.suppress(RuntimeError):
            self._stack.__exit__(RuntimeError, RuntimeError("aborted"), None)  # the temporary file goes


# ------------------------------------------------------------------------------------------ the run

Progress = Callable[[int, int, int], None]  # (评价对象 done, estimated total, errors so far)


class FillError(Exception):
    """The run cannot start (output folder unusable, or busy with another run); the message is Chinese."""


def fill_csv(
    data: Path,
    outdir: Path,
    *,
    jobs: int | None = None,
    force: bool = False,
    rules: Scheme | None = None,
    progress: Progress | None = None,
    lock: bool = True,
) -> FillSummary:
    """Write one workbook per 评价对象 of ``data`` into ``outdir`` and ``outdir/_report.csv``.

    ``jobs``: worker processes (default: one per CPU; at most ``workers.cap_jobs`` allows and never more
    than there are slices of work); 0 runs everything in this process. ``lock``: hold the folder's lock
    (``files.folder_lock``) for the run; the CLI holds it itself across fill and ``--report``.

    Raises FillError (Chinese) when the run cannot start: ``outdir`` is a file, cannot be created or
    written, or another run is writing into it. Never raises for bad data: problems are in the report and
    the summary. KeyboardInterrupt (Ctrl-C; the CLI turns SIGTERM and SIGHUP into it too) is caught, the
    workers stopped, the report written with what was done (``summary.interrupted``).
    """
    rules = rules or default_scheme()
    data, outdir = Path(data), Path(outdir)
    prepare_folder(outdir)
    if not lock:
        return _fill(data, outdir, jobs, force, rules, progress)
    try:
        with folder_lock(outdir, "fill"):
            return _fill(data, outdir, jobs, force, rules, progress)
    except FolderBusy as exc:
        raise FillError(str(exc)) from exc


def prepare_folder(outdir: Path) -> None:
    """Make the output folder, or say (FillError, Chinese) why it cannot be one."""
    if outdir.exists() and not outdir.is_dir():
        raise FillError(f"{outdir} 是一个文件，不是文件夹；-o 应给出输出文件夹（不存在时会新建）。")
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FillError(f"无法建立输出文件夹 {outdir}：{describe_os_error(exc)}") from exc


def _fill(
    data: Path, outdir: Path, jobs: int | None, force: bool, rules: Scheme, progress: Progress | None
) -> FillSummary:
    started = time.perf_counter()
    sweep_temporary(outdir)
    wanted = default_jobs() if jobs is None else max(0, jobs)
    jobs = cap_jobs(wanted)
    summary = FillSummary(outdir / REPORT_NAME, jobs=max(1, jobs))
    try:
        report = ReportWriter(summary.report)
    except NotWritable as exc:
        raise FillError(f"无法写入逐项结果 {summary.report}：{exc}") from exc
    except OSError as exc:
        raise FillError(
            f"无法在输出文件夹 {outdir} 中写入文件：{describe_os_error(exc)}。没有生成任何工作簿。"
        ) from exc
    run = _Run(data, summary, report, progress)
    pool: WorkerPool | None = None
    try:
        # Workers start (imports, template compile: about a second) while this process scans the CSV:
        # as many as the CPUs allow first, then as many as the plan has slices for (``resize``).
        pool = make_pool(
            min(jobs, default_jobs()) if jobs else 0,
            _fill_init,
            (rules, outdir, force, data),
            _fill_handle,
            _fill_close,
        )
        plan = plan_csv(data, max(1, jobs))
        run.total = plan.units
        run.header_lines = plan.header_index + 1
        if jobs:
            pool.resize(cap_jobs(jobs, plan.slice_count()))
            summary.jobs = len(pool.workers)
        run.loop(pool, plan.slices())  # never empty: a file csvin must judge is one whole slice
    except KeyboardInterrupt:
        summary.interrupted = True
    except WorkerError as exc:
        run.file_issue(Issue(Level.ERROR, "WORKER_START", str(exc)))
    except BaseException:
        if pool is not None:
            pool.close(terminate=True)
            pool = None
        report.abort()
        sweep_temporary(outdir)
        raise
    try:
        if pool is not None:
            summary.worker_peak_rss_mb = pool.peak_rss_mb
            pool.close(terminate=summary.interrupted)
        run.finish()
    except KeyboardInterrupt:  # a second Ctrl-C while stopping: the report is still written
        summary.interrupted = True
        if pool is not None:
            pool.close(terminate=True)
    report.close()
    summary.report_error = report.error
    sweep_temporary(outdir)
    summary.elapsed = time.perf_counter() - started
    return summary


def _not_read(label: str, issues: list[Issue], line: int | None) -> UnitResult:
    code, _, subject = label.partition("/")
    note = (
        "必填数据无法读取，未生成工作簿；原因见本单位其他各行。"
        if issues
        else "必填数据无法读取，未生成工作簿。"
    )
    return UnitResult(code, "", subject, "", Status.NOT_READ, note, line, issues=issues)


class _Run:
    """The parent's side of a fill run: dispatch slices, name in file order, report in file order."""

    def __init__(
        self, data: Path, summary: FillSummary, report: ReportWriter, progress: Progress | None
    ) -> None:
        self.data, self.summary, self.report, self.progress = data, summary, report, progress
        self.names = UniqueNames([REPORT_NAME])
        self.rows: list[UnitResult] = []  # of the slice being reported
        self.started = time.time() - 1  # file times may be rounded down
        self.total = 0
        self.done = 0
        self.seen_file_issues: set[tuple[str, ...]] = set()  # header-level issues only: stays small
        self.header_lines = 0
        self.parsed: dict[int, tuple[Worker, Slice, dict[str, Any]]] = {}
        self.finished: dict[int, list[UnitResult]] = {}
        self.next_name = 0
        self.next_report = 0
        self.slices_started: dict[int, Slice] = {}
        self.named: dict[int, list[str]] = {}
        self.skipped: dict[int, list[tuple[str, list[Issue], int | None]]] = {}

    def loop(self, pool: WorkerPool, slices: Iterator[Slice]) -> None:
        more = True
        while True:
            for w in pool.idle():
                piece = next(slices, None) if more else None
                if piece is None:
                    more = False
                    break
                self.slices_started[piece.index] = piece
                pool.send(w, ("parse", piece.index), ("parse", piece))
            self._name_in_order(pool)
            if not more and not pool.busy() and not self.parsed:
                break
            if not pool.workers:  # every restart used up: the rest cannot be done
                for piece in slices:
                    self.slices_started[piece.index] = piece
                break
            for w, (phase, index), kind, reply in pool.poll(0.2):
                piece = self.slices_started[index]
                if kind == "ok" and phase == "parse":
                    w.task = ("wait", index)  # keeps the parsed units until named
                    self.parsed[index] = (w, piece, reply)
                elif kind == "ok":
                    self.finished[index] = reply
                else:
                    self._lost(index, phase, piece, reply if kind == "error" else str(reply))
            self._report_in_order()
        # slices never started (workers all gone) or never finished
        for index, piece in sorted(self.slices_started.items()):
            if index >= self.next_report and index not in self.finished:
                self._lost(
                    index, "write" if index in self.named else "parse", piece, "未处理（工作进程不可用）"
                )
        self._report_in_order()

    def _name_in_order(self, pool: WorkerPool) -> None:
        while self.next_name in self.parsed or self.next_name in self.finished:
            index = self.next_name
            if index in self.parsed:
                w, _, reply = self.parsed.pop(index)
                names = [self.names.assign(n) for n in reply["names"]]
                self.named[index] = names
                self.skipped[index] = reply["skipped"]
                for issue in reply["file"]:
                    self.file_issue(issue)
                pool.send(w, ("write", index), ("write", names))
            self.next_name += 1

    def _lost(self, index: int, phase: str, piece: Slice, why: str) -> None:
        first = why.splitlines()[0] if why else ""
        if phase == "write" and index in self.named:
            self.finished[index] = [
                UnitResult(file=name, status=Status.FAILED, note=f"{first}；{self._lost_file(name)}")
                for name in self.named[index]
            ]
        else:
            where = f"CSV 第{piece.first_line}–{piece.last_line}行" if piece.text is not None else "CSV 文件"
            self.finished[index] = [UnitResult(status=Status.FAILED, note=f"{where}的数据未能处理：{first}")]
            self.parsed.pop(index, None)
        if index == self.next_name and index not in self.named:
            self.next_name += 1

    def _lost_file(self, name: str) -> str:
        """What became of a file whose worker died: written whole (writes are atomic) or not at all."""
        path = self.summary.report.parent / name
        with contextlib.suppress(OSError):
            if path.stat().st_mtime >= self.started:
                return "文件已完整写入，但评分和问题清单未能取回；重新运行本命令即可补上（文件已是最新，不会重写）。"
        return "该文件未写入。"

    def _report_in_order(self) -> None:
        """Report finished slices in file order; an interruption mid-way leaves the rest in ``rows``."""
        while self.rows or self.next_report in self.finished:
            if not self.rows:
                index = self.next_report
                self.rows = [_not_read(*s) for s in self.skipped.pop(index, [])] + self.finished.pop(index)
                self.named.pop(index, None)
                self.slices_started.pop(index, None)  # its text is no longer needed: memory stays flat
                self.next_report += 1
            while self.rows:
                self.add(self.rows.pop(0))

    def add(self, r: UnitResult) -> None:
        s = self.summary
        self.report.unit(r)
        s.units += 1
        s.by_status[r.status] = s.by_status.get(r.status, 0) + 1
        s.errors += r.errors
        s.warnings += r.warnings
        for issue in r.issues:
            if issue.level is not Level.INFO and len(s.problems) < s.MAX_KEPT:
                s.problems.append((r.key, issue))
        self.done += 1
        if self.progress:
            self.progress(self.done, max(self.total, self.done), s.errors)

    def file_issue(self, issue: Issue) -> None:
        # Every slice repeats the header, so an issue about the header (or the whole file) may come once
        # per slice: report it once. An issue on a data line belongs to one slice and comes once anyway.
        key: tuple[str, ...] | None = None
        if issue.code == "CSV_COLUMN_UNNAMED":  # warned once per column and slice: once per file
            key = (issue.code, issue.message.split("（")[0])
        elif issue.line is None or issue.line <= self.header_lines:
            key = (issue.code, str(issue.line), issue.column, issue.message)
        if key is not None:
            if key in self.seen_file_issues:
                return
            self.seen_file_issues.add(key)
        s = self.summary
        s.file_errors += issue.level is Level.ERROR
        if len(s.file_issues) < s.MAX_KEPT:
            s.file_issues.append(issue)
        self.report.file_issue(issue)

    def _cut_short(self, name: str, note: str) -> UnitResult:
        """A unit whose slice was stopped: written if its file was renamed into place during this run."""
        path = self.summary.report.parent / name
        with contextlib.suppress(OSError):
            if path.stat().st_mtime >= self.started:
                return UnitResult(file=name, status=Status.WRITTEN, note="运行中断前已写完。")
        return UnitResult(file=name, status=Status.INTERRUPTED, note=note)

    def finish(self) -> None:
        """After an interruption: what was in flight is reported as not done, by file or CSV rows."""
        if not self.summary.interrupted:
            return
        self.progress = None
        while self.rows:
            self.add(self.rows.pop(0))
        note = "运行被中断，未完成；重新运行即可补上（已是最新的会跳过）。"
        for index in sorted(i for i in self.slices_started if i >= self.next_report):
            piece = self.slices_started[index]
            if index in self.finished:
                results = self.finished.pop(index)
            elif index in self.named:
                results = [self._cut_short(n, note) for n in self.named[index]]
            else:
                where = f"CSV 第{piece.first_line}–{piece.last_line}行：" if piece.text is not None else ""
                results = [UnitResult(status=Status.INTERRUPTED, note=where + note)]
            for label, issues, line in self.skipped.pop(index, []):
                self.add(_not_read(label, issues, line))
            for r in results:
                self.add(r)
        self.slices_started.clear()
