"""A local test shop: each chain's API and page shapes for a few dozen products, served on
127.0.0.1, able to misbehave on demand. Tests, benchmarks and users (`supersmart testshop`)
scrape it instead of the real sites."""

from ingestion.testshop.server import TestShop
from ingestion.testshop.state import FAULTS, Fault, ShopState

__all__ = ["FAULTS", "Fault", "ShopState", "TestShop"]
