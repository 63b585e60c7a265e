"""`MongoCatalogue`: products with their versions and price history (reads here, the write
path in `writes`); search matches word prefixes in each product's `search_terms`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from pymongo import ASCENDING, DESCENDING

from core.domain import PriceObservation, Product, to_utc_ms
from core.text import fold, search_terms
from storage.base import CategoryCount, ChainStats, PriceChange
from storage.codec import CATEGORY_SEP, decode_money, decode_price
from storage.mongo.connection import Doc
from storage.mongo.writes import WORD, MongoCatalogueWrites


class MongoCatalogue(MongoCatalogueWrites):
    async def get_products(self, product_ids: Sequence[str]) -> dict[str, Product]:
        found: dict[str, Product] = {}
        ids = list(dict.fromkeys(product_ids))
        async for doc in self.db.products.find({"_id": {"$in": ids}}, {"data": 1}):
            product = Product.model_validate_json(doc["data"])
            found[product.id] = product
        return found

    async def find_by_ean(self, ean: str) -> list[Product]:
        return await self._products({"ean": ean}, sort=[("_id", ASCENDING)])

    async def list_products(
        self,
        chain: str | None = None,
        category_prefix: Sequence[str] = (),
        limit: int = 100,
        offset: int = 0,
    ) -> list[Product]:
        return await self._products(
            _filters(chain, category_prefix),
            sort=[("chain", ASCENDING), ("name", ASCENDING), ("_id", ASCENDING)],
            limit=limit,
            offset=offset,
        )

    async def count_products(self, chain: str | None = None) -> int:
        return int(await self.db.products.count_documents(_filters(chain, ())))

    async def content_hashes(self) -> dict[str, str]:
        cursor = self.db.products.find({}, {"content_hash": 1})
        return {doc["_id"]: doc["content_hash"] async for doc in cursor}

    async def categories(self, chain: str | None = None) -> list[CategoryCount]:
        pipeline: list[Doc] = [
            {"$match": _filters(chain, ())},
            {"$group": {"_id": {"chain": "$chain", "category": "$category"}, "n": {"$sum": 1}}},
        ]
        rows = [doc async for doc in await self.db.products.aggregate(pipeline)]
        found = [
            CategoryCount(
                row["_id"]["chain"],
                tuple(row["_id"]["category"].split(CATEGORY_SEP)) if row["_id"]["category"] else (),
                row["n"],
            )
            for row in rows
        ]
        return sorted(found, key=lambda c: (c.chain, c.path))

    async def price_history(self, product_id: str) -> list[PriceObservation]:
        cursor = self.db.price_observations.find({"product_id": product_id}).sort(
            "observed_at", ASCENDING
        )
        return [
            PriceObservation(
                product_id=doc["product_id"],
                price=decode_money(doc["price"]),
                observed_at=doc["observed_at"],
                reference_price=decode_money(doc.get("reference_price")),
                execution_id=doc.get("execution_id"),
            )
            async for doc in cursor
        ]

    async def price_changes(self, since: datetime, limit: int = 20_000) -> list[PriceChange]:
        recent = [
            doc
            async for doc in self.db.price_observations.find({"observed_at": {"$gte": since}})
            .sort("observed_at", DESCENDING)
            .limit(limit)
        ]
        history: dict[str, list[Doc]] = {}
        async for doc in self.db.price_observations.find(
            {"product_id": {"$in": sorted({d["product_id"] for d in recent})}}
        ).sort("observed_at", ASCENDING):
            history.setdefault(doc["product_id"], []).append(doc)
        changes = []
        for doc in recent:
            earlier = [
                h for h in history[doc["product_id"]] if h["observed_at"] < doc["observed_at"]
            ]
            if earlier:
                changes.append(
                    PriceChange(
                        doc["product_id"],
                        decode_price(earlier[-1]["price"]),
                        decode_price(doc["price"]),
                        to_utc_ms(doc["observed_at"]),
                    )
                )
        return changes

    async def changed_since(self, since: datetime, limit: int = 10_000) -> list[Product]:
        return await self._products(
            {"updated_at": {"$gte": to_utc_ms(since)}},
            sort=[("updated_at", ASCENDING), ("_id", ASCENDING)],
            limit=limit,
        )

    async def search(self, text: str, limit: int = 20, chain: str | None = None) -> list[Product]:
        terms = search_terms(text)
        if not terms:
            return []
        for operator in ("$and", "$or"):  # all words first; any word if that finds nothing
            query: Doc = {
                operator: [{"search_terms": {"$regex": f"^{re.escape(t)}"}} for t in terms]
            }
            if chain:
                query["chain"] = chain
            candidates = await self._products(query, limit=max(limit * 10, 200))
            if candidates or len(terms) == 1:
                return sorted(candidates, key=lambda p: _rank(p, terms))[:limit]
        return []

    async def stats(self) -> list[ChainStats]:
        products = await self.db.products.aggregate(
            [
                {
                    "$group": {
                        "_id": "$chain",
                        "products": {"$sum": 1},
                        "last": {"$max": "$observed_at"},
                    }
                }
            ]
        )
        history = await self.db.price_observations.aggregate(
            [
                {"$group": {"_id": "$product_id", "chain": {"$first": "$chain"}, "n": {"$sum": 1}}},
                {
                    "$group": {
                        "_id": "$chain",
                        "observations": {"$sum": "$n"},
                        "changed": {"$sum": {"$cond": [{"$gt": ["$n", 1]}, 1, 0]}},
                    }
                },
            ]
        )
        per_chain = {doc["_id"]: doc async for doc in history}
        chains = [doc async for doc in products]
        return sorted(
            (
                ChainStats(
                    chain=doc["_id"],
                    products=doc["products"],
                    price_observations=per_chain.get(doc["_id"], {}).get("observations", 0),
                    products_with_price_changes=per_chain.get(doc["_id"], {}).get("changed", 0),
                    last_observed_at=to_utc_ms(doc["last"]) if doc.get("last") else None,
                )
                for doc in chains
            ),
            key=lambda stats: stats.chain,
        )

    async def _products(
        self,
        query: Doc,
        sort: list[tuple[str, int]] | None = None,
        limit: int = 0,
        offset: int = 0,
    ) -> list[Product]:
        cursor = self.db.products.find(query, {"data": 1})
        if sort:
            cursor = cursor.sort(sort)
        if offset:
            cursor = cursor.skip(offset)
        if limit:
            cursor = cursor.limit(limit)
        return [Product.model_validate_json(doc["data"]) async for doc in cursor]


def _rank(product: Product, terms: list[str]) -> tuple[int, int, str]:
    """Products whose name holds more of the words first, shorter names first, then by id."""
    name_words = WORD.findall(fold(product.name))
    in_name = sum(any(w.startswith(t) for w in name_words) for t in terms)
    return (-in_name, len(name_words), product.id)


def _filters(chain: str | None, category_prefix: Sequence[str]) -> Doc:
    query: Doc = {}
    if chain:
        query["chain"] = chain
    if category_prefix:
        prefix = CATEGORY_SEP.join(category_prefix)
        query["category"] = {"$regex": f"^{re.escape(prefix)}($|{re.escape(CATEGORY_SEP)})"}
    return query
