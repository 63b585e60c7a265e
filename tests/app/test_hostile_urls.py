"""A product's page address becomes a link in the dashboard, the chat page and the bots: only
an absolute http(s) address may, whatever a source or an older store holds (a
`javascript:` URL would run script in the admin's session with one click)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from core.domain import Product
from storage.factory import create_store
from tests.app.conftest import LiveServer, chat_settings
from tests.factories import make_product
from tests.ingestion.helpers import import_into

HOSTILE = [
    "javascript:alert(4)",
    "JaVaScRiPt:alert(4)",
    "   javascript:alert(4)",
    "java\tscript:alert(4)",
    "java\nscript:alert(4)",
    "data:text/html,<script>alert(4)</script>",
    "vbscript:msgbox(4)",
    "/producto/4241",
    "//evil.example/producto",
    "https:",
    "ftp://example.com/producto",
]


@pytest.mark.parametrize("url", HOSTILE)
def test_only_web_pages_are_kept_as_product_urls(url: str) -> None:
    assert make_product(url=url).url is None
    stored = make_product().model_dump(mode="json") | {"url": url}  # an older store's row
    assert Product.model_validate_json(json.dumps(stored)).url is None


def test_web_pages_are_kept() -> None:
    assert make_product(url=" https://tienda.example/p/1 ").url == "https://tienda.example/p/1"
    assert make_product(url="HTTP://tienda.example/p/1").url == "HTTP://tienda.example/p/1"


async def test_an_imported_javascript_url_never_becomes_a_link(tmp_path: Path) -> None:
    settings = chat_settings(
        tmp_path / "data",
        model={"backend": "data-only"},
        api={"admin_key": "operator-key-for-tests"},
    )
    rows = [
        {"chain": "dia", "chain_product_id": "1", "name": "Leche trampa", "price": "1.00",
         "url": "  JavaScript:fetch('/admin/actions/index',{method:'POST'})"},
        {"chain": "dia", "chain_product_id": "2", "name": "Leche buena", "price": "1.10",
         "url": "https://www.dia.example/p/2"},
    ]  # fmt: skip
    source = tmp_path / "products.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    store = create_store(settings)
    await store.initialize()
    summary = await import_into(store, settings, source, "jsonl")
    await store.close()
    assert summary.counts.new == 2  # the product is kept, its address is not

    with (
        LiveServer(settings, None) as live,
        httpx.Client(base_url=live.url, follow_redirects=True, timeout=30) as client,
    ):
        client.post("/admin/login", data={"key": "operator-key-for-tests"})
        trap = client.get("/admin/products", params={"id": "dia:1"}).text
        good = client.get("/admin/products", params={"id": "dia:2"}).text

    assert "Leche trampa" in trap and "javascript" not in trap.lower()
    assert "ficha en la web" not in trap
    assert 'href="https://www.dia.example/p/2"' in good
