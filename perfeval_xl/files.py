"""Safe file writes: a temporary file beside the target, renamed into place only when complete."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


class OutputExists(FileExistsError):
    """The output exists and ``--force`` was not given."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"文件 {path} 已存在；如需覆盖请加 --force，或用 -o 指定其他文件名。")
        self.path = path


def check_output(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise OutputExists(path)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path in ``target``'s folder; rename it onto ``target`` if the block succeeds.

    On any error (or Ctrl-C) the temporary file is removed and ``target`` is untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=target.suffix + ".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual mode
        os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def atomic_write_bytes(out: Path, data: bytes) -> Path:
    """Write ``data`` to ``out`` through a temporary file in the same folder, then rename."""
    with atomic_path(Path(out)) as tmp:
        tmp.write_bytes(data)
    return Path(out)
