"""A chain's store writes, off its fetch path: products and scrape errors collected from the
fetching tasks and written in batches by one task of their own.

Fetching goes on while a batch is written (SQLite takes one writer at a time, and the chains of
a run take turns on it), so a site's latency and the store's never add up. What is collected is
bounded: when the store falls `backlog` batches behind, fetching waits for it, and memory stays
flat on a site with tens of thousands of products.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from core.domain import Product, ScrapeError

StoreProducts = Callable[[list[Product]], Awaitable[None]]
StoreErrors = Callable[[list[ScrapeError]], Awaitable[None]]


class BatchWriter:
    """`run()` in a task; `put`/`add_error` from the fetching tasks; `close()` when they are
    done, and `run()` returns once everything collected is stored."""

    def __init__(
        self,
        batch_size: int,
        store_products: StoreProducts,
        store_errors: StoreErrors,
        backlog: int = 10,
    ) -> None:
        self._batch_size = batch_size
        self._limit = batch_size * backlog
        self._store_products = store_products
        self._store_errors = store_errors
        self._products: list[Product] = []
        self._errors: list[ScrapeError] = []
        self._ready = asyncio.Event()  # a full batch is waiting, or the writer is closed
        self._room = asyncio.Event()  # below the backlog limit again
        self._room.set()
        self._closed = False

    async def put(self, products: list[Product]) -> None:
        while len(self._products) >= self._limit:  # the store is behind: wait for it
            self._room.clear()
            await self._room.wait()
        self._products.extend(products)
        if len(self._products) >= self._batch_size:
            self._ready.set()

    def add_error(self, error: ScrapeError) -> None:
        self._errors.append(error)  # few, written with the next batch

    def close(self) -> None:
        self._closed = True
        self._ready.set()

    async def run(self) -> None:
        while True:
            await self._ready.wait()
            self._ready.clear()
            closed = self._closed
            await self._write(everything=closed)
            if closed:
                return

    async def flush(self) -> None:
        """Store what is still collected (after `run` was cancelled: what was not yet taken)."""
        await self._write(everything=True)

    async def _write(self, everything: bool) -> None:
        while len(self._products) >= self._batch_size or (
            everything and (self._products or self._errors)
        ):
            products = self._products[: self._batch_size]
            del self._products[: self._batch_size]
            errors, self._errors = self._errors, []
            if len(self._products) < self._limit:
                self._room.set()
            await self._store_products(products)
            await self._store_errors(errors)
