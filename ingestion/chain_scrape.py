"""One chain's scrape as a pipeline: listing, products fetched and parsed, batches stored.

Three kinds of task run side by side, so a site's host is never idle waiting on our side:
the listing walks the site's product lists a little ahead of the products (a bounded queue of
references: a trial run or an abort does not read listing pages it will not use), at most
`concurrency` products are fetched and parsed at once, and a `BatchWriter` stores them off the
fetch path. Politeness is the fetcher's (`ingestion.politeness`): the per-host cap and pacing
hold whatever this side asks for, and chains on one host share them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from core.domain import Product, ScrapeError, utcnow
from core.settings import ScrapeSettings
from ingestion.batch_writer import BatchWriter
from ingestion.scrapers.base import Fetcher, FetchFailed, ProductRef, Scraper, SiteChanged

log = logging.getLogger(__name__)


class ChainScrape:
    """The fetch-parse-store loop of one chain's execution."""

    def __init__(
        self,
        scraper: Scraper,
        fetcher: Fetcher,
        settings: ScrapeSettings,
        execution_id: str,
        writer: BatchWriter,
        aborted: Callable[[], bool],
    ) -> None:
        self._scraper = scraper
        self._fetcher = fetcher
        self._settings = settings
        self._execution_id = execution_id
        self._writer = writer
        self._aborted = aborted
        self._slots = asyncio.Semaphore(settings.concurrency)
        self._refs: asyncio.Queue[ProductRef | None] = asyncio.Queue(settings.concurrency)
        self._listing_failed: SiteChanged | FetchFailed | None = None

    async def run(self) -> None:
        """The run waits for every product it started (abort or not, those in flight are
        finished and stored), and a product's failure, whatever it is, is that product's
        scrape error (`_one`), never the run's. An unreadable listing is raised once the
        products found before it are stored; a store that fails ends the run as that error."""
        try:
            async with asyncio.TaskGroup() as chain:
                chain.create_task(self._writer.run())
                try:
                    async with asyncio.TaskGroup() as products:
                        listing = products.create_task(self._list())
                        await self._start_products(products)
                        listing.cancel()  # capped or aborted: no more listing pages
                finally:
                    self._writer.close()
        except BaseExceptionGroup as failed:
            raise first_error(failed) from failed
        except (asyncio.CancelledError, KeyboardInterrupt):
            await self._writer.flush()  # stopped at once (a second Ctrl-C): keep what was fetched
            raise
        if self._listing_failed is not None:
            raise self._listing_failed

    async def _list(self) -> None:
        try:
            async for ref in self._scraper.discover(self._fetcher):
                await self._refs.put(ref)
        except (SiteChanged, FetchFailed) as exc:
            self._listing_failed = exc
        await self._refs.put(None)

    async def _start_products(self, products: asyncio.TaskGroup) -> None:
        cap = self._settings.max_products
        started = 0
        while not self._aborted() and (cap is None or started < cap):
            ref = await self._refs.get()
            if ref is None:
                return
            await self._slots.acquire()
            if self._aborted():
                self._slots.release()
                return
            started += 1
            products.create_task(self._one(ref))

    async def _one(self, ref: ProductRef) -> None:
        try:
            found = await self._fetch_and_parse(ref)
            if found:
                await self._writer.put(found)  # waits only when the store is far behind
        finally:
            self._slots.release()

    async def _fetch_and_parse(self, ref: ProductRef) -> list[Product]:
        chain = self._scraper.chain
        try:
            return self._scraper.parse(await self._scraper.fetch(self._fetcher, ref), utcnow())
        except (SiteChanged, FetchFailed) as exc:
            self._writer.add_error(scrape_error(self._execution_id, chain, exc, ref))
        except Exception as exc:  # a bug in the adapter meets a page it never saw: record it
            log.exception("%s: the adapter failed on %s", chain, ref.url)
            self._writer.add_error(
                ScrapeError(
                    execution_id=self._execution_id,
                    chain=chain,
                    reason="adapter_error",
                    message=f"The adapter failed on this product: {type(exc).__name__}: {exc}",
                    url=ref.url,
                )
            )
        return []


def scrape_error(
    execution_id: str, chain: str, exc: SiteChanged | FetchFailed, ref: ProductRef | None = None
) -> ScrapeError:
    if isinstance(exc, FetchFailed):
        return ScrapeError(
            execution_id=execution_id,
            chain=chain,
            reason=exc.reason,
            message=exc.message,
            url=exc.url,
        )
    return ScrapeError(
        execution_id=execution_id,
        chain=chain,
        reason=exc.reason,
        message=exc.message,
        url=ref.url if ref else None,
        field=exc.field,
        expected=exc.expected,
        excerpt=exc.excerpt,
    )


def first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The error that ended a task group, out of the groups nested around it."""
    first = group.exceptions[0]
    return first_error(first) if isinstance(first, BaseExceptionGroup) else first
