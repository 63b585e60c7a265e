"""Text as every floor reads it: folded (lower case, no accents) and cut into search terms
with a light plural stem. The store's full-text search, the retriever, the grounding check and
the evaluation all use these, so that a word means the same everywhere."""

from __future__ import annotations

import re
import unicodedata

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
