"""Pipeline fixtures: the sample catalogue (store + index) copied per test, the local test
shop selling the same products, the API served on 127.0.0.1 with fake training processes."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.settings import Settings
from finetune.registry import AdapterRegistry
from ingestion.testshop import ShopState, TestShop
from pipeline.logs import StepLog
from tests.app.conftest import LiveServer, chat_settings, data_dir, sample_data_dir

ADMIN = {"X-Admin-Key": "operator-key-for-tests"}


class FakeTrainer:
    """Writes an adapter file and metrics where the real training process would."""

    def __init__(self, settings: Settings) -> None:
        self._root = settings.data_dir / "adapters"
        self.trained: list[str] = []

    async def train(self, version: str, log: StepLog) -> dict[str, Any]:
        folder = self._root / version
        assert (folder / "dataset" / "train.jsonl").stat().st_size > 0  # prepared data
        metrics = {"steps": 3, "train_losses": [[1, 2.5], [3, 0.4]], "seconds": 0.1}
        (folder / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
        (folder / "adapter.gguf").write_bytes(b"GGUF fake adapter")
        log.add("step 3/3  loss 0.400")
        self.trained.append(version)
        return metrics


class FakeEvaluator:
    """Scores the candidate `candidate` and the adapter in service `baseline`."""

    def __init__(self, settings: Settings, candidate: float, baseline: float) -> None:
        self._root = settings.data_dir / "adapters"
        self.scores = (candidate, baseline)

    async def evaluate(self, version: str, log: StepLog) -> dict[str, Any]:
        candidate, baseline = self.scores
        verdict = {
            "candidate": {"accuracy": candidate, "questions": 40},
            "baseline": {"accuracy": baseline, "questions": 40},
            "accuracy": candidate,
            "passes": candidate >= baseline,
            "promoted": False,
        }
        (self._root / version / "eval.json").write_text(json.dumps(verdict), encoding="utf-8")
        return verdict


@pytest.fixture
def shop() -> Iterator[TestShop]:
    state = ShopState(products_per_chain=6)
    state.hang_s = 2.0
    with TestShop(state) as running:
        yield running


def pipeline_settings(data_dir: Path, shop: TestShop, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "model": {"backend": "data-only"},
        "api": {"admin_key": "operator-key-for-tests", "rate_limit_per_minute": 0},
        "scrape": {
            "base_urls": shop.base_urls(),
            "delay_s": 0,
            "timeout_s": 1.0,
            "retries": 0,
            "backoff_s": 0.01,
            "abort_poll_s": 0.05,
            "render_pages": False,
            "respect_robots": True,
        },
        "pipeline": {"train_while_serving": True},
    }
    values.update(overrides)
    return chat_settings(data_dir, **values)


def wait_for_run(client: httpx.Client, run_id: str, timeout_s: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        run: dict[str, Any] = client.get(f"/admin/api/runs/{run_id}", headers=ADMIN).json()
        if run["status"] != "running":
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} still running after {timeout_s} s")


def run_pipeline(client: httpx.Client, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """Start a run through the admin API and wait for its end."""
    started = client.post("/admin/api/runs", json=body or {}, headers=ADMIN)
    assert started.status_code == 202, started.text
    return wait_for_run(client, started.json()["id"])


def in_service(settings: Settings) -> str | None:
    return AdapterRegistry(settings.data_dir / "adapters").current_name()


__all__ = ["LiveServer", "data_dir", "sample_data_dir"]
