"""Faults during the nightly run: a chain whose site fails is marked and the others go on; a
failed step stops the run and the service keeps answering from the index it had."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from ingestion.testshop import TestShop
from ingestion.testshop.state import CHAINS
from retrieval.index import current_version
from tests.app.conftest import LiveServer
from tests.pipeline.conftest import FakeEvaluator, FakeTrainer, pipeline_settings, run_pipeline
from tests.pipeline.test_pipeline import Shopper


def _answer(client: httpx.Client, question: str) -> dict[str, Any]:
    response = client.post("/chat", json={"message": question})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_one_chain_failing_marks_the_run_and_the_others_proceed(
    data_dir: Path, shop: TestShop
) -> None:
    settings = pipeline_settings(data_dir, shop)
    shop.state.set_fault("dia", "listing", "server_error")  # Dia's site is down all night
    dia = shop.state.shelf("dia")[1]
    consum = shop.state.shelf("consum")[0]
    shop.state.set_price("consum", consum.chain_product_id, consum.price + Decimal("1.00"))
    question = f"¿Cuánto cuesta {dia.name} en Dia?"
    parts = {"trainer": FakeTrainer(settings), "evaluator": FakeEvaluator(settings, 0.5, 0.4)}

    with (
        LiveServer(settings, None, **parts) as live,
        httpx.Client(base_url=live.url, timeout=30) as client,
    ):
        with Shopper(live.url, question) as shopper:
            run = run_pipeline(client, {"steps": ["scrape", "index"]})
        assert shopper.statuses and set(shopper.statuses) == {200}

        scrape, index = run["steps"]
        assert run["status"] == "degraded"
        assert scrape["status"] == "degraded"
        assert scrape["counts"]["failed_chains"] == ["dia"]
        assert sorted(scrape["counts"]["completed_chains"]) == sorted(set(CHAINS) - {"dia"})
        assert "dia failed" in scrape["message"]
        assert index["status"] == "completed"  # what the others brought is served

        # Dia's products are still answered from what the store had; Consum's new price is in
        cited = _answer(client, question)["products"]
        assert dia.id in [p["id"] for p in cited]
        consum_cited = _answer(client, f"¿Cuánto cuesta {consum.name} en Consum?")["products"]
        prices = {p["id"]: p["price"] for p in consum_cited}
        assert prices.get(consum.id) == str(consum.price + Decimal("1.00"))
        errors = client.get(
            "/admin/api/runs", headers={"X-Admin-Key": "operator-key-for-tests"}
        ).json()
        assert errors[0]["id"] == run["id"]


def test_a_failed_step_stops_the_run_and_the_previous_index_stays(
    data_dir: Path, shop: TestShop
) -> None:
    settings = pipeline_settings(data_dir, shop)
    for chain in CHAINS:
        shop.state.set_fault(chain, "listing", "server_error")
    trainer = FakeTrainer(settings)
    index_before = current_version(settings.index_path)
    product = shop.state.shelf("mercadona")[0]

    with (
        LiveServer(
            settings, None, trainer=trainer, evaluator=FakeEvaluator(settings, 1, 0)
        ) as live,
        httpx.Client(base_url=live.url, timeout=30) as client,
    ):
        with Shopper(live.url, f"¿Cuánto cuesta {product.name}?") as shopper:
            run = run_pipeline(client)
        assert shopper.statuses and set(shopper.statuses) == {200}
        assert run["status"] == "failed"
        statuses = [(s["name"], s["status"]) for s in run["steps"]]
        assert statuses == [("scrape", "failed")] + [
            (name, "skipped") for name in ("index", "dataset", "train", "evaluate", "promote")
        ]
        assert "every chain failed" in run["steps"][0]["message"]
        assert run["steps"][1]["message"] == "not run: the run was failed"
        assert current_version(settings.index_path) == index_before
        assert trainer.trained == []
        assert product.id in [p["id"] for p in _answer(client, product.name)["products"]]
