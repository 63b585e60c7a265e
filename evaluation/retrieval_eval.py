"""Retrieval variants on the question set's answerable questions: recall@5 (a right product in
the first five) and MRR, for dense / lexical / hybrid ranking, cosine vs L2, and passage chunk
sizes. Each index variant is built once into the evaluation's work folder."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.settings import Settings
from evaluation.questions import Question

VARIANTS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("hybrid, cosine, chunks 400 (default)", {}),
    ("dense, cosine", {"mode": "dense"}),
    ("lexical (BM25)", {"mode": "lexical"}),
    ("hybrid, L2", {"metric": "l2"}),
    ("hybrid, chunks 200", {"chunk_chars": 200, "chunk_overlap": 40}),
    ("hybrid, chunks 800", {"chunk_chars": 800, "chunk_overlap": 160}),
)
_INDEX_KEYS = ("metric", "chunk_chars", "chunk_overlap")


async def compare(settings: Settings, questions: Sequence[Question]) -> list[dict[str, Any]]:
    from retrieval.build import build_index
    from retrieval.embedder import create_embedder
    from retrieval.retriever import Retriever
    from storage.factory import create_store

    asked = [q for q in questions if q.gold.answerable and q.gold.product_ids]
    if not asked:
        return []
    store = create_store(settings)
    await store.initialize()
    embedder = create_embedder(settings.retrieval)
    results = []
    try:
        for name, changes in VARIANTS:
            index_changes = {k: v for k, v in changes.items() if k in _INDEX_KEYS}
            retrieval = settings.retrieval.model_copy(update=changes)
            if index_changes:
                suffix = "-".join(f"{k}{v}" for k, v in sorted(index_changes.items()))
                retrieval.index_path = settings.data_dir.parent / f"index-{suffix}"
            variant = settings.model_copy(update={"retrieval": retrieval})
            if not (variant.index_path / "CURRENT").exists():
                await build_index(store, variant, embedder)
            retriever = Retriever(variant.index_path, embedder, retrieval, store)
            found = reciprocal = 0.0
            for question in asked:
                hits = (await retriever.search(question.text, limit=5)).hits
                rank = next(
                    (i for i, h in enumerate(hits, 1) if h.product.id in question.gold.product_ids),
                    None,
                )
                if rank:
                    found += 1
                    reciprocal += 1 / rank
            results.append(
                {
                    "variant": name,
                    "recall_at_5": round(found / len(asked), 3),
                    "mrr": round(reciprocal / len(asked), 3),
                    "n": len(asked),
                }
            )
    finally:
        await store.close()
    return results
