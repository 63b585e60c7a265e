"""Running scrapers: every chain at the same time, one run at a time, abortable.

Each chain's run is one execution, with its own scrape errors and verdict. The chains are
different sites, so they are scraped side by side: politeness is per host (the fetchers' cap and
pacing, shared by chains on one host), never per run. Within a chain (`ChainScrape`) products
are fetched with a bounded number in flight, parsed, mirrored to the data lake and stored in
small batches off the fetch path, so an abort (Ctrl-C, `supersmart scrape --abort`, or
`ScrapeRunner.abort()`) only waits for the products in flight, stores them, and closes every
chain's execution as 'aborted'. Anything a site returns that the adapter cannot read becomes a
scrape-error record and the run goes on; too many make the chain 'degraded'. A chain that fails
outright (its store gone) ends the run as that error; the other chains close as 'aborted'.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from core.domain import Execution, ExecutionStatus, Product, ScrapeError
from core.settings import ScrapeSettings
from ingestion.batch_writer import BatchWriter
from ingestion.chain_scrape import ChainScrape, first_error, scrape_error
from ingestion.scrapers.base import Fetcher, FetchFailed, Scraper, SiteChanged
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
        """Every chain at once; their runs in the order given."""
        if self.aborted:
            return []
        try:
            async with asyncio.TaskGroup() as chains:
                runs = [chains.create_task(self._run_chain(scraper)) for scraper in scrapers]
        except BaseExceptionGroup as failed:
            raise first_error(failed) from failed
        return [run.result() for run in runs]

    async def _run_chain(self, scraper: Scraper) -> ChainRun:
        await self._store.interrupt_stale_executions(scraper.chain)
        execution = await self._store.start_execution(
            scraper.chain, "scrape", note=scraper.base_url
        )
        self._mirror(execution)
        run = ChainRun(scraper.chain, execution)
        watcher = asyncio.create_task(self._watch_abort_requests(execution.id))
        status, note = ExecutionStatus.FAILED, None
        writer = BatchWriter(
            self._settings.batch_size,
            functools.partial(self._store_products, run),
            functools.partial(self._record, run),
        )
        fetcher = self._fetcher_for(scraper)
        chain = ChainScrape(
            scraper, fetcher, self._settings, execution.id, writer, self._abort.is_set
        )
        try:
            await chain.run()
            status = self._verdict(run)
        except (SiteChanged, FetchFailed) as exc:  # the listing itself could not be read
            await self._record(run, [scrape_error(execution.id, scraper.chain, exc)])
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
        if self._lake:  # its fsync in a thread: the other chains fetch meanwhile
            await asyncio.to_thread(self._lake.append_products, run.execution.id, products)
        await self._store.upsert_products(run.execution.id, products)
        run.products += len(products)
        if self._on_progress:
            self._on_progress(run)

    async def _record(self, run: ChainRun, errors: list[ScrapeError]) -> None:
        if not errors:
            return
        if self._lake:
            await asyncio.to_thread(self._lake.append_errors, run.execution.id, errors)
        await self._store.record_errors(run.execution.id, errors)
        run.errors += len(errors)

    def _mirror(self, execution: Execution) -> None:
        if self._lake:
            self._lake.write_execution(execution)


def scrapers_for(classes: Sequence[type[Scraper]], base_urls: Mapping[str, str]) -> list[Scraper]:
    """Instances with their site address: an override for the chain, else the real site."""
    return [cls(base_urls.get(cls.chain)) for cls in classes]
