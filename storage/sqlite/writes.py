"""The SQLite catalogue's write path: load what a batch touches, apply its plan (products,
versions, search rows, price history and the execution's counters) in one transaction."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

from core.domain import Product
from storage.batching import BatchedWrites, History
from storage.codec import CATEGORY_SEP, decode_price, decode_ts, encode_ts, to_float
from storage.sqlite.connection import chunks, marks
from storage.sqlite.executions import SqlitePart, add_counts
from storage.versioning import BatchPlan, StoredState


class SqliteCatalogueWrites(SqlitePart, BatchedWrites):
    def _atomic(self) -> AbstractAsyncContextManager[object]:
        return self._sql.transaction()

    async def _stored_states(self, product_ids: list[str]) -> dict[str, StoredState]:
        states: dict[str, StoredState] = {}
        for chunk in chunks(product_ids):
            for row in await self._sql.fetchall(
                f"SELECT data, content_hash, version FROM products WHERE id IN ({marks(chunk)})",
                chunk,
            ):
                product = Product.model_validate_json(row["data"])
                states[product.id] = StoredState(product, row["content_hash"], row["version"])
        return states

    async def _price_histories(self, product_ids: list[str]) -> dict[str, History]:
        histories: dict[str, History] = {}
        for chunk in chunks(product_ids):
            for row in await self._sql.fetchall(
                "SELECT product_id, observed_at, price FROM price_observations "
                f"WHERE product_id IN ({marks(chunk)}) ORDER BY product_id, observed_at",
                chunk,
            ):
                histories.setdefault(row["product_id"], []).append(
                    (decode_ts(row["observed_at"]), decode_price(row["price"]))
                )
        return histories

    async def _apply(self, plan: BatchPlan) -> None:
        db = self._sql.db  # inside `_atomic`'s transaction
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
        await add_counts(db, plan.execution_id, plan.counts)

    async def _index_text(self, products: list[Product]) -> None:
        """Refresh the FTS rows (keyed by the products table's rowid) of changed products."""
        rowids: dict[str, int] = {}
        for chunk in chunks([p.id for p in products]):
            for row in await self._sql.fetchall(
                f"SELECT id, rowid FROM products WHERE id IN ({marks(chunk)})", chunk
            ):
                rowids[row[0]] = row[1]
        db = self._sql.db
        await db.executemany(
            "DELETE FROM products_fts WHERE rowid = ?", [(rowids[p.id],) for p in products]
        )
        await db.executemany(
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
