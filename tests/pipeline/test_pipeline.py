"""The whole pipeline inside the API, against the local test shop: every step recorded, the
index swapped atomically while shoppers are answered, the adapter gate, data unchanged ->
no training, one run at a time."""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path

import httpx

from core.runs import STEPS
from ingestion.testshop import TestShop
from pipeline.operations import open_operations
from retrieval.index import current_version
from storage.factory import create_store
from tests.app.conftest import LiveServer
from tests.pipeline.conftest import (
    ADMIN,
    FakeEvaluator,
    FakeTrainer,
    in_service,
    pipeline_settings,
    run_pipeline,
    wait_for_run,
)


class Shopper(threading.Thread):
    """Asks the service a question over and over while the pipeline runs."""

    def __init__(self, url: str, question: str) -> None:
        super().__init__(daemon=True)
        self.url, self.question = url, question
        self.stop = threading.Event()
        self.statuses: list[int] = []

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as client:
            while not self.stop.is_set():
                response = client.post("/chat", json={"message": self.question})
                self.statuses.append(response.status_code)

    def __enter__(self) -> Shopper:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.join(30)


def _cited_price(client: httpx.Client, question: str, product_id: str) -> str | None:
    answer = client.post("/chat", json={"message": question}).json()
    return next((p["price"] for p in answer["products"] if p["id"] == product_id), None)


def test_the_whole_pipeline_refreshes_prices_and_promotes_a_better_adapter(
    data_dir: Path, shop: TestShop
) -> None:
    settings = pipeline_settings(data_dir, shop)
    trainer = FakeTrainer(settings)
    evaluator = FakeEvaluator(settings, candidate=0.45, baseline=0.41)
    product = shop.state.shelf("dia")[0]
    shop.state.set_price("dia", product.chain_product_id, product.price + Decimal("0.37"))
    new_price = str(product.price + Decimal("0.37"))
    question = f"¿Cuánto cuesta {product.name} en Dia?"
    index_before = current_version(settings.index_path)

    with (
        LiveServer(settings, None, trainer=trainer, evaluator=evaluator) as live,
        httpx.Client(base_url=live.url, timeout=30) as client,
    ):
        assert _cited_price(client, question, product.id) == str(product.price)
        with Shopper(live.url, question) as shopper:
            started = client.post("/admin/api/runs", json={}, headers=ADMIN)
            assert started.status_code == 202, started.text
            run = wait_for_run(client, started.json()["id"])
        assert shopper.statuses and set(shopper.statuses) == {200}  # answered all along

        steps = {s["name"]: s for s in run["steps"]}
        assert list(steps) == ["scrape", "index", "dataset", "train", "evaluate", "promote"]
        assert run["status"] == "completed", [(s["name"], s["message"]) for s in run["steps"]]
        for step in steps.values():
            assert step["status"] == "completed"
            assert step["started_at"] <= step["finished_at"] and step["message"]
            assert f"Step {step['name']} started" in step["log"]
        assert steps["scrape"]["counts"]["products"] == 5 * 6
        assert sorted(steps["scrape"]["counts"]["completed_chains"]) == [
            "alcampo", "carrefour", "consum", "dia", "mercadona"
        ]  # fmt: skip

        # the index: a new version in service, the previous one kept for rollback
        index_after = steps["index"]["counts"]["version"]
        assert steps["index"]["counts"]["previous"] == index_before != index_after
        assert current_version(settings.index_path) == index_after
        assert index_before is not None and (settings.index_path / index_before).is_dir()
        assert _cited_price(client, question, product.id) == new_price

        # the adapter: trained on the prepared data, evaluated, promoted past the gate
        version = steps["dataset"]["counts"]["version"]
        assert steps["dataset"]["counts"]["train"] > 0 and steps["dataset"]["counts"]["validation"]
        assert trainer.trained == [version]
        assert steps["evaluate"]["counts"] == {
            "version": version, "accuracy": 0.45, "in_service_accuracy": 0.41, "passes": True
        }  # fmt: skip
        assert steps["promote"]["counts"]["promoted"] is True
        assert in_service(settings) == version

        # the same data again: the index is refreshed, nothing is trained twice
        again = wait_for_run(
            client, client.post("/admin/api/runs", json={}, headers=ADMIN).json()["id"]
        )
        statuses = {s["name"]: s["status"] for s in again["steps"]}
        assert statuses["train"] == "skipped" and statuses["evaluate"] == "skipped"
        assert "data unchanged" in {s["name"]: s for s in again["steps"]}["train"]["message"]
        assert trainer.trained == [version]
        listed = client.get("/admin/api/runs", headers=ADMIN).json()
        assert [r["id"] for r in listed] == [again["id"], run["id"]]


def test_the_gate_keeps_the_adapter_in_service_when_the_candidate_is_worse(
    data_dir: Path, shop: TestShop
) -> None:
    settings = pipeline_settings(data_dir, shop)
    evaluator = FakeEvaluator(settings, candidate=0.30, baseline=0.41)
    with (
        LiveServer(settings, None, trainer=FakeTrainer(settings), evaluator=evaluator) as live,
        httpx.Client(base_url=live.url, timeout=30) as client,
    ):
        body = {"steps": ["promote", "train", "dataset", "evaluate"]}  # any order: run in order
        run = run_pipeline(client, body)
    assert [s["name"] for s in run["steps"]] == ["dataset", "train", "evaluate", "promote"]
    promote = run["steps"][-1]
    assert promote["status"] == "completed" and promote["counts"]["promoted"] is False
    assert "30.0% < 41.0%" in promote["message"]
    assert in_service(settings) is None  # still the shipped default


def test_training_is_skipped_in_the_serving_process_unless_allowed(
    data_dir: Path, shop: TestShop
) -> None:
    settings = pipeline_settings(data_dir, shop, pipeline={"train_while_serving": False})
    trainer = FakeTrainer(settings)
    with (
        LiveServer(
            settings, None, trainer=trainer, evaluator=FakeEvaluator(settings, 1, 0)
        ) as live,
        httpx.Client(base_url=live.url, timeout=30) as client,
    ):
        body = {"steps": ["dataset", "train", "evaluate", "promote"]}
        run = wait_for_run(
            client, client.post("/admin/api/runs", json=body, headers=ADMIN).json()["id"]
        )
    statuses = [(s["name"], s["status"]) for s in run["steps"]]
    assert statuses == [
        ("dataset", "completed"),
        ("train", "skipped"),
        ("evaluate", "skipped"),
        ("promote", "skipped"),
    ]
    assert "TRAIN_WHILE_SERVING" in run["steps"][1]["message"]
    assert trainer.trained == []


def test_one_run_at_a_time_and_admin_routes_need_the_key(data_dir: Path, shop: TestShop) -> None:
    shop.state.latency_s = 0.05  # a scrape that lasts a while
    settings = pipeline_settings(data_dir, shop)
    with (
        LiveServer(settings, None) as live,
        httpx.Client(base_url=live.url, timeout=30) as client,
    ):
        assert client.post("/admin/api/runs", json={}).status_code == 401
        wrong = client.post("/admin/api/runs", json={}, headers={"X-Admin-Key": "nope"})
        assert wrong.status_code == 401
        bad = client.post("/admin/api/runs", json={"steps": ["scrape", "bake"]}, headers=ADMIN)
        assert bad.status_code == 422 and "bake" in bad.json()["error"]["message"]
        chain = client.post("/admin/api/runs", json={"chains": ["lidl"]}, headers=ADMIN)
        assert chain.status_code == 422 and "lidl" in chain.json()["error"]["message"]

        first = client.post("/admin/api/runs", headers=ADMIN)  # no body: the scheduled steps
        assert first.status_code == 202
        assert [s["name"] for s in first.json()["steps"]] == list(STEPS)
        second = client.post("/admin/api/runs", json={"steps": ["index"]}, headers=ADMIN)
        assert second.status_code == 409
        assert second.json()["error"]["type"] == "run_in_progress"
        assert client.post("/admin/api/abort", headers=ADMIN).json()["pipeline"] is True
        run = wait_for_run(client, first.json()["id"])
        assert run["status"] == "aborted" and run["steps"][0]["status"] == "aborted"
        assert {s["status"] for s in run["steps"][1:]} == {"skipped"}


def test_admin_routes_are_closed_without_an_admin_key(data_dir: Path, shop: TestShop) -> None:
    settings = pipeline_settings(data_dir, shop, api={})
    with LiveServer(settings, None) as live, httpx.Client(base_url=live.url) as client:
        response = client.post("/admin/api/runs", json={}, headers=ADMIN)
        assert response.status_code == 403
        assert "SUPERSMART_API__ADMIN_KEY" in response.json()["error"]["message"]
        assert "SUPERSMART_API__ADMIN_KEY" in client.get("/admin/login").text


async def test_training_beside_a_serving_api_on_the_same_host_is_skipped(
    data_dir: Path, shop: TestShop
) -> None:
    settings = pipeline_settings(data_dir, shop, pipeline={"train_while_serving": False})
    trainer = FakeTrainer(settings)
    store = create_store(settings)
    await store.initialize()
    ops = await open_operations(
        settings, store, serving=False, schedule=False, trainer=trainer,
        evaluator=FakeEvaluator(settings, 1, 0),
    )  # fmt: skip
    try:
        with LiveServer(settings, None):  # `supersmart serve` on this machine
            run = await ops.controller.run(["dataset", "train"], "cli")
        train = run.step("train")
        assert train.status == "skipped" and "an API process on this machine" in train.message
        assert trainer.trained == []

        run = await ops.controller.run(["dataset", "train"], "cli")  # the API has stopped
        assert run.step("train").status == "completed" and len(trainer.trained) == 1
    finally:
        await ops.close()
        await store.close()
