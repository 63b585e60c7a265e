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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chat.runtime import open_runtime
from core.settings import Settings
from finetune.base_model import ensure_checkpoint
from finetune.config import TrainConfig
from finetune.dataset import (
    Asked,
    DatasetBuilder,
    DatasetReport,
    Example,
    data_hash,
    write_jsonl,
)
from finetune.export import export_gguf_lora
from finetune.registry import AdapterRegistry, AdapterVersion
from finetune.trainer import LoraTrainer, TrainResult, read_examples
from retrieval.build import all_products
from retrieval.embedder import Embedder

NOTICE = """This adapter was trained from Gemma 3 270M and is a Model Derivative of Gemma under the
Gemma Terms of Use (https://ai.google.dev/gemma/terms), which apply to its use and distribution.
"""


# (settings, candidate GGUF, adapter in service) -> verdict: {"passes", "accuracy", "candidate":
# {"accuracy", ...}, "baseline": {"accuracy", ...}}, written as the version's eval.json. Judges
# live in `evaluation/` (the held-out examples, the real questions), which scores every answer.
Judge = Callable[[Settings, Path, Path | None], dict[str, Any]]
# The gate for a training run, given its held-out examples (a judge may ask its own questions).
GateFor = Callable[[Sequence[Example]], Judge]


@dataclass
class TrainJobReport:
    folder: Path
    dataset: DatasetReport
    result: TrainResult | None  # None: this data and config were trained already
    adapter: Path
    verdict: dict[str, Any] | None = None


def adapters_dir(settings: Settings) -> Path:
    return settings.data_dir / "adapters"


@dataclass(frozen=True)
class Questions:
    """Training questions asked of another store (e.g. the real catalogues' development
    questions, `evaluation/training.py`), added to those built from the catalogue."""

    settings: Settings  # the store (and index) they are asked of
    asked: Sequence[Asked]


async def build_examples(
    settings: Settings,
    config: TrainConfig,
    embedder: Embedder | None = None,
    questions: Questions | None = None,
) -> tuple[list[Example], DatasetReport]:
    """Examples from the store's catalogue (and `questions`) through the service's own
    retrieval and prompt (`embedder`: one already loaded, e.g. the serving process's)."""
    examples, report = await _examples(settings, config, embedder, None)
    if questions is not None:
        more, extra = await _examples(questions.settings, config, embedder, questions.asked)
        examples += more
        for counter, added in ((report.examples, extra.examples), (report.families, extra.families),
                               (report.skipped, extra.skipped)):  # fmt: skip
            counter.update(added)
    return examples, report


async def _examples(
    settings: Settings,
    config: TrainConfig,
    embedder: Embedder | None,
    asked: Sequence[Asked] | None,
) -> tuple[list[Example], DatasetReport]:
    data_only = settings.model_copy(
        update={"model": settings.model.model_copy(update={"backend": "data-only"})}
    )
    runtime = await open_runtime(data_only, embedder=embedder)
    try:
        builder = DatasetBuilder(runtime.service, seed=config.seed, prompt=config.prompt)
        if asked is None:
            examples = await builder.build(await all_products(runtime.store))
        else:
            examples = await builder.build_questions(asked)
    finally:
        await runtime.close()
    return examples, builder.report


async def build_dataset(settings: Settings, config: TrainConfig, folder: Path) -> DatasetReport:
    examples, report = await build_examples(settings, config)
    write_jsonl(examples, folder)
    return report


def write_verdict(version: AdapterVersion, verdict: dict[str, Any]) -> None:
    (version.folder / "eval.json").write_text(
        json.dumps(verdict, indent=2, ensure_ascii=False), encoding="utf-8"
    )


def promote_if_better(settings: Settings, version: AdapterVersion, verdict: dict[str, Any]) -> bool:
    """The promotion rule: at least as accurate as the adapter in service when evaluated."""
    if not verdict.get("passes"):
        return False
    candidate, baseline = verdict["candidate"]["accuracy"], verdict["baseline"]["accuracy"]
    AdapterRegistry(adapters_dir(settings)).promote(
        version.name, reason=f"accuracy {candidate:.3f} >= {baseline:.3f} in service"
    )
    write_verdict(version, verdict | {"promoted": True})
    return True


@dataclass
class Prepared:
    """A training set written into its adapter version folder."""

    folder: Path
    digest: str
    report: DatasetReport
    validation: list[Example]

    @property
    def trained(self) -> bool:
        """This data and config were trained already."""
        return (self.folder / "adapter.gguf").exists()


async def prepare(
    settings: Settings,
    config: TrainConfig,
    embedder: Embedder | None = None,
    questions: Questions | None = None,
) -> Prepared:
    """Build the examples and find their version folder (named after data and config)."""
    staging = adapters_dir(settings) / ".dataset"
    shutil.rmtree(staging, ignore_errors=True)
    examples, report = await build_examples(settings, config, embedder, questions)
    write_jsonl(examples, staging)
    digest = data_hash({s: staging / f"{s}.jsonl" for s in ("train", "validation")})
    folder = adapters_dir(settings) / f"{digest[:8]}-{config.digest()[:8]}"
    validation = [e for e in examples if e.split == "validation"]
    prepared = Prepared(folder, digest, report, validation)
    if prepared.trained:
        shutil.rmtree(staging)
        return prepared
    folder.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(folder / "dataset", ignore_errors=True)
    staging.replace(folder / "dataset")
    (folder / "dataset" / "report.json").write_text(
        json.dumps(
            {"examples": report.examples, "families": report.families, "skipped": report.skipped},
            indent=2,
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    return prepared


def train_prepared(
    settings: Settings,
    config: TrainConfig,
    folder: Path,
    on_step: Callable[[int, int, float], None] | None = None,
) -> TrainResult:
    """Train the adapter on the dataset in `folder` (resuming a checkpoint) and export it."""
    dataset = folder / "dataset"
    digest = data_hash({s: dataset / f"{s}.jsonl" for s in ("train", "validation")})
    trainer = LoraTrainer(config, ensure_checkpoint(settings), folder, digest, on_step)
    result = trainer.run(
        read_examples(dataset / "train.jsonl"), read_examples(dataset / "validation.jsonl")
    )
    export_gguf_lora(result.adapter_dir, folder / "adapter.gguf")
    (folder / "NOTICE").write_text(NOTICE, encoding="utf-8")
    return result


def main(
    settings: Settings,
    config: TrainConfig,
    on_step: Callable[[int, int, float], None] | None = None,
    gate: GateFor | None = None,
    promote: bool = True,
    questions: Questions | None = None,
) -> TrainJobReport:
    """Build, train, export; then, given a `gate`, judge the candidate against the adapter in
    service and promote it if at least as good (and `promote`)."""
    prepared = asyncio.run(prepare(settings, config, questions=questions))
    adapter = prepared.folder / "adapter.gguf"
    if prepared.trained:
        return TrainJobReport(prepared.folder, prepared.report, None, adapter)
    result = train_prepared(settings, config, prepared.folder, on_step)
    verdict = None
    if gate is not None:
        registry = AdapterRegistry(adapters_dir(settings))
        version = registry.get(prepared.folder.name)
        verdict = gate(prepared.validation)(settings, version.gguf, registry.current())
        write_verdict(version, verdict)
        if promote:
            verdict["promoted"] = promote_if_better(settings, version, verdict)
    return TrainJobReport(prepared.folder, prepared.report, result, adapter, verdict)
