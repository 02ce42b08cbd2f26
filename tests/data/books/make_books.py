"""Workbooks as the field saves them, and hostile or damaged ones (issues 11 and 12), built by code.

``build(folder)`` writes every corpus workbook into ``folder`` and returns {name: path}; ``CASES`` says
what every command must answer for each (``Expect``). Nothing here is committed as a binary: the tests
build the corpus in a session fixture (tests/test_books.py), the benchmark builds the hostile files at
full size (benchmarks/bench_read.py), and ``python tests/data/books/make_books.py DIR`` writes them for a
person to open.

The starting point is ``base.xlsx``: a valid 部门整体 evaluation (tests/factories.py) with one missing
偏差原因 (an error on 绩效指标!M9), written by the batch writer with its marks and 自评表, as ``fill``
delivers it. Each case changes it the way a program or a clerk does, at the level of the file's parts:

- saved by LibreOffice (a round trip through ``soffice --convert-to xlsx``: shared strings, its styles,
  formulas with cached values, authors dropped from notes);
- a ``<dimension>`` smaller than the data; Strict Open XML namespaces; element names with a prefix;
  cells without references;
- formulas typed into input cells, with a stored result and without one;
- 一级/二级 merged down their groups as the official table shows them;
- a date in the 1900 and in the 1904 date system; shared, inline and rich-text strings (with phonetic
  runs);
- a picture (a PNG seal) and a shape on the 自评表, a chart on 基本信息; an x14 dropdown whose list is on
  a sheet the clerk added; a note of the clerk's on the cell we mark; a threaded comment; a conditional
  format; printer settings; VBA and the ribbon (.xlsm);
- rows inserted into and deleted from the indicator block; input sheets renamed, and our other sheets
  renamed or deleted;
- hostile and damaged files (``hostile``): a zip bomb, a million filled rows, a value in XFD1048576 and
  one in D1048576, a part whose zip directory lies about its size, a shared-string index out of range, a
  number stored as 1E999, a corrupt deflate stream.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))  # tests/, for factories

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
STRICT_REL = "http://purl.oclc.org/ooxml/officeDocument/relationships"

# Sheet parts of the batch writer's workbooks (the template's order).
INFO_PART = "xl/worksheets/sheet2.xml"
IND_PART = "xl/worksheets/sheet3.xml"
SUMMARY_PART = "xl/worksheets/sheet5.xml"
FINDINGS_PART = "xl/worksheets/sheet6.xml"


@dataclass(frozen=True)
class Expect:
    """What every command must say about a corpus workbook.

    ``unusable``: a regular expression the WorkbookError's message matches (exit 2 in validate, score,
    summary, report, pdf; listed under 无法读取 by collect). Otherwise: the model equals the base's, except
    ``changes`` (attribute path → value; ``rows`` is the indicators' sheet rows; ``names`` their names), and
    the findings are the base's plus ``added`` (code, sheet, cell) and minus ``removed``.
    ``writes``: False when validate --mark must refuse the file (with ``write_error``); ``summary_writes``
    likewise for summary.
    """

    unusable: str = ""
    changes: dict[str, object] = field(default_factory=dict)
    added: frozenset[tuple[str, str, str]] = frozenset()
    removed: frozenset[tuple[str, str, str]] = frozenset()
    writes: bool = True
    write_error: str = ""
    summary_writes: bool = True
    needs_soffice: bool = False


# ------------------------------------------------------------------------------------------ parts


def read_parts(path: Path) -> dict[str, bytes]:
    """Every part of a zip, in order."""
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def deflated(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, (2024, 7, 12, 9, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def write_parts(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            info = zipfile.ZipInfo(name, (2024, 7, 12, 9, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return path


def edit(parts: dict[str, bytes], name: str, change: Callable[[str], str]) -> None:
    parts[name] = change(parts[name].decode()).encode()


def add_content_type(parts: dict[str, bytes], xml: str) -> None:
    edit(parts, "[Content_Types].xml", lambda ct: ct.replace("</Types>", xml + "</Types>"))


def add_rel(parts: dict[str, bytes], source: str, rid: str, kind: str, target: str, base: str = REL) -> None:
    folder, name = source.rsplit("/", 1) if "/" in source else ("", source)
    rels = f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"
    element = f'<Relationship Id="{rid}" Type="{base}/{kind}" Target="{target}"/>'
    if rels in parts:
        edit(parts, rels, lambda x: x.replace("</Relationships>", element + "</Relationships>"))
    else:
        parts[rels] = (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{PKG_REL}">{element}</Relationships>'
        ).encode()


def sheet_child(xml: str, element: str, before: tuple[str, ...]) -> str:
    """Insert ``element`` into a worksheet before the first of ``before`` present (else at the end)."""
    at = min((p for p in (xml.find(f"<{t}") for t in before) if p >= 0), default=xml.rindex("</worksheet>"))
    return xml[:at] + element + xml[at:]


def add_sheet(parts: dict[str, bytes], name: str, part: str, xml: str, rid: str) -> None:
    parts[part] = xml.encode()
    add_content_type(
        parts,
        f'<Override PartName="/{part}" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>',
    )
    add_rel(parts, "xl/workbook.xml", rid, "worksheet", part.removeprefix("xl/"))
    edit(
        parts,
        "xl/workbook.xml",
        lambda w: w.replace(
            "</sheets>", f'<sheet name="{name}" sheetId="{40 + len(parts)}" r:id="{rid}"/></sheets>'
        ),
    )


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def set_cell(xml: str, ref: str, cell: str) -> str:
    """The sheet with cell ``ref`` replaced by ``cell`` (XML of a whole <c> element)."""
    pattern = re.compile(rf'<c r="{ref}"(?:[^>]*?/>|[^>]*?>.*?</c>)', re.S)
    assert pattern.search(xml), ref
    return pattern.sub(lambda m: cell, xml, count=1)


def style_of(xml: str, ref: str) -> str:
    m = re.search(rf'<c r="{ref}"[^>]*?\ss="(\d+)"', xml)
    return f' s="{m.group(1)}"' if m else ""


def png(size: int = 32) -> bytes:
    """A small red seal (a ring) as a PNG, built by hand."""
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            d = ((x - size / 2) ** 2 + (y - size / 2) ** 2) ** 0.5
            row += bytes((200, 20, 20, 255)) if size * 0.3 < d < size * 0.45 else bytes((255, 255, 255, 0))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


# ------------------------------------------------------------------------------------------ the base


def base_evaluation():  # type: ignore[no-untyped-def]
    from factories import valid_evaluation

    ev = valid_evaluation()
    ev.indicators[5].deviation_note = ""  # DEVIATION_NOTE_MISSING on 绩效指标!M9
    return ev


def make_base(path: Path) -> Path:
    from perfeval_xl.batch import compiled_template
    from perfeval_xl.rules.config import DEFAULT_RULES
    from perfeval_xl.service import evaluate

    ev = base_evaluation()
    outcome = evaluate(ev, use_rows=False)
    return compiled_template(DEFAULT_RULES).write(ev, path, findings=outcome.findings, scores=outcome.scores)


# ------------------------------------------------------------------------------------------ field cases


def wrong_dimension(parts: dict[str, bytes]) -> None:
    for part in (INFO_PART, IND_PART):
        edit(parts, part, lambda x: re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:C5"/>', x))


def strict(parts: dict[str, bytes]) -> None:
    """Excel's "Strict Open XML" save: other namespace URIs everywhere, ``conformance="strict"``."""
    for name, data in list(parts.items()):
        if name.endswith((".xml", ".rels", ".vml")):
            text = data.decode().replace(MAIN, STRICT_MAIN).replace(REL, STRICT_REL)
            if name == "xl/workbook.xml":
                text = text.replace("<workbook ", '<workbook conformance="strict" ', 1)
            parts[name] = text.encode()


def prefixed(parts: dict[str, bytes]) -> None:
    """Element names with a prefix (``<x:c>``), as some generators write them, on both input sheets."""

    def change(xml: str) -> str:
        xml = re.sub(r"<(/?)([A-Za-z][\w]*)(?=[\s>/])", r"<\1x:\2", xml)
        return xml.replace(f'xmlns="{MAIN}"', f'xmlns:x="{MAIN}"', 1)

    for part in (INFO_PART, IND_PART):
        edit(parts, part, change)


def no_references(parts: dict[str, bytes]) -> None:
    """Cells without ``r`` on 绩效指标 (positions implied by order; every row there is complete)."""
    edit(parts, IND_PART, lambda x: re.sub(r'<c r="[A-Z]+\d+"', "<c", x))


def formulas_cached(parts: dict[str, bytes]) -> None:
    """=1800+852.84 in 全年执行数 and =8+2 in a 分值, as Excel saves them (with their results)."""
    edit(
        parts,
        INFO_PART,
        lambda x: set_cell(x, "D14", f'<c r="D14"{style_of(x, "D14")}><f>1800+852.84</f><v>2652.84</v></c>'),
    )
    edit(
        parts, IND_PART, lambda x: set_cell(x, "J5", f'<c r="J5"{style_of(x, "J5")}><f>8+2</f><v>10</v></c>')
    )


def formula_uncached(parts: dict[str, bytes]) -> None:
    """A formula a program wrote without its result (no Excel ever saved the file)."""
    edit(
        parts,
        INFO_PART,
        lambda x: set_cell(x, "D14", f'<c r="D14"{style_of(x, "D14")}><f>1800+852.84</f></c>'),
    )


def merged_labels(parts: dict[str, bytes]) -> None:
    """一级 merged over each group (B4:B8, B9:B11) and 二级 数量指标 over C4:C5, the lower cells emptied."""

    def change(xml: str) -> str:
        for ref in ("B5", "B6", "B7", "B8", "B10", "B11", "C5"):
            xml = set_cell(xml, ref, f'<c r="{ref}"{style_of(xml, ref)}/>')
        merges = '<mergeCell ref="B4:B8"/><mergeCell ref="B9:B11"/><mergeCell ref="C4:C5"/>'
        m = re.search(r'<mergeCells count="(\d+)">', xml)
        if m:
            return xml.replace(m.group(0), f'<mergeCells count="{int(m.group(1)) + 3}">' + merges, 1)
        return sheet_child(
            xml,
            f'<mergeCells count="3">{merges}</mergeCells>',
            (
                "<phoneticPr",
                "<conditionalFormatting",
                "<dataValidations",
                "<hyperlinks",
                "<printOptions",
                "<pageMargins",
            ),
        )

    edit(parts, IND_PART, change)


def _date_style(parts: dict[str, bytes]) -> int:
    """Index of a cell format with the date format yyyy"年"m"月"d"日" (added to styles.xml)."""
    styles = parts["xl/styles.xml"].decode()
    code = "yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"
    m = re.search(r'<numFmts count="(\d+)">', styles)
    styles = styles.replace(
        m.group(0), f'<numFmts count="{int(m.group(1)) + 1}"><numFmt numFmtId="190" formatCode="{code}"/>', 1
    )
    m = re.search(r'<cellXfs count="(\d+)">', styles)
    count = int(m.group(1))
    styles = styles.replace(
        "</cellXfs>",
        '<xf numFmtId="190" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>',
        1,
    )
    styles = styles.replace(m.group(0), f'<cellXfs count="{count + 1}">', 1)
    parts["xl/styles.xml"] = styles.encode()
    return count


def date1900(parts: dict[str, bytes]) -> None:
    """填报日期 typed as a date: 2024-07-12 is serial 45485 in the 1900 system."""
    s = _date_style(parts)
    edit(parts, INFO_PART, lambda x: set_cell(x, "B11", f'<c r="B11" s="{s}"><v>45485</v></c>'))


def date1904(parts: dict[str, bytes]) -> None:
    """The same date in a workbook using the 1904 date system (serial 44023)."""
    s = _date_style(parts)
    edit(parts, INFO_PART, lambda x: set_cell(x, "B11", f'<c r="B11" s="{s}"><v>44023</v></c>'))
    edit(parts, "xl/workbook.xml", lambda w: re.sub(r"<workbookPr\b", '<workbookPr date1904="1"', w, count=1))


def shared_strings(parts: dict[str, bytes]) -> None:
    """The 绩效指标 text as shared strings (as Excel and LibreOffice store it), one of them rich text in
    two runs with a phonetic run, and 单位名称 as rich inline text."""
    old = parts["xl/sharedStrings.xml"].decode()  # the template's own strings stay where they are
    first = len(re.findall(r"<si>", old))
    items: list[str] = []

    def one(m: re.Match[str]) -> str:
        text = m.group(3)
        if text == "产出指标" and not any("<r>" in i for i in items):
            items.append(
                '<si><r><rPr><b/></rPr><t>产出</t></r><r><t>指标</t></r><rPh sb="0" eb="2"><t>チャンシュツ</t></rPh></si>'
            )
        else:
            items.append(f"<si><t>{text}</t></si>")
        return f'<c r="{m.group(1)}"{m.group(2)} t="s"><v>{first + len(items) - 1}</v></c>'

    pattern = r'<c r="([A-Z]+\d+)"((?: s="\d+")?) t="inlineStr"><is><t(?: xml:space="preserve")?>([^<]*)</t></is></c>'
    edit(parts, IND_PART, lambda x: re.sub(pattern, one, x))
    sst = old.replace("</sst>", "".join(items) + "</sst>")
    sst = re.sub(r'(count|uniqueCount)="\d+"', lambda m: f'{m.group(1)}="{first + len(items)}"', sst)
    parts["xl/sharedStrings.xml"] = sst.encode()
    edit(
        parts,
        INFO_PART,
        lambda x: set_cell(
            x,
            "B4",
            f'<c r="B4"{style_of(x, "B4")} t="inlineStr"><is><r><t>雷州市</t></r><r><rPr><b/></rPr><t>科工贸和信息化局</t></r></is></c>',
        ),
    )


def bomb_in_picture(parts: dict[str, bytes]) -> None:
    """The seal picture replaced by 32 MiB of zeros (a part no reader reads; ~1000× compression)."""
    pictures(parts)
    parts["xl/media/image1.png"] = bytes(32 << 20)


DRAWING_NS = 'xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart"'


def _anchor(col: int, row: int, body: str) -> str:
    return (
        f"<xdr:twoCellAnchor><xdr:from><xdr:col>{col}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{row}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>"
        f"<xdr:to><xdr:col>{col + 3}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{row + 6}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>"
        f"{body}<xdr:clientData/></xdr:twoCellAnchor>"
    )


def pictures(parts: dict[str, bytes]) -> None:
    """A seal (PNG picture) and a shape on the 自评表, a chart of 全年预算数/执行数 on 基本信息."""
    parts["xl/media/image1.png"] = png()
    pic = (
        '<xdr:pic><xdr:nvPicPr><xdr:cNvPr id="2" name="公章"/><xdr:cNvPicPr/></xdr:nvPicPr>'
        '<xdr:blipFill><a:blip r:embed="rId1"/><a:stretch><a:fillRect/></a:stretch></xdr:blipFill>'
        '<xdr:spPr><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr></xdr:pic>'
    )
    shape = (
        '<xdr:sp><xdr:nvSpPr><xdr:cNvPr id="3" name="签字框"/><xdr:cNvSpPr/></xdr:nvSpPr>'
        '<xdr:spPr><a:prstGeom prst="ellipse"><a:avLst/></a:prstGeom></xdr:spPr>'
        "<xdr:txBody><a:bodyPr/><a:p><a:r><a:t>已审核</a:t></a:r></a:p></xdr:txBody></xdr:sp>"
    )
    parts["xl/drawings/drawing1.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<xdr:wsDr {DRAWING_NS}>'
        + _anchor(6, 20, pic)
        + _anchor(1, 20, shape)
        + "</xdr:wsDr>"
    ).encode()
    add_rel(parts, "xl/drawings/drawing1.xml", "rId1", "image", "../media/image1.png")
    chart_frame = (
        '<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="4" name="预算图"/><xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr>'
        '<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm><a:graphic>'
        '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart"><c:chart r:id="rId1"/></a:graphicData>'
        "</a:graphic></xdr:graphicFrame>"
    )
    parts["xl/drawings/drawing2.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<xdr:wsDr {DRAWING_NS}>'
        + _anchor(6, 12, chart_frame)
        + "</xdr:wsDr>"
    ).encode()
    parts["xl/charts/chart1.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        '<c:chart><c:plotArea><c:layout/><c:barChart><c:barDir val="col"/><c:grouping val="clustered"/>'
        '<c:ser><c:idx val="0"/><c:order val="0"/><c:val><c:numRef><c:f>\'基本信息\'!$B$14:$D$14</c:f></c:numRef></c:val></c:ser>'
        '<c:axId val="1"/><c:axId val="2"/></c:barChart><c:catAx><c:axId val="1"/><c:scaling/><c:axPos val="b"/><c:crossAx val="2"/></c:catAx>'
        '<c:valAx><c:axId val="2"/><c:scaling/><c:axPos val="l"/><c:crossAx val="1"/></c:valAx></c:plotArea></c:chart></c:chartSpace>'
    ).encode()
    add_rel(parts, "xl/drawings/drawing2.xml", "rId1", "chart", "../charts/chart1.xml")
    add_content_type(
        parts,
        '<Default Extension="png" ContentType="image/png"/>'
        '<Override PartName="/xl/drawings/drawing1.xml" ContentType="application/vnd.openxmlformats-officedocument.drawing+xml"/>'
        '<Override PartName="/xl/drawings/drawing2.xml" ContentType="application/vnd.openxmlformats-officedocument.drawing+xml"/>'
        '<Override PartName="/xl/charts/chart1.xml" ContentType="application/vnd.openxmlformats-officedocument.drawingml.chart+xml"/>',
    )
    after_drawing = (
        "<legacyDrawing",
        "<legacyDrawingHF",
        "<picture",
        "<oleObjects",
        "<controls",
        "<tableParts",
        "<extLst",
    )
    add_rel(parts, SUMMARY_PART, "rId80", "drawing", "../drawings/drawing1.xml")
    edit(parts, SUMMARY_PART, lambda x: sheet_child(x, '<drawing r:id="rId80"/>', after_drawing))
    add_rel(parts, INFO_PART, "rId81", "drawing", "../drawings/drawing2.xml")
    edit(parts, INFO_PART, lambda x: sheet_child(x, '<drawing r:id="rId81"/>', after_drawing))


def clerk_sheet_xml(rows: list[str]) -> str:
    body = "".join(f'<row r="{i}">{inline(f"A{i}", t)}</row>' for i, t in enumerate(rows, start=1))
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}" xmlns:r="{REL}">'
        f"<sheetData>{body}</sheetData></worksheet>"
    )


def x14_dropdown(parts: dict[str, bytes]) -> None:
    """A dropdown on 填报人 (基本信息!B10) whose list is on a sheet the clerk added (an x14 validation)."""
    add_sheet(
        parts, "下拉选项", "xl/worksheets/sheet90.xml", clerk_sheet_xml(["张三", "李四", "王五"]), "rId91"
    )
    ext = (
        '<ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
        '<x14:dataValidations count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
        '<x14:dataValidation type="list" allowBlank="1" showInputMessage="1" showErrorMessage="1">'
        "<x14:formula1><xm:f>下拉选项!$A$1:$A$3</xm:f></x14:formula1><xm:sqref>B10</xm:sqref></x14:dataValidation>"
        "</x14:dataValidations></ext>"
    )

    def change(xml: str) -> str:
        if "<extLst>" in xml:
            return xml.replace("</extLst>", ext + "</extLst>", 1)
        return xml.replace("</worksheet>", f"<extLst>{ext}</extLst></worksheet>")

    edit(parts, INFO_PART, change)


def add_note(parts: dict[str, bytes], part: str, ref: str, text: str, author: str = "张会计") -> None:
    """A note by ``author`` on ``ref`` of sheet ``part``: added to its comments (and VML), or both made."""
    from perfeval_xl.xlsx.sheetxml import vml_shape, vml_xml

    rels = part.replace("worksheets/", "worksheets/_rels/") + ".rels"
    rel_xml = parts.get(rels, b"").decode()
    target = re.search(r'Target="\.\./(comments\d+\.xml)"', rel_xml)
    if target is None:
        n = 80 + len(parts)
        parts[f"xl/comments{n}.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<comments xmlns="{MAIN}"><authors>'
            f"<author>{author}</author></authors><commentList>"
            f'<comment ref="{ref}" authorId="0"><text><r><t>{text}</t></r></text></comment></commentList></comments>'
        ).encode()
        parts[f"xl/drawings/vmlDrawing{n}.vml"] = vml_xml([(ref, 80)], 7)
        add_rel(parts, part, "rId60", "comments", f"../comments{n}.xml")
        add_rel(parts, part, "rId61", "vmlDrawing", f"../drawings/vmlDrawing{n}.vml")
        add_content_type(
            parts,
            f'<Override PartName="/xl/comments{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"/>',
        )
        if 'Extension="vml"' not in parts["[Content_Types].xml"].decode():
            add_content_type(
                parts,
                '<Default Extension="vml" ContentType="application/vnd.openxmlformats-officedocument.vmlDrawing"/>',
            )
        edit(
            parts,
            part,
            lambda x: sheet_child(
                x,
                '<legacyDrawing r:id="rId61"/>',
                ("<legacyDrawingHF", "<picture", "<oleObjects", "<controls", "<tableParts", "<extLst"),
            ),
        )
        return
    name = "xl/" + target.group(1)
    authors = re.findall(r"<author>([^<]*)</author>", parts[name].decode())
    index = authors.index(author) if author in authors else len(authors)
    note = f'<comment ref="{ref}" authorId="{index}"><text><r><t>{text}</t></r></text></comment>'

    existing = re.search(rf'<comment ref="{ref}".*?</comment>', parts[name].decode(), re.S)

    def comments(x: str, note: str = note) -> str:
        if author not in authors:
            x = x.replace("</authors>", f"<author>{author}</author></authors>")
        if existing:  # one note per cell: the clerk deleted ours and wrote their own
            return x.replace(existing.group(0), note)
        return x.replace("</commentList>", note + "</commentList>")

    edit(parts, name, comments)
    if existing:
        return
    vml = "xl/drawings/" + re.search(r'Target="\.\./drawings/(vmlDrawing\d+\.vml)"', rel_xml).group(1)
    shape = vml_shape(ref, 80, 3000 + len(parts), 50)
    edit(parts, vml, lambda x, shape=shape: x.replace("</xml>", shape + "</xml>"))


def clerk_note(parts: dict[str, bytes]) -> None:
    """The clerk's own note on 绩效指标!M9 — the cell the tool marks — and on 基本信息!B6."""
    add_note(parts, IND_PART, "M9", "原因正在核实，周五前补")
    add_note(parts, INFO_PART, "B6", "主管部门待确认")


def threaded_comment(parts: dict[str, bytes]) -> None:
    """An Excel 365 threaded comment on 基本信息!B5, with the placeholder note Excel writes beside it."""
    parts["xl/threadedComments/threadedComment1.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<ThreadedComments xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments">'
        '<threadedComment ref="B5" dT="2024-07-12T09:00:00.00" personId="{11111111-2222-3333-4444-555555555555}" '
        'id="{AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE}"><text>编码请核对</text></threadedComment></ThreadedComments>'
    ).encode()
    parts["xl/persons/person.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<personList xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments">'
        '<person displayName="王科长" id="{11111111-2222-3333-4444-555555555555}" userId="王科长" providerId="None"/></personList>'
    ).encode()
    add_content_type(
        parts,
        '<Override PartName="/xl/threadedComments/threadedComment1.xml" ContentType="application/vnd.ms-excel.threadedcomments+xml"/>'
        '<Override PartName="/xl/persons/person.xml" ContentType="application/vnd.ms-excel.person+xml"/>',
    )
    add_rel(
        parts,
        INFO_PART,
        "rId70",
        "threadedComment",
        "../threadedComments/threadedComment1.xml",
        "http://schemas.microsoft.com/office/2017/10/relationships",
    )
    add_rel(
        parts,
        "xl/workbook.xml",
        "rId71",
        "person",
        "persons/person.xml",
        "http://schemas.microsoft.com/office/2017/10/relationships",
    )
    add_note(parts, INFO_PART, "B6", "主管部门待确认")
    rels = INFO_PART.replace("worksheets/", "worksheets/_rels/") + ".rels"
    name = "xl/" + re.search(r'Target="\.\./(comments\d+\.xml)"', parts[rels].decode()).group(1)
    placeholder = (
        '<comment ref="B5" authorId="{a}" shapeId="0" xr:uid="{{AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE}}">'
        "<text><t>[Threaded comment]\n\nYour version of Excel allows you to read this threaded comment.\n\nComment:\n    编码请核对</t></text></comment>"
    )

    def change(x: str) -> str:
        n = len(re.findall(r"<author>", x))
        x = x.replace("</authors>", "<author>tc={AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE}</author></authors>")
        x = x.replace(
            "<comments ",
            '<comments xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision" ',
            1,
        )
        return x.replace("</commentList>", placeholder.format(a=n) + "</commentList>")

    edit(parts, name, change)


def conditional_format(parts: dict[str, bytes]) -> None:
    """The clerk's own conditional format on 实际完成值 (red when below 0), with its dxf style."""

    def styles(x: str) -> str:
        dxf = '<dxf><font><color rgb="FFFF0000"/></font></dxf>'
        if "<dxfs" in x:
            x = re.sub(r'<dxfs count="(\d+)">', lambda m: f'<dxfs count="{int(m.group(1)) + 1}">', x, count=1)
            return x.replace("</dxfs>", dxf + "</dxfs>", 1)
        return x.replace("</cellStyles>", f'</cellStyles><dxfs count="1">{dxf}</dxfs>', 1)

    edit(parts, "xl/styles.xml", styles)
    dxfs = re.search(r'<dxfs count="(\d+)">', parts["xl/styles.xml"].decode())
    rule = (
        f'<conditionalFormatting sqref="H4:H303"><cfRule type="cellIs" dxfId="{int(dxfs.group(1)) - 1}" priority="99" operator="lessThan">'
        "<formula>0</formula></cfRule></conditionalFormatting>"
    )
    edit(
        parts,
        IND_PART,
        lambda x: sheet_child(x, rule, ("<dataValidations", "<hyperlinks", "<printOptions", "<pageMargins")),
    )


def printer_settings(parts: dict[str, bytes]) -> None:
    """Printer settings of the clerk's printer on the 自评表 (a binary part linked from <pageSetup>)."""
    parts["xl/printerSettings/printerSettings1.bin"] = bytes(range(256)) * 4
    add_content_type(
        parts,
        '<Default Extension="bin" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.printerSettings"/>',
    )
    add_rel(parts, SUMMARY_PART, "rId82", "printerSettings", "../printerSettings/printerSettings1.bin")
    edit(parts, SUMMARY_PART, lambda x: re.sub(r"<pageSetup\b", '<pageSetup r:id="rId82"', x, count=1))


def clerk_sheet_and_name(parts: dict[str, bytes]) -> None:
    """A sheet the clerk added (their own sums) and a defined name pointing at it."""
    add_sheet(parts, "我的测算", "xl/worksheets/sheet91.xml", clerk_sheet_xml(["测算一", "测算二"]), "rId92")
    edit(
        parts,
        "xl/workbook.xml",
        lambda w: w.replace(
            "</definedNames>",
            "<definedName name=\"我的合计\">'我的测算'!$A$1:$A$2</definedName></definedNames>",
        ),
    )


def _shift_rows(xml: str, first: int, by: int) -> str:
    """Row numbers from ``first`` on moved by ``by`` (rows and cell references), as inserting rows does."""

    def row(m: re.Match[str]) -> str:
        n = int(m.group(2))
        return f"{m.group(1)}{n + by if n >= first else n}"

    xml = re.sub(r'(<row r=")(\d+)', row, xml)
    return re.sub(r'(<c r="[A-Z]+)(\d+)', row, xml)


def rows_inserted(parts: dict[str, bytes]) -> None:
    """An empty row inserted before row 6 (the indicators from row 6 on move down one row)."""

    def change(xml: str) -> str:
        xml = _shift_rows(xml, 6, 1)
        return xml.replace('<row r="7"', '<row r="6"></row><row r="7"', 1)

    edit(parts, IND_PART, change)


def rows_deleted(parts: dict[str, bytes]) -> None:
    """Row 6 (the third indicator, 专项资金项目验收合格率) deleted: the rows below move up one row."""

    def change(xml: str) -> str:
        xml = re.sub(r'<row r="6"[^>]*?(?:/>|>.*?</row>)', "", xml, count=1, flags=re.S)
        return _shift_rows(xml, 7, -1)

    edit(parts, IND_PART, change)


def _rename(parts: dict[str, bytes], old: str, new: str) -> None:
    edit(parts, "xl/workbook.xml", lambda w: w.replace(f'name="{old}"', f'name="{new}"', 1))


def renamed_input(parts: dict[str, bytes]) -> None:
    _rename(parts, "基本信息", "基本信息 (2)")


def renamed_findings(parts: dict[str, bytes]) -> None:
    """校验结果 renamed by the clerk (kept as theirs); the tool adds a new 校验结果 when it writes."""
    _rename(parts, "校验结果", "上次校验")


def vba(base: Path, out: Path) -> Path:
    from perfeval_xl.xlsx.macro import make_macro_workbook

    return make_macro_workbook(base, out)


def libreoffice(base: Path, out: Path) -> Path:
    """The base opened and saved by LibreOffice (Calc's own .xlsx writer)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise RuntimeError("LibreOffice (soffice) is needed for the round-trip case")
    with tempfile.TemporaryDirectory(prefix="perfeval-lo-") as tmp:
        profile = Path(tmp) / "profile"
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                "xlsx",
                "--outdir",
                tmp,
                str(base),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        shutil.move(str(Path(tmp) / base.name), out)
    return out


# ------------------------------------------------------------------------------------------ hostile


def zip_bomb(base: Path, out: Path, inflated: int = 32 << 20, part: str = IND_PART) -> Path:
    """``part`` padded with white space to ``inflated`` bytes (deflate shrinks it ~1000×)."""
    parts = read_parts(base)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            if name != part:
                z.writestr(name, data)
                continue
            head, tail = data.rsplit(b"</worksheet>", 1)
            with z.open(deflated(name), "w", force_zip64=True) as fh:
                fh.write(head)
                block = b" " * (1 << 20)
                left = inflated - len(data)
                while left > 0:
                    fh.write(block[: min(left, len(block))])
                    left -= len(block)
                fh.write(b"</worksheet>" + tail)
    return out


def million_rows(base: Path, out: Path, rows: int = 1_000_000, *, compact: bool = False) -> Path:
    """``rows`` filled indicator rows on 绩效指标 (a 三级指标 and a 分值 per row; ``compact``: the 三级指标
    only, so that a million rows stay under the part-size limit and meet the row limit), streamed."""
    parts = read_parts(base)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            if name != IND_PART:
                z.writestr(name, data)
                continue
            text = data.decode()
            start, end = text.index('<row r="4"'), text.index("</sheetData>")
            with z.open(deflated(name), "w", force_zip64=True) as fh:
                fh.write(text[:start].encode())
                for first in range(4, rows + 4, 10_000):
                    last = min(first + 10_000, rows + 4)
                    fh.write(
                        "".join(
                            f'<row r="{r}"><c r="D{r}"><v>{r}</v></c></row>'
                            if compact
                            else f'<row r="{r}"><c r="D{r}"><v>{r}</v></c><c r="J{r}"><v>1</v></c></row>'
                            for r in range(first, last)
                        ).encode()
                    )
                fh.write(text[end:].encode())
    return out


def far_cell(parts: dict[str, bytes], ref: str = "XFD1048576") -> None:
    """One value in ``ref`` of 绩效指标 (the last cell of the sheet by default)."""
    row = re.match(r"[A-Z]+(\d+)", ref).group(1)
    edit(
        parts,
        IND_PART,
        lambda x: x.replace("</sheetData>", f'<row r="{row}"><c r="{ref}"><v>1</v></c></row></sheetData>'),
    )


def far_input(parts: dict[str, bytes]) -> None:
    far_cell(parts, "D1048576")


def bad_string_index(parts: dict[str, bytes]) -> None:
    shared_strings(parts)
    edit(parts, IND_PART, lambda x: re.sub(r'(<c r="D7"[^>]*t="s"><v>)\d+', r"\g<1>99999", x, count=1))


def infinite_number(parts: dict[str, bytes]) -> None:
    edit(parts, INFO_PART, lambda x: set_cell(x, "C14", f'<c r="C14"{style_of(x, "C14")}><v>1E999</v></c>'))


def corrupt_deflate(base: Path, out: Path) -> Path:
    """The 绩效指标 part's compressed bytes damaged in the middle (a bad disk or a cut download)."""
    data = bytearray(base.read_bytes())
    with zipfile.ZipFile(base) as z:
        info = z.getinfo(IND_PART)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    middle = start + info.compress_size // 2
    for i in range(middle, middle + 64):
        data[i] ^= 0x5A
    out.write_bytes(bytes(data))
    return out


def lying_directory(base: Path, out: Path) -> Path:
    """A part whose zip directory claims 1 KiB while its stream inflates to 40 MiB."""
    zip_bomb(base, out, 40 << 20, part=INFO_PART)
    data = bytearray(out.read_bytes())
    name = INFO_PART.encode()
    at = data.find(b"PK\x01\x02")  # the central directory entries
    while at >= 0:
        n = struct.unpack("<H", data[at + 28 : at + 30])[0]
        if data[at + 46 : at + 46 + n] == name:
            break
        at = data.find(b"PK\x01\x02", at + 4)
    assert at >= 0
    data[at + 24 : at + 28] = struct.pack("<I", 1024)  # uncompressed size
    out.write_bytes(bytes(data))
    return out


# ------------------------------------------------------------------------------------------ the corpus

IND = "绩效指标"
INFO = "基本信息"
M9 = ("DEVIATION_NOTE_MISSING", IND, "M9")

#: name → (how it is made from the base, what every command must say).
PartEdit = Callable[[dict[str, bytes]], None]
FileMake = Callable[[Path, Path], Path]
CASES: dict[str, tuple[PartEdit | FileMake | None, Expect]] = {
    "base.xlsx": (None, Expect()),
    "libreoffice.xlsx": (libreoffice, Expect(needs_soffice=True)),
    "wrong_dimension.xlsx": (wrong_dimension, Expect()),
    "strict.xlsx": (strict, Expect()),
    "prefixed.xlsx": (prefixed, Expect()),
    "no_references.xlsx": (
        no_references,
        Expect(writes=False, write_error="不带地址的单元格"),
    ),
    "formulas_cached.xlsx": (
        formulas_cached,
        Expect(added=frozenset({("FORMULA_IN_INPUT", INFO, "D14"), ("FORMULA_IN_INPUT", IND, "J5")})),
    ),
    "formula_uncached.xlsx": (
        formula_uncached,
        Expect(
            changes={"budget.total.executed": None},
            added=frozenset({("FORMULA_NO_VALUE", INFO, "D14"), ("REQUIRED_MISSING", INFO, "D14")}),
        ),
    ),
    "merged_labels.xlsx": (merged_labels, Expect()),
    "date1900.xlsx": (date1900, Expect(changes={"filled_on": "2024年7月12日"})),
    "date1904.xlsx": (date1904, Expect(changes={"filled_on": "2024年7月12日"})),
    "shared_strings.xlsx": (shared_strings, Expect()),
    "pictures.xlsx": (pictures, Expect()),
    "x14_dropdown.xlsx": (x14_dropdown, Expect()),
    "clerk_note.xlsx": (clerk_note, Expect()),
    "threaded_comment.xlsx": (threaded_comment, Expect()),
    "conditional_format.xlsx": (conditional_format, Expect()),
    "printer_settings.xlsx": (printer_settings, Expect()),
    "clerk_sheet.xlsx": (clerk_sheet_and_name, Expect()),
    "macro.xlsm": (vba, Expect()),
    "rows_inserted.xlsx": (
        rows_inserted,
        Expect(
            changes={"rows": [4, 5, 7, 8, 9, 10, 11, 12, 13]},
            added=frozenset({("DEVIATION_NOTE_MISSING", IND, "M10")}),
            removed=frozenset({M9}),
        ),
    ),
    "rows_deleted.xlsx": (
        rows_deleted,
        Expect(
            changes={"rows": [4, 5, 6, 7, 8, 9, 10, 11], "deleted": 2},
            added=frozenset(
                {
                    ("DEVIATION_NOTE_MISSING", IND, "M8"),
                    ("LEVEL1_WEIGHT", "评分", "B13"),
                    ("WEIGHT_TOTAL", "评分", "B5"),
                }
            ),
            removed=frozenset({M9}),
        ),
    ),
    "renamed_input.xlsx": (renamed_input, Expect(unusable="缺少工作表“基本信息”")),
    "renamed_findings.xlsx": (renamed_findings, Expect()),
    "far_cell.xlsx": (far_cell, Expect()),
    "bomb_in_picture.xlsx": (
        bomb_in_picture,
        Expect(writes=False, write_error="压缩比异常", summary_writes=False),
    ),
    # hostile and damaged (issue 12)
    "far_input.xlsx": (far_input, Expect(unusable="第 1048576 行有数据")),
    "zip_bomb.xlsx": (zip_bomb, Expect(unusable="压缩炸弹|超过 64 MiB")),
    "million_rows.xlsx": (lambda b, o: million_rows(b, o, 5000), Expect(unusable="行有数据，超出模板")),
    "lying_directory.xlsx": (lying_directory, Expect(unusable="已损坏|超过")),
    "bad_string_index.xlsx": (bad_string_index, Expect(unusable="D7 引用了不存在的共享字符串")),
    "infinite_number.xlsx": (infinite_number, Expect(unusable="C14 的数值“1E999”超出范围")),
    "corrupt_deflate.xlsx": (corrupt_deflate, Expect(unusable="已损坏")),
}

#: Cases made from whole files rather than by editing parts.
FILE_CASES = {libreoffice, vba, zip_bomb, million_rows, lying_directory, corrupt_deflate}


def build(folder: Path, *, soffice: bool = True) -> dict[str, Path]:
    """Write the corpus into ``folder``; {name: path}. ``soffice``: include the LibreOffice round trip."""
    folder.mkdir(parents=True, exist_ok=True)
    base = make_base(folder / "base.xlsx")
    out = {"base.xlsx": base}
    for name, (make, expect) in CASES.items():
        if make is None or (expect.needs_soffice and not soffice):
            continue
        path = folder / name
        if make in FILE_CASES or make.__name__ == "<lambda>":
            make(base, path)  # type: ignore[call-arg]
        else:
            parts = read_parts(base)
            make(parts)  # type: ignore[call-arg]
            write_parts(path, parts)
        out[name] = path
    return out


def expected_evaluation(name: str):  # type: ignore[no-untyped-def]
    """The model a corpus workbook must read as (the base's, with the case's changes)."""
    ev = base_evaluation()
    expect = CASES[name][1]
    for i, ind in enumerate(ev.indicators):
        ind.row = 4 + i
    for key, value in expect.changes.items():
        if key == "rows":
            continue
        if key == "deleted":
            del ev.indicators[value]  # type: ignore[arg-type]
            continue
        obj = ev
        *path, last = key.split(".")
        for p in path:
            obj = getattr(obj, p)
        setattr(obj, last, value)
    if "rows" in expect.changes:
        for ind, row in zip(ev.indicators, expect.changes["rows"], strict=True):  # type: ignore[call-overload]
            ind.row = row
    return ev


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("corpus")
    for name, path in build(target, soffice=shutil.which("soffice") is not None).items():
        print(f"{name}\t{path.stat().st_size} bytes")
