"""HTTP schemas of the chat API (`/chat`) and its OpenAI-compatible twin (`/v1/...`)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from chat.answer import ChatAnswer
from chat.facts import ProductFacts
from core.domain import ConversationTurn
from core.text import INVISIBLE

CONVERSATION_ID = r"^[A-Za-z0-9_.:-]{1,80}$"
# Something to read: the chat service keeps a question's visible text (`core.text.one_line`:
# no spaces, controls or direction marks), and a question with nothing else is refused
READABLE = rf"[^\s{INVISIBLE}]"
_READABLE = re.compile(READABLE)
# Request bodies are strict: a JSON value of the wrong type (`"force": 0`, `"stream": "yes"`) is
# refused as the schema says, not coerced
STRICT = ConfigDict(strict=True)


class ChatRequest(BaseModel):
    model_config = STRICT

    message: str = Field(
        min_length=1,
        description="The shopper's question, in Spanish: at least one character besides "
        "spaces and control characters.",
        examples=["¿Dónde está más barato el aceite de oliva virgen extra?"],
        json_schema_extra={"pattern": READABLE},  # checked below, with a message to read
    )
    conversation_id: str | None = Field(
        None,
        pattern=CONVERSATION_ID,
        description="Continue this conversation (returned by the previous answer); omit to "
        "start a new one.",
    )

    @field_validator("message")
    @classmethod
    def _readable(cls, message: str) -> str:
        if not _READABLE.search(message):
            raise ValueError(
                "the message is empty (only spaces or control characters): ask about a "
                "product, e.g. «leche sin lactosa»"
            )
        return message


class CitedProduct(BaseModel):
    ref: int = Field(description="The [n] that cites this product in the answer.")
    id: str = Field(description="`<chain>:<chain product id>`.")
    chain: str
    name: str
    brand: str | None
    price: str = Field(description="Package price in EUR, as a decimal string.")
    reference_price: str | None = Field(description="Price per reference unit in EUR.")
    reference_unit: str | None = Field(description="kg, l or ud.")
    price_date: str = Field(description="When this price was observed (YYYY-MM-DD).")
    url: str | None
    flags: list[str] = Field(description="What the data cannot guarantee (e.g. allergens).")

    @classmethod
    def of(cls, facts: ProductFacts) -> CitedProduct:
        p = facts.product
        return cls(
            ref=facts.ref,
            id=p.id,
            chain=p.chain,
            name=p.name,
            brand=p.brand,
            price=str(p.price),
            reference_price=str(p.reference_price) if p.reference_price is not None else None,
            reference_unit=p.reference_unit.value if p.reference_unit else None,
            price_date=p.observed_at.date().isoformat(),
            url=p.url,
            flags=list(facts.flags),
        )


class GroundingReport(BaseModel):
    verdict: Literal["verified", "repaired", "replaced", "composed"] = Field(
        description="verified: the model's answer held (after the data's lead: what the model "
        "added held); repaired: unsupported sentences were removed or facts added from the data; "
        "replaced: the answer was composed from the data instead; composed: the data's words "
        "alone (no product found, data-only mode, or the data's lead with nothing from the "
        "model that holds)."
    )
    issues: list[str] = Field(description="What the check found, in Spanish.")


class TokenUsage(BaseModel):
    prompt_tokens: int
    completion_tokens: int


class AnswerEvidence(BaseModel):
    """What backs an answer: `/chat` sends it with the answer's text, the OpenAI-compatible
    route in its `supersmart` field."""

    conversation_id: str
    products: list[CitedProduct] = Field(description="The products the answer cites, in order.")
    grounding: GroundingReport
    timings_ms: dict[str, float] = Field(
        description="retrieval, first_text (time to the first verified text), generation, total."
    )
    usage: TokenUsage
    model: str
    index_version: str


class ChatResponse(AnswerEvidence):
    answer: str

    @classmethod
    def of(cls, answer: ChatAnswer) -> ChatResponse:
        return cls(
            conversation_id=answer.conversation_id,
            answer=answer.answer,
            products=[CitedProduct.of(f) for f in answer.cited],
            grounding=GroundingReport(
                verdict=answer.grounding.verdict, issues=answer.grounding.issues
            ),
            timings_ms=answer.timings_ms,
            usage=TokenUsage(
                prompt_tokens=answer.usage.prompt_tokens,
                completion_tokens=answer.usage.completion_tokens,
            ),
            model=answer.model,
            index_version=answer.index_version,
        )


class ConversationMessage(BaseModel):
    role: Literal["user", "assistant"]
    content: str
    at: datetime = Field(description="When the message was stored (UTC).")


class ConversationResponse(BaseModel):
    conversation_id: str
    messages: list[ConversationMessage] = Field(
        description="Oldest first; the products an answer cited are not kept, only its text."
    )

    @classmethod
    def of(cls, conversation_id: str, turns: list[ConversationTurn]) -> ConversationResponse:
        return cls(
            conversation_id=conversation_id,
            messages=[ConversationMessage.model_validate(t, from_attributes=True) for t in turns],
        )


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(
        min_length=1, description="Machine-readable kind, e.g. invalid_request, rate_limited."
    )
    message: str = Field(min_length=1, description="What went wrong and what to do next.")


class ErrorResponse(BaseModel):
    """The one shape of every error answer (`app.errors`)."""

    model_config = ConfigDict(extra="forbid")

    error: ErrorDetail


# OpenAI-compatible -------------------------------------------------------------------------
class OpenAITextPart(BaseModel):
    model_config = STRICT

    type: Literal["text"] = Field(description="Only text parts are read (no images).")
    text: str


class OpenAIMessage(BaseModel):
    model_config = STRICT

    role: Literal["system", "user", "assistant", "developer", "tool"]
    content: str | list[OpenAITextPart] | None = Field(
        None, description="Text, or a list of text parts (joined), as OpenAI clients send."
    )

    @property
    def text(self) -> str:
        if isinstance(self.content, list):
            return "\n".join(part.text for part in self.content)
        return self.content or ""


def _json_number(value: Any) -> Any:
    """A JSON number only: strict mode would refuse 2.0, which JSON Schema counts as an
    integer, and lax mode would take "2" and true."""
    if isinstance(value, str | bool):
        raise ValueError("must be a number")
    return value


class ChatCompletionRequest(BaseModel):
    model_config = STRICT

    model: str | None = Field(None, description="Ignored: the service answers with its model.")
    messages: list[OpenAIMessage] = Field(
        min_length=1,
        description="The conversation, oldest first. The last message with text must be the "
        "user's: it is the question (system, developer and tool messages, and messages without "
        "text, are skipped; the service's own rules apply), else 422.",
    )
    stream: bool = Field(
        False,
        description="Send `chat.completion.chunk`s as Server-Sent Events (text/event-stream).",
    )
    max_tokens: Annotated[int, Field(strict=False, ge=1), BeforeValidator(_json_number)] | None = (
        Field(None, description="Ignored beyond the service limit.")
    )
    temperature: float | None = Field(None, description="Ignored (answers are grounded).")

    @field_validator("messages")
    @classmethod
    def _ends_with_the_question(cls, messages: list[OpenAIMessage]) -> list[OpenAIMessage]:
        turns = _turns(messages)
        if not turns or turns[-1].role != "user":
            raise ValueError(
                "the last message with text must come from the user: it is the question"
            )
        return messages

    def turns(self) -> list[OpenAIMessage]:
        """The user and assistant messages with text, oldest first; the last is the user's."""
        return _turns(self.messages)


def _turns(messages: list[OpenAIMessage]) -> list[OpenAIMessage]:
    return [m for m in messages if m.role in ("user", "assistant") and m.text]


class CompletionMessage(BaseModel):
    role: Literal["assistant"]
    content: str


class CompletionChoice(BaseModel):
    index: int
    message: CompletionMessage
    finish_reason: Literal["stop"]


class CompletionUsage(TokenUsage):
    total_tokens: int


class ChatCompletion(BaseModel):
    """OpenAI's `chat.completion`, with the answer's evidence in `supersmart`."""

    id: str
    object: Literal["chat.completion"]
    created: int = Field(description="Unix time.")
    model: str
    choices: list[CompletionChoice]
    usage: CompletionUsage
    supersmart: AnswerEvidence

    @classmethod
    def of(cls, answer: ChatAnswer, completion_id: str, created: int) -> ChatCompletion:
        evidence = ChatResponse.of(answer)
        usage = evidence.usage
        return cls(
            id=completion_id,
            object="chat.completion",
            created=created,
            model=evidence.model,
            choices=[
                CompletionChoice(
                    index=0,
                    message=CompletionMessage(role="assistant", content=evidence.answer),
                    finish_reason="stop",
                )
            ],
            usage=CompletionUsage(
                prompt_tokens=usage.prompt_tokens,
                completion_tokens=usage.completion_tokens,
                total_tokens=usage.prompt_tokens + usage.completion_tokens,
            ),
            supersmart=evidence,
        )


class ModelCard(BaseModel):
    id: str
    object: Literal["model"]
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"]
    data: list[ModelCard]


def event_stream(description: str, events: list[str]) -> dict[str, Any]:
    """An OpenAPI 200 answer in Server-Sent Events: `schema` describes each event (OpenAPI
    before 3.2), its `data` a JSON document (or OpenAI's closing `[DONE]`)."""
    event = {
        "type": "object",
        "required": ["event", "data"],
        "properties": {
            "event": {"type": "string", "enum": events},
            "data": {"type": "string", "minLength": 1},
            "id": {"type": "string"},
            "retry": {"type": "integer"},
        },
    }
    return {"description": description, "content": {"text/event-stream": {"schema": event}}}


class HealthComponent(BaseModel):
    ok: bool
    detail: str


class HealthResponse(BaseModel):
    status: Literal["ok", "degraded"]
    model: HealthComponent
    index: HealthComponent
    store: HealthComponent
