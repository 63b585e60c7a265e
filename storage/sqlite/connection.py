"""`SqliteConnection`: one aiosqlite connection to a store file, opened, checked, written and
closed the same way for every table set in it (the products store, conversations, pipeline
records).

WAL: readers never wait. One connection serves every coroutine, so its writes take turns under
one lock: a write from one coroutine must never land inside (and be rolled back with) another's
open transaction, nor open a second one. A disk that is full or read-only is reported as
`StoreUnavailableError` saying what to do (`storage.write_faults`).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from core.errors import StoreError, StoreUnavailableError
from storage.write_faults import write_fault

Migration = tuple[str, str, str]  # (table, column, definition): added when missing
# SQLite's primary result codes for a disk that cannot be written (full, read-only, failing)
_DISK_FAULTS = frozenset(
    {sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN}
)


class SqliteConnection:
    def __init__(self, path: Path, timeout_s: float = 10.0, what: str = "the SQLite store") -> None:
        self.path = path
        self._timeout_s = timeout_s
        self._what = what  # for messages: "Cannot open <what> at ..."
        self._db: aiosqlite.Connection | None = None
        self._writing = asyncio.Lock()

    async def open(self, schema: str, migrations: Sequence[Migration] = ()) -> None:
        """Connect and create the tables if needed (idempotent)."""
        if self._db is not None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = await aiosqlite.connect(self.path, timeout=self._timeout_s, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StoreUnavailableError(
                f"Cannot open {self._what} at {self.path}: {exc}. Check that the folder exists "
                "and is writable, or set SUPERSMART_STORE__SQLITE_PATH."
            ) from exc
        try:
            db.row_factory = aiosqlite.Row
            await db.execute("PRAGMA journal_mode=WAL")
            await db.execute("PRAGMA synchronous=NORMAL")
            await db.execute("PRAGMA foreign_keys=ON")
            await db.executescript(schema)
            for table, column, definition in migrations:
                async with db.execute(f"PRAGMA table_info({table})") as cursor:
                    if column not in {row[1] for row in await cursor.fetchall()}:
                        await db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
        except sqlite3.Error as exc:
            await db.close()
            if _disk_fault(exc):  # a folder that cannot be written, not a foreign file
                raise self._write_fault(exc) from exc
            raise StoreUnavailableError(
                f"Cannot prepare {self._what} at {self.path}: {exc}. If the file is not a "
                "SuperSmart store, point SUPERSMART_STORE__SQLITE_PATH elsewhere."
            ) from exc
        self._db = db

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise StoreError(f"{self._what.capitalize()} is not open: call `initialize()` first.")
        return self._db

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        """All rows in one call to the connection's thread: a read statement left open across
        an await would let another coroutine's write on this connection start inside its read
        snapshot, which SQLite refuses at once ("database is locked", no busy wait) when
        another connection wrote meanwhile."""
        return list(await self.db.execute_fetchall(sql, tuple(params)))

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def write(self, sql: str, params: Iterable[Any] = ()) -> int:
        """One statement outside any transaction, taking its turn; the rows it changed."""
        async with self._writing:
            with self._disk_faults():
                cursor = await self.db.execute(sql, tuple(params))
            return cursor.rowcount

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """`BEGIN IMMEDIATE` ... `COMMIT` under the write lock, rolled back on any error: all or
        nothing. Statements inside run on the connection it yields (not `write`, which would
        wait for the lock this holds).

        Cancellation (Ctrl-C) can land while a statement is still queued in aiosqlite's thread;
        the statement runs anyway (a BEGIN, a COMMIT), so what it left open must be rolled back
        once it has run, or the next writes (the execution marked 'aborted') would be lost
        inside it; a COMMIT that ran stays committed, and the cancellation goes on as such. A
        full disk (SQLITE_FULL) rolls the whole transaction back by itself, at a statement or at
        COMMIT: a ROLLBACK then has nothing to do.
        """
        async with self._writing:
            db = self.db
            try:
                await db.execute("BEGIN IMMEDIATE")
            except BaseException:
                await _roll_back_what_ran(db)
                raise
            with self._disk_faults():
                try:
                    yield db
                    await db.execute("COMMIT")
                except BaseException:
                    await _roll_back_what_ran(db)
                    raise

    @contextmanager
    def _disk_faults(self) -> Iterator[None]:
        """A full or read-only disk as an error that says what to do; others as they are."""
        try:
            yield
        except sqlite3.Error as exc:
            if not _disk_fault(exc):
                raise
            raise self._write_fault(exc) from exc

    def _write_fault(self, exc: sqlite3.Error) -> StoreUnavailableError:
        full = (exc.sqlite_errorcode & 0xFF) == sqlite3.SQLITE_FULL
        return write_fault(self._what, self.path, exc, full, "SUPERSMART_STORE__SQLITE_PATH")


async def _roll_back_what_ran(db: aiosqlite.Connection) -> None:
    """After an error or a cancellation: a statement still queued in aiosqlite's thread runs
    anyway; once a statement queued after it returns, it has. Then roll back what is still
    open. Never raises: the error being handled is the one to report."""
    try:
        await db.execute("SELECT 1")
        if db.in_transaction:
            await db.execute("ROLLBACK")
    except sqlite3.Error:
        pass  # a failing disk or connection: the original error says more


def _disk_fault(exc: sqlite3.Error) -> bool:
    return (getattr(exc, "sqlite_errorcode", 0) & 0xFF) in _DISK_FAULTS


def chunks(items: list[str], size: int = 500) -> Iterable[list[str]]:
    """`items` in slices small enough for one `IN (?, ...)` (SQLite's variable limit)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def marks(values: Sequence[object]) -> str:
    """`?,?,?` for an `IN (...)` of these values."""
    return ",".join("?" * len(values))
