"""What every command of the CLI runs inside: exit codes for every ending, never a traceback on the console.

``GuardedGroup`` (the CLI's command group) runs each command inside ``guarded``:

- The console streams replace what their encoding cannot show (``errors="replace"``): a Chinese Windows
  console redirected to a file writes GBK, and a unit named with 𠮷 must not crash a run after its files
  are written.
- SIGTERM and SIGHUP (a time-out, a service manager, a closed terminal) and Windows' SIGBREAK are taken as
  Ctrl-C: ``fill`` and ``collect`` stop their workers and write ``_report.csv`` with what was done; any
  command ends with ``EXIT_INTERRUPTED`` (130) and leaves no partial file (every write is atomic).
- An error that means the input or the machine is unusable (a damaged or foreign file, a report template
  that is refused, an output that exists or is read-only, a folder in use, a full disk, no permission …)
  is one Chinese line and ``EXIT_UNUSABLE`` (2).
- Anything else is a fault of the program: one Chinese line naming ``LOG_FILE`` (in the temporary folder,
  beside the add-in's ``excel.LOG_FILE``), where the traceback is appended, and ``EXIT_INTERNAL`` (3).

Exit status overall: 0 clean, 1 findings at error level, 2 unusable input or output, 3 internal error,
130 interrupted.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import signal
import sys
import tempfile
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from . import __version__, cli_text

EXIT_UNUSABLE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130
LOG_FILE = Path(tempfile.gettempdir()) / "perfeval-xl-cli.log"

#: perfeval_xl's exceptions that say, in Chinese, that an input or output is unusable (exit 2).
_UNUSABLE = frozenset(
    {
        "WorkbookError",
        "ReportError",
        "MacroError",
        "OfficeError",
        "OfficeUnavailable",
        "WorkerError",
        "FillError",
        "FolderBusy",
        "OutputExists",
        "NotWritable",
    }
)
_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGBREAK") if hasattr(signal, name))

_err = Console(stderr=True, highlight=False, soft_wrap=True)


def tolerant_streams() -> None:
    """stdout and stderr replace characters their encoding lacks instead of raising."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError, OSError):
            stream.reconfigure(errors="replace")  # type: ignore[union-attr]


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def signals_as_interrupt() -> Iterator[None]:
    """SIGTERM, SIGHUP (and SIGBREAK) raise KeyboardInterrupt in the main thread while the block runs."""
    previous: dict[int, Any] = {}
    with contextlib.suppress(ValueError):  # not the main thread: leave them be
        for sig in _SIGNALS:
            previous[sig] = signal.signal(sig, _interrupt)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def unusable_message(exc: BaseException) -> str | None:
    """The Chinese message of an error that means an unusable input or output, else None."""
    if any(c.__module__.startswith("perfeval_xl") and c.__name__ in _UNUSABLE for c in type(exc).__mro__):
        return str(exc)
    if isinstance(exc, OSError):  # the machine: full disk, no permission, read-only folder …
        from .files import describe_os_error

        return f"无法读写文件：{describe_os_error(exc)}。已写完的文件完整可用，没有留下写了一半的文件。"
    return None


def log_internal(exc: BaseException) -> Path | None:
    """Append ``exc``'s traceback to LOG_FILE; its path, or None if it cannot be written."""
    entry = (
        f"==== {dt.datetime.now():%Y-%m-%d %H:%M:%S} perfeval-xl {__version__} Python {sys.version.split()[0]} "
        f"{sys.platform}\n命令：{' '.join(sys.argv)}\n" + "".join(traceback.format_exception(exc))
    )
    try:
        with LOG_FILE.open("a", encoding="utf-8") as fh:
            fh.write(entry)
    except OSError:
        return None
    return LOG_FILE


def _say(message: str) -> None:
    with contextlib.suppress(Exception):  # the console itself is broken (closed pipe …): nothing more to say
        _err.print(f"[bold red]错误：[/]{escape(message)}")


@contextlib.contextmanager
def guarded() -> Iterator[None]:
    """Run a command: exit codes and messages for every way it can end (see module doc)."""
    tolerant_streams()
    with signals_as_interrupt():
        try:
            yield
        except (typer.Exit, typer.Abort, typer.TyperException):  # typer's own endings and usage errors
            raise
        except KeyboardInterrupt:
            _say("已中断（Ctrl-C 或被结束）。已写完的文件完整可用，没有留下写了一半的文件。")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except Exception as exc:
            message = unusable_message(exc)
            if message is not None:
                _say(message)
                raise typer.Exit(EXIT_UNUSABLE) from None
            log = log_internal(exc)
            what = "内存不足" if isinstance(exc, MemoryError) else f"程序内部出错（{type(exc).__name__}）"
            where = f"详细信息已记入 {log}，请把该文件发给维护人员" if log else f"详细信息：{exc}"
            _say(f"{what}，已停止；已写完的文件完整可用。{where}。")
            raise typer.Exit(EXIT_INTERNAL) from None


class GuardedGroup(cli_text.Group):
    """The CLI's group: every command runs inside ``guarded``."""

    def invoke(self, ctx: Any) -> Any:
        with guarded():
            return super().invoke(ctx)
