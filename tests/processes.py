"""Servers as users run them: a command in its own process on a free 127.0.0.1 port, waited for
until it answers, stopped (or killed) when the block ends."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def server_process(
    command: list[str],
    env: dict[str, str],
    port: int,
    log: Path,
    cwd: Path,
    stop: signal.Signals = signal.SIGTERM,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`command` serving on `port`, once its /health answers (whatever it says); its output
    appended to `log`; sent `stop` when the block ends, if still running."""
    with open(log, "ab") as output:
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=output, stderr=output)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            said = log.read_text(encoding="utf-8", errors="replace")[-2000:]
            assert process.poll() is None, f"{command} exited: {said}"
            assert time.monotonic() < deadline, f"{command} did not start: {said}"
            try:
                httpx.get(f"{url}/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url, process
    finally:
        if process.poll() is None:
            process.send_signal(stop)
        process.wait(timeout=30)
