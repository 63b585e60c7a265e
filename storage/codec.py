"""Small conversions shared by the store backends: timestamps, money, search terms."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from decimal import Decimal

# Words that carry no meaning in a product search ("aceite de oliva" -> aceite, oliva).
STOPWORDS = frozenset(
    [
        "de",
        "del",
        "la",
        "el",
        "los",
        "las",
        "y",
        "e",
        "o",
        "u",
        "en",
        "con",
        "para",
        "por",
        "un",
        "una",
        "unos",
        "unas",
        "al",
        "a",
        "su",
        "sus",
    ]
)
_WORD = re.compile(r"[0-9a-z]+")


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


def fold(text: str) -> str:
    """Lower-case and strip accents: 'Plátano' -> 'platano'."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def search_terms(text: str) -> list[str]:
    """Meaningful folded words of a query, with a light plural stem ('galletas' -> 'galleta')."""
    terms = []
    for word in _WORD.findall(fold(text)):
        if word not in STOPWORDS:
            terms.append(stem(word))
    return terms


def stem(word: str) -> str:
    """The light plural stem of one folded word ('galletas' -> 'galleta', 'melones' -> 'melon')."""
    if len(word) > 4 and word.endswith("es") and not word.endswith("ses"):
        return word[:-2]
    if len(word) > 3 and word.endswith("s"):
        return word[:-1]
    return word
