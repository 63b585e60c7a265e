"""The documented API fuzzed by schemathesis against the real server (uvicorn on 127.0.0.1,
scripted model, the sample catalogue): no 5xx, every status, header and body as
`/openapi.json` says, every error in the `{"error": {"type", "message"}}` envelope.

The server is configured as a deployment is: API keys, an admin key, a rate limit high enough
that the fuzzer is not answered 429 throughout. One test sends the keys, so requests reach
the handlers; another sends none, so the refusals are fuzzed too. The server counts what it
received, and the last test fails unless that is at least `MIN_REQUESTS`, none of them a 5xx.
Generation is seeded: every run sends the same requests.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import settings
from schemathesis import Case as GenericCase
from schemathesis import CheckContext, HookContext, Response

from app.api import create_app
from app.metrics import Metrics
from core.chains import SCRAPED
from finetune.registry import AdapterRegistry
from tests.app.conftest import LiveServer, chat_settings
from tests.fakes.chat_model import ScriptedChatModel

Case = GenericCase[Any]  # an OpenAPI operation's case
MIN_REQUESTS = 1_000
API_KEY = "sk-fuzz-client-0123"
ADMIN_KEY = "fuzz-operator-key-0123456789"
KEYS = {"Authorization": f"Bearer {API_KEY}", "X-Admin-Key": ADMIN_KEY}
QUESTION = "¿Dónde está más barato el aceite de oliva virgen extra?"
# Promotions on record, more than the fuzzer rolls back: with none left, rollback answers 409
# (test_rollback_with_nothing_to_undo_is_a_conflict), which schemathesis's positive-data check
# counts as a valid request refused
PROMOTIONS = 500


@pytest.fixture(scope="module")
def fuzz_server(
    sample_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("fuzz") / "data"
    shutil.copytree(sample_data_dir, data_dir)
    settings = chat_settings(
        data_dir,
        api={"api_keys": [API_KEY], "admin_key": ADMIN_KEY, "rate_limit_per_minute": 1_000_000},
        # a pipeline run the fuzzer starts scrapes a closed loopback port: it fails at once
        scrape={
            "base_urls": dict.fromkeys(SCRAPED, "http://127.0.0.1:9"),
            "delay_s": 0,
            "retries": 0,
            "render_pages": False,
        },
    )
    adapters = AdapterRegistry.of(settings)
    (adapters.root / "fuzz-v1").mkdir(parents=True)
    (adapters.root / "fuzz-v1" / "adapter.gguf").write_bytes(b"")
    for _ in range(PROMOTIONS):
        adapters.promote("fuzz-v1", reason="fuzz fixture")
    model = ScriptedChatModel(default="El más barato es {1.name} [1], a {1.price}.")
    with LiveServer(settings, model) as server:
        yield server


def documented_api() -> dict[str, Any]:
    """The app's OpenAPI document, built at collection because schemathesis needs it then (its
    lazy `from_fixture` loader breaks on pytest 9); the first test checks the server serves it."""
    return create_app(chat_settings(Path("unused"))).openapi()


SPEC = documented_api()
schema = schemathesis.openapi.from_dict(
    SPEC, config=schemathesis.Config.from_dict({"seed": 18, "generation": {"mode": "all"}})
)


@schema.hook
def map_case(context: HookContext, case: Case) -> Case:
    """What JSON Schema cannot say, taught to the generator: a valid OpenAI-style request ends
    with the user's question (the request schema's description says so; one that does not is
    refused with 422, test_api_contract.py). Cases meant to be invalid are left as they are."""
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    body = case.body
    if positive and case.path == "/v1/chat/completions" and isinstance(body, dict):
        messages = body["messages"]
        assert isinstance(messages, list)  # a valid body
        body["messages"] = [*messages, {"role": "user", "content": QUESTION}]
    return case


def error_envelope(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Every error, documented or not, in the one shape, with something to read."""
    if response.status_code < 400:
        return None
    assert response.headers["content-type"][0] == "application/json", response.headers
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error, dict) and set(error) == {"type", "message"}, body
    assert isinstance(error["type"], str) and error["type"], body
    assert isinstance(error["message"], str) and error["message"], body
    return None


def call(case: Case, server: LiveServer, headers: dict[str, str]) -> None:
    # every check schemathesis has (server errors, status codes, content types, bodies and
    # headers as documented, invalid data refused, valid data accepted, undeclared methods...)
    case.call_and_validate(
        base_url=server.url, headers=headers, additional_checks=[error_envelope], timeout=30
    )


def test_the_fuzzed_schema_is_the_served_one(fuzz_server: LiveServer) -> None:
    assert httpx.get(f"{fuzz_server.url}/openapi.json", timeout=30).json() == SPEC


@schema.parametrize()
@settings(max_examples=60, deadline=None, database=None)
def test_with_keys_the_api_answers_as_documented(case: Case, fuzz_server: LiveServer) -> None:
    call(case, fuzz_server, KEYS)


@schema.parametrize()
@settings(max_examples=10, deadline=None, database=None)
def test_without_keys_the_api_refuses_as_documented(case: Case, fuzz_server: LiveServer) -> None:
    call(case, fuzz_server, {})


def served(metrics: Metrics) -> Counter[tuple[str, int]]:
    """Requests the server answered on documented routes, by (route, status)."""
    counts: Counter[tuple[str, int]] = Counter()
    for family in metrics.requests.collect():
        for sample in family.samples:
            route = sample.labels["route"]
            if sample.name.endswith("_total") and route in SPEC["paths"]:
                counts[route, int(sample.labels["status"])] += int(sample.value)
    return counts


def test_the_fuzzer_sent_enough_requests_and_met_no_server_error(fuzz_server: LiveServer) -> None:
    """Run with the module's other tests, after them (pytest's order): they send the requests."""
    counts = served(fuzz_server.app.state.metrics)
    total = sum(counts.values())
    print(f"\nschemathesis: {total} requests, {len(counts)} (route, status) pairs")
    assert total >= MIN_REQUESTS, sorted(counts.items())
    assert [key for key in counts if key[1] >= 500] == []
