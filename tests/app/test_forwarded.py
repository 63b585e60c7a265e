"""`X-Forwarded-For` names the client only when a configured proxy sends it: otherwise one
client could pose as a new address at every request and walk past the rate limit and the
admin login's throttle (uvicorn's own default believes any local process)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from core.settings import Settings
from tests.app.conftest import LiveServer, chat_settings

KEY = "operator-key-for-tests"
PER_MINUTE = 3


@contextmanager
def _live(data_dir: Path, **api: object) -> Iterator[LiveServer]:
    settings = chat_settings(
        data_dir,
        model={"backend": "data-only"},
        api={"admin_key": KEY, "rate_limit_per_minute": PER_MINUTE, **api},
    )
    with LiveServer(settings, None) as server:
        yield server


def _chat(live: LiveServer, forwarded_for: str) -> int:
    response = httpx.post(
        f"{live.url}/chat",
        json={"message": "leche"},
        headers={"X-Forwarded-For": forwarded_for},
        timeout=30,
    )
    return response.status_code


def _wrong_login(live: LiveServer, forwarded_for: str) -> int:
    response = httpx.post(
        f"{live.url}/admin/login",
        data={"key": "not-the-key-at-all"},
        headers={"X-Forwarded-For": forwarded_for},
        timeout=30,
    )
    return response.status_code


def test_a_client_cannot_pose_as_many_addresses(data_dir: Path) -> None:
    with _live(data_dir) as live:
        codes = [_chat(live, f"203.0.113.{n}") for n in range(PER_MINUTE + 1)]
        assert codes == [200] * PER_MINUTE + [429]  # one client, whatever it claims

        logins = [_wrong_login(live, f"198.51.100.{n}") for n in range(11)]
        assert logins[:10] == [303] * 10 and logins[10] == 429


def test_a_configured_proxy_is_believed(data_dir: Path) -> None:
    with _live(data_dir, trusted_proxies=["127.0.0.0/8"]) as live:
        # each shopper behind the proxy has a limit of their own...
        assert [_chat(live, f"203.0.113.{n}") for n in range(PER_MINUTE + 1)] == [200] * 4
        # ...and one of them is still limited
        assert [_chat(live, "203.0.113.200") for _ in range(PER_MINUTE + 1)][-1] == 429
        # the proxy's HTTPS makes the admin cookie Secure
        login = httpx.post(
            f"{live.url}/admin/login",
            data={"key": KEY},
            headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"},
            timeout=30,
        )
        assert "secure" in login.headers["set-cookie"].lower()


def test_proxy_addresses_are_checked_at_start() -> None:
    settings = Settings(_env_file=None, api={"trusted_proxies": ["10.0.0.5", "172.18.3.1/16"]})
    assert settings.api.trusted_proxies == ["10.0.0.5", "172.18.0.0/16"]
    with pytest.raises(ValidationError, match="not an IP address or network"):
        Settings(_env_file=None, api={"trusted_proxies": ["proxy.internal"]})
