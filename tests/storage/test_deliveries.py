"""Delivered message ids on SQLite and MongoDB: taken once, across reopening and concurrent
claims, per channel."""

from __future__ import annotations

import asyncio

from core.settings import Settings
from storage.deliveries import create_delivery_log


async def test_a_message_id_is_taken_once_even_after_a_restart(backend_settings: Settings) -> None:
    first = create_delivery_log(backend_settings)
    await first.initialize()
    assert await first.claim("whatsapp", "wamid.1") is True
    assert await first.claim("whatsapp", "wamid.1") is False  # a redelivery
    assert await first.claim("telegram", "wamid.1") is True  # ids are per channel
    await first.close()

    again = create_delivery_log(backend_settings)  # the server restarted
    await again.initialize()
    try:
        assert await again.claim("whatsapp", "wamid.1") is False
        claims = await asyncio.gather(*(again.claim("whatsapp", "wamid.2") for _ in range(8)))
        assert claims.count(True) == 1  # replicas racing on one redelivery: one answers
    finally:
        await again.close()
