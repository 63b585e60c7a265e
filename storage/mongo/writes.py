"""The MongoDB catalogue's write path: the same `BatchPlan` as SQLite, applied with bulk writes.

A standalone server has no multi-document transactions, so a batch is written products first,
history next, counters last: an interrupted batch is completed by re-running the import (every
write is an idempotent upsert).
"""

from __future__ import annotations

import re
from contextlib import AbstractAsyncContextManager, nullcontext

from pymongo import ASCENDING, DeleteOne, ReplaceOne, UpdateOne

from core.domain import Product, to_utc_ms
from core.text import fold
from storage.batching import BatchedWrites, History
from storage.codec import CATEGORY_SEP, decode_price, to_float
from storage.mongo.connection import Doc, MongoPart
from storage.mongo.executions import add_counts
from storage.versioning import BatchPlan, StoredState

WORD = re.compile(r"[0-9a-z]+")


class MongoCatalogueWrites(MongoPart, BatchedWrites):
    def _atomic(self) -> AbstractAsyncContextManager[object]:
        return nullcontext()  # no multi-document transactions (see the module docstring)

    async def _stored_states(self, product_ids: list[str]) -> dict[str, StoredState]:
        states: dict[str, StoredState] = {}
        async for doc in self.db.products.find(
            {"_id": {"$in": product_ids}}, {"data": 1, "content_hash": 1, "version": 1}
        ):
            product = Product.model_validate_json(doc["data"])
            states[product.id] = StoredState(product, doc["content_hash"], doc["version"])
        return states

    async def _price_histories(self, product_ids: list[str]) -> dict[str, History]:
        histories: dict[str, History] = {}
        async for doc in self.db.price_observations.find(
            {"product_id": {"$in": product_ids}}, {"product_id": 1, "observed_at": 1, "price": 1}
        ).sort([("product_id", ASCENDING), ("observed_at", ASCENDING)]):
            histories.setdefault(doc["product_id"], []).append(
                (to_utc_ms(doc["observed_at"]), decode_price(doc["price"]))
            )
        return histories

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
        await add_counts(db, plan.execution_id, plan.counts)


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
    return set(WORD.findall(fold(text)))
