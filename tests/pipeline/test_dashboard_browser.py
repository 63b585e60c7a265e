"""The operator dashboard in a real browser (Playwright + Debian's chromium): log in, read the
executions and a product's price chart, start a scrape and abort it from the page."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from core.settings import Settings
from ingestion.fetchers import CHROMIUM_ARGS
from ingestion.testshop import ShopState, TestShop
from storage.datalake import DataLake
from storage.factory import create_store
from tests.app.conftest import LiveServer
from tests.pipeline.conftest import pipeline_settings

if TYPE_CHECKING:  # for types only: playwright may be missing (the importorskip below)
    from playwright.async_api import Browser, Page

pytest.importorskip("playwright", reason="the scrape extra (playwright) is not installed")
CHROMIUM = Path("/usr/lib/chromium/chromium")


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


async def _logged_in(browser: Browser, url: str) -> Page:
    page = await browser.new_page()
    await page.goto(url + "/admin")
    assert page.url.endswith("/admin/login")  # no key, no dashboard
    await page.fill("input[name=key]", "wrong")
    await page.click("button[type=submit]")
    assert "Clave incorrecta" in await page.inner_text("body")
    await page.fill("input[name=key]", "operator-key-for-tests")
    await page.click("button[type=submit]")
    await page.wait_for_url(url + "/admin")
    return page


async def test_dashboard_shows_executions_and_a_price_chart(
    browser: Browser, data_dir: Path, shop: TestShop
) -> None:
    settings = pipeline_settings(data_dir, shop)
    store = create_store(settings)
    await store.initialize()
    try:  # a product whose price changed several times in the sample catalogue
        for moved in await store.list_products(limit=500):
            history = await store.price_history(moved.id)
            if len(history) >= 3:
                break
    finally:
        await store.close()

    with LiveServer(settings, None) as live:
        page = await _logged_in(browser, live.url)
        rows = page.locator("#executions tr.execution")
        assert await rows.count() >= 1
        first = await rows.first.inner_text()
        assert "import:jsonl" in first and "completed" in first and "429" in first
        assert await page.locator("#catalogue svg.chart rect.bar").count() == 5

        await page.fill("header input[name=q]", moved.name)
        await page.click("header button:has-text('Ver precios')")
        await page.click(f"a[href='/admin/products?id={moved.id.replace(':', '%3A')}']")
        chart = page.locator("#price-chart svg.chart")
        await chart.wait_for()
        points = chart.locator("circle.point")
        assert await points.count() == len(history)
        last = await points.last.locator("title").text_content()
        assert last is not None and f"{history[-1].price}".replace(".", ",") in last
        assert await page.locator("table tr").count() == len(history) + 1


async def test_abort_from_the_dashboard_ends_the_scrape_aborted_with_nothing_lost(
    browser: Browser, tmp_path: Path
) -> None:
    state = ShopState(products_per_chain=40)
    state.latency_s = 0.15  # slow enough to press the button in the middle
    with TestShop(state) as shop:
        settings: Settings = pipeline_settings(
            tmp_path / "empty", shop, datalake={"enabled": True}, scrape={
                "base_urls": shop.base_urls(), "delay_s": 0, "concurrency": 2,
                "batch_size": 3, "abort_poll_s": 0.05, "render_pages": False,
            },
        )  # fmt: skip
        with LiveServer(settings, None) as live:
            page = await _logged_in(browser, live.url)
            await page.click("#scrape-all")
            status = page.locator("#status-body")
            await status.filter(has_text="En marcha").wait_for(timeout=10_000)
            await asyncio.sleep(1.0)  # some products stored, more in flight
            await page.click("#abort")
            assert "Parando" in await page.inner_text(".flash")
            aborted = page.locator("#executions tr.execution").filter(has_text="aborted")
            await aborted.first.wait_for(timeout=15_000)
            assert await page.locator("#runs .badge.aborted").count() >= 1

    store = create_store(settings)
    await store.initialize()
    try:
        executions = await store.list_executions(limit=10)  # newest first
        chains = {e.source for e in executions}
        assert len(executions) == len(chains) == 5  # every chain scraped at once, once
        statuses = {e.status for e in executions}  # each closed: stopped, or done before it
        assert "aborted" in statuses and statuses <= {"aborted", "completed"}
        lake = DataLake(settings.datalake_path)
        kept = 0
        for execution in executions:  # every product counted is stored, and mirrored
            stored = await store.list_products(chain=execution.source, limit=1000)
            assert execution.counts.new == len(stored)  # a chain may not have reached a product
            mirrored = lake.replay(execution.id).products
            assert {p.id for p in mirrored} == {p.id for p in stored}
            kept += len(stored)
        assert kept > 0  # what was scraped before the button stays
        assert all(e.counts.new < 40 for e in executions if e.status == "aborted")  # part-way
    finally:
        await store.close()
