"""Building the search index from the store: passages, embeddings (cached by text, so a
refresh embeds only what changed), FAISS vectors and the product snapshot, written as a new
version and swapped in atomically (`supersmart index`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from core.domain import Product
from core.settings import Settings
from retrieval.embedder import CachedEmbedder, Embedder, create_embedder
from retrieval.index import Manifest, write_version
from retrieval.passages import passages_for
from storage.base import CatalogueReader, ProductStore

PAGE = 5_000
EMBED_BATCH = 256


@dataclass(frozen=True)
class BuildReport:
    manifest: Manifest
    embedded: int  # texts that had to be embedded
    reused: int  # texts whose embedding came from the cache
    seconds: float


async def all_products(store: CatalogueReader) -> list[Product]:
    products: list[Product] = []
    while page := await store.list_products(limit=PAGE, offset=len(products)):
        products.extend(page)
    return products


async def store_state(store: ProductStore) -> str:
    """What the index was built from: product count and the latest execution."""
    latest = await store.list_executions(limit=1)
    return f"{await store.count_products()} products; last execution " + (
        latest[0].id if latest else "none"
    )


async def build_index(
    store: ProductStore,
    settings: Settings,
    embedder: Embedder | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> BuildReport:
    started = time.perf_counter()
    config = settings.retrieval
    inner = embedder or create_embedder(config)
    products = await all_products(store)
    passages = [
        passage
        for product in products
        for passage in passages_for(product, config.chunk_chars, config.chunk_overlap)
    ]
    cached = CachedEmbedder(inner, settings.index_path / "embeddings.sqlite")
    try:
        parts = []
        for start in range(0, len(passages), EMBED_BATCH):
            texts = [p.text for p in passages[start : start + EMBED_BATCH]]
            parts.append(await asyncio.to_thread(cached.embed, texts))
            if on_progress:
                on_progress(min(start + EMBED_BATCH, len(passages)), len(passages))
        vectors = (
            np.concatenate(parts) if parts else np.zeros((0, cached.dimension), dtype=np.float32)
        )
        manifest = await asyncio.to_thread(
            write_version,
            settings.index_path,
            {
                "embedder": cached.name,
                "dimension": cached.dimension if not parts else int(vectors.shape[1]),
                "metric": config.metric,
                "store_state": await store_state(store),
                "settings": config.model_dump(mode="json"),
            },
            passages,
            vectors,
            products,
            config.keep_versions,
        )
        return BuildReport(manifest, cached.misses, cached.hits, time.perf_counter() - started)
    finally:
        cached.close()
