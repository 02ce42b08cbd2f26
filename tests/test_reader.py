"""The reader's parts in isolation: cell scanning (xlsx/cells.py), the package's limits (xlsx/package.py),
the header check (xlsx/read.py). The corpus of whole workbooks is tests/test_books.py."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import pytest

from perfeval_xl.layout import fields as F
from perfeval_xl.xlsx import cells as C
from perfeval_xl.xlsx import package as P
from perfeval_xl.xlsx.read import HEADER_ALIASES, WorkbookError, check_header, read_workbook

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def sheet(rows: str, tail: str = "") -> bytes:
    return f'<?xml version="1.0"?><worksheet xmlns="{MAIN}"><sheetData>{rows}</sheetData>{tail}</worksheet>'.encode()


SST = (
    f'<sst xmlns="{MAIN}"><si><t>甲</t></si><si><r><t>乙</t></r><r><rPr><b/></rPr><t xml:space="preserve"> 丙</t></r>'
    "<rPh><t>カナ</t></rPh></si><si><t>a_x000D_b&amp;c</t></si></sst>"
).encode()
STYLES = (
    f'<styleSheet xmlns="{MAIN}"><numFmts count="1"><numFmt numFmtId="170" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts>'
    '<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="170"/><xf numFmtId="14"/></cellXfs></styleSheet>'
).encode()
ROWS = (
    '<row r="2"><c r="A2"><v>7</v></c><c r="B2" t="s"><v>1</v></c><c r="C2" s="1"><v>45485</v></c>'
    '<c r="D2" t="b"><v>1</v></c><c r="E2" t="e"><v>#DIV/0!</v></c><c r="F2" t="inlineStr"><is><r><t>行</t></r><r><t>内</t></r></is></c>'
    '<c r="G2" t="str"><f>"x"&amp;"y"</f><v>xy</v></c><c r="H2"><f>1+1</f></c><c r="I2" t="s"><v>2</v></c>'
    '<c r="J2" t="d"><v>2024-07-12T00:00:00</v></c><c r="K2" s="2"><v>2.5</v></c><c r="L2"><v>0.1</v></c></row>'
    '<row r="9"><c r="B9" s="0"/><c r="C9"><v>3</v></c></row>'
)


def decoder(date1904: bool = False) -> C._Decoder:
    return C.make_decoder(C.SharedStrings(SST), C.CellFormats(STYLES), date1904)


def values(xml: bytes, letters: str = "ABCDEFGHIJKL", **kw: object) -> dict[str, object]:
    cells = C.scan(xml, letters, decoder(), **kw).cells  # type: ignore[arg-type]
    return {f"{C.col_name(c)}{r}": v for (r, c), v in cells.items()}


def test_cell_values_of_every_kind() -> None:
    got = values(sheet(ROWS))
    assert got["A2"] == C.RawCell(7) and got["B2"] == C.RawCell("乙 丙")  # rich text, phonetic run left out
    assert got["C2"].value == dt.datetime(2024, 7, 12)  # a custom Chinese date format
    assert got["D2"].value is True and got["E2"].value == "#DIV/0!"
    assert got["F2"].value == "行内"
    assert got["G2"] == C.RawCell("xy", '"x"&"y"', True)
    assert got["H2"] == C.RawCell(None, "1+1", False)  # a formula without a stored result
    assert got["I2"].value == "a\rb&c"  # _x000D_ and entities decoded
    assert got["J2"].value == dt.datetime(2024, 7, 12)
    assert got["K2"].value == dt.datetime(1900, 1, 2, 12)  # built-in date format 14; serial 1 is 1900-01-01
    assert got["L2"].value == 0.1 and "B9" not in got and got["C9"].value == 3


def test_the_general_path_reads_what_the_fast_path_reads() -> None:
    """Cells without references, or with the reference not first, or a prefixed sheet: same cells."""
    fast = values(sheet(ROWS))
    no_refs = re.sub(
        r'<c r="[A-Z]+\d+"', "<c", ROWS.replace('<row r="9"><c r="B9" s="0"/>', '<row r="9"><c/><c s="0"/>')
    )
    assert values(sheet(no_refs)) == fast
    moved = re.sub(r'<c r="([A-Z]+\d+)"((?: s="\d+")?)((?: t="\w+")?)>', r'<c\2\3 r="\1">', ROWS)
    assert values(sheet(moved)) == fast
    prefixed = sheet(ROWS).decode()
    prefixed = re.sub(r"<(/?)(?=[a-z])", r"<\1x:", prefixed).replace(f'xmlns="{MAIN}"', f'xmlns:x="{MAIN}"')
    assert values(prefixed.encode()) == fast


def test_dates_in_the_1904_system() -> None:
    cells = C.scan(sheet('<row r="1"><c r="A1" s="1"><v>44023</v></c></row>'), "A", decoder(True)).cells
    assert cells[(1, 1)].value == dt.datetime(2024, 7, 12)


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ('<c r="B3" t="s"><v>3</v></c>', "B3 引用了不存在的共享字符串（第 3 个，共 3 个）"),
        ('<c r="B3"><v>1E999</v></c>', "B3 的数值“1E999”超出范围"),
        ('<c r="B3"><v>NaN</v></c>', "B3 的数值“NaN”超出范围"),
        ('<c r="B3"><v>12,5</v></c>', "B3 的数值“12,5”不是数字"),
        ('<c r="B3" t="d"><v>昨天</v></c>', "B3 的日期“昨天”无法识别"),
        ('<c r="B3" t="zz"><v>1</v></c>', "B3 的类型“zz”无法识别"),
    ],
)
def test_damaged_cells_name_themselves(cell: str, message: str) -> None:
    with pytest.raises(C.CellError, match=re.escape(message)):
        C.scan(sheet(f'<row r="3">{cell}</row>'), "B", decoder())


def test_a_row_too_far_stops_the_scan_there() -> None:
    rows = "".join(f'<row r="{r}"><c r="D{r}"><v>{r}</v></c></row>' for r in range(1, 50))
    with pytest.raises(C.RowLimit) as raised:
        C.scan(sheet(rows), "D", decoder(), stop_row=20)
    assert raised.value.row == 20
    far = sheet(
        '<row r="1"><c r="D1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    )
    assert set(C.scan(far, "D", decoder(), stop_row=20).cells) == {(1, 4)}  # a far value elsewhere: nothing


def test_merges_and_the_dimension() -> None:
    xml = sheet(ROWS, '<mergeCells count="2"><mergeCell ref="B4:B8"/><mergeCell ref="$C$1:D2"/></mergeCells>')
    xml = xml.replace(b"<sheetData>", b'<dimension ref="A1:A1"/><sheetData>')  # a dimension that lies
    found = C.scan(xml, "ABCDEFGHIJKL", decoder())
    assert found.merges == [(4, 2, 8, 2), (1, 3, 2, 4)] and len(found.cells) == 13


@pytest.mark.parametrize(
    ("code", "is_date"),
    [
        ('yyyy"年"m"月"d"日"', True),
        ("[$-804]yyyy/m/d", True),
        ("[h]:mm", True),
        ("0.00%", False),
        ("#,##0.00", False),
        ("@", False),
        ('"m"0', False),
        ("General", False),
    ],
)
def test_date_formats(code: str, is_date: bool) -> None:
    assert C.is_date_format(code) is is_date


# ------------------------------------------------------------------------------------------ the package


def zip_with(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def minimal(sheet_xml: bytes) -> dict[str, bytes]:
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    return {
        "_rels/.rels": f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'.encode(),
        "xl/workbook.xml": f'<workbook xmlns="{MAIN}" xmlns:r="{rel}"><sheets><sheet name="A" sheetId="1" r:id="rId1"/></sheets></workbook>'.encode(),
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'.encode(),
        "xl/worksheets/sheet1.xml": sheet_xml,
    }


def test_part_limits_are_checked_before_inflating(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = zip_with(tmp_path / "a.xlsx", minimal(sheet(b"".join([b" "] * 3_000_000).decode())))
    with P.Package(path) as pkg:
        assert [s.name for s in pkg.sheets] == ["A"] and pkg.sheets[0].part == "xl/worksheets/sheet1.xml"
        with pytest.raises(WorkbookError, match="压缩炸弹"):
            pkg.read("xl/worksheets/sheet1.xml")  # 3 MB of blanks: over 200:1
    monkeypatch.setattr(P, "MAX_PART_BYTES", 1000)
    with P.Package(path) as pkg, pytest.raises(WorkbookError, match="超过 0 MiB"):
        pkg.read("xl/worksheets/sheet1.xml")


def test_the_strict_flavour_is_recognised(tmp_path: Path) -> None:
    parts = {
        n: d.replace(MAIN.encode(), P.STRICT.main.encode()).replace(
            b"http://schemas.openxmlformats.org/officeDocument/2006/relationships", P.STRICT.rel.encode()
        )
        for n, d in minimal(sheet("")).items()
    }
    with P.Package(zip_with(tmp_path / "s.xlsx", parts)) as pkg:
        assert pkg.ns is P.STRICT and pkg.sheets[0].part == "xl/worksheets/sheet1.xml"
        assert (
            pkg.ns.rel_type("comments") == "http://purl.oclc.org/ooxml/officeDocument/relationships/comments"
        )


# ------------------------------------------------------------------------------------------ the header


def template_headers() -> list[str]:
    return [c.header for c in F.COLUMNS if c.letter <= "M"]


def test_header_texts_are_compared_loosely_and_aliases_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    headers = template_headers()
    check_header([h.replace("（", "(").replace("）", ")") + " " for h in headers], "x.xlsx")
    weight = next(i for i, c in enumerate(F.COLUMNS) if c.key == "weight")
    changed = list(headers)
    changed[weight] = "指标权重"  # the chongqing-bmzt scheme's label for 分值
    check_header(changed, "x.xlsx")
    changed[weight] = "权数"
    with pytest.raises(WorkbookError, match="J3 应为“分值”，实为“权数”"):
        check_header(changed, "x.xlsx")
    monkeypatch.setitem(HEADER_ALIASES, "weight", ("权数",))
    check_header(changed, "x.xlsx")


def test_reading_leaves_no_file_open(tmp_path: Path) -> None:
    """A refused file is closed again (Windows could not delete or replace it otherwise)."""
    path = zip_with(tmp_path / "a.xlsx", minimal(sheet("")))
    with pytest.raises(WorkbookError, match="不是 perfeval-xl 自评工作簿"):
        read_workbook(path)
    path.unlink()
