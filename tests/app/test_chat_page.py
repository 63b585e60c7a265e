"""The chat page in a real browser (Playwright + Debian's chromium): a question typed at `/`
streams its answer in, then shows the cited products as cards with price, date and chain; a
reload shows the remembered conversation; refusals are explained to the shopper in Spanish."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingestion.fetchers import CHROMIUM_ARGS
from tests.app.conftest import chat_settings, serve
from tests.fakes.chat_model import ScriptedChatModel

pytest.importorskip("playwright", reason="the scrape extra (playwright) is not installed")
CHROMIUM = Path("/usr/lib/chromium/chromium")
AOVE = "¿Dónde está más barato el aceite de oliva virgen extra?"


async def test_page_streams_the_answer_and_shows_product_cards(data_dir: Path) -> None:
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.async_api import async_playwright

    # Two sentences, slowly: the first must be on screen before the answer is complete.
    reply = "El más barato es {1.name} [1], a {1.price}. " + "Sale a cuenta en garrafa [1]. "
    model = ScriptedChatModel(reply, delay_s=0.15)
    with serve(chat_settings(data_dir), model) as live:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = await browser.new_page()
            await page.goto(live.url)
            await page.fill("#message", AOVE)
            await page.press("#message", "Enter")

            text = page.locator(".assistant .text")
            await text.filter(has_text="[1]").wait_for(timeout=15_000)
            streamed = await text.inner_text()
            assert "El más barato es" in streamed
            assert await page.locator(".card").count() == 0  # still streaming: no cards yet

            card = page.locator(".card").first
            await card.wait_for(timeout=15_000)
            assert "Sale a cuenta en garrafa [1]." in await text.inner_text()
            content = await card.inner_text()
            assert "[1]" in content and "€" in content
            assert "precio a 20/11/2026" in content and "mercadona" in content
            assert "comprobada" in await page.locator(".verdict").inner_text()
            answer = await text.inner_text()

            # A reload shows the conversation the service remembers, so a follow-up makes sense.
            await page.reload()
            restored = page.locator(".assistant.restored .text")
            await restored.wait_for(timeout=15_000)
            assert await restored.inner_text() == answer
            assert await page.locator(".user").inner_text() == AOVE
            assert await page.locator(".examples").count() == 0
            await page.click("#reset")
            await page.reload()
            await page.locator(".examples").wait_for(timeout=15_000)
            assert await page.locator(".turn").count() == 0
            await browser.close()


async def test_page_explains_refusals_in_spanish(data_dir: Path) -> None:
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.async_api import async_playwright

    settings = chat_settings(data_dir, api={"rate_limit_per_minute": 1})
    with serve(settings, ScriptedChatModel("Tengo {1.name} [1], a {1.price}.")) as live:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = await browser.new_page()
            await page.goto(live.url)
            for question in ("leche entera", "aceite de oliva"):
                await page.fill("#message", question)
                await page.press("#message", "Enter")
                await page.locator("form button[type=submit]:not([disabled])").wait_for()
            error = page.locator(".assistant .error")
            await error.wait_for(timeout=15_000)
            shown = await error.inner_text()
            assert shown.startswith("Has hecho muchas preguntas seguidas. Espera ")
            assert "limit is 1 a minute" in (await error.get_attribute("title") or "")
            assert await page.locator(".assistant .card").count() >= 1  # the first was answered
            await browser.close()
