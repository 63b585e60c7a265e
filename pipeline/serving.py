"""Which machines serve answers: every API process keeps a `serving@<host>` lease alive, so a
pipeline run elsewhere on the same host knows that training there would take the cores that
answer shoppers (and skips it unless allowed)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket

from storage.pipeline_records import PipelineRecords

log = logging.getLogger(__name__)
TTL_S = 60.0


def serving_lease(host: str | None = None) -> str:
    return f"serving@{host or socket.gethostname()}"


class ServingBeacon:
    """Renews this host's serving lease while the API runs (one worker holds it at a time;
    if it stops, another takes over at its next renewal)."""

    def __init__(self, records: PipelineRecords, holder: str) -> None:
        self._records = records
        self._holder = holder
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._beat(), name="serving-beacon")

    async def _beat(self) -> None:
        while True:
            try:
                await self._records.acquire_lease(serving_lease(), self._holder, TTL_S)
            except Exception:  # the store is down: answers go on, the next beat retries
                log.warning("Could not renew the serving lease", exc_info=True)
            await asyncio.sleep(TTL_S / 3)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            await self._records.release_lease(serving_lease(), self._holder)


async def serving_here(records: PipelineRecords) -> str | None:
    """The API process serving answers on this host, if any."""
    return await records.lease_holder(serving_lease())
