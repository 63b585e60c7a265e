"""`supersmart scrape` killed (SIGKILL) midway through a chain: the next run takes the lock,
marks the orphaned execution interrupted, completes, and stores no product twice."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from ingestion.testshop import ShopState, TestShop

SUPERSMART = str(Path(sys.executable).with_name("supersmart"))
PRODUCTS = 30


def _rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
        return conn.execute(sql).fetchall()


def _stored(db: Path) -> int:
    try:
        return int(str(_rows(db, "SELECT COUNT(*) FROM products")[0][0]))
    except sqlite3.OperationalError:  # not created yet
        return 0


def test_scrape_killed_midway_then_rerun(tmp_path: Path) -> None:
    state = ShopState(products_per_chain=PRODUCTS)
    state.latency_s = 0.1  # ~1.5 s for the chain: time to kill it halfway
    data = tmp_path / "data"
    db = data / "supersmart.db"
    env = {
        **os.environ,
        "SUPERSMART_DATA_DIR": str(data),
        "SUPERSMART_SCRAPE__DELAY_S": "0",
        "SUPERSMART_SCRAPE__BATCH_SIZE": "1",
        "COLUMNS": "200",
    }
    with TestShop(state) as shop:
        command = [SUPERSMART, "scrape", "--source", "dia", "--base-url", shop.url("dia")]
        killed = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while _stored(db) < 5 and time.monotonic() < deadline and killed.poll() is None:
            time.sleep(0.02)
        os.kill(killed.pid, signal.SIGKILL)
        assert killed.wait(timeout=30) == -signal.SIGKILL, "the scrape ended before the kill"
        fetched = len(state.log)

        stored = _stored(db)
        assert 5 <= stored < PRODUCTS and fetched < PRODUCTS
        assert _rows(db, "SELECT status FROM executions") == [("running",)]  # the orphan

        rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    said = " ".join(rerun.stdout.translate({ord(c): " " for c in "│┃"}).split())
    assert rerun.returncode == 0, said + rerun.stderr
    assert f"dia completed {PRODUCTS} {PRODUCTS - stored} 0 0 0" in said, said
    assert _rows(db, "PRAGMA integrity_check") == [("ok",)]
    executions = _rows(db, "SELECT status, note, new FROM executions ORDER BY started_at")
    (orphan, orphan_note, orphan_new), (last, _, new) = executions
    assert (orphan, last) == ("interrupted", "completed")
    assert "process ended before finishing" in str(orphan_note)
    assert orphan_new == stored and new == PRODUCTS - stored
    assert _rows(db, "SELECT COUNT(*) FROM products") == [(PRODUCTS,)]
    assert _rows(db, "SELECT COUNT(*) FROM product_versions") == [(PRODUCTS,)]  # none twice
    assert _rows(db, "SELECT COUNT(*) FROM price_observations") == [(PRODUCTS,)]
