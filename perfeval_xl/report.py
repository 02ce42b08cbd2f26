"""The written 自评报告 (.docx) rendered from a template, and its PDF through LibreOffice.

Every number in the report comes from the model (``Evaluation``) and the rules (``Scores``); text only a
person can write comes from ``Evaluation.text`` and the goal fields, and where it is empty the report says
so with a highlighted 【待填写：…】 placeholder — nothing is invented. Interpretations (sources:
official-rules.md §4 and §5, official-rules-sources.md §4.1 and §4.3, the seed report):

- Structure: 部门整体 follows the seed (一、部门概况 (一)…(五), 二、整体支出绩效实现情况, 三、存在的问题及改进
  措施, 四、绩效自评结果拟应用和公开情况); 项目支出 follows the MOF reference outline cut to the same parts
  (一、项目基本情况, 二、绩效自评工作开展情况, 三、绩效目标实现情况, 四、存在的问题及改进措施, 五、…公开情况).
- 收入预算 and 预算支出 are both the 全年预算数 (``budget.total.adjusted``): the seed states one figure for
  both (2652.84) and the model's split lines are 全年预算数 figures. A split line that is not given is left
  out; a missing total prints a placeholder. 对企业补助 is stated inside 项目支出 ("其中"), following the
  model's reading that it classifies part of 项目支出 (official-rules.md §5).
- Money in 万元 with 2 decimals, rates in percent with 2 decimals (100.00%), scores with 2 decimals, 分值
  as entered (10, 2.5). Rounding half-up as everywhere else (rules.expr.round_half_up).
- Deviations: every applicable item scored below its 分值 (official-rules.md §3, "偏差原因分析 is required on
  every indicator scored below its w"), the 预算执行率 included; its reason is the indicator's
  偏差原因分析及改进措施 (for the 执行率: the 预算执行说明), else a placeholder.
- Data with errors: a red box on the cover lists the error findings (up to 20) and asks to fix them before
  the report is finalised. Warnings and info findings are not repeated (``validate`` reports them); the
  ones that matter in prose (a missing deviation reason) show up as placeholders anyway.
- The report speaks of the unit as 本单位 (``we`` in the template; a bureau may change it there).
"""

from __future__ import annotations

import functools
import io
import re
import zipfile
from collections.abc import Sequence
from copy import deepcopy
from decimal import Decimal
from pathlib import Path
from typing import Any

from docx.document import Document as DocumentType
from docx.enum.text import WD_COLOR_INDEX
from docx.oxml.ns import qn
from docx.text.run import Run

from . import display
from .display import plain
from .files import atomic_write_bytes
from .model import Evaluation, Finding, Indicator, Kind, Level, Num, as_number
from .rules import vocab
from .rules.expr import round_half_up
from .rules.scheme import Scheme
from .rules.scoring import Scores, rate_for_display

__all__ = [
    "PLACEHOLDER_RE",
    "ReportError",
    "atomic_write_bytes",
    "placeholder",
    "render_report",
    "report_context",
    "report_pdf",
]


class ReportError(Exception):
    """A report could not be written; the message is Chinese and says what to do."""


#: A placeholder for text or a number only a person can supply.
PLACEHOLDER_RE = re.compile(r"【待填写：[^】]*】")
MAX_LISTED_ERRORS = 20
WE = "本单位"

#: Placeholder labels of the person-written texts, 部门整体.
TEXT_LABELS: dict[str, str] = {
    "duties": "主要职责职能",
    "organisation": "组织架构和人员情况（内设机构、编制、在职和退休人员、财政供给人员）",
    "assets": "资产情况（固定资产原值和净值、公务用车、单价100万元以上设备）",
    "tasks": "履职总体目标、工作任务及年度主要工作完成情况",
    "goal_expected": "整体支出绩效目标（年度总体目标：预期目标）",
    "management": "预算绩效管理开展情况（资金安排落实和到位情况、资金管理使用情况）",
    "goal_actual": "年度总体目标实际完成情况",
    "achievements": "整体支出绩效实现情况分析（资金使用效益、社会效益等）",
    "problems": "主要问题及原因分析",
    "measures": "改进的方向和具体措施",
    "publication": "自评结果应用和公开情况",
}
#: Labels that differ for 项目支出.
PROJECT_TEXT_LABELS: dict[str, str] = {
    **TEXT_LABELS,
    "tasks": "项目概况（立项依据、主要内容、实施情况）",
    "goal_expected": "项目绩效目标（年度总体目标：预期目标）",
    "management": "绩效自评工作开展情况",
    "achievements": "项目绩效实现情况分析（经济效益、社会效益等）",
}


# ------------------------------------------------------------------------------------------ formatting


def placeholder(what: str) -> str:
    return f"【待填写：{what}】"


def money(value: Num) -> str | None:
    """万元 with 2 decimals, or None when not a number."""
    d = as_number(value)
    return None if d is None else str(round_half_up(d, 2))


def percent(rate: Decimal | None) -> str | None:
    """A fraction as a percentage with 2 decimals (0.98274 → 98.27%)."""
    shown = rate_for_display(rate)
    return None if shown is None else f"{round_half_up(shown * 100, 2)}%"


def points(value: Decimal | None) -> str | None:
    """A score with 2 decimals."""
    return None if value is None else str(round_half_up(value, 2))


def weight_text(value: Num) -> str | None:
    d = as_number(value)
    return None if d is None else plain(d)


def paragraphs(text: str) -> list[str]:
    """A person's text as paragraphs: one per non-empty line, leading indentation dropped."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def target_text(ind: Indicator, scheme: Scheme | None = None) -> str:
    """年度指标值 with its operator and unit (≥50个); 定性 targets as written; — when blank."""
    return display.target_text(ind, scheme) or "—"


def actual_text(ind: Indicator, scheme: Scheme | None = None) -> str:
    """实际完成值 with its unit; for a 定性 row the chosen 完成档次; — when blank."""
    return display.actual_text(ind, scheme) or "—"


# -------------------------------------------------------------------------------------------- context


def _texts(ev: Evaluation) -> dict[str, list[str]]:
    labels = PROJECT_TEXT_LABELS if ev.kind == Kind.PROJECT else TEXT_LABELS
    given = {
        **{name: getattr(ev.text, name) for name in labels if hasattr(ev.text, name)},
        "goal_expected": ev.goal_expected,
        "goal_actual": ev.goal_actual,
    }
    return {name: paragraphs(given.get(name) or "") or [placeholder(label)] for name, label in labels.items()}


def _part(label: str, value: Num, parts: list[dict[str, Any]] | None = None) -> dict[str, Any] | None:
    amount = money(value)
    if amount is None and not parts:
        return None
    return {"label": label, "amount": amount or placeholder(label), "parts": parts or []}


def _parts(*items: tuple[str, Num]) -> list[dict[str, Any]]:
    return [p for label, value in items if (p := _part(label, value)) is not None]


def _budget(ev: Evaluation, scores: Scores, note_elsewhere: bool) -> dict[str, Any]:
    b = ev.budget
    total = money(b.total.adjusted)
    initial = money(b.total.initial)
    basic = _part(
        "基本支出",
        b.basic,
        _parts(
            ("工资福利支出", b.wages),
            ("商品和服务支出", b.goods_services),
            ("对个人和家庭的补助", b.household_subsidy),
        ),
    )
    enterprise = _parts(("对企业补助支出", b.enterprise_subsidy))
    project = _part("项目支出", b.project, enterprise) if as_number(b.project) is not None else None
    spending = [p for p in (basic, project) if p] + ([] if project else enterprise)
    fund_lines = (
        ("其中：当年财政拨款", b.appropriation),
        ("上年结转资金", b.carried_over),
        ("其他资金", b.other_funds),
    )
    given = [
        (label, line)
        for label, line in fund_lines
        if any(as_number(v) is not None for v in (line.initial, line.adjusted, line.executed))
    ]
    fund_rows = []
    if given:
        fund_rows.append(_fund_row("年度资金总额", b.total, percent(scores.execution_rate)))
        fund_rows += [_fund_row(label, line, "—") for label, line in given]
    return {
        "total": total or placeholder("全年预算数"),
        "initial": initial or "",
        "show_initial": initial is not None and total is not None and initial != total,
        "executed": money(b.total.executed) or placeholder("全年执行数"),
        "rate": percent(scores.execution_rate)
        or placeholder("预算执行率（须有大于0的全年预算数和全年执行数）"),
        "income_parts": _parts(
            ("一般公共预算拨款", b.general_public),
            ("政府性基金拨款", b.government_fund),
            ("其他收入", b.other_income),
        ),
        "spending_parts": spending,
        "fund_rows": fund_rows,
        "note": "" if note_elsewhere else b.note.strip(),
    }


def _fund_row(label: str, line, rate: str | None) -> dict[str, str]:
    return {
        "label": label,
        "initial": money(line.initial) or "—",
        "adjusted": money(line.adjusted) or "—",
        "executed": money(line.executed) or "—",
        "rate": rate or "—",
    }


def _scored_rows(ev: Evaluation, scores: Scores) -> list[tuple[Indicator, Any]]:
    """Indicators the clerk entered (blank template rows left out), each with its computed score."""
    return [
        (ind, sc)
        for ind, sc in zip(ev.indicators, scores.indicators, strict=False)
        if not vocab.is_blank(ind)
    ]


def _scores(
    ev: Evaluation, scores: Scores, rows: list[tuple[Indicator, Any]], scheme: Scheme | None
) -> dict[str, Any]:
    used = {sc.level1 for _, sc in rows if sc.weight is not None}
    table = [
        {
            "name": "预算执行率",
            "weight": weight_text(ev.execution_weight) or "—",
            "score": points(scores.execution_score) or "—",
        }
    ]
    for name, (weight, score) in scores.level1_totals(scheme).items():
        if name in used:
            table.append(
                {"name": name or "（未填一级指标）", "weight": plain(weight), "score": points(score)}
            )
    na_count = sum(1 for _, sc in rows if sc.weight is not None and not sc.applicable)
    exec_weight = as_number(ev.execution_weight) or Decimal(0)
    raw = None if scores.execution_score is None else scores.execution_score + scores.indicator_score
    return {
        # No 总分 without complete data (issue 9 §6): the placeholder says why, never a number.
        "total": points(scores.total) or placeholder(f"总分（{scores.blocked_line or '数据不全'}）"),
        "grade": scores.grade or placeholder("等级（总分未计）"),
        "rows": table,
        # Without a 总分 the sum of the scored rows is labelled as what it is (issue 9 §6), never 合计.
        "sum_label": "合计" if scores.total is not None else "已计得分（不是总分）",
        "sum_weight": plain(exec_weight + scores.applicable_weight),
        "sum_score": points(raw) or "—",
        "rescaled": na_count > 0,
        "na_count": na_count,
    }


def _shown(sc: Any, step: str) -> str:
    """年度指标值 / 实际完成值 as printed (the row program's t_show / a_show), — when blank."""
    return str(sc.env.get(step, "")).strip() or "—"


def _indicators(rows: list[tuple[Indicator, Any]], scheme: Scheme | None = None) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    prev: tuple[str, str] | None = None
    for ind, sc in rows:
        # the names as the scheme reads them (line breaks of merged cells, "(50分)" and a trailing 等 gone)
        l1, l2 = sc.level1 or ind.level1.strip(), sc.level2 or ind.level2.strip()
        new1 = prev is None or l1 != prev[0]
        new2 = new1 or l2 != prev[1]  # type: ignore[index]
        prev = (l1, l2)
        shown = "/" if not sc.applicable else points(sc.score) or "—"
        out.append(
            {
                "l1": l1 if new1 else "",
                "l2": l2 if new2 else "",
                "m1": "restart" if new1 else "continue",
                "m2": "restart" if new2 else "continue",
                "name": ind.name.strip(),
                "target": _shown(sc, "t_show"),
                "actual": _shown(sc, "a_show"),
                "weight": weight_text(ind.weight) or "—",
                "score": shown,
            }
        )
    return out


def _deviations(
    ev: Evaluation, scores: Scores, rows: list[tuple[Indicator, Any]], budget: dict[str, Any]
) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    exec_weight = as_number(ev.execution_weight)
    if (
        scores.execution_score is not None
        and exec_weight is not None
        and scores.execution_score < exec_weight
    ):
        out.append(
            {
                "name": "预算执行率",
                "detail": f"全年预算数{budget['total']}万元，全年执行数{budget['executed']}万元，"
                f"执行率{budget['rate']}，得分{points(scores.execution_score)}分（分值{plain(exec_weight)}分）。",
                "note": ev.budget.note.strip() or placeholder("预算执行率未达到100%的原因及改进措施"),
            }
        )
    for ind, sc in rows:
        if not sc.applicable or sc.score is None or sc.weight is None or sc.score >= sc.weight:
            continue
        out.append(
            {
                "name": ind.name.strip() or "（未命名指标）",
                "detail": f"年度指标值{_shown(sc, 't_show')}，实际完成值{_shown(sc, 'a_show')}，"
                f"得分{points(sc.score)}分（分值{plain(sc.weight)}分）。",
                "note": ind.deviation_note.strip() or placeholder("偏差原因分析及改进措施"),
            }
        )
    for no, item in enumerate(out, 1):
        item["no"] = str(no)
    return out


def _finding_text(f: Finding) -> str:
    where = " ".join(part for part in (f.sheet, f.cell) if part)
    return f"〔{where}〕{f.message}" if where else f.message


def _errors(findings: Sequence[Finding]) -> list[str]:
    errors = [f for f in findings if f.level == Level.ERROR]
    lines = [f"{i}. {_finding_text(f)}" for i, f in enumerate(errors[:MAX_LISTED_ERRORS], 1)]
    if len(errors) > MAX_LISTED_ERRORS:
        lines.append(f"……另有{len(errors) - MAX_LISTED_ERRORS}项，请用 perfeval-xl validate 查看全部。")
    return lines


def report_context(
    ev: Evaluation, scores: Scores, findings: Sequence[Finding] = (), scheme: Scheme | None = None
) -> dict[str, Any]:
    """Every field the report template uses, as text (see ``report_template`` for the list)."""
    year = as_number(ev.year)
    rows = _scored_rows(ev, scores)
    exec_weight = as_number(ev.execution_weight)
    exec_deviates = (
        scores.execution_score is not None
        and exec_weight is not None
        and scores.execution_score < exec_weight
    )
    budget = _budget(ev, scores, note_elsewhere=exec_deviates)
    errors = _errors(findings)
    return {
        "kind": Kind.PROJECT.value if ev.kind == Kind.PROJECT else Kind.DEPARTMENT.value,
        "we": WE,
        "unit": ev.unit_name.strip() or placeholder("单位名称"),
        "department": ev.department.strip() or placeholder("主管部门"),
        "project": ev.project_name.strip() or placeholder("项目名称"),
        "year": plain(year) if year is not None else placeholder("评价年度"),
        "filled_on": ev.filled_on.strip() or placeholder("填报日期"),
        "errors": errors,
        "error_count": sum(1 for f in findings if f.level == Level.ERROR),
        "t": _texts(ev),
        "b": budget,
        "s": _scores(ev, scores, rows, scheme),
        "indicators": _indicators(rows, scheme),
        "deviations": _deviations(ev, scores, rows, budget),
    }


# ------------------------------------------------------------------------------------------- rendering

_UNDEFINED = re.compile(r"'([^']*)' is undefined|has no attribute '([^']*)'")


def _template_message(exc: Exception) -> str:
    """jinja's message, with its two usual English forms said in Chinese (the field's name kept)."""
    text = str(exc) or type(exc).__name__
    found = _UNDEFINED.search(text)
    if found:
        return f"字段“{found[1] or found[2]}”不存在（{text}）"
    if "is unsafe" in text:
        return f"模板试图访问程序内部（{text}）"
    return text


def mark_placeholders(doc: DocumentType) -> int:
    """Highlight every 【待填写：…】 in the document body (split into its own run); return how many."""
    count = 0
    body = doc.element.body
    for r in list(body.iter(qn("w:r"))):
        text = Run(r, None).text  # type: ignore[arg-type]
        if "【待填写：" not in text:
            continue
        pieces = [p for p in re.split(f"({PLACEHOLDER_RE.pattern})", text) if p]
        for piece in pieces:
            new = deepcopy(r)
            run = Run(new, None)  # type: ignore[arg-type]
            run.text = piece
            if PLACEHOLDER_RE.fullmatch(piece):
                run.font.highlight_color = WD_COLOR_INDEX.YELLOW
                count += 1
            r.addprevious(new)
        r.getparent().remove(r)
    return count


@functools.lru_cache(maxsize=2)
def _default_template(kind: Kind) -> bytes:
    """The built-in template (built by code once per process; identical to the one in workbooks/)."""
    from .report_template import template_bytes

    return template_bytes(kind)


def _template_source(ev: Evaluation, template: Path | None) -> io.BytesIO | str:
    if template is None:
        kind = Kind.PROJECT if ev.kind == Kind.PROJECT else Kind.DEPARTMENT
        return io.BytesIO(_default_template(kind))
    template = Path(template)
    if not template.is_file():
        raise ReportError(f"找不到报告模板：{template}。请检查路径，或不指定模板以使用内置模板。")
    return str(template)


def render_document(
    ev: Evaluation,
    scores: Scores,
    *,
    template: Path | None = None,
    findings: Sequence[Finding] = (),
    scheme: Scheme | None = None,
) -> bytes:
    """The report as .docx bytes, rendered in ``report_sandbox.ReportSandbox`` (a template is data).

    Raises ReportError (Chinese) for a template that cannot be read, names a field that does not exist,
    reaches for anything outside the report's fields, or goes past the sandbox's limits.
    """
    import jinja2
    from docxtpl import DocxTemplate

    from .report_sandbox import ReportSandbox

    context = report_context(ev, scores, findings, scheme)
    where = f"报告模板 {template}" if template else "内置报告模板"
    try:
        tpl = DocxTemplate(_template_source(ev, template))
        tpl.render(context, jinja_env=ReportSandbox(), autoescape=True)
    except jinja2.exceptions.SecurityError as exc:
        raise ReportError(
            f"{where}中有不允许的写法，已停止生成（{_template_message(exc)}）。报告模板只能引用报告字段"
            "（见 report_template 模块说明）和常用过滤器；请向模板的提供方核实。"
        ) from exc
    except jinja2.TemplateError as exc:
        raise ReportError(
            f"{where}中的字段写法有误：{_template_message(exc)}。请对照 report_template 模块说明中的字段名修改模板。"
        ) from exc
    except RecursionError as exc:
        raise ReportError(f"{where}中的宏嵌套过深，已停止生成。请向模板的提供方核实。") from exc
    except (KeyError, ValueError, OSError, zipfile.BadZipFile) as exc:  # not a .docx, damaged zip …
        raise ReportError(f"无法读取报告模板 {template}：{exc}。请确认它是 Word (.docx) 文件。") from exc
    except Exception as exc:  # anything else a foreign template makes jinja or docxtpl do
        raise ReportError(
            f"{where}无法生成报告（{type(exc).__name__}: {exc}）。请确认它是按 report_template 模块说明写的 Word 模板。"
        ) from exc
    doc = tpl.docx
    mark_placeholders(doc)
    title = doc.paragraphs and next((p.text for p in doc.paragraphs if p.style.name == "报告标题"), "")
    if title:
        doc.core_properties.title = title
    buf = io.BytesIO()
    tpl.save(buf)
    return buf.getvalue()


def render_report(
    ev: Evaluation,
    scores: Scores,
    out: Path,
    *,
    template: Path | None = None,
    findings: Sequence[Finding] = (),
    scheme: Scheme | None = None,
    source: str = "",
) -> Path:
    """Write the 自评报告 for ``ev`` to ``out`` (.docx, atomically, stamped) and return ``out``.

    ``scheme``: the scheme it was scored by (its labels and 一级 in the tables). ``source``: the key of what
    it is made from (``report_stamp.source_key``); by default a hash of the evaluation, the findings and
    the template. The stamp lets later runs tell an untouched report from one a clerk edited
    (``report_stamp.decide``).
    """
    from . import report_stamp

    data = render_document(
        ev, scores, template=template, findings=findings, scheme=scheme
    )  # ReportError first
    if not source:
        source = report_stamp.source_key(
            template=template, extra=repr((ev, findings, scheme and scheme.digest))
        )
    return atomic_write_bytes(Path(out), report_stamp.stamp(data, source))


# ------------------------------------------------------------------------------------------------ PDF


def report_pdf(docx: Path, out: Path | None = None, *, timeout: float = 180) -> Path:
    """Convert a .docx to PDF with LibreOffice headless (office.to_pdf: own profile, font fall-backs)."""
    from . import office

    docx = Path(docx)
    out = Path(out) if out is not None else docx.with_suffix(".pdf")
    if not docx.is_file():
        raise ReportError(f"找不到要转换的文件：{docx}")
    try:
        return office.to_pdf(docx, out, timeout=timeout)
    except (office.OfficeError, office.OfficeUnavailable) as exc:
        raise ReportError(f"无法把 {docx.name} 转成 PDF：{exc}") from exc


# ------------------------------------------------------------------------------------------------ batch


def report_path(book: Path) -> Path:
    """Where the report of ``book`` goes in a batch: beside it, ``<book>_自评报告.docx``."""
    return book.with_name(f"{book.stem}_自评报告.docx")


def _one_report(book: Path, force: bool) -> tuple[str, str]:
    """(status, detail) for one workbook: written, up to date, kept (edited since written) or failed."""
    from . import report_stamp
    from .service import evaluate_book
    from .xlsx.read import WorkbookError

    target = report_path(book)
    try:
        source = report_stamp.source_key(book)
        verdict, note = report_stamp.decide(target, source, force)
        if verdict == report_stamp.Verdict.KEPT:
            return "kept", note
        if verdict == report_stamp.Verdict.UP_TO_DATE:
            return "up_to_date", str(target)
        outcome = evaluate_book(book)
        render_report(
            outcome.evaluation,
            outcome.scores,
            target,
            findings=outcome.findings,
            scheme=outcome.scheme,
            source=source,
        )
    except (WorkbookError, ReportError, OSError) as exc:
        return "failed", str(exc)
    return "written", str(target)


def write_reports(
    books: Sequence[Path], *, jobs: int | None = None, force: bool = False
) -> list[tuple[Path, str, str]]:
    """A 自评报告 beside each workbook (``fill --report``, ``collect --report``), across processes.

    A report made from the same workbook bytes and untouched since is left as it is (up_to_date); one a
    clerk edited since it was written, or that we did not write, is never overwritten unless ``force``
    (kept, with the reason); a workbook that cannot be read is reported (failed), never fatal. Returns
    (workbook, status, report path or reason) in input order.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    books = [Path(b) for b in books]
    from .workers import cap_jobs, default_jobs

    workers = cap_jobs(jobs or default_jobs(), len(books))
    if workers <= 1:
        return [(b, *_one_report(b, force)) for b in books]
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        results = list(pool.map(_one_report, books, [force] * len(books), chunksize=4))
    return [(b, status, detail) for b, (status, detail) in zip(books, results, strict=True)]
