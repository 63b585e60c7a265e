"""`POST /chat` and `/chat/stream` with the scripted model over the sample catalogue: what a
shopper sees is cited, priced as the data says, dated, and honest about what it does not know."""

from __future__ import annotations

import json
import re
import sys
import threading
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from chat.compose import ALLERGEN_DISCLAIMER, REFUSAL
from chat.prompt import PromptFormat
from ingestion.sample import SAMPLE_CATALOGUE
from tests.app.conftest import LiveServer, chat_settings
from tests.fakes.chat_model import ScriptedChatModel

AOVE = "¿Dónde está más barato el aceite de oliva virgen extra?"


async def ask(client: httpx.AsyncClient, message: str, **extra: object) -> dict[str, Any]:
    response = await client.post("/chat", json={"message": message, **extra})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_answer_cites_products_with_price_and_date(
    client: httpx.AsyncClient, model: ScriptedChatModel
) -> None:
    model.queue("El más barato es {1.name} [1], a {1.price}.")
    body = await ask(client, AOVE)
    assert body["grounding"]["verdict"] == "verified"
    cited = body["products"]
    assert [p["ref"] for p in cited] == [1]
    product = cited[0]
    assert f"{product['name']} [1], a " in body["answer"]
    assert Decimal(product["price"]) == Decimal(
        body["answer"].rsplit("a ", 1)[1].rstrip(" €.").replace(",", ".")
    )
    assert product["price_date"] == "2026-11-20"
    assert product["url"].startswith("https://")
    assert product["reference_unit"] == "l" and product["reference_price"]
    assert body["conversation_id"]
    # the model saw the numbered products and the question
    prompt = model.prompts[0][-1].content
    assert prompt.startswith("Productos:\n[1] ") and prompt.endswith(AOVE)


async def test_a_wrong_price_is_removed_and_the_rest_kept(
    client: httpx.AsyncClient, model: ScriptedChatModel
) -> None:
    model.queue(
        "El más barato es {1.name} [1], a {1.price}. Además [2] está a 0,99 €. Es buena compra [1]."
    )
    body = await ask(client, AOVE)
    assert body["grounding"]["verdict"] == "repaired"
    assert "0,99" not in body["answer"]
    assert "precio 0,99 € del envase no consta" in body["grounding"]["issues"][0]
    assert [p["ref"] for p in body["products"]] == [1]


async def test_an_answer_with_only_wrong_facts_is_replaced_by_the_data(
    client: httpx.AsyncClient, model: ScriptedChatModel
) -> None:
    model.queue("El aceite [1] cuesta 3,10 € y [2] cuesta 2,00 €.")
    body = await ask(client, AOVE)
    assert body["grounding"]["verdict"] == "replaced"
    assert "3,10" not in body["answer"] and "2,00" not in body["answer"]
    first = body["products"][0]
    price = f"{Decimal(first['price']):.2f} €".replace(".", ",")
    assert price in body["answer"] and "a 20/11/2026" in body["answer"]


async def test_cross_chain_comparison_is_by_reference_price(
    client: httpx.AsyncClient, model: ScriptedChatModel
) -> None:
    model.queue("No sé.")  # nothing citable: the data answers
    body = await ask(client, AOVE)
    products = body["products"]
    assert len({p["chain"] for p in products}) >= 3
    per_litre = [Decimal(p["reference_price"]) for p in products]
    assert per_litre == sorted(per_litre)
    assert body["answer"].startswith("El más barato por litro es")
    # a 5 l jug can be the cheapest per litre while not the cheapest package
    assert "€/l" in body["answer"]


async def test_unknown_product_gets_no_invented_answer(
    client: httpx.AsyncClient, model: ScriptedChatModel
) -> None:
    body = await ask(client, "¿Tenéis caviar de beluga?")
    assert body["answer"].startswith("No encuentro ese producto «caviar beluga»")
    assert body["products"] == []
    assert body["grounding"]["verdict"] == "composed"
    assert model.prompts == []  # the model is not asked to make something up


async def test_a_right_refusal_is_kept_a_wrong_one_replaced_by_what_is_sold(
    client: httpx.AsyncClient, model: ScriptedChatModel
) -> None:
    # Off-topic: retrieval still brings some products, none sharing a word with the question;
    # the model's refusal is the right answer, not a list of unrelated products.
    model.queue(REFUSAL)
    body = await ask(client, "¿Cuál es la capital de Francia?")
    assert model.prompts, "the model must have been asked (products were in context)"
    assert body["answer"] == REFUSAL
    assert body["grounding"]["verdict"] == "verified" and body["products"] == []
    # a refusal that slips in a price (of nothing) is not kept
    model.queue("No encuentro «capital francia»: c/d = 2,20 € en el stock de la tienda.")
    body = await ask(client, "¿Cuál es la capital de Francia?")
    assert body["grounding"]["verdict"] == "replaced" and "2,20" not in body["answer"]
    # "No encuentro leche" while milk is in context: the data wins.
    model.queue("No encuentro leche entera en ningún supermercado.")
    body = await ask(client, "¿Hay leche entera?")
    assert body["grounding"]["verdict"] == "replaced"
    assert body["products"] and "Leche entera" in body["answer"]


async def test_a_checked_answer_about_another_product_than_the_data_points_to_is_replaced(
    client: httpx.AsyncClient, model: ScriptedChatModel
) -> None:
    # Every figure of this answer is true of [2], but the cheapest is [1]: the data decides
    # which product answers the question, the model only says it.
    model.queue("{2.name} [2] cuesta {2.price}.")
    body = await ask(client, AOVE)
    assert body["grounding"]["verdict"] == "replaced"
    assert any("no cita [1]" in issue for issue in body["grounding"]["issues"])
    assert body["answer"].startswith("El más barato por litro es ")
    # the same sentence about the cheapest is the model's own, and kept
    model.queue("{1.name} [1] cuesta {1.price}.")
    body = await ask(client, AOVE)
    assert body["grounding"]["verdict"] == "verified"


async def test_a_product_nobody_sells_is_never_sold_by_the_model(
    client: httpx.AsyncClient, model: ScriptedChatModel
) -> None:
    # "Turrón de wasabi": products sharing a word are in context; an answer that sells one of
    # them under the question's name is replaced by "No encuentro".
    model.queue("Sí: {1.name} [1] cuesta {1.price}.")
    body = await ask(client, "¿Tenéis aceite de oliva al wasabi?")
    assert body["grounding"]["verdict"] == "replaced"
    assert body["answer"].startswith("No encuentro exactamente «aceite oliva wasabi»")


async def test_impossible_limits_offer_the_closest_alternatives(client: httpx.AsyncClient) -> None:
    body = await ask(client, "galletas sin gluten en Carrefour por menos de 0,50 €")
    assert body["answer"].startswith("No encuentro")
    assert "por menos de 0,50 €" in body["answer"]
    assert "Lo más parecido que tengo" in body["answer"]
    assert body["products"] and all("Galletas" in p["name"] for p in body["products"])


async def test_allergen_answer_never_calls_unknown_safe(
    client: httpx.AsyncClient, model: ScriptedChatModel
) -> None:
    model.queue("Todas son aptas para celíacos: {1.name} [1] a {1.price} y [2] no contiene gluten.")
    body = await ask(client, "¿Qué galletas sin gluten hay por menos de 2 €?")
    answer = body["answer"]
    assert ALLERGEN_DISCLAIMER in answer
    assert "aptas para celíacos" not in answer and "no contiene gluten" not in answer
    assert all(Decimal(p["price"]) < 2 for p in body["products"])
    for product in body["products"]:
        said = answer.split(f"[{product['ref']}] ")[-1].split(";")[0]
        assert said.startswith(
            ("sin gluten según la etiqueta", "dice «sin gluten» en el nombre, pero no tengo")
        ), said
    assert body["grounding"]["verdict"] in ("repaired", "replaced")


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        # month end: the sample's November rises, from the price on the 1st
        ("2026-11-30T20:00:00", r"ha subido este mes: de \d,\d\d € el 01/11/2026 a \d,\d\d €"),
        # month start: the sample was last priced on 20/11, nothing is known of December
        ("2026-12-01T08:00:00", r": no tengo precios este mes; el último que tengo es \d,\d\d €"),
        # a year change: the same question, January
        ("2027-01-01T00:30:00", r": no tengo precios este mes; el último que tengo es"),
    ],
)
async def test_price_history_answers_the_period_asked_on_the_service_clock(
    data_dir: Path, model: ScriptedChatModel, today: str, expected: str
) -> None:
    model.queue("")  # the model says nothing usable: the answer is composed from the data
    now = datetime.fromisoformat(today).replace(tzinfo=UTC)
    with LiveServer(chat_settings(data_dir), model, clock=lambda: now) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            body = await ask(client, "¿Ha subido la leche entera este mes?")
    first = body["products"][0]
    assert "Leche entera" in first["name"]
    answer = body["answer"]
    assert answer.startswith(f"{first['name']} [{first['ref']}] en "), answer
    assert re.search(expected, answer), answer


async def test_stream_sends_verified_text_then_the_whole_answer(
    client: httpx.AsyncClient, model: ScriptedChatModel
) -> None:
    model.queue("Mira. El más barato es {1.name} [1], a {1.price}. Y [2] a 0,01 €. Eso es todo.")
    async with client.stream("POST", "/chat/stream", json={"message": AOVE}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = []
        name = None
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                events.append((name, json.loads(line[6:])))
    deltas = [data["text"] for kind, data in events if kind == "delta"]
    assert len(deltas) >= 2
    kind, done = events[-1]
    assert kind == "done"
    assert "".join(deltas) == done["answer"]
    assert "0,01" not in done["answer"]
    assert done["answer"].startswith("Mira. El más barato es")
    assert done["grounding"]["verdict"] == "repaired"


async def test_conversation_survives_a_restart_and_can_be_forgotten(
    data_dir: Path, model: ScriptedChatModel
) -> None:
    from tests.app.conftest import chat_settings, serve

    settings = chat_settings(data_dir)
    with serve(settings, model) as first:
        async with httpx.AsyncClient(base_url=first.url, timeout=30) as http:
            body = await ask(http, "leche entera")
    conversation = body["conversation_id"]
    with serve(settings, model) as second:  # a new process would see the same
        async with httpx.AsyncClient(base_url=second.url, timeout=30) as http:
            follow_up = await ask(http, "¿y en Dia?", conversation_id=conversation)
            # the follow-up searched for milk in Dia, with the earlier turns in the prompt
            assert follow_up["products"] and all(p["chain"] == "dia" for p in follow_up["products"])
            assert any("Leche" in p["name"] for p in follow_up["products"])
            turns = [m.content for m in model.prompts[-1][1:-1]]
            assert turns == ["leche entera", body["answer"]]
            stored = (await http.get(f"/conversations/{conversation}")).json()["messages"]
            assert [(m["role"], m["content"]) for m in stored] == [
                ("user", "leche entera"),
                ("assistant", body["answer"]),
                ("user", "¿y en Dia?"),
                ("assistant", follow_up["answer"]),
            ]
            assert (await http.delete(f"/conversations/{conversation}")).status_code == 204
            gone = await http.get(f"/conversations/{conversation}")
            assert gone.status_code == 404 and "omitting conversation_id" in gone.text
            await ask(http, "aceite", conversation_id=conversation)
            assert len(model.prompts[-1]) == 2  # rules + question: nothing remembered


async def test_health_and_metrics(client: httpx.AsyncClient, model: ScriptedChatModel) -> None:
    health = (await client.get("/health")).json()
    assert health["status"] == "ok"
    assert health["model"]["detail"].startswith("scripted-fake")
    assert "429 products" in health["store"]["detail"]
    model.queue("El más barato es {1.name} [1], a {1.price}.")
    await ask(client, AOVE)
    metrics = (await client.get("/metrics")).text
    assert 'supersmart_chat_answers_total{verdict="verified"} 1.0' in metrics
    assert 'supersmart_http_requests_total{route="/chat",status="200"} 1.0' in metrics
    # the load benchmark's leak signals: nothing in flight but this request, the process seen
    assert "supersmart_http_in_flight 1.0" in metrics
    assert "supersmart_asyncio_tasks " in metrics
    if sys.platform == "linux":  # prometheus_client reads /proc; elsewhere it has nothing
        assert "process_open_fds " in metrics and "process_resident_memory_bytes " in metrics


async def test_health_reports_a_missing_index(tmp_path: Path) -> None:
    from tests.app.conftest import chat_settings, serve

    with serve(chat_settings(tmp_path / "empty"), ScriptedChatModel()) as live:
        response = httpx.get(f"{live.url}/health")
        assert response.status_code == 503
        assert "supersmart index" in response.json()["index"]["detail"]
        chat = httpx.post(f"{live.url}/chat", json={"message": "leche"})
        assert chat.status_code == 404
        assert "run `supersmart index`" in chat.json()["error"]["message"]


def test_api_docs_work_offline(server: LiveServer) -> None:
    page = httpx.get(f"{server.url}/docs").text
    assert "/docs-assets/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "https://" not in page
    script = httpx.get(f"{server.url}/docs-assets/swagger-ui-bundle.js")
    assert script.status_code == 200 and len(script.content) > 100_000


def test_openapi_documents_every_route(server: LiveServer) -> None:
    spec = httpx.get(f"{server.url}/openapi.json").json()
    routes = ("/chat", "/chat/stream", "/conversations/{conversation_id}", "/v1/chat/completions")
    for path in (*routes, "/health", "/metrics"):
        assert path in spec["paths"], path
    chat = spec["paths"]["/chat"]["post"]
    assert {"401", "413", "422", "429", "503"} <= set(chat["responses"])
    assert "ChatResponse" in json.dumps(chat["responses"]["200"])


async def test_a_greeting_is_answered_without_products_or_the_model(
    client: httpx.AsyncClient, model: ScriptedChatModel
) -> None:
    body = await ask(client, "hola, ¿qué puedes hacer?")
    assert body["grounding"]["verdict"] == "composed"
    assert body["products"] == []
    assert "«¿Dónde está más barato el aceite de oliva virgen extra?»" in body["answer"]
    assert model.prompts == []  # no search, no generation: nothing to look up


async def test_a_quantity_is_totalled_from_the_data_after_the_models_sentence(
    client: httpx.AsyncClient, model: ScriptedChatModel
) -> None:
    model.queue("{1.name} [1] cuesta {1.price}.")
    body = await ask(client, "¿Cuánto me cuestan 2 botellas de aceite de oliva virgen extra Dia?")
    first = body["products"][0]
    total = (Decimal(first["price"]) * 2).quantize(Decimal("0.01"))
    said = f"2 × {first['name']} [{first['ref']}] cuestan {total:.2f} €".replace(".", ",")
    assert said in body["answer"], body["answer"]
    assert body["grounding"]["verdict"] == "verified"


@pytest.mark.parametrize(("prompt_format", "rules"), [("draft", True), ("brief", False)])
async def test_a_model_that_phrases_the_draft_reads_the_data_and_is_checked_the_same(
    data_dir: Path, prompt_format: PromptFormat, rules: bool
) -> None:
    """An adapter trained on the `draft` prompt gets the question and the answer composed from
    the data (no product table), after the rules (`brief`: without them); its short reply is
    shown only when it agrees with the data. (With the model writing the whole reply:
    `chat.lead = "model"`.)"""
    model = ScriptedChatModel("No lo sé.", prompt_format=prompt_format)
    with LiveServer(chat_settings(data_dir, chat={"lead": "model"}), model) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            body = await ask(client, AOVE)
            assert body["grounding"]["verdict"] == "replaced"  # said nothing the data says
            roles = [m.role for m in model.prompts[-1]]
            assert roles == (["system", "user"] if rules else ["user"])
            prompt = model.prompts[-1][-1].content
            assert prompt.startswith(f"Pregunta: {AOVE}\nDatos: El más barato por litro es ")
            assert " | " not in prompt  # the products table is not what it reads
            assert prompt.split("Datos: ", 1)[1] == body["answer"]  # the composed answer
            lead = body["products"][0]
            per_litre = f"{Decimal(lead['reference_price']):.2f} €/l".replace(".", ",")
            reply = f"Por litro, lo más barato es {lead['name']} [{lead['ref']}], a {per_litre}."
            model.queue(reply)
            body = await ask(client, AOVE)
            assert body["grounding"]["verdict"] == "verified"
            assert body["answer"] == reply
            # the same figure said of the next product is not what the data decided
            model.queue(reply.replace(f"[{lead['ref']}]", "[2]"))
            body = await ask(client, AOVE)
            assert body["grounding"]["verdict"] == "replaced"


async def test_a_period_history_the_model_phrases_is_kept_only_with_the_datas_amounts(
    data_dir: Path,
) -> None:
    """ "desde octubre": the composed story gives the price in force on 01/10 (no price of that
    day); the model may say that day, but only with the amounts the data gives for it."""
    question = "¿Ha subido la leche entera desde octubre de 2026?"
    now = datetime(2026, 11, 25, tzinfo=UTC)
    model = ScriptedChatModel("No lo sé.", prompt_format="draft")
    with LiveServer(
        chat_settings(data_dir, chat={"lead": "model"}), model, clock=lambda: now
    ) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            body = await ask(client, question)
            assert body["grounding"]["verdict"] == "replaced"
            story = body["answer"].split(". ")[0] + "."  # the first product's, as composed
            amounts = re.search(r"de (\d+,\d{2}) € el 01/10/2026 a (\d+,\d{2}) €", story)
            assert amounts, story
            model.queue(story)
            body = await ask(client, question)
            assert body["grounding"]["verdict"] == "verified", body["grounding"]
            assert body["answer"] == story
            # the same day and direction with another price the product had (after 01/10) is
            # not what the data says of 01/10
            first = body["products"][0]["name"]
            record = next(r for r in map(json.loads, SAMPLE_CATALOGUE.read_text().splitlines())
                          if r["name"] == first)  # fmt: skip
            since = [f"{Decimal(h['price']):.2f}".replace(".", ",") for h in record["price_history"]
                     if h["observed_at"] > "2026-10-01"]  # fmt: skip
            other = next(x for x in since if x not in amounts.groups())
            model.queue(story.replace(f"de {amounts[1]} € el", f"de {other} € el"))
            body = await ask(client, question)
            assert body["grounding"]["verdict"] == "replaced"
            truth = f"los datos de {amounts[1]} € a {amounts[2]} €"
            assert any(truth in issue for issue in body["grounding"]["issues"])


async def test_the_datas_lead_is_shown_before_the_model_has_said_a_word(data_dir: Path) -> None:
    """With an adapter that phrases the data (`draft`/`brief`), the answer opens with its first
    sentence composed from the data, streamed while the model has not produced anything; the
    model is given that sentence as the beginning of its own reply and goes on from it."""
    hold = threading.Event()  # the model generates nothing until the test lets it
    model = ScriptedChatModel(default="", hold=hold, prompt_format="brief")
    with LiveServer(chat_settings(data_dir), model) as server:
        async with (
            httpx.AsyncClient(base_url=server.url, timeout=30) as client,
            client.stream("POST", "/chat/stream", json={"message": AOVE}) as response,
        ):
            lines = response.aiter_lines()
            async for line in lines:
                if line.startswith("data: "):
                    first = json.loads(line[6:])
                    break
            assert model.pieces_sent == 0 and not hold.is_set()  # the model has said nothing
            hold.set()
            done = [json.loads(line[6:]) async for line in lines if '"grounding"' in line][-1]
    lead = first["text"]
    assert re.fullmatch(r"El más barato por litro es .+ \[\d\] en \w+: \d+,\d{2} € "
                        r"\(\d+,\d{2} €/l\), precio a \d\d/\d\d/\d{4}\.", lead), lead  # fmt: skip
    cheapest = min(done["products"], key=lambda p: Decimal(p["reference_price"]))
    assert f"{cheapest['name']} [{cheapest['ref']}]" in lead
    *asked, begun = model.prompts[-1]
    assert (begun.role, begun.content) == ("assistant", lead)  # the model goes on from it
    assert asked[-1].content.startswith(f"Pregunta: {AOVE}\nDatos: ")
    # the model added nothing: the answer is the data's, and says so
    assert done["answer"] == lead
    assert done["grounding"]["verdict"] == "composed"


async def test_what_the_model_adds_after_the_datas_lead_is_checked_sentence_by_sentence(
    data_dir: Path,
) -> None:
    model = ScriptedChatModel(prompt_format="draft")
    with LiveServer(chat_settings(data_dir), model) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            body = await ask(client, AOVE)  # nothing queued: the model ends at once
            lead = body["answer"]
            draft = model.prompts[-1][-2].content
            follows = re.search(
                r"Le siguen? (.+?) \[(\d)\] en (\w+), .*?\((\d+,\d{2} €/l)\)", draft
            )
            assert follows, draft
            name, ref, chain, per_litre = follows.groups()
            runner_up = f"Le sigue {name} [{ref}] en {chain} a {per_litre}."
            model.queue(" " + runner_up)
            body = await ask(client, AOVE)
            assert body["answer"] == f"{lead} {runner_up}"
            assert body["grounding"]["verdict"] == "verified"
            assert (
                "el comienzo de la respuesta lo compone el servicio"
                in body["grounding"]["issues"][0]
            )
            model.queue(f" {runner_up} No lo sé.")  # what holds stays, the rest is dropped
            body = await ask(client, AOVE)
            assert body["answer"] == f"{lead} {runner_up}"
            assert body["grounding"]["verdict"] == "repaired"
            # a price the runner-up does not have is not shown, nor is a sentence about nothing
            wrong = runner_up.replace(per_litre, "0,99 €/l")
            for added in (wrong, "No lo sé."):
                model.queue(" " + added)
                body = await ask(client, AOVE)
                assert body["answer"] == lead, added
                assert body["grounding"]["verdict"] == "composed"
                assert any(added[:40] in issue for issue in body["grounding"]["issues"])
            # the model repeating the lead says nothing more
            model.queue(" " + lead)
            body = await ask(client, AOVE)
            assert body["answer"] == lead


@pytest.mark.parametrize(
    ("question", "opens", "then"),
    [
        ("¿Qué galletas sin gluten hay por menos de 2 €?", "Tengo Galletas María sin gluten ",
         " Alérgenos según la etiqueta: "),
        ("¿Cuánto me cuestan 2 botellas de aceite de oliva virgen extra Dia?",
         "Aceite de oliva virgen extra ", " 2 × Aceite de oliva virgen extra "),
        ("¿Ha subido la leche entera este mes?", "Leche entera ", ""),
    ],
)  # fmt: skip
async def test_after_the_datas_lead_the_datas_lines_still_close_the_answer(
    data_dir: Path, question: str, opens: str, then: str
) -> None:
    """A list under a price with its allergen lines, a total, a price story: the lead is the
    reply the adapter would give, and the lines the data adds come after it."""
    model = ScriptedChatModel(prompt_format="brief")
    now = datetime(2026, 11, 25, tzinfo=UTC)  # "este mes" is November, whenever this runs
    with LiveServer(chat_settings(data_dir), model, clock=lambda: now) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            body = await ask(client, question)
    begun = model.prompts[-1][-1]
    assert begun.role == "assistant" and begun.content.startswith(opens), begun
    assert body["answer"].startswith(begun.content + then), body["answer"]
    assert body["grounding"]["verdict"] == "composed"
    assert body["answer"].count(begun.content) == 1
