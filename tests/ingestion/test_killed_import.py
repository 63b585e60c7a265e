"""An import killed midway (SIGKILL, or Ctrl-C) leaves a consistent store; running it again
completes it."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from core.domain import ExecutionStatus
from core.settings import Settings
from storage.sqlite.store import SqliteProductStore

PRODUCTS = 30_000
BATCH = 250


def _write_catalogue(path: Path) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for n in range(PRODUCTS):
            handle.write(
                json.dumps(
                    {
                        "chain": "dia",
                        "chain_product_id": str(n),
                        "name": f"Producto {n}",
                        "price": f"{1 + n % 500 / 100:.2f}",
                        "observed_at": "2026-11-20",
                        "ingredients": "Agua, azúcar, sal.",
                    }
                )
                + "\n"
            )


def _stored(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM products").fetchone()[0])
    except sqlite3.OperationalError:  # schema not created yet
        return 0


def _import(data_dir: Path, catalogue: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SUPERSMART_DATA_DIR": str(data_dir),
        "SUPERSMART_IMPORTS__BATCH_SIZE": str(BATCH),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "cli.main", "import", str(catalogue), "--format", "jsonl"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _start_and_stop(data_dir: Path, catalogue: Path, how: signal.Signals) -> int:
    process = _import(data_dir, catalogue)
    deadline = time.monotonic() + 120
    db = data_dir / "supersmart.db"
    while _stored(db) < 3 * BATCH and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.01)
    process.send_signal(how)
    process.wait(timeout=60)
    return process.returncode


async def test_ctrl_c_records_an_aborted_run_and_keeps_what_was_stored(
    settings: Settings, tmp_path: Path
) -> None:
    catalogue = tmp_path / "big.jsonl"
    _write_catalogue(catalogue)

    code = _start_and_stop(settings.data_dir, catalogue, signal.SIGINT)

    assert code == 130, "the import finished before it could be interrupted"
    store = SqliteProductStore(settings.sqlite_path)
    await store.initialize()
    aborted = (await store.list_executions())[0]
    stored = await store.count_products()
    assert aborted.status is ExecutionStatus.ABORTED and aborted.finished_at is not None
    assert 0 < stored < PRODUCTS and aborted.counts.new == stored
    await store.close()


async def test_sigkill_midway_then_rerun(settings: Settings, tmp_path: Path) -> None:
    catalogue = tmp_path / "big.jsonl"
    _write_catalogue(catalogue)
    db = settings.sqlite_path

    code = _start_and_stop(settings.data_dir, catalogue, signal.SIGKILL)
    assert code == -signal.SIGKILL, "the import finished before it could be killed"

    store = SqliteProductStore(db)
    await store.initialize()
    stored = await store.count_products()
    killed = (await store.list_executions())[0]
    assert 0 < stored < PRODUCTS
    assert stored % BATCH == 0  # whole batches only, nothing half-written
    assert killed.status is ExecutionStatus.RUNNING and killed.counts.new == stored
    await store.close()

    rerun = _import(settings.data_dir, catalogue)
    _, stderr = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, stderr.decode()

    store = SqliteProductStore(db)
    await store.initialize()
    assert await store.count_products() == PRODUCTS
    latest, previous = (await store.list_executions())[:2]
    assert latest.status is ExecutionStatus.COMPLETED
    assert (latest.counts.new, latest.counts.unchanged) == (PRODUCTS - stored, stored)
    assert previous.id == killed.id and previous.status is ExecutionStatus.INTERRUPTED
    for product in await store.list_products(limit=5):
        assert len(await store.price_history(product.id)) == 1
    await store.close()
