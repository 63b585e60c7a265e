"""The operator's door: a session per login that ends at logout, wrong keys throttled per
address, a key long enough to guard it, and headers that keep pages from being framed or
running anything but the service's own scripts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from core.settings import Settings
from tests.app.conftest import LiveServer, chat_settings

KEY = "operator-key-for-tests"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    settings = chat_settings(tmp_path / "data", model={"backend": "data-only"},
                             api={"admin_key": KEY})  # fmt: skip
    with LiveServer(settings, None) as server:
        yield server


def _login(live: LiveServer, key: str = KEY) -> httpx.Response:
    return httpx.post(f"{live.url}/admin/login", data={"key": key}, timeout=30)


def _dashboard(live: LiveServer, cookie: str) -> int:
    cookies = {"supersmart_admin": cookie}
    return httpx.get(f"{live.url}/admin", cookies=cookies, timeout=30).status_code


def test_each_login_is_its_own_session_and_logout_ends_it(live: LiveServer) -> None:
    first, second = _login(live), _login(live)
    one, two = first.cookies["supersmart_admin"], second.cookies["supersmart_admin"]
    assert one != two and KEY not in one  # random per login, not derived from the key
    header = first.headers.get_list("set-cookie")[0].lower()
    assert "httponly" in header and "samesite=strict" in header and "path=/admin" in header
    assert "secure" not in header  # plain HTTP here; Secure is set behind HTTPS
    cleared = [h for h in first.headers.get_list("set-cookie") if "path=/;" in h.lower() + ";"]
    assert cleared and "max-age=0" in cleared[0].lower()  # an older release's cookie at "/"
    # would come second in the browser's Cookie header and shadow the new one
    assert _dashboard(live, one) == 200 and _dashboard(live, two) == 200

    httpx.post(f"{live.url}/admin/logout", cookies={"supersmart_admin": one}, timeout=30)

    assert _dashboard(live, one) == 303  # a copied cookie is dead after logout
    assert _dashboard(live, two) == 200  # the other session goes on
    assert _dashboard(live, "forged-" + two[7:]) == 303


def test_wrong_keys_are_throttled_per_address_right_key_or_not(live: LiveServer) -> None:
    for _ in range(10):
        wrong = _login(live, "not-the-key-at-all")
        assert wrong.status_code == 303 and wrong.headers["location"].endswith("failed=1")

    refused = _login(live)  # the right key, after ten wrong ones: wait first
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert "espera" in refused.text and "supersmart_admin" not in refused.cookies
    scripted = httpx.get(f"{live.url}/admin/api/runs", headers={"X-Admin-Key": KEY}, timeout=30)
    assert scripted.status_code == 429  # the same count for scripts


def test_pages_run_only_the_services_own_scripts_and_cannot_be_framed(live: LiveServer) -> None:
    for path in ("/", "/admin/login", "/health"):
        headers = httpx.get(f"{live.url}{path}", timeout=30).headers
        policy = headers["content-security-policy"]
        assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy, path
        assert (
            headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
        )
    docs = httpx.get(f"{live.url}/docs", timeout=30).headers["content-security-policy"]
    assert "script-src 'self' 'unsafe-inline'" in docs  # Swagger UI starts inline


def test_a_short_admin_key_is_refused_with_how_to_make_one() -> None:
    with pytest.raises(ValidationError, match=r"at least 16 characters.*token_urlsafe"):
        Settings(_env_file=None, api={"admin_key": "change-me"})
