"""The whole store's contract on every backend: its parts on one database, each write counted
in its execution (an interrupted run leaves counts that match what was stored)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from core.domain import ExecutionStatus, ScrapeError
from storage.base import ProductStore
from tests.factories import day, make_price, make_product


async def _run(store: ProductStore) -> str:
    return (await store.start_execution("import:test", "import")).id


async def test_every_write_is_counted_in_its_execution(store: ProductStore) -> None:
    run = await _run(store)
    await store.upsert_products(run, [make_product(), make_product(chain_product_id="2")])
    await store.upsert_products(run, [make_product(observed_at=day("2026-11-02"))])
    await store.upsert_products(
        run, [make_product(price=Decimal("9.45"), observed_at=day("2026-11-08"))]
    )
    await store.add_price_observations(run, [make_price("mercadona:2", "1.00", "2026-11-09")])
    await store.record_errors(
        run, [ScrapeError(execution_id=run, chain="mercadona", reason="x", message="y")]
    )

    finished = await store.finish_execution(run, ExecutionStatus.COMPLETED)

    counts = finished.counts
    assert (counts.seen, counts.new, counts.updated, counts.unchanged) == (4, 2, 1, 1)
    assert (counts.prices, counts.price_changes, counts.errors) == (1, 2, 1)


async def test_concurrent_writers_share_the_store_without_losing_anything(
    store: ProductStore,
) -> None:
    # The API, a scheduled scrape and an operator's abort write through one store at once:
    # every batch, execution record and error must land, none inside another's rollback.
    runs = [await _run(store) for _ in range(4)]

    async def scrape(n: int) -> None:
        products = [make_product(chain_product_id=f"{n}-{i}") for i in range(5)]
        await store.upsert_products(runs[n], products)
        await store.record_errors(
            runs[n],
            [ScrapeError(execution_id=runs[n], chain="mercadona", reason="x", message=f"run {n}")],
        )
        await store.request_abort("import:test")
        await store.finish_execution(runs[n], ExecutionStatus.COMPLETED)

    await asyncio.gather(*(scrape(n) for n in range(4)))

    assert await store.count_products() == 20
    assert len(await store.list_errors(limit=50)) == 4
    assert {e.status for e in await store.list_executions()} == {ExecutionStatus.COMPLETED}


async def test_content_hashes_change_with_the_content_not_with_the_observation(
    store: ProductStore,
) -> None:
    run = await _run(store)
    await store.upsert_products(run, [make_product(), make_product(chain_product_id="2")])
    before = await store.content_hashes()
    await store.upsert_products(run, [make_product(observed_at=day("2026-11-20"))])
    assert await store.content_hashes() == before  # seen again, nothing changed

    await store.upsert_products(
        run, [make_product(price=Decimal("9.45"), observed_at=day("2026-11-21"))]
    )

    after = await store.content_hashes()
    assert set(after) == set(before) == {"mercadona:4241", "mercadona:2"}
    assert after["mercadona:4241"] != before["mercadona:4241"]
    assert after["mercadona:2"] == before["mercadona:2"]
