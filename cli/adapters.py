"""`supersmart adapters list|promote|rollback|off|report`: the LoRA adapter versions and the one in
service (a running service picks a change up before its next answer)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from cli.runtime import console, get_settings, user_errors
from core.errors import NotFoundError
from finetune.registry import AdapterRegistry, shipped_adapter

app = typer.Typer(help="LoRA adapter versions: list, promote, roll back.", no_args_is_help=True)


def _registry(ctx: typer.Context) -> AdapterRegistry:
    return AdapterRegistry(get_settings(ctx).data_dir / "adapters")


@app.command("list")
def list_versions(ctx: typer.Context) -> None:
    """Trained versions with their losses and evaluation, and the one in service."""
    registry = _registry(ctx)
    current = registry.current_name()
    table = Table()
    for column in ("", "version", "steps", "train loss", "validation loss", "grounded accuracy"):
        table.add_column(column)
    for version in registry.versions():
        metrics, evaluation = version.metrics, version.evaluation or {}
        val = metrics.get("validation_losses") or [[None, None]]
        table.add_row(
            "*" if version.name == current else "",
            version.name,
            str(metrics.get("steps", "-")),
            f"{metrics['train_losses'][-1][1]:.3f}" if metrics.get("train_losses") else "-",
            f"{val[-1][1]:.3f}" if val[-1][1] is not None else "-",
            f"{evaluation['accuracy']:.3f}" if "accuracy" in evaluation else "-",
        )
    console.print(table)
    if current is None:
        shipped = shipped_adapter()
        console.print(f"In service: the shipped default ({shipped or 'none in this package'}).")
    elif current == "none":
        console.print("In service: no adapter (switched off).")


@app.command("promote")
def promote(ctx: typer.Context, version: str = typer.Argument(..., help="Version name.")) -> None:
    """Put a version in service."""
    with user_errors():
        _registry(ctx).promote(version, reason="by hand")
    console.print(f"In service: {version}.")


@app.command("evaluate")
def evaluate_version(
    ctx: typer.Context,
    version: str = typer.Argument(..., help="Version name (see `supersmart adapters list`)."),
    promote: bool = typer.Option(
        False, help="Put it in service if it is at least as accurate as the one in service."
    ),
    limit: int | None = typer.Option(
        None, min=1, help="Ask only the first N held-out questions (faster, noisier)."
    ),
    questions: str = typer.Option(
        "catalogue",
        help="'catalogue' (held-out questions built from the store's products) or 'real' (the "
        "whole service on the real set's development part, ../shared/data).",
    ),
) -> None:
    """Grounded accuracy of a version vs the adapter in service, on held-out questions built
    from the catalogue in the store (saved as the version's eval.json)."""
    import asyncio

    from finetune import job
    from finetune.config import load_config

    settings = get_settings(ctx)
    with user_errors():
        chosen = _registry(ctx).get(version)
        judge: job.Judge
        if questions == "real":
            from evaluation import gate

            judge, asking = gate.judge_on_real, "the real development questions"
        else:
            from evaluation.heldout import judge_on_examples

            examples, _ = asyncio.run(job.build_examples(settings, load_config()))
            validation = [e for e in examples if e.split == "validation"][:limit]
            judge = judge_on_examples(validation)
            asking = f"{len(validation)} held-out questions"
        with console.status(f"Asking {asking} with {version}..."):
            verdict = judge(settings, chosen.gguf, _registry(ctx).current())
        job.write_verdict(chosen, verdict)
        if promote:
            verdict["promoted"] = job.promote_if_better(settings, chosen, verdict)
    promoted = " -> promoted." if verdict["promoted"] else "."
    if questions == "real":
        from evaluation.gate import summary

        console.print(f"Against the adapter in service: {summary(verdict)}{promoted}")
        return
    console.print(
        f"Grounded accuracy: {version} {verdict['candidate']['accuracy']:.1%}, in service "
        f"{verdict['baseline']['accuracy']:.1%} ({asking}){promoted}"
    )


@app.command("rollback")
def rollback(ctx: typer.Context) -> None:
    """Back to the version in service before the last promotion."""
    with user_errors():
        now = _registry(ctx).rollback()
    console.print(f"In service: {now}.")


@app.command("off")
def off(ctx: typer.Context) -> None:
    """Serve the base model without any adapter (undo with `rollback`)."""
    _registry(ctx).disable(reason="by hand")
    console.print("In service: no adapter.")


@app.command("ship", hidden=True)
def ship_version(
    ctx: typer.Context,
    version: str = typer.Argument(..., help="Version name."),
    target: Path = typer.Option(Path("finetune/adapters/default"), help="Shipped adapter folder."),
) -> None:
    """Maintainers: make a trained version the repository's shipped default adapter."""
    from finetune.registry import ship

    with user_errors():
        copied = ship(_registry(ctx).get(version), target)
    console.print(f"Shipped {version}: {', '.join(p.name for p in copied)} in {target}.")


@app.command("report")
def report(
    ctx: typer.Context,
    out: Path = typer.Option(Path("adapter-report.md"), help="Markdown report (JSON beside it)."),
    adapter: Path | None = typer.Option(
        None, help="GGUF adapter to evaluate (default: the one in service)."
    ),
    limit: int | None = typer.Option(None, help="Evaluate only the first N questions."),
    questions: str = typer.Option(
        "catalogue",
        help="'catalogue' (held-out questions built from the store's products) or 'real' (the "
        "whole service on the real set's development part, ../shared/data).",
    ),
    against: Path | None = typer.Option(
        None, help="With --questions real: the adapter compared with (default: the bare model)."
    ),
) -> None:
    """Base model vs adapter on held-out questions about products the adapter never saw."""
    import asyncio
    import json

    from evaluation.heldout import answer_model, evaluate, markdown
    from finetune.config import load_config
    from finetune.job import build_examples

    settings = get_settings(ctx)
    with user_errors():
        chosen = adapter or _registry(ctx).current()
        if chosen is None:
            raise NotFoundError("No adapter in service: pass --adapter PATH or train one first.")
        if questions == "real":
            from evaluation import gate

            with console.status("Asking the real development questions..."):
                verdict = asyncio.run(gate.compare_adapters(settings, chosen, against))
            title = "The service on the real development questions: adapter vs " + (
                str(against) if against else "the bare model"
            )
            out.write_text(gate.markdown(verdict, title), encoding="utf-8")
            out.with_suffix(".json").write_text(
                json.dumps(verdict, indent=2, ensure_ascii=False), encoding="utf-8"
            )
            console.print(f"{gate.summary(verdict)}. Report: {out}")
            return
        examples, _ = asyncio.run(build_examples(settings, load_config()))
        validation = [e for e in examples if e.split == "validation"][:limit]
        with console.status(f"Evaluating on {len(validation)} held-out questions..."):
            base = evaluate(answer_model(settings, None), validation)
            tuned = evaluate(answer_model(settings, chosen), validation)
    base.model, tuned.model = "base model", f"with adapter {chosen.parent.name}"
    title = "Grounded answers on held-out products: base model vs adapter"
    out.write_text(markdown([base, tuned], title), encoding="utf-8")
    payload = {"base": base.to_json(), "adapter": tuned.to_json() | {"path": str(chosen)}}
    out.with_suffix(".json").write_text(
        json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    console.print(
        f"Grounded accuracy: base {base.accuracy:.1%}, adapter {tuned.accuracy:.1%} "
        f"({len(validation)} questions). Report: {out}"
    )
