"""Pure decisions shared by every store, made for a whole batch in memory.

A `BatchPlan` is given the stored state of the products a batch touches (current version,
content hash, price history) and the incoming products or dated prices; it decides what is new,
changed or the same, and which price observations to add or drop, so that the history of a
product stays a list of real price changes. Backends then apply the plan with a few bulk writes,
which keeps SQLite and MongoDB behaving identically and fast.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from core.domain import ExecutionCounts, PriceObservation, Product


@dataclass(frozen=True)
class StoredState:
    """What a store keeps about the current version of a product."""

    product: Product
    content_hash: str
    version: int


@dataclass
class ProductWrite:
    product: Product
    version: int
    content_hash: str
    content_changed: bool  # False: same content seen again, only observed_at moves


@dataclass(frozen=True)
class VersionWrite:
    product_id: str
    version: int
    content_hash: str
    product: Product


@dataclass(frozen=True)
class ObservationWrite:
    price: Decimal
    reference_price: Decimal | None


@dataclass
class BatchPlan:
    """Decisions for one batch; `apply` methods of the stores execute them."""

    execution_id: str
    states: dict[str, StoredState]
    histories: dict[str, list[tuple[datetime, Decimal]]]
    products: dict[str, ProductWrite] = field(default_factory=dict)
    versions: list[VersionWrite] = field(default_factory=list)
    observations: dict[tuple[str, datetime], ObservationWrite | None] = field(default_factory=dict)
    counts: ExecutionCounts = field(default_factory=ExecutionCounts)

    # products ----------------------------------------------------------------------------
    def upsert(self, product: Product) -> None:
        self.counts += ExecutionCounts(seen=1)
        state = self.states.get(product.id)
        if state is not None and product.observed_at < state.product.observed_at:
            # Older than what is stored: it only adds to the history.
            changed = self._observe(
                product.id, product.observed_at, product.price, product.reference_price
            )
            self.counts += ExecutionCounts(unchanged=1, price_changes=int(changed))
            return
        self._set_current(product)
        changed = self._observe(
            product.id, product.observed_at, product.price, product.reference_price
        )
        if state is None:
            self.counts += ExecutionCounts(new=1)
        elif self.products[product.id].content_changed:
            self.counts += ExecutionCounts(updated=1, price_changes=int(changed))
        else:
            self.counts += ExecutionCounts(unchanged=1)

    def observe_price(self, obs: PriceObservation) -> bool:
        """Merge a dated price of a stored product; False when the product is unknown."""
        state = self.states.get(obs.product_id)
        if state is None:
            return False
        current = state.product
        reference = obs.reference_price or rescale_reference_price(current, obs.price)
        changed = self._observe(obs.product_id, obs.observed_at, obs.price, reference)
        self.counts += ExecutionCounts(prices=1, price_changes=int(changed))
        if obs.observed_at < current.observed_at:
            return True  # only the history gains it
        updated = current.model_copy(
            update={
                "price": obs.price,
                "reference_price": reference,
                "observed_at": obs.observed_at,
            }
        )
        self._set_current(updated)
        return True

    def _set_current(self, product: Product) -> None:
        state = self.states.get(product.id)
        digest = product.content_hash()
        if state is None:
            version, content_changed = 1, True
        elif digest == state.content_hash:
            version, content_changed = state.version, False
        else:
            version, content_changed = state.version + 1, True
        pending = self.products.get(product.id)
        write = ProductWrite(
            product,
            version,
            digest,
            content_changed or (pending is not None and pending.content_changed),
        )
        self.products[product.id] = write
        self.states[product.id] = StoredState(product, digest, version)
        if content_changed:
            self.versions.append(VersionWrite(product.id, version, digest, product))

    # history -----------------------------------------------------------------------------
    def _observe(
        self, product_id: str, at: datetime, price: Decimal, reference: Decimal | None
    ) -> bool:
        """Put a dated price into the history; True when the history gains a change of price
        (an earlier price before the first point makes the first point a change too)."""
        points = self.histories.setdefault(product_id, [])
        changes_before = max(len(points) - 1, 0)  # every point after the first is a change
        index = bisect.bisect_right(points, at, key=lambda point: point[0])
        if index and points[index - 1] == (at, price):
            return False  # already recorded
        if index and points[index - 1][0] == at:
            # A different price at the very same instant corrects that observation.
            del points[index - 1]
            index -= 1
            self.observations[(product_id, at)] = None
        previous = points[index - 1] if index else None
        if previous is None or previous[1] != price:
            points.insert(index, (at, price))
            self.observations[(product_id, at)] = ObservationWrite(price, reference)
            index += 1
        following = points[index] if index < len(points) else None
        if following is not None and following[1] == price:
            # The next observation repeats this price: it is no longer a change.
            del points[index]
            self.observations[(product_id, following[0])] = None
        return max(len(points) - 1, 0) > changes_before


def rescale_reference_price(product: Product, new_price: Decimal) -> Decimal | None:
    """Keep EUR/kg consistent when only the package price of a known product changes."""
    if product.reference_price is None:
        return None
    scaled = product.reference_price * new_price / product.price
    return scaled.quantize(Decimal("0.01"))
