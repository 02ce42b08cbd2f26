"""A scoring scheme: everything that varies between provinces, read from one TOML file.

A scheme says which indicator system a unit scores by (一级 → 二级 names with weights, free weights, or a
flat list without levels, plus aliases), how 执行率 is scored (linear capped × weight, a band table, a
deduction, or as an indicator row), the 定性 bands, the 反向 variant, the grade bounds, the 其中 rows of the
fund table and their labels, the thresholds and levels of the checks provinces change, the column labels
the template and the 自评表 show, and the scoring methods rows may use (ratio, band table, deduction,
coefficient, manual) — attached to common indicators by name or chosen per row.

Files live in ``perfeval_xl/schemes/*.toml`` (shipped), in folders named by ``PERFEVAL_XL_SCHEMES``, or
anywhere a path is given (``--rules PATH.toml``). ``extends = "national"`` starts from another scheme:
tables merge key by key, arrays of tables (``level1``, ``common``, ``methods``, ``qualitative``, ``grades``,
``fund_rows``) replace the base's. The file format is documented in ``perfeval_xl/schemes/README.md`` and
in the national scheme's comments.

Loading is two stages (as frictionless-py loads a schema): the shape of every table and key first (unknown
keys are errors, with the line and a hint where a misplaced key belongs), then cross-references (weights
that add up, band bounds in order, names unique, a common indicator's 一级 known). Every problem is a
``SchemeError`` with a Chinese message naming the file, the line and the key.

Pure: no Excel, no I/O beyond reading the scheme file.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..model import Level

BUILTIN_DIR = Path(__file__).resolve().parent.parent / "schemes"
ENV_DIRS = "PERFEVAL_XL_SCHEMES"
DEFAULT_ID = "national"


class SchemeError(ValueError):
    """A scheme file that cannot be used; the message is Chinese and names file, line and key."""


# ------------------------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class Band:
    """One row of a band table: a value ``at_least``/``at_most`` the bound (inclusive) earns ``points``.

    Values are as written (per cent as 90 for 90 %). Rows are tried in order; the first that holds wins.
    """

    points: Decimal
    at_least: Decimal | None = None
    at_most: Decimal | None = None


@dataclass(frozen=True)
class Method:
    """How an indicator row (or 执行率) is scored.

    ``kind``: ``ratio`` (the national rule by direction: 正向 a/t, 反向 t/a, = …; 定性 by the evaluator's
    score), ``bands`` (``bands`` then ``otherwise``), ``deduction`` (full marks up to ``threshold``, minus
    ``per`` points per ``step`` units beyond it in ``direction``, never below 0; ``whole`` counts whole steps
    only; ``threshold = "target"`` uses the row's own 年度指标值), ``coefficient`` (分值 × 得分系数 %),
    ``manual`` (the evaluator's own score, kept within [0, 分值]).
    ``name`` is what a clerk picks in the 计分方法 column (empty for a common indicator's own method).
    """

    kind: str = "ratio"
    name: str = ""
    bands: tuple[Band, ...] = ()
    otherwise: Decimal = Decimal(0)
    threshold: Decimal | str | None = None
    per: Decimal = Decimal(1)
    step: Decimal = Decimal(1)
    whole: bool = False
    direction: str = "above"
    description: str = ""


@dataclass(frozen=True)
class Level2:
    name: str
    aliases: tuple[str, ...] = ()
    weight: Decimal | None = None


@dataclass(frozen=True)
class Level1:
    """One 一级指标 with its 二级 names; ``weight`` None means free (the unit decides)."""

    name: str
    weight: Decimal | None = None
    aliases: tuple[str, ...] = ()
    level2: tuple[Level2, ...] = ()


@dataclass(frozen=True)
class WeightGroup:
    """A set of 一级 whose 分值 together must be ``weight`` in a weight split."""

    level1: tuple[str, ...]
    weight: Decimal


@dataclass(frozen=True)
class WeightSplit:
    name: str
    groups: tuple[WeightGroup, ...]


@dataclass(frozen=True)
class Common:
    """A common indicator the scheme scores by its own method, found by its 三级 name (or an alias)."""

    name: str
    method: Method
    aliases: tuple[str, ...] = ()
    level1: str = ""
    level2: str = ""
    weight: Decimal | None = None
    unit: str = ""


@dataclass(frozen=True)
class QualBand:
    """A 定性 band: scores in [lower, upper] (upper inclusive or not) as fractions of 分值."""

    name: str
    lower: Decimal
    upper: Decimal
    upper_inclusive: bool
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Grade:
    lower: Decimal  # inclusive
    label: str


@dataclass(frozen=True)
class FundRow:
    key: str  # a Budget slot: appropriation, carried_over, special_account, unit_funds, other_funds
    label: str


@dataclass(frozen=True)
class Execution:
    """How 执行率 is scored: ``method.kind`` is ``linear`` (分值 × min(r, 100 %)), ``bands`` or
    ``deduction`` (on r in per cent), or ``row`` (weight 0 here; the indicator row named ``row`` carries
    it)."""

    weight: Decimal = Decimal(10)
    method: Method = field(default_factory=lambda: Method("linear"))
    row: str = ""
    #: 执行率 below this (a fraction, 0.9) needs a reason; None switches the check off.
    low_rate: Decimal | None = Decimal("0.9")


#: Budget slots a fund row may use (model.Budget attributes).
FUND_SLOTS = ("appropriation", "carried_over", "special_account", "unit_funds", "other_funds")
#: Labels a scheme may rename: key → default label.
LABEL_DEFAULTS: Mapping[str, str] = MappingProxyType(
    {
        "initial": "年初预算数",
        "adjusted": "全年预算数",
        "executed": "全年执行数",
        "execution_weight": "执行率分值",
        "level1": "一级指标",
        "level2": "二级指标",
        "name": "三级指标",
        "operator": "指标性质",
        "target": "年度指标值",
        "unit": "度量单位",
        "actual": "实际完成值",
        "band": "完成档次（定性）",
        "weight": "分值",
        "score": "自评得分",
        "rule_score": "得分",
        "deviation_note": "偏差原因分析及改进措施",
        "method": "计分方法",
        "coefficient": "得分系数（%）",
        "budget_note": "预算执行说明",
        "total": "总分",
    }
)
LEVELS_OF_CHECKS = {"error": Level.ERROR, "warning": Level.WARNING, "info": Level.INFO, "off": None}


@dataclass(frozen=True)
class Scheme:
    """One scoring scheme, resolved (its base merged in). Immutable and hashable by ``digest``."""

    id: str
    name: str
    year: int | None = None
    version: str = ""
    source: str = ""
    kinds: tuple[str, ...] = ("项目支出", "部门整体支出")
    execution: Execution = field(default_factory=Execution)
    layout: str = "levels"  # levels | flat
    level1: tuple[Level1, ...] = ()
    weight_splits: tuple[WeightSplit, ...] = ()
    default_method: Method = field(default_factory=Method)
    methods: tuple[Method, ...] = ()
    common: tuple[Common, ...] = ()
    reverse: str = "R1"
    over_completion: Decimal | None = Decimal("1.2")
    qualitative: tuple[QualBand, ...] = ()
    grades: tuple[Grade, ...] = ()
    fund_rows: tuple[FundRow, ...] = ()
    checks: Mapping[str, Level | None] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    #: Tolerance when comparing sums of money (万元) and entered vs computed scores.
    tolerance: Decimal = Decimal("0.01")
    adjustment_reason: bool = True
    #: sha256 (12 hex) of the resolved content: the same rules give the same digest, whatever the file.
    digest: str = ""
    #: Where it was loaded from ("" for a scheme built in code).
    path: str = ""

    def __hash__(self) -> int:
        return hash((self.id, self.digest))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Scheme) and (self.id, self.digest) == (other.id, other.digest)

    def label(self, key: str) -> str:
        """The label a column or field shows under this scheme (LABEL_DEFAULTS unless renamed)."""
        return self.labels.get(key) or LABEL_DEFAULTS[key]

    def level(self, code: str, default: Level) -> Level | None:
        """The level of a check under this scheme: its default, or what ``[checks]`` sets; None = off."""
        return self.checks.get(code, default)

    @property
    def execution_weight(self) -> Decimal:
        return self.execution.weight

    @property
    def flat(self) -> bool:
        return self.layout == "flat"

    @property
    def level1_names(self) -> tuple[str, ...]:
        return tuple(l1.name for l1 in self.level1)

    def level1_weights(self) -> dict[str, Decimal]:
        """一级 → weight of the default split (the 一级 with a weight), for the 评分 sheet and messages."""
        return {l1.name: l1.weight for l1 in self.level1 if l1.weight is not None}


# ------------------------------------------------------------------------------------------ the format

Check = Callable[[Any, "_Where"], Any]


@dataclass
class _Where:
    """What a value's checker needs to report a problem: file, the key path and the line map."""

    file: str
    lines: Mapping[tuple[str, ...], int]
    path: tuple[str, ...] = ()

    def at(self, *more: str) -> _Where:
        return _Where(self.file, self.lines, self.path + more)

    def line(self) -> int:
        for k in range(len(self.path), 0, -1):
            key = tuple(p for p in self.path[:k])
            if key in self.lines:
                return self.lines[key]
        return 0

    def where(self) -> str:
        line = self.line()
        place = f"第 {line} 行" if line else "文件中"
        return f"规则文件 {self.file} {place}（{_show_path(self.path)}）"

    def fail(self, what: str) -> SchemeError:
        return SchemeError(f"{self.where()}：{what}")


def _show_path(path: Sequence[str]) -> str:
    out = ""
    for p in path:
        if p.isdigit():
            out += f"[第{int(p) + 1}项]"
        else:
            out += ("." if out else "") + p
    return out or "顶层"


def _text(value: Any, where: _Where) -> str:
    if not isinstance(value, str):
        raise where.fail(f"应为文字（用英文双引号括起），现为 {value!r}。")
    return value.strip()


def _texts(value: Any, where: _Where) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value.strip(),)
    if not isinstance(value, list):
        raise where.fail(f'应为文字列表，如 ["甲", "乙"]，现为 {value!r}。')
    return tuple(_text(v, where.at(str(i))) for i, v in enumerate(value))


def _number(value: Any, where: _Where, *, minimum: Decimal | None = Decimal(0)) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise where.fail(f"应为数字，现为 {value!r}。")
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        raise where.fail(f"应为数字，现为 {value!r}。") from None
    if not d.is_finite():
        raise where.fail(f"应为有限的数字，现为 {value!r}。")
    if minimum is not None and d < minimum:
        raise where.fail(f"不能小于 {minimum}，现为 {value!r}。")
    return d


def _bool(value: Any, where: _Where) -> bool:
    if not isinstance(value, bool):
        raise where.fail(f"应为 true 或 false，现为 {value!r}。")
    return value


def _choice(options: Sequence[str]) -> Check:
    def check(value: Any, where: _Where) -> str:
        text = _text(value, where)
        if text not in options:
            raise where.fail(f"“{text}”不是可选值；可选：{'、'.join(options)}。")
        return text

    return check


def _table(
    value: Any, where: _Where, keys: Mapping[str, Check], required: Iterable[str] = ()
) -> dict[str, Any]:
    """Check a table's keys (unknown keys are errors, with a hint) and convert each value."""
    if not isinstance(value, dict):
        raise where.fail(f"应为一个表（[名称] 或 {{ 键 = 值 }}），现为 {value!r}。")
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key not in keys:
            raise where.at(key).fail(f"键“{key}”不认识。{_hint(key, keys, where.path)}")
        out[key] = keys[key](item, where.at(key))
    for key in required:
        if key not in value:
            raise where.fail(f"缺少必填的键“{key}”。")
    return out


#: Where each key belongs, for the hint on a misplaced key (section → its keys).
_HOMES: dict[str, tuple[str, ...]] = {}


def _hint(key: str, keys: Iterable[str], path: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, list(keys), n=1, cutoff=0.6)
    if close:
        return f"是否应为“{close[0]}”？"
    homes = [
        section for section, names in _HOMES.items() if key in names and section != (path[0] if path else "")
    ]
    if homes:
        return f"它应写在 [{homes[0]}] 中。"
    return f"可用的键：{'、'.join(keys)}。"


def _list_of(item: Check) -> Check:
    def check(value: Any, where: _Where) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise where.fail(f"应为列表（[[…]] 或 [ … ]），现为 {value!r}。")
        return tuple(item(v, where.at(str(i))) for i, v in enumerate(value))

    return check


def _band(value: Any, where: _Where) -> Band:
    t = _table(
        value,
        where,
        {
            "at_least": lambda v, w: _number(v, w, minimum=None),
            "at_most": lambda v, w: _number(v, w, minimum=None),
            "points": _number,
        },
        required=("points",),
    )
    if ("at_least" in t) == ("at_most" in t):
        raise where.fail("每一档须有且只有一个界限：at_least（不低于）或 at_most（不高于）。")
    return Band(t["points"], t.get("at_least"), t.get("at_most"))


METHOD_KINDS = ("ratio", "bands", "deduction", "coefficient", "manual")
_METHOD_KEYS: dict[str, Check] = {
    "kind": _choice((*METHOD_KINDS, "linear", "row")),
    "name": _text,
    "description": _text,
    "bands": _list_of(_band),
    "otherwise": _number,
    "threshold": lambda v, w: "target" if v == "target" else _number(v, w, minimum=None),
    "per": _number,
    "step": lambda v, w: _positive(v, w),
    "whole": _bool,
    "direction": _choice(("above", "below")),
}


def _positive(value: Any, where: _Where) -> Decimal:
    d = _number(value, where)
    if d == 0:
        raise where.fail("须大于 0。")
    return d


def _method(value: Any, where: _Where, *, kinds: Sequence[str] = METHOD_KINDS) -> Method:
    t = _table(value, where, _METHOD_KEYS, required=("kind",))
    kind = t["kind"]
    if kind not in kinds:
        raise where.at("kind").fail(f"此处不能用“{kind}”；可选：{'、'.join(kinds)}。")
    if kind == "bands" and not t.get("bands"):
        raise where.fail('kind = "bands" 须给出 bands = [ { at_least = …, points = … }, … ]。')
    if kind == "deduction" and "threshold" not in t:
        raise where.fail('kind = "deduction" 须给出 threshold（满分的界限，或 "target" 表示取年度指标值）。')
    allowed = {
        "ratio": {"kind", "name", "description"},
        "manual": {"kind", "name", "description"},
        "coefficient": {"kind", "name", "description"},
        "bands": {"kind", "name", "description", "bands", "otherwise"},
        "deduction": {"kind", "name", "description", "threshold", "per", "step", "whole", "direction"},
        "linear": {"kind", "description"},
        "row": {"kind", "description"},
    }[kind]
    for key in t:
        if key not in allowed:
            raise where.at(key).fail(f"计分方法“{kind}”不使用键“{key}”；可用：{'、'.join(sorted(allowed))}。")
    return Method(
        kind=kind,
        name=t.get("name", ""),
        bands=t.get("bands", ()),
        otherwise=t.get("otherwise", Decimal(0)),
        threshold=t.get("threshold"),
        per=t.get("per", Decimal(1)),
        step=t.get("step", Decimal(1)),
        whole=t.get("whole", False),
        direction=t.get("direction", "above"),
        description=t.get("description", ""),
    )


def _level2(value: Any, where: _Where) -> Level2:
    if isinstance(value, str):
        return Level2(value.strip())
    t = _table(value, where, {"name": _text, "aliases": _texts, "weight": _number}, required=("name",))
    return Level2(t["name"], t.get("aliases", ()), t.get("weight"))


def _level1(value: Any, where: _Where) -> Level1:
    t = _table(
        value,
        where,
        {"name": _text, "weight": _number, "aliases": _texts, "level2": _list_of(_level2)},
        required=("name",),
    )
    return Level1(t["name"], t.get("weight"), t.get("aliases", ()), t.get("level2", ()))


def _weight_split(value: Any, where: _Where) -> WeightSplit:
    def group(v: Any, w: _Where) -> WeightGroup:
        g = _table(v, w, {"level1": _texts, "weight": _number}, required=("level1", "weight"))
        return WeightGroup(g["level1"], g["weight"])

    t = _table(value, where, {"name": _text, "groups": _list_of(group)}, required=("name", "groups"))
    return WeightSplit(t["name"], t["groups"])


def _common(value: Any, where: _Where) -> Common:
    keys: dict[str, Check] = {
        "name": _text,
        "aliases": _texts,
        "level1": _text,
        "level2": _text,
        "weight": _number,
        "unit": _text,
        "method": lambda v, w: _method(v, w, kinds=("ratio", "bands", "deduction", "coefficient", "manual")),
    }
    t = _table(value, where, keys, required=("name", "method"))
    return Common(
        t["name"],
        t["method"],
        t.get("aliases", ()),
        t.get("level1", ""),
        t.get("level2", ""),
        t.get("weight"),
        t.get("unit", ""),
    )


def _qual(value: Any, where: _Where) -> QualBand:
    t = _table(
        value,
        where,
        {"name": _text, "from": _number, "to": _number, "to_inclusive": _bool, "aliases": _texts},
        required=("name", "from", "to"),
    )
    return QualBand(
        t["name"], t["from"] / 100, t["to"] / 100, t.get("to_inclusive", False), t.get("aliases", ())
    )


def _grade(value: Any, where: _Where) -> Grade:
    t = _table(value, where, {"from": _number, "label": _text}, required=("from", "label"))
    return Grade(t["from"], t["label"])


def _fund_row(value: Any, where: _Where) -> FundRow:
    t = _table(value, where, {"key": _choice(FUND_SLOTS), "label": _text}, required=("key", "label"))
    return FundRow(t["key"], t["label"])


def _execution(value: Any, where: _Where) -> dict[str, Any]:
    return _table(
        value,
        where,
        {
            "weight": _number,
            "method": lambda v, w: _method(v, w, kinds=("linear", "bands", "deduction", "row")),
            "row": _text,
            "low_rate": lambda v, w: None if v is False else _number(v, w) / 100,
        },
    )


def _checks(value: Any, where: _Where) -> dict[str, Level | None]:
    if not isinstance(value, dict):
        raise where.fail('应为一个表：检查代码 = "error" / "warning" / "info" / "off"。')
    out: dict[str, Level | None] = {}
    for code, level in value.items():
        w = where.at(code)
        text = _choice(tuple(LEVELS_OF_CHECKS))(level, w)
        out[code] = LEVELS_OF_CHECKS[text]
    return out


def _labels(value: Any, where: _Where) -> dict[str, str]:
    return _table(value, where, {key: _text for key in LABEL_DEFAULTS})


_SECTIONS: dict[str, Check] = {
    "scheme": lambda v, w: _table(
        v,
        w,
        {
            "id": _id,
            "name": _text,
            "year": lambda x, ww: int(_number(x, ww)),
            "version": lambda x, ww: str(x),
            "source": _text,
            "extends": _text,
            "kinds": lambda x, ww: tuple(_choice(("项目支出", "部门整体支出"))(k, ww) for k in _texts(x, ww)),
        },
        required=("id", "name"),
    ),
    "execution": _execution,
    "indicators": lambda v, w: _table(
        v,
        w,
        {
            "layout": _choice(("levels", "flat")),
            "default_method": lambda x, ww: _method(x, ww, kinds=("ratio", "coefficient", "manual")),
            "over_completion": lambda x, ww: None if x is False else _number(x, ww),
            "reverse": _choice(("R1", "R2")),
            "tolerance": _number,
            "adjustment_reason": _bool,
        },
    ),
    "level1": _list_of(_level1),
    "weights": _list_of(_weight_split),
    "methods": _list_of(
        lambda v, w: _method(v, w, kinds=("ratio", "bands", "deduction", "coefficient", "manual"))
    ),
    "common": _list_of(_common),
    "qualitative": _list_of(_qual),
    "grades": _list_of(_grade),
    "fund_rows": _list_of(_fund_row),
    "checks": _checks,
    "labels": _labels,
}
_HOMES.update(
    {
        "scheme": ("id", "name", "year", "version", "source", "extends", "kinds"),
        "execution": ("weight", "method", "row", "low_rate"),
        "indicators": (
            "layout",
            "default_method",
            "over_completion",
            "reverse",
            "tolerance",
            "adjustment_reason",
        ),
        "labels": tuple(LABEL_DEFAULTS),
    }
)
_REPLACED = ("level1", "weights", "methods", "common", "qualitative", "grades", "fund_rows")


def _id(value: Any, where: _Where) -> str:
    text = _text(value, where)
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,40}", text):
        raise where.fail(f"id“{text}”须为小写字母、数字、- 或 _（如 hubei、my-county），不超过 40 个字符。")
    return text


# ----------------------------------------------------------------------------------------- the loading


def _line_map(text: str) -> dict[tuple[str, ...], int]:
    """Line of each table header and key (path → line), for messages. A small scanner of our own TOML
    subset: ``[a.b]``, ``[[a]]`` (indexed), ``key = …`` (inline tables point at their key's line)."""
    lines: dict[tuple[str, ...], int] = {}
    counters: dict[tuple[str, ...], int] = {}
    current: tuple[str, ...] = ()
    header = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
    key = re.compile(r"^\s*(\"[^\"]+\"|[A-Za-z0-9_\-]+)\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        m = header.match(line)
        if m:
            parts = tuple(p.strip().strip('"') for p in m[2].split("."))
            if m[1] == "[[":
                index = counters.get(parts, -1) + 1
                counters[parts] = index
                current = (*parts, str(index))
                lines.setdefault(parts, number)
            else:
                current = parts
            lines.setdefault(current, number)
            continue
        m = key.match(line)
        if m:
            lines.setdefault((*current, m[1].strip('"')), number)
    return lines


def _merge(base: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in own.items():
        if key in _REPLACED or key not in out or not isinstance(value, dict):
            out[key] = value
        else:
            out[key] = _merge(out[key], value)
    return out


def _raw(path: Path) -> tuple[dict[str, Any], str]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SchemeError(f"找不到规则文件 {path}。") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SchemeError(f"无法读取规则文件 {path}（{type(exc).__name__}）；请以 UTF-8 编码保存。") from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+), column (\d+)", str(exc))
        place = f"第 {m[1]} 行第 {m[2]} 列" if m else ""
        what = next((zh for en, zh in _TOML_ERRORS if en in str(exc)), "写法有误")
        raise SchemeError(
            f"规则文件 {path.name} {place}不是有效的 TOML（{what}）；请检查引号、方括号和等号。"
        ) from None


#: tomllib's messages (English) → what the clerk reads; the first that matches is used.
_TOML_ERRORS = (
    ("at the end of a table declaration", "表头缺少右方括号“]”"),
    ("at the end of an array declaration", "表头缺少“]]”"),
    ("after a key in a key/value pair", "键名后缺少等号“=”"),
    ("Unterminated string", "引号没有配对"),
    ("Illegal character '\\n'", "引号没有配对（文字到行末还没结束）"),
    ("Cannot overwrite a value", "同一个键写了两次"),
    ("Cannot declare", "同一个表写了两次"),
    ("Invalid value", "等号右边的值无效（文字要加引号）"),
    ("Invalid initial character for a key part", "键名含有不允许的字符"),
    ("Expected newline or end of document", "一行只能写一个键"),
    ("Illegal character", "含有不允许的字符"),
)


def _resolve(path: Path, seen: tuple[Path, ...] = ()) -> tuple[dict[str, Any], dict[str, _Where]]:
    """The raw tables of ``path`` with its base merged in, and where each section came from."""
    data, text = _raw(path)
    where = _Where(path.name, _line_map(text))
    head = data.get("scheme")
    base_id = head.get("extends") if isinstance(head, dict) else None
    origins = {section: where for section in data}
    if not base_id:
        return data, origins
    base_path = find_scheme_file(str(base_id), relative_to=path.parent)
    if base_path is None:
        raise where.at("scheme", "extends").fail(f"找不到要继承的规则“{base_id}”。")
    if base_path.resolve() in seen or base_path.resolve() == path.resolve():
        raise where.at("scheme", "extends").fail("规则继承出现循环。")
    base, base_origins = _resolve(base_path, (*seen, path.resolve()))
    base.pop("scheme", None)
    if "level1" in data and "weights" not in data:
        base.pop("weights", None)  # the base's weight splits name the base's 一级 system, not this one
    merged = _merge(base, data)
    return merged, {**base_origins, **origins}


def load_scheme(path: Path | str) -> Scheme:
    """Load and check one scheme file (its ``extends`` base included). Raises SchemeError."""
    path = Path(path)
    data, origins = _resolve(path)
    converted: dict[str, Any] = {}
    for section, value in data.items():
        where = origins.get(section) or _Where(path.name, {})
        if section not in _SECTIONS:
            raise where.at(section).fail(f"不认识的部分“{section}”。{_hint(section, _SECTIONS, ())}")
        converted[section] = _SECTIONS[section](value, where.at(section))
    if "scheme" not in converted:
        raise SchemeError(f"规则文件 {path.name} 缺少 [scheme] 部分（id 和 name）。")
    scheme = _build(converted, data, str(path))
    _cross_check(scheme, origins.get("level1") or _Where(path.name, {}), origins)
    return scheme


def _build(t: dict[str, Any], raw: dict[str, Any], path: str) -> Scheme:
    head, ex, ind = t["scheme"], t.get("execution", {}), t.get("indicators", {})
    method = ex.get("method", Method("linear"))
    execution = Execution(
        weight=ex.get("weight", Decimal(10)),
        method=method,
        row=ex.get("row", ""),
        low_rate=ex.get("low_rate", Decimal("0.9")),
    )
    if method.kind == "row":
        execution = Execution(Decimal(0), method, ex.get("row", "预算执行率"), execution.low_rate)
    level1 = t.get("level1", ())
    splits = t.get("weights", ())
    weighted = tuple(l1 for l1 in level1 if l1.weight is not None)
    if weighted and not splits:
        splits = (WeightSplit("默认", tuple(WeightGroup((l1.name,), l1.weight) for l1 in weighted)),)  # type: ignore[arg-type]
    canonical = json.dumps(_canonical(raw), ensure_ascii=False, sort_keys=True)
    return Scheme(
        id=head["id"],
        name=head["name"],
        year=head.get("year"),
        version=head.get("version", ""),
        source=head.get("source", ""),
        kinds=head.get("kinds", ("项目支出", "部门整体支出")),
        execution=execution,
        layout=ind.get("layout", "levels"),
        level1=level1,
        weight_splits=splits,
        default_method=ind.get("default_method", Method()),
        methods=t.get("methods", ()),
        common=t.get("common", ()),
        reverse=ind.get("reverse", "R1"),
        over_completion=ind.get("over_completion", Decimal("1.2")),
        qualitative=t.get("qualitative", ()) or DEFAULT_QUALITATIVE,
        grades=t.get("grades", ()) or DEFAULT_GRADES,
        fund_rows=t.get("fund_rows", ()) or DEFAULT_FUND_ROWS,
        checks=dict(t.get("checks", {})),
        labels=dict(t.get("labels", {})),
        tolerance=ind.get("tolerance", Decimal("0.01")),
        adjustment_reason=ind.get("adjustment_reason", True),
        digest=hashlib.sha256(canonical.encode()).hexdigest()[:12],
        path=path,
    )


def _canonical(raw: Any) -> Any:
    """The resolved content without the file's own metadata, for the digest."""
    if isinstance(raw, dict):
        return {k: _canonical(v) for k, v in raw.items() if k not in ("extends", "source")}
    if isinstance(raw, list):
        return [_canonical(v) for v in raw]
    return raw


DEFAULT_QUALITATIVE = (
    QualBand("达成年度指标", Decimal("0.8"), Decimal(1), True, ("达成", "达成预期指标")),
    QualBand("部分达成年度指标并具有一定效果", Decimal("0.6"), Decimal("0.8"), False, ("部分达成",)),
    QualBand("未达成年度指标且效果较差", Decimal(0), Decimal("0.6"), False, ("未达成",)),
)
DEFAULT_GRADES = (
    Grade(Decimal(90), "优"),
    Grade(Decimal(80), "良"),
    Grade(Decimal(60), "中"),
    Grade(Decimal(0), "差"),
)
DEFAULT_FUND_ROWS = (
    FundRow("appropriation", "当年财政拨款"),
    FundRow("carried_over", "上年结转资金"),
    FundRow("other_funds", "其他资金"),
)


def _cross_check(s: Scheme, where: _Where, origins: Mapping[str, _Where]) -> None:
    """Stage two: what the shape cannot say (names unique, weights add up, bounds in order)."""

    def at(section: str, *more: str) -> _Where:
        return (origins.get(section) or where).at(section, *more)

    if s.flat and s.level1:
        raise at("level1").fail('layout = "flat"（不分一级、二级）时不能再列出 [[level1]]。')
    if not s.flat and not s.level1:
        raise at("indicators").fail('layout = "levels" 时须用 [[level1]] 列出一级指标及其二级指标。')
    names: dict[str, str] = {}
    for i, l1 in enumerate(s.level1):
        for n in (l1.name, *l1.aliases):
            if n in names:
                raise at("level1", str(i)).fail(f"一级指标名称或别名“{n}”重复（已用于“{names[n]}”）。")
            names[n] = l1.name
        seen2: set[str] = set()
        for l2 in l1.level2:
            for n in (l2.name, *l2.aliases):
                if n in seen2:
                    raise at("level1", str(i)).fail(f"二级指标名称或别名“{n}”在“{l1.name}”下重复。")
                seen2.add(n)
    weights = sum((l1.weight for l1 in s.level1 if l1.weight is not None), Decimal(0))
    if s.level1 and all(l1.weight is not None for l1 in s.level1) and weights + s.execution.weight != 100:
        raise at("level1").fail(
            f"一级指标分值合计 {weights} 加执行率分值 {s.execution.weight} 不等于 100；请调整 weight。"
        )
    for i, split in enumerate(s.weight_splits):
        total = sum((g.weight for g in split.groups), Decimal(0)) + s.execution.weight
        if total != 100:
            raise at("weights", str(i)).fail(f"分值方案“{split.name}”合计 {total}（含执行率），不等于 100。")
        for g in split.groups:
            for n in g.level1:
                if n not in names:
                    raise at("weights", str(i)).fail(f"分值方案中的一级指标“{n}”未在 [[level1]] 中列出。")
    lower = Decimal(101)
    for i, q in enumerate(s.qualitative):
        if not (0 <= q.lower < q.upper <= 1) or q.upper > lower:
            raise at("qualitative", str(i)).fail("定性档次须从高到低排列，区间在 0 至 100 之间且 from < to。")
        lower = q.lower
    bounds = [g.lower for g in s.grades]
    if bounds != sorted(bounds, reverse=True) or (bounds and bounds[-1] != 0):
        raise at("grades").fail("等级须按 from 从高到低排列，最后一档 from = 0。")
    keys = [r.key for r in s.fund_rows]
    if len(set(keys)) != len(keys) or len(keys) > 4:
        raise at("fund_rows").fail("资金来源行的 key 不能重复，且最多 4 行。")
    for section, methods in (("methods", s.methods), ("common", tuple(c.method for c in s.common))):
        for i, m in enumerate(methods):
            _check_bands(m, at(section, str(i)))
    method_names = [m.name for m in s.methods]
    if "" in method_names or len(set(method_names)) != len(method_names):
        raise at("methods").fail("每个计分方法须有不重复的 name（填报人在“计分方法”列中选择它）。")
    common_names: set[str] = set()
    for i, c in enumerate(s.common):
        for n in (c.name, *c.aliases):
            if n in common_names:
                raise at("common", str(i)).fail(f"共性指标名称或别名“{n}”重复。")
            common_names.add(n)
        if c.level1 and not s.flat and c.level1 not in names:
            raise at("common", str(i), "level1").fail(f"一级指标“{c.level1}”未在 [[level1]] 中列出。")
        if c.weight is not None:
            top = max((b.points for b in c.method.bands), default=Decimal(0))
            if top > c.weight:
                raise at("common", str(i)).fail(f"最高档得分 {top} 超过该指标分值 {c.weight}。")
    _check_bands(s.execution.method, at("execution", "method"))
    if s.execution.method.kind == "bands":
        top = max(b.points for b in s.execution.method.bands)
        if top > s.execution.weight:
            raise at("execution").fail(f"执行率最高档得分 {top} 超过执行率分值 {s.execution.weight}。")
    if s.checks:
        from .. import catalog
        from . import checks  # noqa: F401  (the checks register their codes on import)

        known = list(catalog.CODES)
    for code in s.checks:
        if code not in known:
            close = difflib.get_close_matches(code, known, n=1)
            hint = f"是否应为“{close[0]}”？" if close else "可用的代码见 README 的校验代码表。"
            raise at("checks", code).fail(f"没有代码为“{code}”的检查。{hint}")


def _check_bands(m: Method, where: _Where) -> None:
    if m.kind != "bands":
        return
    kinds = {b.at_least is not None for b in m.bands}
    if len(kinds) > 1:
        raise where.fail("同一个分档表中不能混用 at_least 和 at_most。")
    bounds = [b.at_least if b.at_least is not None else b.at_most for b in m.bands]
    ascending = m.bands[0].at_most is not None
    if bounds != sorted(bounds, reverse=not ascending):  # type: ignore[type-var]
        order = "从小到大" if ascending else "从大到小"
        raise where.fail(f"分档须按界限{order}排列（先判断的档在前）。")


# --------------------------------------------------------------------------------------- finding them


def scheme_dirs() -> list[Path]:
    """Where schemes are looked up by id: the shipped folder, then ``PERFEVAL_XL_SCHEMES`` folders."""
    extra = [Path(p) for p in os.environ.get(ENV_DIRS, "").split(os.pathsep) if p.strip()]
    return [BUILTIN_DIR, *extra]


def find_scheme_file(name: str, *, relative_to: Path | None = None) -> Path | None:
    """The file of a scheme given by id or path (``hubei``, ``./县规则.toml``), or None."""
    candidate = Path(name)
    if candidate.suffix.lower() == ".toml":
        if not candidate.is_absolute() and relative_to is not None and (relative_to / candidate).is_file():
            return relative_to / candidate
        return candidate if candidate.is_file() else None
    folders = ([relative_to] if relative_to else []) + scheme_dirs()
    for folder in folders:
        path = folder / f"{name}.toml"
        if path.is_file():
            return path
    for folder in folders:  # a file named otherwise whose [scheme] id is ``name``
        for path in sorted(folder.glob("*.toml")) if folder.is_dir() else ():
            if _declared_id(str(path), path.stat().st_mtime) == name:
                return path
    return None


@functools.lru_cache(maxsize=256)
def _declared_id(path: str, mtime: float) -> str:
    """The ``[scheme] id`` a file declares ("" when it cannot be read): finding a scheme by id whatever
    its file is called."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return ""
    head = data.get("scheme")
    return str(head.get("id", "")) if isinstance(head, dict) else ""


def builtin_ids() -> list[str]:
    """Ids of the shipped schemes, national first."""
    ids = sorted(p.stem for p in BUILTIN_DIR.glob("*.toml"))
    return sorted(ids, key=lambda i: (i != DEFAULT_ID, i))


def available() -> list[Scheme]:
    """Every scheme found (shipped, then the PERFEVAL_XL_SCHEMES folders), by id; a broken file raises."""
    schemes, problems = scan_schemes()
    if problems:
        raise problems[0]
    return schemes


def scan_schemes() -> tuple[list[Scheme], list[SchemeError]]:
    """Every scheme that loads (by id; the first of an id wins), and the error of each file that does not:
    one broken file in a bureau's folder does not hide the others."""
    out: dict[str, Scheme] = {}
    problems: list[SchemeError] = []
    for folder in scheme_dirs():
        for path in sorted(folder.glob("*.toml")) if folder.is_dir() else ():
            try:
                s = _cached(str(path.resolve()), path.stat().st_mtime)
            except SchemeError as exc:
                problems.append(exc)
                continue
            out.setdefault(s.id, s)
    return sorted(out.values(), key=lambda s: (s.id != DEFAULT_ID, s.id)), problems


@functools.lru_cache(maxsize=64)
def _cached(path: str, mtime: float) -> Scheme:
    return load_scheme(path)


def get_scheme(name: str = DEFAULT_ID) -> Scheme:
    """A scheme by id (shipped or in PERFEVAL_XL_SCHEMES) or by path to a .toml file. Raises SchemeError."""
    path = find_scheme_file(name)
    if path is None:
        ids = "、".join(builtin_ids())
        raise SchemeError(f"找不到评分规则“{name}”。可用的规则：{ids}；或给出规则文件的路径（.toml）。")
    return _cached(str(path.resolve()), path.stat().st_mtime)


def default_scheme() -> Scheme:
    return get_scheme(DEFAULT_ID)


#: Names the template stored before schemes were files (template version 1's "perfeval-xl rules").
LEGACY_NAMES = MappingProxyType({"全国默认": "national", "四川": "sichuan", "R2 反向计分": "vendor-r2"})


def find_recorded(scheme_id: str, digest: str = "") -> tuple[Scheme | None, str]:
    """The scheme a workbook recorded (id, digest) as found on this machine, and a note ("" when it is
    the same scheme). A legacy display name is mapped to its id. None when no scheme of that id exists."""
    scheme_id = LEGACY_NAMES.get(scheme_id, scheme_id)
    try:
        scheme = get_scheme(scheme_id)
    except SchemeError:
        return None, f"工作簿使用的评分规则“{scheme_id}”在本机找不到"
    if digest and digest != scheme.digest:
        return scheme, (
            f"工作簿按评分规则“{scheme.name}”（{scheme_id}，摘要 {digest}）制作，本机的同名规则内容不同"
            f"（摘要 {scheme.digest}），已按本机的规则计分"
        )
    return scheme, ""


__all__ = [
    "Band",
    "Common",
    "Execution",
    "FundRow",
    "Grade",
    "Level1",
    "Level2",
    "Method",
    "QualBand",
    "Scheme",
    "SchemeError",
    "available",
    "builtin_ids",
    "default_scheme",
    "find_recorded",
    "get_scheme",
    "load_scheme",
    "scan_schemes",
]
