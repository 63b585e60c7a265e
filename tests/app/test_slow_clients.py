"""Clients that never finish a request must not hold the server: half-sent headers, silent
connections and bodies shorter than announced are cut off (the real server, as `supersmart
serve` runs it, on 127.0.0.1; raw sockets, as a slow or hostile client would send)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.app.conftest import LiveServer, chat_settings

GIVE_UP_S = 5.0  # far beyond the limits below: a socket still open then is being held


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    settings = chat_settings(
        tmp_path / "data",
        model={"backend": "data-only"},
        api={"header_timeout_s": 0.5, "body_timeout_s": 0.5, "rate_limit_per_minute": 0},
    )
    with LiveServer(settings, None) as server:
        yield server


def _connect(live: LiveServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", live.port), timeout=GIVE_UP_S)
    return sock


def _read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes; raises TimeoutError if it never does."""
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _read_response(sock: socket.socket) -> bytes:
    """One whole response (by its Content-Length) from a connection that stays open."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection mid-response"
        body += chunk
    return head + b"\r\n\r\n" + body


@pytest.mark.parametrize(
    "sent",
    [b"", b"GET / HTTP/1.1\r\nHost: x\r\n", b"POST /chat HTTP/1.1\r\nHo"],
    ids=["silent", "headers-half-sent", "request-line-cut"],
)
def test_a_request_whose_headers_never_end_is_closed(live: LiveServer, sent: bytes) -> None:
    with _connect(live) as sock:
        sock.sendall(sent)
        assert _read_all(sock) == b""  # closed, no answer: there was no request yet


def test_a_kept_alive_connection_gets_the_same_deadline_for_its_next_request(
    live: LiveServer,
) -> None:
    with _connect(live) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        first = _read_response(sock)
        assert first.startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET / HTTP/1.1\r\nHo")  # the next one stalls
        assert _read_all(sock) == b""


def test_a_body_shorter_than_announced_gets_408(live: LiveServer) -> None:
    with _connect(live) as sock:
        sock.sendall(
            b"POST /chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 200\r\n\r\n{"message": "leche'
        )
        answer = _read_all(sock)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408")
    assert json.loads(body)["error"]["type"] == "timeout"


def test_hundreds_of_half_open_sockets_are_all_let_go(live: LiveServer) -> None:
    sockets = [_connect(live) for _ in range(200)]
    try:
        for sock in sockets:
            sock.sendall(b"GET / HTTP/1.1\r\n")
        assert all(_read_all(sock) == b"" for sock in sockets)
    finally:
        for sock in sockets:
            sock.close()
    with _connect(live) as sock:  # and the server still answers
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert _read_all(sock).startswith(b"HTTP/1.1 200")


def test_a_chunked_body_over_the_limit_gets_413_not_400(live: LiveServer) -> None:
    chunk = b'{"message": "' + b"a" * 20_000 + b'"}'
    with _connect(live) as sock:
        sock.sendall(
            b"POST /chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            + f"{len(chunk):x}\r\n".encode()
            + chunk
            + b"\r\n0\r\n\r\n"
        )
        answer = _read_all(sock)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), head[:40]
    assert json.loads(body)["error"]["type"] == "too_large"


def test_a_body_dripped_a_byte_at_a_time_still_gets_408(live: LiveServer) -> None:
    with _connect(live) as sock:
        sock.sendall(
            b"POST /chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 200\r\n\r\n"
        )
        early = b""
        for byte in b'{"message": "leche entera de vaca, ':  # 3.5 s, a byte every 0.1 s
            try:
                sock.sendall(bytes([byte]))
                early = sock.recv(65536, socket.MSG_DONTWAIT)
            except BlockingIOError:
                time.sleep(0.1)
                continue
            except OSError:
                break  # the server answered and closed
            break
        answer = early + _read_all(sock)
    assert early, "the server waited for the drip to end"  # the whole body had 0.5 s
    assert answer.startswith(b"HTTP/1.1 408")


def test_an_idle_kept_alive_connection_is_not_cut_by_the_header_deadline(
    live: LiveServer,
) -> None:
    with _connect(live) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _read_response(sock).startswith(b"HTTP/1.1 200")
        time.sleep(1.5)  # idle three times the header deadline, within the keep-alive
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _read_response(sock).startswith(b"HTTP/1.1 200")
