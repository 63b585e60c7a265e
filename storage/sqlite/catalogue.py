"""`SqliteCatalogue`: products with their versions and price history, searched with FTS5
(reads here, the write path in `writes`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from core.domain import PriceObservation, Product
from core.text import search_terms
from storage.base import CategoryCount, ChainStats, PriceChange
from storage.codec import CATEGORY_SEP, decode_money, decode_price, decode_ts, encode_ts
from storage.sqlite.connection import chunks, marks
from storage.sqlite.writes import SqliteCatalogueWrites


class SqliteCatalogue(SqliteCatalogueWrites):
    async def get_products(self, product_ids: Sequence[str]) -> dict[str, Product]:
        found: dict[str, Product] = {}
        for chunk in chunks(list(dict.fromkeys(product_ids))):
            rows = await self._sql.fetchall(
                f"SELECT data FROM products WHERE id IN ({marks(chunk)})", chunk
            )
            for row in rows:
                product = Product.model_validate_json(row["data"])
                found[product.id] = product
        return found

    async def find_by_ean(self, ean: str) -> list[Product]:
        rows = await self._sql.fetchall(
            "SELECT data FROM products WHERE ean = ? ORDER BY id", (ean,)
        )
        return _products(rows)

    async def list_products(
        self,
        chain: str | None = None,
        category_prefix: Sequence[str] = (),
        limit: int = 100,
        offset: int = 0,
    ) -> list[Product]:
        clauses, params = _filters(chain, category_prefix)
        rows = await self._sql.fetchall(
            f"SELECT data FROM products {clauses} ORDER BY chain, name, id LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return _products(rows)

    async def count_products(self, chain: str | None = None) -> int:
        clauses, params = _filters(chain, ())
        row = await self._sql.fetchone(f"SELECT COUNT(*) FROM products {clauses}", params)
        return int(row[0]) if row else 0

    async def content_hashes(self) -> dict[str, str]:
        rows = await self._sql.fetchall("SELECT id, content_hash FROM products")
        return {row[0]: row[1] for row in rows}

    async def categories(self, chain: str | None = None) -> list[CategoryCount]:
        clauses, params = _filters(chain, ())
        rows = await self._sql.fetchall(
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
        rows = await self._sql.fetchall(
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
        rows = await self._sql.fetchall(
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
        rows = await self._sql.fetchall(
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
            rows = await self._sql.fetchall(
                "SELECT p.data FROM products_fts f JOIN products p ON p.rowid = f.rowid "
                f"WHERE products_fts MATCH ? {chain_clause} "
                "ORDER BY bm25(products_fts, 10.0, 4.0, 2.0, 1.0), p.id LIMIT ?",
                [match, *params, limit],
            )
            if rows or len(terms) == 1:
                return _products(rows)
        return []

    async def stats(self) -> list[ChainStats]:
        rows = await self._sql.fetchall(
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
