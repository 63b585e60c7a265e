"""`ScriptedChatModel`: a fake `ChatModel` that replies with queued texts, word by word.

When the messages end with the beginning of the assistant's reply (the service's lead), the
scripted reply is what follows it: the part after that beginning when it starts so (a model
going on as trained), else all of it. A reply may use `{1.price}`-style fields filled from the
prompt's numbered products, so a test can script "the right price of product 1" without
hard-coding catalogue data. Every prompt it received is kept for assertions.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence

from chat.chat_model import Message, Usage
from chat.prompt import PromptFormat

_LINE = re.compile(r"^\[(\d+)\] (.*?) \| .*? \| (\d+,\d{2} €)", re.M)


class ScriptedChatModel:
    def __init__(
        self,
        *replies: str,
        default: str = "",
        delay_s: float = 0.0,
        hold: threading.Event | None = None,
        prompt_format: PromptFormat = "products",
    ) -> None:
        self.replies: deque[str] = deque(replies)
        self.default = default
        self.delay_s = delay_s
        self.hold = hold  # when given, every generation waits for it to be set
        self._format: PromptFormat = prompt_format
        self.prompts: list[list[Message]] = []
        self._lock = threading.Lock()
        self.concurrent = 0
        self.max_concurrent = 0
        self.pieces_sent = 0

    @property
    def name(self) -> str:
        return "scripted-fake"

    @property
    def prompt_format(self) -> PromptFormat:
        return self._format

    def queue(self, *replies: str) -> None:
        self.replies.extend(replies)

    def stream(self, messages: Sequence[Message], max_tokens: int, usage: Usage) -> Iterator[str]:
        with self._lock:
            self.concurrent += 1
            self.max_concurrent = max(self.max_concurrent, self.concurrent)
            self.prompts.append(list(messages))
            reply = self.replies.popleft() if self.replies else self.default
        try:
            if self.hold is not None:
                self.hold.wait(timeout=60)
            asked = next((m.content for m in reversed(messages) if m.role == "user"), "")
            fields = {f"{n}.name": name for n, name, _ in _LINE.findall(asked)} | {
                f"{n}.price": price for n, _, price in _LINE.findall(asked)
            }
            text = re.sub(r"\{(\d+\.\w+)\}", lambda m: fields.get(m[1], m[0]), reply)
            if messages[-1].role == "assistant":  # goes on from a reply the service began
                begun = messages[-1].content
                text = text[len(begun) :] if text.startswith(begun) else text
            usage.prompt_tokens = sum(len(m.content.split()) for m in messages)
            for word in re.findall(r"\S+\s*", text)[:max_tokens]:
                if self.delay_s:
                    time.sleep(self.delay_s)
                usage.completion_tokens += 1
                self.pieces_sent += 1
                yield word
        finally:
            with self._lock:
                self.concurrent -= 1
