"""typer's own words in Chinese: help panels, the help option, the usage line and command-line errors.

typer (pinned in pyproject.toml) prints these in English. The panel titles and markers are its module
constants in ``typer.rich_utils``; the help option and the usage line are set by the command classes the
CLI uses (``Command``, ``Group``); usage errors are translated where typer prints them
(``rich_utils.rich_format_error``). A message not known here is shown as typer wrote it.

``typer.rich_utils`` (rich's Markdown, tables, tracebacks: about 80 ms) is imported only when typer is
about to print help or an error, so a command that prints neither does not pay for it: the command
classes call ``install`` from ``format_help`` and when a usage error or an abort passes through them.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

from typer.core import TyperCommand, TyperGroup
from typer.exceptions import Abort, TyperException

HELP_TEXT = "显示本帮助并退出。"
USAGE_PREFIX = "用法："
_USAGE_PIECES = {"[OPTIONS]": "[选项]", "COMMAND [ARGS]...": "命令 [参数]..."}

#: (pattern of typer's message, Chinese); the first match wins, then details are translated inside it.
_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"Missing argument (.+)\.", re.S), r"缺少参数 \1。"),
    (re.compile(r"Missing option (.+)\.", re.S), r"缺少选项 \1。"),
    (re.compile(r"No such option: (\S+) \(Possible options: (.+)\)", re.S), r"没有选项 \1（可能是：\2）。"),
    (re.compile(r"No such option: (\S+)", re.S), r"没有选项 \1。"),
    (re.compile(r"No such command '(.+?)'\. Did you mean '(.+?)'\?", re.S), r"没有命令“\1”，是否想用“\2”？"),
    (re.compile(r"No such command '(.+?)'\.", re.S), r"没有命令“\1”。"),
    (re.compile(r"Got unexpected extra argument(?:s|\(s\))? \((.+)\)", re.S), r"多余的参数：\1。"),
    (re.compile(r"Option (.+?) requires an argument\.", re.S), r"选项 \1 需要一个值。"),
    (re.compile(r"Invalid value for (.+?): (.+)", re.S), r"\1 的值无效：\2"),
)
_DETAILS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"Input should be greater than or equal to (\S+)"), r"应不小于 \1"),
    (re.compile(r"Input should be less than or equal to (\S+)"), r"应不大于 \1"),
    (re.compile(r"Input should be a valid integer.*", re.S), "应为整数"),
    (re.compile(r"Path '(.+?)' does not exist\."), r"路径 \1 不存在。"),
    (re.compile(r"'(.+?)' is not one of (.+)\."), r"“\1”不是可选值之一：\2。"),
)


def translate(message: str) -> str:
    """typer's English usage-error message in Chinese, or unchanged when it is not one we know."""
    text = message.strip()
    for pattern, chinese in _MESSAGES:
        m = pattern.fullmatch(text)
        if m:
            text = m.expand(chinese)
            break
    else:
        return message
    for pattern, chinese in _DETAILS:
        text = pattern.sub(chinese, text)
    return text


class _Chinese:
    """The help option's line and the usage prefix in Chinese (mixed into typer's command classes)."""

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = HELP_TEXT
        return option

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        pieces = [_USAGE_PIECES.get(p, p) for p in self.collect_usage_pieces(ctx)]  # type: ignore[attr-defined]
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=USAGE_PREFIX)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        install()
        super().format_help(ctx, formatter)  # type: ignore[misc]

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        with _chinese_errors():
            return super().make_context(*args, **kwargs)  # type: ignore[misc]

    def invoke(self, ctx: Any) -> Any:
        with _chinese_errors():
            return super().invoke(ctx)  # type: ignore[misc]


@contextlib.contextmanager
def _chinese_errors() -> Iterator[None]:
    """Install the Chinese words before typer prints a usage error or an abort raised inside."""
    try:
        yield
    except (TyperException, Abort, EOFError):
        install()
        raise


class Command(_Chinese, TyperCommand):
    pass


class Group(_Chinese, TyperGroup):
    pass


_installed: list[Any] = []  # typer's own rich_format_error, once install() has replaced it


def _print_error(error: Any) -> None:
    text = translate(error.format_message())
    error.format_message = lambda: text  # this one exception, as typer is about to print it
    _installed[0](error)


def _folding(get_help: Any) -> Any:
    """typer's option help, folded at the panel's edge: Chinese has no spaces to wrap at, and rich's table
    cuts such a line off with "…" (a clerk's 80-column console lost the end of most option texts)."""

    def folded(**kw: Any) -> Any:
        columns = get_help(**kw)
        for item in getattr(columns, "renderables", ()):
            if hasattr(item, "overflow"):
                item.overflow = "fold"
        return columns

    folded._folds = True  # type: ignore[attr-defined]
    return folded


def install() -> None:
    """Set typer's printed words to Chinese (idempotent; imports ``typer.rich_utils``)."""
    import typer.rich_utils  # deliberately local: see the module doc

    r = typer.rich_utils
    if not _installed:
        _installed.append(r.rich_format_error)
    r.ARGUMENTS_PANEL_TITLE = "参数"
    r.OPTIONS_PANEL_TITLE = "选项"
    r.COMMANDS_PANEL_TITLE = "命令"
    r.ERRORS_PANEL_TITLE = "错误"
    r.REQUIRED_LONG_STRING = "[必填]"
    r.DEFAULT_STRING = "[默认：{}]"
    r.RICH_HELP = "运行 [blue]'{command_path} {help_option}'[/] 查看帮助。"
    r.ABORTED_TEXT = "已中止。"
    r.rich_format_error = _print_error
    if not getattr(r._get_parameter_help, "_folds", False):
        r._get_parameter_help = _folding(r._get_parameter_help)
