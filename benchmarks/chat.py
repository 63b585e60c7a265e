"""Chat benchmark: what the service costs on top of the model, and how it holds under load.

    python benchmarks/chat.py [--max-tokens 64] [--threads 2] [--rounds 3] [--output FILE]

On the sample catalogue with the configured model and the adapter the service would apply (default:
the packaged Gemma 3 270M Q4_K_M with the shipped LoRA adapter):
1. the same prompts (the exact messages /chat builds) through raw `llama_cpp` and through the
   whole HTTP `/chat` path (retrieval, prompt, queue, grounding, store): the latency ratio is
   the service's overhead (median of `--rounds` interleaved rounds); time to first token (raw)
   vs time to first verified text (/chat/stream); tokens per second;
2. p50/p95 latency, throughput and errors (503 busy answers included) for 1, 4 and 16
   concurrent clients;
3. issue #19's two chat targets (in the JSON's `targets`): the share of an answer's time spent
   before its first verified text, computed per answer (first text ms / whole answer ms, both
   from the client's request to its last byte) over every answer of the 1-client rounds, p50
   taken, at most 0.5; and the overhead above, at most 1.05x.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as `python benchmarks/chat.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from benchmarks.common import (
    QUESTIONS,
    bench_settings,
    machine,
    percentiles,
    print_table,
    print_targets,
    sample_catalogue,
    served,
    target,
    write_results,
)
from chat.chat_model import ChatModel, Message, Usage
from core.settings import Settings


async def prompts_for(settings: Settings) -> list[list[Any]]:
    """The messages /chat sends the model for each question (same retrieval, same prompt)."""
    from chat.runtime import open_runtime
    from tests.fakes.chat_model import ScriptedChatModel

    recorder = ScriptedChatModel(default="")
    runtime = await open_runtime(settings, model=recorder)
    try:
        for question in QUESTIONS:
            await runtime.service.ask(question)
    finally:
        await runtime.close()
    assert len(recorder.prompts) == len(QUESTIONS), "every question must reach the model"
    return recorder.prompts


def load_model(settings: Settings) -> ChatModel:
    """The model and adapter the service loads (an adapter adds its own cost to every token),
    warmed up as the service's first request warms it."""
    from chat.runtime import create_chat_model
    from finetune.registry import AdapterRegistry

    model = create_chat_model(settings, AdapterRegistry.of(settings).current)
    if model is None:
        raise SystemExit("The chat benchmark needs a model: unset SUPERSMART_MODEL__BACKEND.")
    list(model.stream([Message("user", "Hola")], 8, Usage()))
    return model


def raw_llama(model: ChatModel, prompts: list[list[Any]], max_tokens: list[int]) -> dict[str, Any]:
    """Each prompt through llama_cpp alone, generating at most `max_tokens[i]` tokens."""
    latencies, firsts, tokens = [], [], 0
    for messages, limit in zip(prompts, max_tokens, strict=True):
        usage = Usage()
        start = time.perf_counter()
        first = None
        for _ in model.stream(messages, max(1, limit), usage):
            first = first or time.perf_counter()
        end = time.perf_counter()
        latencies.append((end - start) * 1000)
        firsts.append(((first or end) - start) * 1000)
        tokens += usage.completion_tokens
    return {
        "latency_ms": percentiles(latencies),
        "first_token_ms": percentiles(firsts),
        "tokens": tokens,
        "tokens_per_s": round(tokens / (sum(latencies) / 1000), 2),
        "mean_ms": round(sum(latencies) / len(latencies), 1),
    }


async def through_service(url: str, clients: int, per_client: int) -> dict[str, Any]:
    latencies: list[float] = []
    firsts: list[float] = []
    shares: list[float] = []  # per answer: first text / whole answer
    errors: dict[str, int] = {}
    tokens = 0
    per_question: dict[str, int] = {}
    verdicts: dict[str, int] = {}

    async def client(index: int, http: httpx.AsyncClient) -> None:
        nonlocal tokens
        for i in range(per_client):
            question = QUESTIONS[(index + i) % len(QUESTIONS)]
            start = time.perf_counter()
            first = None
            try:
                async with http.stream(
                    "POST", "/chat/stream", json={"message": question}
                ) as response:
                    if response.status_code != 200:
                        await response.aread()
                        key = str(response.status_code)
                        errors[key] = errors.get(key, 0) + 1
                        continue
                    async for line in response.aiter_lines():
                        if line.startswith("event: delta") and first is None:
                            first = time.perf_counter()
                        if line.startswith("data: ") and '"usage"' in line:
                            done = json.loads(line[6:])
                            used = done["usage"]["completion_tokens"]
                            tokens += used
                            per_question[question] = used
                            verdict = done["grounding"]["verdict"]
                            verdicts[verdict] = verdicts.get(verdict, 0) + 1
            except httpx.HTTPError as exc:
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                continue
            end = time.perf_counter()
            latencies.append((end - start) * 1000)
            firsts.append(((first or end) - start) * 1000)
            shares.append(((first or end) - start) / (end - start))

    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=url, timeout=300) as http:
        await asyncio.gather(*(client(i, http) for i in range(clients)))
    wall = time.perf_counter() - started
    return {
        "clients": clients,
        "requests": clients * per_client,
        "answered": len(latencies),
        "errors": errors,
        "latency_ms": percentiles(latencies) if len(latencies) > 1 else None,
        "first_text_ms": percentiles(firsts) if len(firsts) > 1 else None,
        "first_text_shares": [round(x, 4) for x in shares],
        "answers_per_s": round(len(latencies) / wall, 3),
        "tokens_per_s": round(tokens / wall, 2),
        "mean_ms": round(sum(latencies) / max(1, len(latencies)), 1),
        "completion_tokens_by_question": per_question,
        "verdicts": verdicts,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved overhead rounds")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="supersmart-bench-")) / "data"
    settings = bench_settings(data_dir, max_tokens=args.max_tokens, threads=args.threads)
    asyncio.run(sample_catalogue(settings))
    prompts = asyncio.run(prompts_for(settings))

    model = load_model(settings)  # the baseline, in this process
    rounds: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = []
    with served(settings) as server:
        url = server.url
        asyncio.run(through_service(url, 1, 2))  # warm-up
        # One client through the service, then llama_cpp alone on the same prompts stopping
        # where the service stopped (same tokens: the ratio is the service's overhead) and run
        # to max_tokens (what giving up on hopeless output saves), interleaved so all three
        # see the same machine; the median round is reported.
        for _ in range(args.rounds):
            single = asyncio.run(through_service(url, 1, len(QUESTIONS)))
            by_question = single["completion_tokens_by_question"]
            used = [by_question.get(q, args.max_tokens) for q in QUESTIONS]
            full = [args.max_tokens] * len(prompts)
            rounds.append(
                (single, raw_llama(model, prompts, used), raw_llama(model, prompts, full))
            )
        load = [asyncio.run(through_service(url, c, n)) for c, n in ((4, 4), (16, 2))]
    ratios = [single["mean_ms"] / raw["mean_ms"] for single, raw, _ in rounds]
    single, raw, raw_full = rounds[ratios.index(statistics.median_low(ratios))]
    load.insert(0, single)
    overhead = statistics.median(ratios)
    shares = [x for one, _, _ in rounds for x in one["first_text_shares"]]
    share = statistics.median(shares)
    targets = [
        target(
            "first verified text / whole answer (p50, 1 client)",
            share,
            0.5,
            f"whole answer p50 {single['latency_ms']['p50'] / 1000:.2f} s",
            f"first text p50 {single['first_text_ms']['p50'] / 1000:.2f} s ({len(shares)} answers)",
        ),
        target(
            "/chat overhead x raw llama.cpp",
            overhead,
            1.05,
            f"raw llama_cpp, same tokens: mean {raw['mean_ms'] / 1000:.2f} s",
            f"/chat/stream: mean {single['mean_ms'] / 1000:.2f} s (median of {len(ratios)} rounds)",
        ),
    ]
    rows = [
        (name, 1, run["latency_ms"]["p50"], run["latency_ms"]["p95"],
         run["first_token_ms"]["p50"], run["tokens_per_s"], "-",
         round(run["mean_ms"] / raw["mean_ms"], 3))
        for name, run in (("raw llama_cpp, same tokens", raw),
                          (f"raw llama_cpp, {args.max_tokens} tokens", raw_full))
    ]  # fmt: skip
    for run in load:
        rows.append(
            (
                "/chat/stream",
                run["clients"],
                run["latency_ms"]["p50"] if run["latency_ms"] else "-",
                run["latency_ms"]["p95"] if run["latency_ms"] else "-",
                run["first_text_ms"]["p50"] if run["first_text_ms"] else "-",
                run["tokens_per_s"],
                sum(run["errors"].values()),
                round(run["mean_ms"] / raw["mean_ms"], 3),
            )
        )
    print_table(
        f"Chat ({model.name}, {args.threads} threads, max {args.max_tokens} tokens)",
        ["path", "clients", "p50 ms", "p95 ms", "first text ms", "tokens/s", "errors",
         "mean / raw"],
        rows,
    )  # fmt: skip
    shown = ", ".join(f"{r:.3f}" for r in ratios)
    print(f"Service overhead at 1 client: {overhead:.3f}x raw generation (rounds: {shown}).")
    print(f"Grounding verdicts at 1 client: {single['verdicts']}")
    print_targets(targets, "Issue #19 chat targets")
    payload = {
        "machine": machine() | {"threads": args.threads},
        "model": model.name,
        "max_tokens": args.max_tokens,
        "questions": QUESTIONS,
        "raw_same_tokens": raw,
        "raw_max_tokens": raw_full,
        "service": load,
        "overhead_ratio": round(overhead, 4),
        "overhead_ratio_by_round": [round(r, 4) for r in ratios],
        "first_text_share_p50": round(share, 4),
        "targets": targets,
    }
    print(f"Results: {write_results('chat', payload, args.output)}")


if __name__ == "__main__":
    main()
