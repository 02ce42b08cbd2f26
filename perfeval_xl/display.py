"""How numbers and indicator values are written for people: the 自评表, the report, messages. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal  # noqa: F401  (plain takes Decimals)

from .model import Finding, Indicator, Level
from .rules.expr import plain as plain  # re-exported: how numbers are shown everywhere
from .rules.scheme import Scheme


def target_text(ind: Indicator, scheme: Scheme | None = None) -> str:
    """年度指标值 as the official tables print it: sign, value and unit in one (≥50个, =100%); text as
    written; "" when blank. The rule is the row program's ``t_show`` step (rules.scoring), which the live
    自评表 renders too."""
    from .rules.scoring import read_row

    return str(read_row(ind, _scheme(scheme))["t_show"])


def actual_text(ind: Indicator, scheme: Scheme | None = None) -> str:
    """实际完成值 as printed: for 定性 rows the 完成档次 in effect (entered, else inferred from the score;
    filled forms write 达成年度指标 there, official-rules-sources.md §1.1), else value and unit ("a_show")."""
    from .rules.scoring import read_row

    return str(read_row(ind, _scheme(scheme))["a_show"])


def _scheme(scheme: Scheme | None) -> Scheme:
    from .rules.scheme import default_scheme

    return scheme or default_scheme()


def counts_line(findings: Sequence[Finding]) -> str:
    """错误 N 项，警告 M 项，提示 K 项 — the same words on screen, in the workbook and in message boxes."""
    counts = {lvl: sum(1 for f in findings if f.level is lvl) for lvl in Level}
    return f"错误 {counts[Level.ERROR]} 项，警告 {counts[Level.WARNING]} 项，提示 {counts[Level.INFO]} 项"
