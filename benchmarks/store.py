"""Store benchmark: import throughput and look-up latency, as ratios to same-run baselines.

    python benchmarks/store.py [--csv PATH] [--lookups 500] [--output FILE]

Import throughput is compared with just parsing the same file (the baseline: what reading
costs without storing); look-up latencies (by id, full-text, price history) with a primary-key
miss through the same connection (the baseline: one round trip). Single process, one thread.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as `python benchmarks/store.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import latencies_ms, machine, percentiles, print_table, write_results
from core.settings import Settings
from ingestion.importers import ReadContext, get_reader
from ingestion.imports import FileImport
from ingestion.sample import SAMPLE_CATALOGUE
from storage.factory import create_datalake
from storage.sqlite.store import SqliteProductStore

DEFAULT_CSV = (
    Path(__file__).resolve().parents[2] / "shared/data/consum_dia_supermercadosmas_2024-04.csv"
)


async def run(csv: Path, lookups: int, data_dir: Path) -> dict[str, object]:
    reader = get_reader("multichain-csv")
    start = time.perf_counter()
    parsed = sum(1 for _ in reader.read(csv, ReadContext()))
    parse_s = time.perf_counter() - start

    results: dict[str, object] = {"machine": machine(), "file": str(csv), "rows": parsed}
    imports = {}
    for label, lake in (("store + data lake (fsync)", True), ("store only", False)):
        settings = Settings(data_dir=data_dir / label.replace(" ", "_"))
        settings.datalake.enabled = lake
        store = SqliteProductStore(settings.sqlite_path)
        await store.initialize()
        job = FileImport(store, create_datalake(settings), settings.imports)
        start = time.perf_counter()
        summary = await job.run(reader, csv, ReadContext())
        seconds = time.perf_counter() - start
        imports[label] = {
            "seconds": round(seconds, 3),
            "products_per_s": round(summary.read / seconds, 1),
            "ratio_to_parse_only": round((summary.read / seconds) / (parsed / parse_s), 3),
        }
        if lake:
            kept = store
        else:
            await store.close()
    imports["parse only (baseline)"] = {
        "seconds": round(parse_s, 3),
        "products_per_s": round(parsed / parse_s, 1),
        "ratio_to_parse_only": 1.0,
    }
    results["import"] = imports

    store = kept
    sample = FileImport(store, None, Settings().imports)
    await sample.run(get_reader("jsonl"), SAMPLE_CATALOGUE, ReadContext())
    rng = random.Random(7)
    products = await store.list_products(limit=50_000)
    ids = [p.id for p in rng.sample(products, min(lookups, len(products)))]
    words = [
        " ".join(p.name.split()[:2]) for p in rng.sample(products, min(lookups, len(products)))
    ]
    with_history = [p.id for p in products if p.chain in ("mercadona", "alcampo", "carrefour")]
    history_ids = [rng.choice(with_history) for _ in range(lookups)] if with_history else ids

    baseline = percentiles(
        await latencies_ms(store.get_product, [f"x:{n}" for n in range(lookups)])
    )
    queries = {
        "id": percentiles(await latencies_ms(store.get_product, ids)),
        "full-text": percentiles(await latencies_ms(store.search, words)),
        "price history": percentiles(await latencies_ms(store.price_history, history_ids)),
    }
    for value in queries.values():
        value["ratio_p50_to_baseline"] = round(value["p50"] / baseline["p50"], 2)
    results["lookups_ms"] = {"primary-key miss (baseline)": baseline, **queries}
    results["products_in_store"] = len(products)
    await store.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--csv",
        type=Path,
        default=DEFAULT_CSV,
        help="multichain CSV to import (default: the 22,629-row reference file)",
    )
    parser.add_argument("--lookups", type=int, default=500)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    if not args.csv.is_file():
        parser.error(f"{args.csv} not found: pass --csv with a multichain-csv file")
    with tempfile.TemporaryDirectory() as tmp:
        results = asyncio.run(run(args.csv, args.lookups, Path(tmp)))
    imports = results["import"]
    assert isinstance(imports, dict)
    print_table(
        f"Import of {results['rows']:,} rows (1 thread)",
        ["mode", "seconds", "products/s", "x parse-only"],
        [
            (k, v["seconds"], v["products_per_s"], v["ratio_to_parse_only"])
            for k, v in imports.items()
        ],
    )
    lookups = results["lookups_ms"]
    assert isinstance(lookups, dict)
    print_table(
        f"Look-ups over {results['products_in_store']:,} products (ms)",
        ["query", "p50", "p95", "x baseline p50"],
        [(k, v["p50"], v["p95"], v.get("ratio_p50_to_baseline", 1.0)) for k, v in lookups.items()],
    )
    print(f"Results written to {write_results('store', results, args.output)}")


if __name__ == "__main__":
    main()
