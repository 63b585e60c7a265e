"""`supersmart train`: build the training set from the store, train the LoRA adapter, export it
for llama.cpp (see finetune/job.py)."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from cli.runtime import console, err_console, get_settings, show_logs, user_errors


def train(
    ctx: typer.Context,
    config: Path | None = typer.Option(
        None, "--config", help="Training YAML (default: finetune/configs/default.yaml)."
    ),
    overrides: list[str] = typer.Option(
        [], "--set", help="Override a config key, e.g. --set lr=1e-4 --set max_steps=50."
    ),
    gate: bool = typer.Option(
        True, help="Evaluate against the adapter in service and promote only if as good."
    ),
    questions: str = typer.Option(
        "catalogue",
        help="Training questions: 'catalogue' (built from the store's products) or 'real' (also "
        "the development questions of the real catalogues in ../shared/data; never the "
        "held-out ones).",
    ),
    prepared: str | None = typer.Option(
        None, hidden=True, help="Train this version folder's dataset as it is (the pipeline)."
    ),
) -> None:
    """Train a LoRA adapter on the catalogue in the store and export it as GGUF."""
    from finetune import job
    from finetune.config import load_config

    settings = get_settings(ctx)
    show_logs(settings, "finetune")
    columns = (
        TextColumn("training"), BarColumn(), TextColumn("{task.completed}/{task.total} steps"),
        TextColumn("loss {task.fields[loss]:.3f}"), TimeElapsedColumn(), TimeRemainingColumn(),
    )  # fmt: skip
    try:
        with user_errors():
            resolved = load_config(config, overrides)
            with Progress(*columns, console=console) as progress:
                task = progress.add_task("train", total=None, loss=float("nan"))

                started: list[tuple[int, float]] = []  # (step, time) at the end of the first step

                def on_step(step: int, total: int, loss: float) -> None:
                    progress.update(task, completed=step, total=total, loss=loss)
                    started[:] = started or [(step, time.monotonic())]
                    if not console.is_terminal and (step % 10 == 0 or step == total):
                        # logs (nohup, the nightly pipeline) get a line instead of a bar
                        first, at = started[0]
                        per_step = (time.monotonic() - at) / max(1, step - first)
                        console.print(
                            f"step {step}/{total}  loss {loss:.3f}  "
                            f"{per_step:.1f} s/step  ETA {per_step * (total - step) / 60:.0f} min"
                        )

                if prepared is not None:
                    folder = job.adapters_dir(settings) / prepared
                    trained = job.train_prepared(settings, resolved, folder, on_step)
                    console.print(f"Trained {trained.steps} steps: {folder / 'adapter.gguf'}")
                    return
                asked = None
                gate_for: job.GateFor | None = None
                if questions == "real":
                    import asyncio

                    from evaluation.training import real_questions

                    with console.status("Preparing the real catalogues' questions..."):
                        work = settings.data_dir / "eval" / "real"
                        asked = asyncio.run(real_questions(settings, work))
                    from evaluation.gate import real_gate

                    gate_for = real_gate
                elif questions == "catalogue":
                    from evaluation.heldout import judge_on_examples

                    gate_for = judge_on_examples
                else:
                    raise typer.BadParameter("--questions is 'catalogue' or 'real'.")
                report = job.main(
                    settings, resolved, on_step, gate=gate_for if gate else None, promote=gate,
                    questions=asked,
                )  # fmt: skip
    except KeyboardInterrupt:
        err_console.print(
            "[yellow]Stopped.[/] The last checkpoint is kept: run the same command to resume."
        )
        raise typer.Exit(130) from None
    examples = report.dataset.examples
    console.print(
        f"Dataset: {examples['train']} training and {examples['validation']} validation "
        f"examples ({sum(report.dataset.skipped.values())} questions skipped)."
    )
    result = report.result
    if result is None:
        console.print(f"Already trained on this data and config: {report.adapter}")
        return
    last_val = result.validation_losses[-1][1] if result.validation_losses else float("nan")
    console.print(
        f"Trained {result.steps} steps in {result.seconds:.0f} s ({result.dtype}, "
        f"{result.threads} threads): loss {result.first_loss:.3f} -> "
        f"{result.last_loss:.3f}, validation {last_val:.3f}. Adapter: {report.adapter} "
        f"(use it with SUPERSMART_MODEL__LORA_PATH)."
    )
    if report.verdict is not None:
        v = report.verdict
        if "right" in v["candidate"]:  # the real development questions
            from evaluation.gate import summary

            console.print(
                f"Against the adapter in service: {summary(v)} -> "
                + ("promoted." if v["promoted"] else "not promoted (kept the one in service).")
            )
            return
        console.print(
            f"Grounded accuracy on {v['candidate']['questions']} held-out questions: "
            f"{v['candidate']['accuracy']:.1%} vs {v['baseline']['accuracy']:.1%} in service -> "
            + ("promoted." if v["promoted"] else "not promoted (kept the one in service).")
        )
