"""The bundled sample catalogue is realistic enough for the demo and reproducible."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter, defaultdict

from core.allergens import Allergen, AllergenStatus
from core.domain import Product
from ingestion.sample import SAMPLE_CATALOGUE
from ingestion.sample.generate import generate


def _records() -> list[dict[str, object]]:
    with open(SAMPLE_CATALOGUE, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def test_committed_catalogue_is_what_the_generator_writes() -> None:
    assert _records() == json.loads(json.dumps(generate(), ensure_ascii=False))


def test_catalogue_covers_chains_comparisons_allergens_and_price_changes() -> None:
    records = _records()
    products = [
        Product.model_validate({k: v for k, v in r.items() if k != "price_history"})
        for r in records
    ]

    assert 300 <= len(products) <= 1000
    chains = Counter(p.chain for p in products)
    assert {"mercadona", "dia", "consum", "alcampo"} <= set(chains)
    assert all(n >= 50 for n in chains.values())
    by_ean: dict[str, set[str]] = defaultdict(set)
    for p in products:
        assert p.ean and p.brand and p.category_path and p.reference_price and p.unit_size
        by_ean[p.ean].add(p.chain)
    assert sum(len(c) >= 3 for c in by_ean.values()) >= 30  # one product, several chains
    assert {p.allergens.status(Allergen.GLUTEN) for p in products} == set(AllergenStatus)
    assert sum(p.allergens.is_unknown for p in products) >= 20  # missing data, as in reality
    assert sum(bool(p.allergens.traces) for p in products) >= 20
    assert sum(p.nutrition is not None for p in products) >= 200
    changed = [r for r in records if r.get("price_history")]
    assert len(changed) >= len(records) // 4


def test_content_hash_is_the_same_in_every_process() -> None:
    """Set-valued fields must not make a re-import look like a change in another process."""
    code = (
        "import json; from core.domain import Product; from core.allergens import Allergen as A;"
        "p = Product(chain='dia', chain_product_id='1', name='x', price='1', "
        "observed_at='2026-11-01', allergens={'contains': list(A), 'traces': ['soy', 'milk'], "
        "'declared': True}); print(p.content_hash())"
    )
    hashes = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={"PYTHONHASHSEED": seed, "PATH": ""},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(hashes) == 1
