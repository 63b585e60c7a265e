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
