"""What the test shop sells and how it should misbehave."""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from core.chains import SCRAPED
from core.domain import Product
from ingestion.sample import SAMPLE_CATALOGUE

FAULTS = {
    "missing_price": "the product's price field is left out",
    "renamed_field": "the price block is sent under another name",
    "malformed_json": "the body is cut in half",
    "no_product_block": "a page without the product (HTML without its state, JSON without data)",
    "server_error": "HTTP 500",
    "rate_limit": "HTTP 429 with Retry-After: 1",
    "hang": "the response never comes (the client times out)",
}
CHAINS = SCRAPED  # the test shop serves every chain a scraper reads


@dataclass
class Fault:
    kind: str
    times: int | None = None  # None: every request; n: the next n requests, then behave

    def take(self) -> bool:
        if self.times is None:
            return True
        if self.times <= 0:
            return False
        self.times -= 1
        return True


class ShopState:
    """Thread-safe: the HTTP server reads it while tests and admin requests change it."""

    def __init__(self, products_per_chain: int = 30, source: Path = SAMPLE_CATALOGUE) -> None:
        self._lock = threading.Lock()
        self.products: dict[str, dict[str, Product]] = {chain: {} for chain in CHAINS}
        with open(source, encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                record.pop("price_history", None)
                product = Product.model_validate(record)
                shelf = self.products.setdefault(product.chain, {})
                if len(shelf) < products_per_chain:
                    shelf[product.chain_product_id] = product
        self._faults: dict[tuple[str, str], Fault] = {}
        self.requests: defaultdict[str, int] = defaultdict(int)
        self.log: list[tuple[float, str]] = []  # (time.monotonic(), path) of every request
        self.user_agents: set[str] = set()
        self.in_flight = 0
        self.max_in_flight = 0  # the most requests served at once: shows a client's politeness
        # per host as the client named it (the Host header, host:port): the per-host cap as a
        # site sees it, and the most hosts busy at the same moment (chains scraped together)
        self.in_flight_by_host: defaultdict[str, int] = defaultdict(int)
        self.max_in_flight_by_host: dict[str, int] = {}
        self.max_hosts_busy = 0
        self.latency_s = 0.0
        self.hang_s = 30.0

    def set_fault(self, chain: str, target: str, kind: str, times: int | None = None) -> None:
        """`target` is a product id, or 'listing' for the chain's product listing."""
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}; one of {', '.join(FAULTS)}")
        with self._lock:
            self._faults[(chain, target)] = Fault(kind, times)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def fault_for(self, chain: str, target: str) -> str | None:
        with self._lock:
            fault = self._faults.get((chain, target))
            return fault.kind if fault is not None and fault.take() else None

    def set_price(self, chain: str, product_id: str, price: Decimal) -> None:
        with self._lock:
            product = self.products[chain][product_id]
            ratio = price / product.price
            reference = (
                (product.reference_price * ratio).quantize(Decimal("0.01"))
                if (product.reference_price)
                else None
            )
            self.products[chain][product_id] = product.model_copy(
                update={"price": price, "reference_price": reference}
            )

    def shelf(self, chain: str) -> list[Product]:
        with self._lock:
            return list(self.products.get(chain, {}).values())

    def product(self, chain: str, product_id: str) -> Product | None:
        with self._lock:
            return self.products.get(chain, {}).get(product_id)

    def begin(self, path: str, user_agent: str, host: str = "") -> None:
        with self._lock:
            self.requests[path] += 1
            self.log.append((time.monotonic(), path))
            self.user_agents.add(user_agent)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.in_flight_by_host[host] += 1
            self.max_in_flight_by_host[host] = max(
                self.max_in_flight_by_host.get(host, 0), self.in_flight_by_host[host]
            )
            busy = sum(1 for n in self.in_flight_by_host.values() if n)
            self.max_hosts_busy = max(self.max_hosts_busy, busy)

    def end(self, host: str = "") -> None:
        with self._lock:
            self.in_flight -= 1
            self.in_flight_by_host[host] -= 1
