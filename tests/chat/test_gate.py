"""The model gate's Retry-After: when the queue should have room, below the keep-alive."""

from __future__ import annotations

import asyncio

import pytest

from chat.chat_model import Message, Usage
from chat.gate import ModelGate
from core.errors import ServiceBusyError
from tests.fakes.chat_model import ScriptedChatModel


async def _ask(gate: ModelGate) -> str:
    pieces = [p async for p in gate.stream([Message("user", "hola")], 16, Usage())]
    return "".join(pieces)


async def test_retry_after_follows_the_queue_and_stays_below_the_keep_alive() -> None:
    model = ScriptedChatModel(default="uno dos tres cuatro", delay_s=0.3)  # ~1.2 s a generation
    gate = ModelGate(model, queue_size=2, queue_timeout_s=60, max_retry_after_s=9)
    assert gate.retry_after_s() == 9  # untimed: a quarter of the queue time-out, capped

    await _ask(gate)  # now a generation has been timed (1.2 s at least: the model's pauses)
    alone = gate.retry_after_s()
    assert 2 <= alone < 9  # this request alone ahead: a generation's length, rounded up

    running = [asyncio.create_task(_ask(gate)) for _ in range(3)]  # one runs, two wait
    await asyncio.sleep(0.1)
    with pytest.raises(ServiceBusyError) as busy:
        gate.admit()  # the queue is full: refused before any work
    assert alone < busy.value.retry_after_s <= 9  # three ahead take longer; still capped
    await asyncio.gather(*running)
    gate.close()
