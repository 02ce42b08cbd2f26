"""What is committed under workbooks/ is what the code builds (it cannot drift from the sources)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from perfeval_xl.csvin import read_csv
from perfeval_xl.rules.scoring import score
from perfeval_xl.service import evaluate_book
from perfeval_xl.xlsx.build import build_template

WORKBOOKS = Path(__file__).resolve().parent.parent / "workbooks"


def cells(path: Path) -> dict[str, dict[str, object]]:
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        out[ws.title] = {
            c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None
        } | {"merged": sorted(str(r) for r in ws.merged_cells.ranges)}
    out["names"] = {k: v.attr_text for k, v in wb.defined_names.items()}
    return out


@pytest.mark.parametrize("name", ["预算绩效自评模板.xlsx", "预算绩效自评模板.xlsm"])
def test_committed_template_is_what_the_builder_makes(name: str, tmp_path: Path) -> None:
    fresh = build_template(tmp_path / "fresh.xlsx")
    assert cells(WORKBOOKS / name) == cells(fresh), (
        f"rebuild with: perfeval-xl template {'--macro ' if name.endswith('m') else ''}-o workbooks/{name} --force"
    )


def test_committed_examples_are_the_example_csv() -> None:
    units = read_csv(WORKBOOKS / "examples" / "seed_2023.csv").units
    books = sorted((WORKBOOKS / "examples").glob("*.xlsx"))
    assert len(books) == len(units) == 2
    expected = {(u.evaluation.unit_code, u.evaluation.subject): score(u.evaluation).total for u in units}
    got = {}
    for book in books:
        outcome = evaluate_book(book)
        got[(outcome.evaluation.unit_code, outcome.evaluation.subject)] = outcome.scores.total
        assert outcome.errors == 0
    assert got == expected
    assert sorted(str(t) for t in got.values()) == ["94.00", "96.00"]  # the seed's self-score 94
