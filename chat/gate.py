"""`ModelGate`: one generation at a time, off the event loop, with a bounded queue.

llama.cpp models are not thread-safe and use every core they are given, so requests take turns.
At most `queue_size` requests wait, each for at most `queue_timeout_s`; beyond that the caller
gets `ServiceBusyError` (HTTP 503 + Retry-After) at once, so a burst can neither crash the
service nor grow memory without bound. A client that goes away stops its generation.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor

from chat.chat_model import ChatModel, Message, Usage
from core.errors import ServiceBusyError

_DONE = object()


class ModelGate:
    def __init__(
        self,
        model: ChatModel,
        queue_size: int,
        queue_timeout_s: float,
        max_retry_after_s: int = 9,
    ) -> None:
        """`max_retry_after_s`: the longest Retry-After to send; below the server's keep-alive,
        so a client that honours it finds its connection still open."""
        self.model = model
        self._queue_size = queue_size
        self._timeout_s = queue_timeout_s
        self._max_retry_after_s = max(1, max_retry_after_s)
        self._slot = asyncio.Semaphore(1)
        self._waiting = 0
        self._generation_s: float | None = None  # a recent generation's length, once timed
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="model")

    @property
    def waiting(self) -> int:
        return self._waiting

    @property
    def busy(self) -> bool:
        return self._slot.locked()

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def admit(self) -> None:
        """Refuse at once when the queue is full: called before the (CPU-costly) retrieval, so
        clients retrying without pause cost little and cannot starve the generations."""
        if self._slot.locked() and self._waiting >= self._queue_size:
            wait = self.retry_after_s()
            raise ServiceBusyError(
                f"The model is busy ({self._waiting} requests waiting): retry in {wait} s.",
                retry_after_s=wait,
            )

    def retry_after_s(self) -> int:
        """When the queue should have room: the requests ahead times a generation's recent
        length, capped below the keep-alive."""
        ahead = self._waiting + 1
        each = self._timeout_s / 4 if self._generation_s is None else self._generation_s
        return min(self._max_retry_after_s, max(1, math.ceil(each * ahead)))

    async def _acquire(self) -> None:
        self.admit()
        self._waiting += 1
        try:
            await asyncio.wait_for(self._slot.acquire(), self._timeout_s)
        except TimeoutError:
            wait = self.retry_after_s()
            raise ServiceBusyError(
                f"The model stayed busy for {self._timeout_s:.0f} s: retry in {wait} s.",
                retry_after_s=wait,
            ) from None
        finally:
            self._waiting -= 1

    async def stream(
        self, messages: Sequence[Message], max_tokens: int, usage: Usage
    ) -> AsyncIterator[str]:
        await self._acquire()
        loop = asyncio.get_running_loop()
        pieces: asyncio.Queue[object] = asyncio.Queue()
        stop = threading.Event()

        def generate() -> None:
            try:
                for piece in self.model.stream(messages, max_tokens, usage):
                    loop.call_soon_threadsafe(pieces.put_nowait, piece)
                    if stop.is_set():
                        break
            except BaseException as exc:  # re-raised in the caller's task below
                loop.call_soon_threadsafe(pieces.put_nowait, exc)
            finally:
                loop.call_soon_threadsafe(pieces.put_nowait, _DONE)

        started = time.monotonic()
        work = loop.run_in_executor(self._executor, generate)
        try:
            while (item := await pieces.get()) is not _DONE:
                if isinstance(item, BaseException):
                    raise item
                assert isinstance(item, str)
                yield item
        finally:
            stop.set()
            try:
                await asyncio.shield(work)  # the slot is free only when the model is
            finally:
                took = time.monotonic() - started  # recent generations weigh most
                last = self._generation_s
                self._generation_s = took if last is None else 0.7 * last + 0.3 * took
                self._slot.release()
