"""Build the template workbook (perfeval-xl template)."""

from __future__ import annotations

from pathlib import Path

from ..files import atomic_path
from ..layout.template import template_book
from ..rules.scheme import Scheme, default_scheme
from .render_xlsxwriter import render_book

DEFAULT_TEMPLATE_NAME = "预算绩效自评模板.xlsx"


def build_template(out: Path, scheme: Scheme | None = None) -> Path:
    """Write the empty template of ``scheme`` (national by default) to ``out`` atomically and return it."""
    with atomic_path(out) as tmp:
        render_book(template_book(scheme or default_scheme()), tmp)
    return out
