"""xlsx.zippack: zip files from parts compressed ahead of time, read back by every reader we know."""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest
from factories import valid_evaluation
from python_calamine import CalamineWorkbook

from perfeval_xl.layout import fields as F
from perfeval_xl.service import evaluate
from perfeval_xl.xlsx import zippack
from perfeval_xl.xlsx.fastfill import CompiledTemplate


def test_pack_round_trips_through_zipfile() -> None:
    parts = {
        "[Content_Types].xml": b"<Types/>",
        "xl/worksheets/sheet1.xml": b"<row>" * 5000,
        "docProps/说明.xml": "中文名称".encode() * 100,  # a non-ASCII name: UTF-8 flag
        "empty.xml": b"",
    }
    packed = [
        (name, zippack.deflate(data, level))
        for (name, data), level in zip(parts.items(), (0, 1, 3, zippack.BEST), strict=True)
    ]
    blob = zippack.pack(packed)
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        assert z.testzip() is None
        assert z.namelist() == list(parts)
        for info in z.infolist():
            assert z.read(info) == parts[info.filename]
            assert info.compress_type == zipfile.ZIP_DEFLATED
            assert zlib.crc32(parts[info.filename]) == info.CRC
            assert info.date_time == (1980, 1, 1, 0, 0, 0)


def test_a_deflated_part_is_stored_as_it_is() -> None:
    part = zippack.deflate(b"<styleSheet/>" * 300, zippack.BEST)
    blob = zippack.pack([("xl/styles.xml", part)])
    assert part.data in blob
    damaged = zippack.Deflated(part.data, part.crc ^ 1, part.size)  # a wrong CRC is caught by readers
    with zipfile.ZipFile(io.BytesIO(zippack.pack([("x.xml", damaged)]))) as z:
        assert z.testzip() == "x.xml"


def test_an_open_head_and_a_tail_compressed_alone_make_one_part() -> None:
    head, tail = b"<sheetData><row r='1'/>" * 200, b"<row r='9'/></sheetData>" * 300
    joined = zippack.join(zippack.deflate_open(head), zippack.deflate(tail, zippack.BEST))
    assert zlib.decompressobj(-15).decompress(joined.data) == head + tail
    assert joined.crc == zlib.crc32(head + tail) and joined.size == len(head + tail)
    with zipfile.ZipFile(io.BytesIO(zippack.pack([("sheet.xml", joined)]))) as z:
        assert z.testzip() is None and z.read("sheet.xml") == head + tail


@pytest.fixture(scope="module")
def compiled() -> CompiledTemplate:
    return CompiledTemplate()


def test_filled_workbooks_share_the_compressed_unchanged_parts(
    compiled: CompiledTemplate, tmp_path: Path
) -> None:
    ev = valid_evaluation()
    outcome = evaluate(ev, use_rows=False)
    one = compiled.write(ev, tmp_path / "a.xlsx", findings=outcome.findings, scores=outcome.scores)
    ev.unit_name = "另一个单位"
    two = compiled.write(ev, tmp_path / "b.xlsx", findings=outcome.findings, scores=outcome.scores)
    styles = zippack.deflate(dict(compiled.parts(ev))["xl/styles.xml"], zippack.BEST)
    for path in (one, two):
        assert styles.data in path.read_bytes()  # compressed once, at zlib's best level
        with zipfile.ZipFile(path) as z:
            assert z.testzip() is None
    assert openpyxl.load_workbook(two)[F.INFO][F.FIELD_BY_KEY["unit_name"].cell].value == "另一个单位"
    sheet = CalamineWorkbook.from_path(str(two)).get_sheet_by_name(F.INFO).to_python(skip_empty_area=False)
    assert any("另一个单位" in (str(v) for v in row) for row in sheet)


def test_every_part_reads_back_as_built(compiled: CompiledTemplate, tmp_path: Path) -> None:
    """Spliced sheets (changed rows compressed per unit, the unchanged end once) inflate to the sheet."""
    for k, drop in enumerate((0, 1, 0)):  # the third reuses the compressed end of the first
        ev = valid_evaluation()
        ev.indicators = ev.indicators[: len(ev.indicators) - drop]
        outcome = evaluate(ev, use_rows=False)
        parts = compiled.parts(
            ev, findings=outcome.findings, scores=outcome.scores, modified="2024-01-01T00:00:00Z"
        )
        path = compiled.write(
            ev,
            tmp_path / f"{k}.xlsx",
            findings=outcome.findings,
            scores=outcome.scores,
            modified="2024-01-01T00:00:00Z",
        )
        with zipfile.ZipFile(path) as z:
            assert z.testzip() is None
            stored = {name: z.read(name) for name in z.namelist()}
        for name, data in parts:
            if name != f"xl/worksheets/sheet{F.SHEETS.index(F.FINDINGS) + 1}.xml":  # stamped with the minute
                assert stored[name] == data, name
