"""LibreOffice headless edge: recalculate workbooks, print them to PDF, run a VBA macro.

Every call starts its own soffice with a private, throw-away user profile (``-env:UserInstallation``),
so calls never share an instance and may run in parallel (pytest-xdist, batch workers). The profile sets
``OOXMLRecalcMode`` and ``ODFRecalcMode`` to 0 ("always recalculate on load"): LibreOffice otherwise keeps
the cached results stored in the file (XlsxWriter stores 0), which would make a parity test pass on stale
values (ground-notes.md). PDFs are what LibreOffice prints from the workbook's own page setup; Chinese text
needs a CJK font on the machine (Debian ``fonts-noto-cjk`` or ``fonts-wqy-microhei``).

Page counts and merging use pypdf (pure Python), so ``pdf`` needs no poppler; the inspection helpers the
tests use (``pdf_text``, ``pdf_page_sizes``, ``pdf_to_png``) use poppler (``pdftotext``, ``pdfinfo``,
``pdftoppm``). Macros run through UNO in a
separate Python that has the ``uno`` module (Debian ``python3-uno`` for ``/usr/bin/python3``), driving
``data/uno_runner.py``; the project's own Python needs no ``uno``.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from functools import cache
from pathlib import Path

__all__ = [
    "OfficeError",
    "OfficeUnavailable",
    "find_soffice",
    "find_uno_python",
    "pdf_page_count",
    "pdf_page_sizes",
    "pdf_text",
    "pdf_to_png",
    "recalculate",
    "require_soffice",
    "run_macro",
    "to_pdf",
    "to_pdfs",
]

#: Environment variables that point at a particular soffice / uno-capable Python.
SOFFICE_ENV = "PERFEVAL_SOFFICE"
UNO_PYTHON_ENV = "PERFEVAL_UNO_PYTHON"

XLSX_FILTER = "Calc MS Excel 2007 XML"
XLSM_FILTER = "Calc MS Excel 2007 VBA XML"
PDF_FILTER = "calc_pdf_Export"
WRITER_PDF_FILTER = "writer_pdf_Export"
_DOCUMENTS = {".docx", ".odt", ".doc"}
_SAVE_FILTERS = {".xlsx": XLSX_FILTER, ".xlsm": XLSM_FILTER, ".ods": "calc8"}
_OOXML = {".xlsx", ".xlsm", ".xltx", ".xltm"}
_CALC_INPUTS = _OOXML | {".ods", ".xls"}

_RUNNER = Path(__file__).with_name("data") / "uno_runner.py"

_INSTALL_HINT = (
    "Debian/Ubuntu：sudo apt-get install libreoffice-calc-nogui fonts-noto-cjk"
    "（已装 libreoffice-calc 亦可）；Windows/macOS：安装 LibreOffice，"
    f"或设置环境变量 {SOFFICE_ENV} 指向 soffice 程序。"
)

#: The private profile: recalculate every formula on load, OOXML and ODF alike.
_REGISTRY = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">\
<value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse">\
<value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="FirstRun" oor:op="fuse">\
<value>false</value></prop></item>
</oor:items>
"""

#: Lines soffice prints that say nothing about the document.
_NOISE = ("failed to launch javaldx", "convert ", "using filter")


class OfficeUnavailable(RuntimeError):
    """LibreOffice (or poppler, or a Python with ``uno``) is not installed; the message says how to install."""


class OfficeError(RuntimeError):
    """LibreOffice or poppler ran but did not produce the file; the message names the file and the output."""


# ---------------------------------------------------------------------------------------------- finding


def find_soffice() -> str | None:
    """Path of the soffice program: ``$PERFEVAL_SOFFICE``, then ``PATH``, then the usual install places."""
    env = os.environ.get(SOFFICE_ENV)
    if env:
        return env if Path(env).is_file() else None
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    candidates = [
        Path("/usr/lib/libreoffice/program/soffice"),
        Path("/Applications/LibreOffice.app/Contents/MacOS/soffice"),
        *sorted(Path("/opt").glob("libreoffice*/program/soffice"), reverse=True),
    ]
    for var in ("ProgramFiles", "ProgramFiles(x86)"):
        base = os.environ.get(var)
        if base:
            candidates.append(Path(base) / "LibreOffice" / "program" / "soffice.exe")
    return next((str(p) for p in candidates if p.is_file()), None)


def require_soffice() -> str:
    """The soffice program, or OfficeUnavailable saying how to install LibreOffice."""
    return _soffice()


def _soffice() -> str:
    found = find_soffice()
    if found is None:
        raise OfficeUnavailable(f"未找到 LibreOffice（soffice），无法重算公式或生成 PDF。{_INSTALL_HINT}")
    return found


def find_uno_python() -> str | None:
    """A Python that can ``import uno``: ``$PERFEVAL_UNO_PYTHON``, LibreOffice's own, or ``/usr/bin/python3``."""
    candidates: list[str] = []
    env = os.environ.get(UNO_PYTHON_ENV)
    if env:
        candidates.append(env)
    soffice = find_soffice()
    if soffice:
        program = Path(soffice).resolve().parent
        candidates += [str(program / "python"), str(program / "python.exe")]
    candidates += ["/usr/bin/python3", "/usr/local/bin/python3"]
    return next((c for c in candidates if Path(c).is_file() and _imports_uno(c)), None)


@cache
def _imports_uno(python: str) -> bool:
    try:
        done = subprocess.run(
            [python, "-c", "import uno"], env=_clean_env(), capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise OfficeUnavailable(
            f"未找到 {name}（poppler），无法读取 PDF。Debian/Ubuntu：sudo apt-get install poppler-utils"
        )
    return found


def _clean_env(fonts: Path | None = None) -> dict[str, str]:
    """The environment minus this venv's Python settings (they would confuse another Python), plus the
    font fall-backs (``fonts``, a fontconfig file) when given."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}}
    env.setdefault("LANG", "C.UTF-8")
    if fonts is not None and fonts.is_file():
        env["FONTCONFIG_FILE"] = str(fonts)
    return env


#: Fall-backs for the fonts our workbooks and reports name (宋体, 仿宋, 黑体, 公文 fonts) when the machine
#: lacks them (fontconfig ``accept``: used only when the font itself is missing). Without them LibreOffice
#: on Linux draws every font as the same sans CJK face (often its Japanese variant), so headings look like
#: body text. Serif CJK stands in for 宋/仿宋/楷, sans for 黑.
FONT_FALLBACKS: dict[str, tuple[str, ...]] = {
    "方正小标宋简体": (
        "方正小标宋_GBK",
        "华文中宋",
        "STZhongsong",
        "Noto Serif CJK SC",
        "Source Han Serif SC",
        "SimSun",
    ),
    "仿宋_GB2312": (
        "仿宋",
        "FangSong",
        "STFangsong",
        "Noto Serif CJK SC",
        "Source Han Serif SC",
        "AR PL UMing CN",
    ),
    "仿宋": ("FangSong", "STFangsong", "Noto Serif CJK SC", "Source Han Serif SC", "AR PL UMing CN"),
    "楷体_GB2312": ("楷体", "KaiTi", "STKaiti", "AR PL UKai CN", "Noto Serif CJK SC", "Source Han Serif SC"),
    "黑体": ("SimHei", "STHeiti", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei"),
    "宋体": ("SimSun", "Noto Serif CJK SC", "Source Han Serif SC", "AR PL UMing CN"),
    "Times New Roman": ("Liberation Serif", "Tinos", "Noto Serif", "DejaVu Serif"),
}


def _fontconfig_file(folder: Path) -> Path | None:
    """A fontconfig file: the system's configuration plus FONT_FALLBACKS (None where there is none)."""
    if os.name == "nt":
        return None
    system = os.environ.get("FONTCONFIG_FILE") or "/etc/fonts/fonts.conf"
    if not Path(system).is_file():
        return None
    from xml.sax.saxutils import escape

    aliases = "".join(
        f'<alias binding="strong"><family>{escape(font)}</family><accept>'
        + "".join(f"<family>{escape(f)}</family>" for f in fallbacks)
        + "</accept></alias>"
        for font, fallbacks in FONT_FALLBACKS.items()
    )
    conf = folder / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
        f'<fontconfig><include ignore_missing="yes">{escape(system)}</include>{aliases}</fontconfig>\n',
        encoding="utf-8",
    )
    return conf


# ---------------------------------------------------------------------------------------------- running


@contextmanager
def _workspace(dest: Path | None = None) -> Iterator[tuple[Path, Path]]:
    """``(root, out)``, both removed afterwards.

    ``root`` is a private temp dir holding ``profile/`` (the recalc settings), soffice's log and input
    copies. ``out`` is where soffice writes: a hidden temp dir inside ``dest`` when given, so that finished
    files reach ``dest`` by ``os.replace`` (same file system, never half-written), else ``root/out``.
    """
    root = Path(tempfile.mkdtemp(prefix="perfeval-lo-"))
    out: Path | None = None
    try:
        user = root / "profile" / "user"
        user.mkdir(parents=True)
        (user / "registrymodifications.xcu").write_text(_REGISTRY, encoding="utf-8")
        _fontconfig_file(root)
        if dest is None:
            out = root / "out"
            out.mkdir()
        else:
            dest.mkdir(parents=True, exist_ok=True)
            out = Path(tempfile.mkdtemp(prefix=".perfeval-lo-", dir=dest))
        yield root, out
    finally:
        if out is not None:
            shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)


def _soffice_cmd(root: Path, *args: str) -> list[str]:
    return [
        _soffice(),
        f"-env:UserInstallation={(root / 'profile').as_uri()}",
        "--headless",
        "--invisible",
        "--norestore",
        "--nologo",
        "--nodefault",
        "--nolockcheck",
        *args,
    ]


def _popen(cmd: list[str], log: Path) -> subprocess.Popen[bytes]:
    """Start ``cmd`` in its own process group (so the whole soffice tree can be stopped), output to ``log``."""
    kwargs: dict[str, object] = {}
    if os.name == "posix":
        kwargs["start_new_session"] = True
    else:
        kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
    with log.open("wb") as out:
        return subprocess.Popen(  # type: ignore[call-overload]
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=_clean_env(log.parent / "fonts.conf"),
            **kwargs,
        )


def _stop(proc: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    """Give ``proc`` ``grace`` seconds to end, then kill it and all it started (its process group)."""
    with suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)
    if os.name == "posix":
        with suppress(ProcessLookupError, PermissionError):  # nothing left of the group: fine
            os.killpg(proc.pid, signal.SIGKILL)
    elif proc.poll() is None:
        subprocess.run(["taskkill", "/T", "/F", "/PID", str(proc.pid)], capture_output=True, check=False)
    with suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


def _forget_pipes(root: Path, pipe: str | None = None) -> None:
    """Remove the socket files a killed soffice leaves in /tmp (LibreOffice names them as below)."""
    if os.name != "posix":
        return
    url = (root / "profile").as_uri()
    digest = "".join(f"{b:x}" for b in hashlib.md5(url.encode("utf-16-le"), usedforsecurity=False).digest())
    names = [f"SingleOfficeIPC_{digest}", *([pipe] if pipe else [])]
    for name in names:
        sock = Path("/tmp") / f"OSL_PIPE_{os.getuid()}_{name}"
        if sock.is_socket():
            sock.unlink(missing_ok=True)


def _run_soffice(cmd: list[str], root: Path, timeout: float, what: str) -> str:
    """Run soffice to completion; its output (for error messages). Time-out kills the whole tree."""
    log = root / "soffice.log"
    proc = _popen(cmd, log)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop(proc, grace=0)
        raise OfficeError(
            f"LibreOffice 处理 {what} 超过 {timeout:.0f} 秒未完成，已终止。\n{_output(log)}".rstrip()
        ) from None
    finally:
        _stop(proc, grace=0)
        _forget_pipes(root)
    return _output(log)


def _output(log: Path, limit: int = 2000) -> str:
    """What soffice printed, minus the noise, at most ``limit`` characters (the end)."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    lines = [ln for ln in text.splitlines() if ln.strip() and not any(n in ln for n in _NOISE)]
    text = "\n".join(lines)
    return ("LibreOffice 输出：\n" + text[-limit:]) if text else ""


def _check_input(path: Path, allowed: set[str]) -> Path:
    path = Path(path)
    if not path.is_file():
        raise OfficeError(f"找不到文件：{path}")
    suffix = path.suffix.lower()
    if suffix not in allowed:
        raise OfficeError(
            f"{path}：不支持的文件类型 {path.suffix or '（无扩展名）'}，应为 {'、'.join(sorted(allowed))}"
        )
    if suffix not in (".xls", ".doc") and not zipfile.is_zipfile(path):
        raise OfficeError(
            f"{path}：不是有效的 {suffix} 工作簿（文件已损坏或并非 Excel 文件），请用 Excel 重新保存。"
        )
    return path.resolve()


# ---------------------------------------------------------------------------------------------- recalc


def recalculate(paths: Sequence[Path], outdir: Path, *, timeout: float | None = None) -> list[Path]:
    """Convert workbooks to .xlsx in ``outdir`` with every formula recalculated, in one soffice run.

    Returns the outputs in input order (``outdir/<stem>.xlsx``). Inputs are never overwritten: an output
    that would replace its own input is refused, and so are two inputs with the same stem. Outputs appear
    only when every file converted (all or nothing); if soffice fails, each missing file is retried alone
    so that the error names the culprit with what LibreOffice printed. Macros in .xlsm files are not run.
    """
    files = [_check_input(Path(p), _CALC_INPUTS) for p in paths]
    if not files:
        return []
    outdir = Path(outdir).resolve()
    targets = [outdir / f"{f.stem}.xlsx" for f in files]
    seen: dict[Path, Path] = {}
    for src, dst in zip(files, targets, strict=True):
        if dst == src:
            raise OfficeError(f"{src}：输出会覆盖原文件，请换一个输出目录。")
        if dst in seen:
            raise OfficeError(f"{seen[dst]} 与 {src} 同名，输出会互相覆盖，请改名或分两次处理。")
        seen[dst] = src
    convert = ("--convert-to", f"xlsx:{XLSX_FILTER}")
    with _workspace(outdir) as (root, out):
        report = _convert(root, out, files, convert, 60 + 10 * len(files) if timeout is None else timeout)
        missing = [f for f, t in zip(files, targets, strict=True) if not (out / t.name).is_file()]
        failures = []
        if len(files) == 1 and missing:
            failures.append(f"{files[0]}\n{report}".rstrip())
        elif missing:  # one bad file can stop the whole run: find out which
            for src in missing:
                report = _convert(root, out, [src], convert, 60 if timeout is None else timeout)
                if not (out / f"{src.stem}.xlsx").is_file():
                    failures.append(f"{src}\n{report}".rstrip())
        if failures:
            raise OfficeError("LibreOffice 未能重算以下工作簿：\n" + "\n\n".join(failures))
        for dst in targets:
            os.replace(out / dst.name, dst)
    return targets


def _convert(root: Path, out: Path, files: Sequence[Path], convert: Sequence[str], timeout: float) -> str:
    cmd = _soffice_cmd(root, *convert, "--outdir", str(out.resolve()), *map(str, files))
    what = files[0].name if len(files) == 1 else f"{len(files)} 个文件"
    return _run_soffice(cmd, root, timeout, what)


# ---------------------------------------------------------------------------------------------- PDF


def to_pdf(path: Path, out: Path, *, sheet: str | None = None, timeout: float = 120) -> Path:
    """Print a workbook (or only its sheet ``sheet``), or a Word document, to the PDF ``out``.

    Formulas are recalculated first (the private profile). For one sheet, a temporary copy of the
    workbook has every other sheet hidden (only the workbook part changes; LibreOffice does not print
    hidden sheets), so formulas that read the other sheets still work. ``sheet`` needs an OOXML workbook.
    """
    src = _check_input(Path(path), _CALC_INPUTS | _DOCUMENTS)
    document = src.suffix.lower() in _DOCUMENTS
    if document and sheet is not None:
        raise OfficeError(f"{src}：只有工作簿才能单独打印一张工作表。")
    out = Path(out).resolve()
    with _workspace(out.parent) as (root, staging):
        if sheet is not None:
            src = _only_sheet(src, sheet, root / "in" / src.name)
        pdf_filter = WRITER_PDF_FILTER if document else PDF_FILTER
        report = _convert(root, staging, [src], ("--convert-to", f"pdf:{pdf_filter}"), timeout)
        staged = staging / f"{src.stem}.pdf"
        if not staged.is_file():
            raise OfficeError(f"LibreOffice 未能把 {path} 转为 PDF。\n{report}".rstrip())
        os.replace(staged, out)
    return out


#: Most LibreOffice processes ``to_pdfs`` runs at once by default (each takes a core and ~250 MB).
MAX_PDF_PROCESSES = 4


def to_pdfs(
    items: Sequence[tuple[Path, Path]],
    *,
    sheet: str | None = None,
    timeout: float = 120,
    processes: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[str]:
    """Print many workbooks (or only their sheet ``sheet``) and Word documents to PDF, (source, target) each.

    Returns, per item, ``""`` when its PDF was written, else the reason in Chinese; one file's failure
    never stops the others. The files are converted in as few LibreOffice runs as possible: one process
    per core (at most ``processes``, default ``min(cores, MAX_PDF_PROCESSES)``), each with its own
    profile and a contiguous share of the files, which it converts one after the other (soffice takes
    many files per call: its start-up, ~2 s, is paid once per process, not per file). A file on which
    LibreOffice makes no progress for ``timeout`` seconds (start-up included for the first) gets its
    process killed, is reported as timed out, and the files after it are converted by a new process.
    Each PDF is moved to its target as soon as it is finished, through a temporary file in the target's
    folder (``files.atomic_path``): a target is either complete or absent. ``progress(done, failed)`` is
    called as files finish. Raises only OfficeUnavailable (no LibreOffice).
    """
    _soffice()  # raise OfficeUnavailable before doing anything
    errors = [""] * len(items)
    if not items:
        return errors
    done = [0, 0]  # finished, failed

    def finish(index: int, staged: Path | None, error: str) -> None:
        from .files import atomic_path

        if staged is not None and not error:
            try:
                with atomic_path(Path(items[index][1])) as tmp:
                    shutil.copyfile(staged, tmp)
            except OSError as exc:
                error = f"无法写入 {items[index][1]}：{exc.strerror or exc}"
        errors[index] = error
        done[0] += 1
        done[1] += bool(error)
        if progress is not None:
            progress(*done)

    with tempfile.TemporaryDirectory(prefix="perfeval-pdfs-") as tmp:
        staged_inputs: list[tuple[int, Path]] = []
        for i, (src, _) in enumerate(items):
            try:
                checked = _check_input(Path(src), _CALC_INPUTS | _DOCUMENTS)
                copy = Path(tmp) / f"{i:06d}{checked.suffix.lower()}"  # unique stems: soffice names by stem
                if sheet is not None and checked.suffix.lower() not in _DOCUMENTS:
                    _only_sheet(checked, sheet, copy)
                else:
                    shutil.copyfile(checked, copy)
                staged_inputs.append((i, copy))
            except (OfficeError, OSError, zipfile.BadZipFile, KeyError) as exc:
                finish(i, None, _reason(src, exc))
        count = processes or min(os.cpu_count() or 1, MAX_PDF_PROCESSES)
        count = max(1, min(count, len(staged_inputs)))
        share = -(-len(staged_inputs) // count) if staged_inputs else 0
        runs = [
            _PdfRun(staged_inputs[k : k + share], timeout) for k in range(0, len(staged_inputs), share or 1)
        ]
        try:
            while any(not r.finished for r in runs):
                for run in runs:
                    for index, staged, error in run.poll():
                        finish(index, staged, error)
                    if run.finished:
                        run.close()
                time.sleep(0.05)
        finally:
            for run in runs:
                run.close()
    return errors


def _reason(src: Path, exc: BaseException) -> str:
    if isinstance(exc, OfficeError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"无法读取 {src}：{exc.strerror or exc}"
    return f"{src}：不是有效的工作簿（{type(exc).__name__}），请用 Excel 打开检查后另存。"


class _PdfRun:
    """One soffice printing a list of files, in order, to PDF; watched for progress, restarted after a hang.

    LibreOffice converts the files of one call one after the other, in the order given, and creates a
    lock file (``.~lock.NAME.pdf#``) while it writes each PDF. The *frontier* is the last file that shows
    any sign of work (its lock or its PDF): every file before it is finished (a missing PDF there means
    LibreOffice could not load that file and went on). When nothing moves for ``timeout`` seconds, the
    file being worked on is the frontier (lock present) or the one after it (PDF done, the next one not
    started: still loading): it is reported as timed out, the process tree is killed, and a new process
    with a fresh profile takes the files after it.
    """

    def __init__(self, files: list[tuple[int, Path]], timeout: float) -> None:
        self.files = files
        self.timeout = timeout
        self.next = 0  # first file not yet reported
        self.finished = not files
        self.proc: subprocess.Popen[bytes] | None = None
        self.spaces = contextlib.ExitStack()  # every process's workspace, kept until close()
        if files:
            self._start()

    def _start(self) -> None:
        self._stop()
        self.root, self.out = self.spaces.enter_context(_workspace())
        cmd = _soffice_cmd(
            self.root,
            "--convert-to",
            "pdf",
            "--outdir",
            str(self.out),
            *(str(p) for _, p in self.files[self.next :]),
        )
        self.proc = _popen(cmd, self.root / "soffice.log")
        self.started = self.moved = time.monotonic()
        self.frontier = self.next - 1  # no file shows work yet

    def _pdf(self, k: int) -> Path:
        return self.out / f"{self.files[k][1].stem}.pdf"

    def _busy(self, k: int) -> bool:
        return (self.out / f".~lock.{self.files[k][1].stem}.pdf#").exists()

    def _report(self, upto: int) -> list[tuple[int, Path | None, str]]:
        """Files ``next`` … ``upto - 1``, finished: (index, PDF or None, error)."""
        out: list[tuple[int, Path | None, str]] = []
        for k in range(self.next, upto):
            index, path = self.files[k]
            pdf = self._pdf(k)
            if pdf.is_file() and pdf.stat().st_size > 0:
                out.append((index, pdf, ""))
            else:
                out.append(
                    (
                        index,
                        None,
                        f"LibreOffice 未能把 {path.name} 转为 PDF（文件可能已损坏，或不是 Excel/Word 文件）。",
                    )
                )
        self.next = max(self.next, upto)
        return out

    def poll(self) -> list[tuple[int, Path | None, str]]:
        if self.finished or self.proc is None:
            return []
        exited = self.proc.poll() is not None
        frontier = self.frontier
        for k in range(len(self.files) - 1, max(self.next, frontier + 1) - 1, -1):
            if self._busy(k) or self._pdf(k).exists():
                frontier = k
                break
        if frontier != self.frontier:
            self.frontier, self.moved = frontier, time.monotonic()
        if exited:
            results = self._report(len(self.files))
            if self.proc.returncode and results and all(error for _, _, error in results):
                tail = _output(self.root / "soffice.log")
                results = [(i, None, f"{e}\n{tail}".rstrip()) for i, _, e in results]
            self.finished = True
            self._stop()
            return results
        results = self._report(self.frontier)
        if time.monotonic() - self.moved <= self.timeout:
            return results
        # hung: the file being printed or loaded now
        stuck = self.frontier
        if stuck < self.next or not self._busy(stuck):
            stuck = max(stuck + 1, self.next)
        results += self._report(stuck)
        index, path = self.files[stuck]
        results.append(
            (
                index,
                None,
                f"LibreOffice 处理 {path.name} 超过 {self.timeout:.0f} 秒未完成，已终止该进程；其余文件已重新交给新的 LibreOffice 进程。",
            )
        )
        self.next = stuck + 1
        if self.next >= len(self.files):
            self.finished = True
            self._stop()
        else:
            self._start()
        return results

    def _stop(self) -> None:
        if self.proc is not None:
            _stop(self.proc, grace=0 if self.proc.poll() is None else 5)
            _forget_pipes(self.root)
            self.proc = None

    def close(self) -> None:
        """Stop the process (if any) and remove every workspace, the staged PDFs included."""
        self._stop()
        self.spaces.close()


_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\b[^>]*>")
_VIEW_TAG = re.compile(rb"<(?:\w+:)?workbookView\b[^>]*>")
_PRINT_NAME = re.compile(
    rb'(<(?:\w+:)?definedName\b[^>]*\bname="_xlnm\.Print_(?:Area|Titles)"[^>]*>)[^<]*</(?:\w+:)?definedName>'
)


def _only_sheet(src: Path, sheet: str, dst: Path) -> Path:
    """Copy ``src`` to ``dst`` with every sheet but ``sheet`` hidden and ``sheet`` the active tab."""
    if src.suffix.lower() not in _OOXML:
        raise OfficeError(f"{src}：只能从 .xlsx/.xlsm 工作簿中单独打印一张工作表。")
    with zipfile.ZipFile(src) as zin:
        part = _workbook_part(zin)
        xml = zin.read(part)
        names = [html.unescape(_attr(m.group(), "name") or "") for m in _SHEET_TAG.finditer(xml)]
        if sheet not in names:
            raise OfficeError(f"{src} 中没有工作表“{sheet}”。现有工作表：{'、'.join(names)}")
        index = names.index(sheet)
        tags = iter(range(len(names)))

        def sheet_tag(match: re.Match[bytes]) -> bytes:
            tag = match.group()
            if next(tags) == index:
                return re.sub(rb'\sstate="[^"]*"', b"", tag)
            if _attr(tag, "state") in (None, "visible"):  # keep "hidden" and "veryHidden" as they are
                tag = re.sub(rb'\sstate="[^"]*"', b"", tag)
                tag = re.sub(rb"^(<(?:\w+:)?sheet)", rb'\1 state="hidden"', tag)
            return tag

        def view_tag(match: re.Match[bytes]) -> bytes:
            tag = re.sub(rb'\s(?:activeTab|firstSheet)="\d+"', b"", match.group())
            return re.sub(rb"^(<(?:\w+:)?workbookView)", rb'\1 activeTab="%d"' % index, tag)

        def print_name(match: re.Match[bytes]) -> bytes:
            # LibreOffice prints a hidden sheet that has a print range: drop the others' print ranges.
            local = _attr(match.group(1), "localSheetId")
            return match.group() if local is None or int(local) == index else b""

        xml = _VIEW_TAG.sub(view_tag, _SHEET_TAG.sub(sheet_tag, xml))
        xml = _PRINT_NAME.sub(print_name, xml)
        dst.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                zout.writestr(info, xml if info.filename == part else zin.read(info))
    return dst


def _workbook_part(zin: zipfile.ZipFile) -> str:
    """Name of the workbook part: the target of the officeDocument relationship in ``_rels/.rels``."""
    for rel in re.finditer(rb"<(?:\w+:)?Relationship\b[^>]*>", zin.read("_rels/.rels")):
        if (_attr(rel.group(), "Type") or "").endswith("/officeDocument"):
            return (_attr(rel.group(), "Target") or "xl/workbook.xml").lstrip("/")
    return "xl/workbook.xml"


def _attr(tag: bytes, name: str) -> str | None:
    found = re.search(rb"\s" + name.encode() + rb'="([^"]*)"', tag)
    return found.group(1).decode("utf-8") if found else None


def _poppler(args: list[str], pdf: Path) -> str:
    if not Path(pdf).is_file():
        raise OfficeError(f"找不到 PDF 文件：{pdf}")
    done = subprocess.run(args, capture_output=True, timeout=120, check=False)
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", errors="replace").strip()
        raise OfficeError(f"{Path(args[0]).name} 无法读取 {pdf}：{message}")
    return done.stdout.decode("utf-8", errors="replace")


def pdf_text(pdf: Path) -> str:
    """The text of a PDF, laid out as printed (``pdftotext -layout``)."""
    return _poppler([_tool("pdftotext"), "-layout", "-enc", "UTF-8", str(pdf), "-"], pdf)


def pdf_page_count(pdf: Path) -> int:
    """Number of pages of a PDF, read with pypdf (pure Python: no poppler needed, as on most Windows PCs).

    Raises OfficeError (Chinese) when the file is missing or is not a readable PDF."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if not Path(pdf).is_file():
        raise OfficeError(f"找不到 PDF 文件：{pdf}")
    try:
        return len(PdfReader(str(pdf)).pages)
    except (PyPdfError, OSError, ValueError, KeyError) as exc:
        raise OfficeError(f"无法读取 PDF {pdf} 的页数：{exc}") from exc


def pdf_page_sizes(pdf: Path) -> list[tuple[float, float]]:
    """Width and height in points of every page (A4 portrait is about 595 × 842)."""
    count = pdf_page_count(pdf)
    info = _poppler([_tool("pdfinfo"), "-f", "1", "-l", str(count), str(pdf)], pdf)
    sizes = re.findall(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info, re.MULTILINE)
    return [(float(w), float(h)) for w, h in sizes]


def pdf_to_png(pdf: Path, outdir: Path, dpi: int = 110) -> list[Path]:
    """Render every page to ``outdir/<stem>-<page>.png`` (``pdftoppm``); the paths in page order."""
    pdf, outdir = Path(pdf), Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".perfeval-png-", dir=outdir) as tmp:
        _poppler([_tool("pdftoppm"), "-r", str(dpi), "-png", str(pdf), str(Path(tmp) / "p")], pdf)
        pages = sorted(Path(tmp).glob("p-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
        result = []
        for number, page in enumerate(pages, start=1):
            dst = outdir / f"{pdf.stem}-{number}.png"
            os.replace(page, dst)
            result.append(dst)
    return result


def merge_pdfs(parts: Sequence[Path], out: Path) -> Path:
    """Join PDFs in order into ``out`` (pypdf: no poppler needed), written atomically."""
    from pypdf import PdfWriter
    from pypdf.errors import PyPdfError

    from .files import atomic_path

    for part in parts:
        if not Path(part).is_file():
            raise OfficeError(f"找不到 PDF 文件：{part}")
    try:
        with atomic_path(Path(out)) as tmp:
            writer = PdfWriter()
            for part in parts:
                writer.append(str(part))
            with open(tmp, "wb") as fh:
                writer.write(fh)
    except (PyPdfError, ValueError, KeyError) as exc:
        raise OfficeError(f"无法合并 PDF：{exc}") from exc
    return Path(out)


# ---------------------------------------------------------------------------------------------- macros


def macro_url(macro: str) -> str:
    """``Module.Sub`` → the script URL of that macro in the document's VBA project."""
    if macro.startswith("vnd.sun.star.script:"):
        return macro
    name = macro if macro.startswith("VBAProject.") else f"VBAProject.{macro}"
    return f"vnd.sun.star.script:{name}?language=Basic&location=document"


def run_macro(path: Path, macro: str, *, save_to: Path | None = None, timeout: float = 120) -> object:
    """Open ``path`` with macros enabled, run ``macro`` (``Module.Sub``) and optionally save the result.

    The workbook is opened from a private copy (the original is never touched) in a soffice of its own,
    with ``MacroExecutionMode=4`` (always execute, no warning), over a UNO pipe, by ``data/uno_runner.py``
    under a Python that has ``uno``. ``save_to`` (.xlsx, .xlsm or .ods) receives the document after the
    macro ran, formulas recalculated. Returns the macro's return value (a Function's result, else None).

    Limitation: LibreOffice headless swallows VBA run-time errors (``Err.Raise`` returns normally), so a
    self-test macro should leave evidence in a cell rather than rely on an error. A missing macro, a
    document that does not load, or a time-out raise :class:`OfficeError`.
    """
    src = _check_input(Path(path), _CALC_INPUTS)
    python = find_uno_python()
    if python is None:
        raise OfficeUnavailable(
            "运行宏需要带 uno 模块的 Python。Debian/Ubuntu：sudo apt-get install python3-uno；"
            f"或设置环境变量 {UNO_PYTHON_ENV} 指向 LibreOffice 自带的 python。"
        )
    save_to = Path(save_to).resolve() if save_to is not None else None
    if save_to is not None:
        if save_to.suffix.lower() not in _SAVE_FILTERS:
            raise OfficeError(f"{save_to}：只能保存为 {'、'.join(_SAVE_FILTERS)}。")
        if save_to == src:
            raise OfficeError(f"{src}：不能覆盖原文件，请另选保存位置。")
    with _workspace(save_to.parent if save_to else None) as (root, out):
        work = root / "in" / f"book{src.suffix.lower()}"
        work.parent.mkdir()
        shutil.copyfile(src, work)
        staged = out / f"result{save_to.suffix.lower()}" if save_to else None
        pipe = f"perfeval_{os.getpid()}_{uuid.uuid4().hex}"
        job = {
            "pipe": pipe,
            "connect_timeout": timeout,
            "input": str(work),
            "macro_url": macro_url(macro),
            "save_to": str(staged.resolve()) if staged else None,
            "filter": _SAVE_FILTERS[save_to.suffix.lower()] if save_to else None,
        }
        accept = f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext"
        office = _popen(_soffice_cmd(root, accept), root / "soffice.log")
        grace = 0.0  # after a failure soffice is killed at once
        try:
            runner = _popen([python, str(_RUNNER), json.dumps(job, ensure_ascii=False)], root / "runner.log")
            try:
                _wait_runner(runner, office, timeout, f"{path}：宏 {macro}", root)
                grace = 10.0  # the runner asked soffice to quit: let it
            finally:
                _stop(runner, grace=0)
        finally:
            _stop(office, grace=grace)
            _forget_pipes(root, pipe)
        answer = _runner_answer(runner.returncode, root / "runner.log")
        if not answer.get("ok"):
            stage = _STAGES.get(str(answer.get("stage")), "运行宏")
            raise OfficeError(
                f"{path}：{stage}失败（宏 {macro}）：{answer.get('error')}"
                f"\n{_output(root / 'soffice.log')}".rstrip()
            )
        if staged is not None and save_to is not None:
            if not staged.is_file():
                raise OfficeError(f"{path}：宏 {macro} 运行后 LibreOffice 没有写出 {save_to.name}。")
            os.replace(staged, save_to)
        return answer.get("result")


_STAGES = {"connect": "连接 LibreOffice", "load": "打开工作簿", "macro": "运行宏", "store": "保存结果"}


def _wait_runner(
    runner: subprocess.Popen[bytes], office: subprocess.Popen[bytes], timeout: float, what: str, root: Path
) -> None:
    """Wait for the runner; stop early when soffice dies under it, or when ``timeout`` runs out."""
    deadline = time.monotonic() + timeout
    office_gone: float | None = None
    while runner.poll() is None:
        now = time.monotonic()
        if office_gone is None and office.poll() is not None:
            office_gone = now
        if now > deadline:
            raise OfficeError(
                f"{what} 超过 {timeout:.0f} 秒未结束，已终止 LibreOffice。\n{_output(root / 'soffice.log')}".rstrip()
            )
        if office_gone is not None and now - office_gone > 5:  # the runner waits for a soffice that is gone
            raise OfficeError(f"{what}：LibreOffice 意外退出。\n{_output(root / 'soffice.log')}".rstrip())
        time.sleep(0.05)


def _runner_answer(returncode: int | None, log: Path) -> dict[str, object]:
    """The runner's JSON line (last line of its output), or a failure that quotes what it printed."""
    text = log.read_text(encoding="utf-8", errors="replace") if log.is_file() else ""
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            with suppress(json.JSONDecodeError):
                answer = json.loads(line)
                if isinstance(answer, dict):
                    return answer
    return {
        "ok": False,
        "stage": "runner",
        "error": f"uno_runner 退出码 {returncode}：{text.strip()[-2000:]}",
    }
