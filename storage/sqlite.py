"""`SqliteProductStore`: the embedded default store (aiosqlite, WAL, FTS5)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiosqlite

from core.domain import (
    COUNT_FIELDS,
    Execution,
    ExecutionCounts,
    ExecutionStatus,
    PriceObservation,
    Product,
    ScrapeError,
    new_execution_id,
    utcnow,
)
from core.errors import NotFoundError, StoreError, StoreUnavailableError
from core.text import search_terms
from storage.base import CategoryCount, ChainStats, PriceChange
from storage.batching import BatchedWrites
from storage.codec import CATEGORY_SEP, decode_money, decode_price, decode_ts, encode_ts, to_float
from storage.sqlite_schema import MIGRATIONS, SCHEMA, SCHEMA_VERSION
from storage.versioning import BatchPlan, StoredState


class SqliteProductStore(BatchedWrites):
    """Product store in one SQLite file. One writer at a time; readers never block (WAL)."""

    def __init__(self, path: Path, timeout_s: float = 10.0) -> None:
        self._path = path
        self._timeout_s = timeout_s
        self._db: aiosqlite.Connection | None = None
        # One connection serves every coroutine: a write from one must never land inside (and
        # be rolled back with) another's open transaction, nor open a second one.
        self._writing = asyncio.Lock()

    # lifecycle ----------------------------------------------------------------------------
    async def initialize(self) -> None:
        if self._db is not None:
            return
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            db = await aiosqlite.connect(self._path, timeout=self._timeout_s, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StoreUnavailableError(
                f"Cannot open the SQLite store at {self._path}: {exc}. Check that the folder "
                "exists and is writable, or set SUPERSMART_STORE__SQLITE_PATH."
            ) from exc
        db.row_factory = aiosqlite.Row
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=NORMAL")
        await db.execute("PRAGMA foreign_keys=ON")
        await db.executescript(SCHEMA)
        for table, column, definition in MIGRATIONS:
            async with db.execute(f"PRAGMA table_info({table})") as cursor:
                if column not in {row[1] for row in await cursor.fetchall()}:
                    await db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
        await db.execute(
            "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)",
            (str(SCHEMA_VERSION),),
        )
        self._db = db

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise StoreError("The SQLite store is not open: call `initialize()` first.")
        return self._db

    async def _fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        async with self.db.execute(sql, tuple(params)) as cursor:
            return list(await cursor.fetchall())

    async def _fetchone(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        async with self.db.execute(sql, tuple(params)) as cursor:
            return await cursor.fetchone()

    async def _write(self, sql: str, params: Iterable[Any] = ()) -> int:
        """One statement outside any batch; returns the rows it changed."""
        async with self._writing:
            cursor = await self.db.execute(sql, tuple(params))
            return cursor.rowcount

    # executions ---------------------------------------------------------------------------
    async def start_execution(self, source: str, kind: str, note: str | None = None) -> Execution:
        execution = Execution(
            id=new_execution_id(), source=source, kind=kind, started_at=utcnow(), note=note
        )
        await self._write(
            "INSERT INTO executions(id, source, kind, started_at, status, note) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (execution.id, source, kind, encode_ts(execution.started_at), execution.status, note),
        )
        return execution

    async def finish_execution(
        self, execution_id: str, status: ExecutionStatus, note: str | None = None
    ) -> Execution:
        await self._write(
            "UPDATE executions SET status = ?, finished_at = ?, note = COALESCE(?, note) "
            "WHERE id = ?",
            (status, encode_ts(utcnow()), note, execution_id),
        )
        execution = await self.get_execution(execution_id)
        if execution is None:
            raise NotFoundError(f"Execution {execution_id} does not exist.")
        return execution

    async def interrupt_stale_executions(self, source: str) -> int:
        return await self._write(
            "UPDATE executions SET status = ?, finished_at = ?, "
            "note = COALESCE(note || ' ', '') || '(process ended before finishing)' "
            "WHERE source = ? AND status = ?",
            (ExecutionStatus.INTERRUPTED, encode_ts(utcnow()), source, ExecutionStatus.RUNNING),
        )

    async def request_abort(self, source: str | None = None) -> int:
        where = "status = ?" + (" AND source = ?" if source else "")
        return await self._write(
            f"UPDATE executions SET abort_requested = 1 WHERE {where}",
            [ExecutionStatus.RUNNING, *([source] if source else [])],
        )

    async def abort_requested(self, execution_id: str) -> bool:
        row = await self._fetchone(
            "SELECT abort_requested FROM executions WHERE id = ?", (execution_id,)
        )
        return bool(row and row[0])

    async def record_execution(self, execution: Execution) -> None:
        counts = execution.counts
        await self._write(
            f"INSERT OR REPLACE INTO executions(id, source, kind, started_at, finished_at, status, "
            f"note, {', '.join(COUNT_FIELDS)}) VALUES (?, ?, ?, ?, ?, ?, ?, "
            f"{', '.join('?' * len(COUNT_FIELDS))})",
            (
                execution.id,
                execution.source,
                execution.kind,
                encode_ts(execution.started_at),
                encode_ts(execution.finished_at) if execution.finished_at else None,
                execution.status,
                execution.note,
                *(getattr(counts, name) for name in COUNT_FIELDS),
            ),
        )

    async def get_execution(self, execution_id: str) -> Execution | None:
        row = await self._fetchone("SELECT * FROM executions WHERE id = ?", (execution_id,))
        return _execution(row) if row else None

    async def list_executions(self, limit: int = 20, source: str | None = None) -> list[Execution]:
        where, params = ("WHERE source = ?", [source]) if source else ("", [])
        rows = await self._fetchall(
            f"SELECT * FROM executions {where} ORDER BY started_at DESC, id DESC LIMIT ?",
            [*params, limit],
        )
        return [_execution(row) for row in rows]

    async def _add_counts(self, execution_id: str, counts: ExecutionCounts) -> None:
        assignments = ", ".join(f"{name} = {name} + ?" for name in COUNT_FIELDS)
        await self.db.execute(
            f"UPDATE executions SET {assignments} WHERE id = ?",
            [*(getattr(counts, name) for name in COUNT_FIELDS), execution_id],
        )

    # writes -------------------------------------------------------------------------------
    def _atomic(self) -> AbstractAsyncContextManager[None]:
        return _transaction(self.db, self._writing)

    async def record_errors(self, execution_id: str, errors: Sequence[ScrapeError]) -> None:
        if not errors:
            return
        async with self._atomic():
            await self.db.executemany(
                "INSERT INTO scrape_errors(execution_id, chain, reason, message, url, field, "
                "expected, excerpt, occurred_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        e.execution_id,
                        e.chain,
                        e.reason,
                        e.message,
                        e.url,
                        e.field,
                        e.expected,
                        e.excerpt,
                        encode_ts(e.occurred_at),
                    )
                    for e in errors
                ],
            )
            await self._add_counts(execution_id, ExecutionCounts(errors=len(errors)))

    async def _plan(self, execution_id: str, product_ids: Sequence[str]) -> BatchPlan:
        """Load what the batch needs to decide: current states and price histories."""
        ids = list(dict.fromkeys(product_ids))
        states: dict[str, StoredState] = {}
        histories: dict[str, list[tuple[datetime, Decimal]]] = {}
        for chunk in _chunks(ids, 500):
            marks = ",".join("?" * len(chunk))
            for row in await self._fetchall(
                f"SELECT data, content_hash, version FROM products WHERE id IN ({marks})", chunk
            ):
                product = Product.model_validate_json(row["data"])
                states[product.id] = StoredState(product, row["content_hash"], row["version"])
            for row in await self._fetchall(
                "SELECT product_id, observed_at, price FROM price_observations "
                f"WHERE product_id IN ({marks}) ORDER BY product_id, observed_at",
                chunk,
            ):
                price = decode_money(row["price"])
                assert price is not None
                histories.setdefault(row["product_id"], []).append(
                    (decode_ts(row["observed_at"]), price)
                )
        return BatchPlan(execution_id, states, histories)

    async def _apply(self, plan: BatchPlan) -> None:
        db = self.db
        writes = list(plan.products.values())
        await db.executemany(
            """INSERT INTO products(id, chain, chain_product_id, name, brand, ean, category, price,
                   reference_price, reference_unit, data, content_hash, version, observed_at,
                   first_seen_at, updated_at, last_execution_id)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT(id) DO UPDATE SET name = excluded.name, brand = excluded.brand,
                   ean = excluded.ean, category = excluded.category, price = excluded.price,
                   reference_price = excluded.reference_price,
                   reference_unit = excluded.reference_unit, data = excluded.data,
                   content_hash = excluded.content_hash, version = excluded.version,
                   observed_at = excluded.observed_at,
                   updated_at = CASE WHEN products.content_hash = excluded.content_hash
                                THEN products.updated_at ELSE excluded.updated_at END,
                   last_execution_id = excluded.last_execution_id""",
            [
                (
                    p.id,
                    p.chain,
                    p.chain_product_id,
                    p.name,
                    p.brand,
                    p.ean,
                    CATEGORY_SEP.join(p.category_path),
                    float(p.price),
                    to_float(p.reference_price),
                    p.reference_unit,
                    p.model_dump_json(),
                    w.content_hash,
                    w.version,
                    encode_ts(p.observed_at),
                    encode_ts(p.observed_at),
                    encode_ts(p.observed_at),
                    plan.execution_id,
                )
                for w in writes
                for p in (w.product,)
            ],
        )
        await db.executemany(
            "INSERT OR REPLACE INTO product_versions"
            "(product_id, version, content_hash, data, valid_from, execution_id) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    v.product_id,
                    v.version,
                    v.content_hash,
                    v.product.model_dump_json(),
                    encode_ts(v.product.observed_at),
                    plan.execution_id,
                )
                for v in plan.versions
            ],
        )
        await self._index_text([w.product for w in writes if w.content_changed])
        gone = [(pid, encode_ts(at)) for (pid, at), obs in plan.observations.items() if obs is None]
        await db.executemany(
            "DELETE FROM price_observations WHERE product_id = ? AND observed_at = ?", gone
        )
        await db.executemany(
            "INSERT OR REPLACE INTO price_observations(product_id, observed_at, price, "
            "reference_price, execution_id) VALUES (?, ?, ?, ?, ?)",
            [
                (
                    pid,
                    encode_ts(at),
                    float(obs.price),
                    to_float(obs.reference_price),
                    plan.execution_id,
                )
                for (pid, at), obs in plan.observations.items()
                if obs is not None
            ],
        )
        await self._add_counts(plan.execution_id, plan.counts)

    async def _index_text(self, products: list[Product]) -> None:
        """Refresh the FTS rows (keyed by the products table's rowid) of changed products."""
        rowids: dict[str, int] = {}
        for chunk in _chunks([p.id for p in products], 500):
            for row in await self._fetchall(
                f"SELECT id, rowid FROM products WHERE id IN ({','.join('?' * len(chunk))})", chunk
            ):
                rowids[row[0]] = row[1]
        await self.db.executemany(
            "DELETE FROM products_fts WHERE rowid = ?", [(rowids[p.id],) for p in products]
        )
        await self.db.executemany(
            "INSERT INTO products_fts(rowid, name, brand, category, ingredients) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                (
                    rowids[p.id],
                    p.name,
                    p.brand or "",
                    CATEGORY_SEP.join(p.category_path),
                    p.ingredients or "",
                )
                for p in products
            ],
        )

    # reads --------------------------------------------------------------------------------
    async def get_products(self, product_ids: Sequence[str]) -> dict[str, Product]:
        found: dict[str, Product] = {}
        for chunk in _chunks(list(dict.fromkeys(product_ids)), 500):
            rows = await self._fetchall(
                f"SELECT data FROM products WHERE id IN ({','.join('?' * len(chunk))})", chunk
            )
            for row in rows:
                product = Product.model_validate_json(row["data"])
                found[product.id] = product
        return found

    async def find_by_ean(self, ean: str) -> list[Product]:
        rows = await self._fetchall("SELECT data FROM products WHERE ean = ? ORDER BY id", (ean,))
        return _products(rows)

    async def list_products(
        self,
        chain: str | None = None,
        category_prefix: Sequence[str] = (),
        limit: int = 100,
        offset: int = 0,
    ) -> list[Product]:
        clauses, params = _filters(chain, category_prefix)
        rows = await self._fetchall(
            f"SELECT data FROM products {clauses} ORDER BY chain, name, id LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return _products(rows)

    async def count_products(self, chain: str | None = None) -> int:
        clauses, params = _filters(chain, ())
        row = await self._fetchone(f"SELECT COUNT(*) FROM products {clauses}", params)
        return int(row[0]) if row else 0

    async def categories(self, chain: str | None = None) -> list[CategoryCount]:
        clauses, params = _filters(chain, ())
        rows = await self._fetchall(
            f"SELECT chain, category, COUNT(*) AS n FROM products {clauses} "
            "GROUP BY chain, category ORDER BY chain, category",
            params,
        )
        return [
            CategoryCount(
                r["chain"],
                tuple(r["category"].split(CATEGORY_SEP)) if r["category"] else (),
                r["n"],
            )
            for r in rows
        ]

    async def price_history(self, product_id: str) -> list[PriceObservation]:
        rows = await self._fetchall(
            "SELECT * FROM price_observations WHERE product_id = ? ORDER BY observed_at",
            (product_id,),
        )
        return [
            PriceObservation(
                product_id=r["product_id"],
                price=decode_money(r["price"]),
                observed_at=decode_ts(r["observed_at"]),
                reference_price=decode_money(r["reference_price"]),
                execution_id=r["execution_id"],
            )
            for r in rows
        ]

    async def price_changes(self, since: datetime, limit: int = 20_000) -> list[PriceChange]:
        rows = await self._fetchall(
            "SELECT o.product_id, o.price, o.observed_at, (SELECT b.price FROM "
            "price_observations b WHERE b.product_id = o.product_id AND b.observed_at < "
            "o.observed_at ORDER BY b.observed_at DESC LIMIT 1) AS before FROM "
            "price_observations o WHERE o.observed_at >= ? ORDER BY o.observed_at DESC LIMIT ?",
            (encode_ts(since), limit),
        )
        return [
            PriceChange(
                r["product_id"],
                decode_price(r["before"]),
                decode_price(r["price"]),
                decode_ts(r["observed_at"]),
            )
            for r in rows
            if r["before"] is not None
        ]

    async def changed_since(self, since: datetime, limit: int = 10_000) -> list[Product]:
        rows = await self._fetchall(
            "SELECT data FROM products WHERE updated_at >= ? ORDER BY updated_at, id LIMIT ?",
            (encode_ts(since), limit),
        )
        return _products(rows)

    async def search(self, text: str, limit: int = 20, chain: str | None = None) -> list[Product]:
        terms = search_terms(text)
        if not terms:
            return []
        for joiner in (" AND ", " OR "):  # all words first; any word if that finds nothing
            match = joiner.join(f'"{term}"*' for term in terms)
            chain_clause, params = ("AND p.chain = ?", [chain]) if chain else ("", [])
            rows = await self._fetchall(
                "SELECT p.data FROM products_fts f JOIN products p ON p.rowid = f.rowid "
                f"WHERE products_fts MATCH ? {chain_clause} "
                "ORDER BY bm25(products_fts, 10.0, 4.0, 2.0, 1.0), p.id LIMIT ?",
                [match, *params, limit],
            )
            if rows or len(terms) == 1:
                return _products(rows)
        return []

    async def list_errors(
        self, execution_id: str | None = None, chain: str | None = None, limit: int = 100
    ) -> list[ScrapeError]:
        clauses, params = [], []
        if execution_id:
            clauses.append("execution_id = ?")
            params.append(execution_id)
        if chain:
            clauses.append("chain = ?")
            params.append(chain)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = await self._fetchall(
            f"SELECT * FROM scrape_errors {where} ORDER BY id LIMIT ?", [*params, limit]
        )
        return [
            ScrapeError(
                execution_id=r["execution_id"],
                chain=r["chain"],
                reason=r["reason"],
                message=r["message"],
                url=r["url"],
                field=r["field"],
                expected=r["expected"],
                excerpt=r["excerpt"],
                occurred_at=decode_ts(r["occurred_at"]),
            )
            for r in rows
        ]

    async def stats(self) -> list[ChainStats]:
        rows = await self._fetchall(
            """SELECT p.chain, COUNT(*) AS products, MAX(p.observed_at) AS last_seen,
                      COALESCE(SUM(h.n), 0) AS observations,
                      COALESCE(SUM(h.n > 1), 0) AS changed
               FROM products p
               LEFT JOIN (SELECT product_id, COUNT(*) AS n FROM price_observations
                          GROUP BY product_id) h ON h.product_id = p.id
               GROUP BY p.chain ORDER BY p.chain"""
        )
        return [
            ChainStats(
                chain=r["chain"],
                products=r["products"],
                price_observations=r["observations"],
                products_with_price_changes=r["changed"],
                last_observed_at=decode_ts(r["last_seen"]) if r["last_seen"] else None,
            )
            for r in rows
        ]


@asynccontextmanager
async def _transaction(db: aiosqlite.Connection, lock: asyncio.Lock) -> AsyncIterator[None]:
    """`BEGIN IMMEDIATE` ... `COMMIT` under the connection's write lock, rolled back on any
    error: one batch, all or nothing.

    Cancellation (Ctrl-C) can land while a statement is still queued in aiosqlite's thread; the
    statement runs anyway, so a transaction it opened must be rolled back here, or the next
    writes (the execution marked 'aborted') would be lost inside it.
    """
    async with lock, _open_transaction(db):
        yield


@asynccontextmanager
async def _open_transaction(db: aiosqlite.Connection) -> AsyncIterator[None]:
    try:
        await db.execute("BEGIN IMMEDIATE")
    except BaseException:
        await db.execute("SELECT 1")  # queued after BEGIN: once it returns, BEGIN has run
        if db.in_transaction:
            await db.execute("ROLLBACK")
        raise
    try:
        yield
    except BaseException:
        await db.execute("ROLLBACK")
        raise
    await db.execute("COMMIT")


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _filters(chain: str | None, category_prefix: Sequence[str]) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if chain:
        clauses.append("chain = ?")
        params.append(chain)
    if category_prefix:
        prefix = CATEGORY_SEP.join(category_prefix)
        clauses.append("(category = ? OR category LIKE ? ESCAPE '\\')")
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params.extend([prefix, escaped + CATEGORY_SEP + "%"])
    return (f"WHERE {' AND '.join(clauses)}" if clauses else ""), params


def _products(rows: Iterable[aiosqlite.Row]) -> list[Product]:
    return [Product.model_validate_json(row["data"]) for row in rows]


def _execution(row: aiosqlite.Row) -> Execution:
    return Execution(
        id=row["id"],
        source=row["source"],
        kind=row["kind"],
        started_at=decode_ts(row["started_at"]),
        finished_at=decode_ts(row["finished_at"]) if row["finished_at"] else None,
        status=ExecutionStatus(row["status"]),
        counts=ExecutionCounts(**{name: row[name] for name in COUNT_FIELDS}),
        note=row["note"],
    )
