"""Hostile product texts on the chat page and the dashboard, in a real browser (Playwright +
Debian's chromium), imported through the JSONL import (issue #18): markup in a name, a
category or a scrape error runs nothing and shows as the text it is, a 300-character word
cannot push a page sideways on a phone or a desktop, and a right-to-left override in a name
cannot flip the chain, date or price after it. The chat page with the scripted model and the
data-only backend, and again after a reload; the dashboard's overview (errors, catalogue,
price falls), search, product pages and price charts."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pytest

from ingestion.fetchers import CHROMIUM_ARGS
from tests.app.conftest import chat_settings, serve
from tests.fakes.chat_model import ScriptedChatModel
from tests.hostile import (  # noqa: F401  (fixtures)
    BRAND,
    BRANDED,
    CATEGORY,
    ERROR_EXCERPT,
    ERROR_MESSAGE,
    NAMES,
    REPLY,
    RTL,
    RTL_TAIL,
    STORED,
    WORD,
    hostile_dir,
    hostile_store,
)

if TYPE_CHECKING:  # for types only: playwright may be missing (the importorskip below)
    from playwright.async_api import ElementHandle, Page, ViewportSize

pytest.importorskip("playwright", reason="the scrape extra (playwright) is not installed")
CHROMIUM = Path("/usr/lib/chromium/chromium")
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Every product by name, then its price: the scripted model's answer. The grounding check
# keeps the sentences it can verify (those naming the markup, the long word and the override).
QUESTIONS = {"scripted": "pitaya roja", "data-only": "¿Qué pitayas tienes y cuánto cuestan?"}
IN_ANSWER = {
    "scripted": ["dia:h1", "dia:h2", "consum:h6", "consum:h7", RTL],
    "data-only": list(NAMES),
}

# What the page shows, read in the page: nothing may have run or been created from the data.
SNAPSHOT = """() => {
  const log = document.getElementById("log");
  const box = (e) => { const r = e.getBoundingClientRect(); return [r.left, r.right]; };
  return {
    pwned: typeof window.__pwned,
    created: log.querySelectorAll("script, svg, img, iframe, object, embed, b").length,
    width: [document.documentElement.scrollWidth, document.documentElement.clientWidth],
    viewport: window.innerWidth,
    turns: [...log.querySelectorAll(".turn")].map(box),
    cards: [...log.querySelectorAll(".card")].map(box),
    names: [...log.querySelectorAll(".card")].map((c) =>
      [c.dataset.productId, c.querySelector(".name").textContent]),
    answer: log.querySelector(".assistant .text").textContent,
  };
}"""

# Left edges of the first and last letters of the word at `at` in `element`'s text, as laid
# out: reversed when an override earlier in the same paragraph still applies.
WORD_DIRECTION = """(element, [at, length]) => {
  if (element instanceof SVGTextContentElement)
    return [at, at + length - 1].map((i) => element.getStartPositionOfChar(i).x);
  const left = (i) => {
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    let node = walker.nextNode();
    while (i >= node.length) { i -= node.length; node = walker.nextNode(); }
    const range = document.createRange();
    range.setStart(node, i);
    range.setEnd(node, i + 1);
    return range.getBoundingClientRect().left;
  };
  return [left(at), left(at + length - 1)];
}"""
LETTERS = re.compile(r"[0-9a-zA-Z/]{4,}")


async def reads_left_to_right(element: ElementHandle, after: str) -> None:
    """The first word after `after` in `element`'s text is laid out in reading order."""
    text = await element.text_content() or ""
    word = LETTERS.search(text, text.index(after) + len(after))
    assert word is not None, text
    first, last = await element.evaluate(WORD_DIRECTION, [word.start(), len(word[0])])
    assert first < last, f"a right-to-left override flipped «{word[0]}» in {text!r}"


def shown(name: str) -> str:
    """A name as the page may show it: as stored, bidi controls dropped (display directives,
    not text; a store written before names were cleaned on import may still hold them)."""
    return BIDI_CONTROLS.sub("", name)


async def check_page(page: Page, dialogs: list[str], names: list[str]) -> dict[str, Any]:
    seen: dict[str, Any] = await page.evaluate(SNAPSHOT)
    assert dialogs == [] and seen["pwned"] == "undefined" and seen["created"] == 0, seen
    scroll_width, client_width = seen["width"]
    assert scroll_width <= client_width, f"the page scrolls sideways: {seen['width']}"
    for left, right in seen["turns"] + seen["cards"]:
        assert left >= 0 and right <= seen["viewport"], (left, right, seen["viewport"])
    for name in names:
        assert shown(name) in seen["answer"]  # the text as it came, never interpreted
    return seen


@pytest.mark.parametrize("backend", ["scripted", "data-only"])
async def test_hostile_names_show_as_text_and_keep_the_layout(
    hostile_dir: Path,  # noqa: F811
    backend: str,
) -> None:
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.async_api import async_playwright

    scripted = backend == "scripted"
    settings = chat_settings(
        hostile_dir,
        chat={"products_in_context": len(NAMES)},
        model={"backend": "llama-cpp" if scripted else "data-only"},
    )
    model = ScriptedChatModel(default=REPLY) if scripted else None
    with serve(settings, model) as live:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = await browser.new_page(viewport=PHONE)
            dialogs: list[str] = []
            page.on("dialog", lambda d: dialogs.append(d.message))
            await page.goto(live.url)
            await page.fill("#message", QUESTIONS[backend])
            await page.press("#message", "Enter")
            await page.locator(".verdict").wait_for(timeout=15_000)

            names = [STORED[product_id] for product_id in IN_ANSWER[backend]]
            seen = await check_page(page, dialogs, names)
            assert len(seen["names"]) >= len(names)
            for product_id, name in seen["names"]:  # each card: the name exactly as stored
                assert re.sub(r"^\[\d+\] ", "", name) == shown(STORED[product_id])
            assert seen["answer"].startswith("Tienes" if scripted else "Tengo")  # whose words
            # the words after the reversed name still read left to right
            answer = await page.query_selector(".assistant .text")
            assert answer is not None
            await reads_left_to_right(answer, RTL_TAIL)

            await page.set_viewport_size(DESKTOP)
            await check_page(page, dialogs, names)
            await page.reload()  # the remembered conversation, shown again
            await page.locator(".assistant.restored").wait_for(timeout=15_000)
            await check_page(page, dialogs, names)
            await browser.close()


# The dashboard: markup the page itself did not write (the charts are its own SVG).
ADMIN_SNAPSHOT = """() => ({
  pwned: typeof window.__pwned,
  created: document.querySelectorAll(`main script, main img, main iframe, main object,
    main embed, main b, main svg:not(.chart), main svg svg, main foreignObject`).length,
  width: [document.documentElement.scrollWidth, document.documentElement.clientWidth],
  // a wide table may scroll inside its section on a phone; no text block may outgrow the screen
  widest: Math.max(...[...document.querySelectorAll("main :is(h2, p, li, a, td, pre, svg)")]
    .map((e) => e.getBoundingClientRect().width)),
  viewport: window.innerWidth,
  text: document.querySelector("main").textContent,
})"""
ADMIN_KEY = "operator-key-for-tests"


async def check_admin_page(page: Page, dialogs: list[str], texts: list[str]) -> None:
    for size in (PHONE, DESKTOP):
        await page.set_viewport_size(size)
        seen: dict[str, Any] = await page.evaluate(ADMIN_SNAPSHOT)
        assert dialogs == [] and seen["pwned"] == "undefined" and seen["created"] == 0, seen
        scroll_width, client_width = seen["width"]
        assert scroll_width <= client_width, f"{page.url} scrolls sideways: {seen['width']}"
        assert seen["widest"] <= seen["viewport"], (
            f"{page.url}: {seen['widest']} px wide on a {seen['viewport']} px screen"
        )
        for text in texts:
            assert text in seen["text"], text  # the stored text, shown as it is


async def test_the_dashboard_shows_hostile_texts_as_text(hostile_dir: Path) -> None:  # noqa: F811
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.async_api import async_playwright

    settings = chat_settings(
        hostile_dir, model={"backend": "data-only"}, api={"admin_key": ADMIN_KEY}
    )
    names = list(STORED.values())
    with serve(settings, None) as live:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = await browser.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda d: dialogs.append(d.message))
            await page.goto(live.url + "/admin/login")
            await page.fill("input[name=key]", ADMIN_KEY)
            await page.click("button[type=submit]")
            await page.wait_for_url(live.url + "/admin")
            # errors list, catalogue (a hostile category), price falls (every name)
            assert await page.locator("#errors tr").count() == 2
            await check_admin_page(page, dialogs, [ERROR_MESSAGE, ERROR_EXCERPT, CATEGORY, *names])

            await page.goto(f"{live.url}/admin/products?q={WORD}")
            await check_admin_page(page, dialogs, names)
            assert sorted(await page.locator(".found a").all_text_contents()) == sorted(names)
            # a name in a right-to-left script stays inside its own box (<bdi>, isolates)
            found = page.locator(".found li").filter(has_text=RTL_TAIL)
            assert f"<bdi>{STORED[RTL]}</bdi>" in await found.inner_html()

            for product_id, name in STORED.items():
                await page.goto(f"{live.url}/admin/products?id={quote(product_id)}")
                shown_too = [BRAND] if product_id == BRANDED else []
                await check_admin_page(page, dialogs, [name, *shown_too])
                assert await page.locator("h2").text_content() == name
                tooltips = page.locator("#price-chart svg.chart circle.point title")
                titles = await tooltips.all_text_contents()
                assert len(titles) == 2 and all(f"\u2068{name}\u2069" in t for t in titles)
                title = page.locator("#price-chart svg.chart text.title")
                assert f"\u2068{name}\u2069" in (await title.text_content() or "")
            await browser.close()
