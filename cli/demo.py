"""`supersmart demo`: load the bundled sample catalogue, index it, answer the brief's questions
through the chat service, then serve the chat page and API on it."""

from __future__ import annotations

import secrets

import typer
from pydantic import SecretStr

from cli.chat import answer_questions, run_server
from cli.importing import print_summary
from cli.runtime import console, get_settings, run_with_store
from cli.store import print_stats
from ingestion.importers import ReadContext, get_reader
from ingestion.imports import FileImport
from ingestion.sample import SAMPLE_CATALOGUE
from retrieval.build import build_index
from retrieval.embedder import create_embedder
from storage.base import ProductStore
from storage.factory import create_datalake

# The price-history question names its period: the sample catalogue's prices are dated (up to
# 20/11/2026), so "este mes" would get another true answer every month ("no tengo precios este
# mes") and the demo would show less the later it is run.
QUESTIONS = (
    "¿Dónde está más barato el aceite de oliva virgen extra?",
    "¿Qué galletas sin gluten hay por menos de 2 €?",
    "¿Ha subido la leche entera desde octubre de 2026?",
)


def demo(
    ctx: typer.Context,
    serve: bool = typer.Option(True, help="Serve the chat page and API afterwards."),
) -> None:
    """Import the sample catalogue (idempotent), index it, answer a few questions, serve."""
    settings = get_settings(ctx)

    async def job(store: ProductStore) -> None:
        importer = FileImport(store, create_datalake(settings), settings.imports)
        summary = await importer.run(get_reader("jsonl"), SAMPLE_CATALOGUE, ReadContext())
        print_summary(summary)
        print_stats(await store.stats())
        embedder = create_embedder(settings.retrieval)
        report = await build_index(store, settings, embedder)
        console.print(
            f"Search index: {report.manifest.passages:,} passages "
            f"({report.embedded:,} embedded, {report.reused:,} from the cache)."
        )

    run_with_store(settings, job)
    run_with_store(settings, lambda _: answer_questions(settings, list(QUESTIONS)))
    if serve:
        # The sample catalogue is not refreshed from the real sites at night; the dashboard
        # opens with a key made for this session unless one is configured.
        api, made = settings.api, settings.api.admin_key is None
        if made:
            api = api.model_copy(update={"admin_key": SecretStr(secrets.token_urlsafe(18))})
        pipeline = settings.pipeline.model_copy(update={"schedule_in_api": False})
        served = settings.model_copy(update={"api": api, "pipeline": pipeline})
        run_server(served, api.host, api.port, show_key=made)
