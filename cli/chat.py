"""`supersmart serve` (the chat API and page) and `supersmart ask` (one question, in the
terminal, through the same chat service)."""

from __future__ import annotations

import asyncio

import typer
from rich.markup import escape
from rich.table import Table

from chat.answer import ChatAnswer
from chat.facts import money, reference
from chat.runtime import open_runtime
from cli.runtime import console, get_settings, user_errors
from core.settings import Settings
from finetune.registry import AdapterRegistry

VERDICTS = {
    "verified": "respuesta del modelo comprobada con los datos",
    "repaired": "se quitaron frases que los datos no respaldan",
    "replaced": "la respuesta del modelo no se pudo comprobar: respuesta compuesta con los datos",
    "composed": "respuesta compuesta con los datos",
}


def serve(
    ctx: typer.Context,
    host: str | None = typer.Option(None, help="Address (default SUPERSMART_API__HOST)."),
    port: int | None = typer.Option(None, help="Port (default SUPERSMART_API__PORT)."),
) -> None:
    """Serve the chat API (POST /chat, /v1/chat/completions) and the chat page at /."""
    settings = get_settings(ctx)
    run_server(settings, host or settings.api.host, port or settings.api.port)


def run_server(settings: Settings, host: str, port: int, show_key: bool = False) -> None:
    """`show_key`: print the admin key (the demo's one-session key; never a configured one)."""
    import uvicorn

    from app.api import create_app
    from app.server import server_options
    from core.logs import configure_logging

    console.print(
        f"Chat page: [bold]http://{host}:{port}/[/]  API docs: http://{host}:{port}/docs  "
        "(Ctrl-C stops)"
    )
    key = settings.api.admin_key
    if key is None:
        console.print("Operator dashboard: set SUPERSMART_API__ADMIN_KEY to open /admin.")
    else:
        shown = f" (admin key for this session: {key.get_secret_value()})" if show_key else ""
        console.print(f"Operator dashboard: http://{host}:{port}/admin{shown}")
    pipeline = settings.pipeline
    if pipeline.schedule and pipeline.schedule_in_api:
        console.print(
            f"Nightly pipeline: '{pipeline.schedule}' ({pipeline.timezone}); "
            "see `supersmart pipeline list`."
        )
    configure_logging(settings)  # uvicorn's loggers too: its own config would skip the masking
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_config=None,
        log_level=settings.log_level,
        **server_options(settings),
    )


def ask(
    ctx: typer.Context,
    question: str = typer.Argument(..., help="A question in Spanish."),
) -> None:
    """Answer one question in the terminal, as POST /chat would."""
    settings = get_settings(ctx)
    with user_errors():
        asyncio.run(answer_questions(settings, [question]))


async def answer_questions(settings: Settings, questions: list[str]) -> None:
    runtime = await open_runtime(settings, adapter=AdapterRegistry.of(settings).current)
    try:
        console.print(f"[dim]Model: {runtime.service.model_name}[/]")
        for question in questions:
            print_answer(await runtime.service.ask(question))
    finally:
        await runtime.close()


def print_answer(answer: ChatAnswer) -> None:
    console.print(f"\n[bold]» {escape(answer.question)}[/]")
    console.print(answer.answer, highlight=False, markup=False)  # "[pulsa]" is a name, not markup
    if answer.cited:
        table = Table(show_edge=False, pad_edge=False)
        for column in ("", "cadena", "producto", "precio", "precio/unidad", "precio a"):
            table.add_column(column)
        for f in answer.cited:
            p = f.product
            table.add_row(
                escape(f"[{f.ref}]"),
                p.chain,
                escape(p.name),
                money(p.price),
                reference(p) or "-",
                f"{p.observed_at:%d/%m/%Y}",
            )
        console.print(table)
    console.print(
        f"[dim]{VERDICTS[answer.grounding.verdict]} · {answer.timings_ms['total']:.0f} ms[/]"
    )
