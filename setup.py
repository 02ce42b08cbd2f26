"""Packaging hook: ship ``macros/`` (the VBA and ribbon sources kept at the repository root) inside the
package as ``perfeval_xl/data/macros``, so ``perfeval-xl template --macro`` works from an installed wheel.
Everything else is in pyproject.toml."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

MACROS = Path(__file__).resolve().parent / "macros"


class BuildPyWithMacros(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "perfeval_xl" / "data" / "macros"
        self.mkpath(str(target))
        for source in sorted(MACROS.iterdir()):
            if source.suffix in (".bas", ".xml"):
                self.copy_file(str(source), str(target / source.name))


setup(cmdclass={"build_py": BuildPyWithMacros})
