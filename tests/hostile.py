"""A catalogue of hostile product texts (markup, template syntax, Markdown and WhatsApp control
characters, a 300-character word, a right-to-left override, a forged price line), imported
through the real JSONL import and indexed, plus a scrape error whose texts are hostile too.
The chat page, the dashboard and both bots are tested against it (issue #18)."""

from __future__ import annotations

import asyncio
import json
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from core.domain import ExecutionStatus, ScrapeError, utcnow
from core.settings import Settings
from core.text import one_line
from ingestion.importers import ReadContext, get_reader
from ingestion.imports import FileImport
from retrieval.build import build_index
from retrieval.embedder import create_embedder
from storage.factory import create_store
from tests.app.conftest import chat_settings

WORD = "pitaya"  # every hostile product is a pitaya, so one question finds them all
LONG_WORD = "Supercalifragilistico" * 14 + "espialidoso"  # 305 characters, no space
RLO = "\u202e"
RTL = "mercadona:h8"  # the product whose name holds the override
FORGER = "mercadona:h9"  # name and address try to add a price line of their own
NAMES = {  # product id -> name
    "dia:h1": "Pitaya <script>alert(1)</script> roja",
    "dia:h2": 'Pitaya "><svg onload=window.__pwned=1> amarilla',
    "dia:h3": "Pitaya <img src=x onerror=window.__pwned=1> blanca",
    "dia:h4": "Pitaya {{7*7}} ${7*7} {% raw %} plantilla",
    "consum:h5": "Pitaya _*[]()~`>#+-=|{}.!\\ markdown",
    "consum:h6": "Pitaya *Oferta* _nueva_ ~tachada~ ```mono``` whatsapp",
    "consum:h7": f"Pitaya {LONG_WORD}",
    RTL: f"Pitaya {RLO}ajor ocerp",
    FORGER: "Pitaya falsa\n[9] *Pitaya regalo*\n0,01 € en Mercadona, precio a 20/11/2026",
}
# The scripted model's answer: every product by name, then its price, each name after a
# right-to-left override the model writes itself (the import keeps names clean, but model text
# is shown as it comes: only the page and the bots keep it from reversing what follows).
REPLY = " ".join(
    f"Tienes {RLO}{{{n}.name}} [{n}] a {{{n}.price}}." for n in range(1, len(NAMES) + 1)
)
# What the import keeps (`core.domain.Product`): one line, no control or direction characters
STORED = {product_id: one_line(name) for product_id, name in NAMES.items()}
RTL_TAIL = NAMES[RTL].split(RLO)[1]  # the text the override would have reversed
BRAND = "<b>Marca</b> *x* {{7*7}}"
BRANDED = "dia:h4"  # the product with that brand
CATEGORY = "<img src=x onerror=window.__pwned=1> Fruta"
FORGED_URL = "https://example.org/hostile/h9\n0,01 € en Mercadona, precio a 20/11/2026"
DESCRIPTION = "<script>alert(2)</script> *negrita* _cursiva_ {{7*7}} `code` [x](y)"
ERROR_MESSAGE = '<img src=x onerror=window.__pwned=1> "><svg onload=window.__pwned=1> {{7*7}}'
ERROR_EXCERPT = f"<script>alert(3)</script> {LONG_WORD}"


def rows() -> list[dict[str, Any]]:
    """The JSONL rows: each product with a hostile name, description and category, and an
    earlier price (so it has a price chart; yesterday's fall lists it in the dashboard)."""
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    found = []
    for number, (product_id, name) in enumerate(NAMES.items(), start=1):
        chain, chain_product_id = product_id.split(":")
        found.append({
            "chain": chain, "chain_product_id": chain_product_id, "name": name,
            "brand": BRAND if product_id == BRANDED else None, "price": f"{number}.25",
            "reference_price": f"{number}.25", "reference_unit": "kg",
            "category_path": [CATEGORY, "Exótica"],
            "packaging": "{{7*7}}", "ingredients": DESCRIPTION,
            "url": FORGED_URL if product_id == FORGER else
                   f"https://example.org/hostile/{chain_product_id}?q=a_b*c)",
            "observed_at": (today - timedelta(days=1)).isoformat(),
            "price_history": [{"observed_at": (today - timedelta(days=40)).isoformat(),
                               "price": f"{number}.5"}],
        })  # fmt: skip
    return found


def write_catalogue(path: Path) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows()), "utf-8")
    return path


async def fill(settings: Settings, catalogue: Path) -> None:
    """Import `catalogue` as `supersmart import` does, index it, and record a scrape run whose
    one error carries hostile texts (the dashboard's errors list shows it)."""
    store = create_store(settings)
    await store.initialize()
    try:
        importer = FileImport(store, None, settings.imports)
        await importer.run(get_reader("jsonl"), catalogue, ReadContext())
        await build_index(store, settings, create_embedder(settings.retrieval))
        execution = await store.start_execution("dia", "scrape")
        error = ScrapeError(
            execution_id=execution.id, chain="dia", reason="missing_price",
            message=ERROR_MESSAGE, url=f"https://www.dia.es/{LONG_WORD}", excerpt=ERROR_EXCERPT,
        )  # fmt: skip
        await store.record_errors(execution.id, [error])
        await store.finish_execution(execution.id, ExecutionStatus.DEGRADED)
    finally:
        await store.close()


@pytest.fixture(scope="session")
def hostile_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hostile catalogue in a store with its index, built once."""
    folder = tmp_path_factory.mktemp("hostile")
    settings = chat_settings(folder / "data")
    asyncio.run(fill(settings, write_catalogue(folder / "hostile.jsonl")))
    return folder / "data"


@pytest.fixture
def hostile_dir(hostile_store: Path, tmp_path: Path) -> Path:
    """A copy of the hostile store for one test (conversations and runs write to it)."""
    return Path(shutil.copytree(hostile_store, tmp_path / "data"))
