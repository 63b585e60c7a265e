"""Chains scraped side by side against the test shop: each site keeps its politeness cap as the
site sees it, different sites are served at the same time, and each chain keeps its own record."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest

from core.domain import ExecutionStatus
from core.settings import ScrapeSettings
from ingestion.runner import ChainRun
from ingestion.scrape_job import ScrapeJob
from ingestion.testshop import ShopState, TestShop
from storage.sqlite.store import SqliteProductStore

JSON_CHAINS = ["mercadona", "dia", "consum", "alcampo"]
MakeJob = Callable[..., ScrapeJob]


@pytest.fixture
def own_hosts() -> Iterator[TestShop]:
    """The shop with each chain on its own host (its own port), as the real sites are."""
    state = ShopState(products_per_chain=12)
    state.latency_s = 0.05  # requests overlap long enough for the shop to see it
    with TestShop(state, host_per_chain=True) as running:
        yield running


async def _scrape(
    make_job: MakeJob, shop: TestShop, chains: list[str], settings: ScrapeSettings
) -> list[ChainRun]:
    async with make_job(settings) as job:
        return await job.run(chains, {c: shop.url(c) for c in chains})


async def test_chains_on_their_own_hosts_are_served_at_once_each_within_its_cap(
    make_job: MakeJob,
    own_hosts: TestShop,
    store: SqliteProductStore,
    scrape_settings: ScrapeSettings,
) -> None:
    polite = scrape_settings.model_copy(update={"concurrency": 2})

    runs = await _scrape(make_job, own_hosts, JSON_CHAINS, polite)

    state = own_hosts.state
    hosts = {urlsplit(own_hosts.url(chain)).netloc for chain in JSON_CHAINS}
    assert len(hosts) == len(JSON_CHAINS)
    assert set(state.max_in_flight_by_host) == hosts
    assert max(state.max_in_flight_by_host.values()) == 2  # concurrent, never beyond the cap
    assert state.max_hosts_busy == len(JSON_CHAINS)  # every site served at the same time
    assert [r.chain for r in runs] == JSON_CHAINS
    for run in runs:
        assert run.execution.status is ExecutionStatus.COMPLETED
        assert await store.count_products(run.chain) == len(state.shelf(run.chain))


async def test_chains_on_one_host_share_its_cap(
    make_job: MakeJob, shop: TestShop, scrape_settings: ScrapeSettings
) -> None:
    shop.state.latency_s = 0.05
    polite = scrape_settings.model_copy(update={"concurrency": 2})

    runs = await _scrape(make_job, shop, ["mercadona", "dia", "alcampo"], polite)

    assert all(r.execution.status is ExecutionStatus.COMPLETED for r in runs)
    assert shop.state.max_in_flight == 2  # three chains, one site: its cap, not three times it
    assert list(shop.state.max_in_flight_by_host.values()) == [2]


async def test_chains_scraped_together_keep_their_own_errors_and_verdicts(
    make_job: MakeJob,
    own_hosts: TestShop,
    store: SqliteProductStore,
    scrape_settings: ScrapeSettings,
) -> None:
    state = own_hosts.state
    state.latency_s = 0.01
    broken = state.shelf("mercadona")[0].chain_product_id
    state.set_fault("mercadona", broken, "missing_price")  # one error: still completed
    state.set_fault("dia", "listing", "server_error")  # the listing fails: failed
    for product in state.shelf("consum")[:4]:  # 4 of 12: degraded
        state.set_fault("consum", product.chain_product_id, "missing_price")

    runs = await _scrape(make_job, own_hosts, JSON_CHAINS, scrape_settings)

    assert {r.chain: r.execution.status for r in runs} == {
        "mercadona": ExecutionStatus.COMPLETED,
        "dia": ExecutionStatus.FAILED,
        "consum": ExecutionStatus.DEGRADED,
        "alcampo": ExecutionStatus.COMPLETED,
    }
    errors = {r.chain: await store.list_errors(execution_id=r.execution.id) for r in runs}
    assert {chain: len(found) for chain, found in errors.items()} == {
        "mercadona": 1,
        "dia": 1,
        "consum": 4,
        "alcampo": 0,
    }
    assert all(e.chain == chain for chain, found in errors.items() for e in found)
    assert broken in (errors["mercadona"][0].url or "")
    assert [r.errors for r in runs] == [r.execution.counts.errors for r in runs] == [1, 1, 4, 0]
    assert await store.count_products("alcampo") == len(state.shelf("alcampo"))
