"""The `supersmart` command as a user runs it."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app

Invoke = Callable[..., tuple[int, str]]


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.chdir(tmp_path)  # no stray .env, data under tmp_path
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["--data-dir", str(tmp_path / "data"), *args])
        return result.exit_code, " ".join(result.output.split())  # wrapping-proof

    return invoke


def test_import_prints_a_summary_with_rejection_reasons(run: Invoke, fixtures: Path) -> None:
    code, out = run("import", str(fixtures / "mercadona_products.csv"), "--format", "mercadona-csv")

    assert code == 0, out
    assert "Imported 4 of 6 records (4 new" in out
    assert "implausible_price" in out and "missing_price" in out

    code, out = run("store", "stats")
    assert code == 0 and "mercadona" in out and "4 products in 1 chains" in out


def test_bad_input_gets_a_clear_error_and_exit_code(run: Invoke, fixtures: Path) -> None:
    code, out = run("import", str(fixtures / "nope.csv"), "--format", "mercadona-csv")
    assert code == 1 and "does not exist" in out

    code, out = run("import", str(fixtures / "multichain.csv"), "--format", "mercadona-csv")
    assert code == 1 and "is not a 'mercadona-csv' file" in out and "Check --format" in out

    code, out = run("import", str(fixtures / "multichain.csv"), "--format", "excel")
    assert code == 2 and "multichain-csv" in out  # the valid formats are listed


def test_history_search_and_errors_commands(run: Invoke, fixtures: Path) -> None:
    run("import", str(fixtures / "mercadona_products.csv"), "--format", "mercadona-csv")
    run("import", str(fixtures / "mercadona_history.csv"), "--format", "mercadona-history")

    code, out = run("store", "history", "mercadona:4241")
    assert code == 0 and "2025-03-18 8.45 €" in out and "2025-03-22 8.95 €" in out
    code, out = run("store", "history", "mercadona:0")
    assert code == 1 and "No product" in out
    code, out = run("store", "search", "aceite oliva")
    assert code == 0 and "mercadona:4241" in out
    code, out = run("store", "errors")
    assert code == 0 and "unknown_product" in out and "implausible_price" in out
    code, out = run("store", "executions")
    assert code == 0 and "import:mercadona-history" in out


def test_rebuild_from_datalake_after_losing_the_database(
    run: Invoke, fixtures: Path, tmp_path: Path
) -> None:
    run("import", str(fixtures / "mercadona_products.csv"), "--format", "mercadona-csv")

    code, out = run("store", "rebuild", "--from-datalake", "--fresh")

    assert code == 0, out
    assert "Previous database kept as" in out and "1 executions" in out
    assert list((tmp_path / "data").glob("supersmart.db.*.bak"))
    code, out = run("store", "stats")
    assert "4 products in 1 chains" in out


def test_demo_answers_the_brief_questions_from_the_sample_catalogue(
    run: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUPERSMART_MODEL__BACKEND", "data-only")  # the real model: slow tests
    code, out = run("demo", "--no-serve")

    assert code == 0, out
    for chain in ("mercadona", "dia", "consum", "alcampo"):
        assert chain in out
    assert "El más barato por litro es Aceite de oliva virgen extra" in out
    assert "€/l" in out and "a 20/11/2026" in out
    assert "Comprueba siempre la etiqueta del envase" in out  # the gluten question
    # the price-history question, the same on any day it runs
    assert re.search(r"Leche entera [^\[]+\[\d\] en \w+ ha subido desde octubre de 2026: de", out)
    # Idempotent: a second demo imports nothing new.
    code, out = run("demo", "--no-serve")
    assert code == 0 and "0 new, 0 updated, 0 price changes" in out

    code, out = run("ask", "¿Tenéis caviar de beluga?")
    assert code == 0 and "No encuentro ese producto «caviar beluga»" in out


def test_an_invalid_setting_names_the_variable(
    run: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUPERSMART_IMPORTS__BATCH_SIZE", "0")

    code, out = run("store", "stats")

    assert code == 2 and "SUPERSMART_IMPORTS__BATCH_SIZE" in out and "greater than" in out


def test_adapter_commands_report_mistakes_clearly(run: Invoke) -> None:
    code, out = run("adapters", "rollback")
    assert code == 1 and "Nothing to roll back" in out
    code, out = run("adapters", "promote", "zzz")
    assert code == 1 and "No adapter version 'zzz'" in out
    code, out = run("adapters", "off")
    assert code == 0 and "no adapter" in out
    code, out = run("train", "--set", "rank=zero")
    assert code == 1 and "Invalid training config: rank" in out
