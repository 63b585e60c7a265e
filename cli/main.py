"""Entry point of the `supersmart` command (see `supersmart --help`)."""

from __future__ import annotations

from pathlib import Path

import typer
from pydantic import ValidationError

from cli import (
    adapters,
    bots,
    chat,
    demo,
    evaluate,
    importing,
    pipeline,
    retrieval,
    scrape,
    store,
    train,
)
from cli.runtime import err_console
from core.logs import configure_logging, mask_uncaught
from core.settings import load_settings

app = typer.Typer(
    name="supersmart",
    help="SuperSmart: a shopping assistant grounded in real Spanish supermarket data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def main(
    ctx: typer.Context,
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Override SUPERSMART_DATA_DIR (database, data lake, indexes)."
    ),
) -> None:
    """Settings come from SUPERSMART_* environment variables (and .env); see the README."""
    try:
        settings = load_settings()
        ctx.obj = settings.model_copy(update={"data_dir": data_dir}) if data_dir else settings
        configure_logging(settings, "warning")  # the long-running commands raise it
        mask_uncaught(settings)
    except ValidationError as exc:
        for error in exc.errors():
            name = "SUPERSMART_" + "__".join(str(part).upper() for part in error["loc"])
            err_console.print(f"[bold red]Invalid setting[/] {name}: {error['msg']}")
        err_console.print("Fix the environment variable (or .env file) named above.")
        raise typer.Exit(2) from None


app.command("import")(importing.import_file)
app.command("demo")(demo.demo)
app.command("scrape")(scrape.scrape)
app.command("testshop")(scrape.testshop)
app.command("index")(retrieval.index)
app.command("search")(retrieval.search)
app.command("serve")(chat.serve)
app.command("ask")(chat.ask)
app.command("train")(train.train)
app.command("eval")(evaluate.evaluate)
app.add_typer(store.app, name="store")
app.add_typer(adapters.app, name="adapters")
app.add_typer(bots.app, name="bot")
app.add_typer(pipeline.app, name="pipeline")
app.command("schedule")(pipeline.schedule)

if __name__ == "__main__":
    app()
