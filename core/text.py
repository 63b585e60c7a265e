"""Text as every floor reads it: folded (lower case, no accents) and cut into search terms
with a light plural stem, and amounts of money as Spaniards write them. The store's full-text
search, the retriever, the grounding check and the evaluation all use these, so that a word
means the same everywhere."""

from __future__ import annotations

import functools
import re
import unicodedata
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


def fold(text: str) -> str:
    """Lower-case and strip accents: 'Plátano' -> 'platano'. Decomposed before lower-casing:
    styled letters ('𝐋𝐞𝐜𝐡𝐞', 'ℌ') decompose to capitals."""
    if text.isascii():  # nothing to decompose or strip
        return text.lower()
    if len(text) <= _NAME_LENGTH:  # a product's name: the filters fold the same ones again
        return _fold_name(text)
    return _fold(text)


_NAME_LENGTH = 160


@functools.lru_cache(maxsize=1 << 15)
def _fold_name(text: str) -> str:
    return _fold(text)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text).lower()
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# An amount of money as a Spaniard writes it: 2, 2,5, 2,50, 2.50, 2'50, 1.234,50 or 1 234,50 (a
# dot or a space before three digits groups thousands), never the middle or the start of a
# longer number ("2,505" is no 2,50, "1 008,95" no 8,95) and never with a leading zero ("008").
_GROUP = "[ \u00a0\u202f]"  # a space, a no-break space, a narrow no-break space
AMOUNT = (
    r"(?<![\d.,'’])"
    rf"(?:[1-9]\d{{0,2}}(?:\.\d{{3}})+(?:,\d{{1,2}})?|[1-9]\d{{0,2}}(?:{_GROUP}\d{{3}})+(?:,\d{{1,2}})?"
    r"|(?:0|[1-9]\d*)(?:[.,'’]\d{1,2})?)(?![.,'’]?\d)"
)
_THOUSANDS = re.compile(rf"\d{{1,3}}(?:[.]\d{{3}}|{_GROUP}\d{{3}})+(?:,\d+)?")


def amount(text: str) -> Decimal | None:
    """The value of an `AMOUNT` ('1.234,50' -> 1234.50, "2'5" -> 2.5); None for any other
    run of digits and separators ('2,505', '1,234.50'): no amount can be read from it."""
    if re.fullmatch(AMOUNT, text) is None:
        return None
    if _THOUSANDS.fullmatch(text):
        text = re.sub(rf"[.]|{_GROUP}", "", text)
    return Decimal(re.sub(r"[,'’]", ".", text))


# Never text: C0/C1 controls (NUL, terminal escapes; tab and line breaks excepted) and the
# marks, embeddings, overrides and isolates that reorder what follows them on screen
INVISIBLE = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_INVISIBLE = re.compile(f"[{INVISIBLE}]")


def visible(text: str) -> str:
    """`text` without control characters or text-direction controls (an override would show
    "8,25 €" as "€ 52,8"); tabs and line breaks stay."""
    return _INVISIBLE.sub("", text)


def one_line(text: str) -> str:
    """`visible` text as one line: whitespace runs, line breaks included, as one space (a line
    break in a product's name would forge a line of its own in a prompt or a message)."""
    return " ".join(visible(text).split())


def search_terms(text: str) -> list[str]:
    """Meaningful folded words of a query, with a light plural stem ('galletas' -> 'galleta')."""
    return list(_terms(text))


@functools.lru_cache(maxsize=1 << 17)
def _terms(text: str) -> tuple[str, ...]:
    # Ranking asks again for the terms of the same product names at every question: kept.
    return tuple(stem(word) for word in _WORD.findall(fold(text)) if word not in STOPWORDS)


def stem(word: str) -> str:
    """The light plural stem of one folded word ('galletas' -> 'galleta', 'melones' -> 'melon')."""
    if len(word) > 4 and word.endswith("es") and not word.endswith("ses"):
        return word[:-2]
    if len(word) > 3 and word.endswith("s"):
        return word[:-1]
    return word
