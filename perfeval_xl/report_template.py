"""Build the default 自评报告 templates (.docx with docxtpl/Jinja fields) with python-docx.

The committed ``workbooks/自评报告模板.docx`` (部门整体支出) and ``workbooks/自评报告模板-项目支出.docx``
are this module's output; ``python -m perfeval_xl.report_template`` rebuilds them and a test keeps them
equal. A finance bureau copies one, changes wording or layout in Word, and passes it with ``--template``.

Layout (customary for 公文, GB/T 9704-2012 practice): A4, margins top 3.7 / bottom 3.5 / left 2.8 / right
2.6 cm; body 仿宋_GB2312 三号 (16 pt) at a fixed 29 pt line pitch (22 lines a page), first line indented
two characters; title 方正小标宋简体 二号 (22 pt); 一级标题 黑体, 二级标题 楷体_GB2312, 三级标题 仿宋 bold,
all 16 pt; tables 仿宋 五号 (10.5 pt); page number "— 1 —" centred in the footer (PAGE field), none on the
cover, numbering restarting at 1 on the first page of the report.

Fonts that a machine lacks: each font is listed in the document's font table with the Chinese charset
(GB2312), a PANOSE class and ``w:altName`` fall-backs (仿宋_GB2312 → 仿宋/FangSong, 楷体_GB2312 →
楷体/KaiTi, 方正小标宋简体 → 华文中宋/宋体, 黑体 → SimHei), so Word substitutes a Chinese font of the same
kind; LibreOffice falls back to an installed CJK font through fontconfig. Latin text and digits use
Times New Roman (``w:ascii``/``w:hAnsi``), CJK text the font above (``w:eastAsia``), language zh-CN.

Template fields (what ``perfeval_xl.report.report_context`` provides; every value is already text):

- ``unit`` ``department`` ``project`` ``year`` ``filled_on`` ``kind``; ``we`` (本单位).
- ``errors`` (list of messages), ``error_count``: the banner on the cover when the data has errors.
- ``t.<name>``: lists of paragraphs of the person-written texts (duties, organisation, assets, tasks,
  goal_expected, management, goal_actual, achievements, problems, measures, publication); a list holding
  one 【待填写：…】 placeholder when the text is empty.
- ``b``: budget. ``b.total`` ``b.initial`` ``b.executed`` ``b.rate`` (万元 with 2 decimals, 98.27%),
  ``b.show_initial``, ``b.income_parts`` / ``b.spending_parts`` (lists of ``label``/``amount``, a spending
  part may carry ``parts``), ``b.fund_rows`` (项目资金 table), ``b.note``.
- ``s``: scores. ``s.total`` ``s.grade`` ``s.rows`` (``name``/``weight``/``score`` per 一级指标 with 预算执行率
  first), ``s.sum_label`` (合计, or 已计得分 without a 总分) ``s.sum_weight`` ``s.sum_score`` ``s.rescaled`` ``s.na_count``.
- ``indicators``: rows ``l1`` ``l2`` ``name`` ``target`` ``actual`` ``weight`` ``score`` and ``m1``/``m2``
  (``restart``/``continue``: vertical merging of equal 一级/二级 cells).
- ``deviations``: rows ``no`` ``name`` ``detail`` ``note`` for items scored below their 分值.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentType
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.section import Section
from docx.shared import Cm, Length, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph

from .model import Kind

# ------------------------------------------------------------------------------------------ settings


@dataclass(frozen=True)
class Fonts:
    """The customary fonts of a 公文-style report."""

    title: str = "方正小标宋简体"
    heading1: str = "黑体"
    heading2: str = "楷体_GB2312"
    body: str = "仿宋_GB2312"
    page_number: str = "宋体"
    latin: str = "Times New Roman"


FONTS = Fonts()

#: Font-table entries: name → (w:altName fall-backs, PANOSE-1). Charset 86 = GB2312.
FONT_TABLE: dict[str, tuple[str, str]] = {
    "方正小标宋简体": ("方正小标宋_GBK,华文中宋,宋体,SimSun", "02000000000000000000"),
    "黑体": ("SimHei", "02010609060101010101"),
    "楷体_GB2312": ("楷体,KaiTi", "02010609030101010101"),
    "仿宋_GB2312": ("仿宋,FangSong", "02010609030101010101"),
    "宋体": ("SimSun", "02010600030101010101"),
}

BODY_SIZE = Pt(16)  # 三号
TITLE_SIZE = Pt(22)  # 二号
COVER_TITLE_SIZE = Pt(26)  # 一号
TABLE_SIZE = Pt(10.5)  # 五号
LINE_PITCH = Pt(29)  # 22 lines on the 22.5 cm type area
NO_SPACE = Pt(0)
TABLE_WIDTH_CM = 21.0 - 2.8 - 2.6  # 15.6 cm

# Style names (shown in Word's style gallery).
COVER_TITLE = "封面标题"
COVER_ITEM = "封面项目"
TITLE = "报告标题"
H1 = "一级标题"
H2 = "二级标题"
H3 = "三级标题"
BODY = "Normal"
NOTE = "注释"
BANNER = "校验提示"
CAPTION = "表格标题"
TABLE_HEAD = "表头"
TABLE_TEXT = "表格文字"
TABLE_NUM = "表格数字"
FOOTER = "页码"

#: Fixed document properties, so the built template is the same file every time.
BUILT_AT = datetime(2024, 1, 1)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

DEFAULT_TEMPLATE_NAMES = {
    Kind.DEPARTMENT: "自评报告模板.docx",
    Kind.PROJECT: "自评报告模板-项目支出.docx",
}


# ------------------------------------------------------------------------------------- low-level XML


def _set_fonts(rpr, east_asia: str, latin: str = FONTS.latin) -> None:
    """Set the run fonts explicitly (theme attributes would override them, so they go)."""
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    rfonts.set(qn("w:ascii"), latin)
    rfonts.set(qn("w:hAnsi"), latin)
    rfonts.set(qn("w:eastAsia"), east_asia)
    rfonts.set(qn("w:cs"), latin)
    rfonts.set(qn("w:hint"), "eastAsia")


#: Children of w:pPr in schema order (ECMA-376 CT_PPr); Word rejects out-of-order elements.
_PPR_ORDER: tuple[str, ...] = tuple(
    [
        "pStyle",
        "keepNext",
        "keepLines",
        "pageBreakBefore",
        "framePr",
        "widowControl",
        "numPr",
        "suppressLineNumbers",
        "pBdr",
        "shd",
        "tabs",
        "suppressAutoHyphens",
        "kinsoku",
        "wordWrap",
        "overflowPunct",
        "topLinePunct",
        "autoSpaceDE",
        "autoSpaceDN",
        "bidi",
        "adjustRightInd",
        "snapToGrid",
        "spacing",
        "ind",
        "contextualSpacing",
        "mirrorIndents",
        "suppressOverlap",
        "jc",
        "textDirection",
        "textAlignment",
        "textboxTightWrap",
        "outlineLvl",
        "divId",
        "cnfStyle",
        "rPr",
        "sectPr",
        "pPrChange",
    ]
)


def _ppr_child(ppr, element):
    """Put ``element`` into ``ppr`` at its schema position (replacing one of the same name)."""
    name = element.tag.split("}")[1]
    old = ppr.find(qn("w:" + name))
    if old is not None:
        ppr.replace(old, element)
        return element
    rank = _PPR_ORDER.index(name)
    for child in ppr:
        child_name = child.tag.split("}")[1]
        if child_name in _PPR_ORDER and _PPR_ORDER.index(child_name) > rank:
            child.addprevious(element)
            return element
    ppr.append(element)
    return element


def _indent_chars(ppr, chars: int, size: Length) -> None:
    """First-line indent of ``chars`` characters (w:firstLineChars, with the length for old readers)."""
    ind = ppr.find(qn("w:ind"))
    if ind is None:
        ind = _ppr_child(ppr, OxmlElement("w:ind"))
    ind.set(qn("w:firstLineChars"), str(chars * 100))
    ind.set(qn("w:firstLine"), str(int(size.pt * chars * 20)))


def _paragraph_style(
    doc: DocumentType,
    name: str,
    *,
    font: str,
    size: Length,
    bold: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = None,
    indent_chars: int = 0,
    line: Length | None = LINE_PITCH,
    before: Length = NO_SPACE,
    after: Length = NO_SPACE,
    keep_next: bool = False,
    outline: int | None = None,
    color: RGBColor | None = None,
):
    styles = doc.styles
    style = styles[name] if name == BODY else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    if name != BODY:
        style.base_style = styles[BODY]
        style.quick_style = True
    style.font.size = size
    style.font.bold = bold
    style.font.italic = False
    style.font.color.rgb = color or RGBColor(0, 0, 0)
    _set_fonts(style.element.get_or_add_rPr(), font)
    pf = style.paragraph_format
    pf.alignment = align if align is not None else WD_ALIGN_PARAGRAPH.JUSTIFY
    pf.space_before, pf.space_after = before, after
    if line is None:
        pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    else:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = line
    pf.keep_with_next = keep_next
    pf.widow_control = True
    ppr = style.element.get_or_add_pPr()
    if indent_chars:
        _indent_chars(ppr, indent_chars, size)
    else:
        pf.first_line_indent = Pt(0)
    if outline is not None:
        lvl = OxmlElement("w:outlineLvl")
        lvl.set(qn("w:val"), str(outline))
        _ppr_child(ppr, lvl)
    # w:overflowPunct on: Word's own default (a comma may hang into the margin). Written out because
    # LibreOffice 7.4 reads this switch inverted: "on" turns its hanging punctuation off, and that avoids
    # its bug of not drawing a hung comma at the end of a justified line (seen on rendered pages).
    overflow = OxmlElement("w:overflowPunct")
    overflow.set(qn("w:val"), "1")
    _ppr_child(ppr, overflow)
    return style


def _setup_styles(doc: DocumentType) -> None:
    styles_el = doc.styles.element
    # Document defaults: body font, zh-CN, no theme fonts anywhere.
    rpr_default = styles_el.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_fonts(rpr_default, FONTS.body)
    lang = rpr_default.find(qn("w:lang"))
    lang.set(qn("w:eastAsia"), "zh-CN")
    for rfonts in styles_el.iter(qn("w:rFonts")):
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            rfonts.attrib.pop(qn(attr), None)
    ppr_default = styles_el.find(qn("w:docDefaults")).find(qn("w:pPrDefault")).find(qn("w:pPr"))
    spacing = ppr_default.find(qn("w:spacing"))
    ppr_default.remove(spacing)

    center, left = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.LEFT
    _paragraph_style(doc, BODY, font=FONTS.body, size=BODY_SIZE, indent_chars=2)
    _paragraph_style(
        doc, COVER_TITLE, font=FONTS.title, size=COVER_TITLE_SIZE, align=center, line=None,
        before=Pt(140), after=Pt(120),
    )  # fmt: skip
    cover_item = _paragraph_style(doc, COVER_ITEM, font=FONTS.body, size=BODY_SIZE, align=left, line=Pt(40))
    cover_item.paragraph_format.left_indent = Cm(2.5)
    _paragraph_style(
        doc, TITLE, font=FONTS.title, size=TITLE_SIZE, align=center, line=Pt(36), after=Pt(29),
        keep_next=True,
    )  # fmt: skip
    _paragraph_style(doc, H1, font=FONTS.heading1, size=BODY_SIZE, indent_chars=2, keep_next=True, outline=0)
    _paragraph_style(doc, H2, font=FONTS.heading2, size=BODY_SIZE, indent_chars=2, keep_next=True, outline=1)
    _paragraph_style(
        doc, H3, font=FONTS.body, size=BODY_SIZE, bold=True, indent_chars=2, keep_next=True, outline=2
    )
    _paragraph_style(doc, NOTE, font=FONTS.body, size=Pt(12), line=Pt(20), indent_chars=2)
    banner = _paragraph_style(
        doc, BANNER, font=FONTS.heading1, size=Pt(12), align=left, line=Pt(20),
        color=RGBColor(0xC0, 0, 0),
    )  # fmt: skip
    _paragraph_border(banner.element.get_or_add_pPr(), "C00000")
    _paragraph_style(
        doc, CAPTION, font=FONTS.heading1, size=Pt(12), align=center, line=Pt(24), before=Pt(6),
        after=Pt(3), keep_next=True,
    )  # fmt: skip
    cell = {"size": TABLE_SIZE, "line": None, "before": Pt(2), "after": Pt(2)}
    _paragraph_style(doc, TABLE_HEAD, font=FONTS.heading1, align=center, **cell)
    _paragraph_style(doc, TABLE_TEXT, font=FONTS.body, align=left, **cell)
    _paragraph_style(doc, TABLE_NUM, font=FONTS.body, align=center, **cell)
    _paragraph_style(doc, FOOTER, font=FONTS.page_number, size=Pt(14), align=center, line=None)


def _paragraph_border(ppr, color: str) -> None:
    _ppr_child(
        ppr,
        parse_xml(
            f"<w:pBdr {nsdecls('w')}>"
            + "".join(
                f'<w:{side} w:val="single" w:sz="8" w:space="4" w:color="{color}"/>'
                for side in ("top", "left", "bottom", "right")
            )
            + "</w:pBdr>"
        ),
    )


def _font_table(doc: DocumentType) -> None:
    """Declare the Chinese fonts with charset GB2312 and fall-back names."""
    part = doc.part.part_related_by(RT.FONT_TABLE)
    fonts = parse_xml(part.blob)
    for name, (alt, panose) in FONT_TABLE.items():
        family = "roman" if panose.startswith("020106000") or name == FONTS.title else "modern"
        fonts.append(
            parse_xml(
                f'<w:font {nsdecls("w")} w:name="{name}">'
                f'<w:altName w:val="{alt}"/><w:panose1 w:val="{panose}"/>'
                f'<w:charset w:val="86"/><w:family w:val="{family}"/><w:pitch w:val="variable"/>'
                "</w:font>"
            )
        )
    from lxml import etree

    part._blob = etree.tostring(fonts, xml_declaration=True, encoding="UTF-8", standalone=True)


def _settings(doc: DocumentType) -> None:
    settings = doc.settings.element
    lang = settings.find(qn("w:themeFontLang"))
    if lang is not None:
        lang.set(qn("w:eastAsia"), "zh-CN")


def _setup_page(section: Section) -> None:
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    section.header_distance, section.footer_distance = Cm(1.5), Cm(2.5)


def _page_number_footer(section: Section) -> None:
    """Page number "— N —" centred, N a PAGE field; numbering starts at 1 in this section."""
    footer = section.footer
    footer.is_linked_to_previous = False
    p = footer.paragraphs[0]
    p.style = FOOTER
    p.add_run("— ")
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        run = p.add_run()
        if kind:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            run._r.append(fld)
        elif text == " PAGE ":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        else:
            run.text = text
    p.add_run(" —")
    sect_pr = section._sectPr
    num = OxmlElement("w:pgNumType")
    num.set(qn("w:start"), "1")
    cols = sect_pr.find(qn("w:cols"))
    if cols is not None:
        cols.addprevious(num)
    else:
        sect_pr.append(num)


# --------------------------------------------------------------------------------- content helpers


class _Writer:
    """Appends template paragraphs and tables to a document."""

    def __init__(self, doc: DocumentType) -> None:
        self.doc = doc

    def p(self, text: str, style: str = BODY) -> Paragraph:
        para = self.doc.add_paragraph(style=style)
        para.add_run(text)
        return para

    def lead(self, label: str, text: str) -> Paragraph:
        """A body paragraph that opens with a bold run-in label (1、预算情况。…)."""
        para = self.doc.add_paragraph(style=BODY)
        para.add_run(label).bold = True
        para.add_run(text)
        return para

    def tag(self, tag: str) -> None:
        """A paragraph holding only a ``{%p … %}`` tag; docxtpl removes it when rendering."""
        self.doc.add_paragraph("{%p " + tag + " %}")

    def lines(self, var: str, style: str = BODY) -> None:
        """One paragraph per item of the list ``var``."""
        self.tag(f"for line in {var}")
        self.p("{{ line }}", style)
        self.tag("endfor")

    def table(
        self,
        widths_cm: Sequence[float],
        header: Sequence[str],
        body: Sequence[str],
        loop: str,
        *,
        numeric: Iterable[int] = (),
        merges: dict[int, str] | None = None,
        footer: Sequence[Sequence[str]] = (),
        keep_together: bool = False,
    ) -> Table:
        """A grid table: header row (repeated on each page), a ``{%tr for %}`` body row, footer rows."""
        numeric = set(numeric)
        merges = merges or {}
        n = len(widths_cm)
        table = self.doc.add_table(rows=0, cols=n)
        table.style = self.doc.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        # Narrow cell margins (1 mm) so 五号 labels such as 满意度指标 fit their column.
        margins = parse_xml(
            f'<w:tblCellMar {nsdecls("w")}><w:left w:w="57" w:type="dxa"/>'
            '<w:right w:w="57" w:type="dxa"/></w:tblCellMar>'
        )
        table._tbl.tblPr.find(qn("w:tblLayout")).addnext(margins)
        for i, col in enumerate(table._tbl.tblGrid.findall(qn("w:gridCol"))):
            col.set(qn("w:w"), str(int(Cm(widths_cm[i]).twips)))

        def row(texts: Sequence[str], style_of, *, head: bool = False):
            r = table.add_row()
            tr_pr = r._tr.get_or_add_trPr()
            tr_pr.append(OxmlElement("w:cantSplit"))
            if head:
                tr_pr.append(OxmlElement("w:tblHeader"))
            for i, (cell, text) in enumerate(zip(r.cells, texts, strict=True)):
                cell.width = Cm(widths_cm[i])
                cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
                para = cell.paragraphs[0]
                para.style = self.doc.styles[style_of(i)]
                para.add_run(text)
            return r

        row(header, lambda i: TABLE_HEAD, head=True)
        loop_row = row([""] * n, lambda i: TABLE_TEXT)
        loop_row.cells[0].paragraphs[0].runs[0].text = "{%tr for r in " + loop + " %}"
        data = row(body, lambda i: TABLE_NUM if i in numeric else TABLE_TEXT)
        for i, var in merges.items():
            v_merge = data.cells[i]._tc.get_or_add_tcPr().get_or_add_vMerge()
            v_merge.set(qn("w:val"), "{{ r." + var + " }}")
        end_row = row([""] * n, lambda i: TABLE_TEXT)
        end_row.cells[0].paragraphs[0].runs[0].text = "{%tr endfor %}"
        for texts in footer:
            row(texts, lambda i: TABLE_HEAD if i == 0 else TABLE_NUM)
        if keep_together:  # a short table is not split across pages: every row keeps with the next
            for r in table.rows[:-1]:
                for cell in r.cells:
                    for para in cell.paragraphs:
                        para.paragraph_format.keep_with_next = True
            if not footer:  # the last generated row is the table's last: it need not keep with what follows
                for cell in data.cells:
                    keep = cell.paragraphs[0]._p.pPr.find(qn("w:keepNext"))
                    keep.set(qn("w:val"), "{% if loop.last %}0{% else %}1{% endif %}")
        return table


# ------------------------------------------------------------------------------------------ sections

_SCORE_WIDTHS = (7.0, 3.0, 3.0)
_INDICATOR_WIDTHS = (2.1, 2.5, 4.0, 2.1, 2.1, 1.2, 1.6)
_FUND_WIDTHS = (4.4, 2.8, 2.8, 2.8, 2.8)


def _banner(w: _Writer) -> None:
    w.tag("if errors")
    w.p("【数据校验未通过】本报告依据的数据存在{{ error_count }}项校验错误，请先修正后再定稿：", BANNER)
    w.lines("errors", BANNER)
    w.tag("endif")


def _score_part(w: _Writer, kind_words: str, table_no: int) -> None:
    """得分情况, 总体目标完成情况, 指标完成情况 with deviations, 绩效分析 (as (一)…(四) of one part)."""
    w.p("（一）自评得分情况", H2)
    w.p(
        "经自评，{{ we }}{{ year }}年度" + kind_words + "绩效自评得分{{ s.total }}分，"
        "等级为{{ s.grade }}。各项得分见表" + str(table_no) + "。",
    )
    w.p("表" + str(table_no) + "  绩效自评得分汇总", CAPTION)
    w.table(
        _SCORE_WIDTHS,
        ("评分项目", "分值", "得分"),
        ("{{ r.name }}", "{{ r.weight }}", "{{ r.score }}"),
        "s.rows",
        numeric=(1, 2),
        footer=(("{{ s.sum_label }}", "{{ s.sum_weight }}", "{{ s.sum_score }}"),),
        keep_together=True,
    )
    w.tag("if s.rescaled")
    w.p(
        "注：{{ s.na_count }}项指标不适用，不计分；自评总分按适用指标分值折算为百分制，为{{ s.total }}分。",
        NOTE,
    )
    w.tag("endif")
    w.p("（二）年度总体目标完成情况", H2)
    w.lines("t.goal_actual")
    w.p("（三）绩效指标完成情况", H2)
    w.tag("if indicators")
    w.p("各项绩效指标的年度指标值、实际完成值和得分见表" + str(table_no + 1) + "。")
    w.p("表" + str(table_no + 1) + "  绩效指标完成情况", CAPTION)
    w.table(
        _INDICATOR_WIDTHS,
        ("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分"),
        (
            "{{ r.l1 }}",
            "{{ r.l2 }}",
            "{{ r.name }}",
            "{{ r.target }}",
            "{{ r.actual }}",
            "{{ r.weight }}",
            "{{ r.score }}",
        ),
        "indicators",
        numeric=(0, 1, 3, 4, 5, 6),
        merges={0: "m1", 1: "m2"},
    )
    w.tag("else")
    w.p("【待填写：绩效指标（自评表中尚无绩效指标）】")
    w.tag("endif")
    w.tag("if deviations")
    w.p("未得满分的{{ deviations|length }}项，偏差原因分析及改进措施如下：")
    w.tag("for d in deviations")
    w.lead("（{{ d.no }}）{{ d.name }}。", "{{ d.detail }}偏差原因分析及改进措施：{{ d.note }}")
    w.tag("endfor")
    w.tag("elif indicators")
    w.p("各项绩效指标均得满分，无偏差。")
    w.tag("endif")
    w.p("（四）绩效实现情况分析", H2)
    w.lines("t.achievements")


def _problems_part(w: _Writer) -> None:
    w.p("（一）主要问题及原因分析", H2)
    w.lines("t.problems")
    w.p("（二）改进的方向和具体措施", H2)
    w.lines("t.measures")


def _publication_part(w: _Writer, kind_words: str) -> None:
    w.p("{{ we }}{{ year }}年度" + kind_words + "绩效自评{{ s.total }}分，等级为{{ s.grade }}。")
    w.lines("t.publication")


def _department_body(w: _Writer) -> None:
    w.p("{{ unit }}{{ year }}年度整体支出预算绩效自评报告", TITLE)
    w.p(
        "根据财政部门关于开展财政资金绩效自评工作的通知要求，{{ we }}对{{ year }}年度部门整体支出预算绩效"
        "开展了自评，现将具体情况报告如下："
    )
    w.p("一、部门概况", H1)
    w.p("（一）本部门主要职责职能，组织架构、人员及资产等基本情况", H2)
    w.p("1、主要职责职能", H3)
    w.lines("t.duties")
    w.p("2、组织架构和人员情况", H3)
    w.lines("t.organisation")
    w.p("3、资产情况", H3)
    w.lines("t.assets")
    w.p("（二）当年部门（单位）履职总体目标、工作任务", H2)
    w.lines("t.tasks")
    w.p("（三）部门{{ year }}年度整体支出绩效目标", H2)
    w.lines("t.goal_expected")
    w.p("（四）部门预算绩效管理开展情况", H2)
    w.lines("t.management")
    w.p("（五）{{ year }}年度部门预算及执行情况", H2)
    w.lead(
        "1、预算情况。",
        "{{ year }}年度收入预算{{ b.total }}万元"
        "{% if b.income_parts %}，其中：{% for p in b.income_parts %}{{ p.label }}{{ p.amount }}万元"
        "{% if not loop.last %}，{% endif %}{% endfor %}{% endif %}。",
    )
    w.lead(
        "2、预算支出情况。",
        "预算支出{{ b.total }}万元"
        "{% if b.spending_parts %}，其中：{% for p in b.spending_parts %}{{ p.label }}{{ p.amount }}万元"
        "{% if p.parts %}（其中：{% for q in p.parts %}{{ q.label }}{{ q.amount }}万元"
        "{% if not loop.last %}，{% endif %}{% endfor %}）{% endif %}"
        "{% if not loop.last %}，{% endif %}{% endfor %}{% endif %}。",
    )
    w.lead(
        "3、预算执行情况。",
        "全年预算数{{ b.total }}万元{% if b.show_initial %}（年初预算数{{ b.initial }}万元）{% endif %}，"
        "全年执行数{{ b.executed }}万元，预算执行率{{ b.rate }}。{{ b.note }}",
    )
    w.p("二、部门整体支出绩效实现情况", H1)
    _score_part(w, "部门整体支出", 1)
    w.p("三、部门整体支出绩效中存在的问题及改进措施", H1)
    _problems_part(w)
    w.p("四、绩效自评结果拟应用和公开情况", H1)
    _publication_part(w, "整体")


def _project_body(w: _Writer) -> None:
    w.p("{{ project }}{{ year }}年度绩效自评报告", TITLE)
    w.p(
        "根据财政部门关于开展财政资金绩效自评工作的通知要求，{{ we }}对{{ year }}年度“{{ project }}”"
        "项目支出绩效开展了自评，现将具体情况报告如下："
    )
    w.p("一、项目基本情况", H1)
    w.p("（一）项目概况", H2)
    w.lines("t.tasks")
    w.p("（二）项目绩效目标", H2)
    w.lines("t.goal_expected")
    w.p("（三）项目资金安排及执行情况", H2)
    w.p(
        "{{ year }}年度项目全年预算数{{ b.total }}万元{% if b.show_initial %}（年初预算数{{ b.initial }}万元）"
        "{% endif %}，全年执行数{{ b.executed }}万元，预算执行率{{ b.rate }}。{{ b.note }}"
    )
    w.tag("if b.fund_rows")
    w.p("表1  项目资金安排及执行情况（万元）", CAPTION)
    w.table(
        _FUND_WIDTHS,
        ("资金来源", "年初预算数", "全年预算数", "全年执行数", "执行率"),
        ("{{ r.label }}", "{{ r.initial }}", "{{ r.adjusted }}", "{{ r.executed }}", "{{ r.rate }}"),
        "b.fund_rows",
        numeric=(1, 2, 3, 4),
        keep_together=True,
    )
    w.tag("endif")
    w.p("二、绩效自评工作开展情况", H1)
    w.lines("t.management")
    w.p("三、绩效目标实现情况", H1)
    _score_part(w, "项目支出", 2)
    w.p("四、存在的问题及改进措施", H1)
    _problems_part(w)
    w.p("五、绩效自评结果拟应用和公开情况", H1)
    _publication_part(w, "项目支出")


def _cover(w: _Writer, kind: Kind) -> None:
    _banner(w)
    if kind == Kind.PROJECT:
        w.p("项目支出绩效自评报告", COVER_TITLE)
        w.p("项目名称：{{ project }}", COVER_ITEM)
        w.p("主管部门：{{ department }}", COVER_ITEM)
        w.p("实施单位（盖章）：{{ unit }}", COVER_ITEM)
        w.p("评价年度：{{ year }}年度", COVER_ITEM)
    else:
        w.p("整体支出绩效自评报告", COVER_TITLE)
        w.p("评价年度：{{ year }}年度", COVER_ITEM)
        w.p("评价单位（盖章）：{{ unit }}", COVER_ITEM)
    w.p("填报日期：{{ filled_on }}", COVER_ITEM)


# ------------------------------------------------------------------------------------------- builder


def build_document(kind: Kind = Kind.DEPARTMENT) -> DocumentType:
    """The template as a python-docx document (not yet saved)."""
    doc = Document()
    _setup_styles(doc)
    _font_table(doc)
    _settings(doc)
    _setup_page(doc.sections[0])
    w = _Writer(doc)
    _cover(w, kind)
    body = doc.add_section(WD_SECTION.NEW_PAGE)
    _setup_page(body)
    _page_number_footer(body)
    if kind == Kind.PROJECT:
        _project_body(w)
    else:
        _department_body(w)
    props = doc.core_properties
    props.title = "项目支出绩效自评报告" if kind == Kind.PROJECT else "整体支出绩效自评报告"
    props.author = props.last_modified_by = "perfeval-xl"
    props.comments = "perfeval-xl 自评报告模板（docxtpl 字段）"
    props.created = props.modified = BUILT_AT
    props.revision = 1
    return doc


def template_bytes(kind: Kind = Kind.DEPARTMENT) -> bytes:
    """The template .docx as bytes: the same bytes on every run (fixed zip times and properties)."""
    raw = io.BytesIO()
    build_document(kind).save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename == "docProps/thumbnail.jpeg":
                continue  # python-docx's sample thumbnail would show in file browsers
            fixed = zipfile.ZipInfo(info.filename, ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            data = src.read(info.filename)
            if info.filename in ("[Content_Types].xml", "_rels/.rels"):
                data = _drop_thumbnail(data)
            dst.writestr(fixed, data)
    return out.getvalue()


def _drop_thumbnail(xml: bytes) -> bytes:
    from lxml import etree

    root = etree.fromstring(xml)
    for el in list(root):
        if "thumbnail" in (el.get("PartName", "") + el.get("Target", "")):
            root.remove(el)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def build_default_template(out: Path, kind: Kind = Kind.DEPARTMENT) -> Path:
    """Write the default template for ``kind`` to ``out`` (atomically) and return ``out``."""
    from .files import atomic_write_bytes

    return atomic_write_bytes(out, template_bytes(kind))


def build_all(folder: Path) -> list[Path]:
    """Write both default templates into ``folder`` (the repository's ``workbooks/``)."""
    return [build_default_template(folder / name, kind) for kind, name in DEFAULT_TEMPLATE_NAMES.items()]


if __name__ == "__main__":  # python -m perfeval_xl.report_template [folder]
    import sys

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "workbooks"
    for path in build_all(target):
        print(path)
