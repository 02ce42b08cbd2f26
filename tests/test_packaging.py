"""The wheel carries what an installed perfeval-xl needs outside a checkout (macros/ for template --macro)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", str(ROOT), "-w", str(out)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (path,) = out.glob("perfeval_xl-*.whl")
    return path


def test_the_wheel_carries_the_macro_sources_unchanged(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        for source in ("PerfEval.bas", "customUI.xml"):
            assert f"perfeval_xl/data/macros/{source}" in names
            assert z.read(f"perfeval_xl/data/macros/{source}") == (ROOT / "macros" / source).read_bytes()
        assert "perfeval_xl/data/uno_runner.py" in names


def test_template_macro_works_from_the_installed_package(wheel: Path, tmp_path: Path) -> None:
    # The wheel unpacked away from the checkout stands in for site-packages: no macros/ beside it.
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(site)
    out = tmp_path / "模板.xlsm"
    code = (
        "import sys; from pathlib import Path\n"
        "from perfeval_xl.xlsx import macro\n"
        f"assert Path(macro.__file__).is_relative_to({str(site)!r}), macro.__file__\n"
        "print(macro.MACROS_DIR)\n"
        "from perfeval_xl.cli import app\n"
        f"sys.argv = ['perfeval-xl', 'template', '--macro', '-o', {str(out)!r}]\n"
        "app()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.splitlines()[0]) == site / "perfeval_xl" / "data" / "macros"
    with zipfile.ZipFile(out) as z:
        assert "xl/vbaProject.bin" in z.namelist()
