"""Hypothesis strategies for what Spanish shoppers and answers write: amounts of euros in every
way they are written."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st


@st.composite
def amounts(draw: st.DrawFn, low: int = 0, high: int = 9_999_999) -> tuple[Decimal, str]:
    """An amount of euros (`low`..`high` cents) and one way a Spaniard writes it: 2, 2,5, 2,50,
    2.50, 2'50, 1.234,50, 1 234,50."""
    cents = draw(st.integers(low, high))
    euros, rest = divmod(cents, 100)
    ways = [f"{euros},{rest:02d}", f"{euros}.{rest:02d}", f"{euros}'{rest:02d}"]
    if rest % 10 == 0:
        ways += [f"{euros},{rest // 10}", f"{euros}.{rest // 10}"]
    if rest == 0:
        ways.append(str(euros))
    if euros >= 1000:
        for mark in (".", " ", "\u00a0"):  # 1.234 / 1 234 / 1 234 with a no-break space
            grouped = f"{euros:,}".replace(",", mark)
            ways.append(grouped if rest == 0 else f"{grouped},{rest:02d}")
    return Decimal(cents) / 100, draw(st.sampled_from(ways))
