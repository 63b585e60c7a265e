"""Fixtures for scraper tests: the local test shop, fast polite settings, a SQLite store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from core.settings import ScrapeSettings, Settings
from ingestion.runner import ProgressCallback
from ingestion.scrape_job import ScrapeJob
from ingestion.testshop import ShopState, TestShop
from storage.factory import create_datalake
from storage.sqlite.store import SqliteProductStore


@pytest.fixture
def shop() -> Iterator[TestShop]:
    state = ShopState(products_per_chain=12)
    state.hang_s = 3.0
    with TestShop(state) as running:
        yield running


@pytest.fixture
def scrape_settings() -> ScrapeSettings:
    return ScrapeSettings(
        delay_s=0,
        timeout_s=0.5,
        retries=2,
        backoff_s=0.01,
        max_wait_s=1.5,
        batch_size=5,
        abort_poll_s=0.05,
        render_pages=False,
    )


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[SqliteProductStore]:
    backend = SqliteProductStore(settings.sqlite_path)
    await backend.initialize()
    yield backend
    await backend.close()


@pytest.fixture
def make_job(
    store: SqliteProductStore, settings: Settings, scrape_settings: ScrapeSettings
) -> Callable[..., ScrapeJob]:
    def make(
        scrape: ScrapeSettings | None = None, on_progress: ProgressCallback | None = None
    ) -> ScrapeJob:
        return ScrapeJob(
            store,
            create_datalake(settings),
            scrape or scrape_settings,
            settings.data_dir / "scrape.lock",
            on_progress,
        )

    return make
