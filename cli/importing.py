"""`supersmart import FILE --format F`: load a catalogue or price-history file into the store."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from cli.runtime import console, get_settings, run_with_store
from core.settings import Settings
from ingestion.importers import READERS, ReadContext, Reader, get_reader
from ingestion.imports import FileImport, ImportSummary
from ingestion.parsing import parse_day
from ingestion.records import RowRejected
from storage.base import ProductStore
from storage.factory import create_datalake

FORMATS_HELP = "; ".join(f"{name}: {reader.description}" for name, reader in READERS.items())


def import_file(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="File to import."),
    format_name: str = typer.Option(..., "--format", "-f", help=f"File format. {FORMATS_HELP}"),
    observed_at: str | None = typer.Option(
        None,
        "--observed-at",
        help="Date the data was observed (YYYY-MM-DD) when the file has "
        "none; default: a date in the file name, else today.",
    ),
) -> None:
    """Import a product or price-history file. Bad rows are reported and skipped."""
    settings = get_settings(ctx)
    if format_name not in READERS:
        raise typer.BadParameter(
            f"unknown format {format_name!r}; use one of: {', '.join(READERS)}",
            param_hint="--format",
        )
    reader = get_reader(format_name)
    context = ReadContext(observed_at=parse_observed_at(observed_at))
    summary = run_with_store(settings, lambda store: _run(store, settings, reader, path, context))
    print_summary(summary)


def parse_observed_at(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_day(text)
    except RowRejected:
        raise typer.BadParameter("use YYYY-MM-DD", param_hint="--observed-at") from None


async def _run(
    store: ProductStore, settings: Settings, reader: Reader, path: Path, context: ReadContext
) -> ImportSummary:
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(f"Importing {path.name}", total=None)

        def on_progress(summary: ImportSummary) -> None:
            progress.update(
                task,
                description=f"Importing {path.name}: {summary.read:,} rows read, "
                f"{sum(summary.rejected.values()):,} rejected",
            )

        job = FileImport(store, create_datalake(settings), settings.imports, on_progress)
        return await job.run(reader, path, context)


def print_summary(summary: ImportSummary) -> None:
    counts = summary.counts
    table = Table(title=f"Import {summary.execution.id[:8]} ({summary.execution.status})")
    table.add_column("what")
    table.add_column("rows", justify="right")
    for label, value in (
        ("read", summary.read),
        ("stored", summary.stored),
        ("  new", counts.new),
        ("  updated", counts.updated),
        ("  unchanged", counts.unchanged),
        ("  dated prices", counts.prices),
        ("price changes recorded", counts.price_changes),
        ("rejected", sum(summary.rejected.values())),
    ):
        table.add_row(label, f"{value:,}")
    for reason, number in summary.rejected.most_common():
        table.add_row(f"  {reason}", f"{number:,}")
    table.add_row("stored with a warning", f"{sum(summary.warnings.values()):,}")
    for reason, number in summary.warnings.most_common():
        table.add_row(f"  {reason}", f"{number:,}")
    console.print(table)
    for reason, example in summary.examples.items():
        console.print(f"[yellow]{reason}[/] e.g. {example.location}: {example.message}")
    console.print(
        f"Imported {summary.stored:,} of {summary.read:,} records "
        f"({counts.new:,} new, {counts.updated:,} updated, {counts.price_changes:,} price changes, "
        f"{sum(summary.rejected.values()):,} rejected)."
    )
