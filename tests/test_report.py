"""The 自评报告: numbers read back from the .docx equal the model's, placeholders, template, PDF."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from decimal import Decimal as D
from pathlib import Path

import pytest
from docx import Document
from docx.enum.text import WD_COLOR_INDEX
from docx.oxml.ns import qn
from factories import seed_budget

from perfeval_xl.model import (
    Budget,
    Evaluation,
    Finding,
    FundLine,
    Indicator,
    Kind,
    Level,
    ReportText,
)
from perfeval_xl.report import (
    PLACEHOLDER_RE,
    ReportError,
    render_report,
    report_context,
    report_pdf,
)
from perfeval_xl.report_template import DEFAULT_TEMPLATE_NAMES, template_bytes
from perfeval_xl.rules.scoring import score

WORKBOOKS = Path(__file__).resolve().parents[1] / "workbooks"

FULL_TEXT = ReportText(
    duties="贯彻落实科技创新方针政策。\n（1）拟订创新驱动发展规划。",
    organisation="本部门设10个内设机构。",
    assets="固定资产原值1205795.2元。",
    tasks="全年完成规上工业增加值15.75亿元。",
    management="成立绩效自评工作小组。",
    achievements="资金使用效益高。",
    problems="绩效目标不够细化。",
    measures="细化预算编制。",
    publication="报告和表格将按要求公开。",
)


def seed_evaluation(text: ReportText | None = None) -> Evaluation:
    """The seed report's 2023 figures (official-rules.md §5) with a small indicator set."""
    budget = seed_budget(enterprise_subsidy=True)
    indicators = [
        Indicator("产出指标", "数量指标", "完成技改企业数", "≥", D(17), "家", D(20), "", D(20)),
        Indicator(
            "产出指标",
            "数量指标",
            "新增规上工业企业",
            "≥",
            D(5),
            "家",
            D(4),
            "",
            D(15),
            deviation_note="受市场需求下降影响，部分企业产值未达规上标准。",
        ),
        Indicator("产出指标", "时效指标", "资金拨付及时率", "≥", D(95), "%", D(100), "", D(15)),
        Indicator("效益指标", "经济效益指标", "规上工业增加值增速", "≥", D(6), "%", D("5.4"), "", D(15)),
        Indicator(
            "效益指标", "社会效益指标", "保障机关正常运转", "定性", "保障有力", "", None, "达成", D(15), D(14)
        ),
        Indicator("满意度指标", "服务对象满意度指标", "企业满意度", "≥", D(90), "%", D(92), "", D(10)),
    ]
    return Evaluation(
        unit_name="雷州市科工贸和信息化局",
        year=D(2023),
        budget=budget,
        indicators=indicators,
        goal_expected="目标1：加强党的全面领导。\n目标2：加强干部队伍建设。",
        goal_actual="年度目标基本完成。" if text else "",
        text=text or ReportText(),
        filled_on="2024年7月12日" if text else "",
    )


def project_evaluation() -> Evaluation:
    budget = Budget(
        total=FundLine(D(100), D(120), D("98.5")),
        appropriation=FundLine(D(90), D(100), D("89.974")),
        carried_over=FundLine(D(10), D(20), D("8.526")),
        note="部分培训因场地原因顺延至次年。",
    )
    indicators = [
        Indicator("产出指标", "数量指标", "培训企业人次", "≥", D(500), "人次", D(520), "", D(20)),
        Indicator("产出指标", "质量指标", "培训合格率", "≥", D(95), "%", D(93), "", D(30)),
        Indicator("效益指标", "经济效益指标", "带动企业增收", "≥", D(100), "万元", "/", "", D(10)),
        Indicator(
            "效益指标", "社会效益指标", "创新能力提升", "定性", "明显提升", "", None, "部分达成", D(20), D(14)
        ),
        Indicator("满意度指标", "服务对象满意度指标", "参训企业满意度", "≥", D(90), "%", D(95), "", D(10)),
        Indicator(),  # a blank template row: not an indicator, not in the report
    ]
    return Evaluation(
        unit_name="雷州市科工贸和信息化局",
        department="雷州市人民政府",
        year=D(2023),
        kind=Kind.PROJECT,
        project_name="中小企业数字化转型培训项目",
        budget=budget,
        indicators=indicators,
    )


def render(ev: Evaluation, tmp_path: Path, name: str = "报告.docx", **kw) -> Document:
    out = render_report(ev, score(ev), tmp_path / name, **kw)
    return Document(str(out))


def body_texts(doc) -> list[str]:
    return [p.text for p in doc.paragraphs]


def all_text(doc) -> str:
    parts = body_texts(doc)
    for table in doc.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def paragraph_starting(doc, prefix: str) -> str:
    found = [t for t in body_texts(doc) if t.startswith(prefix)]
    assert len(found) == 1, (prefix, found)
    return found[0]


def table_after(doc, caption_words: str):
    """The table that follows the caption paragraph containing ``caption_words``."""
    body = doc.element.body
    for el in body:
        text = "".join(t.text or "" for t in el.iter(qn("w:t")))
        if el.tag == qn("w:p") and text.startswith("表") and caption_words in text:
            nxt = el.getnext()
            assert nxt.tag == qn("w:tbl"), caption_words
            return next(t for t in doc.tables if t._tbl is nxt)
    raise AssertionError(f"no caption {caption_words}")


def rows_of(table) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows]


# ------------------------------------------------------------------------------------------- numbers


def test_seed_budget_paragraphs_state_the_seed_figures(tmp_path):
    doc = render(seed_evaluation(FULL_TEXT), tmp_path)
    assert paragraph_starting(doc, "1、预算情况。") == (
        "1、预算情况。2023年度收入预算2652.84万元，其中：一般公共预算拨款1807.49万元，"
        "政府性基金拨款838.62万元，其他收入6.73万元。"
    )
    assert paragraph_starting(doc, "2、预算支出情况。") == (
        "2、预算支出情况。预算支出2652.84万元，其中：基本支出591.31万元（其中：工资福利支出314.19万元，"
        "商品和服务支出104.11万元，对个人和家庭的补助173.01万元），项目支出2061.53万元"
        "（其中：对企业补助支出1348.28万元）。"
    )
    assert paragraph_starting(doc, "3、预算执行情况。") == (
        "3、预算执行情况。全年预算数2652.84万元，全年执行数2652.84万元，预算执行率100.00%。"
    )


def test_split_not_given_is_left_out_not_printed_empty(tmp_path):
    ev = seed_evaluation(FULL_TEXT)
    b = ev.budget
    b.government_fund = b.other_income = None
    b.wages = b.goods_services = b.household_subsidy = None
    b.basic = b.project = b.enterprise_subsidy = None
    b.total.initial = D("2600")
    doc = render(ev, tmp_path)
    assert (
        paragraph_starting(doc, "1、预算")
        == "1、预算情况。2023年度收入预算2652.84万元，其中：一般公共预算拨款1807.49万元。"
    )
    assert paragraph_starting(doc, "2、预算支出") == "2、预算支出情况。预算支出2652.84万元。"
    # 年初预算数 differs from 全年预算数: both are stated.
    assert "全年预算数2652.84万元（年初预算数2600.00万元）" in paragraph_starting(doc, "3、预算")
    assert "None" not in all_text(doc)


def test_score_table_and_sentences_equal_the_model(tmp_path):
    ev = seed_evaluation(FULL_TEXT)
    scores = score(ev)
    # Known answers, computed by hand: 10 + 20 + 12 + 15 + 13.5 + 14 + 10.
    assert scores.total == D("94.50") and scores.grade == "优"
    doc = render(ev, tmp_path)
    rows = rows_of(table_after(doc, "绩效自评得分汇总"))
    assert rows[0] == ["评分项目", "分值", "得分"]
    expected = [["预算执行率", "10", f"{scores.execution_score:.2f}"]]
    for name, (weight, got) in scores.level1_totals().items():
        expected.append([name, str(int(weight)), f"{got:.2f}"])
    assert rows[1:-1] == expected
    assert rows[1:-1] == [
        ["预算执行率", "10", "10.00"],
        ["产出指标", "50", "47.00"],
        ["效益指标", "30", "27.50"],
        ["满意度指标", "10", "10.00"],
    ]
    assert rows[-1] == ["合计", "100", "94.50"]
    assert "绩效自评得分94.50分，等级为优。" in all_text(doc)
    # Part 四 states the model's total and grade.
    part4 = body_texts(doc)[body_texts(doc).index("四、绩效自评结果拟应用和公开情况") + 1]
    assert part4 == "本单位2023年度整体绩效自评94.50分，等级为优。"


def test_indicator_table_rows_equal_the_model(tmp_path):
    ev = seed_evaluation(FULL_TEXT)
    scores = score(ev)
    doc = render(ev, tmp_path)
    table = table_after(doc, "绩效指标完成情况")
    rows = rows_of(table)[1:]
    assert len(rows) == len(ev.indicators)
    for row, ind, sc in zip(rows, ev.indicators, scores.indicators, strict=True):
        assert row[2] == ind.name
        assert row[5] == str(ind.weight)
        assert row[6] == f"{sc.score:.2f}"
    assert [r[3:5] for r in rows] == [
        ["≥17家", "20家"],
        ["≥5家", "4家"],
        ["≥95%", "100%"],
        ["≥6%", "5.4%"],
        ["保障有力", "达成年度指标"],
        ["≥90%", "92%"],
    ]
    # Equal 一级/二级 cells are merged vertically (python-docx repeats the merged text).
    assert [r[0] for r in rows] == ["产出指标"] * 3 + ["效益指标"] * 2 + ["满意度指标"]
    merges = [tc.find(qn("w:tcPr")).find(qn("w:vMerge")).get(qn("w:val")) for tc in _first_cells(table)]
    assert merges == ["restart", "continue", "continue", "restart", "continue", "restart"]


def test_without_a_total_the_table_labels_the_sum_of_scored_rows_and_shows_clean_level_names(tmp_path):
    """分值 adding to 110: no 合计 that reads as a 总分 (issue 9 §6); a 二级 typed over two lines of a merged
    cell prints as the scheme reads it."""
    ev = seed_evaluation(FULL_TEXT)
    ev.indicators[0].weight = ev.indicators[0].weight + 10
    ev.indicators[0].level2 = "数量\n指标"
    scores = score(ev)
    assert scores.total is None
    doc = render(ev, tmp_path)
    rows = rows_of(table_after(doc, "绩效自评得分汇总"))
    assert rows[-1][:2] == ["已计得分（不是总分）", "110"]
    assert all(r[0] != "合计" for r in rows)
    indicator_rows = rows_of(table_after(doc, "绩效指标完成情况"))[1:]
    assert indicator_rows[0][1] == "数量指标"


def _first_cells(table):
    return [tr.findall(qn("w:tc"))[0] for tr in table._tbl.findall(qn("w:tr"))[1:]]


def test_deviations_list_every_item_below_its_weight_with_its_reason(tmp_path):
    doc = render(seed_evaluation(FULL_TEXT), tmp_path)
    texts = body_texts(doc)
    assert "未得满分的3项，偏差原因分析及改进措施如下：" in texts
    assert paragraph_starting(doc, "（1）新增规上工业企业。") == (
        "（1）新增规上工业企业。年度指标值≥5家，实际完成值4家，得分12.00分（分值15分）。"
        "偏差原因分析及改进措施：受市场需求下降影响，部分企业产值未达规上标准。"
    )
    # No reason entered: a placeholder, not invented prose.
    assert paragraph_starting(doc, "（2）规上工业增加值增速。").endswith("【待填写：偏差原因分析及改进措施】")
    assert paragraph_starting(doc, "（3）保障机关正常运转。").startswith(
        "（3）保障机关正常运转。年度指标值保障有力，实际完成值达成年度指标，得分14.00分（分值15分）。"
    )


def test_project_report_has_its_outline_fund_table_and_rescaled_total(tmp_path):
    ev = project_evaluation()
    scores = score(ev)
    doc = render(ev, tmp_path)
    texts = body_texts(doc)
    for heading in (
        "一、项目基本情况",
        "二、绩效自评工作开展情况",
        "三、绩效目标实现情况",
        "四、存在的问题及改进措施",
        "五、绩效自评结果拟应用和公开情况",
    ):
        assert heading in texts
    assert "中小企业数字化转型培训项目2023年度绩效自评报告" in texts
    assert "主管部门：雷州市人民政府" in texts
    assert rows_of(table_after(doc, "项目资金安排及执行情况")) == [
        ["资金来源", "年初预算数", "全年预算数", "全年执行数", "执行率"],
        ["年度资金总额", "100.00", "120.00", "98.50", "82.08%"],
        ["其中：当年财政拨款", "90.00", "100.00", "89.97", "—"],
        ["上年结转资金", "10.00", "20.00", "8.53", "—"],
    ]
    # One indicator not applicable: shown as "/", total rescaled (official-rules.md §3).
    indicator_rows = rows_of(table_after(doc, "绩效指标完成情况"))[1:]
    assert len(indicator_rows) == 5  # the blank row is left out
    assert indicator_rows[2][4:] == ["/", "10", "/"]
    assert scores.total is not None
    assert f"自评总分按适用指标分值折算为百分制，为{scores.total:.2f}分" in all_text(doc)
    # 执行率 82.08 % < 100 %: a deviation whose reason is the 预算执行说明.
    assert paragraph_starting(doc, "（1）预算执行率。") == (
        "（1）预算执行率。全年预算数120.00万元，全年执行数98.50万元，执行率82.08%，"
        f"得分{scores.execution_score:.2f}分（分值10分）。偏差原因分析及改进措施：部分培训因场地原因顺延至次年。"
    )


# -------------------------------------------------------------------------------------- placeholders


def test_placeholders_for_every_empty_text_and_highlighted(tmp_path):
    doc = render(seed_evaluation(None), tmp_path)
    text = all_text(doc)
    for label in (
        "主要职责职能",
        "组织架构和人员情况",
        "资产情况",
        "主要问题及原因分析",
        "改进的方向和具体措施",
    ):
        assert re.search(f"【待填写：{label}[^】]*】", text), label
    assert "【待填写：填报日期】" in text
    assert "【待填写：年度总体目标实际完成情况】" in text
    # Every placeholder is a run of its own, highlighted, so a clerk finds it at a glance.
    runs = [r for p in doc.paragraphs for r in p.runs if "【待填写" in r.text]
    assert runs and all(PLACEHOLDER_RE.fullmatch(r.text) for r in runs)
    assert all(r.font.highlight_color == WD_COLOR_INDEX.YELLOW for r in runs)


def test_no_placeholder_when_everything_is_given(tmp_path):
    ev = seed_evaluation(FULL_TEXT)
    for ind in ev.indicators:
        ind.deviation_note = ind.deviation_note or "原因已说明。"
    doc = render(ev, tmp_path)
    text = all_text(doc)
    assert "【待填写" not in text
    assert "贯彻落实科技创新方针政策。" in body_texts(doc)
    assert "（1）拟订创新驱动发展规划。" in body_texts(doc)  # one paragraph per line of the text cell
    assert not any(r.font.highlight_color for p in doc.paragraphs for r in p.runs)


def test_markup_characters_in_text_are_kept_as_text(tmp_path):
    ev = seed_evaluation(FULL_TEXT)
    ev.text.problems = "收入<支出 & 结余>0，“三公”经费{{ 未 }}控制。"
    doc = render(ev, tmp_path)
    assert "收入<支出 & 结余>0，“三公”经费{{ 未 }}控制。" in body_texts(doc)


def test_context_is_plain_text(tmp_path):
    ctx = report_context(seed_evaluation(FULL_TEXT), score(seed_evaluation(FULL_TEXT)))
    assert ctx["b"]["total"] == "2652.84" and ctx["b"]["rate"] == "100.00%"
    assert ctx["s"]["total"] == "94.50" and ctx["s"]["grade"] == "优"
    assert ctx["year"] == "2023" and ctx["errors"] == []


# ------------------------------------------------------------------------------------------ findings


def test_errors_put_a_visible_note_at_the_top(tmp_path):
    findings = [
        Finding("E101", Level.ERROR, "全年执行数不是数字，请填写数字。", sheet="自评表", cell="F7"),
        Finding("E102", Level.ERROR, "分值合计不等于100。"),
        Finding("W201", Level.WARNING, "实际完成值超过目标值的120%，请说明原因。"),
    ]
    doc = render(seed_evaluation(FULL_TEXT), tmp_path, findings=findings)
    texts = body_texts(doc)
    assert texts[0] == "【数据校验未通过】本报告依据的数据存在2项校验错误，请先修正后再定稿："
    assert texts[1:3] == ["1. 〔自评表 F7〕全年执行数不是数字，请填写数字。", "2. 分值合计不等于100。"]
    assert "超过目标值" not in all_text(doc)  # warnings are not repeated in the report


def test_no_note_without_errors(tmp_path):
    warning = Finding("W201", Level.WARNING, "请说明原因。")
    doc = render(seed_evaluation(FULL_TEXT), tmp_path, findings=[warning])
    assert "校验" not in all_text(doc)
    assert body_texts(doc)[0] == "整体支出绩效自评报告"


# ------------------------------------------------------------------------------------------ template


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


@pytest.mark.parametrize("kind", list(DEFAULT_TEMPLATE_NAMES), ids=["department", "project"])
def test_committed_template_is_what_the_code_builds(kind):
    committed = (WORKBOOKS / DEFAULT_TEMPLATE_NAMES[kind]).read_bytes()
    assert _parts(committed) == _parts(template_bytes(kind)), (
        "workbooks/ is out of date: run python -m perfeval_xl.report_template"
    )


def test_template_layout_a4_margins_fonts_page_number():
    doc = Document(io.BytesIO(template_bytes(Kind.DEPARTMENT)))
    cover, body = doc.sections
    for s in (cover, body):
        assert (round(s.page_width.cm, 1), round(s.page_height.cm, 1)) == (21.0, 29.7)
        assert [round(x.cm, 1) for x in (s.top_margin, s.bottom_margin, s.left_margin, s.right_margin)] == [
            3.7,
            3.5,
            2.8,
            2.6,
        ]
    footer_xml = body.footer._element.xml
    assert "PAGE" in footer_xml and not body.footer.is_linked_to_previous
    assert cover.footer.is_linked_to_previous  # no footer, so no page number, on the cover
    assert body._sectPr.find(qn("w:pgNumType")).get(qn("w:start")) == "1"

    def east_asia(style_name):
        return doc.styles[style_name].element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia"))

    assert east_asia("Normal") == "仿宋_GB2312"
    assert east_asia("报告标题") == "方正小标宋简体"
    assert east_asia("一级标题") == "黑体"
    assert doc.styles["Normal"].font.size.pt == 16
    assert doc.styles["报告标题"].font.size.pt == 22
    # Fall-backs for machines without the 公文 fonts.
    font_table = doc.part.part_related_by(
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/fontTable"
    ).blob.decode()
    assert 'w:name="仿宋_GB2312"' in font_table and "FangSong" in font_table


def test_custom_template_renders_its_own_wording(tmp_path):
    tpl = Document()
    tpl.add_paragraph("{{ unit }}自评{{ s.total }}分（{{ s.grade }}），执行率{{ b.rate }}。")
    path = tmp_path / "省模板.docx"
    tpl.save(str(path))
    doc = render(seed_evaluation(FULL_TEXT), tmp_path, template=path)
    assert body_texts(doc) == ["雷州市科工贸和信息化局自评94.50分（优），执行率100.00%。"]


def test_bad_template_field_is_a_clear_error_and_keeps_the_old_file(tmp_path):
    tpl = Document()
    tpl.add_paragraph("{{ s.totl }}")
    path = tmp_path / "错模板.docx"
    tpl.save(str(path))
    out = tmp_path / "报告.docx"
    out.write_bytes(b"old")
    with pytest.raises(ReportError, match=r"字段写法有误.*totl"):
        render_report(seed_evaluation(), score(seed_evaluation()), out, template=path)
    assert out.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["报告.docx", "错模板.docx"]
    with pytest.raises(ReportError, match="找不到报告模板"):
        render_report(seed_evaluation(), score(seed_evaluation()), out, template=tmp_path / "无.docx")


# ------------------------------------------------------------------------------------------------ PDF

needs_office = pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="needs LibreOffice and poppler-utils",
)


@pytest.mark.libreoffice
@needs_office
def test_pdf_pages_and_text(tmp_path):
    docx = render_report(
        seed_evaluation(FULL_TEXT), score(seed_evaluation(FULL_TEXT)), tmp_path / "报告.docx"
    )
    pdf = report_pdf(docx, tmp_path / "报告.pdf")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert 4 <= pages <= 7
    assert "(A4)" in info
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = re.sub(r"\s+", "", text)
    assert "自评94.50分，等级为优" in flat
    assert "收入预算2652.84万元" in flat
    # A comma that falls on a justified line end is drawn (LibreOffice drops hung punctuation otherwise).
    assert "通知要求，本单位对2023年度" in flat
    # Cover without page number; the report's first page is "— 1 —".
    first_body = subprocess.run(
        ["pdftotext", "-f", "2", "-l", "2", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"—\s*1\s*—", first_body)
    cover = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "—" not in cover
