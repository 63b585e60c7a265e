"""What the fuzzer (test_fuzz.py) found wrong, each kept fixed: `/openapi.json` documents every
answer the API gives (400, 404, the OpenAI route's event stream, its 401s) in the one error
shape, refuses in its schema what the service refuses, and a 405 names every allowed method."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.schemas import READABLE, ChatCompletion
from core.chains import SCRAPED
from core.runs import STEPS
from core.text import one_line
from ingestion.scrapers.registry import discover_scrapers
from tests.app.conftest import LiveServer, chat_settings
from tests.fakes.chat_model import ScriptedChatModel

API_KEY = "sk-contract-0123456"
ADMIN_KEY = "contract-operator-key-0123"
KEYS = {"Authorization": f"Bearer {API_KEY}", "X-Admin-Key": ADMIN_KEY}
ENVELOPE = {"$ref": "#/components/schemas/ErrorResponse"}
AOVE = "¿Dónde está más barato el aceite de oliva virgen extra?"


@pytest.fixture(scope="module")
def live(sample_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("contract") / "data"
    shutil.copytree(sample_data_dir, data_dir)
    settings = chat_settings(
        data_dir,
        api={"api_keys": [API_KEY], "admin_key": ADMIN_KEY},
        scrape={"base_urls": dict.fromkeys(SCRAPED, "http://127.0.0.1:9"), "retries": 0},
    )
    with LiveServer(settings, ScriptedChatModel(default="{1.name} [1] cuesta {1.price}.")) as s:
        yield s


@pytest.fixture(scope="module")
def spec(live: LiveServer) -> dict[str, Any]:
    document: dict[str, Any] = httpx.get(f"{live.url}/openapi.json", timeout=30).json()
    return document


@pytest.fixture
def http(live: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, headers=KEYS, timeout=30) as client:
        yield client


def _error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"type", "message"}
    message: str = body["error"]["message"]
    return message


def _responses(spec: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    responses: dict[str, Any] = spec["paths"][path][method]["responses"]
    return responses


def test_every_documented_error_is_the_error_envelope(spec: dict[str, Any]) -> None:
    wrong = [
        f"{method.upper()} {path} {status}"
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        for status, answer in operation["responses"].items()
        if int(status) >= 400
        and path != "/health"  # its 503 is the health report, as its 200
        and answer.get("content", {}).get("application/json", {}).get("schema") != ENVELOPE
    ]
    assert wrong == []
    envelope = spec["components"]["schemas"]["ErrorResponse"]
    detail = spec["components"]["schemas"]["ErrorDetail"]
    assert envelope["additionalProperties"] is False and detail["additionalProperties"] is False
    assert detail["properties"]["message"]["minLength"] == 1


def test_a_405_names_every_method_the_path_allows(http: httpx.Client) -> None:
    refused = http.request("OPTIONS", "/conversations/abc")
    _error(refused, 405)
    assert refused.headers["allow"] == "GET, DELETE"  # Starlette named the first route's only
    assert http.put("/admin/api/runs").headers["allow"] == "GET, POST"
    assert http.post("/openapi.json").headers["allow"] == "GET, HEAD"


def test_an_unreadable_body_is_a_documented_400(http: httpx.Client, spec: dict[str, Any]) -> None:
    sent = http.post(
        "/chat", content=b'{"message": "\xff\xfe"}', headers={"Content-Type": "application/json"}
    )
    assert "UTF-8" in _error(sent, 400)
    assert sent.json()["error"]["type"] == "invalid_request"
    for path in ("/chat", "/chat/stream", "/v1/chat/completions", "/admin/api/runs"):
        assert _responses(spec, path, "post")["400"]["content"]["application/json"]["schema"] == (
            ENVELOPE
        )


def test_not_found_answers_are_documented(http: httpx.Client, spec: dict[str, Any]) -> None:
    _error(http.get("/admin/api/runs/no-such-run"), 404)
    _error(http.post("/admin/api/adapters/no-such-version/promote"), 404)
    assert "404" in _responses(spec, "/admin/api/runs/{run_id}", "get")
    assert "404" in _responses(spec, "/admin/api/adapters/{version}/promote", "post")
    assert "404" in _responses(spec, "/conversations/{conversation_id}", "get")


def test_the_models_route_documents_its_model_and_its_refusal(
    live: LiveServer, spec: dict[str, Any]
) -> None:
    _error(httpx.get(f"{live.url}/v1/models", timeout=30), 401)
    answers = _responses(spec, "/v1/models", "get")
    assert {"200", "401", "429"} <= set(answers)
    assert answers["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ModelList"
    }


def test_the_openai_route_documents_its_json_answer_and_its_event_stream(
    http: httpx.Client, spec: dict[str, Any]
) -> None:
    ok = _responses(spec, "/v1/chat/completions", "post")["200"]["content"]
    assert ok["application/json"]["schema"] == {"$ref": "#/components/schemas/ChatCompletion"}
    assert ok["text/event-stream"]["schema"]["properties"]["event"]["enum"] == ["message"]
    question = {"messages": [{"role": "user", "content": AOVE}]}
    completion = ChatCompletion.model_validate(
        http.post("/v1/chat/completions", json=question).json()
    )
    assert completion.supersmart.products and "answer" not in completion.supersmart.model_dump()

    streamed = http.post("/v1/chat/completions", json=question | {"stream": True})
    assert streamed.headers["content-type"].startswith("text/event-stream")
    assert streamed.text.rstrip().endswith("data: [DONE]")


def test_chat_stream_documents_its_events(spec: dict[str, Any]) -> None:
    stream = _responses(spec, "/chat/stream", "post")["200"]["content"]["text/event-stream"]
    assert stream["schema"]["properties"]["event"]["enum"] == ["delta", "done", "error"]


def test_the_last_message_must_be_the_users_and_the_schema_says_so(
    http: httpx.Client, spec: dict[str, Any]
) -> None:
    request = spec["components"]["schemas"]["ChatCompletionRequest"]
    assert "must be the user's" in request["properties"]["messages"]["description"]
    for messages in (
        [{"role": "user", "content": AOVE}, {"role": "assistant", "content": "Tengo varios."}],
        [{"role": "tool", "content": "x"}],
        [{"role": "user", "content": ""}],
    ):
        sent = http.post("/v1/chat/completions", json={"messages": messages})
        message = _error(sent, 422)
        assert message.startswith("Invalid request: messages:") and "user" in message, message
    # the question is the last user message; system and tool messages after it are skipped
    after = [{"role": "user", "content": AOVE}, {"role": "system", "content": "x"}]
    assert http.post("/v1/chat/completions", json={"messages": after}).status_code == 200


def test_request_bodies_take_json_types_as_the_schema_says(http: httpx.Client) -> None:
    """Pydantic's lax mode took `0` for false and `"yes"` for true: a schema-invalid request
    started a pipeline run, or streamed."""
    assert "force" in _error(http.post("/admin/api/runs", json={"force": 0}), 422)
    question = {"messages": [{"role": "user", "content": AOVE}]}
    completions = "/v1/chat/completions"
    assert "stream" in _error(http.post(completions, json=question | {"stream": "yes"}), 422)
    assert "max_tokens" in _error(http.post(completions, json=question | {"max_tokens": "5"}), 422)
    assert "max_tokens" in _error(http.post(completions, json=question | {"max_tokens": True}), 422)
    # JSON Schema's integer: 64.0 is one
    assert http.post(completions, json=question | {"max_tokens": 64.0}).status_code == 200


def test_a_question_of_nothing_readable_is_refused_by_the_schema(
    http: httpx.Client, spec: dict[str, Any]
) -> None:
    message = spec["components"]["schemas"]["ChatRequest"]["properties"]["message"]
    for unreadable in ("\x04", " \u202e\t", "\x00\x1b"):
        assert re.search(message["pattern"], unreadable) is None
        refused = _error(http.post("/chat", json={"message": unreadable}), 422)
        assert refused.startswith("Invalid request: message:"), refused
    assert re.search(message["pattern"], "\x00leche")


def test_a_pipeline_run_names_its_steps_and_chains_in_the_schema(
    http: httpx.Client, spec: dict[str, Any]
) -> None:
    run = spec["components"]["schemas"]["RunRequest"]["properties"]
    assert run["chains"]["items"]["enum"] == list(discover_scrapers())
    assert run["steps"]["anyOf"][0]["items"]["enum"] == list(STEPS)
    assert "bake" in _error(http.post("/admin/api/runs", json={"steps": ["bake"]}), 422)
    assert "lidl" in _error(http.post("/admin/api/runs", json={"chains": ["lidl"]}), 422)


def test_rollback_with_nothing_to_undo_is_a_conflict(http: httpx.Client) -> None:
    _error(http.post("/admin/api/adapters/rollback"), 409)


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=6))
@example("\u200e")  # a direction mark alone: the schema took it, the service refused it
@example("\t\u061c\n")
def test_the_schema_refuses_exactly_the_messages_the_service_finds_empty(text: str) -> None:
    assert bool(re.search(READABLE, text)) == bool(one_line(text))
