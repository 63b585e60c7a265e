"""BM25 over passages, on the same folded, lightly stemmed words as the store's search
('Plátanos' and 'platano' are one word), kept in memory and rebuilt with the index."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from storage.codec import search_terms


class LexicalIndex:
    def __init__(self, texts: Sequence[str], k1: float = 1.2, b: float = 0.75) -> None:
        self._k1, self._b = k1, b
        self._postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self._lengths: list[int] = []
        for doc, text in enumerate(texts):
            terms = Counter(search_terms(text))
            self._lengths.append(sum(terms.values()))
            for term, count in terms.items():
                self._postings[term].append((doc, count))
        self._average = (sum(self._lengths) / len(self._lengths)) if self._lengths else 1.0

    def scores(self, query: str, allowed: set[int] | None = None) -> dict[int, float]:
        """BM25 score of every document (position) holding a query word; `allowed` filters."""
        result: dict[int, float] = defaultdict(float)
        total = len(self._lengths)
        for term in set(search_terms(query)):
            postings = self._postings.get(term, ())
            if not postings:
                continue
            idf = math.log(1 + (total - len(postings) + 0.5) / (len(postings) + 0.5))
            for doc, count in postings:
                if allowed is not None and doc not in allowed:
                    continue
                norm = self._k1 * (1 - self._b + self._b * self._lengths[doc] / self._average)
                result[doc] += idf * count * (self._k1 + 1) / (count + norm)
        return dict(result)


def top(scores: dict[int, float], limit: int) -> list[int]:
    return [doc for doc, _ in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]


def terms_of(texts: Iterable[str]) -> set[str]:
    return {term for text in texts for term in search_terms(text)}
