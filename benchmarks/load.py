"""Load benchmark: many clients on `/chat` for a while, and what the server holds meanwhile.

    python benchmarks/load.py [--clients 64] [--duration 60] [--model-clients 16]
                              [--model-duration 60] [--no-model] [--output FILE]

`supersmart serve` runs in its own process on the sample catalogue, as deployed (rate limit
off). Two phases: `--clients` clients on the data-only backend (answers composed from the
data, no model: the service's own path at full speed), then `--model-clients` on the real
model (a queue in front of one llama.cpp: most wait, many are told 503 + Retry-After). Each
client asks in a loop and, told 503, waits the Retry-After it was given, as a good client does.

Measured from outside (psutil on the server's pid, `/metrics`): every status (only 200, and
503 with a Retry-After, pass); resident memory sampled each second, its growth over the second
half of the run (flat: the ratio stays near 1); open file descriptors and event-loop tasks
after the clients left, against the same figures after the warm-up (a leak shows as growth);
requests still in flight (only the `/metrics` request itself).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as `python benchmarks/load.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import psutil

from benchmarks.common import (
    QUESTIONS,
    bench_settings,
    machine,
    percentiles,
    print_table,
    sample_catalogue,
    served,
    write_results,
)

RSS_GROWTH_MAX = 1.10  # resident memory at the end / at half time
LEAK_SLACK = 3  # file descriptors or tasks above the warmed-up figure


@dataclass
class Tally:
    statuses: dict[str, int] = field(default_factory=dict)
    busy_without_retry_after: int = 0
    latencies_ms: list[float] = field(default_factory=list)

    def count(self, key: str) -> None:
        self.statuses[key] = self.statuses.get(key, 0) + 1


async def _client(index: int, http: httpx.AsyncClient, until: float, tally: Tally) -> None:
    n = index
    while (now := time.monotonic()) < until:
        question = QUESTIONS[n % len(QUESTIONS)]
        n += 1
        try:
            response = await http.post("/chat", json={"message": question})
        except httpx.HTTPError as exc:
            tally.count(type(exc).__name__)
            continue
        tally.count(str(response.status_code))
        if response.status_code == 200:
            tally.latencies_ms.append((time.monotonic() - now) * 1000)
        elif response.status_code == 503:
            wait = response.headers.get("retry-after", "")
            if not wait.isdigit():
                tally.busy_without_retry_after += 1
                wait = "1"
            await asyncio.sleep(min(float(wait), max(0.0, until - time.monotonic())))


def _metric(text: str, name: str) -> float:
    match = re.search(rf"^{name} ([0-9.e+]+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else float("nan")


def _snapshot(process: psutil.Process, url: str) -> dict[str, float]:
    metrics = httpx.get(f"{url}/metrics", timeout=30).text
    return {
        "rss_mb": process.memory_info().rss / 2**20,
        "fds": process.num_fds(),
        "threads": process.num_threads(),
        "tasks": _metric(metrics, "supersmart_asyncio_tasks"),
        "in_flight": _metric(metrics, "supersmart_http_in_flight"),
    }


async def _sample_rss(
    process: psutil.Process, until: float, into: list[tuple[float, float]]
) -> None:
    started = time.monotonic()
    while time.monotonic() < until:
        into.append((time.monotonic() - started, process.memory_info().rss / 2**20))
        await asyncio.sleep(1)


async def _load(url: str, pid: int, clients: int, duration_s: float) -> dict[str, Any]:
    process = psutil.Process(pid)
    tally = Tally()
    rss: list[tuple[float, float]] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    started = time.monotonic()
    until = started + duration_s
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:
        await asyncio.gather(
            _sample_rss(process, until, rss),
            *(_client(i, http, until, tally) for i in range(clients)),
        )
    wall = time.monotonic() - started
    half = [mb for at, mb in rss if at >= duration_s / 2]
    return {
        "clients": clients,
        "duration_s": round(wall, 1),
        "statuses": tally.statuses,
        "busy_without_retry_after": tally.busy_without_retry_after,
        "answers_per_s": round(len(tally.latencies_ms) / wall, 2),
        "latency_ms": percentiles(tally.latencies_ms) if len(tally.latencies_ms) > 1 else None,
        "rss_mb_samples": [(round(at, 1), round(mb, 1)) for at, mb in rss],
        "rss_peak_mb": round(max(mb for _, mb in rss), 1),
        "rss_growth_second_half": round(half[-1] / half[0], 3) if half else None,
    }


def _phase(name: str, settings: Any, clients: int, duration_s: float, **env: str) -> dict[str, Any]:
    with served(settings, **env) as server:
        process = psutil.Process(server.pid)
        asyncio.run(_load(server.url, server.pid, min(clients, 4), 3))  # warm-up
        time.sleep(2)
        before = _snapshot(process, server.url)
        run = asyncio.run(_load(server.url, server.pid, clients, duration_s))
        time.sleep(3)  # the clients' connections close; the server's tasks end
        after = _snapshot(process, server.url)
    other = {k: v for k, v in run["statuses"].items() if k not in ("200", "503")}
    run.update(
        name=name,
        before=before,
        after=after,
        other_statuses=other,
        checks={
            "only 200 or 503 + Retry-After": not other and not run["busy_without_retry_after"],
            "RSS flat over the second half": (run["rss_growth_second_half"] or 9) <= RSS_GROWTH_MAX,
            "no leaked file descriptors": after["fds"] <= before["fds"] + LEAK_SLACK,
            "no leaked tasks": after["tasks"] <= before["tasks"] + LEAK_SLACK,
            "nothing left in flight": after["in_flight"] <= 1,  # the /metrics request itself
        },
    )
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--model-clients", type=int, default=16)
    parser.add_argument("--model-duration", type=float, default=60)
    parser.add_argument("--no-model", action="store_true", help="only the data-only phase")
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="supersmart-load-")) / "data"
    settings = bench_settings(data_dir, max_tokens=args.max_tokens, threads=2)
    asyncio.run(sample_catalogue(settings))
    data_only = {"SUPERSMART_MODEL__BACKEND": "data-only"}
    phases = [_phase("data-only", settings, args.clients, args.duration, **data_only)]
    if not args.no_model:
        phases.append(_phase("real model", settings, args.model_clients, args.model_duration))

    rows = []
    for run in phases:
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(run["statuses"].items()))
        rows.append(
            (
                run["name"], run["clients"], run["duration_s"], statuses, run["answers_per_s"],
                run["latency_ms"]["p50"] if run["latency_ms"] else "-",
                "{:.0f} / {:.0f} / {:.0f}".format(
                    run["before"]["rss_mb"], run["rss_peak_mb"], run["after"]["rss_mb"]
                ),
                run["rss_growth_second_half"],
                f"{run['before']['fds']:.0f} -> {run['after']['fds']:.0f}",
                f"{run['before']['tasks']:.0f} -> {run['after']['tasks']:.0f}",
                "pass" if all(run["checks"].values()) else "FAIL",
            )
        )  # fmt: skip
    print_table(
        "Load on /chat (supersmart serve, its own process)",
        ["phase", "clients", "s", "statuses", "answers/s", "p50 ms",
         "RSS MB warm/peak/end", "RSS end/half", "fds", "tasks", "result"],
        rows,
    )  # fmt: skip
    for run in phases:
        for check, ok in run["checks"].items():
            if not ok:
                print(f"FAIL {run['name']}: {check}")
    path = write_results("load", {"machine": machine(), "phases": phases}, args.output)
    print(f"results: {path}")
    if not all(all(run["checks"].values()) for run in phases):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
