"""BM25 over passages, on the same folded, lightly stemmed words as the store's search
('Plátanos' and 'platano' are one word), kept in memory as numpy postings and rebuilt with
the index; scoring is vectorised so a common word over 100k passages stays fast."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from storage.codec import search_terms


class LexicalIndex:
    def __init__(self, texts: Sequence[str], k1: float = 1.2, b: float = 0.75) -> None:
        self._k1, self._b = k1, b
        docs: dict[str, list[int]] = defaultdict(list)
        counts: dict[str, list[int]] = defaultdict(list)
        lengths = np.zeros(len(texts), dtype=np.float32)
        for doc, text in enumerate(texts):
            terms = Counter(search_terms(text))
            lengths[doc] = sum(terms.values())
            for term, count in terms.items():
                docs[term].append(doc)
                counts[term].append(count)
        self._size = len(texts)
        average = float(lengths.mean()) if len(texts) else 1.0
        self._norm = k1 * (1 - b + b * lengths / (average or 1.0))
        self._postings = {
            term: (
                np.asarray(docs[term], dtype=np.int64),
                np.asarray(counts[term], dtype=np.float32),
            )
            for term in docs
        }

    def scores(self, query: str, allowed: NDArray[np.bool_] | None = None) -> NDArray[np.float32]:
        """BM25 score of every passage (0 where no query word occurs or not `allowed`)."""
        result = np.zeros(self._size, dtype=np.float32)
        for term in set(search_terms(query)):
            posting = self._postings.get(term)
            if posting is None:
                continue
            docs, tf = posting
            idf = math.log(1 + (self._size - len(docs) + 0.5) / (len(docs) + 0.5))
            result[docs] += idf * tf * (self._k1 + 1) / (tf + self._norm[docs])
        if allowed is not None:
            result[~allowed] = 0
        return result


def top(scores: NDArray[np.float32], limit: int) -> list[int]:
    """Positions of the `limit` best positive scores, best first (ties by position)."""
    candidates = np.flatnonzero(scores > 0)
    if len(candidates) > limit:
        candidates = candidates[np.argpartition(-scores[candidates], limit - 1)[:limit]]
    return sorted(candidates.tolist(), key=lambda doc: (-float(scores[doc]), doc))
