"""Passages, chunking, the offline embedders and the embedding cache."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from retrieval.embedder import CachedEmbedder, HashEmbedder, UseEmbedder, Vectors
from retrieval.passages import chunks, passages_for
from tests.factories import make_product


def test_main_passage_says_what_where_and_size_but_not_the_price() -> None:
    product = make_product(ingredients="Aceite de oliva virgen extra. " * 40)
    passages = passages_for(product, chunk_chars=200, overlap=40)
    main = passages[0].text
    assert "Aceite de oliva virgen extra Hacendado" in main and "Mercadona" in main
    assert "1 l" in main and "sin gluten" in main and "8.95" not in main
    extra = [p for p in passages if p.kind == "ingredients"]
    assert len(extra) > 3 and all(len(p.text) <= 200 + len(product.name) + 16 for p in extra)
    assert len({p.key for p in passages}) == len(passages)


def test_chunks_overlap_and_cover_everything() -> None:
    words = [f"w{n}" for n in range(200)]
    pieces = chunks(" ".join(words), 60, 15)
    assert pieces[0].split()[0] == "w0" and pieces[-1].split()[-1] == "w199"
    for first, second in itertools.pairwise(pieces):
        assert set(first.split()) & set(second.split())  # consecutive chunks share words
        assert len(first) <= 60


def test_hash_embedder_is_deterministic_and_accent_blind() -> None:
    embedder = HashEmbedder()
    a, b, c = embedder.embed(["Plátano de Canarias", "platano de canarias", "detergente"])
    assert np.allclose(a, b) and float(a @ c) < 0.3
    assert np.isclose(np.linalg.norm(a), 1.0)


def test_packaged_multilingual_model_matches_spanish_meaning() -> None:
    embedder = UseEmbedder()
    query, oil, detergent = embedder.embed(
        ["aceite de oliva", "Aceite de oliva virgen extra 1 l", "Detergente líquido ropa"]
    )
    assert query.shape == (512,) and float(query @ oil) > float(query @ detergent) + 0.3


def test_cache_embeds_each_text_once(tmp_path: Path) -> None:
    calls: list[int] = []

    class Counting(HashEmbedder):
        def embed(self, texts: Sequence[str]) -> Vectors:
            calls.append(len(texts))
            return super().embed(texts)

    cached = CachedEmbedder(Counting(), tmp_path / "cache.sqlite")
    first = cached.embed(["a b", "c d", "a b"])
    second = cached.embed(["c d", "e f"])
    cached.close()
    again = CachedEmbedder(Counting(), tmp_path / "cache.sqlite")  # survives restarts
    third = again.embed(["a b", "e f"])

    assert calls == [2, 1]
    assert np.allclose(first[0], first[2]) and np.allclose(first[1], second[0])
    assert np.allclose(third[0], first[0]) and (again.hits, again.misses) == (2, 0)
