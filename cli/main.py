"""Entry point of the `supersmart` command (see `supersmart --help`)."""

from __future__ import annotations

from pathlib import Path

import typer

from cli import demo, importing, store
from core.settings import Settings

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
    overrides = {"data_dir": data_dir} if data_dir else {}
    ctx.obj = Settings(**overrides)  # type: ignore[arg-type]


app.command("import")(importing.import_file)
app.command("demo")(demo.demo)
app.add_typer(store.app, name="store")

if __name__ == "__main__":
    app()
