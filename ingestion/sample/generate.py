"""Generates the bundled sample catalogue (`catalogue.jsonl`): realistic, invented, reproducible.

Run `python -m ingestion.sample.generate` to rewrite it. Products are made up from typical
Spanish supermarket goods (store brands per chain plus national brands sold, with one EAN, in
several chains), with realistic sizes, prices per kg/l, ingredients, allergen statements (some
deliberately missing, as in real scraped data) and eight weeks of weekly prices with real-looking
changes (olive oil and milk rise in November). No retailer data is copied.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from ingestion.allergens import parse_allergens
from ingestion.sample import SAMPLE_CATALOGUE

CHAINS = {  # chain: (store brand, price level, EAN company prefix)
    "mercadona": ("Hacendado", 1.00, "8480000"),
    "dia": ("Dia", 0.97, "8480017"),
    "consum": ("Consum", 1.05, "8420926"),
    "alcampo": ("Auchan", 0.99, "3245678"),
    "carrefour": ("Carrefour", 1.02, "8431876"),
}
LAST_DAY = datetime(2026, 11, 20, tzinfo=UTC)
WEEKS = 8


@dataclass(frozen=True)
class Item:
    """A kind of product: what every chain's version of it has in common."""

    key: str
    category: tuple[str, ...]
    name: str
    size: float
    unit: str  # kg, l or ud
    per_unit: float  # typical store-brand EUR per kg/l/ud
    packaging: str
    ingredients: str | None = None
    allergens: str | None = None  # the label statement; None: the source has none
    mentions: str | None = None
    nutrition: tuple[float, ...] | None = None  # kcal, fat, sat, carbs, sugars, protein, salt
    national: tuple[tuple[str, float], ...] = ()  # (brand, price premium over store brand)
    trend: float = 0.0  # drift over the eight weeks (0.08 = +8 %)


ITEMS_FILE = Path(__file__).with_name("items.json")


def load_items(path: Path = ITEMS_FILE) -> list[Item]:
    """The kinds of product the catalogue is made of (a data file, easy to extend)."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    return [
        Item(
            **{
                **row,
                "category": tuple(row["category"]),
                "nutrition": tuple(row["nutrition"]) if row.get("nutrition") else None,
                "national": tuple(tuple(brand) for brand in row.get("national", ())),
            }
        )
        for row in rows
    ]


def _ean(prefix: str, serial: int) -> str:
    digits = f"{prefix}{serial:05d}"[:12].ljust(12, "0")
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return digits + str((10 - total % 10) % 10)


def _money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _shelf_price(value: float) -> Decimal:
    """Prices end in 5 or 9 cents more often than not, as on real shelves."""
    cents = round(value * 100)
    if cents > 100:
        cents = cents - cents % 10 + (5 if cents % 10 < 7 else 9)
    return Decimal(cents) / 100


def _history(rng: random.Random, start: Decimal, trend: float) -> list[tuple[datetime, Decimal]]:
    """Weekly prices, oldest first, keeping only the weeks where the price changed."""
    price = start
    points = [(LAST_DAY - timedelta(weeks=WEEKS), price)]
    change_weeks = set(rng.sample(range(1, WEEKS + 1), k=rng.choice((0, 0, 0, 1, 1, 2))))
    if trend:
        change_weeks |= {WEEKS - 2, WEEKS}
    for week in range(1, WEEKS + 1):
        if week not in change_weeks:
            continue
        step = trend / 2 if trend and week >= WEEKS - 2 else rng.uniform(-0.12, 0.12)
        new = _shelf_price(float(price) * (1 + step))
        if new != price and new > 0:
            price = new
            points.append((LAST_DAY - timedelta(weeks=WEEKS - week), price))
    return points


def _record(
    rng: random.Random,
    item: Item,
    chain: str,
    product_id: str,
    brand: str,
    ean: str,
    per_unit: float,
) -> dict[str, object]:
    size = item.size
    price = _shelf_price(per_unit * size * rng.uniform(0.96, 1.04))
    history = _history(rng, price, item.trend)
    final = history[-1][1]
    ref = _money(float(final) / size)
    drops_allergens = chain in ("alcampo", "carrefour") and rng.random() < 0.3
    record: dict[str, object] = {
        "chain": chain,
        "chain_product_id": product_id,
        "name": f"{item.name} {brand}",
        "brand": brand,
        "ean": ean,
        "category_path": list(item.category),
        "price": str(final),
        "reference_price": str(ref),
        "reference_unit": item.unit,
        "unit_size": size,
        "size_unit": item.unit,
        "packaging": item.packaging,
        "url": f"https://example.org/supersmart-sample/{chain}/{product_id}",
        "observed_at": LAST_DAY.isoformat(),
    }
    if item.ingredients:
        record["ingredients"] = item.ingredients
    if not drops_allergens and (item.allergens or item.mentions):
        info = parse_allergens(item.allergens, claims=(item.mentions, item.ingredients))
        record["allergens"] = info.model_dump(mode="json", exclude_none=True)
    if item.nutrition:
        keys = (
            "energy_kcal",
            "fat_g",
            "saturated_fat_g",
            "carbohydrates_g",
            "sugars_g",
            "protein_g",
            "salt_g",
        )
        record["nutrition"] = dict(zip(keys, item.nutrition, strict=True))
    record["price_history"] = [
        {
            "observed_at": at.isoformat(),
            "price": str(p),
            "reference_price": str(_money(float(p) / size)),
        }
        for at, p in history[:-1]
    ]
    return record


def generate(seed: int = 2026) -> list[dict[str, object]]:
    rng = random.Random(seed)
    records = []
    for number, item in enumerate(load_items(), start=1):
        for chain, (store_brand, level, prefix) in CHAINS.items():
            if rng.random() < 0.12:  # not every chain carries every store-brand product
                continue
            records.append(
                _record(
                    rng,
                    item,
                    chain,
                    f"{number:03d}{rng.randint(100, 999)}",
                    store_brand,
                    _ean(prefix, number * 10 + 1),
                    item.per_unit * level,
                )
            )
        for brand_number, (brand, premium) in enumerate(item.national, start=1):
            ean = _ean("84" + f"{abs(hash_brand(brand)) % 100000:05d}", number * 10 + brand_number)
            for chain, (_, level, _) in CHAINS.items():
                if rng.random() < 0.25:
                    continue
                records.append(
                    _record(
                        rng,
                        item,
                        chain,
                        f"{number:03d}{brand_number}{rng.randint(100, 999)}",
                        brand,
                        ean,
                        item.per_unit * premium * level,
                    )
                )
    return records


def hash_brand(brand: str) -> int:
    """A stable (not per-process randomised) number for a brand name."""
    return sum((i + 1) * ord(ch) for i, ch in enumerate(brand))


def main(output: Path = SAMPLE_CATALOGUE, seed: int = 2026) -> None:
    records = generate(seed)
    with open(output, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    chains = {str(r["chain"]) for r in records}
    print(f"Wrote {len(records)} products in {len(chains)} chains to {output}")


if __name__ == "__main__":
    main()
