"""The index on disk: atomic swaps under concurrent readers, and no loading with another model."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from core.errors import ConfigurationError, NotFoundError
from core.settings import Settings
from retrieval.build import build_index
from retrieval.embedder import HashEmbedder
from retrieval.index import LoadedIndex
from retrieval.retriever import Retriever
from storage.sqlite.store import SqliteProductStore
from tests.factories import day, make_product


async def test_readers_never_see_a_half_written_index_during_rebuilds(
    settings: Settings, sample_store: SqliteProductStore
) -> None:
    """Each rebuild adds a product, so versions differ: a reader mixing two would find a
    passage count, a vector count or a passage list that disagree. A retriever that stays up
    serves each new version, new product included, without a restart."""
    embedder = HashEmbedder()
    first = await build_index(sample_store, settings, embedder)
    live = Retriever(settings.index_path, embedder, settings.retrieval, sample_store)
    failures: list[BaseException] = []
    loads = 0
    stop = threading.Event()

    def read() -> None:
        nonlocal loads
        probe = embedder.embed(["aceite de oliva"])
        while not stop.is_set():
            try:
                index = LoadedIndex.load(settings.index_path, embedder.name, "cosine")
                _, ids = index.faiss_index.search(probe, 5)
                assert len(index.passages) == index.manifest.passages
                assert index.faiss_index.ntotal == len(index.passages)
                assert all(0 <= i < len(index.passages) for i in ids[0])
                loads += 1
                stop.wait(0.02)
            except BaseException as exc:  # any failure at all is what this test looks for
                failures.append(exc)

    readers = [threading.Thread(target=read) for _ in range(2)]
    for thread in readers:
        thread.start()
    run = (await sample_store.start_execution("import:test", "import")).id
    before = first.manifest
    for n in range(4):
        novelty = make_product(
            chain="dia", chain_product_id=f"nuevo-{n}", name=f"Turrón de Jijona número {n}",
            brand="Nuevo", category_path=("Dulces",), observed_at=day("2026-11-21"),
        )  # fmt: skip
        await sample_store.upsert_products(run, [novelty])
        built = await build_index(sample_store, settings, embedder)
        assert built.manifest.passages > before.passages  # another content, not a copy
        before = built.manifest
        found = await live.search(f"turrón de jijona número {n}", limit=3)
        assert found.index_version == built.manifest.version  # picked up while running
        assert novelty.id in [h.product.id for h in found.hits]
    stop.set()
    for thread in readers:
        thread.join()

    assert not failures and loads > 0
    versions = sorted(p.name for p in settings.index_path.glob("v-*"))
    assert (
        len(versions) == settings.retrieval.keep_versions and first.manifest.version not in versions
    )


async def test_a_refresh_embeds_only_what_changed(
    settings: Settings, sample_store: SqliteProductStore
) -> None:
    first = await build_index(sample_store, settings, HashEmbedder())
    again = await build_index(sample_store, settings, HashEmbedder())
    texts = {
        p.text for p in LoadedIndex.load(settings.index_path, "hash-3gram-256", "cosine").passages
    }
    assert first.embedded == len(texts)  # identical texts (same product in two chains) once
    assert again.embedded == 0 and again.reused == again.manifest.passages
    product = (await sample_store.list_products(limit=1))[0]
    renamed = product.model_copy(
        update={
            "name": product.name + " edición limitada",
            "observed_at": product.observed_at.replace(year=2027),
        }
    )
    execution = await sample_store.start_execution("test", "import")
    await sample_store.upsert_products(execution.id, [renamed])

    refreshed = await build_index(sample_store, settings, HashEmbedder())

    assert 1 <= refreshed.embedded <= 4  # the renamed product's passages only


async def test_an_index_refuses_another_embedder_and_says_what_to_run(
    settings: Settings, sample_store: SqliteProductStore
) -> None:
    with pytest.raises(NotFoundError, match="supersmart index"):
        LoadedIndex.load(settings.index_path, "hash-3gram-256", "cosine")
    await build_index(sample_store, settings, HashEmbedder())

    with pytest.raises(ConfigurationError, match="Run `supersmart index`"):
        LoadedIndex.load(settings.index_path, "use-multilingual-v3", "cosine")
    with pytest.raises(ConfigurationError, match="metric"):
        LoadedIndex.load(settings.index_path, "hash-3gram-256", "l2")
    index = LoadedIndex.load(settings.index_path, "hash-3gram-256", "cosine")
    assert index.faiss_index.ntotal == index.manifest.passages
    assert np.isclose(index.manifest.products, await sample_store.count_products())
