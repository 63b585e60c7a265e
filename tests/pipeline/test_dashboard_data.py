"""What the dashboard computes: the week's largest price moves, errors per chain per day, and
charts that carry every value they draw."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from app.dashboard import data
from core import charts
from core.domain import ExecutionCounts, PriceObservation, utcnow
from storage.sqlite.store import SqliteProductStore
from tests.factories import make_product


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteProductStore]:
    backend = SqliteProductStore(tmp_path / "store.db")
    await backend.initialize()
    yield backend
    await backend.close()


async def test_price_moves_rank_the_weeks_rises_and_falls(store: SqliteProductStore) -> None:
    now = utcnow()
    run = (await store.start_execution("dia", "scrape")).id
    ids = {"a": "1.00", "b": "2.00", "c": "4.00", "old": "1.00"}
    await store.upsert_products(
        run,
        [
            make_product(chain_product_id=k, price=Decimal(p), observed_at=now - timedelta(30))
            for k, p in ids.items()
        ],
    )

    def price(key: str, value: str, days_ago: float) -> PriceObservation:
        return PriceObservation(
            product_id=f"mercadona:{key}",
            price=Decimal(value),
            observed_at=now - timedelta(days=days_ago),
        )

    await store.add_price_observations(
        run,
        [
            price("a", "1.10", 3),  # +10 %
            price("a", "1.50", 1),  # then +36 %: the latest move counts
            price("b", "2.20", 2),  # +10 %
            price("c", "3.00", 1),  # -25 %
            price("old", "9.00", 20),  # outside the week
        ],
    )
    rises, falls = await data.price_moves(store, days=7)
    assert [(m.product.chain_product_id, m.before, m.after) for m in rises] == [
        ("a", Decimal("1.10"), Decimal("1.50")),
        ("b", Decimal("2.00"), Decimal("2.20")),
    ]
    assert [(m.product.chain_product_id, round(m.change, 2)) for m in falls] == [("c", -0.25)]


async def test_errors_per_day_sum_each_chains_scrape_errors(store: SqliteProductStore) -> None:
    first = await store.start_execution("dia", "scrape")
    second = await store.start_execution("dia", "scrape")
    other = await store.start_execution("import:jsonl", "import")
    executions = [
        e.model_copy(update={"counts": ExecutionCounts(errors=n)})
        for e, n in ((first, 2), (second, 3), (other, 7))
    ]
    today = utcnow().date().isoformat()
    assert data.errors_per_day(executions) == {"dia": {today: 5}}  # imports are not scrapes


def test_charts_carry_every_value() -> None:
    now = utcnow()
    series = charts.Series("Leche", [(now - timedelta(days=9), 1.35), (now, 1.45)])
    svg = charts.line_chart([series], "Precio", unit=" €", step=True, ymin_zero=False)
    assert svg.count('class="point"') == 2 and "1,45 €" in svg and "1,35 €" in svg
    assert "<script" not in svg and "http" not in svg.replace("http://www.w3.org/2000/svg", "")
    bars = charts.bar_chart(["dia", "consum"], [85, 90], "Productos")
    assert bars.count('class="bar"') == 2 and "consum: 90" in bars
    assert "sin datos" in charts.line_chart([], "Errores")
