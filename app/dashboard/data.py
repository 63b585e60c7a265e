"""What the operator dashboard shows, gathered from the store, the run records, the index and
the adapter registry. Pure reads: nothing here changes anything."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from core.domain import Execution, Product, ScrapeError, utcnow
from core.settings import Settings
from finetune.registry import AdapterRegistry, AdapterVersion, shipped_adapter
from retrieval.index import Manifest, current_version, list_versions
from storage.base import CatalogueReader, ChainStats, ErrorLog, PriceChange, ProductStore


@dataclass(frozen=True)
class PriceMove:
    product: Product
    before: Decimal
    after: Decimal
    at: datetime

    @property
    def change(self) -> float:
        return float((self.after - self.before) / self.before)


@dataclass(frozen=True)
class ChainSummary:
    chain: str
    stats: ChainStats | None
    last: Execution | None
    categories: list[tuple[str, int]]


async def chains(store: CatalogueReader, executions: list[Execution]) -> list[ChainSummary]:
    stats = {s.chain: s for s in await store.stats()}
    last: dict[str, Execution] = {}
    for execution in executions:  # newest first
        if execution.kind == "scrape":
            last.setdefault(execution.source, execution)
    per_chain: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for category in await store.categories():
        if category.path:
            per_chain[category.chain][category.path[0]] += category.products
    names = sorted(set(stats) | set(last))
    return [
        ChainSummary(
            name,
            stats.get(name),
            last.get(name),
            sorted(per_chain[name].items(), key=lambda kv: -kv[1])[:8],
        )
        for name in names
    ]


def errors_per_day(executions: list[Execution], days: int = 30) -> dict[str, dict[str, int]]:
    """Scrape errors per chain per day (the site-change signal), from the execution counts."""
    since = utcnow() - timedelta(days=days)
    table: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for execution in executions:
        if execution.kind == "scrape" and execution.started_at >= since:
            day = execution.started_at.date().isoformat()
            table[execution.source][day] += execution.counts.errors
    return {chain: dict(days_) for chain, days_ in table.items()}


async def latest_errors(
    store: ErrorLog, executions: list[Execution], limit: int = 12
) -> list[ScrapeError]:
    found: list[ScrapeError] = []
    for execution in executions:
        if execution.counts.errors and len(found) < limit:
            found.extend(await store.list_errors(execution_id=execution.id, limit=limit))
    return sorted(found, key=lambda e: e.occurred_at, reverse=True)[:limit]


async def price_moves(
    store: CatalogueReader, days: int = 7
) -> tuple[list[PriceMove], list[PriceMove]]:
    """The largest rises and falls (by share of the old price) of the last `days` days."""
    changes = await store.price_changes(utcnow() - timedelta(days=days))
    latest: dict[str, PriceChange] = {}
    for change in changes:  # newest first: a product's latest move in the window
        latest.setdefault(change.product_id, change)

    def share(c: PriceChange) -> Decimal:
        return (c.after - c.before) / c.before

    ranked = sorted(latest.values(), key=share)
    falls = [c for c in ranked[:10] if c.after < c.before]
    rises = [c for c in reversed(ranked[-10:]) if c.after > c.before]
    products = await store.get_products([c.product_id for c in rises + falls])

    def moves(chosen: list[PriceChange]) -> list[PriceMove]:
        return [
            PriceMove(products[c.product_id], c.before, c.after, c.at)
            for c in chosen
            if c.product_id in products
        ]

    return moves(rises), moves(falls)


@dataclass(frozen=True)
class Versions:
    index: list[Manifest]
    index_current: str | None
    adapters: list[AdapterVersion]
    adapter_current: str | None  # version name, "none", or None for the shipped default
    shipped: str | None
    promotions: list[dict[str, Any]]
    evaluations: list[dict[str, Any]]  # `supersmart eval` reports: set, date, right per answerer


def versions(settings: Settings) -> Versions:
    registry = AdapterRegistry(settings.data_dir / "adapters")
    shipped = shipped_adapter()
    return Versions(
        index=list_versions(settings.index_path),
        index_current=current_version(settings.index_path),
        adapters=list(reversed(registry.versions())),
        adapter_current=registry.current_name(),
        shipped=str(shipped.parent.name) if shipped else None,
        promotions=list(reversed(registry.history()))[:10],
        evaluations=evaluation_reports(settings),
    )


def evaluation_reports(settings: Settings) -> list[dict[str, Any]]:
    """The last `supersmart eval` report of each question set, in short."""
    found = []
    for path in sorted((settings.data_dir / "eval").glob("*/report/results.json")):
        try:
            results = json.loads(path.read_text(encoding="utf-8"))
            retrieval = results.get("retrieval") or [{}]
            found.append(
                {
                    "set": path.parent.parent.name,
                    "generated": results["meta"].get("generated", ""),
                    "questions": results["meta"].get("question_count"),
                    "right": {
                        name: answerer["metrics"]["right"]
                        for name, answerer in results["answerers"].items()
                    },
                    "recall_at_5": retrieval[0].get("recall_at_5"),
                }
            )
        except (OSError, ValueError, KeyError):  # a report being written, or an older format
            continue
    return found


async def gather(settings: Settings, store: ProductStore) -> dict[str, Any]:
    executions = await store.list_executions(limit=300)
    (rises, falls), summaries, errors = await asyncio.gather(
        price_moves(store), chains(store, executions), latest_errors(store, executions)
    )
    return {
        "executions": executions[:40],
        "chains": summaries,
        "errors_per_day": errors_per_day(executions),
        "latest_errors": errors,
        "rises": rises,
        "falls": falls,
        "versions": versions(settings),
    }
