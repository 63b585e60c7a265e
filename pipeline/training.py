"""Training and evaluating adapters for the pipeline, in their own processes.

Training and evaluation keep every core busy for minutes and hold gigabytes; in a separate
process (at a lower priority) they cannot stall the event loop that serves answers, can be
stopped at once, and their output becomes the step's log excerpt. Tests pass fakes with the
same two methods.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from core.errors import TrainingError
from core.settings import SETTINGS_FILE, Settings, write_settings
from finetune.registry import AdapterRegistry
from pipeline.logs import StepLog


class AdapterTrainer(Protocol):
    async def train(self, version: str, log: StepLog) -> dict[str, Any]:
        """Train the prepared version folder `version` into adapter.gguf; its metrics."""


class AdapterEvaluator(Protocol):
    async def evaluate(self, version: str, log: StepLog) -> dict[str, Any]:
        """Evaluate `version` against the adapter in service; the verdict (eval.json)."""


async def run_cli(settings: Settings, args: list[str], log: StepLog) -> None:
    """`supersmart <args>` in a child process at low priority; its output goes to `log`."""
    with child_settings(settings) as env:
        await _run(args, env | {"COLUMNS": "160", "PYTHONUNBUFFERED": "1"}, log)


@contextmanager
def child_settings(settings: Settings) -> Iterator[dict[str, str]]:
    """The environment of a child `supersmart`: this one's, minus any SUPERSMART_* variable,
    plus the one file holding `settings` (secrets included, this user only; removed after)."""
    folder = settings.data_dir / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"settings-{os.getpid()}-{secrets.token_hex(4)}.json"
    write_settings(settings, path)
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SUPERSMART_")}
        yield env | {SETTINGS_FILE: str(path)}
    finally:
        path.unlink(missing_ok=True)


async def _run(args: list[str], env: dict[str, str], log: StepLog) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli.main", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=env,
        preexec_fn=lambda: os.nice(10),  # answers first when cores are shared
    )  # fmt: skip
    assert process.stdout is not None
    try:
        async for line in process.stdout:
            log.add(line.decode(errors="replace"))
        code = await process.wait()
    except asyncio.CancelledError:  # the run was aborted: stop the child now
        process.terminate()
        await process.wait()
        raise
    if code != 0:
        raise TrainingError(
            f"`supersmart {' '.join(args)}` exited with status {code}: see the step's log."
        )


class SubprocessTrainer:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    async def train(self, version: str, log: StepLog) -> dict[str, Any]:
        config = self._settings.pipeline.train_config
        args = ["train", "--prepared", version] + (["--config", str(config)] if config else [])
        await run_cli(self._settings, args, log)
        return AdapterRegistry(self._settings.data_dir / "adapters").get(version).metrics


class SubprocessEvaluator:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    async def evaluate(self, version: str, log: StepLog) -> dict[str, Any]:
        limit = self._settings.pipeline.evaluate_questions
        args = ["adapters", "evaluate", version] + (["--limit", str(limit)] if limit else [])
        await run_cli(self._settings, args, log)
        verdict = AdapterRegistry(self._settings.data_dir / "adapters").get(version).evaluation
        if verdict is None:
            raise TrainingError(f"The evaluation of {version} wrote no eval.json: see its log.")
        return verdict
