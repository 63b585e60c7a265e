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
