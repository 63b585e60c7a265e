"""The write path both stores share: plan a batch in memory, then apply it in one go.

A backend provides the two loads a plan starts from (`_stored_states`: the current version of
each product; `_price_histories`: their dated prices), `_apply` (write a plan) and `_atomic`
(its transaction, where it has one); the decisions live in `BatchPlan`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from decimal import Decimal

from core.domain import ExecutionCounts, PriceObservation, Product
from storage.versioning import BatchPlan, StoredState

History = list[tuple[datetime, Decimal]]  # a product's dated prices, oldest first


class BatchedWrites(ABC):
    @abstractmethod
    async def _stored_states(self, product_ids: list[str]) -> dict[str, StoredState]: ...

    @abstractmethod
    async def _price_histories(self, product_ids: list[str]) -> dict[str, History]: ...

    @abstractmethod
    async def _apply(self, plan: BatchPlan) -> None: ...

    @abstractmethod
    def _atomic(self) -> AbstractAsyncContextManager[object]: ...

    @abstractmethod
    async def get_products(self, product_ids: Sequence[str]) -> dict[str, Product]: ...

    async def _plan(self, execution_id: str, product_ids: Sequence[str]) -> BatchPlan:
        """Load what the batch needs to decide: current states and price histories."""
        ids = list(dict.fromkeys(product_ids))
        states = await self._stored_states(ids)
        return BatchPlan(execution_id, states, await self._price_histories(ids))

    async def upsert_products(
        self, execution_id: str, products: Sequence[Product]
    ) -> ExecutionCounts:
        async with self._atomic():
            plan = await self._plan(execution_id, [p.id for p in products])
            for product in products:
                plan.upsert(product)
            await self._apply(plan)
        return plan.counts

    async def add_price_observations(
        self, execution_id: str, observations: Sequence[PriceObservation]
    ) -> ExecutionCounts:
        async with self._atomic():
            plan = await self._plan(execution_id, [o.product_id for o in observations])
            for obs in sorted(observations, key=lambda o: o.observed_at):
                plan.observe_price(obs)
            await self._apply(plan)
        return plan.counts

    async def get_product(self, product_id: str) -> Product | None:
        return (await self.get_products([product_id])).get(product_id)
