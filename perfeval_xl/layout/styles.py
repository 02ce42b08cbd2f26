"""Cell styles by name, in one neutral form that both the XlsxWriter and the openpyxl renderers translate.

Fonts: 宋体 for the input sheets, 仿宋 for the printed 自评表 body and 宋体 bold for its title — the customary
fonts of printed 财政 tables (issue 2: "仿宋/宋体"); every Windows and WPS install has them, and LibreOffice
substitutes a CJK font on Linux.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

INPUT_FILL = "FFF2CC"  # light yellow: the clerk types here
CALC_FILL = "EDEDED"  # grey: formulas, do not type
HEADER_FILL = "DDEBF7"
SECTION_FILL = "E2EFDA"
MARK_FILLS: Mapping[str, str] = {"error": "FFC7CE", "warning": "FFEB9C", "info": "DDEBF7"}

MONEY = "#,##0.00"
PERCENT = "0.00%"
SCORE = "0.00"
INTEGER = "0"
TEXT = "@"
#: 1 / 0 shown in words: the 评分 sheet's 数据完整 flag.
COMPLETE_FLAG = '"数据完整";"数据完整";"数据不完整"'


@dataclass(frozen=True)
class Style:
    font: str = "宋体"
    size: float = 11
    bold: bool = False
    color: str = ""  # font colour, hex RGB
    fill: str = ""  # background, hex RGB
    halign: str = "left"  # left | center | right
    valign: str = "center"
    wrap: bool = False
    border: bool = True
    num_format: str = ""
    locked: bool = True
    underline: bool = False


_BASE = Style()
_PRINT = Style(font="仿宋", size=11, wrap=True)

STYLES: Mapping[str, Style] = {
    # input sheets
    "title": Style(size=16, bold=True, halign="center", border=False),
    "hint": Style(size=10, color="595959", wrap=True, border=False),
    "section": Style(bold=True, fill=SECTION_FILL),
    "header": Style(bold=True, fill=HEADER_FILL, halign="center", wrap=True),
    "label": replace(_BASE, wrap=True),
    "label_required": replace(_BASE, wrap=True, bold=True),
    "input_text": Style(fill=INPUT_FILL, locked=False, num_format=TEXT),
    "input_longtext": Style(fill=INPUT_FILL, locked=False, wrap=True, valign="top", num_format=TEXT),
    "input_number": Style(fill=INPUT_FILL, locked=False, num_format=MONEY, halign="right"),
    "input_score": Style(fill=INPUT_FILL, locked=False, num_format="General", halign="right"),
    "input_integer": Style(fill=INPUT_FILL, locked=False, num_format=INTEGER, halign="center"),
    "input_choice": Style(fill=INPUT_FILL, locked=False, num_format=TEXT, halign="center"),
    "input_any": Style(fill=INPUT_FILL, locked=False, halign="right", wrap=True),
    "calc_money": Style(fill=CALC_FILL, num_format=MONEY, halign="right"),
    "calc_percent": Style(fill=CALC_FILL, num_format=PERCENT, halign="right"),
    "calc_score": Style(fill=CALC_FILL, num_format=SCORE, halign="right"),
    "calc_grade": Style(fill=CALC_FILL, bold=True, halign="center"),
    "calc_total": Style(fill=CALC_FILL, num_format=SCORE, halign="right", bold=True),
    "calc_text": Style(fill=CALC_FILL, halign="center"),
    "calc_flag": Style(fill=CALC_FILL, halign="center", num_format=COMPLETE_FLAG),
    "calc_plain": Style(border=False),
    "calc_problem": Style(fill=CALC_FILL, wrap=True, color="C00000", size=10, valign="top"),
    "count": Style(bold=True, color="C00000", border=False, halign="right"),
    "input_value": Style(fill=INPUT_FILL, locked=False, halign="right", wrap=True, num_format=TEXT),
    "input_percent": Style(fill=INPUT_FILL, locked=False, num_format=PERCENT, halign="right"),
    "seq": Style(halign="center", color="808080"),
    "note": Style(size=10, color="595959", wrap=True, valign="top"),
    "link": Style(color="0563C1", underline=True),
    # the printed 自评表
    "p_title": Style(font="宋体", size=18, bold=True, halign="center", border=False),
    "p_subtitle": Style(font="宋体", size=12, halign="center", border=False),
    "p_label": replace(_PRINT, halign="center", bold=True),
    "p_text": replace(_PRINT, halign="left"),
    "p_center": replace(_PRINT, halign="center"),
    "p_money": replace(_PRINT, halign="right", num_format=MONEY),
    "p_percent": replace(_PRINT, halign="right", num_format=PERCENT),
    "p_score": replace(_PRINT, halign="right", num_format=SCORE),
    "p_total": replace(_PRINT, halign="center", num_format=SCORE, bold=True),
    "p_footer": replace(_PRINT, border=False, halign="left"),
    "p_footnote": replace(_PRINT, size=9, border=False, halign="left", color="595959"),
    # the live 自评表: borders come from conditional formats, only on rows in use
    "p_live": replace(_PRINT, halign="center", border=False),
    "p_live_text": replace(_PRINT, halign="left", border=False),
    "p_live_score": replace(_PRINT, halign="center", border=False, num_format=SCORE),
}
