"""Write the bad-input corpus of issue 5: malformed CSVs (csv/) and workbooks (books/).

Run from the repository root: ``python tests/data/bad/make_corpus.py``; the files are committed, and
tests/test_collect.py::test_corpus_is_what_the_script_writes checks they are what this script writes.
Every file is small. CORPUS maps each file to what is wrong with it (the test prints it on failure).
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
H = [
    "单位编码",
    "单位名称",
    "评价年度",
    "评价对象",
    "全年预算数",
    "全年执行数",
    "一级指标",
    "二级指标",
    "三级指标",
    "指标性质",
    "年度指标值",
    "实际完成值",
    "分值",
]


def unit(
    code: str, name: str, budget: str = "100", executed: str = "95", subject: str = "部门整体"
) -> list[list[str]]:
    return [
        [
            code,
            name,
            "2023",
            subject,
            budget,
            executed,
            "产出指标",
            "数量指标",
            "培训人次",
            "≥",
            "100",
            "110",
            "50",
        ],
        [code, name, "", subject, "", "", "效益指标", "社会效益指标", "受益群众", "≥", "10", "10", "30"],
        [
            code,
            name,
            "",
            subject,
            "",
            "",
            "满意度指标",
            "服务对象满意度指标",
            "满意度",
            "≥",
            "90",
            "95",
            "10",
        ],
    ]


def text(rows: list[list[str]], delimiter: str = ",") -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buf.getvalue()


def utf8(rows: list[list[str]], delimiter: str = ",") -> bytes:
    return text(rows, delimiter).encode("utf-8-sig")


def _xlsx(parts: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


_CT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WB = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{sheets}</sheets></workbook>'
)
_WB_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)
_SHEET = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    "<sheetData>{rows}</sheetData></worksheet>"
)


def minimal_xlsx(sheet_name: str = "Sheet1", rows: str = "", sheet_xml: str | None = None) -> bytes:
    """A hand-made one-sheet workbook (so the corpus does not depend on a writer's defaults)."""
    return _xlsx(
        {
            "[Content_Types].xml": _CT,
            "_rels/.rels": _RELS,
            "xl/workbook.xml": _WB.format(sheets=f'<sheet name="{sheet_name}" sheetId="1" r:id="rId1"/>'),
            "xl/_rels/workbook.xml.rels": _WB_RELS,
            "xl/worksheets/sheet1.xml": sheet_xml if sheet_xml is not None else _SHEET.format(rows=rows),
        }
    )


def csvs() -> dict[str, tuple[bytes, str]]:
    good = [H, *unit("001", "甲局")]
    many = [H] + [r for i in range(3) for r in unit(f"00{i}", f"第{i}局")]
    conflict = [
        H,
        *unit("001", "甲局", budget="100"),
        *unit("002", "乙局"),
        *unit("001", "甲局", budget="180"),
    ]
    long_row = [H, *unit("001", "甲局")]
    long_row[2] = [*long_row[2], "多出来的", "单元格"]
    too_many = [H] + [
        [
            "001",
            "甲局",
            "2023",
            "部门整体",
            "100",
            "95",
            "产出指标",
            "数量指标",
            f"指标{i}",
            "≥",
            "1",
            "1",
            "0.1",
        ]
        for i in range(305)
    ]
    return {
        "empty.csv": (b"", "0 字节"),
        "bom_only.csv": (b"\xef\xbb\xbf", "只有 BOM"),
        "header_only.csv": (utf8([H]), "只有表头"),
        "no_header.csv": ("这不是预算系统导出的文件\n第二行,1,2\n".encode(), "没有可识别的表头"),
        "binary.csv": (bytes(range(256)) * 4, "二进制内容"),
        "workbook_renamed.csv": (minimal_xlsx(), "xlsx 改名为 .csv"),
        "undecodable.csv": (b"\x81\x30\xff\xfe\x80,\xff\n" * 3, "既不是 UTF-8 也不是 GB18030"),
        "unbalanced_quote.csv": (
            (text([H]) + '001,甲局,2023,部门整体,100,95,"产出指标,数量指标,培训,≥,1,1,50\r\n').encode(),
            "引号不成对",
        ),
        "row_too_long.csv": (utf8(long_row), "一行比表头多出单元格"),
        "duplicate_header.csv": (
            utf8([[*H, "unit_code"], [*unit("001", "甲局")[0], "001"]]),
            "两列都表示单位编码",
        ),
        "missing_columns.csv": (utf8([H[:4], ["001", "甲局", "2023", "部门整体"]]), "缺少必需的列"),
        "conflicting_duplicates.csv": (utf8(conflict), "同一单位前后两处，全年预算数不同"),
        "subject_missing.csv": (utf8([H, *unit("001", "甲局", subject="")]), "评价对象为空"),
        "numbers_as_text.csv": (
            utf8(
                [
                    H,
                    [
                        "001",
                        "甲局",
                        "二〇二三",
                        "部门整体",
                        "一百万",
                        "1,2,3",
                        "产出指标",
                        "数量指标",
                        "培训",
                        "≥",
                        "约100",
                        "八十",
                        "五十分",
                    ],
                ]
            ),
            "数字写成文字",
        ),
        "negative_and_huge.csv": (
            utf8([H, *unit("001", "甲局", budget="-100", executed="1e308")]),
            "负数与超大数",
        ),
        "zero_budget.csv": (utf8([H, *unit("001", "甲局", budget="0", executed="0")]), "全年预算数为 0"),
        "formula_injection.csv": (
            utf8(
                [
                    H,
                    *unit("=1+1", '=HYPERLINK("http://x")'),
                    [
                        "+1",
                        "@SUM(A1)",
                        "2023",
                        "-2",
                        "100",
                        "95",
                        "产出指标",
                        "数量指标",
                        "=cmd|' /C calc'!A0",
                        "≥",
                        "1",
                        "1",
                        "50",
                    ],
                ]
            ),
            "以 = + - @ 开头的单元格",
        ),
        "control_chars.csv": (
            utf8(
                [
                    H,
                    *unit("001", "甲\x01局\x07"),
                    [
                        "001",
                        "甲\x01局\x07",
                        "",
                        "部门整体",
                        "",
                        "",
                        "产出指标",
                        "数量指标",
                        "指\x0b标\x1f",
                        "≥",
                        "1",
                        "1",
                        "1",
                    ],
                ]
            ),
            "控制字符",
        ),
        "huge_cell.csv": (
            utf8([H, [*unit("001", "甲局")[0][:8], "长" * 140_000, *unit("001", "甲局")[0][9:]]]),
            "单元格超过 csv 模块的字段上限",
        ),
        "bad_file_names.csv": (
            utf8(
                [H]
                + [
                    r
                    for code, name in [
                        ("", "CON"),
                        ("", "a/b"),
                        ("", "a:b"),
                        ("", "..."),
                        ("", "名" * 200),
                        ("", "😀局"),
                    ]
                    for r in unit(code, name)
                ]
            ),
            "单位名称不能作文件名",
        ),
        "blank_rows.csv": (
            utf8([H, [], *unit("001", "甲局")[:1], [""] * 13, [], *unit("001", "甲局")[1:], [], []]),
            "到处是空行",
        ),
        "orphan_rows.csv": (
            utf8(
                [
                    H,
                    ["", "", "", "", "", "", "产出指标", "数量指标", "无主指标", "≥", "1", "1", "1"],
                    *unit("001", "甲局"),
                ]
            ),
            "第一行数据没有单位",
        ),
        "mixed_delimiters.csv": (
            (text([H]) + text(unit("001", "甲局"), ";")).encode("utf-8"),
            "表头用逗号，数据用分号",
        ),
        "too_many_indicators.csv": (utf8(too_many), "305 条指标，超过模板的 300 行"),
        "non_contiguous.csv": (
            utf8([H, *unit("001", "甲局")[:2], *unit("002", "乙局"), *unit("001", "甲局")[2:]]),
            "同一单位的行不连续",
        ),
        "cr_line_endings.csv": (text(many).replace("\r\n", "\r").encode("utf-8"), "旧 Mac 的 CR 换行"),
        "only_quotes.csv": (b'"""""""""\n"""\n', "只有引号"),
        "utf16.csv": (
            b"\xff\xfe" + text(good, "\t").encode("utf-16-le"),
            "UTF-16（Excel 的 Unicode 文本），可读",
        ),
        "nul_in_text.csv": (utf8(good).replace("甲局".encode(), b"\x00\x00"), "文本中夹 NUL"),
        "truncated_multibyte.csv": (utf8(good)[:-1] + "局".encode()[:2], "最后一个汉字被截断"),
    }


def books() -> dict[str, tuple[bytes, str]]:
    ok_sheet = '<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
    return {
        "empty.xlsx": (b"", "0 字节"),
        "random.xlsx": (bytes((i * 37 + 11) % 256 for i in range(3000)), "随机字节"),
        "truncated.xlsx": (minimal_xlsx(rows=ok_sheet)[:300], "下载中断，只剩一半"),
        "not_ours.xlsx": (minimal_xlsx(rows=ok_sheet), "别的工作簿"),
        "wrong_header.xlsx": (
            minimal_xlsx(
                "绩效指标",
                '<row r="3"><c r="A3" t="inlineStr"><is><t>序号</t></is></c><c r="B3" t="inlineStr"><is><t>指标</t></is></c></row>',
            ),
            "有“绩效指标”表但表头不对、缺“基本信息”",
        ),
        "docx_renamed.xlsx": (
            _xlsx({"[Content_Types].xml": _CT, "word/document.xml": "<w:document/>"}),
            "Word 文档改名",
        ),
        "old_format.xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, "Excel 97-2003 格式"),
        "encrypted.xlsx": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, "加密的工作簿（OLE 容器）"),
        "bad_xml.xlsx": (
            minimal_xlsx(sheet_xml="<worksheet><sheetData><row r='1'><c r='A1'"),
            "工作表 XML 不完整",
        ),
        "missing_sheet_part.xlsx": (
            _xlsx(
                {
                    "[Content_Types].xml": _CT,
                    "_rels/.rels": _RELS,
                    "xl/workbook.xml": _WB.format(sheets='<sheet name="基本信息" sheetId="1" r:id="rId1"/>'),
                    "xl/_rels/workbook.xml.rels": _WB_RELS,
                }
            ),
            "工作表文件缺失",
        ),
        "not_a_zip.xlsm": (b"PK\x03\x04" + b"\x00" * 100, "只有 zip 头"),
    }


CORPUS = {**{f"csv/{k}": v for k, v in csvs().items()}, **{f"books/{k}": v for k, v in books().items()}}


def main() -> None:
    for name, (data, _) in CORPUS.items():
        path = HERE / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)


if __name__ == "__main__":
    main()
