"""Parsing of the values real supermarket sources carry: prices, sizes, dates, chain names."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from core.domain import ReferenceUnit
from core.text import fold
from ingestion.records import RowRejected

_UNAVAILABLE = ("no disponible", "agotado", "n/d")
_SIZE = re.compile(
    r"(?:(?P<count>\d+)\s*[x×]\s*)?(?P<amount>\d+(?:[.,]\d+)?)\s*"
    r"(?P<unit>kg|kilos?|grs?|gramos|g|mg|litros?|lt?|cl|ml)(?![a-z])",
)
_TO_BASE: dict[str, tuple[Decimal, ReferenceUnit]] = {
    "kg": (Decimal(1), ReferenceUnit.KG),
    "kilo": (Decimal(1), ReferenceUnit.KG),
    "kilos": (Decimal(1), ReferenceUnit.KG),
    "g": (Decimal("0.001"), ReferenceUnit.KG),
    "gr": (Decimal("0.001"), ReferenceUnit.KG),
    "grs": (Decimal("0.001"), ReferenceUnit.KG),
    "gramos": (Decimal("0.001"), ReferenceUnit.KG),
    "mg": (Decimal("0.000001"), ReferenceUnit.KG),
    "l": (Decimal(1), ReferenceUnit.L),
    "lt": (Decimal(1), ReferenceUnit.L),
    "litro": (Decimal(1), ReferenceUnit.L),
    "litros": (Decimal(1), ReferenceUnit.L),
    "cl": (Decimal("0.01"), ReferenceUnit.L),
    "ml": (Decimal("0.001"), ReferenceUnit.L),
}
_DATE_IN_NAME = re.compile(r"(20\d\d)-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01]))?")


def parse_price(text: str | float | int | None, field: str = "price") -> Decimal:
    """'3,15 €', '3.15\u00a0€', '1.234,50 €', 3.15 -> Decimal; rejects missing/zero/negative."""
    if text is None or (isinstance(text, str) and not text.strip()):
        raise RowRejected("missing_price", f"The {field} is empty.", field, "a price in EUR")
    if isinstance(text, (int, float)):
        raw = repr(float(text))
    else:
        cleaned = text.replace("\u00a0", " ").replace("€", "").replace("EUR", "").strip()
        if any(marker in cleaned.lower() for marker in _UNAVAILABLE):
            raise RowRejected(
                "price_unavailable",
                f"The source says the {field} is not available: {text!r}.",
                field,
                "a price in EUR",
            )
        cleaned = cleaned.replace(" ", "")
        if "," in cleaned:  # Spanish decimal comma; dots are then thousands separators
            cleaned = cleaned.replace(".", "").replace(",", ".")
        raw = cleaned
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise RowRejected(
            "unparseable_price", f"The {field} {text!r} is not a number.", field, "e.g. '3,15 €'"
        ) from None
    if not value.is_finite() or value <= 0:
        raise RowRejected(
            "non_positive_price", f"The {field} {text!r} is zero or negative.", field, "> 0 EUR"
        )
    return value.quantize(Decimal("0.0001")).normalize()


def parse_optional_price(text: str | float | None, field: str) -> Decimal | None:
    """Like `parse_price`, but an empty or zero value means "not given" (upstream writes 0.0)."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    try:
        return parse_price(text, field)
    except RowRejected as exc:
        if exc.reason == "non_positive_price":
            return None
        raise


def parse_float(text: str | float | None) -> float | None:
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    try:
        return float(str(text).replace(",", "."))
    except ValueError:
        return None


def parse_unit(text: str | None) -> ReferenceUnit | None:
    if not text:
        return None
    folded = fold(text).strip().rstrip(".")
    aliases = {
        "kg": ReferenceUnit.KG,
        "l": ReferenceUnit.L,
        "ud": ReferenceUnit.UNIT,
        "uds": ReferenceUnit.UNIT,
        "unidad": ReferenceUnit.UNIT,
        "m": ReferenceUnit.M,
    }
    return aliases.get(folded)


def parse_size(name: str) -> tuple[float, ReferenceUnit] | None:
    """Package size from a product name: 'bolsa 240 g' -> (0.24, kg); '6 x 1 l' -> (6.0, l)."""
    matches = list(_SIZE.finditer(fold(name)))
    if not matches:
        return None
    match = matches[-1]
    factor, unit = _TO_BASE[match["unit"]]
    amount = Decimal(match["amount"].replace(",", ".")) * factor
    if match["count"]:
        amount *= int(match["count"])
    if amount <= 0:
        return None
    return float(amount), unit


def reference_price_for(price: Decimal, size: float | None) -> Decimal | None:
    if not size:
        return None
    return (price / Decimal(repr(size))).quantize(Decimal("0.01"))


def parse_day(text: str) -> datetime:
    """'2025-03-18' (or an ISO timestamp) -> aware UTC datetime."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise RowRejected("bad_date", f"{text!r} is not a date.", "date", "YYYY-MM-DD") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def date_from_filename(name: str) -> datetime | None:
    """'..._2024-04.csv' -> 2024-04-01: the snapshot date real data files carry in their name."""
    match = _DATE_IN_NAME.search(name)
    if not match:
        return None
    day = date(int(match[1]), int(match[2]), int(match[3] or 1))
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def chain_slug(name: str) -> str:
    """'Supermercados Más' -> 'supermercados-mas'."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-")
    if not slug:
        raise RowRejected("missing_chain", "The supermarket name is empty.", "chain")
    return slug


def clean_text(value: object) -> str | None:
    if value is None:
        return None
    text = re.sub(r"\s+", " ", str(value)).strip()
    return text or None
