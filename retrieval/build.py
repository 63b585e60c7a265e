"""Building the search index from the store: passages, embeddings (cached by text, so a
refresh embeds only what changed), FAISS vectors and the product snapshot, written as a new
version and swapped in atomically (`supersmart index`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.domain import Product
from core.settings import Settings
from retrieval.contents import Contents, Piece, new_pieces, old_pieces, reusable
from retrieval.embedder import CachedEmbedder, Embedder, create_embedder
from retrieval.index import Manifest, current_version, read_vectors, write_version
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
    """A new version from the store. Products whose content is unchanged since the version in
    service keep its passages and vectors (a refresh reads, cuts and embeds only what changed);
    any other product is read and cut again, its texts embedded unless the cache has them."""
    started = time.perf_counter()
    config = settings.retrieval
    cached = CachedEmbedder(
        embedder or create_embedder(config), settings.index_path / "embeddings.sqlite"
    )
    try:
        fields: dict[str, Any] = {
            "embedder": cached.name,
            "dimension": cached.dimension,
            "metric": config.metric,
            "store_state": await store_state(store),
            "settings": config.model_dump(mode="json"),
        }
        hashes = await store.content_hashes()
        pieces = await asyncio.to_thread(_unchanged, settings.index_path, fields, hashes)
        fresh = await _read(store, [pid for pid in hashes if pid not in pieces])
        passages = [
            passage
            for product in fresh
            for passage in passages_for(product, config.chunk_chars, config.chunk_overlap)
        ]
        parts = []
        for start in range(0, len(passages), EMBED_BATCH):
            texts = [p.text for p in passages[start : start + EMBED_BATCH]]
            parts.append(await asyncio.to_thread(cached.embed, texts))
            if on_progress:
                on_progress(min(start + EMBED_BATCH, len(passages)), len(passages))
        if parts:
            fields["dimension"] = int(parts[0].shape[1])
        vectors = np.concatenate(parts) if parts else np.zeros((0, fields["dimension"]), np.float32)
        pieces.update(new_pieces(fresh, passages, vectors))
        contents = Contents.assemble(pieces, hashes, fields["dimension"])
        manifest = await asyncio.to_thread(
            write_version, settings.index_path, fields, contents, config.keep_versions
        )
        reused = cached.hits + len(contents.passage_lines) - len(passages)
        return BuildReport(manifest, cached.misses, reused, time.perf_counter() - started)
    finally:
        cached.close()


def _unchanged(root: Path, fields: dict[str, Any], hashes: dict[str, str]) -> dict[str, Piece]:
    """What the version in service holds of the products whose content hash is unchanged."""
    version = current_version(root)
    pairs = reusable(root / version, fields) if version else None
    if not version or pairs is None:
        return {}
    same = {pid for pid, digest in pairs if digest and hashes.get(pid) == digest}
    if not same:
        return {}
    return old_pieces(root / version, pairs, same, read_vectors(root, version))


async def _read(store: CatalogueReader, ids: list[str]) -> list[Product]:
    """These products by primary key, a page at a time (no sort of the whole catalogue)."""
    products: list[Product] = []
    for start in range(0, len(ids), PAGE):
        found = await store.get_products(ids[start : start + PAGE])
        products.extend(found.values())
    return products
