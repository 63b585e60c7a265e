"""The techniques compared, behind one protocol, sharing one model runtime.

| answerer   | model             | context                                   |
|------------|-------------------|-------------------------------------------|
| zero-shot  | base              | none: the question alone                  |
| few-shot   | base              | retrieved products + k worked examples    |
| rag        | base              | retrieved products (the service's prompt) |
| lora       | base + adapter    | none                                      |
| rag+lora   | base + adapter    | retrieved products; raw model text        |
| service    | base + adapter    | the whole chat service: checked, repaired |
| composed   | none              | the deterministic answer from the data    |

One `LlamaCppChatModel` serves every model answerer; the adapter is switched between answerers
(a reload of about a second), never per question.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from chat import compose
from chat.answer import Prepared
from chat.chat_model import ChatModel, Message, Usage
from chat.facts import ProductFacts
from chat.service import ChatService
from retrieval.query import Intent


@dataclass
class Answer:
    text: str
    context: list[ProductFacts] = field(default_factory=list)
    latency_ms: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    verdict: str | None = None  # the service's grounding verdict, where there is one


class Answerer(Protocol):
    name: str
    uses_adapter: bool  # which adapter the shared model must have loaded

    async def answer(self, question: str) -> Answer: ...


class AdapterSwitch:
    """What the shared model loads: the adapter (for LoRA answerers) or none."""

    def __init__(self, adapter: Path | None) -> None:
        self.adapter = adapter
        self.on = False

    def __call__(self) -> Path | None:
        return self.adapter if self.on else None


@dataclass
class _Generating:
    model: ChatModel
    max_tokens: int

    def generate(self, messages: Sequence[Message], context: list[ProductFacts]) -> Answer:
        usage = Usage()
        started = time.perf_counter()
        text = "".join(self.model.stream(messages, self.max_tokens, usage)).strip()
        return Answer(
            text,
            context,
            round((time.perf_counter() - started) * 1000, 1),
            usage.prompt_tokens,
            usage.completion_tokens,
        )


@dataclass
class ZeroShot(_Generating):
    name: str = "zero-shot"
    uses_adapter: bool = False

    async def answer(self, question: str) -> Answer:
        return self.generate([Message("user", question)], [])


@dataclass
class LoraAlone(ZeroShot):
    name: str = "lora"
    uses_adapter: bool = True


@dataclass
class Rag(_Generating):
    service: ChatService | None = None
    name: str = "rag"
    uses_adapter: bool = False
    shots: list[Message] = field(default_factory=list)  # worked examples before the question

    async def answer(self, question: str) -> Answer:
        assert self.service is not None
        started = time.perf_counter()
        prepared = await self.service.prepare(question, self.shots)
        if not prepared.facts:  # the service would not ask the model: nothing to show it
            return Answer(compose.not_found(prepared.query, ()), [], _ms(started))
        answer = self.generate(prepared.messages, prepared.facts)
        answer.latency_ms = _ms(started)
        return answer


@dataclass
class RagLora(Rag):
    name: str = "rag+lora"
    uses_adapter: bool = True


@dataclass
class FewShot(Rag):
    """The RAG prompt after k worked examples (other products, answers composed from data)."""

    name: str = "few-shot"


async def worked_examples(service: ChatService, questions: Sequence[str]) -> list[Message]:
    """User/assistant turns for few-shot prompts: each question's real prompt and the answer
    composed from the data (the format the service wants)."""
    turns: list[Message] = []
    for question in questions:
        prepared = await service.prepare(question)
        if prepared.facts:
            turns += [prepared.messages[-1], Message("assistant", _composed(prepared))]
    return turns


@dataclass
class Service:
    """The product as shipped: retrieval, the adapted model, then the grounding check."""

    service: ChatService
    name: str = "service"
    uses_adapter: bool = True

    async def answer(self, question: str) -> Answer:
        started = time.perf_counter()
        result = await self.service.ask(question, history=[])  # nothing stored
        return Answer(
            result.answer,
            result.context,
            _ms(started),
            result.usage.prompt_tokens,
            result.usage.completion_tokens,
            result.grounding.verdict,
        )


@dataclass
class Composed:
    service: ChatService
    name: str = "composed"
    uses_adapter: bool = False

    async def answer(self, question: str) -> Answer:
        started = time.perf_counter()
        prepared = await self.service.prepare(question)
        return Answer(_composed(prepared), prepared.facts, _ms(started), verdict="composed")


def _composed(prepared: Prepared) -> str:
    if not prepared.facts and Intent.CHAT not in prepared.query.intents:
        return compose.not_found(prepared.query, ())
    return compose.compose(prepared.query, prepared.facts)


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
