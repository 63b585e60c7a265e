"""A MongoDB wire-protocol server on 127.0.0.1 for tests, backed by mongomock's query engine.

No MongoDB server can be installed on these machines, so the MongoDB store is tested against
this: PyMongo talks real MongoDB wire protocol (OP_QUERY handshake, OP_MSG commands) over a real
socket, and the commands it sends (insert, update, delete, find/getMore, aggregate,
createIndexes...) are executed by mongomock. It is a fake at the network boundary, nothing more:
set SUPERSMART_TEST_MONGODB_URI to run the same contract tests against a real server.
"""

from __future__ import annotations

import asyncio
import itertools
import struct
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import bson
import mongomock
from bson.codec_options import CodecOptions
from pymongo.database import Database

OP_REPLY, OP_QUERY, OP_MSG = 1, 2004, 2013
Doc = dict[str, Any]
_CODEC: CodecOptions[Doc] = CodecOptions(tz_aware=True, tzinfo=UTC)


class FakeMongoServer:
    """`with FakeMongoServer() as server: AsyncMongoClient(server.uri)`."""

    def __init__(self) -> None:
        self._client: mongomock.MongoClient[Doc] = mongomock.MongoClient(tz_aware=True)
        self._cursors: dict[int, list[Doc]] = {}
        self._cursor_ids = itertools.count(1)
        self._request_ids = itertools.count(1)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self.port = 0

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true"

    def __enter__(self) -> FakeMongoServer:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        future.result(timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            assert self._server is not None
            self._server.close()
            current = asyncio.current_task()
            connections = [t for t in asyncio.all_tasks() if t is not current]
            for task in connections:
                task.cancel()
            await asyncio.gather(*connections, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                header = await reader.readexactly(16)
                length, request_id, _, opcode = struct.unpack("<iiii", header)
                body = await reader.readexactly(length - 16)
                if opcode == OP_QUERY:
                    writer.write(self._reply_query(request_id, body))
                elif opcode == OP_MSG:
                    writer.write(self._reply_msg(request_id, body))
                else:
                    raise ConnectionError(f"unsupported opcode {opcode}")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    # framing -----------------------------------------------------------------------------
    def _reply_query(self, request_id: int, body: bytes) -> bytes:
        end = body.index(b"\x00", 4)
        collection = body[4:end].decode()
        query_start = end + 1 + 8
        size = struct.unpack("<i", body[query_start : query_start + 4])[0]
        command = bson.decode(body[query_start : query_start + size], codec_options=_CODEC)
        if "$query" in command:
            command = command["$query"]
        reply = self._run(command, collection.split(".", 1)[0])
        payload = struct.pack("<iqii", 0, 0, 0, 1) + bson.encode(reply)
        return (
            struct.pack("<iiii", 16 + len(payload), next(self._request_ids), request_id, OP_REPLY)
            + payload
        )

    def _reply_msg(self, request_id: int, body: bytes) -> bytes:
        flags = struct.unpack("<I", body[:4])[0]
        end = len(body) - (4 if flags & 1 else 0)
        position, command = 4, {}
        while position < end:
            kind = body[position]
            position += 1
            size = struct.unpack("<i", body[position : position + 4])[0]
            if kind == 0:
                command.update(bson.decode(body[position : position + size], codec_options=_CODEC))
            else:
                section = body[position + 4 : position + size]
                name_end = section.index(b"\x00")
                command[section[:name_end].decode()] = list(
                    bson.decode_all(section[name_end + 1 :], codec_options=_CODEC)
                )
            position += size
        reply = self._run(command, command.get("$db", "test"))
        payload = struct.pack("<I", 0) + b"\x00" + bson.encode(reply)
        return (
            struct.pack("<iiii", 16 + len(payload), next(self._request_ids), request_id, OP_MSG)
            + payload
        )

    # commands ----------------------------------------------------------------------------
    def _run(self, command: Doc, db_name: str) -> Doc:
        name = next(iter(command))
        handler: Callable[[Doc, Database[Doc]], Doc] | None = getattr(
            self, f"_cmd_{name.lower()}", None
        )
        if handler is None:
            return {"ok": 0.0, "errmsg": f"no such command: {name}", "code": 59}
        try:
            return {**handler(command, self._client[db_name]), "ok": 1.0}
        except mongomock.DuplicateKeyError as exc:
            return {"ok": 0.0, "errmsg": str(exc), "code": 11000}
        except mongomock.OperationFailure as exc:
            return {"ok": 0.0, "errmsg": str(exc), "code": exc.code or 2}

    def _cmd_hello(self, command: Doc, db: Database[Doc]) -> Doc:
        return {
            "helloOk": True,
            "isWritablePrimary": True,
            "ismaster": True,
            "maxBsonObjectSize": 16 * 1024 * 1024,
            "maxMessageSizeBytes": 48_000_000,
            "maxWriteBatchSize": 100_000,
            "localTime": datetime.now(UTC),
            "minWireVersion": 0,
            "maxWireVersion": 21,
            "connectionId": 1,
        }

    _cmd_ismaster = _cmd_hello

    def _cmd_ping(self, command: Doc, db: Database[Doc]) -> Doc:
        return {}

    _cmd_endsessions = _cmd_ping

    def _cmd_buildinfo(self, command: Doc, db: Database[Doc]) -> Doc:
        return {"version": "7.0.0", "versionArray": [7, 0, 0, 0]}

    def _cmd_insert(self, command: Doc, db: Database[Doc]) -> Doc:
        collection = db[command["insert"]]
        errors, inserted = [], 0
        for index, document in enumerate(command.get("documents", [])):
            try:
                collection.insert_one(document)
                inserted += 1
            except mongomock.DuplicateKeyError as exc:
                errors.append({"index": index, "code": 11000, "errmsg": str(exc)})
                if command.get("ordered", True):
                    break
        return {"n": inserted, **({"writeErrors": errors} if errors else {})}

    def _cmd_update(self, command: Doc, db: Database[Doc]) -> Doc:
        collection = db[command["update"]]
        matched = modified = 0
        upserted = []
        for index, spec in enumerate(command.get("updates", [])):
            query, change, upsert = spec.get("q", {}), spec["u"], spec.get("upsert", False)
            if spec.get("multi"):
                result = collection.update_many(query, change, upsert=upsert)
            elif any(key.startswith("$") for key in change):
                result = collection.update_one(query, change, upsert=upsert)
            else:
                result = collection.replace_one(query, change, upsert=upsert)
            matched += result.matched_count
            modified += result.modified_count
            if result.upserted_id is not None:
                upserted.append({"index": index, "_id": result.upserted_id})
        return {
            "n": matched + len(upserted),
            "nModified": modified,
            **({"upserted": upserted} if upserted else {}),
        }

    def _cmd_delete(self, command: Doc, db: Database[Doc]) -> Doc:
        collection = db[command["delete"]]
        deleted = 0
        for spec in command.get("deletes", []):
            if spec.get("limit") == 1:
                deleted += collection.delete_one(spec.get("q", {})).deleted_count
            else:
                deleted += collection.delete_many(spec.get("q", {})).deleted_count
        return {"n": deleted}

    def _cmd_find(self, command: Doc, db: Database[Doc]) -> Doc:
        name = command["find"]
        cursor = db[name].find(command.get("filter", {}), command.get("projection"))
        if command.get("sort"):
            cursor = cursor.sort(list(command["sort"].items()))
        if command.get("skip"):
            cursor = cursor.skip(command["skip"])
        if command.get("limit"):
            cursor = cursor.limit(abs(command["limit"]))
        return self._cursor(f"{db.name}.{name}", list(cursor), command.get("batchSize"))

    def _cmd_aggregate(self, command: Doc, db: Database[Doc]) -> Doc:
        name = command["aggregate"]
        documents = list(db[name].aggregate(command.get("pipeline", [])))
        return self._cursor(
            f"{db.name}.{name}", documents, command.get("cursor", {}).get("batchSize")
        )

    def _cmd_getmore(self, command: Doc, db: Database[Doc]) -> Doc:
        cursor_id = command["getMore"]
        remaining = self._cursors.pop(cursor_id, [])
        size = command.get("batchSize") or 1000
        batch, rest = remaining[:size], remaining[size:]
        if rest:
            self._cursors[cursor_id] = rest
        return {
            "cursor": {
                "nextBatch": batch,
                "id": cursor_id if rest else 0,
                "ns": f"{db.name}.{command['collection']}",
            }
        }

    def _cmd_killcursors(self, command: Doc, db: Database[Doc]) -> Doc:
        for cursor_id in command.get("cursors", []):
            self._cursors.pop(cursor_id, None)
        return {"cursorsKilled": command.get("cursors", [])}

    def _cursor(self, namespace: str, documents: list[Doc], batch_size: int | None) -> Doc:
        size = 101 if batch_size is None else batch_size
        first, rest = documents[:size], documents[size:]
        cursor_id = 0
        if rest:
            cursor_id = next(self._cursor_ids)
            self._cursors[cursor_id] = rest
        return {"cursor": {"firstBatch": first, "id": cursor_id, "ns": namespace}}

    def _cmd_createindexes(self, command: Doc, db: Database[Doc]) -> Doc:
        collection = db[command["createIndexes"]]
        for spec in command.get("indexes", []):
            collection.create_index(
                list(spec["key"].items()), unique=spec.get("unique", False), name=spec.get("name")
            )
        return {"numIndexesAfter": len(command.get("indexes", [])) + 1}

    def _cmd_drop(self, command: Doc, db: Database[Doc]) -> Doc:
        db.drop_collection(command["drop"])
        return {}

    def _cmd_dropdatabase(self, command: Doc, db: Database[Doc]) -> Doc:
        self._client.drop_database(db.name)
        return {}
