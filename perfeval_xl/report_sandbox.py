"""The sandbox a report template is rendered in: a template is data, never code.

``report --template`` renders a .docx whose fields are Jinja expressions, and the README invites finance
bureaus to hand out their own templates: one hostile template must not run code, or exhaust the memory or
the time of every clerk's PC that renders it. ``ReportSandbox`` is jinja2's ``ImmutableSandboxedEnvironment``
(no ``_private`` or interpreter attributes: no walk from a field to ``__globals__``, ``__class__``,
``__mro__``, ``__subclasses__``; no change to lists or dicts) narrowed to what a report needs:

- Globals: none of jinja's (``cycler``, ``joiner``, ``lipsum``, ``namespace``, ``dict``) but a ``range``
  of at most ``MAX_RANGE`` items. The template sees the report's fields (``report.report_context``) only.
- Filters: a list of plain text and list filters (``FILTERS``); ``replace``, ``join``, ``center`` and
  ``indent`` check the size of what they would make before making it. No ``format``, ``batch``,
  ``slice``, ``wordwrap``, ``xmlattr``, ``urlize``, ``random``, ``pprint``, ``tojson``.
- Calls: macros, ``caller``, ``loop(…)``/``loop.cycle``, blocks, and a few size-safe methods of text and
  dicts (``SAFE_METHODS``); nothing else is callable. ``str.format`` is jinja's sandboxed one, with no
  width or precision over ``MAX_WIDTH`` and no nested fields; ``text % values`` is refused.
- Output: ``{{ … }}`` prints data only (text, numbers, lists and dicts), never a function or an object.
- Sizes and time: ``*``, ``**``, ``+`` check their result's size first (text and lists up to ``MAX_TEXT``
  characters or items, integers up to ``MAX_INT_BITS`` bits); every loop pass and every call counts
  against ``MAX_STEPS`` and the clock against ``MAX_SECONDS``; calls nest at most ``MAX_DEPTH`` deep; a
  rendered part (body, a header …) stops at ``MAX_OUTPUT`` characters.

Going past any of these raises ``TemplateLimit`` (a jinja ``SecurityError`` whose message is Chinese);
``report.render_document`` turns it and every other failure of the template into a ``ReportError``.
The limits are far above what a real report uses (the built-in one: 300 indicators, a few thousand steps).
"""

from __future__ import annotations

import string
import time
import types
from collections.abc import Callable, Iterable, Iterator, Sized
from decimal import Decimal
from typing import Any

from jinja2 import StrictUndefined, nodes, pass_eval_context
from jinja2.filters import FILTERS as JINJA_FILTERS
from jinja2.runtime import BlockReference, LoopContext, Macro, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

MAX_STEPS = 2_000_000  # loop passes + calls per document
MAX_SECONDS = 60.0
MAX_DEPTH = 64  # nested calls (a macro calling itself)
MAX_RANGE = 10_000
MAX_TEXT = 1_000_000  # characters of one value, items of one list
MAX_OUTPUT = 20_000_000  # characters of one rendered part
MAX_INT_BITS = 4_096
MAX_WIDTH = 1_000  # a width or precision in a format field

#: Filters a template may use: they return at most about what they are given.
SAFE_FILTERS = frozenset(
    {
        *("abs", "attr", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape"),
        *("first", "float", "forceescape", "groupby", "indent", "int", "items", "join", "last"),
        *("length", "list", "lower", "map", "max", "min", "reject", "rejectattr", "replace"),
        *("reverse", "round", "safe", "select", "selectattr", "sort", "string", "striptags", "sum"),
        *("title", "trim", "truncate", "unique", "upper", "wordcount"),
    }
)
#: Methods of text and dicts a template may call (their result is no bigger than their object).
SAFE_METHODS = {
    str: frozenset(
        {
            *("strip", "lstrip", "rstrip", "lower", "upper", "title", "capitalize", "casefold"),
            *("swapcase", "startswith", "endswith", "count", "find", "rfind", "index", "rindex"),
            *("split", "rsplit", "splitlines", "partition", "rpartition", "isdigit", "isdecimal"),
            *("isnumeric", "isalpha", "isalnum", "isspace", "islower", "isupper", "istitle"),
            *("removeprefix", "removesuffix"),
        }
    ),
    dict: frozenset({"items", "keys", "values", "get"}),
    list: frozenset({"index", "count"}),
    tuple: frozenset({"index", "count"}),
}
STEP_FILTER = "_perfeval_step"


class TemplateLimit(SecurityError):
    """The template went past one of the sandbox's limits or reached for something it may not."""


def _size(value: object) -> int:
    return len(value) if isinstance(value, Sized) and not isinstance(value, dict | range) else 0


def _check_size(value: object, what: str) -> object:
    if isinstance(value, str | list | tuple) and len(value) > MAX_TEXT:
        raise TemplateLimit(f"{what}的结果超过 {MAX_TEXT} 个字符（或项）")
    return value


def _check_format(fmt: str) -> None:
    """A format string for ``str.format``: no nested fields, widths and precisions up to MAX_WIDTH."""
    for _, field, spec, _ in string.Formatter().parse(fmt):
        if field is not None and spec:
            if "{" in spec:
                raise TemplateLimit("格式字段中不能再嵌套字段")
            digits = "".join(c if c.isdigit() else " " for c in spec).split()
            if any(int(d) > MAX_WIDTH for d in digits if len(d) < 8) or any(len(d) >= 8 for d in digits):
                raise TemplateLimit(f"格式字段的宽度或精度超过 {MAX_WIDTH}")


def _printable(value: Any) -> Any:
    """What ``{{ … }}`` may print: data (text, numbers, lists and dicts of them), never a function or an
    object from inside the program (its repr would show addresses and names)."""
    if value is None or isinstance(value, str | int | float | Decimal | list | tuple | dict | Undefined):
        return value
    raise TemplateLimit(f"模板不能输出 {type(value).__name__} 对象")


# ------------------------------------------------------------------------------------------ filters


@pass_eval_context
def _replace(eval_ctx: Any, s: str, old: str, new: str, count: int | None = None) -> str:
    text, old, new = str(s), str(old), str(new)
    times = text.count(old) if old else len(text) + 1
    if count is not None and count >= 0:
        times = min(times, int(count))
    if len(text) + times * max(0, len(new) - len(old)) > MAX_TEXT:
        raise TemplateLimit(f"replace 的结果超过 {MAX_TEXT} 个字符")
    return JINJA_FILTERS["replace"](eval_ctx, s, old, new, count)


@pass_eval_context
def _join(eval_ctx: Any, value: Iterable[Any], d: str = "", attribute: Any = None) -> str:
    items = list(value)
    if len(items) > MAX_TEXT or sum(map(_size, items)) + len(items) * len(str(d)) > MAX_TEXT:
        raise TemplateLimit(f"join 的结果超过 {MAX_TEXT} 个字符")
    return JINJA_FILTERS["join"](eval_ctx, items, d, attribute)


def _center(value: str, width: int = 80) -> str:
    if int(width) > MAX_WIDTH:
        raise TemplateLimit(f"center 的宽度超过 {MAX_WIDTH}")
    return JINJA_FILTERS["center"](value, width)


def _indent(s: str, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    pad = len(width) if isinstance(width, str) else int(width)
    if pad > MAX_WIDTH or len(str(s)) + pad * (str(s).count("\n") + 1) > MAX_TEXT:
        raise TemplateLimit(f"indent 的结果超过 {MAX_TEXT} 个字符")
    return JINJA_FILTERS["indent"](s, width, first, blank)


_GUARDED: dict[str, Callable[..., Any]] = {
    "replace": _replace,
    "join": _join,
    "center": _center,
    "indent": _indent,
}


# ------------------------------------------------------------------------------------------ environment


class ReportSandbox(ImmutableSandboxedEnvironment):
    """The environment report templates are rendered in (see module doc). One per document: the step
    count and the clock start when it is made."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self) -> None:
        super().__init__(undefined=StrictUndefined, autoescape=True, finalize=_printable)
        self.globals.clear()
        self.globals["range"] = self._range
        self.filters = {name: _GUARDED.get(name, JINJA_FILTERS[name]) for name in SAFE_FILTERS}
        self.filters[STEP_FILTER] = self._counted
        self.steps = 0
        self.depth = 0
        self.deadline = time.monotonic() + MAX_SECONDS

    # -- counting

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise TemplateLimit(f"循环和调用超过 {MAX_STEPS} 次")
        if self.steps % 1024 == 0 and time.monotonic() > self.deadline:
            raise TemplateLimit(f"生成时间超过 {MAX_SECONDS:.0f} 秒")

    def _counted(self, iterable: Iterable[Any]) -> Iterator[Any]:
        for item in iterable:
            self.step()
            yield item

    def _range(self, *args: int) -> range:
        rng = range(*args)
        if len(rng) > MAX_RANGE:
            raise TemplateLimit(f"range 超过 {MAX_RANGE} 项")
        return rng

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """Every ``for`` loop's iterable goes through the step counter."""
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Filter(loop.iter, STEP_FILTER, [], [], None, None, lineno=loop.lineno)
        return tree

    def concat(self, pieces: Iterable[str]) -> str:  # type: ignore[override]
        out: list[str] = []
        total = 0
        for piece in pieces:
            total += len(piece)
            if total > MAX_OUTPUT:
                raise TemplateLimit(f"生成的内容超过 {MAX_OUTPUT} 个字符")
            out.append(piece)
        return "".join(out)

    # -- operators

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "%" and isinstance(left, str):
            raise TemplateLimit("模板中不能用 % 格式化文字")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if (
                    isinstance(seq, str | list | tuple)
                    and isinstance(times, int)
                    and len(seq) * max(0, times) > MAX_TEXT
                ):
                    raise TemplateLimit(f"* 的结果超过 {MAX_TEXT} 个字符（或项）")
            if (
                isinstance(left, int)
                and isinstance(right, int)
                and abs(left).bit_length() + abs(right).bit_length() > MAX_INT_BITS
            ):
                raise TemplateLimit("数字过大")
        if (
            operator == "**"
            and isinstance(left, int)
            and isinstance(right, int)
            and right > 0
            and abs(left).bit_length() * right > MAX_INT_BITS
        ):
            raise TemplateLimit("数字过大")
        if (
            operator == "+"
            and isinstance(left, str | list | tuple)
            and isinstance(right, str | list | tuple)
            and len(left) + len(right) > MAX_TEXT
        ):
            raise TemplateLimit(f"+ 的结果超过 {MAX_TEXT} 个字符（或项）")
        return super().call_binop(context, operator, left, right)

    # -- calls

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        fmt = value.__self__

        def checked(*args: Any, **kwargs: Any) -> str:
            _check_format(fmt)
            return _check_size(wrapped(*args, **kwargs), "format")  # type: ignore[return-value]

        checked.perfeval_safe = True  # type: ignore[attr-defined]
        return checked

    def is_safe_callable(self, obj: Any) -> bool:
        if isinstance(obj, Macro | LoopContext | BlockReference | Undefined):
            return True
        if getattr(obj, "perfeval_safe", False) or obj == self._range:
            return True
        if isinstance(obj, types.MethodType) and isinstance(obj.__self__, LoopContext):
            return obj.__name__ in ("cycle", "changed")
        if isinstance(obj, types.BuiltinMethodType):
            owner = obj.__self__
            return any(isinstance(owner, t) and obj.__name__ in names for t, names in SAFE_METHODS.items())
        return False

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if not __self.is_safe_callable(__obj):
            name = getattr(__obj, "__name__", type(__obj).__name__)
            raise TemplateLimit(f"模板不能调用 {name}")
        for arg in (*args, *kwargs.values()):
            _check_size(arg, "参数")
        __self.step()
        __self.depth += 1
        try:
            if __self.depth > MAX_DEPTH:
                raise TemplateLimit(f"调用嵌套超过 {MAX_DEPTH} 层")
            return _check_size(__context.call(__obj, *args, **kwargs), "调用")
        finally:
            __self.depth -= 1
