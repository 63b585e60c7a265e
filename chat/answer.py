"""What the chat service answers: the answer with its citations, context, timings and the
grounding verdict, and the events a streamed answer is made of."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from chat.chat_model import Message, Usage
from chat.facts import ProductFacts
from retrieval.query import Query

Verdict = Literal["verified", "repaired", "replaced", "composed"]


@dataclass
class Grounding:
    verdict: Verdict
    issues: list[str] = field(default_factory=list)


@dataclass
class ChatAnswer:
    conversation_id: str
    question: str
    answer: str
    cited: list[ProductFacts]
    context: list[ProductFacts]
    grounding: Grounding
    timings_ms: dict[str, float]
    usage: Usage
    model: str
    index_version: str


@dataclass(frozen=True)
class Prepared:
    query: Query
    facts: list[ProductFacts]
    messages: list[Message]
    index_version: str


@dataclass(frozen=True)
class Delta:
    text: str


@dataclass(frozen=True)
class Done:
    answer: ChatAnswer


ChatEvent = Delta | Done
