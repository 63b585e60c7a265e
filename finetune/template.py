"""Chat messages -> the exact text llama.cpp's "gemma" chat format builds, and tokens with
labels on the answer only, so what is trained is what is served."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chat.chat_model import Message
from chat.llama_model import GEMMA_END as END
from chat.llama_model import gemma_prompt as render_prompt

IGNORE = -100
__all__ = ["END", "IGNORE", "encode", "render_prompt"]


def encode(tokenizer: Any, messages: Sequence[Message]) -> tuple[list[int], list[int]]:
    """(input ids, labels): BOS + prompt + answer + end of turn; labels only on the answer."""
    *prompt, answer = messages
    if answer.role != "assistant":
        raise ValueError("the last message of a training example must be the answer")
    prompt_ids = tokenizer(render_prompt(prompt), add_special_tokens=True).input_ids
    answer_ids = tokenizer(answer.content + END.rstrip("\n"), add_special_tokens=False).input_ids
    return prompt_ids + answer_ids, [IGNORE] * len(prompt_ids) + answer_ids
