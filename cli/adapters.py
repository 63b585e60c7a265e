"""`supersmart adapters list|promote|rollback|off`: the LoRA adapter versions and the one in
service (a running service picks a change up before its next answer)."""

from __future__ import annotations

import typer
from rich.table import Table

from cli.runtime import console, err_console, get_settings
from core.errors import SuperSmartError
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
    try:
        _registry(ctx).promote(version, reason="by hand")
    except SuperSmartError as exc:
        err_console.print(f"[bold red]Error:[/] {exc}")
        raise typer.Exit(1) from None
    console.print(f"In service: {version}.")


@app.command("rollback")
def rollback(ctx: typer.Context) -> None:
    """Back to the version in service before the last promotion."""
    try:
        now = _registry(ctx).rollback()
    except SuperSmartError as exc:
        err_console.print(f"[bold red]Error:[/] {exc}")
        raise typer.Exit(1) from None
    console.print(f"In service: {now}.")


@app.command("off")
def off(ctx: typer.Context) -> None:
    """Serve the base model without any adapter (undo with `rollback`)."""
    _registry(ctx).disable(reason="by hand")
    console.print("In service: no adapter.")
