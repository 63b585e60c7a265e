"""Conversation memory contract, on SQLite and on MongoDB: kept across reopen, capped, forgotten."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.domain import ConversationTurn
from storage.conversations import (
    ConversationStore,
    MongoConversationStore,
    SqliteConversationStore,
)


def _open(kind: str, tmp_path: Path, request: pytest.FixtureRequest, db: str) -> ConversationStore:
    if kind == "sqlite":
        return SqliteConversationStore(tmp_path / "store.db")
    return MongoConversationStore(request.getfixturevalue("mongodb_uri"), db, timeout_s=5)


@pytest.fixture(params=["sqlite", "mongodb"])
async def conversations(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[ConversationStore, str]]:
    db = f"test_{uuid.uuid4().hex[:12]}"
    store = _open(request.param, tmp_path, request, db)
    await store.initialize()
    yield store, db
    await store.close()


def _turn(i: int) -> ConversationTurn:
    return ConversationTurn(role="user" if i % 2 == 0 else "assistant", content=f"mensaje {i}")


async def test_recent_returns_last_turns_oldest_first(
    conversations: tuple[ConversationStore, str],
) -> None:
    store, _ = conversations
    await store.append("c1", [_turn(0), _turn(1)], keep=10)
    await store.append("c1", [_turn(2), _turn(3)], keep=10)
    await store.append("other", [_turn(9)], keep=10)
    recent = await store.recent("c1", 3)
    assert [t.content for t in recent] == ["mensaje 1", "mensaje 2", "mensaje 3"]
    assert recent[0].role == "assistant"


async def test_length_is_capped_oldest_dropped(
    conversations: tuple[ConversationStore, str],
) -> None:
    store, _ = conversations
    for i in range(0, 10, 2):
        await store.append("c1", [_turn(i), _turn(i + 1)], keep=4)
    assert [t.content for t in await store.recent("c1", 100)] == [
        "mensaje 6",
        "mensaje 7",
        "mensaje 8",
        "mensaje 9",
    ]


async def test_forget_deletes_only_that_conversation(
    conversations: tuple[ConversationStore, str],
) -> None:
    store, _ = conversations
    await store.append("c1", [_turn(0)], keep=4)
    await store.append("c2", [_turn(0)], keep=4)
    assert await store.forget("c1") is True
    assert await store.forget("c1") is False
    assert await store.recent("c1", 10) == []
    assert len(await store.recent("c2", 10)) == 1


@pytest.mark.parametrize("kind", ["sqlite", "mongodb"])
async def test_conversations_survive_reopening(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    db = f"test_{uuid.uuid4().hex[:12]}"
    first = _open(kind, tmp_path, request, db)
    await first.initialize()
    await first.append("c1", [_turn(0), _turn(1)], keep=10)
    await first.close()
    second = _open(kind, tmp_path, request, db)
    await second.initialize()
    assert [t.content for t in await second.recent("c1", 10)] == ["mensaje 0", "mensaje 1"]
    await second.close()


async def test_simultaneous_answers_are_all_remembered(
    conversations: tuple[ConversationStore, str],
) -> None:
    # Several chats finish at the same moment: every exchange is stored, none lost or mixed.
    store, _ = conversations
    await asyncio.gather(
        *(store.append(f"c{n}", [_turn(0), _turn(1)], keep=10) for n in range(8)),
        store.forget("nobody"),
    )
    for n in range(8):
        assert [t.content for t in await store.recent(f"c{n}", 10)] == ["mensaje 0", "mensaje 1"]


async def test_settings_are_kept_per_conversation_and_outlive_a_reset(
    conversations: tuple[ConversationStore, str],
) -> None:
    store, _ = conversations
    await store.set_setting("telegram:1", "chain", "dia")
    await store.set_setting("telegram:2", "chain", "consum")
    await store.append("telegram:1", [_turn(0)], keep=10)
    await store.forget("telegram:1")  # /reset forgets what was said, not the preference
    assert await store.setting("telegram:1", "chain") == "dia"
    assert await store.setting("telegram:2", "chain") == "consum"
    await store.set_setting("telegram:1", "chain", None)
    assert await store.setting("telegram:1", "chain") is None
    assert await store.setting("nobody", "chain") is None
