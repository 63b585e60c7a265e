"""`supersmart scrape` against the local test shop, as a user runs it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from ingestion.testshop import ShopState, TestShop


@pytest.fixture
def shop() -> Iterator[TestShop]:
    with TestShop(ShopState(products_per_chain=6)) as running:
        yield running


def _run(tmp_path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path / "data"), *args])
    text = result.output.translate({ord(c): " " for c in "│┃"})  # read table cells as words
    return result.exit_code, " ".join(text.split())


@pytest.fixture(autouse=True)
def _fast(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("SUPERSMART_SCRAPE__DELAY_S", "0")


def test_scrape_one_source_from_the_test_shop(tmp_path: Path, shop: TestShop) -> None:
    code, out = _run(tmp_path, "scrape", "--source", "dia", "--base-url", shop.url("dia"))
    assert code == 0, out
    assert "dia completed 6 6 0 0 0" in out and "6 products stored" in out

    code, out = _run(tmp_path, "scrape", "--source", "dia", "--base-url", shop.url("dia"))
    assert "dia completed 6 0 0 0 0" in out  # nothing changed: no new versions

    code, out = _run(tmp_path, "store", "executions")
    assert out.count(" dia ") == 2


def test_scrape_options_are_checked_and_listed(tmp_path: Path) -> None:
    code, out = _run(tmp_path, "scrape", "--list")
    assert code == 0 and all(
        c in out for c in ("mercadona", "dia", "consum", "alcampo", "carrefour")
    )
    code, out = _run(tmp_path, "scrape", "--base-url", "http://127.0.0.1:1/x")
    assert code == 2 and "exactly one --source" in out
    code, out = _run(tmp_path, "scrape", "--source", "lidl", "--base-url", "http://127.0.0.1:1")
    assert code == 1 and "No scraper for lidl" in out
    code, out = _run(tmp_path, "scrape", "--abort")
    assert code == 0 and "No scrape is running" in out


def test_ctrl_c_stops_a_scrape_after_the_products_in_flight(tmp_path: Path) -> None:
    import os
    import signal
    import sqlite3
    import subprocess
    import sys
    import time

    state = ShopState(products_per_chain=30)
    state.latency_s = 0.1
    with TestShop(state) as shop:
        data = tmp_path / "data"
        env = {
            **os.environ,
            "SUPERSMART_DATA_DIR": str(data),
            "SUPERSMART_SCRAPE__DELAY_S": "0",
            "SUPERSMART_SCRAPE__BATCH_SIZE": "1",
        }
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cli.main",
                "scrape",
                "--source",
                "dia",
                "--base-url",
                shop.url("dia"),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            time.sleep(0.05)
            try:
                with sqlite3.connect(data / "supersmart.db") as db:
                    if db.execute("SELECT COUNT(*) FROM products").fetchone()[0] >= 3:
                        break
            except sqlite3.OperationalError:
                continue
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)

    text = " ".join(output.decode().translate({ord(c): " " for c in "│┃"}).split())
    assert process.returncode == 0, text
    assert "Stopping after the products in flight" in text and "dia aborted" in text
    with sqlite3.connect(data / "supersmart.db") as db:
        stored = db.execute("SELECT COUNT(*) FROM products").fetchone()[0]
        new = db.execute("SELECT new FROM executions").fetchone()[0]
    assert 3 <= stored < 30 and new == stored
