"""Shared test setup: make ``tests/factories.py`` importable as ``factories`` from any test directory."""

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
