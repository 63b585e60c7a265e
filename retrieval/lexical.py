"""BM25 over passages, on the same folded, lightly stemmed words as the store's search
('Plátanos' and 'platano' are one word), kept in memory as numpy postings and rebuilt with
the index; scoring is vectorised so a common word over 100k passages stays fast."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from core.text import search_terms


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
        self._words: list[str] | None = None  # the vocabulary by length, for `closest`
        self._lengths: NDArray[np.int64] = np.zeros(0, dtype=np.int64)

    def known(self, term: str) -> bool:
        return term in self._postings

    def closest(self, term: str) -> str | None:
        """The catalogue's word nearest to a misspelt one ("olvia" -> "oliva"), if one is clearly
        near: rapidfuzz's optimal-string-alignment distance (a swapped pair of letters is one
        edit), one edit (two from 9 letters); among equally near words, the one more passages
        use ("olvia" is one edit from "olia" too)."""
        from rapidfuzz import process
        from rapidfuzz.distance import OSA, Levenshtein

        if len(term) < 5:
            return None  # too short to tell a typo from another word ("pera", "pero")
        if self._words is None:
            self._words = sorted(self._postings, key=len)
            self._lengths = np.asarray([len(w) for w in self._words])
        low, high = np.searchsorted(self._lengths, [len(term) - 2, len(term) + 3])
        allowed = 1 if len(term) < 9 else 2  # edits: one, two in a long word
        found = process.extract(
            term, self._words[low:high], scorer=OSA.distance, score_cutoff=allowed, limit=8
        )
        # In a five-letter word only a swapped pair ("olvia"): one letter changed is as often
        # another word ("movil"/"moril").
        near = [(w, d) for w, d, _ in found
                if len(term) > 5 or Levenshtein.distance(term, w) > d]  # fmt: skip
        if not near:
            return None
        best = min(near, key=lambda f: (f[1], -len(self._postings[f[0]][0]), f[0]))
        return str(best[0])

    def containing(self, terms: Sequence[str]) -> NDArray[np.int64]:
        """Positions of the passages that hold every one of `terms` (stemmed search terms)."""
        found: NDArray[np.int64] | None = None
        for term in set(terms):
            posting = self._postings.get(term)
            if posting is None:
                return np.zeros(0, dtype=np.int64)
            found = posting[0] if found is None else np.intersect1d(found, posting[0])
        return found if found is not None else np.zeros(0, dtype=np.int64)

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
