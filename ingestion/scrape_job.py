"""A scrape as one job: the run lock, the fetchers (HTTP, and a browser when a chain needs
one), the runner. The CLI uses it now; the API and the scheduler will call the same thing."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from core.settings import ScrapeSettings
from ingestion.fetchers import BrowserFetcher, HttpFetcher
from ingestion.runlock import RunLock
from ingestion.runner import ChainRun, ProgressCallback, ScrapeRunner, scrapers_for
from ingestion.scrapers.base import Fetcher, Scraper
from ingestion.scrapers.registry import discover_scrapers, select
from storage.base import ProductStore
from storage.datalake import DataLake


class ScrapeJob:
    """`async with ScrapeJob(...) as job: await job.run(["dia"])`; `job.abort()` from anywhere."""

    def __init__(
        self,
        store: ProductStore,
        lake: DataLake | None,
        settings: ScrapeSettings,
        lock_path: Path,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self._settings = settings
        self._lock = RunLock(lock_path)
        self._http = HttpFetcher(settings)
        self._browser: BrowserFetcher | None = None
        self.runner = ScrapeRunner(store, lake, settings, self._fetcher_for, on_progress)

    def _fetcher_for(self, scraper: Scraper) -> Fetcher:
        if scraper.renders_pages and self._settings.render_pages:
            if self._browser is None:
                self._browser = BrowserFetcher(self._settings, self._http)
            return self._browser
        return self._http

    def abort(self) -> None:
        self.runner.abort()

    async def run(
        self, chains: Sequence[str] | None = None, base_urls: dict[str, str] | None = None
    ) -> list[ChainRun]:
        classes = select(discover_scrapers(), list(chains) if chains else None)
        urls = {**self._settings.base_urls, **(base_urls or {})}
        return await self.runner.run(scrapers_for(classes, urls))

    async def __aenter__(self) -> ScrapeJob:
        self._lock.__enter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._browser is not None:
                await self._browser.aclose()
            await self._http.aclose()
        finally:
            self._lock.__exit__(exc_type, exc, tb)
