"""Conversation memory contract, on SQLite and on MongoDB: kept across reopen, capped, forgotten."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from core.domain import ConversationTurn
from core.settings import Settings
from storage.conversations import ConversationStore, create_conversation_store


@pytest.fixture
async def conversations(backend_settings: Settings) -> AsyncIterator[ConversationStore]:
    store = create_conversation_store(backend_settings)
    await store.initialize()
    yield store
    await store.close()


def _turn(i: int) -> ConversationTurn:
    return ConversationTurn(role="user" if i % 2 == 0 else "assistant", content=f"mensaje {i}")


async def test_recent_returns_last_turns_oldest_first(
    conversations: ConversationStore,
) -> None:
    await conversations.append("c1", [_turn(0), _turn(1)], keep=10)
    await conversations.append("c1", [_turn(2), _turn(3)], keep=10)
    await conversations.append("other", [_turn(9)], keep=10)
    recent = await conversations.recent("c1", 3)
    assert [t.content for t in recent] == ["mensaje 1", "mensaje 2", "mensaje 3"]
    assert recent[0].role == "assistant"


async def test_length_is_capped_oldest_dropped(
    conversations: ConversationStore,
) -> None:
    for i in range(0, 10, 2):
        await conversations.append("c1", [_turn(i), _turn(i + 1)], keep=4)
    assert [t.content for t in await conversations.recent("c1", 100)] == [
        "mensaje 6",
        "mensaje 7",
        "mensaje 8",
        "mensaje 9",
    ]


async def test_forget_deletes_only_that_conversation(
    conversations: ConversationStore,
) -> None:
    await conversations.append("c1", [_turn(0)], keep=4)
    await conversations.append("c2", [_turn(0)], keep=4)
    assert await conversations.forget("c1") is True
    assert await conversations.forget("c1") is False
    assert await conversations.recent("c1", 10) == []
    assert len(await conversations.recent("c2", 10)) == 1


async def test_conversations_survive_reopening(backend_settings: Settings) -> None:
    first = create_conversation_store(backend_settings)
    await first.initialize()
    await first.append("c1", [_turn(0), _turn(1)], keep=10)
    await first.close()
    second = create_conversation_store(backend_settings)
    await second.initialize()
    assert [t.content for t in await second.recent("c1", 10)] == ["mensaje 0", "mensaje 1"]
    await second.close()


async def test_simultaneous_answers_are_all_remembered(
    conversations: ConversationStore,
) -> None:
    # Several chats finish at the same moment: every exchange is stored, none lost or mixed.
    await asyncio.gather(
        *(conversations.append(f"c{n}", [_turn(0), _turn(1)], keep=10) for n in range(8)),
        conversations.forget("nobody"),
    )
    for n in range(8):
        assert [t.content for t in await conversations.recent(f"c{n}", 10)] == [
            "mensaje 0",
            "mensaje 1",
        ]


async def test_settings_are_kept_per_conversation_and_outlive_a_reset(
    conversations: ConversationStore,
) -> None:
    await conversations.set_setting("telegram:1", "chain", "dia")
    await conversations.set_setting("telegram:2", "chain", "consum")
    await conversations.append("telegram:1", [_turn(0)], keep=10)
    await conversations.forget("telegram:1")  # /reset forgets what was said, not the preference
    assert await conversations.setting("telegram:1", "chain") == "dia"
    assert await conversations.setting("telegram:2", "chain") == "consum"
    await conversations.set_setting("telegram:1", "chain", None)
    assert await conversations.setting("telegram:1", "chain") is None
    assert await conversations.setting("nobody", "chain") is None


async def test_old_conversations_go_and_at_most_keep_stay(
    conversations: ConversationStore,
) -> None:
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)

    def said(days_ago: int) -> list[ConversationTurn]:
        return [ConversationTurn(role="user", content="hola", at=now - timedelta(days=days_ago))]

    await conversations.append("stale", said(40), keep=10)
    await conversations.append("revived", said(45), keep=10)
    await conversations.append("revived", said(1), keep=10)  # its last message is recent
    for n in range(4):
        await conversations.append(f"recent-{n}", said(n + 2), keep=10)
    await conversations.set_setting("stale", "chain", "dia")

    assert await conversations.prune(now - timedelta(days=30), keep=3) == 3  # stale + 2 over

    kept = [c for c in ("revived", "recent-0", "recent-1") if await conversations.recent(c, 5)]
    assert kept == ["revived", "recent-0", "recent-1"]  # the three most recent
    for gone in ("stale", "recent-2", "recent-3"):
        assert await conversations.recent(gone, 5) == []
    assert await conversations.setting("stale", "chain") == "dia"  # settings stay
    assert await conversations.prune(now - timedelta(days=30), keep=3) == 0
