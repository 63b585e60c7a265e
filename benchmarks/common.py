"""Helpers shared by the benchmark scripts: timing percentiles, tables, JSON results."""

from __future__ import annotations

import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from core.settings import Settings

RESULTS = Path(__file__).with_name("results")
# Shoppers' questions over the sample catalogue (the chat and load benchmarks ask them).
QUESTIONS = [
    "¿Dónde está más barato el aceite de oliva virgen extra?",
    "¿Qué galletas sin gluten hay por menos de 2 €?",
    "¿Ha subido la leche entera este mes?",
    "¿Cuánto cuesta el cacao soluble en Dia?",
    "Compara el precio del atún claro en aceite",
    "¿Hay pan de molde sin gluten?",
    "café molido natural",
    "¿Qué yogur natural es más barato?",
]


async def latencies_ms(
    call: Callable[[Any], Awaitable[object]], args: Sequence[Any]
) -> list[float]:
    timings = []
    for arg in args:
        start = time.perf_counter()
        await call(arg)
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def percentiles(values: Sequence[float]) -> dict[str, float]:
    ordered = sorted(values)
    cut = statistics.quantiles(ordered, n=100, method="inclusive")
    return {"p50": round(cut[49], 4), "p95": round(cut[94], 4), "n": len(ordered)}


def machine() -> dict[str, object]:
    import os

    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "threads": 1,
    }


def write_results(name: str, payload: dict[str, Any], output: Path | None) -> Path:
    path = output or RESULTS / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")
    return path


def target(
    name: str,
    ratio: float,
    limit: float,
    baseline: str,
    measured: str,
    *,
    absolute: tuple[float, float] | None = None,
    higher_is_better: bool = False,
) -> dict[str, Any]:
    """One of issue #19's targets as measured: `ratio` against `baseline` (same run) must be
    within `limit`, and `absolute` (value, most allowed), where the target has one, too."""
    ok = ratio >= limit if higher_is_better else ratio <= limit
    if absolute is not None:
        ok = ok and absolute[0] <= absolute[1]
    return {
        "target": name,
        "measured": measured,
        "baseline": baseline,
        "ratio": round(ratio, 3),
        "limit": f"{'>=' if higher_is_better else '<='} {limit:g}x"
        + (f", <= {absolute[1]:g}" if absolute is not None else ""),
        "pass": ok,
    }


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column, justify="left" if column == columns[0] else "right")
    for row in rows:
        table.add_row(*(f"{v:,.3f}" if isinstance(v, float) else str(v) for v in row))
    Console(width=160).print(table)


def print_targets(rows: Sequence[dict[str, Any]], title: str = "Issue #19 targets") -> None:
    print_table(
        title,
        ["target", "measured", "baseline (same run)", "ratio", "limit", "result"],
        [
            (r["target"], r["measured"], r["baseline"], f"{r['ratio']:.3f}x", r["limit"],
             "pass" if r["pass"] else "FAIL")
            for r in rows
        ],
    )  # fmt: skip


def bench_settings(data_dir: Path, **model: Any) -> Settings:
    """Settings for a benchmark's own data dir, reusing an already assembled packaged model (e.g.
    the demo's) instead of a 253 MB copy; `model` overrides model settings."""
    base = Settings()
    path = base.model.path or (base.model_path.resolve() if base.model_path.exists() else None)
    return base.model_copy(
        update={
            "data_dir": data_dir,
            "model": base.model.model_copy(update={"path": path} | model),
            "api": base.api.model_copy(update={"rate_limit_per_minute": 0}),
        }
    )


async def sample_catalogue(settings: Settings) -> None:
    """The bundled sample catalogue imported into `settings`' store and indexed, as the demo."""
    from ingestion.importers import ReadContext, get_reader
    from ingestion.imports import FileImport
    from ingestion.sample import SAMPLE_CATALOGUE
    from retrieval.build import build_index
    from retrieval.embedder import create_embedder
    from storage.factory import create_store

    store = create_store(settings)
    await store.initialize()
    try:
        await FileImport(store, None, settings.imports).run(
            get_reader("jsonl"), SAMPLE_CATALOGUE, ReadContext()
        )
        await build_index(store, settings, create_embedder(settings.retrieval))
    finally:
        await store.close()


@dataclass(frozen=True)
class Served:
    url: str
    pid: int


@contextmanager
def served(settings: Settings, **env: str) -> Iterator[Served]:
    """`supersmart serve` in its own process, as deployed (the client must not share its GIL);
    `env`: more SUPERSMART_* variables for it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = os.environ | {
        "SUPERSMART_DATA_DIR": str(settings.data_dir),
        "SUPERSMART_MODEL__MAX_TOKENS": str(settings.model.max_tokens),
        "SUPERSMART_MODEL__THREADS": str(settings.model.threads),
        "SUPERSMART_API__RATE_LIMIT_PER_MINUTE": "0",
        "SUPERSMART_PIPELINE__SCHEDULE": "",
    }
    if settings.model.path is not None:
        environment["SUPERSMART_MODEL__PATH"] = str(settings.model.path)
    command = [sys.executable, "-m", "cli.main", "serve", "--port", str(port)]
    root = Path(__file__).resolve().parents[1]
    server = subprocess.Popen(
        command,
        env=environment | env | {"PYTHONPATH": str(root)},
        cwd=settings.data_dir.parent,  # not the checkout: a developer's .env stays out
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{url}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None:
                raise RuntimeError("`supersmart serve` exited; run it by hand to see why")
            time.sleep(0.2)
        yield Served(url, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
