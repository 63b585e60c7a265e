"""Scrape benchmark against the local test shop: sequential vs concurrent runner, and the
browser (Playwright + chromium) vs plain HTTP for rendered pages, as ratios in one run.

    python benchmarks/scrape.py [--products 40] [--latency-ms 20] [--output FILE]

The shop adds a fixed latency to every response (a stand-in for the network), so the ratio
shows what concurrency buys; politeness delays are off. Single event loop, one process.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as `python benchmarks/scrape.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import machine, print_table, write_results
from core.settings import ScrapeSettings
from ingestion.scrape_job import ScrapeJob
from ingestion.testshop import ShopState, TestShop
from storage.sqlite.store import SqliteProductStore

JSON_CHAINS = ["mercadona", "dia", "consum", "alcampo"]


async def _timed(
    shop: TestShop, chains: list[str], settings: ScrapeSettings, folder: Path
) -> tuple[float, int, int]:
    store = SqliteProductStore(folder / "store.db")
    await store.initialize()
    async with ScrapeJob(store, None, settings, folder / "scrape.lock") as job:
        start = time.perf_counter()
        runs = await job.run(chains, {c: shop.url(c) for c in chains})
        seconds = time.perf_counter() - start
        pages = job._browser.stats.requests if job._browser else job._http.stats.requests
    await store.close()
    return seconds, sum(r.products for r in runs), pages


async def run(products: int, latency_ms: int, tmp: Path) -> dict[str, object]:
    state = ShopState(products_per_chain=products)
    state.latency_s = latency_ms / 1000
    base = ScrapeSettings(delay_s=0, respect_robots=True, render_pages=False)
    cases = {
        "JSON chains, sequential (baseline)": (
            JSON_CHAINS,
            base.model_copy(update={"concurrency": 1}),
        ),
        "JSON chains, concurrent (4)": (JSON_CHAINS, base.model_copy(update={"concurrency": 4})),
        "Carrefour pages, plain HTTP (baseline)": (
            ["carrefour"],
            base.model_copy(update={"concurrency": 4}),
        ),
        "Carrefour pages, Playwright (4 pages)": (
            ["carrefour"],
            base.model_copy(update={"concurrency": 4, "render_pages": True}),
        ),
    }
    results: dict[str, dict[str, float]] = {}
    with TestShop(state) as shop:
        for number, (label, (chains, settings)) in enumerate(cases.items()):
            folder = tmp / str(number)
            folder.mkdir()
            seconds, stored, pages = await _timed(shop, chains, settings, folder)
            results[label] = {
                "seconds": round(seconds, 3),
                "products": stored,
                "products_per_s": round(stored / seconds, 1),
                "pages_per_s": round(pages / seconds, 1),
            }
    pairs = (
        ("JSON chains, concurrent (4)", "JSON chains, sequential (baseline)"),
        ("Carrefour pages, Playwright (4 pages)", "Carrefour pages, plain HTTP (baseline)"),
    )
    for case, baseline in pairs:
        results[case]["ratio_to_baseline"] = round(
            results[case]["products_per_s"] / results[baseline]["products_per_s"], 2
        )
        results[baseline]["ratio_to_baseline"] = 1.0
    return {
        "machine": machine(),
        "products_per_chain": products,
        "latency_ms": latency_ms,
        "cases": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=40, help="products per chain")
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = asyncio.run(run(args.products, args.latency_ms, Path(tmp)))
    cases = results["cases"]
    assert isinstance(cases, dict)
    print_table(
        f"Scraping the test shop ({args.products} products/chain, {args.latency_ms} ms latency)",
        ["case", "seconds", "products", "products/s", "pages/s", "x baseline"],
        [
            (
                k,
                v["seconds"],
                v["products"],
                v["products_per_s"],
                v["pages_per_s"],
                v["ratio_to_baseline"],
            )
            for k, v in cases.items()
        ],
    )
    print(f"Results written to {write_results('scrape', results, args.output)}")


if __name__ == "__main__":
    main()
