"""The pipeline's training and evaluation steps for real (slow): `supersmart pipeline run`
prepares the data, trains the packaged model in a child process, evaluates the candidate
with llama.cpp against the adapter in service and applies the gate."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.runs import PipelineRun
from core.settings import Settings
from finetune.registry import AdapterRegistry
from pipeline.training import child_settings
from storage.pipeline_records import create_pipeline_records
from tests.app.conftest import chat_settings

pytest.importorskip("peft", reason="the train extra is not installed")
pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (make setup)")
pytestmark = pytest.mark.slow

TINY = """max_steps: 2
batch_size: 2
warmup_steps: 1
eval_every: 100
eval_examples: 2
checkpoint_every: 100
threads: 2
"""


def test_pipeline_trains_evaluates_and_gates_a_real_adapter(
    data_dir: Path, packaged_gguf: Path, tmp_path: Path
) -> None:
    config = tmp_path / "tiny.yaml"
    config.write_text(TINY, encoding="utf-8")
    settings = chat_settings(
        data_dir,
        model={"path": packaged_gguf},
        pipeline={"train_config": config, "evaluate_questions": 3},
    )
    with child_settings(settings) as env:
        done = subprocess.run(
            [sys.executable, "-m", "cli.main", "pipeline", "run",
             "--steps", "dataset,train,evaluate,promote"],
            env=env | {"COLUMNS": "200"}, capture_output=True, text=True, timeout=900,
        )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Pipeline completed" in done.stdout

    registry = AdapterRegistry(data_dir / "adapters")
    [version] = registry.versions()
    assert version.gguf.stat().st_size > 100_000
    assert version.metrics["steps"] == 2
    verdict = version.evaluation
    assert verdict is not None and verdict["candidate"]["questions"] == 3
    # the gate: in service exactly when it scored at least as well as the shipped adapter
    passes = verdict["candidate"]["accuracy"] >= verdict["baseline"]["accuracy"]
    assert verdict["passes"] is passes
    assert (registry.current_name() == version.name) is passes
    assert verdict["promoted"] is passes

    with child_settings(settings) as env:
        listed = subprocess.run(
            [sys.executable, "-m", "cli.main", "pipeline", "list"],
            env=env | {"COLUMNS": "200"}, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert "train:completed" in listed.stdout and "evaluate:completed" in listed.stdout
    assert json.loads((version.folder / "eval.json").read_text())["accuracy"] >= 0
    [run] = asyncio.run(_runs(settings))
    train_log = run.step("train").log
    assert "step 2/2" in train_log  # the child's own output is the step's log excerpt


async def _runs(settings: Settings) -> list[PipelineRun]:
    records = create_pipeline_records(settings)
    await records.initialize()
    try:
        return await records.list_runs()
    finally:
        await records.close()
