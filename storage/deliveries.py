"""Message ids a chat channel has taken, kept beside the products in the store.

WhatsApp's Cloud API redelivers a webhook until it gets a 200, and again after the server
restarts; keeping the ids in the store (not in memory) means a redelivery is never answered
twice, by this process after a restart or by another API replica. Ids are forgotten after
`KEEP_S` (Meta stops redelivering within 7 days).
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from core.domain import utcnow
from core.settings import Settings
from storage.sidecar import MongoCollections, SqliteTables, mongo_location

KEEP_S = 8 * 24 * 3600
_PRUNE_EVERY = 1000  # claims between two deletions of old ids (SQLite; MongoDB expires them)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    channel TEXT NOT NULL,
    message_id TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (channel, message_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS deliveries_at ON deliveries(at);
"""


class DeliveryLog(Protocol):
    async def initialize(self) -> None: ...

    async def close(self) -> None: ...

    async def claim(self, channel: str, message_id: str) -> bool:
        """True the first time `message_id` comes on `channel`, False ever after (atomic:
        two replicas taking the same redelivery get one True)."""


class SqliteDeliveryLog(SqliteTables):
    what = "delivered message ids"
    schema = _SCHEMA
    _claims = 0

    async def claim(self, channel: str, message_id: str) -> bool:
        now = time.time()
        if self._claims % _PRUNE_EVERY == 0:
            await self._sql.write("DELETE FROM deliveries WHERE at < ?", (now - KEEP_S,))
        self._claims += 1
        added = await self._sql.write(
            "INSERT OR IGNORE INTO deliveries(channel, message_id, at) VALUES (?, ?, ?)",
            (channel, message_id, now),
        )
        return added == 1


class MongoDeliveryLog(MongoCollections):
    what = "delivered message ids"

    async def _prepare(self, db: Any) -> None:
        await db.deliveries.create_index("at", expireAfterSeconds=KEEP_S)  # MongoDB forgets them

    async def claim(self, channel: str, message_id: str) -> bool:
        from pymongo.errors import DuplicateKeyError

        try:
            await self._db.deliveries.insert_one(
                {"_id": f"{channel}\x00{message_id}", "at": utcnow()}
            )
        except DuplicateKeyError:
            return False
        return True


def create_delivery_log(settings: Settings) -> DeliveryLog:
    if (mongo := mongo_location(settings)) is not None:
        return MongoDeliveryLog(*mongo, settings.store.timeout_s)
    return SqliteDeliveryLog(settings.sqlite_path, settings.store.timeout_s)
