"""The `ChatModel` seam: messages in, answer text out as a stream of pieces.

Implementations: `LlamaCppChatModel` (a local GGUF through llama-cpp-python) and, in tests, a
scripted fake with queued replies. Models are synchronous and not thread-safe; `ModelGate`
runs them one generation at a time, off the event loop.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


@dataclass
class Usage:
    """Filled in by the model while it generates (token counts for metrics and the API)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0


@runtime_checkable
class ChatModel(Protocol):
    @property
    def name(self) -> str:
        """What is answering (model file, adapter), as shown by /health."""

    @property
    def prompt_format(self) -> Literal["products", "draft", "brief"]:
        """Which prompt it was trained to read (`chat/prompt.py`): numbered products, or the
        answer composed from the data to phrase."""

    def stream(self, messages: Sequence[Message], max_tokens: int, usage: Usage) -> Iterator[str]:
        """Generate the assistant's next message, piece by piece."""
