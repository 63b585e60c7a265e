"""Scraping the local test shop end to end: products, faults, aborts, increments."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import pytest

from core.domain import ExecutionStatus, Product
from core.errors import RunInProgressError
from core.settings import ScrapeSettings
from ingestion.runner import ChainRun
from ingestion.scrape_job import ScrapeJob
from ingestion.scrapers.dia import DiaScraper
from ingestion.testshop import TestShop
from storage.sqlite.store import SqliteProductStore

JSON_CHAINS = ["mercadona", "dia", "consum", "alcampo", "carrefour"]
MakeJob = Callable[..., ScrapeJob]


async def _scrape(
    make_job: MakeJob, shop: TestShop, chains: list[str], **kw: object
) -> list[ChainRun]:
    async with make_job(**kw) as job:
        return await job.run(chains, {c: shop.url(c) for c in chains})


@pytest.mark.parametrize("chain", JSON_CHAINS)
async def test_every_adapter_stores_the_shop_products(
    chain: str, make_job: MakeJob, shop: TestShop, store: SqliteProductStore
) -> None:
    [run] = await _scrape(make_job, shop, [chain])

    expected = {p.id: p for p in shop.state.shelf(chain)}
    stored = {p.id: p for p in await store.list_products(chain=chain)}
    assert run.execution.status is ExecutionStatus.COMPLETED
    assert set(stored) == set(expected)
    assert run.execution.counts.new == len(expected) == run.products
    for product_id, product in stored.items():
        assert product.price == expected[product_id].price
        assert product.reference_price == expected[product_id].reference_price
        assert product.category_path  # every adapter reads a category
    if chain != "consum":  # Consum's catalogue carries no allergen data
        with_allergens = [p for p in stored.values() if p.allergens.contains]
        assert with_allergens and all(
            p.allergens.contains == expected[p.id].allergens.contains for p in with_allergens
        )


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("missing_price", "missing_field"),
        ("renamed_field", "missing_field"),
        ("malformed_json", "malformed_json"),
        ("no_product_block", "missing_field"),
        ("server_error", "http_500"),
        ("hang", "timeout"),
    ],
)
async def test_each_injected_fault_becomes_a_scrape_error_and_the_run_goes_on(
    fault: str, reason: str, make_job: MakeJob, shop: TestShop, store: SqliteProductStore
) -> None:
    victim = shop.state.shelf("dia")[3].chain_product_id
    shop.state.set_fault("dia", victim, fault)

    [run] = await _scrape(make_job, shop, ["dia"])

    errors = await store.list_errors(execution_id=run.execution.id)
    assert [e.reason for e in errors] == [reason]
    assert victim in (errors[0].url or "")
    assert await store.count_products("dia") == len(shop.state.shelf("dia")) - 1
    assert run.execution.counts.errors == 1
    assert run.execution.counts.new == await store.count_products("dia")


async def test_a_carrefour_page_without_its_product_block(
    make_job: MakeJob, shop: TestShop, store: SqliteProductStore
) -> None:
    victim = shop.state.shelf("carrefour")[0].chain_product_id
    shop.state.set_fault("carrefour", victim, "no_product_block")

    [run] = await _scrape(make_job, shop, ["carrefour"])

    [error] = await store.list_errors(execution_id=run.execution.id)
    assert error.reason == "no_product_block" and error.field == "window.__INITIAL_STATE__"
    assert error.excerpt and "<html" in error.excerpt


async def test_rate_limits_and_passing_errors_are_retried_not_recorded(
    make_job: MakeJob, shop: TestShop, store: SqliteProductStore
) -> None:
    products = shop.state.shelf("mercadona")
    shop.state.set_fault("mercadona", products[0].chain_product_id, "rate_limit", times=1)
    shop.state.set_fault("mercadona", products[1].chain_product_id, "server_error", times=2)
    shop.state.set_fault("mercadona", "listing", "server_error", times=1)

    [run] = await _scrape(make_job, shop, ["mercadona"])

    assert run.execution.status is ExecutionStatus.COMPLETED
    assert await store.list_errors(execution_id=run.execution.id) == []
    assert await store.count_products("mercadona") == len(products)


async def test_retry_after_and_the_backoff_are_waited_out_as_the_shop_sees_it(
    make_job: MakeJob, shop: TestShop, scrape_settings: ScrapeSettings
) -> None:
    throttled, failing = (p.chain_product_id for p in shop.state.shelf("mercadona")[:2])
    shop.state.set_fault("mercadona", throttled, "rate_limit", times=1)  # Retry-After: 1
    shop.state.set_fault("mercadona", failing, "server_error", times=2)
    patient = scrape_settings.model_copy(update={"backoff_s": 0.2, "max_wait_s": 5})

    [run] = await _scrape(make_job, shop, ["mercadona"], scrape=patient)

    assert run.execution.status is ExecutionStatus.COMPLETED

    def gaps(product_id: str) -> list[float]:
        times = [at for at, path in shop.state.log if product_id in path.split("/")]
        return [later - earlier for earlier, later in itertools.pairwise(times)]

    [waited] = gaps(throttled)
    assert waited >= 1.0  # the shop's Retry-After, not the 0.2 s backoff
    first, second = gaps(failing)
    assert first >= 0.2 and second >= 0.4  # backoff doubles between attempts


async def test_an_unreadable_listing_fails_the_chain_with_a_record(
    make_job: MakeJob, shop: TestShop, store: SqliteProductStore
) -> None:
    shop.state.set_fault("alcampo", "listing", "server_error")

    runs = await _scrape(make_job, shop, ["alcampo", "dia"])

    assert [r.execution.status for r in runs] == [ExecutionStatus.FAILED, ExecutionStatus.COMPLETED]
    [error] = await store.list_errors(execution_id=runs[0].execution.id)
    assert error.reason == "http_500" and "product-pages" in (error.url or "")


async def test_many_errors_mark_the_run_degraded(
    make_job: MakeJob, shop: TestShop, store: SqliteProductStore
) -> None:
    for product in shop.state.shelf("consum")[:4]:
        shop.state.set_fault("consum", product.chain_product_id, "missing_price")

    [run] = await _scrape(make_job, shop, ["consum"])

    assert run.execution.status is ExecutionStatus.DEGRADED
    assert run.alerts and "site may have changed" in run.alerts[0]


async def test_rescraping_unchanged_data_adds_nothing_and_one_price_change_adds_one_observation(
    make_job: MakeJob, shop: TestShop, store: SqliteProductStore
) -> None:
    await _scrape(make_job, shop, ["mercadona"])
    [again] = await _scrape(make_job, shop, ["mercadona"])
    counts = again.execution.counts
    assert (counts.new, counts.updated, counts.price_changes) == (0, 0, 0)

    product = shop.state.shelf("mercadona")[2]
    shop.state.set_price("mercadona", product.chain_product_id, product.price + Decimal("0.30"))
    [changed] = await _scrape(make_job, shop, ["mercadona"])

    assert (changed.execution.counts.updated, changed.execution.counts.price_changes) == (1, 1)
    history = await store.price_history(product.id)
    assert [h.price for h in history] == [product.price, product.price + Decimal("0.30")]
    others = [p for p in shop.state.shelf("mercadona") if p.id != product.id]
    assert [len(await store.price_history(p.id)) for p in others] == [1] * len(others)


async def test_abort_midway_keeps_what_was_reported_then_the_next_run_finishes(
    make_job: MakeJob,
    shop: TestShop,
    store: SqliteProductStore,
    scrape_settings: ScrapeSettings,
) -> None:
    shop.state.latency_s = 0.02
    chains = ["dia", "mercadona"]  # scraped side by side
    reported: dict[str, list[int]] = {chain: [] for chain in chains}
    job_box: list[ScrapeJob] = []

    def on_progress(run: ChainRun) -> None:
        reported[run.chain].append(run.products)
        if all(counts and counts[-1] >= 3 for counts in reported.values()):
            job_box[0].abort()  # both chains midway

    settings = scrape_settings.model_copy(update={"concurrency": 2, "batch_size": 1})
    async with make_job(settings, on_progress=on_progress) as job:
        job_box.append(job)
        runs = await job.run(chains, {c: shop.url(c) for c in chains})

    assert [r.chain for r in runs] == chains
    stored = {chain: await store.count_products(chain) for chain in chains}
    for run in runs:  # every chain closed, everything reported stored, in flight included
        assert run.execution.status is ExecutionStatus.ABORTED
        assert reported[run.chain][-1] <= stored[run.chain] < len(shop.state.shelf(run.chain))
        assert run.execution.counts.new == stored[run.chain] == run.products
    assert ExecutionStatus.RUNNING not in {e.status for e in await store.list_executions()}

    reruns = await _scrape(make_job, shop, chains)
    for rerun in reruns:
        total = len(shop.state.shelf(rerun.chain))
        assert rerun.execution.status is ExecutionStatus.COMPLETED
        assert await store.count_products(rerun.chain) == total
        assert rerun.execution.counts.new == total - stored[rerun.chain]


async def test_an_abort_requested_from_another_process_stops_the_run(
    make_job: MakeJob,
    shop: TestShop,
    store: SqliteProductStore,
) -> None:
    shop.state.latency_s = 0.05

    async def ask_to_stop() -> None:
        while not await store.request_abort("dia"):
            await asyncio.sleep(0.01)

    asker = asyncio.create_task(ask_to_stop())
    [run] = await _scrape(make_job, shop, ["dia"])
    await asker

    assert run.execution.status is ExecutionStatus.ABORTED
    assert await store.count_products("dia") < len(shop.state.shelf("dia"))


async def test_only_one_scrape_runs_at_a_time(make_job: MakeJob) -> None:
    async with make_job():
        with pytest.raises(RunInProgressError, match=r"already running .*pid"):
            async with make_job():
                pass


async def test_robots_txt_is_honoured(
    make_job: MakeJob, shop: TestShop, store: SqliteProductStore
) -> None:
    url = f"http://127.0.0.1:{shop.port}/private/dia"
    async with make_job() as job:
        [run] = await job.run(["dia"], {"dia": url})

    [error] = await store.list_errors(execution_id=run.execution.id)
    assert error.reason == "robots_disallowed" and "robots.txt" in error.message
    assert run.execution.status is ExecutionStatus.FAILED


async def test_product_cap_for_trial_runs(
    make_job: MakeJob,
    shop: TestShop,
    store: SqliteProductStore,
    scrape_settings: ScrapeSettings,
) -> None:
    capped = scrape_settings.model_copy(update={"max_products": 4})
    [run] = await _scrape(make_job, shop, ["alcampo"], scrape=capped)
    assert run.execution.status is ExecutionStatus.COMPLETED
    assert await store.count_products("alcampo") == 4


async def test_requests_stay_within_the_per_host_cap_and_say_who_we_are(
    make_job: MakeJob, shop: TestShop, scrape_settings: ScrapeSettings
) -> None:
    shop.state.latency_s = 0.05
    polite = scrape_settings.model_copy(update={"concurrency": 2})

    await _scrape(make_job, shop, ["mercadona"], scrape=polite)

    assert shop.state.max_in_flight == 2  # concurrent, never beyond the cap
    assert shop.state.user_agents == {polite.user_agent}
    assert "SuperSmartBot" in polite.user_agent


async def test_the_delay_spaces_requests_to_a_host(
    make_job: MakeJob, shop: TestShop, scrape_settings: ScrapeSettings
) -> None:
    import time

    paced = scrape_settings.model_copy(update={"delay_s": 0.05, "concurrency": 4})
    started = time.monotonic()
    await _scrape(make_job, shop, ["alcampo"], scrape=paced)
    requests = sum(n for path, n in shop.state.requests.items() if path.startswith("/alcampo"))

    assert time.monotonic() - started >= 0.05 * (requests - 1)


class _BuggyDia(DiaScraper):
    """An adapter with a bug that one product's page trips (not a site change it knows)."""

    victim = ""

    def parse(self, payload: object, observed_at: datetime) -> list[Product]:
        products = super().parse(payload, observed_at)
        if products and products[0].chain_product_id == self.victim:
            raise AttributeError("'str' object has no attribute 'get'")
        return products


async def test_an_adapter_bug_on_one_product_is_that_products_error_and_the_run_goes_on(
    make_job: MakeJob, shop: TestShop, store: SqliteProductStore
) -> None:
    _BuggyDia.victim = shop.state.shelf("dia")[2].chain_product_id
    async with make_job() as job:
        [run] = await job.runner.run([_BuggyDia(shop.url("dia"))])

    assert run.execution.status is ExecutionStatus.COMPLETED
    [error] = await store.list_errors(execution_id=run.execution.id)
    assert error.reason == "adapter_error" and "AttributeError" in error.message
    assert _BuggyDia.victim in (error.url or "")
    assert await store.count_products("dia") == len(shop.state.shelf("dia")) - 1
