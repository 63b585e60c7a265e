"""API keys and the per-client rate limit.

Keys are optional (`SUPERSMART_API__API_KEYS`); when set, every chat route needs one, sent as
`Authorization: Bearer <key>` (what OpenAI clients send) or `X-API-Key`, compared in constant
time. The rate limit is a token bucket per key (or per client address when keys are off).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import time

from fastapi import Request

from chat.ratelimit import RateLimiter
from core.errors import AdminClosedError, AuthError
from core.settings import ApiSettings


class Guard:
    """Authenticates a request and charges its client one request."""

    def __init__(self, settings: ApiSettings) -> None:
        self._keys = [k.get_secret_value().encode() for k in settings.api_keys]
        self.limiter = RateLimiter(settings.rate_limit_per_minute)

    def client(self, request: Request) -> str:
        """Who is asking: a hash of their key, or their address when keys are off."""
        if not self._keys:
            return request.client.host if request.client else "unknown"
        given = _presented_key(request)
        if given is None:
            raise AuthError(
                "An API key is required: send `Authorization: Bearer <key>` or `X-API-Key`."
            )
        if not any(hmac.compare_digest(given.encode(), key) for key in self._keys):
            raise AuthError("The API key is not valid: check it with the service's operator.")
        return "key:" + hashlib.sha256(given.encode()).hexdigest()[:16]

    def check(self, request: Request) -> str:
        client = self.client(request)
        self.limiter.take(client)
        return client


def _presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.headers.get("x-api-key") or None


ADMIN_COOKIE = "supersmart_admin"
SESSION_S = 12 * 3600  # an operator logs in again after this
FAILURES_PER_MINUTE = 10  # wrong admin keys per client address, then a wait


class AdminSessions:
    """Dashboard sessions: a random token per login, kept (as its hash) in this process until
    logout or expiry. A stolen cookie dies with the session; restarting the server logs
    everybody out."""

    def __init__(self, ttl_s: float = SESSION_S, max_sessions: int = 256) -> None:
        self._ttl_s = ttl_s
        self._max = max_sessions
        self._expiry: dict[str, float] = {}  # sha256(token) -> monotonic expiry

    def open(self) -> str:
        now = time.monotonic()
        self._expiry = {h: t for h, t in self._expiry.items() if t > now}
        while len(self._expiry) >= self._max:  # the oldest session ends first
            self._expiry.pop(min(self._expiry, key=self._expiry.__getitem__))
        token = secrets.token_urlsafe(32)
        self._expiry[_digest(token)] = now + self._ttl_s
        return token

    def valid(self, token: str) -> bool:
        return bool(token) and self._expiry.get(_digest(token), 0.0) > time.monotonic()

    def close(self, token: str) -> None:
        self._expiry.pop(_digest(token), None)


def _address(request: Request) -> str:
    """Who is trying a key: the client's address (behind a proxy, `api.trusted_proxies`
    must name it, or every client shares the proxy's address); an
    IPv6 client by its /64, which one machine usually holds whole."""
    host = request.client.host if request.client else "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.version == 6:
        return str(ipaddress.ip_network(f"{host}/64", strict=False))
    return host


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AdminGuard:
    """The operator's key, sent as `X-Admin-Key` (scripts) or exchanged at the dashboard's
    login form for a session cookie (never the key itself). Wrong keys are counted per client
    address: after `FAILURES_PER_MINUTE` of them the client waits, right key or not."""

    def __init__(self, settings: ApiSettings) -> None:
        key = settings.admin_key.get_secret_value() if settings.admin_key else ""
        self._key = key.encode()
        self.enabled = bool(key)
        self.sessions = AdminSessions()
        self._failures = RateLimiter(FAILURES_PER_MINUTE)

    def login(self, request: Request, given: str) -> str | None:
        """A new session's token for the right key, None for a wrong one; raises
        `RateLimitedError` while the client has failed too often."""
        return self.sessions.open() if self._accepts(request, given) else None

    def logout(self, request: Request) -> None:
        self.sessions.close(request.cookies.get(ADMIN_COOKIE, ""))

    def allowed(self, request: Request) -> bool:
        if not self.enabled:
            return False
        header = request.headers.get("x-admin-key")
        if header is not None:
            return self._accepts(request, header)
        return self.sessions.valid(request.cookies.get(ADMIN_COOKIE, ""))

    def _accepts(self, request: Request, given: str) -> bool:
        client = _address(request)
        self._failures.check(client)
        if self.enabled and hmac.compare_digest(given.encode(), self._key):
            return True
        self._failures.take(client)
        return False

    def check(self, request: Request) -> None:
        if not self.enabled:
            raise AdminClosedError(
                "The operator routes are closed: set SUPERSMART_API__ADMIN_KEY to open them."
            )
        if not self.allowed(request):
            raise AuthError("An admin key is required: send `X-Admin-Key` or log in at /admin.")
