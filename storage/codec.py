"""Small conversions shared by the store backends: timestamps and money (text folding and
search terms are `core.text`)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

CATEGORY_SEP = " > "  # how a category path is kept as one string ("Carne > Vacuno")


def to_float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def encode_ts(value: datetime) -> str:
    """Fixed-width UTC ISO text, so string order is time order."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def decode_ts(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


def decode_price(value: float | str | Decimal) -> Decimal:
    """A money column that is never empty (a price)."""
    decoded = decode_money(value)
    assert decoded is not None
    return decoded


def decode_money(value: float | str | Decimal | None) -> Decimal | None:
    """Floats from the database back to the exact decimal they were written from."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    return Decimal(repr(value) if isinstance(value, float) else value)
