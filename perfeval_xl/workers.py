"""Worker processes for batch work (fill, collect): each answers one message at a time over its own pipe.

``spawn`` processes (the same on Windows and Linux); a worker builds its state once (``init``), then answers
``handle(state, message)`` until told to stop, and ``close(state)`` cleans up. Only as many messages are in
flight as there are workers, so callers produce work lazily and memory stays flat. A worker that dies
(killed, out of memory) is reported with the task it held and replaced, up to ``MAX_RESTARTS`` times.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

MAX_RESTARTS = 5
#: Most worker processes a run starts. multiprocessing's ``wait`` on Windows watches at most 63 handles
#: (two per worker here); and past 4 per CPU more processes only cost memory (about 90 MB each).
MAX_JOBS = 30


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB (0 where it cannot be read).

    Linux: VmHWM of /proc/self/status, which starts afresh with each program; ``ru_maxrss`` would carry
    the parent's peak over into a worker started by fork and exec.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    try:
        import resource
    except ImportError:  # Windows
        return 0.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(1)


def _worker_main(conn: Connection, init: Callable[[Any], Any], payload: Any, handle: Any, close: Any) -> None:
    """A worker: build its state once, then answer one message at a time until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    if hasattr(signal, "SIGHUP"):  # a closed terminal: the parent stops the workers and writes its report
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    with contextlib.suppress(ValueError, AttributeError):
        signal.signal(signal.SIGTERM, _terminate)  # unwinds, so atomic_path removes its temporary file
    state = None
    try:
        try:
            state = init(payload)
        except Exception as exc:
            conn.send(("init-error", f"{type(exc).__name__}: {exc}", 0.0))
            return
        while True:
            message = conn.recv()
            if message is None:
                break
            try:
                conn.send(("ok", handle(state, message), peak_rss_mb()))
            except Exception as exc:
                conn.send(("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}", peak_rss_mb()))
    except (EOFError, BrokenPipeError, KeyboardInterrupt, SystemExit):
        pass
    finally:
        if state is not None:
            close(state)


@dataclass
class Worker:
    process: Any
    conn: Connection
    task: Any = None  # what it is working on (the caller's token), None when idle


class WorkerError(RuntimeError):
    """Workers cannot be started (the message says why, in Chinese)."""


class WorkerPool:
    """Worker processes, each answering one message at a time over its own pipe.

    Only as many messages are in flight as there are workers, so the caller can produce work lazily and
    memory stays flat. ``poll`` reports replies and deaths (a killed worker's task comes back as died).
    """

    def __init__(self, jobs: int, init: Callable[[Any], Any], payload: Any, handle: Any, close: Any) -> None:
        self.ctx = multiprocessing.get_context("spawn")
        self.args = (init, payload, handle, close)
        self.workers: list[Worker] = []
        self.restarts = 0
        self.peak_rss_mb = 0.0
        self.retired: list[Worker] = []
        for _ in range(max(1, jobs)):
            self.workers.append(self._start())

    def _start(self) -> Worker:
        parent, child = self.ctx.Pipe()
        process = self.ctx.Process(target=_worker_main, args=(child, *self.args), daemon=True)
        process.start()
        child.close()
        return Worker(process, parent)

    def resize(self, jobs: int) -> None:
        """Start or stop workers to have ``jobs`` (at least 1); only idle ones are stopped."""
        jobs = max(1, jobs)
        while len(self.workers) < jobs:
            self.workers.append(self._start())
        for w in [w for w in self.workers if w.task is None][: max(0, len(self.workers) - jobs)]:
            with contextlib.suppress(OSError, BrokenPipeError):
                w.conn.send(None)
            self.workers.remove(w)
            self.retired.append(w)

    def idle(self) -> list[Worker]:
        return [w for w in self.workers if w.task is None]

    def busy(self) -> list[Worker]:
        return [w for w in self.workers if w.task is not None]

    def send(self, worker: Worker, task: Any, message: Any) -> None:
        worker.task = task
        with contextlib.suppress(BrokenPipeError, OSError):  # poll reports the death
            worker.conn.send(message)

    def poll(self, timeout: float) -> list[tuple[Worker, Any, str, Any]]:
        """[(worker, its task, "ok" | "error" | "died", reply)]; the worker is idle again after ok/error."""
        busy = self.busy()
        if not busy:
            return []
        ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout)
        out = []
        for w in busy:
            if w.conn in ready:
                try:
                    kind, reply, rss = w.conn.recv()
                except (EOFError, OSError):
                    out.append(self._died(w))
                    continue
                self.peak_rss_mb = max(self.peak_rss_mb, rss)
                if kind == "init-error":
                    raise WorkerError(f"无法启动工作进程：{reply}")
                task, w.task = w.task, None
                out.append((w, task, kind, reply))
            elif w.process.sentinel in ready:
                out.append(self._died(w))
        return out

    def _died(self, w: Worker) -> tuple[Worker, Any, str, Any]:
        task, w.task = w.task, None
        w.process.join(2)
        code = w.process.exitcode
        how = f"被信号 {-code} 终止" if code is not None and code < 0 else f"退出码 {code}"
        with contextlib.suppress(OSError):
            w.conn.close()
        self.workers.remove(w)
        if self.restarts < MAX_RESTARTS:
            self.restarts += 1
            self.workers.append(self._start())
        return w, task, "died", f"工作进程意外退出（{how}，可能是内存不足或被结束）"

    def close(self, terminate: bool = False) -> None:
        self.workers, self.retired = self.workers + self.retired, []
        for w in self.workers:
            with contextlib.suppress(OSError, BrokenPipeError):
                if terminate:
                    w.process.terminate()
                else:
                    w.conn.send(None)
        deadline = time.monotonic() + (5 if terminate else 30)
        for w in self.workers:
            w.process.join(max(0.1, deadline - time.monotonic()))
            if w.process.is_alive():
                w.process.kill()
                w.process.join(5)
            with contextlib.suppress(OSError):
                w.conn.close()
        self.workers = []


class InlinePool(WorkerPool):
    """The same protocol answered in this process (``jobs=0``: tests and debugging, no parallelism)."""

    def __init__(self, init: Callable[[Any], Any], payload: Any, handle: Any, close: Any) -> None:
        self.state = init(payload)
        self.handle, self.close_state = handle, close
        self.workers = [Worker(None, None)]  # type: ignore[arg-type]
        self.replies: list[tuple[Worker, Any, str, Any]] = []
        self.restarts = 0
        self.peak_rss_mb = 0.0
        self.retired = []

    def resize(self, jobs: int) -> None:
        pass

    def send(self, worker: Worker, task: Any, message: Any) -> None:
        worker.task = task
        try:
            reply = ("ok", self.handle(self.state, message))
        except Exception as exc:
            reply = ("error", f"{type(exc).__name__}: {exc}")
        self.replies.append((worker, task, *reply))

    def poll(self, timeout: float) -> list[tuple[Worker, Any, str, Any]]:
        out, self.replies = self.replies, []
        for w, *_ in out:
            w.task = None
        self.peak_rss_mb = peak_rss_mb()
        return out

    def close(self, terminate: bool = False) -> None:
        if self.workers:
            self.close_state(self.state)
        self.workers = []


def make_pool(jobs: int, init: Callable[[Any], Any], payload: Any, handle: Any, close: Any) -> WorkerPool:
    """``jobs`` worker processes, or ``InlinePool`` for 0."""
    if jobs == 0:
        return InlinePool(init, payload, handle, close)
    return WorkerPool(jobs, init, payload, handle, close)


def cap_jobs(jobs: int, tasks: int | None = None) -> int:
    """``jobs`` capped at ``MAX_JOBS``, at 4 per CPU, and at ``tasks`` (pieces of work) when known; 0 stays 0
    (in this process)."""
    if jobs <= 0:
        return 0
    cap = min(jobs, MAX_JOBS, 4 * default_jobs())
    return max(1, min(cap, tasks)) if tasks is not None else cap


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1
