"""Running scrapers: every chain one after another (or one), one run at a time, abortable.

Each chain's run is one execution. Products are fetched with a bounded number in flight,
parsed, mirrored to the data lake and stored in small batches, so an abort (Ctrl-C, `supersmart
scrape --abort`, or `ScrapeRunner.abort()`) only waits for the products in flight, stores them,
and closes the execution as 'aborted'. Anything a site returns that the adapter cannot read
becomes a scrape-error record and the run goes on; too many make the run 'degraded'.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from core.domain import Execution, ExecutionStatus, Product, ScrapeError, utcnow
from core.settings import ScrapeSettings
from ingestion.scrapers.base import Fetcher, FetchFailed, ProductRef, Scraper, SiteChanged
from storage.base import ProductStore
from storage.datalake import DataLake

log = logging.getLogger(__name__)


@dataclass
class ChainRun:
    """What happened to one chain in a run."""

    chain: str
    execution: Execution
    products: int = 0
    errors: int = 0
    alerts: list[str] = field(default_factory=list)


FetcherFor = Callable[[Scraper], Fetcher]
ProgressCallback = Callable[[ChainRun], None]


class ScrapeRunner:
    """Scrapes chains into a store. Create one per run; `abort()` may be called at any time."""

    def __init__(
        self,
        store: ProductStore,
        lake: DataLake | None,
        settings: ScrapeSettings,
        fetcher_for: FetcherFor,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self._store = store
        self._lake = lake
        self._settings = settings
        self._fetcher_for = fetcher_for
        self._on_progress = on_progress
        self._abort = asyncio.Event()

    def abort(self) -> None:
        """Stop after the products in flight; they are stored, the execution ends 'aborted'."""
        self._abort.set()

    @property
    def aborted(self) -> bool:
        return self._abort.is_set()

    async def run(self, scrapers: Sequence[Scraper]) -> list[ChainRun]:
        runs = []
        for scraper in scrapers:
            if self.aborted:
                break
            runs.append(await self._run_chain(scraper))
        return runs

    async def _run_chain(self, scraper: Scraper) -> ChainRun:
        await self._store.interrupt_stale_executions(scraper.chain)
        execution = await self._store.start_execution(
            scraper.chain, "scrape", note=scraper.base_url
        )
        self._mirror(execution)
        run = ChainRun(scraper.chain, execution)
        watcher = asyncio.create_task(self._watch_abort_requests(execution.id))
        status, note = ExecutionStatus.FAILED, None
        try:
            await _ChainScrape(self, scraper, run).run()
            status = self._verdict(run)
        except (SiteChanged, FetchFailed) as exc:  # the listing itself could not be read
            await self._record(run, [_error(execution.id, scraper.chain, exc)])
            note = f"listing failed: {exc}"
            log.error("ALERT %s: the product listing could not be read: %s", scraper.chain, exc)
            run.alerts.append(note)
        except (KeyboardInterrupt, asyncio.CancelledError):
            status, note = ExecutionStatus.ABORTED, "cancelled"
            raise
        except Exception as exc:
            note = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            watcher.cancel()
            run.execution = await self._store.finish_execution(execution.id, status, note)
            self._mirror(run.execution)
        return run

    def _verdict(self, run: ChainRun) -> ExecutionStatus:
        if self.aborted:
            return ExecutionStatus.ABORTED
        attempted = run.products + run.errors
        if attempted and run.errors / attempted > self._settings.degraded_error_rate:
            message = (
                f"{run.errors} of {attempted} products failed ({run.errors / attempted:.0%} > "
                f"{self._settings.degraded_error_rate:.0%}): the site may have changed; see "
                f"`supersmart store errors --chain {run.chain}`."
            )
            log.warning("ALERT %s: %s", run.chain, message)
            run.alerts.append(message)
            return ExecutionStatus.DEGRADED
        return ExecutionStatus.COMPLETED

    async def _watch_abort_requests(self, execution_id: str) -> None:
        """An abort asked for from another process (CLI, API) reaches this run."""
        while not self.aborted:
            await asyncio.sleep(self._settings.abort_poll_s)
            if await self._store.abort_requested(execution_id):
                self.abort()

    async def _store_products(self, run: ChainRun, products: list[Product]) -> None:
        if not products:
            return
        if self._lake:
            self._lake.append_products(run.execution.id, products)
        await self._store.upsert_products(run.execution.id, products)
        run.products += len(products)
        if self._on_progress:
            self._on_progress(run)

    async def _record(self, run: ChainRun, errors: list[ScrapeError]) -> None:
        if not errors:
            return
        if self._lake:
            self._lake.append_errors(run.execution.id, errors)
        await self._store.record_errors(run.execution.id, errors)
        run.errors += len(errors)

    def _mirror(self, execution: Execution) -> None:
        if self._lake:
            self._lake.write_execution(execution)


class _ChainScrape:
    """The fetch-parse-store loop of one chain, with a bounded number of products in flight."""

    def __init__(self, runner: ScrapeRunner, scraper: Scraper, run: ChainRun) -> None:
        self._runner = runner
        self._scraper = scraper
        self._run = run
        self._settings = runner._settings
        self._fetcher = runner._fetcher_for(scraper)
        self._slots = asyncio.Semaphore(self._settings.concurrency)
        self._products: list[Product] = []
        self._errors: list[ScrapeError] = []
        self._flush_lock = asyncio.Lock()

    async def run(self) -> None:
        """Products are fetched and parsed in a task group: the run waits for every one it
        started (abort or not, those in flight are finished and stored), and a product's
        failure, whatever it is, is that product's scrape error (`_one`), never the run's."""
        listing_failed: SiteChanged | FetchFailed | None = None
        try:
            async with asyncio.TaskGroup() as products:
                try:
                    await self._discover(products)
                except (SiteChanged, FetchFailed) as exc:
                    listing_failed = exc  # raised once the products in flight are stored
        except BaseExceptionGroup as failed:  # storing failed (the store is gone): the run ends
            raise failed.exceptions[0] from failed  # as that error, which says what to do
        finally:
            await self._flush(force=True)
        if listing_failed is not None:
            raise listing_failed

    async def _discover(self, products: asyncio.TaskGroup) -> None:
        cap = self._settings.max_products
        started = 0
        async for ref in self._scraper.discover(self._fetcher):
            if self._runner.aborted or (cap is not None and started >= cap):
                break
            await self._slots.acquire()
            if self._runner.aborted:
                self._slots.release()
                break
            started += 1
            products.create_task(self._one(ref))

    async def _one(self, ref: ProductRef) -> None:
        try:
            payload = await self._scraper.fetch(self._fetcher, ref)
            products = self._scraper.parse(payload, utcnow())
        except (SiteChanged, FetchFailed) as exc:
            self._errors.append(_error(self._run.execution.id, self._scraper.chain, exc, ref))
        except Exception as exc:  # a bug in the adapter meets a page it never saw: record it
            log.exception("%s: the adapter failed on %s", self._scraper.chain, ref.url)
            self._errors.append(
                ScrapeError(
                    execution_id=self._run.execution.id,
                    chain=self._scraper.chain,
                    reason="adapter_error",
                    message=f"The adapter failed on this product: {type(exc).__name__}: {exc}",
                    url=ref.url,
                )
            )
        else:
            self._products.extend(products)
        finally:
            self._slots.release()
        await self._flush()

    async def _flush(self, force: bool = False) -> None:
        async with self._flush_lock:
            if not force and len(self._products) < self._settings.batch_size:
                return
            products, self._products = self._products, []
            errors, self._errors = self._errors, []
            await self._runner._store_products(self._run, products)
            await self._runner._record(self._run, errors)


def _error(
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


def scrapers_for(classes: Sequence[type[Scraper]], base_urls: Mapping[str, str]) -> list[Scraper]:
    """Instances with their site address: an override for the chain, else the real site."""
    return [cls(base_urls.get(cls.chain)) for cls in classes]
