"""Safe file writes: a temporary file beside the target, renamed into place only when complete.

Also the checks every write path shares: an output that exists (``check_output``), a read-only file
(``check_writable``: refused, never made writable), a folder where a file should be (``check_file_target``),
and the lock a batch run holds on its output folder (``folder_lock``).

Temporary names are short and carry the writer's process id: ``.perfeval-<pid>-<random><suffix>.tmp``
(under 40 bytes, whatever the target's name: an 80-character Chinese name is 240 bytes of UTF-8, and a
name may have 255). ``sweep_temporary`` removes only those whose process is gone, so a run never deletes
the temporary file of another run that is still writing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import os
import re
import secrets
import socket
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

TEMP_PREFIX = ".perfeval-"
_TEMP_RE = re.compile(r"^\.perfeval-(\d+)-[0-9a-f]+(\.[^.]*)?\.tmp$")
LOCK_NAME = ".perfeval-xl.lock"


class OutputExists(FileExistsError):
    """The output exists and ``--force`` was not given."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"文件 {path} 已存在；如需覆盖请加 --force，或用 -o 指定其他文件名。")
        self.path = path


class NotWritable(OSError):
    """The target is read-only (or a folder): refused, with the reason in Chinese. An OSError (so a batch
    run reports it per unit) but not a PermissionError, which callers take for "open in Excel"."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(errno.EACCES, message, str(path))
        self.path = path
        self.message = message

    def __str__(self) -> str:
        return self.message


def check_output(path: Path, force: bool) -> None:
    """Refuse an existing ``path`` without ``force``; a folder or a read-only file even with it."""
    check_file_target(path)
    if path.exists() and not force:
        raise OutputExists(path)
    check_writable(path)


def check_file_target(path: Path) -> None:
    """A folder (or a special file) where a file should be written: NotWritable."""
    path = Path(path)
    if path.is_dir():
        raise NotWritable(
            path, f"{path} 是一个文件夹，不能写成文件；请用 -o 给出文件名（如 {path / '汇总.xlsx'}）。"
        )
    if path.exists() and not path.is_file():
        raise NotWritable(path, f"{path} 不是普通文件（设备或管道），不能写入；请用 -o 指定其他文件名。")


def is_read_only(path: Path) -> bool:
    """The file exists and is read-only (no write permission bit: Windows' 只读 attribute, chmod a-w)."""
    try:
        mode = Path(path).stat().st_mode
    except OSError:
        return False
    return stat.S_ISREG(mode) and not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def check_writable(path: Path) -> None:
    """Refuse to replace a read-only file (NotWritable, Chinese). Renaming a new file over it would work
    on Linux and quietly make it writable; a clerk or an archive set it read-only on purpose."""
    path = Path(path)
    if is_read_only(path):
        raise NotWritable(
            path,
            f"{path} 是只读文件，未修改（本工具不会改动只读文件）。如确需写入，请先在文件“属性”中取消“只读”，"
            "或用 -o 另存为新文件。",
        )


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def temporary_name(suffix: str = "") -> str:
    """``.perfeval-<pid>-<random><suffix>.tmp``: short, hidden, and tells whose it is."""
    suffix = suffix if len(suffix.encode()) <= 16 else ""
    return f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}{suffix}.tmp"


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path in ``target``'s folder; rename it onto ``target`` if the block succeeds.

    On any error (or Ctrl-C) the temporary file is removed and ``target`` is untouched. A read-only
    ``target`` or a folder in its place is refused before anything is written (NotWritable).
    """
    target = Path(target)
    check_file_target(target)
    check_writable(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    while True:
        tmp_path = target.parent / temporary_name(target.suffix)
        try:
            fd = os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            break
        except FileExistsError:
            continue
    os.close(fd)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_umask())  # created 0600; outputs get the usual mode
        os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise


def atomic_write_bytes(out: Path, data: bytes) -> Path:
    """Write ``data`` to ``out`` through a temporary file in the same folder, then rename."""
    with atomic_path(Path(out)) as tmp:
        tmp.write_bytes(data)
    return Path(out)


# ------------------------------------------------------------------------------------------ processes


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (on Windows without touching it: os.kill would end it)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":  # pragma: no cover - Windows only
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return kernel32.GetLastError() == 5  # access denied: it exists
        code = ctypes.c_ulong()
        kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_temporary(folder: Path) -> int:
    """Remove the temporary files (``temporary_name``) in ``folder`` whose process is gone; how many."""
    stale: list[str] = []
    try:
        with os.scandir(folder) as entries:  # one entry at a time: a folder of 100 000 workbooks is no list
            for entry in entries:
                found = _TEMP_RE.match(entry.name) if entry.name.startswith(TEMP_PREFIX) else None
                if found and not pid_alive(int(found[1])):
                    stale.append(entry.path)
    except OSError:
        return 0
    removed = 0
    for path in stale:
        with contextlib.suppress(OSError):
            os.unlink(path)
            removed += 1
    return removed


# ------------------------------------------------------------------------------------------ folder lock


class FolderBusy(RuntimeError):
    """Another run holds the folder's lock; the message (Chinese) names it."""


def _try_lock(fh: object) -> bool:
    fd = fh.fileno()  # type: ignore[attr-defined]
    try:
        if sys.platform == "win32":  # pragma: no cover - Windows only
            import msvcrt

            os.lseek(fd, 1 << 30, os.SEEK_SET)  # a byte past the text, so the holder's details stay readable
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        info = {}
    if not isinstance(info, dict) or "pid" not in info:
        return "另一个进程"
    where = "" if info.get("host") in (None, socket.gethostname()) else f"，计算机 {info['host']}"
    return f"进程 {info['pid']}（{info.get('command', 'perfeval-xl')}，开始于 {info.get('started', '?')}{where}）"


@contextlib.contextmanager
def folder_lock(folder: Path, command: str = "fill") -> Iterator[Path]:
    """Hold ``folder/.perfeval-xl.lock`` for the block; FolderBusy if another run holds it.

    The lock is the operating system's (flock on Linux, msvcrt.locking on Windows) on that file, so it
    goes with its process: the lock of a run that died (killed, power cut) is free at once and the next
    run takes it over. The file holds the holder's process id, command and start time for the message.
    """
    folder = Path(folder)
    path = folder / LOCK_NAME
    for _ in range(10):
        fh = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held open for the block
        if not _try_lock(fh):
            fh.close()
            raise FolderBusy(
                f"输出目录 {folder} 正被另一次运行使用：{_holder(path)}。两次运行同时写一个目录会互相干扰，"
                "请等它结束后再运行，或用 -o 指定另一个目录。"
            )
        try:  # the file may have been removed by its last holder between our open and our lock
            if os.stat(path).st_ino == os.fstat(fh.fileno()).st_ino:
                break
        except FileNotFoundError:
            pass
        fh.close()
    else:  # pragma: no cover - ten races in a row
        raise FolderBusy(f"无法锁定输出目录 {folder}；请稍后重试。")
    try:
        fh.seek(0)
        fh.truncate()
        started = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S")
        fh.write(
            json.dumps(
                {
                    "pid": os.getpid(),
                    "command": f"perfeval-xl {command}",
                    "started": started,
                    "host": socket.gethostname(),
                },
                ensure_ascii=False,
            )
        )
        fh.flush()
        yield path
    finally:
        with contextlib.suppress(OSError):
            path.unlink()  # before the lock goes: a waiting run then locks a new file (checked above)
        fh.close()


# ------------------------------------------------------------------------------------------ messages

_OS_ERRORS = {
    errno.ENOSPC: "磁盘空间不足",
    errno.EDQUOT: "磁盘配额已用完",
    errno.EACCES: "没有写入权限（文件夹只读，或文件正在 Excel/WPS 中打开）",
    errno.EPERM: "没有权限",
    errno.EROFS: "磁盘或文件夹是只读的",
    errno.ENOTDIR: "路径中有一段是文件而不是文件夹",
    errno.EISDIR: "这是一个文件夹，不是文件",
    errno.ENAMETOOLONG: "文件名或路径过长",
    errno.ENOENT: "找不到文件或文件夹",
    errno.EEXIST: "已存在同名的文件或文件夹",
    errno.EIO: "磁盘读写出错",
    errno.EMFILE: "同时打开的文件过多",
}


def describe_os_error(exc: OSError) -> str:
    """An operating-system error in Chinese, with the file it is about: ``磁盘空间不足（D:\\报表\\x.xlsx）``."""
    if isinstance(exc, NotWritable):
        return exc.message
    what = _OS_ERRORS.get(exc.errno or 0) or (
        f"系统错误：{exc.strerror}" if exc.strerror else f"系统错误：{exc}"
    )
    name = exc.filename
    if name and Path(str(name)).name.startswith(TEMP_PREFIX):
        name = Path(str(name)).parent  # a temporary file's name means nothing to a clerk: its folder does
    return f"{what}（{name}）" if name else what
