"""Build the template workbook (perfeval-xl template)."""

from __future__ import annotations

from pathlib import Path

from ..files import atomic_path
from ..layout.template import template_book
from ..rules.config import DEFAULT_RULES, RuleSet
from .render_xlsxwriter import render_book

DEFAULT_TEMPLATE_NAME = "预算绩效自评模板.xlsx"


def build_template(out: Path, rules: RuleSet = DEFAULT_RULES) -> Path:
    """Write the empty template to ``out`` atomically and return it."""
    with atomic_path(out) as tmp:
        render_book(template_book(rules), tmp)
    return out
