"""Scrape benchmark against the local test shop: the concurrent runner vs the sequential one,
and the browser (Playwright + chromium) vs plain HTTP for rendered pages, as ratios in one run.

    python benchmarks/scrape.py [--products 40] [--latency-ms 20] [--output FILE]

The shop adds a fixed latency to every response (a stand-in for the network) and serves each
chain on its own host (127.0.0.1, a port per chain), as the real chains have their own sites.
Politeness limits in force, the same in every case: at most `concurrency` requests in flight per
host (1 for the baseline, 4 otherwise), robots.txt read and honoured, Retry-After honoured (the
shop sends none here); the pause between requests to a host (`delay_s`) is 0, so the ratio shows
what the runner's own scheduling buys rather than how long it sleeps.

- baseline, "sequential": one request at a time per host and one chain after another (a run per
  chain), which is how the runner scraped before chains ran side by side;
- "concurrent": the runner as shipped, every chain at once, 4 requests in flight per host; the
  target (issue #19) is >= 4x the baseline, written under "targets" in the JSON;
- the same with every chain on one host: the per-host cap is shared, so this shows that the gain
  comes from more hosts, not from more requests to one site.

The last two columns are what the shop saw: the most requests in flight to one host, and the
most hosts served at the same moment. Single event loop, one process (the shop's threads too).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as `python benchmarks/scrape.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import machine, print_table, print_targets, target, write_results
from core.settings import ScrapeSettings
from ingestion.scrape_job import ScrapeJob
from ingestion.testshop import ShopState, TestShop
from storage.sqlite.store import SqliteProductStore

JSON_CHAINS = ["mercadona", "dia", "consum", "alcampo"]
BASELINE = "JSON chains, sequential (baseline)"
CONCURRENT = "JSON chains, concurrent (4/host)"
ONE_HOST = "JSON chains, concurrent (4/host), one host"
TARGET = 4.0


@dataclass(frozen=True)
class Case:
    chains: list[str]
    settings: ScrapeSettings
    one_chain_at_a_time: bool = False
    one_host: bool = False


async def _timed(shop: TestShop, case: Case, folder: Path) -> tuple[float, int, int]:
    store = SqliteProductStore(folder / "store.db")
    await store.initialize()
    urls = {c: shop.url(c) for c in case.chains}
    async with ScrapeJob(store, None, case.settings, folder / "scrape.lock") as job:
        start = time.perf_counter()
        if case.one_chain_at_a_time:
            runs = [run for chain in case.chains for run in await job.run([chain], urls)]
        else:
            runs = await job.run(case.chains, urls)
        seconds = time.perf_counter() - start
        pages = job._browser.stats.requests if job._browser else job._http.stats.requests
    await store.close()
    return seconds, sum(r.products for r in runs), pages


async def run(products: int, latency_ms: int, tmp: Path) -> dict[str, object]:
    base = ScrapeSettings(delay_s=0, respect_robots=True, render_pages=False, concurrency=4)
    cases = {
        BASELINE: Case(JSON_CHAINS, base.model_copy(update={"concurrency": 1}), True),
        CONCURRENT: Case(JSON_CHAINS, base),
        ONE_HOST: Case(JSON_CHAINS, base, one_host=True),
        "Carrefour pages, plain HTTP (baseline)": Case(["carrefour"], base),
        "Carrefour pages, Playwright (4 pages)": Case(
            ["carrefour"], base.model_copy(update={"render_pages": True})
        ),
    }
    results: dict[str, dict[str, float]] = {}
    for number, (label, case) in enumerate(cases.items()):
        folder = tmp / str(number)
        folder.mkdir()
        state = ShopState(products_per_chain=products)
        state.latency_s = latency_ms / 1000
        with TestShop(state, host_per_chain=not case.one_host) as shop:
            seconds, stored, pages = await _timed(shop, case, folder)
        results[label] = {
            "seconds": round(seconds, 3),
            "products": stored,
            "products_per_s": round(stored / seconds, 1),
            "pages_per_s": round(pages / seconds, 1),
            "max_in_flight_per_host": max(state.max_in_flight_by_host.values()),
            "max_hosts_at_once": state.max_hosts_busy,
        }
    pairs = (
        (CONCURRENT, BASELINE),
        (ONE_HOST, BASELINE),
        ("Carrefour pages, Playwright (4 pages)", "Carrefour pages, plain HTTP (baseline)"),
    )
    for case_name, baseline in pairs:
        results[case_name]["ratio_to_baseline"] = round(
            results[case_name]["products_per_s"] / results[baseline]["products_per_s"], 2
        )
        results[baseline]["ratio_to_baseline"] = 1.0
    ratio = results[CONCURRENT]["ratio_to_baseline"]
    return {
        "machine": machine(),
        "products_per_chain": products,
        "latency_ms": latency_ms,
        "politeness": {
            "concurrency_per_host": {"baseline": 1, "others": base.concurrency},
            "delay_s": base.delay_s,
            "respect_robots": base.respect_robots,
        },
        "cases": results,
        "targets": [
            target(
                "scraper, 4 chains on their own hosts",
                ratio,
                TARGET,
                f"sequential {results[BASELINE]['products_per_s']:.0f} products/s",
                f"{results[CONCURRENT]['products_per_s']:.0f} products/s",
                higher_is_better=True,
            )
        ],
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
        [
            "case",
            "seconds",
            "products",
            "products/s",
            "pages/s",
            "x baseline",
            "max in flight/host",
            "hosts at once",
        ],
        [
            (
                k,
                v["seconds"],
                v["products"],
                v["products_per_s"],
                v["pages_per_s"],
                v["ratio_to_baseline"],
                v["max_in_flight_per_host"],
                v["max_hosts_at_once"],
            )
            for k, v in cases.items()
        ],
    )
    targets = results["targets"]
    assert isinstance(targets, list)
    print_targets(targets)
    print(f"Results written to {write_results('scrape', results, args.output)}")


if __name__ == "__main__":
    main()
