"""The ProductStore contract, run on every implementation (SQLite and MongoDB)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from core.allergens import Allergen, AllergenInfo
from core.domain import ExecutionStatus, ScrapeError
from storage.base import ProductStore
from tests.factories import day, make_price, make_product


async def _run(store: ProductStore) -> str:
    return (await store.start_execution("import:test", "import")).id


async def test_new_products_round_trip_with_every_field(store: ProductStore) -> None:
    run = await _run(store)
    product = make_product(
        allergens=AllergenInfo(
            contains=frozenset({Allergen.MILK}),
            traces=frozenset({Allergen.SOY}),
            declared=True,
            source_text="Contiene leche. Puede contener soja.",
        )
    )
    counts = await store.upsert_products(run, [product, make_product(chain_product_id="2")])

    assert (counts.seen, counts.new, counts.updated, counts.unchanged) == (2, 2, 0, 0)
    assert await store.get_product(product.id) == product
    assert await store.get_product("mercadona:missing") is None
    history = await store.price_history(product.id)
    assert [(h.price, h.observed_at) for h in history] == [(Decimal("8.95"), day("2026-11-01"))]


async def test_same_content_again_adds_no_version_and_no_observation(store: ProductStore) -> None:
    run = await _run(store)
    await store.upsert_products(run, [make_product()])
    later = make_product(observed_at=day("2026-11-08"))

    counts = await store.upsert_products(run, [later])

    assert (counts.new, counts.updated, counts.unchanged, counts.price_changes) == (0, 0, 1, 0)
    assert len(await store.price_history(later.id)) == 1
    stored = await store.get_product(later.id)
    assert stored is not None and stored.observed_at == day("2026-11-08")  # "precio a fecha de"
    assert await store.changed_since(day("2026-11-05")) == []


async def test_price_change_adds_exactly_one_observation(store: ProductStore) -> None:
    run = await _run(store)
    await store.upsert_products(run, [make_product()])

    counts = await store.upsert_products(
        run, [make_product(price=Decimal("9.45"), observed_at=day("2026-11-08"))]
    )

    assert (counts.updated, counts.price_changes) == (1, 1)
    history = await store.price_history("mercadona:4241")
    assert [h.price for h in history] == [Decimal("8.95"), Decimal("9.45")]
    assert [p.id for p in await store.changed_since(day("2026-11-05"))] == ["mercadona:4241"]
    execution = await store.get_execution(run)
    assert execution is not None
    assert (execution.counts.new, execution.counts.updated, execution.counts.price_changes) == (
        1,
        1,
        1,
    )


async def test_history_keeps_only_real_changes_whatever_the_arrival_order(
    store: ProductStore,
) -> None:
    run = await _run(store)
    await store.upsert_products(run, [make_product(observed_at=day("2026-11-15"))])
    # Older prices arrive later (a history import): they go into the past, not the present.
    await store.add_price_observations(
        run,
        [
            make_price("mercadona:4241", "8.50", "2026-11-01"),
            make_price("mercadona:4241", "8.50", "2026-11-05"),  # same price: no new point
            make_price("mercadona:4241", "8.95", "2026-11-10"),
            make_price("mercadona:4241", "8.95", "2026-11-12"),
            make_price("unknown:1", "1.00", "2026-11-12"),  # unknown product: ignored
        ],
    )

    history = await store.price_history("mercadona:4241")
    assert [(h.price, h.observed_at.day) for h in history] == [
        (Decimal("8.50"), 1),
        (Decimal("8.95"), 10),
    ]
    current = await store.get_product("mercadona:4241")
    assert current is not None and current.price == Decimal("8.95")


async def test_newer_dated_price_updates_the_current_product(store: ProductStore) -> None:
    run = await _run(store)
    await store.upsert_products(run, [make_product()])

    counts = await store.add_price_observations(
        run, [make_price("mercadona:4241", "9.85", "2026-11-20")]
    )

    current = await store.get_product("mercadona:4241")
    assert current is not None
    assert (current.price, current.observed_at) == (Decimal("9.85"), day("2026-11-20"))
    assert current.reference_price == Decimal("9.85")  # rescaled with the package price
    assert (counts.updated, counts.price_changes) == (1, 1)


async def test_price_going_back_is_a_change_and_correction_of_same_instant_replaces(
    store: ProductStore,
) -> None:
    run = await _run(store)
    for price, at in (("8.95", "2026-11-01"), ("9.45", "2026-11-08"), ("8.95", "2026-11-15")):
        await store.upsert_products(run, [make_product(price=Decimal(price), observed_at=day(at))])
    assert [h.price for h in await store.price_history("mercadona:4241")] == [
        Decimal("8.95"),
        Decimal("9.45"),
        Decimal("8.95"),
    ]
    # The source corrects the 8 Nov price to what it was before: that change never happened.
    await store.add_price_observations(run, [make_price("mercadona:4241", "8.95", "2026-11-08")])
    assert [h.price for h in await store.price_history("mercadona:4241")] == [Decimal("8.95")]


async def test_executions_are_recorded_finished_and_interrupted(store: ProductStore) -> None:
    first = await store.start_execution("scrape:dia", "scrape", note="trial")
    await store.upsert_products(first.id, [make_product(chain="dia")])
    finished = await store.finish_execution(first.id, ExecutionStatus.COMPLETED)
    assert finished.status is ExecutionStatus.COMPLETED and finished.finished_at is not None
    assert finished.counts.new == 1 and finished.note == "trial"

    stale = await store.start_execution("scrape:dia", "scrape")
    other = await store.start_execution("scrape:consum", "scrape")
    assert await store.interrupt_stale_executions("scrape:dia") == 1
    stale_now = await store.get_execution(stale.id)
    other_now = await store.get_execution(other.id)
    assert stale_now is not None and stale_now.status is ExecutionStatus.INTERRUPTED
    assert other_now is not None and other_now.status is ExecutionStatus.RUNNING

    listed = await store.list_executions(limit=10)
    assert [e.id for e in listed] == [other.id, stale.id, first.id]
    assert [e.id for e in await store.list_executions(source="scrape:consum")] == [other.id]

    await store.record_execution(finished.model_copy(update={"note": "restored"}))
    restored = await store.get_execution(first.id)
    assert restored is not None and restored.note == "restored" and restored.counts.new == 1


async def test_errors_are_kept_per_execution_and_chain(store: ProductStore) -> None:
    run = await _run(store)
    errors = [
        ScrapeError(
            execution_id=run,
            chain="dia",
            reason="missing_price",
            message="no price",
            url="https://dia.example/p/1",
            field="price",
            excerpt="{}",
        ),
        ScrapeError(execution_id=run, chain="consum", reason="malformed_json", message="bad"),
    ]
    await store.record_errors(run, errors)

    assert [e.reason for e in await store.list_errors(execution_id=run)] == [
        "missing_price",
        "malformed_json",
    ]
    only_dia = await store.list_errors(chain="dia")
    assert len(only_dia) == 1 and only_dia[0].url == "https://dia.example/p/1"
    execution = await store.get_execution(run)
    assert execution is not None and execution.counts.errors == 2


async def test_lookups_by_ean_chain_and_category(store: ProductStore) -> None:
    run = await _run(store)
    await store.upsert_products(
        run,
        [
            make_product(),
            make_product(chain="dia", chain_product_id="77", price=Decimal("8.49")),
            make_product(
                chain="dia",
                chain_product_id="78",
                ean="8410000000001",
                name="Galletas María",
                category_path=("Galletas", "María"),
            ),
        ],
    )

    assert sorted(p.id for p in await store.find_by_ean("8480000042411")) == [
        "dia:77",
        "mercadona:4241",
    ]
    assert await store.count_products() == 3
    assert await store.count_products(chain="dia") == 2
    oils = await store.list_products(category_prefix=["Aceite, especias y salsas"])
    assert sorted(p.id for p in oils) == ["dia:77", "mercadona:4241"]
    assert await store.list_products(category_prefix=["Aceite"]) == []  # whole levels only
    page = await store.list_products(chain="dia", limit=1, offset=1)
    assert len(page) == 1
    categories = {(c.chain, c.path): c.products for c in await store.categories()}
    assert categories[("dia", ("Galletas", "María"))] == 1


async def test_search_is_accent_and_plural_insensitive(store: ProductStore) -> None:
    run = await _run(store)
    await store.upsert_products(
        run,
        [
            make_product(),
            make_product(
                chain_product_id="2",
                name="Plátano de Canarias",
                brand=None,
                category_path=("Fruta",),
                ingredients=None,
            ),
            make_product(
                chain="dia",
                chain_product_id="3",
                name="Galleta María sin gluten",
                brand="Gullón",
                ingredients="Almidón de maíz, azúcar",
                category_path=("Galletas",),
            ),
        ],
    )

    assert [p.name for p in await store.search("platano")] == ["Plátano de Canarias"]
    assert [p.id for p in await store.search("GALLETAS")] == ["dia:3"]
    assert [p.id for p in await store.search("gullon")] == ["dia:3"]
    assert [p.id for p in await store.search("almidon maiz")] == ["dia:3"]
    assert [p.id for p in await store.search("aceite de oliva")] == ["mercadona:4241"]
    assert await store.search("aceite", chain="dia") == []
    assert await store.search("xylofono") == []
    # No product has both words: fall back to products with any of them.
    assert {p.id for p in await store.search("platano gullon")} == {"mercadona:2", "dia:3"}


async def test_stats_count_products_and_price_changes_per_chain(store: ProductStore) -> None:
    run = await _run(store)
    await store.upsert_products(run, [make_product(), make_product(chain="dia")])
    await store.upsert_products(
        run, [make_product(price=Decimal("9.10"), observed_at=day("2026-11-09"))]
    )

    stats = {s.chain: s for s in await store.stats()}
    assert (stats["mercadona"].products, stats["mercadona"].price_observations) == (1, 2)
    assert stats["mercadona"].products_with_price_changes == 1
    assert stats["dia"].products_with_price_changes == 0
    assert stats["mercadona"].last_observed_at == day("2026-11-09")


async def test_abort_requests_reach_running_executions_only(store: ProductStore) -> None:
    running = await store.start_execution("dia", "scrape")
    other = await store.start_execution("consum", "scrape")
    done = await store.start_execution("dia", "scrape")
    await store.finish_execution(done.id, ExecutionStatus.COMPLETED)

    assert await store.request_abort("dia") == 1
    assert await store.abort_requested(running.id)
    assert not await store.abort_requested(other.id)
    assert not await store.abort_requested(done.id)
    assert await store.request_abort() == 2  # no source: every running execution
    assert await store.abort_requested(other.id)


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


async def test_price_changes_since_a_date_pair_each_price_with_the_one_before(
    store: ProductStore,
) -> None:
    run = await _run(store)
    await store.upsert_products(
        run, [make_product(), make_product(chain_product_id="2", price=Decimal("2.00"))]
    )
    await store.add_price_observations(
        run,
        [
            make_price("mercadona:4241", "9.45", "2026-11-08"),  # before the window
            make_price("mercadona:4241", "9.95", "2026-11-15"),
            make_price("mercadona:2", "1.50", "2026-11-16"),
        ],
    )
    changes = await store.price_changes(day("2026-11-10"))
    assert [(c.product_id, c.before, c.after, c.at) for c in changes] == [
        ("mercadona:2", Decimal("2.00"), Decimal("1.50"), day("2026-11-16")),
        ("mercadona:4241", Decimal("9.45"), Decimal("9.95"), day("2026-11-15")),
    ]
    everything = await store.price_changes(day("2026-10-01"))
    assert [(c.before, c.after) for c in everything] == [
        (Decimal("2.00"), Decimal("1.50")),
        (Decimal("9.45"), Decimal("9.95")),
        (Decimal("8.95"), Decimal("9.45")),
    ]  # the first prices (1 November) are not changes
