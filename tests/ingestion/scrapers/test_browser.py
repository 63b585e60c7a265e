"""Carrefour's rendered pages through Playwright and Debian's chromium (CI installs both)."""

from __future__ import annotations

import shutil
from collections.abc import Callable

import pytest

from core.domain import ExecutionStatus
from core.settings import ScrapeSettings
from ingestion.scrape_job import ScrapeJob
from ingestion.testshop import TestShop
from storage.sqlite.store import SqliteProductStore

pytest.importorskip("playwright", reason="the scrape extra (playwright) is not installed")


async def test_rendered_pages_are_scraped_with_the_browser(
    make_job: Callable[..., ScrapeJob],
    shop: TestShop,
    store: SqliteProductStore,
    scrape_settings: ScrapeSettings,
) -> None:
    if not scrape_settings.chromium_path.exists() and not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    victim = shop.state.shelf("carrefour")[1].chain_product_id
    shop.state.set_fault("carrefour", victim, "server_error", times=1)  # retried in the browser
    rendered = scrape_settings.model_copy(update={"render_pages": True, "timeout_s": 10})

    async with make_job(rendered) as job:
        [run] = await job.run(["carrefour"], {"carrefour": shop.url("carrefour")})
        assert job._browser is not None and job._browser.stats.requests > 0

    assert run.execution.status is ExecutionStatus.COMPLETED
    stored = {p.id: p for p in await store.list_products(chain="carrefour")}
    assert set(stored) == {p.id for p in shop.state.shelf("carrefour")}
    assert all(p.price == stored[p.id].price for p in shop.state.shelf("carrefour"))


async def test_the_browser_and_plain_http_share_a_sites_cap(
    make_job: Callable[..., ScrapeJob], shop: TestShop, scrape_settings: ScrapeSettings
) -> None:
    if not scrape_settings.chromium_path.exists() and not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    shop.state.latency_s = 0.25  # Dia's requests still going once the browser has started
    rendered = scrape_settings.model_copy(
        update={"render_pages": True, "timeout_s": 10, "concurrency": 2}
    )

    async with make_job(rendered) as job:  # Carrefour in the browser, Dia over HTTP, together
        runs = await job.run(["carrefour", "dia"], {c: shop.url(c) for c in ("carrefour", "dia")})

    assert [r.execution.status for r in runs] == [ExecutionStatus.COMPLETED] * 2
    started = {
        chain: [at for at, path in shop.state.log if path.startswith(f"/{chain}/")]
        for chain in ("carrefour", "dia")
    }
    assert min(started["carrefour"]) < max(started["dia"])  # the two fetchers overlapped
    assert shop.state.max_in_flight == 2  # one site, one cap, whichever fetcher asks
    # nothing asked for outside that cap: Chromium's own /favicon.ico request made it 3
    assert {path for _, path in shop.state.log if path.count("/") == 1} == {"/robots.txt"}
