"""`MongoProductStore`: the shared store for deployments, on PyMongo's async client.

PyMongo's `AsyncMongoClient` is the official successor of `motor` (deprecated by MongoDB). The
same `BatchPlan` as the SQLite store decides every write; here it is applied with bulk writes.
A standalone server has no multi-document transactions, so a batch is written products first,
history next, counters last: an interrupted batch is completed by re-running the import (every
write is an idempotent upsert).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from datetime import datetime
from decimal import Decimal
from typing import Any

from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, DeleteOne, ReplaceOne, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from core.domain import (
    COUNT_FIELDS,
    Execution,
    ExecutionCounts,
    ExecutionStatus,
    PriceObservation,
    Product,
    ScrapeError,
    new_execution_id,
    to_utc_ms,
    utcnow,
)
from core.errors import NotFoundError, StoreError, StoreUnavailableError
from core.text import fold, search_terms
from storage.base import CategoryCount, ChainStats, PriceChange
from storage.batching import BatchedWrites
from storage.codec import CATEGORY_SEP, decode_money, decode_price, to_float
from storage.versioning import BatchPlan, StoredState

_WORD = re.compile(r"[0-9a-z]+")

Doc = dict[str, Any]


class MongoProductStore(BatchedWrites):
    """Product store in a MongoDB database (one collection per record type)."""

    def __init__(self, uri: str, database: str, timeout_s: float = 10.0) -> None:
        self._uri = uri
        self._database = database
        self._timeout_ms = int(timeout_s * 1000)
        self._client: AsyncMongoClient[Doc] | None = None

    # lifecycle ----------------------------------------------------------------------------
    async def initialize(self) -> None:
        if self._client is not None:
            return
        client: AsyncMongoClient[Doc] = AsyncMongoClient(
            self._uri,
            tz_aware=True,
            serverSelectionTimeoutMS=self._timeout_ms,
            connectTimeoutMS=self._timeout_ms,
        )
        try:
            await client.admin.command("ping")
            db = client[self._database]
            await db.products.create_index([("chain", ASCENDING), ("category", ASCENDING)])
            await db.products.create_index("ean")
            await db.products.create_index("updated_at")
            await db.products.create_index("search_terms")
            await db.price_observations.create_index(
                [("product_id", ASCENDING), ("observed_at", ASCENDING)], unique=True
            )
            await db.price_observations.create_index("observed_at")
            await db.executions.create_index([("source", ASCENDING), ("started_at", DESCENDING)])
            await db.scrape_errors.create_index("execution_id")
            await db.scrape_errors.create_index([("chain", ASCENDING), ("occurred_at", ASCENDING)])
        except PyMongoError as exc:
            await client.close()
            raise StoreUnavailableError(
                f"Cannot reach MongoDB at the configured URI: {exc}. Check that the server is "
                "running and SUPERSMART_STORE__MONGODB_URI is right, or unset it to use SQLite."
            ) from exc
        self._client = client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    @property
    def db(self) -> AsyncDatabase[Doc]:
        if self._client is None:
            raise StoreError("The MongoDB store is not open: call `initialize()` first.")
        return self._client[self._database]

    # executions ---------------------------------------------------------------------------
    async def start_execution(self, source: str, kind: str, note: str | None = None) -> Execution:
        execution = Execution(
            id=new_execution_id(), source=source, kind=kind, started_at=utcnow(), note=note
        )
        await self.record_execution(execution)
        return execution

    async def request_abort(self, source: str | None = None) -> int:
        query: Doc = {"status": ExecutionStatus.RUNNING.value}
        if source:
            query["source"] = source
        result = await self.db.executions.update_many(query, {"$set": {"abort_requested": True}})
        return int(result.matched_count)

    async def abort_requested(self, execution_id: str) -> bool:
        doc = await self.db.executions.find_one({"_id": execution_id}, {"abort_requested": 1})
        return bool(doc and doc.get("abort_requested"))

    async def record_execution(self, execution: Execution) -> None:
        doc = execution.model_dump(exclude={"id", "counts"})
        doc.update(execution.counts.model_dump())
        await self.db.executions.replace_one({"_id": execution.id}, doc, upsert=True)

    async def finish_execution(
        self, execution_id: str, status: ExecutionStatus, note: str | None = None
    ) -> Execution:
        update: Doc = {"status": status.value, "finished_at": utcnow()}
        if note is not None:
            update["note"] = note
        await self.db.executions.update_one({"_id": execution_id}, {"$set": update})
        execution = await self.get_execution(execution_id)
        if execution is None:
            raise NotFoundError(f"Execution {execution_id} does not exist.")
        return execution

    async def interrupt_stale_executions(self, source: str) -> int:
        result = await self.db.executions.update_many(
            {"source": source, "status": ExecutionStatus.RUNNING.value},
            {
                "$set": {
                    "status": ExecutionStatus.INTERRUPTED.value,
                    "finished_at": utcnow(),
                    "note": "(process ended before finishing)",
                }
            },
        )
        return int(result.modified_count)

    async def get_execution(self, execution_id: str) -> Execution | None:
        doc = await self.db.executions.find_one({"_id": execution_id})
        return _execution(doc) if doc else None

    async def list_executions(self, limit: int = 20, source: str | None = None) -> list[Execution]:
        query = {"source": source} if source else {}
        cursor = (
            self.db.executions.find(query)
            .sort([("started_at", DESCENDING), ("_id", DESCENDING)])
            .limit(limit)
        )
        return [_execution(doc) async for doc in cursor]

    async def _add_counts(self, execution_id: str, counts: ExecutionCounts) -> None:
        await self.db.executions.update_one(
            {"_id": execution_id}, {"$inc": {name: getattr(counts, name) for name in COUNT_FIELDS}}
        )

    # writes -------------------------------------------------------------------------------
    def _atomic(self) -> AbstractAsyncContextManager[None]:
        # A standalone server has no multi-document transactions (see the module docstring).
        return nullcontext()

    async def record_errors(self, execution_id: str, errors: Sequence[ScrapeError]) -> None:
        if not errors:
            return
        await self.db.scrape_errors.insert_many([e.model_dump() for e in errors])
        await self._add_counts(execution_id, ExecutionCounts(errors=len(errors)))

    async def _plan(self, execution_id: str, product_ids: Sequence[str]) -> BatchPlan:
        ids = list(dict.fromkeys(product_ids))
        states: dict[str, StoredState] = {}
        histories: dict[str, list[tuple[datetime, Decimal]]] = {}
        async for doc in self.db.products.find(
            {"_id": {"$in": ids}}, {"data": 1, "content_hash": 1, "version": 1}
        ):
            product = Product.model_validate_json(doc["data"])
            states[product.id] = StoredState(product, doc["content_hash"], doc["version"])
        async for doc in self.db.price_observations.find(
            {"product_id": {"$in": ids}}, {"product_id": 1, "observed_at": 1, "price": 1}
        ).sort([("product_id", ASCENDING), ("observed_at", ASCENDING)]):
            price = decode_money(doc["price"])
            assert price is not None
            histories.setdefault(doc["product_id"], []).append(
                (to_utc_ms(doc["observed_at"]), price)
            )
        return BatchPlan(execution_id, states, histories)

    async def _apply(self, plan: BatchPlan) -> None:
        db = self.db
        if plan.products:
            await db.products.bulk_write(
                [
                    _product_write(
                        w.product, w.version, w.content_hash, w.content_changed, plan.execution_id
                    )
                    for w in plan.products.values()
                ],
                ordered=False,
            )
        if plan.versions:
            await db.product_versions.bulk_write(
                [
                    ReplaceOne(
                        {"_id": f"{v.product_id}#{v.version}"},
                        {
                            "product_id": v.product_id,
                            "version": v.version,
                            "content_hash": v.content_hash,
                            "data": v.product.model_dump_json(),
                            "valid_from": v.product.observed_at,
                            "execution_id": plan.execution_id,
                        },
                        upsert=True,
                    )
                    for v in plan.versions
                ],
                ordered=False,
            )
        history_ops: list[DeleteOne | ReplaceOne[Doc]] = []
        for (pid, at), obs in plan.observations.items():
            key = {"product_id": pid, "observed_at": at}
            if obs is None:
                history_ops.append(DeleteOne(key))
            else:
                history_ops.append(
                    ReplaceOne(
                        key,
                        {
                            **key,
                            "chain": pid.split(":", 1)[0],
                            "price": float(obs.price),
                            "reference_price": to_float(obs.reference_price),
                            "execution_id": plan.execution_id,
                        },
                        upsert=True,
                    )
                )
        if history_ops:
            await db.price_observations.bulk_write(history_ops, ordered=True)
        await self._add_counts(plan.execution_id, plan.counts)

    # reads --------------------------------------------------------------------------------
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

    async def list_errors(
        self, execution_id: str | None = None, chain: str | None = None, limit: int = 100
    ) -> list[ScrapeError]:
        query: Doc = {}
        if execution_id:
            query["execution_id"] = execution_id
        if chain:
            query["chain"] = chain
        cursor = self.db.scrape_errors.find(query, {"_id": 0}).sort("_id", ASCENDING).limit(limit)
        return [ScrapeError.model_validate(doc) async for doc in cursor]

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


def _product_write(
    product: Product, version: int, digest: str, content_changed: bool, execution_id: str
) -> UpdateOne:
    fields: Doc = {
        "chain": product.chain,
        "chain_product_id": product.chain_product_id,
        "name": product.name,
        "brand": product.brand,
        "ean": product.ean,
        "category": CATEGORY_SEP.join(product.category_path),
        "price": float(product.price),
        "reference_price": to_float(product.reference_price),
        "reference_unit": product.reference_unit.value if product.reference_unit else None,
        "data": product.model_dump_json(),
        "content_hash": digest,
        "version": version,
        "observed_at": product.observed_at,
        "last_execution_id": execution_id,
        "search_terms": sorted(_index_terms(product)),
    }
    if content_changed:
        fields["updated_at"] = product.observed_at
    return UpdateOne(
        {"_id": product.id},
        {"$set": fields, "$setOnInsert": {"first_seen_at": product.observed_at}},
        upsert=True,
    )


def _index_terms(product: Product) -> set[str]:
    text = " ".join(
        filter(
            None,
            [product.name, product.brand, " ".join(product.category_path), product.ingredients],
        )
    )
    return set(_WORD.findall(fold(text)))


def _rank(product: Product, terms: list[str]) -> tuple[int, int, str]:
    """Products whose name holds more of the words first, shorter names first, then by id."""
    name_words = _WORD.findall(fold(product.name))
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


def _execution(doc: Doc) -> Execution:
    return Execution(
        id=doc["_id"],
        source=doc["source"],
        kind=doc["kind"],
        started_at=doc["started_at"],
        finished_at=doc.get("finished_at"),
        status=ExecutionStatus(doc["status"]),
        counts=ExecutionCounts(**{name: doc.get(name, 0) for name in COUNT_FIELDS}),
        note=doc.get("note"),
    )
