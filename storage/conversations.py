"""Conversation memory in the store, so it survives restarts and is shared by API replicas.

Each conversation keeps at most `keep` messages (the oldest are dropped on append).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from core.domain import ConversationTurn, utcnow
from core.settings import Settings
from storage.codec import decode_ts, encode_ts
from storage.sidecar import MongoCollections, SqliteTables, mongo_location

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversation_turns (
    conversation_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    role TEXT NOT NULL,
    content TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (conversation_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS conversation_settings (
    conversation_id TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (conversation_id, key)
) WITHOUT ROWID;
"""


class ConversationStore(Protocol):
    async def initialize(self) -> None: ...

    async def close(self) -> None: ...

    async def recent(self, conversation_id: str, limit: int) -> list[ConversationTurn]:
        """The last `limit` messages, oldest first."""

    async def append(
        self, conversation_id: str, turns: Sequence[ConversationTurn], keep: int
    ) -> None: ...

    async def forget(self, conversation_id: str) -> bool:
        """Delete a conversation's turns (its settings stay); whether it existed."""

    async def prune(self, before: datetime, keep: int) -> int:
        """Delete conversations whose last message is older than `before`, then all but the
        `keep` most recent; how many went (their settings stay)."""

    async def setting(self, conversation_id: str, key: str) -> str | None:
        """A per-conversation preference (a bot chat's preferred chain), or None."""

    async def set_setting(self, conversation_id: str, key: str, value: str | None) -> None:
        """Store a preference; None removes it."""


class SqliteConversationStore(SqliteTables):
    what = "conversations"
    schema = _SCHEMA

    async def recent(self, conversation_id: str, limit: int) -> list[ConversationTurn]:
        rows = await self._sql.fetchall(
            "SELECT role, content, at FROM conversation_turns WHERE conversation_id = ? "
            "ORDER BY seq DESC LIMIT ?",
            (conversation_id, limit),
        )
        return [ConversationTurn(role=r, content=c, at=decode_ts(a)) for r, c, a in reversed(rows)]

    async def append(
        self, conversation_id: str, turns: Sequence[ConversationTurn], keep: int
    ) -> None:
        async with self._sql.transaction() as db:
            async with db.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM conversation_turns WHERE conversation_id = ?",
                (conversation_id,),
            ) as cursor:
                row = await cursor.fetchone()
            last = int(row[0]) if row else 0
            await db.executemany(
                "INSERT INTO conversation_turns VALUES (?, ?, ?, ?, ?)",
                [
                    (conversation_id, last + i, t.role, t.content, encode_ts(t.at))
                    for i, t in enumerate(turns, 1)
                ],
            )
            await db.execute(
                "DELETE FROM conversation_turns WHERE conversation_id = ? AND seq <= ?",
                (conversation_id, last + len(turns) - keep),
            )

    async def forget(self, conversation_id: str) -> bool:
        return (
            await self._sql.write(
                "DELETE FROM conversation_turns WHERE conversation_id = ?", (conversation_id,)
            )
            > 0
        )

    async def prune(self, before: datetime, keep: int) -> int:
        # read first (WAL: nobody waits for the scan), then delete in one short transaction
        rows = await self._sql.fetchall(
            "SELECT conversation_id, MAX(at) FROM conversation_turns GROUP BY conversation_id "
            "ORDER BY MAX(at) DESC, conversation_id"
        )
        cutoff = encode_ts(before)
        gone = [(cid,) for n, (cid, last) in enumerate(rows) if n >= keep or last < cutoff]
        async with self._sql.transaction() as db:
            await db.executemany("DELETE FROM conversation_turns WHERE conversation_id = ?", gone)
        return len(gone)

    async def setting(self, conversation_id: str, key: str) -> str | None:
        row = await self._sql.fetchone(
            "SELECT value FROM conversation_settings WHERE conversation_id = ? AND key = ?",
            (conversation_id, key),
        )
        return str(row[0]) if row else None

    async def set_setting(self, conversation_id: str, key: str, value: str | None) -> None:
        if value is None:
            await self._sql.write(
                "DELETE FROM conversation_settings WHERE conversation_id = ? AND key = ?",
                (conversation_id, key),
            )
        else:
            await self._sql.write(
                "INSERT OR REPLACE INTO conversation_settings VALUES (?, ?, ?)",
                (conversation_id, key, value),
            )


class MongoConversationStore(MongoCollections):
    """One document per conversation; `$push` with `$slice` appends and caps atomically."""

    what = "conversations"

    async def _prepare(self, db: Any) -> None:
        await db.conversations.create_index("at")
        # conversations stored before `at` was kept count from now, not as stale
        await db.conversations.update_many({"at": {"$exists": False}}, {"$set": {"at": utcnow()}})

    @property
    def _turns(self) -> Any:
        return self._db["conversations"]

    async def recent(self, conversation_id: str, limit: int) -> list[ConversationTurn]:
        doc = await self._turns.find_one({"_id": conversation_id})
        turns = (doc or {}).get("turns", [])[-limit:] if limit > 0 else []
        return [ConversationTurn.model_validate(json.loads(t)) for t in turns]

    async def append(
        self, conversation_id: str, turns: Sequence[ConversationTurn], keep: int
    ) -> None:
        if not turns:
            return
        encoded = [t.model_dump_json() for t in turns]
        await self._turns.update_one(
            {"_id": conversation_id},
            {
                "$push": {"turns": {"$each": encoded, "$slice": -keep}},
                "$set": {"at": max(t.at for t in turns)},  # for retention
            },
            upsert=True,
        )

    async def forget(self, conversation_id: str) -> bool:
        result = await self._turns.delete_one({"_id": conversation_id})
        return bool(result.deleted_count)

    async def prune(self, before: datetime, keep: int) -> int:
        result = await self._turns.delete_many({"at": {"$lt": before}})
        extra = [
            doc["_id"]
            async for doc in self._turns.find({}, {"_id": 1})
            .sort([("at", -1), ("_id", 1)])
            .skip(keep)
        ]
        if extra:
            await self._turns.delete_many({"_id": {"$in": extra}})
        return int(result.deleted_count) + len(extra)

    @property
    def _settings(self) -> Any:
        return self._turns.database["conversation_settings"]

    async def setting(self, conversation_id: str, key: str) -> str | None:
        doc = await self._settings.find_one({"_id": f"{conversation_id}\x00{key}"})
        return str(doc["value"]) if doc else None

    async def set_setting(self, conversation_id: str, key: str, value: str | None) -> None:
        _id = f"{conversation_id}\x00{key}"
        if value is None:
            await self._settings.delete_one({"_id": _id})
        else:
            document = {"_id": _id, "value": value}
            await self._settings.replace_one({"_id": _id}, document, upsert=True)


def create_conversation_store(settings: Settings) -> ConversationStore:
    if (mongo := mongo_location(settings)) is not None:
        return MongoConversationStore(*mongo, settings.store.timeout_s)
    return SqliteConversationStore(settings.sqlite_path, settings.store.timeout_s)
