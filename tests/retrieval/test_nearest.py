"""Dense search: the k nearest allowed passages, exactly, whichever way they are found."""

from __future__ import annotations

import faiss
import numpy as np
import pytest

from core.settings import Settings
from retrieval.build import build_index
from retrieval.embedder import HashEmbedder
from retrieval.query import understand
from retrieval.retriever import Retriever, _nearest
from storage.sqlite.store import SqliteProductStore
from tests.retrieval.test_retriever import CONSTRAINED, SAMPLE_QUESTIONS


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


async def test_hybrid_reorders_the_matched_products_as_a_whole_index_search_would(
    sample_store: SqliteProductStore, settings: Settings
) -> None:
    """When words match, hybrid ranks only the matched products by similarity (no search of
    every passage): every matched product, most similar first, and the same similarities, in
    the same order, as the whole-index nearest passages kept to those products."""
    settings.retrieval.candidates = 4  # the whole-index search sees 12 passages: a prefix
    embedder = HashEmbedder()
    await build_index(sample_store, settings, embedder)
    retriever = Retriever(settings.index_path, embedder, settings.retrieval, sample_store)
    index = retriever.index()
    compared = 0
    for question in [q for q, _ in SAMPLE_QUESTIONS] + CONSTRAINED:
        query = understand(question)
        mask = index.columns.allowed(query) if query.constrained else None
        allowed = None if mask is None else mask[index.passage_rows]
        lexical = retriever._lexical(index, query, allowed)
        if not lexical:
            continue
        matched = {pid for pid, _ in lexical}
        vector = embedder.embed([query.text or query.original])[0]

        def best(pid: str) -> float:  # from the passages' own texts, not the index
            texts = [index.passages[i].text for i in index.passages_of[pid]]
            return round(float(max(embedder.embed(texts) @ vector)), 5)  # noqa: B023

        among = [pid for pid, _ in retriever._dense_among(index, query, lexical)]

        searched, _ = retriever._dense(index, query, allowed)
        kept = [pid for pid, _ in searched if pid in matched]
        assert set(among) == matched, question
        similarities = [best(pid) for pid in among]
        assert similarities == sorted(similarities, reverse=True), question
        assert similarities[: len(kept)] == [best(pid) for pid in kept], question
        compared += len(kept)
    assert compared >= 20  # real rankings were compared, not empty ones
