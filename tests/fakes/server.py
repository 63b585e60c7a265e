"""`LoopbackServer`: an ASGI app served by uvicorn on a free 127.0.0.1 port, in a thread, for as
long as the `with` lasts (the chat API in tests, and the fake Telegram and Graph APIs)."""

from __future__ import annotations

import threading
import time
from typing import Any, Self

import uvicorn

from tests.processes import free_port


class LoopbackServer:
    def __init__(self, app: Any, **options: Any) -> None:
        """`options`: more of uvicorn.Config's arguments."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on", **options
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)
