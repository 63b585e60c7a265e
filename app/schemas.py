"""HTTP schemas of the chat API (`/chat`) and its OpenAI-compatible twin (`/v1/...`)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from chat.answer import ChatAnswer
from chat.facts import ProductFacts
from core.domain import ConversationTurn

CONVERSATION_ID = r"^[A-Za-z0-9_.:-]{1,80}$"


class ChatRequest(BaseModel):
    message: str = Field(
        min_length=1,
        description="The shopper's question, in Spanish.",
        examples=["¿Dónde está más barato el aceite de oliva virgen extra?"],
    )
    conversation_id: str | None = Field(
        None,
        pattern=CONVERSATION_ID,
        description="Continue this conversation (returned by the previous answer); omit to "
        "start a new one.",
    )


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
        description="verified: the model's answer held; repaired: unsupported sentences were "
        "removed or facts added from the data; replaced: the answer was composed from the data "
        "instead; composed: no model was asked (no product found, or data-only mode)."
    )
    issues: list[str] = Field(description="What the check found, in Spanish.")


class TokenUsage(BaseModel):
    prompt_tokens: int
    completion_tokens: int


class ChatResponse(BaseModel):
    conversation_id: str
    answer: str
    products: list[CitedProduct] = Field(description="The products the answer cites, in order.")
    grounding: GroundingReport
    timings_ms: dict[str, float] = Field(
        description="retrieval, first_text (time to the first verified text), generation, total."
    )
    usage: TokenUsage
    model: str
    index_version: str

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
    type: str = Field(description="Machine-readable kind, e.g. invalid_request, rate_limited.")
    message: str = Field(description="What went wrong and what to do next.")


class ErrorResponse(BaseModel):
    error: ErrorDetail


# OpenAI-compatible -------------------------------------------------------------------------
class OpenAITextPart(BaseModel):
    type: Literal["text"] = Field(description="Only text parts are read (no images).")
    text: str


class OpenAIMessage(BaseModel):
    role: Literal["system", "user", "assistant", "developer", "tool"]
    content: str | list[OpenAITextPart] | None = Field(
        None, description="Text, or a list of text parts (joined), as OpenAI clients send."
    )

    @property
    def text(self) -> str:
        if isinstance(self.content, list):
            return "\n".join(part.text for part in self.content)
        return self.content or ""


class ChatCompletionRequest(BaseModel):
    model: str | None = Field(None, description="Ignored: the service answers with its model.")
    messages: list[OpenAIMessage] = Field(
        min_length=1,
        description="The conversation; the last user message is the question. System messages "
        "are ignored (the service's own rules apply).",
    )
    stream: bool = False
    max_tokens: int | None = Field(None, ge=1, description="Ignored beyond the service limit.")
    temperature: float | None = Field(None, description="Ignored (answers are grounded).")


class HealthComponent(BaseModel):
    ok: bool
    detail: str


class HealthResponse(BaseModel):
    status: Literal["ok", "degraded"]
    model: HealthComponent
    index: HealthComponent
    store: HealthComponent
