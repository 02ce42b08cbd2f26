"""Switches of the scoring and validation rules (official-rules.md §3: "every switch configurable").

The defaults are the national rules; ``PRESETS`` holds known provincial variants. A template built with
a rule set carries the same switches into its formulas (rules.scoring renders them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Literal

from .vocab import DEFAULT_LEVEL1_WEIGHTS


@dataclass(frozen=True)
class RuleSet:
    """One province's (or the national) choice of rules."""

    name: str = "全国默认"
    #: 预算执行率 分值 (official-rules.md §3: 10).
    execution_weight: Decimal = Decimal(10)
    #: 一级指标 weights; validation warns when the entered weights differ (they "may be adjusted").
    level1_weights: Mapping[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_LEVEL1_WEIGHTS))
    #: 反向 indicator formula: "R1" w·t/a (form-note rule, default) or "R2" w·(1 − (a − t)/t), 0 at a ≥ 2t.
    reverse_variant: Literal["R1", "R2"] = "R1"
    #: a ≥ ratio × t on 正向/= rows asks for the reason (warning; the score is not reduced).
    over_completion_ratio: Decimal = Decimal("1.2")
    #: 执行率 below this needs a reason in 预算执行说明 (四川); None switches the check off.
    low_rate_threshold: Decimal | None = Decimal("0.9")
    #: Level of a missing low-rate reason: "warning" by default, "error" where it is mandatory (四川).
    low_rate_level: Literal["error", "warning"] = "warning"
    #: Grade lower bounds, inclusive (official-rules.md §3).
    grades: tuple[tuple[Decimal, str], ...] = (
        (Decimal(90), "优"),
        (Decimal(80), "良"),
        (Decimal(60), "中"),
        (Decimal(0), "差"),
    )
    #: Tolerance when comparing sums of money (万元) and entered vs computed scores.
    tolerance: Decimal = Decimal("0.01")


DEFAULT_RULES = RuleSet()

PRESETS: Mapping[str, RuleSet] = {
    "national": DEFAULT_RULES,
    # 四川 510000_0013zp: 执行 10 + 指标 90, a reason is required below 90 % (official-rules.md §1, §3).
    "sichuan": replace(DEFAULT_RULES, name="四川", low_rate_level="error"),
    # Vendor 反向 formula (official-rules-sources.md §3.3, variant R2).
    "vendor-r2": replace(DEFAULT_RULES, name="R2 反向计分", reverse_variant="R2"),
}
