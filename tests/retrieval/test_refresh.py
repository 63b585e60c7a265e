"""An index refresh reuses what did not change and gives the same index a full build would."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from core.domain import Product
from core.settings import Settings
from retrieval.build import build_index
from retrieval.embedder import HashEmbedder
from retrieval.index import LoadedIndex, current_version, read_vectors
from retrieval.passages import passages_for
from retrieval.retriever import Retriever
from storage.sqlite.store import SqliteProductStore
from tests.factories import day, make_product


class ReadCountingStore(SqliteProductStore):
    """A real SQLite store that records which products a build reads."""

    read: list[str]

    async def get_products(self, product_ids: Sequence[str]) -> dict[str, Product]:
        self.read.extend(product_ids)
        return await super().get_products(product_ids)


@pytest.fixture
async def store(
    settings: Settings, sample_store: SqliteProductStore
) -> AsyncIterator[ReadCountingStore]:
    """The sample catalogue's store, counting reads."""
    counting = ReadCountingStore(settings.sqlite_path)
    counting.read = []
    await counting.initialize()
    yield counting
    await counting.close()


def _files(root: Path) -> tuple[list[str], list[str], list[list[str]], np.ndarray]:
    version = current_version(root)
    assert version is not None
    folder = root / version
    return (
        (folder / "products.jsonl").read_text(encoding="utf-8").splitlines(),
        (folder / "passages.jsonl").read_text(encoding="utf-8").splitlines(),
        json.loads((folder / "hashes.json").read_text(encoding="utf-8")),
        read_vectors(root, version),
    )


async def _change(store: SqliteProductStore) -> tuple[Product, Product, Product]:
    """One product cheaper, one renamed, one new."""
    first, second = await store.list_products(limit=2)
    cheaper = first.model_copy(update={"price": Decimal("0.05"), "observed_at": day("2026-11-30")})
    renamed = second.model_copy(update={"name": second.name + " edición limitada"})
    new = make_product(
        chain="dia", chain_product_id="nuevo-1", name="Turrón de Jijona artesano",
        brand="Nuevo", category_path=("Dulces",), observed_at=day("2026-11-30"),
    )  # fmt: skip
    execution = await store.start_execution("test", "import")
    await store.upsert_products(execution.id, [cheaper, renamed, new])
    return cheaper, renamed, new


async def test_a_refresh_gives_the_index_a_full_build_gives(
    settings: Settings, sample_store: SqliteProductStore, tmp_path: Path
) -> None:
    await build_index(sample_store, settings, HashEmbedder())
    cheaper, renamed, new = await _change(sample_store)

    await build_index(sample_store, settings, HashEmbedder())
    full = settings.model_copy(update={"data_dir": tmp_path / "full"})
    await build_index(sample_store, full, HashEmbedder())

    refreshed, rebuilt = _files(settings.index_path), _files(full.index_path)
    assert refreshed[:3] == rebuilt[:3]  # snapshot, passages and hashes line for line
    assert np.allclose(refreshed[3], rebuilt[3])
    index = LoadedIndex.load(settings.index_path, "hash-3gram-256", "cosine")
    assert index.products[cheaper.id].price == Decimal("0.05")  # the filters see the new price
    assert index.products[renamed.id].name == renamed.name
    retriever = Retriever(settings.index_path, HashEmbedder(), settings.retrieval, sample_store)
    found = await retriever.search("turrón de jijona artesano", limit=3)
    assert found.hits[0].product.id == new.id
    found = await retriever.search(renamed.name, limit=3)
    assert renamed.id in [hit.product.id for hit in found.hits]


async def test_a_refresh_reads_only_the_products_that_changed(
    settings: Settings, store: ReadCountingStore
) -> None:
    await build_index(store, settings, HashEmbedder())
    assert len(store.read) == await store.count_products()  # the first build reads all
    store.read.clear()
    again = await build_index(store, settings, HashEmbedder())
    assert store.read == [] and again.embedded == 0

    cheaper, renamed, new = await _change(store)
    store.read.clear()
    refreshed = await build_index(store, settings, HashEmbedder())

    assert sorted(store.read) == sorted([cheaper.id, renamed.id, new.id])
    texts = {p.text for product in (renamed, new) for p in passages_for(product)}
    assert refreshed.embedded == len(texts)  # the price alone changes no text
    assert refreshed.manifest.products == await store.count_products()


async def test_other_settings_or_an_older_version_reuse_nothing(
    settings: Settings, store: ReadCountingStore
) -> None:
    first = await build_index(store, settings, HashEmbedder())
    store.read.clear()
    settings.retrieval.chunk_chars = 120  # passages are cut otherwise now
    rebuilt = await build_index(store, settings, HashEmbedder())
    assert len(store.read) == await store.count_products()
    assert rebuilt.manifest.passages > first.manifest.passages

    version = current_version(settings.index_path)
    assert version is not None
    (settings.index_path / version / "hashes.json").unlink()  # as versions built before
    store.read.clear()
    await build_index(store, settings, HashEmbedder())
    assert len(store.read) == await store.count_products()
