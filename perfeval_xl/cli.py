"""perfeval-xl command line (typer). Argument handling only; the work is in service, xlsx, csvin, batch.

Exit status: 0 clean, 1 findings at error level, 2 unusable input or output (file missing, damaged, not
ours; output exists, read-only, folder in use, disk full …), 3 internal error (the traceback goes to
``cli_guard.LOG_FILE``, never to the console), 130 interrupted (Ctrl-C, SIGTERM, SIGHUP). See cli_guard.
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from . import __version__, cli_guard, cli_text
from .files import OutputExists, check_output, check_writable
from .model import Finding, Level
from .rules.scheme import Scheme, SchemeError, builtin_ids, default_scheme, get_scheme
from .service import Outcome, evaluate_book
from .xlsx.read import WorkbookError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from .batch import Issue
    from .model import Finding
    from .pdfs import PdfResult
    from .service import Outcome

# Each command imports what it uses inside its function (openpyxl, pandas, docx, xlsxwriter, rich tables
# cost up to half a second to import): ``score --json`` must not wait for what ``fill`` needs.
# tests/test_startup.py checks this.

app = typer.Typer(
    name="perfeval-xl",
    cls=cli_guard.GuardedGroup,
    pretty_exceptions_enable=False,
    help="预算绩效自评工具：生成模板、校验与评分、生成自评表、按 CSV 批量生成工作簿。",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


@functools.lru_cache(maxsize=4)
def _console(stderr: bool, stream: object) -> Console:
    from rich.console import Console  # only when something is printed through rich

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def out() -> Console:
    """The console on stdout (created on first use, again when stdout is another stream: a test runner
    invoking several commands in one process, each with its own terminal width)."""
    return _console(False, sys.stdout)


def err() -> Console:
    """The console on stderr: errors and progress (created on first use)."""
    return _console(True, sys.stderr)


EXIT_OK, EXIT_FINDINGS, EXIT_UNUSABLE = 0, 1, 2
_LEVEL_STYLE = {Level.ERROR: "bold red", Level.WARNING: "yellow", Level.INFO: "cyan"}

RulesOption = Annotated[
    str | None,
    typer.Option(
        "--rules",
        help=f"评分规则：内置规则（{'、'.join(builtin_ids())}）或规则文件（.toml）的路径。"
        "不指定时按工作簿制作时所用的规则（新建模板和批量生成默认 national）。",
    ),
]


def _rules(name: str | None) -> Scheme | None:
    """The scheme named on the command line (id or .toml path), None when not given; a bad file exits 2."""
    if name is None:
        return None
    try:
        return get_scheme(name)
    except SchemeError as exc:
        _fail(str(exc))
        raise  # unreachable


def _fail(message: str, code: int = EXIT_UNUSABLE) -> None:
    err().print(f"[bold red]错误：[/]{escape(message)}")
    raise typer.Exit(code)


def _load(book: Path, rules: Scheme | None) -> Outcome:
    try:
        return evaluate_book(book, rules)
    except WorkbookError as exc:
        _fail(str(exc))
        raise  # unreachable


def total_line(outcome: Outcome) -> str:
    """总分 and 等级, or why there is no 总分 (never a number that is not one)."""
    s = outcome.scores
    if s.total is None:
        return f"{s.blocked_line}（已计得分 {_fmt(s.partial)}，不是总分）"
    return f"总分 {_fmt(s.total)}，等级 {s.grade or '—'}"


def findings_table(findings: list[Finding], title: str = "") -> Table:
    from rich.table import Table

    table = Table(title=escape(title) or None, show_lines=False, expand=False)
    for head in ("级别", "位置", "代码", "说明"):
        table.add_column(head, overflow="fold", no_wrap=head == "代码")  # a code is never split
    for f in findings:
        place = f"{f.sheet}!{f.cell}" if f.cell else f.sheet
        table.add_row(
            f"[{_LEVEL_STYLE[f.level]}]{f.level.label}[/]", escape(place), escape(f.code), escape(f.message)
        )
    return table


def _version(value: bool) -> None:
    if value:
        out().print(f"perfeval-xl {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="显示版本号并退出。")
    ] = False,
) -> None:
    """预算绩效自评工具。"""


@app.command(cls=cli_text.Command)
def template(
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="输出文件（默认：预算绩效自评模板.xlsx）。")
    ] = None,
    macro: Annotated[
        bool, typer.Option("--macro", help="生成带“绩效自评”功能区的启用宏模板（.xlsm）。")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="输出文件已存在时覆盖。")] = False,
    rules: RulesOption = "national",
) -> None:
    """生成空白自评模板（公式实时计算执行率、得分、总分和等级）。"""
    from .files import OutputExists, check_output
    from .xlsx.build import DEFAULT_TEMPLATE_NAME, build_template

    rule_set = _rules(rules) or default_scheme()
    target = output or Path(DEFAULT_TEMPLATE_NAME)
    if macro and target.suffix.lower() != ".xlsm":
        target = target.with_suffix(".xlsm")
    try:
        check_output(target, force)
    except OutputExists as exc:
        _fail(str(exc))
    if macro:
        from .xlsx.macro import MacroError, build_macro_template

        try:
            build_macro_template(target, rule_set)
        except MacroError as exc:
            _fail(str(exc))
    else:
        build_template(target, rule_set)
    out().print(f"已生成模板：{target}（评分规则：{rule_set.name}，{rule_set.id}）", markup=False)


@app.command(cls=cli_text.Command)
def validate(
    book: Annotated[Path, typer.Argument(help="已填写的自评工作簿（.xlsx/.xlsm）。")],
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出校验结果。")] = False,
    mark: Annotated[
        bool, typer.Option("--mark", help="在工作簿中标出问题单元格并写入“校验结果”表。")
    ] = False,
    rules: RulesOption = None,
) -> None:
    """校验工作簿中的每一项填报内容；有错误时退出码为 1。"""
    from .display import counts_line

    outcome = _load(book, _rules(rules))
    if mark:
        from .files import check_writable
        from .xlsx.write import update_workbook

        check_writable(book)  # read-only: refused (exit 2), never made writable
        try:
            update_workbook(book, findings=outcome.findings)
        except WorkbookError as exc:
            _fail(str(exc))
        except PermissionError:
            _fail(f"无法写入 {book}：文件可能正在 Excel 中打开，请关闭后重试。")
    if as_json:
        sys.stdout.write(
            json.dumps([f.as_dict() for f in outcome.findings], ensure_ascii=False, indent=2) + "\n"
        )
    else:
        if outcome.findings:
            out().print(findings_table(outcome.findings, f"{book.name} 校验结果"))
        out().print(
            f"{book.name}：{counts_line(outcome.findings)}。" + ("已在工作簿中标注。" if mark else ""),
            markup=False,
        )
        out().print(total_line(outcome), markup=False)
    raise typer.Exit(EXIT_FINDINGS if outcome.errors else EXIT_OK)


@app.command(cls=cli_text.Command)
def score(
    book: Annotated[Path, typer.Argument(help="已填写的自评工作簿（.xlsx/.xlsm）。")],
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出评分结果。")] = False,
    rules: RulesOption = None,
) -> None:
    """按官方规则计算执行率、各指标得分、总分和等级；有错误时退出码为 1。"""
    outcome = _load(book, _rules(rules))
    if as_json:
        from .service import scores_json

        sys.stdout.write(json.dumps(scores_json(outcome), ensure_ascii=False, indent=2) + "\n")
    else:
        from rich.table import Table

        from .display import counts_line

        s = outcome.scores
        table = Table(title=escape(f"{outcome.evaluation.unit_name or book.name} 评分"))
        for head in ("一级指标", "三级指标", "分值", "得分"):
            table.add_column(head)
        for i in s.indicators:
            table.add_row(
                escape(i.level1), escape(i.name), _fmt(i.weight), _fmt(i.score) if i.applicable else "不适用"
            )
        out().print(table)
        rate = "—" if s.execution_rate is None else f"{s.execution_rate * 100:.2f}%"
        out().print(f"评分规则：{outcome.scheme.name if outcome.scheme else s.scheme}", markup=False)
        out().print(
            f"执行率 {rate}，执行率得分 {_fmt(s.execution_score)}，指标得分 {_fmt(s.indicator_score)}"
        )
        out().print(f"[bold]{escape(total_line(outcome))}[/]")
        if outcome.findings:
            out().print(f"另有校验问题：{counts_line(outcome.findings)}（运行 perfeval-xl validate 查看）。")
    raise typer.Exit(EXIT_FINDINGS if outcome.errors else EXIT_OK)


def _fmt(value: object) -> str:
    return "—" if value is None else f"{value:.2f}" if not isinstance(value, str) else value


@app.command(cls=cli_text.Command)
def summary(
    book: Annotated[Path, typer.Argument(help="已填写的自评工作簿（.xlsx/.xlsm）。")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="另存为（默认写回原工作簿）。")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="输出文件已存在时覆盖。")] = False,
    rules: RulesOption = None,
) -> None:
    """按官方格式生成“自评表”（每条指标一行，可直接打印盖章）。"""
    from .files import OutputExists, check_output
    from .xlsx.write import update_workbook

    outcome = _load(book, _rules(rules))
    target = output or book
    check_writable(target)  # read-only: refused (exit 2), never made writable
    if output is not None and output.resolve() != book.resolve():
        try:
            check_output(output, force)
        except OutputExists as exc:
            _fail(str(exc))
    try:
        update_workbook(
            book, target, summary=(outcome.evaluation, outcome.scores, outcome.scheme), clear=False
        )
    except WorkbookError as exc:
        _fail(str(exc))
    except PermissionError:
        _fail(f"无法写入 {target}：文件可能正在 Excel 中打开，请关闭后重试。")
    out().print(f"已生成自评表：{target}（{total_line(outcome)}）。", markup=False)
    if outcome.errors:
        out().print(
            f"[yellow]注意：数据仍有 {outcome.errors} 项错误，自评表中的数字可能不可靠；请运行 perfeval-xl validate。[/]"
        )
    raise typer.Exit(EXIT_FINDINGS if outcome.errors else EXIT_OK)


def _report_path(book: Path, suffix: str) -> Path:
    return book.with_name(f"{book.stem}_{suffix}")


@app.command(cls=cli_text.Command)
def report(
    book: Annotated[Path, typer.Argument(help="已填写的自评工作簿（.xlsx/.xlsm）。")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="报告文件（默认：工作簿名_自评报告.docx）。")
    ] = None,
    template_file: Annotated[
        Path | None,
        typer.Option("--template", help="自定义报告模板（.docx，docxtpl 字段），默认用内置模板。"),
    ] = None,
    pdf: Annotated[bool, typer.Option("--pdf", help="同时生成报告的 PDF（LibreOffice）。")] = False,
    force: Annotated[bool, typer.Option("--force", help="输出文件已存在时覆盖。")] = False,
    rules: RulesOption = None,
) -> None:
    """生成自评报告（Word）：数字全部取自工作簿，需人工撰写的部分留出【待填写】标记。"""
    from . import report_stamp
    from .report import ReportError, render_report, report_pdf

    outcome = _load(book, _rules(rules))
    target = output or _report_path(book, "自评报告.docx")
    try:
        source = report_stamp.source_key(
            book, template_file if template_file and template_file.is_file() else None
        )
        verdict, note = report_stamp.decide(target, source, force)
        if verdict == report_stamp.Verdict.KEPT:
            _fail(note)
        if pdf:
            check_output(target.with_suffix(".pdf"), force)
        render_report(
            outcome.evaluation,
            outcome.scores,
            target,
            template=template_file,
            findings=outcome.findings,
            scheme=outcome.scheme,
            source=source,
        )
        out().print(f"已生成自评报告：{target}", markup=False)
        if pdf:
            out().print(f"已生成 PDF：{report_pdf(target, target.with_suffix('.pdf'))}", markup=False)
    except (OutputExists, ReportError) as exc:
        _fail(str(exc))
    if outcome.errors:
        out().print(
            f"[yellow]注意：数据有 {outcome.errors} 项错误，报告封面已注明；请先运行 perfeval-xl validate 修正。[/]"
        )
    raise typer.Exit(EXIT_FINDINGS if outcome.errors else EXIT_OK)


@app.command(cls=cli_text.Command)
def pdf(
    books: Annotated[
        list[Path],
        typer.Argument(help="已填写的自评工作簿（.xlsx/.xlsm），可给多个；或一个目录（含子目录）。"),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="一个工作簿：PDF 文件（默认：工作簿名_自评表.pdf）；多个工作簿或目录：输出目录（默认：各工作簿旁）。",
        ),
    ] = None,
    with_report: Annotated[bool, typer.Option("--report", help="在自评表之后附上自评报告。")] = False,
    jobs: Annotated[
        int | None, typer.Option("-j", "--jobs", min=1, help="并行进程数（默认：全部 CPU 核心）。")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="输出文件已存在时覆盖。")] = False,
    rules: RulesOption = None,
) -> None:
    """把自评表（按工作簿的打印设置，A4）转为 PDF，可附自评报告；可一次转换多个工作簿或整个目录；原工作簿不被修改。"""
    from .pdfs import pdf_target

    rule_set = _rules(rules)
    single = len(books) == 1 and not books[0].is_dir() and (output is None or output.suffix.lower() == ".pdf")
    if single:
        from .office import pdf_page_count

        [result] = _print_pdfs(
            [(books[0], output or pdf_target(books[0]))], rule_set, with_report, jobs, force
        )
        if result.error:
            _fail(result.error)  # an unusable workbook, an existing output: exit 2
        out().print(f"已生成 PDF：{result.target}（{pdf_page_count(result.target)} 页）")
        raise typer.Exit(EXIT_FINDINGS if result.errors else EXIT_OK)
    if output is not None and output.suffix.lower() == ".pdf":
        _fail(f"多个工作簿或目录时，-o 应为输出目录，而不是 PDF 文件 {output}。")
    pairs = _pdf_pairs(books, output)
    if not pairs:
        _fail("没有找到要转换的工作簿（.xlsx/.xlsm）。")
    results = _print_pdfs(pairs, rule_set, with_report, jobs, force)
    failed = [r for r in results if r.error]
    for r in failed[:_SHOWN_PROBLEMS]:
        err().print(f"[red]{escape(str(r.book))}：{escape(r.error)}[/]")
    written = len(results) - len(failed)
    with_errors = sum(1 for r in results if r.errors and not r.error)
    out().print(
        f"共 {len(results)} 个工作簿：已生成 PDF {written} 份，失败 {len(failed)} 份"
        + (f"；{with_errors} 份工作簿有错误，其自评表中的数字可能不可靠" if with_errors else "")
        + "。"
    )
    if failed:
        raise typer.Exit(EXIT_UNUSABLE if not written else EXIT_FINDINGS)
    raise typer.Exit(EXIT_FINDINGS if with_errors else EXIT_OK)


def _pdf_pairs(books: list[Path], outdir: Path | None) -> list[tuple[Path, Path]]:
    """(workbook, target PDF) for every workbook given or found in a folder given, without repeats."""
    from .collect import BOOK_SUFFIXES, find_books
    from .pdfs import pdf_target

    pairs: dict[Path, Path] = {}
    for given in books:
        if given.is_dir():
            for book in find_books(given):
                if book.suffix.lower() in BOOK_SUFFIXES:
                    pairs.setdefault(book.resolve(), pdf_target(book, outdir, base=given))
        elif not given.exists():
            _fail(f"找不到文件 {given}。")
        else:
            pairs.setdefault(given.resolve(), pdf_target(given, outdir))
    seen: dict[Path, Path] = {}
    for book, target in pairs.items():
        if target in seen:
            _fail(f"{seen[target]} 与 {book} 的 PDF 同名（{target.name}），请分两次转换或改名。")
        seen[target] = book
    return list(pairs.items())


def _print_pdfs(
    pairs: list[tuple[Path, Path]],
    rules: Scheme | None,
    report: bool,
    jobs: int | None,
    force: bool,
    *,
    keep_newer: bool = False,
) -> list[PdfResult]:
    """pdfs.print_books with a progress bar on stderr (preparing, then printing)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from .office import OfficeUnavailable
    from .pdfs import print_books

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("失败 {task.fields[failed]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err(), transient=len(pairs) == 1) as bar:
        tasks = {
            "prepare": bar.add_task("准备自评表", total=len(pairs), failed=0),
            "print": bar.add_task("生成 PDF", total=None, failed=0),
        }

        def step(stage: str, done: int, total: int, failed: int) -> None:
            bar.update(tasks[stage], completed=done, total=total, failed=failed)

        try:
            return print_books(
                pairs,
                rules=rules,
                report=report,
                jobs=jobs,
                force=force,
                keep_newer=keep_newer,
                progress=step,
            )
        except OfficeUnavailable as exc:
            _fail(str(exc))
            raise  # unreachable


EXIT_INTERRUPTED = cli_guard.EXIT_INTERRUPTED
_SHOWN_PROBLEMS = 20


@app.command(cls=cli_text.Command)
def fill(
    ctx: typer.Context,
    data: Annotated[Path, typer.Argument(help="预算系统导出的 CSV（UTF-8 或 GBK/GB18030），每行一个指标。")],
    outdir: Annotated[Path, typer.Option("-o", "--output", help="输出目录：每个单位/项目一个工作簿。")],
    jobs: Annotated[
        int | None, typer.Option("-j", "--jobs", min=1, help="并行进程数（默认：全部 CPU 核心）。")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="重新生成并覆盖已存在的工作簿（包括已是最新或已被编辑的）。")
    ] = False,
    with_report: Annotated[
        bool, typer.Option("--report", help="同时为每个工作簿生成自评报告（.docx）。")
    ] = False,
    with_pdf: Annotated[
        bool, typer.Option("--pdf", help="同时为每个工作簿生成自评表 PDF（放在工作簿旁，LibreOffice）。")
    ] = False,
    rules: RulesOption = "national",
) -> None:
    """按 CSV 为每个单位（或项目）生成填好的自评工作簿：标出问题、生成自评表；逐行问题写入 输出目录/_report.csv。"""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from .batch import fill_csv, prepare_folder
    from .files import folder_lock

    rule_set = _rules(rules) or default_scheme()
    if not data.is_file():
        _fail(
            f"找不到 CSV 文件 {data}。" if not data.exists() else f"{data} 不是文件；请给出 CSV 文件的路径。"
        )
    prepare_folder(outdir)  # FillError (exit 2): a file named like the folder, no permission …
    ctx.with_resource(folder_lock(outdir, "fill"))  # held until the command ends
    columns = (
        TextColumn("[bold]生成工作簿"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("错误 {task.fields[errors]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err(), transient=False) as bar:
        task = bar.add_task("fill", total=None, errors=0)

        def step(done: int, total: int, errors: int) -> None:
            bar.update(task, completed=done, total=total, errors=errors)

        summary = fill_csv(data, outdir, jobs=jobs, force=force, rules=rule_set, progress=step, lock=False)
    if summary.file_issues:
        out().print(_issues_table(f"{data.name} 的问题", [("", i) for i in summary.file_issues]))
    problems = sorted(summary.problems, key=lambda p: p[1].level is not Level.ERROR)
    if problems:
        more = summary.errors + summary.warnings - min(len(problems), _SHOWN_PROBLEMS)
        title = f"逐行问题（前 {_SHOWN_PROBLEMS} 项，完整清单见 _report.csv）" if more > 0 else "逐行问题"
        out().print(_issues_table(title, problems[:_SHOWN_PROBLEMS]))
    for line in summary.lines():
        out().print(line, markup=False)
    books = sorted(p for p in outdir.glob("*.xlsx") if not p.name.startswith(("_", "~$", ".")))
    if with_report and not summary.interrupted:
        _reports(books, jobs, force)
    if with_pdf and not summary.interrupted:
        _pdfs_beside(books, rule_set, jobs, force)
    if summary.interrupted:
        raise typer.Exit(EXIT_INTERRUPTED)
    if summary.unusable:
        raise typer.Exit(EXIT_UNUSABLE)
    raise typer.Exit(EXIT_FINDINGS if summary.errors or summary.file_errors else EXIT_OK)


def _pdfs_beside(books: list[Path], rules: Scheme | None, jobs: int | None, force: bool) -> None:
    """fill --pdf, collect --pdf: ``BOOK_自评表.pdf`` beside each workbook; one newer than it is kept."""
    from .pdfs import FAILED, UP_TO_DATE, pdf_target

    if not books:
        return
    results = _print_pdfs([(b, pdf_target(b)) for b in books], rules, False, jobs, force, keep_newer=True)
    failed = [r for r in results if r.status == FAILED]
    kept = sum(1 for r in results if r.status == UP_TO_DATE)
    out().print(
        f"自评表 PDF：新生成 {len(results) - kept - len(failed)} 份，已是最新 {kept} 份，失败 {len(failed)} 份。"
    )
    for r in failed[:_SHOWN_PROBLEMS]:
        out().print(f"[red]{r.book.name}：{r.error}[/]")


def _reports(books: list[Path], jobs: int | None, force: bool) -> None:
    from .report import write_reports

    with err().status(f"正在生成 {len(books)} 份自评报告……"):
        results = write_reports(books, jobs=jobs, force=force)
    failed = [(b, d) for b, status, d in results if status == "failed"]
    kept = [(b, d) for b, status, d in results if status == "kept"]
    written = sum(1 for _, status, _ in results if status == "written")
    current = sum(1 for _, status, _ in results if status == "up_to_date")
    out().print(
        f"自评报告：新生成 {written} 份，已是最新 {current} 份，未覆盖（已被编辑）{len(kept)} 份，失败 {len(failed)} 份。"
    )
    for book, reason in kept:
        out().print(f"[yellow]{escape(book.name)}：{escape(reason)}[/]")
    for book, reason in failed:
        out().print(f"[red]{escape(book.name)}：{escape(reason)}[/]")


def _issues_table(title: str, rows: list[tuple[str, Issue]]) -> Table:
    from rich.table import Table

    table = Table(title=escape(title))
    for head in ("评价对象", "CSV 位置", "级别", "代码", "说明"):
        table.add_column(head, overflow="fold", no_wrap=head == "代码")
    for key, i in rows:
        place = f"第{i.line}行 {i.column}".strip() if i.line else ""
        table.add_row(
            escape(key),
            escape(place),
            f"[{_LEVEL_STYLE[i.level]}]{i.level.label}[/]",
            escape(i.code),
            escape(i.message),
        )
    return table


@app.command(cls=cli_text.Command)
def collect(
    folder: Annotated[Path, typer.Argument(help="交回的自评工作簿所在目录（含子目录）。")],
    output: Annotated[Path, typer.Option("-o", "--output", help="汇总工作簿（默认：汇总.xlsx）。")] = Path(
        "汇总.xlsx"
    ),
    jobs: Annotated[
        int | None, typer.Option("-j", "--jobs", min=1, help="并行进程数（默认：全部 CPU 核心）。")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="汇总工作簿已存在时覆盖。")] = False,
    with_report: Annotated[
        bool, typer.Option("--report", help="同时为每个可读取的工作簿生成自评报告（放在工作簿旁）。")
    ] = False,
    with_pdf: Annotated[
        bool,
        typer.Option("--pdf", help="同时为每个可读取的工作簿生成自评表 PDF（放在工作簿旁，LibreOffice）。"),
    ] = False,
    rules: RulesOption = None,
) -> None:
    """汇总目录中全部自评工作簿：逐个校验评分，生成汇总表、等级分布图和问题清单；无法读取的文件单独列出。"""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
    from rich.table import Table

    from .collect import collect as collect_books
    from .files import OutputExists, check_output

    rule_set = _rules(rules)
    if not folder.is_dir():
        _fail(f"找不到目录 {folder}。")
    try:
        check_output(output, force)
    except OutputExists as exc:
        _fail(str(exc))
    columns = (
        TextColumn("[bold]汇总工作簿"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("错误 {task.fields[errors]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err(), transient=False) as bar:
        task = bar.add_task("collect", total=None, errors=0)

        def step(done: int, total: int, errors: int) -> None:
            bar.update(task, completed=done, total=total, errors=errors)

        try:
            summary = collect_books(folder, output, jobs=jobs, rules=rule_set, progress=step)
        except PermissionError:
            _fail(f"无法写入 {output}：文件可能正在 Excel 中打开，请关闭后重试。")
            raise  # unreachable
    if summary.unusable_files:
        table = Table(title="无法读取的文件（已在汇总表“无法读取”中列出）")
        table.add_column("文件", overflow="fold")
        table.add_column("原因", overflow="fold")
        for u in summary.unusable_files[:_SHOWN_PROBLEMS]:
            table.add_row(escape(u.file), escape(u.reason))
        out().print(table)
    for line in summary.lines():
        out().print(line, markup=False)
    if (with_report or with_pdf) and not summary.interrupted:
        from .collect import BOOK_SUFFIXES, find_books

        bad = {u.file for u in summary.unusable_files}
        books = [
            b
            for b in find_books(folder, exclude=output)
            if b.suffix.lower() in BOOK_SUFFIXES and b.relative_to(folder).as_posix() not in bad
        ]
        if with_report:
            _reports(books, jobs, force)
        if with_pdf:
            _pdfs_beside(books, rule_set, jobs, force)
    if summary.interrupted:
        raise typer.Exit(EXIT_INTERRUPTED)
    if summary.books == 0:
        raise typer.Exit(EXIT_UNUSABLE)
    raise typer.Exit(EXIT_FINDINGS if summary.errors or summary.unusable else EXIT_OK)


rules_app = typer.Typer(
    name="rules",
    cls=cli_text.Group,
    help="评分规则：列出可用的规则（perfeval-xl rules 或 rules list），导出一套规则作为本地规则文件的起点，检查规则文件。",
    invoke_without_command=True,
    no_args_is_help=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(rules_app, name="rules")


@rules_app.callback()
def rules_main(ctx: typer.Context) -> None:
    """不带子命令：同 perfeval-xl rules list。"""
    if ctx.invoked_subcommand is None:
        rules_list()


@rules_app.command("list", cls=cli_text.Command)
def rules_list() -> None:
    """列出可用的评分规则（内置规则和 PERFEVAL_XL_SCHEMES 文件夹中的规则）。"""
    from rich.table import Table

    from .rules.scheme import scan_schemes

    schemes, problems = scan_schemes()
    table = Table(title="评分规则")
    for head in ("规则", "名称", "年度", "执行率分值", "一级指标", "摘要", "文件"):
        table.add_column(head, overflow="fold")
    for s in schemes:
        levels = "、".join(
            f"{x.name}{'' if x.weight is None else ' ' + _fmt(x.weight).removesuffix('.00')}"
            for x in s.level1
        )
        table.add_row(
            escape(s.id),
            escape(s.name),
            str(s.year or ""),
            _fmt(s.execution.weight).removesuffix(".00"),
            escape(levels) or "（不分一级、二级）",
            s.digest,
            escape(str(s.path)),
        )
    out().print(table)
    out().print(
        "用 --rules 规则名 或 --rules 文件.toml 选用；perfeval-xl rules export 规则名 -o 文件.toml 导出后修改。"
    )
    for problem in problems:
        err().print(f"[yellow]未列出（规则文件有误）：{escape(str(problem))}[/]")
    if problems:
        raise typer.Exit(EXIT_UNUSABLE)


@rules_app.command("export", cls=cli_text.Command)
def rules_export(
    name: Annotated[str, typer.Argument(help="要导出的规则（如 hubei）或规则文件路径。")],
    output: Annotated[Path, typer.Option("-o", "--output", help="写出的规则文件（.toml）。")],
    force: Annotated[bool, typer.Option("--force", help="输出文件已存在时覆盖。")] = False,
) -> None:
    """把一套评分规则写成 .toml 文件，作为财政部门自定规则的起点（含说明注释）。"""
    from .files import atomic_write_bytes

    scheme = _rules(name)
    assert scheme is not None
    try:
        check_output(output, force)
    except OutputExists as exc:
        _fail(str(exc))
    text = Path(scheme.path).read_text(encoding="utf-8")
    header = (
        f"# 由 perfeval-xl rules export 从“{scheme.name}”（{scheme.id}，摘要 {scheme.digest}）导出。\n"
        "# 修改后请把 [scheme] 的 id 和 name 改为本地的名称，再用 --rules 本文件.toml 选用。\n"
    )
    atomic_write_bytes(output, (header + text).encode("utf-8"))
    out().print(f"已导出规则：{output}", markup=False)


@rules_app.command("check", cls=cli_text.Command)
def rules_check(
    file: Annotated[Path, typer.Argument(help="规则文件（.toml）。")],
) -> None:
    """检查规则文件：键名、取值、分值合计；有问题时说明行号和改法（退出码 2）。"""
    from .rules.scheme import load_scheme

    try:
        scheme = load_scheme(file)
    except SchemeError as exc:
        _fail(str(exc))
        raise  # unreachable
    out().print(
        f"规则文件 {file} 可以使用：{scheme.name}（{scheme.id}，摘要 {scheme.digest}）。", markup=False
    )


if __name__ == "__main__":  # pragma: no cover
    app()
