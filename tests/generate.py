"""Generated evaluations for the parity tests: every shipped scheme, its methods at their edges, values
written the ways people write them, and planted faults. Deterministic (``random.Random(seed)``)."""

from __future__ import annotations

import random
from decimal import Decimal as D

from perfeval_xl.model import Budget, Evaluation, FundLine, Indicator, Kind
from perfeval_xl.rules.scheme import Scheme

UNITS = ("个", "人次", "%", "米", "天", "")
OPS = ("≥", "≤", "=", ">", "<", "", "正向指标", "反向指标", "定量指标", "═", "≧", "定量")


def money(rng: random.Random, top: int = 5000) -> D:
    return D(rng.randint(0, top * 100)) / 100


def _number(rng: random.Random) -> D:
    return rng.choice(
        [D(rng.randint(1, 500)), D(rng.randint(1, 10000)) / 100, D(0), D(100), D(rng.randint(1, 99))]
    )


def _text_value(rng: random.Random, value: D, unit: str, op: str) -> object:
    """A value as people write it: a number, or text with sign, words, unit."""
    n = format(value.normalize(), "f")
    style = rng.randrange(7)
    if style == 0:
        return value
    if style == 1:
        return f"{op}{n}{unit}" if op in ("≥", "≤", "=", ">", "<") else f"{n}{unit}"
    if style == 2:
        word = {"≥": "不少于", "≤": "不超过", "=": "等于"}.get(op, "")
        return f"{word}{n}{unit}"
    if style == 3:
        suffix = {"≥": "以上", "≤": "以内"}.get(op, "")
        return f"{n}{unit}{suffix}"
    if style == 4:
        return f"{n}{unit}"
    if style == 5:
        return n.translate({ord(c): 0xFF10 + int(c) for c in "0123456789"}) + unit  # full-width digits
    return f" {n} "


def indicator(rng: random.Random, scheme: Scheme, level1: str, level2: str, k: int, weight: D) -> Indicator:
    kind = rng.randrange(10)
    if kind == 0 and scheme.qualitative:  # 定性
        band = rng.choice([*(q.name for q in scheme.qualitative), "", "达成", "/", "基本达成"])
        score = rng.choice(
            [None, D(rng.randint(0, int(weight * 100))) / 100, weight * D("0.8"), weight * D("0.6")]
        )
        return Indicator(
            level1,
            level2,
            f"定性{k}",
            rng.choice(["定性", "定性指标", ""]),
            "效果明显",
            "",
            rng.choice(["效果较好", "达成预期指标", "/"]),
            band,
            weight,
            score,
            rng.choice(["", "原因"]),
        )
    op = rng.choice(OPS)
    unit = rng.choice(UNITS)
    t = _number(rng)
    a = rng.choice([t, t * D("1.3"), t * D("0.5"), D(0), D(-3), t + 1, t * D("0.99")])
    direction = op if op in ("≥", "≤", "=") else rng.choice(["≥", "≤", "="])
    target = _text_value(rng, t, unit, direction)
    actual = (
        rng.choice([_text_value(rng, a, unit, direction), a, "/", "", "未统计", f"{a}万元"])
        if rng.random() < 0.3
        else a
    )
    entered = rng.choice([None, weight, D(rng.randint(0, int(weight * 100))) / 100])
    ind = Indicator(
        level1,
        level2,
        f"指标{k}",
        op,
        target,
        unit if rng.random() < 0.4 else "",
        actual,
        "",
        weight,
        entered,
        rng.choice(["", "", "原因说明"]),
    )
    if rng.random() < 0.15:
        ind.coefficient = rng.choice([D(rng.randint(0, 100)), "90%", "九成", D("87.5")])
    return ind


def common_row(rng: random.Random, scheme: Scheme, k: int) -> Indicator:
    """A row named as one of the scheme's common indicators, its value around the method's edges."""
    c = rng.choice(scheme.common)
    m = c.method
    if m.kind == "bands":
        bounds = [b.at_least if b.at_least is not None else b.at_most for b in m.bands]
        value = rng.choice(
            [*bounds, *(b + D("0.01") for b in bounds), *(b - D("0.01") for b in bounds), D(-1)]
        )
    else:
        threshold = m.threshold if isinstance(m.threshold, D) else D(100)
        value = rng.choice([threshold, threshold + 1, threshold + D("2.5"), threshold + 50, threshold - 1])
    weight = c.weight or D(5)
    name = rng.choice([c.name, *c.aliases, f"“{c.name}”"]) if c.aliases or rng.random() < 0.3 else c.name
    return Indicator(
        c.level1,
        c.level2,
        name,
        "",
        "≤100%",
        c.unit,
        f"{format(value.normalize(), 'f')}{c.unit}",
        "",
        weight,
        None,
        "说明",
    )


def evaluation(rng: random.Random, scheme: Scheme, n: int) -> Evaluation:
    adjusted = rng.choice([money(rng), D(0), money(rng)])
    executed = rng.choice([adjusted, money(rng), adjusted * D("0.85"), adjusted * D("1.1")])
    ev = Evaluation(
        unit_code=rng.choice(["001", "", "440882001"]),
        unit_name="测试单位",
        year=rng.choice([D(2023), D(2023), D(1999)]),
        kind=rng.choice(list(scheme.kinds)),
        project_name="测试项目",
        budget=Budget(total=FundLine(rng.choice([adjusted, money(rng)]), adjusted, executed)),
        execution_weight=rng.choice([scheme.execution.weight, scheme.execution.weight, D(5)]),
        goal_expected=rng.choice(["", "目标"]),
        goal_actual="完成",
    )
    if rng.random() < 0.5:
        parts = [adjusted * D("0.6"), adjusted * D("0.4"), rng.choice([D(0), D(1)])]
        for row, value in zip(scheme.fund_rows, parts, strict=False):
            getattr(ev.budget, row.key).adjusted = value
    if rng.random() < 0.4:
        ev.budget.general_public, ev.budget.government_fund = (
            adjusted * D("0.7"),
            adjusted * D("0.3") + rng.choice([0, 1]),
        )
    if rng.random() < 0.3:
        ev.execution_rate_entered = rng.choice([D("0.9827"), D(1)])
        ev.execution_score_entered = rng.choice([D(10), D("9.5")])
    if rng.random() < 0.2:
        ev.budget.note = "已说明"
    levels = [(x.name, y.name) for x in scheme.level1 for y in (x.level2 or ())] or [
        (x.name, "其他") for x in scheme.level1
    ]
    weights = _weights(rng, n)
    for k in range(n):
        if scheme.flat:
            l1, l2 = "", ""
        else:
            l1, l2 = rng.choice(levels) if levels else ("", "")
            l1 = rng.choice([l1, l1, f"{l1}(50分)", l1.replace("指标", "\n指标"), "投入指标x"])
        if scheme.common and rng.random() < 0.4:
            ev.indicators.append(common_row(rng, scheme, k))
        else:
            ev.indicators.append(indicator(rng, scheme, l1, l2, k, weights[k]))
    if scheme.execution.method.kind == "row" and scheme.execution.row and rng.random() < 0.7:
        rate = executed / adjusted * 100 if adjusted else D(0)
        ev.indicators.append(
            Indicator(
                scheme.level1[1].name if len(scheme.level1) > 1 else "",
                "资金",
                scheme.execution.row,
                "≥",
                "100%",
                "",
                rng.choice([f"{rate:.2f}%", "95%"]),
                "",
                D(10),
                None,
                "说明",
            )
        )
    if n > 2 and rng.random() < 0.3:
        ev.indicators[-1].name = ev.indicators[0].name  # a duplicate
    if rng.random() < 0.2:
        ev.indicators[0].weight = rng.choice([None, "十分", D(0)])
    return ev


def _weights(rng: random.Random, n: int) -> list[D]:
    if rng.random() < 0.5:
        base = D(90) / n
        return [base.quantize(D("0.01"))] * n
    return [D(rng.randint(1, 30)) for _ in range(n)]


def cases(scheme: Scheme, count: int, seed: int) -> list[Evaluation]:
    rng = random.Random(f"{scheme.id}-{seed}")
    return [evaluation(rng, scheme, rng.randint(1, 14)) for _ in range(count)]


__all__ = ["cases", "evaluation"]
Kind = Kind
