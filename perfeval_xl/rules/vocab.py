"""The official words: indicator levels, operators, qualitative bands, markers.

Sources: official-rules.md §1 (一级 → 二级 lists, "fixed" in the national layout), §3 (operators, bands),
official-rules-sources.md §3.3 (vendor operator codes ≥ > = ≤ <, 定性) and §3.4 (band texts and the alias
达成预期指标 seen in filled forms [P1]).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from ..model import Indicator, Num

#: 一级指标 → its 二级指标 (national layout, official-rules-sources.md §1.1). 四川 puts 经济成本指标 under
#: 产出指标 ([P5]); it is accepted as a 二级 of 产出指标.
LEVELS: Mapping[str, tuple[str, ...]] = {
    "产出指标": ("数量指标", "质量指标", "时效指标", "成本指标", "经济成本指标"),
    "效益指标": ("经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"),
    "满意度指标": ("服务对象满意度指标",),
}

#: Default 一级 weights (official-rules.md §3): 执行率 10 + 产出 50 + 效益 30 + 满意度 10 = 100.
DEFAULT_LEVEL1_WEIGHTS: Mapping[str, Decimal] = {
    "产出指标": Decimal(50),
    "效益指标": Decimal(30),
    "满意度指标": Decimal(10),
}

# 指标性质, as entered. The first of each group is the canonical form offered in the dropdown; the others
# are spellings clerks and budget systems use (ASCII, full-width).
POSITIVE_OPS: tuple[str, ...] = ("≥", ">", ">=", "＞", "≧")  # 正向
REVERSE_OPS: tuple[str, ...] = ("≤", "<", "<=", "＜", "≦")  # 反向
EQUAL_OPS: tuple[str, ...] = ("=", "＝")  # 等于 (scored as 正向; t = 0 special)
QUALITATIVE_OPS: tuple[str, ...] = ("定性",)
OPERATOR_CHOICES: tuple[str, ...] = ("≥", "≤", "=", ">", "<", "定性")

#: 定性 bands: canonical text → (lower, upper, upper inclusive) as fractions of 分值
#: (official-rules.md §3: [80 %, 100 %], [60 %, 80 %), [0, 60 %)).
BANDS: Mapping[str, tuple[Decimal, Decimal, bool]] = {
    "达成年度指标": (Decimal("0.8"), Decimal("1"), True),
    "部分达成年度指标并具有一定效果": (Decimal("0.6"), Decimal("0.8"), False),
    "未达成年度指标且效果较差": (Decimal("0"), Decimal("0.6"), False),
}
#: Accepted spellings of each band (official-rules.md §3: short forms and 达成预期指标).
BAND_ALIASES: Mapping[str, tuple[str, ...]] = {
    "达成年度指标": ("达成年度指标", "达成", "达成预期指标"),
    "部分达成年度指标并具有一定效果": ("部分达成年度指标并具有一定效果", "部分达成"),
    "未达成年度指标且效果较差": ("未达成年度指标且效果较差", "未达成"),
}

#: Marks of a not-applicable indicator (filled forms write ``/`` [P2]).
NOT_APPLICABLE: tuple[str, ...] = ("/", "／", "不适用")


def normalize_operator(text: str) -> str:
    """The canonical operator (≥ ≤ = 定性) for an entered one, or "" when it is none of them."""
    t = text.strip()
    for group in (POSITIVE_OPS, REVERSE_OPS, EQUAL_OPS, QUALITATIVE_OPS):
        if t in group:
            return group[0]
    return ""


def normalize_band(text: str) -> str:
    """The canonical band for an entered one, or "" when it is none of them."""
    t = text.strip()
    for band, aliases in BAND_ALIASES.items():
        if t in aliases:
            return band
    return ""


def _is_na(value: Num | str) -> bool:
    return isinstance(value, str) and value.strip() in NOT_APPLICABLE


def is_not_applicable(ind: Indicator) -> bool:
    """A row marked ``/`` (or 不适用) in 实际完成值 or 完成档次 is not scored (official-rules.md §3)."""
    return _is_na(ind.actual) or _is_na(ind.band)


def is_blank(ind: Indicator) -> bool:
    """A row with nothing entered (template rows the clerk did not use)."""
    return not any(
        (
            ind.level1.strip(),
            ind.level2.strip(),
            ind.name.strip(),
            ind.operator.strip(),
            ind.target is not None,
            ind.unit.strip(),
            ind.actual is not None,
            ind.band.strip(),
            ind.weight is not None,
            ind.score is not None,
            ind.deviation_note.strip(),
        )
    )
