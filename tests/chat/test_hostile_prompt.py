"""A product's texts cannot forge lines in the model's prompt: names are one line of visible
text from the moment they enter (`core.domain.Product`), whatever the source."""

from __future__ import annotations

import re
from pathlib import Path

from chat.runtime import open_runtime
from core.domain import Product
from tests.app.conftest import chat_settings
from tests.fakes.chat_model import ScriptedChatModel
from tests.hostile import (  # noqa: F401  (fixtures)
    FORGER,
    NAMES,
    RLO,
    RTL,
    hostile_dir,
    hostile_store,
)


async def test_a_name_with_line_breaks_forges_no_product_line(
    hostile_dir: Path,  # noqa: F811
) -> None:
    runtime = await open_runtime(chat_settings(hostile_dir), model=ScriptedChatModel())
    try:
        prepared = await runtime.service.prepare("pitaya falsa regalo")
        forger = await runtime.store.get_product(FORGER)
        rtl = await runtime.store.get_product(RTL)
    finally:
        await runtime.close()

    prompt = prepared.messages[-1].content
    numbered = re.findall(r"(?m)^\[(\d+)\]", prompt)
    assert numbered == [str(f.ref) for f in prepared.facts]  # one line per product, no more
    assert not re.search(r"(?m)^0,01 €", prompt)  # the forged price line is not a line
    assert FORGER in {f.product.id for f in prepared.facts}
    assert forger is not None and forger.name == " ".join(NAMES[FORGER].split())
    assert rtl is not None and RLO not in rtl.name


def test_every_source_gets_one_line_of_visible_text() -> None:
    product = Product(
        chain="dia", chain_product_id="1", price="1.50", observed_at="2026-11-20",
        name="Leche\r\n entera\u202e\x1b[31m", brand="Marca\nBlanca", packaging="brik\t1 l",
        category_path=["Lácteos\n", "Leche\u2066"], ingredients="Leche\u202e entera.\nSin sal.",
    )  # fmt: skip
    assert product.name == "Leche entera[31m" and product.brand == "Marca Blanca"
    assert product.packaging == "brik 1 l" and product.category_path == ("Lácteos", "Leche")
    assert product.ingredients == "Leche entera.\nSin sal."  # paragraphs kept, controls not
