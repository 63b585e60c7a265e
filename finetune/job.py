"""`supersmart train`: catalogue -> training set -> LoRA -> GGUF adapter, in one folder per
(data, config) pair, so an interrupted run resumes where it stopped and a finished one is not
trained twice.

    <data_dir>/adapters/<data hash>-<config digest>/
        dataset/{train,validation}.jsonl   the examples (chat-messages JSONL)
        peft/                              the adapter as peft saved it
        adapter.gguf                       the same adapter for llama.cpp
        config.yaml, metrics.json, NOTICE  resolved config, losses and timings, licence notice
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.runtime import open_runtime
from core.settings import Settings
from finetune.base_model import ensure_checkpoint
from finetune.config import TrainConfig
from finetune.dataset import DatasetBuilder, DatasetReport, Example, data_hash, write_jsonl
from finetune.evaluate import answer_model, evaluate
from finetune.export import export_gguf_lora
from finetune.registry import AdapterRegistry, AdapterVersion
from finetune.trainer import LoraTrainer, TrainResult, read_examples
from retrieval.build import all_products

NOTICE = """This adapter was trained from Gemma 3 270M and is a Model Derivative of Gemma under the
Gemma Terms of Use (https://ai.google.dev/gemma/terms), which apply to its use and distribution.
"""


@dataclass
class TrainJobReport:
    folder: Path
    dataset: DatasetReport
    result: TrainResult | None  # None: this data and config were trained already
    adapter: Path
    verdict: dict[str, Any] | None = None


def adapters_dir(settings: Settings) -> Path:
    return settings.data_dir / "adapters"


async def build_examples(settings: Settings, seed: int) -> tuple[list[Example], DatasetReport]:
    """Examples from the store's catalogue through the service's own retrieval and prompt."""
    data_only = settings.model_copy(
        update={"model": settings.model.model_copy(update={"backend": "data-only"})}
    )
    runtime = await open_runtime(data_only)
    try:
        builder = DatasetBuilder(runtime.service, seed=seed)
        examples = await builder.build(await all_products(runtime.store))
    finally:
        await runtime.close()
    return examples, builder.report


async def build_dataset(settings: Settings, seed: int, folder: Path) -> DatasetReport:
    examples, report = await build_examples(settings, seed)
    write_jsonl(examples, folder)
    return report


def gate(
    settings: Settings, version: AdapterVersion, validation: list[Example], promote: bool
) -> dict[str, Any]:
    """Evaluate the candidate against the adapter in service (or the bare model) on the
    held-out questions; promote it only if it is at least as accurate."""
    registry = AdapterRegistry(adapters_dir(settings))
    in_service = registry.current()
    candidate = evaluate(answer_model(settings, version.gguf), validation)
    baseline = evaluate(answer_model(settings, in_service), validation)
    promoted = promote and candidate.accuracy >= baseline.accuracy
    verdict = {
        "candidate": candidate.to_json(),
        "baseline": baseline.to_json() | {"adapter": str(in_service) if in_service else None},
        "accuracy": round(candidate.accuracy, 4),
        "promoted": promoted,
    }
    (version.folder / "eval.json").write_text(
        json.dumps(verdict, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    if promoted:
        registry.promote(
            version.name,
            reason=f"accuracy {candidate.accuracy:.3f} >= {baseline.accuracy:.3f} in service",
        )
    return verdict


def main(
    settings: Settings,
    config: TrainConfig,
    on_step: Callable[[int, int, float], None] | None = None,
    evaluate_candidate: bool = True,
    promote: bool = True,
) -> TrainJobReport:
    staging = adapters_dir(settings) / ".dataset"
    shutil.rmtree(staging, ignore_errors=True)
    examples, report = asyncio.run(build_examples(settings, config.seed))
    write_jsonl(examples, staging)
    paths = {s: staging / f"{s}.jsonl" for s in ("train", "validation")}
    digest = data_hash(paths)
    folder = adapters_dir(settings) / f"{digest[:8]}-{config.digest()[:8]}"
    adapter = folder / "adapter.gguf"
    if adapter.exists():
        shutil.rmtree(staging)
        return TrainJobReport(folder, report, None, adapter)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(folder / "dataset", ignore_errors=True)
    staging.replace(folder / "dataset")
    trainer = LoraTrainer(config, ensure_checkpoint(settings), folder, digest, on_step)
    result = trainer.run(
        read_examples(folder / "dataset" / "train.jsonl"),
        read_examples(folder / "dataset" / "validation.jsonl"),
    )
    export_gguf_lora(result.adapter_dir, adapter)
    (folder / "NOTICE").write_text(NOTICE, encoding="utf-8")
    verdict = None
    if evaluate_candidate:
        validation = [e for e in examples if e.split == "validation"]
        version = AdapterRegistry(adapters_dir(settings)).get(folder.name)
        verdict = gate(settings, version, validation, promote)
    (folder / "dataset" / "report.json").write_text(
        json.dumps(
            {"examples": report.examples, "families": report.families, "skipped": report.skipped},
            indent=2,
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    return TrainJobReport(folder, report, result, adapter, verdict)
