"""Filtered dense search: the k nearest allowed passages, exactly, whichever way it is found."""

from __future__ import annotations

import faiss
import numpy as np
import pytest

from retrieval.retriever import _nearest


@pytest.mark.parametrize("share", [1.0, 0.9, 0.55, 0.5, 0.2, 0.01])
def test_the_nearest_allowed_passages_are_those_a_full_scan_finds(share: float) -> None:
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(3_000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = faiss.IndexIDMap(faiss.IndexFlatIP(32))
    index.add_with_ids(vectors, np.arange(len(vectors), dtype=np.int64))
    for seed in range(20):
        query = vectors[seed : seed + 1] + rng.normal(scale=0.3, size=(1, 32)).astype(np.float32)
        allowed = rng.random(len(vectors)) < share

        found = _nearest(index, query, 150, allowed)

        scores = vectors @ query[0]
        expected = [int(i) for i in np.argsort(-scores) if allowed[i]][:150]
        assert [i for i, _ in found] == expected
        assert np.allclose([d for _, d in found], scores[expected], atol=1e-5)


def test_a_filter_that_rules_out_the_nearest_passages_still_gets_the_nearest_allowed() -> None:
    """Most passages allowed, but not those nearest the question (a price limit that leaves out
    every match): the wide unfiltered look finds too few, and the filtered search runs."""
    rng = np.random.default_rng(8)
    vectors = rng.normal(size=(3_000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = faiss.IndexIDMap(faiss.IndexFlatIP(32))
    index.add_with_ids(vectors, np.arange(len(vectors), dtype=np.int64))
    query = vectors[:1]
    order = np.argsort(-(vectors @ query[0]))
    allowed = np.ones(len(vectors), dtype=bool)
    allowed[order[:400]] = False

    found = _nearest(index, query, 150, allowed)

    assert [i for i, _ in found] == [int(i) for i in order[400:550]]
