"""API keys and the per-client rate limit.

Keys are optional (`SUPERSMART_API__API_KEYS`); when set, every chat route needs one, sent as
`Authorization: Bearer <key>` (what OpenAI clients send) or `X-API-Key`, compared in constant
time. The rate limit is a token bucket per key (or per client address when keys are off).
"""

from __future__ import annotations

import hashlib
import hmac

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


class AdminGuard:
    """The operator's key, sent as `X-Admin-Key` (scripts) or held in a cookie after the
    dashboard's login form. The cookie carries an HMAC of the key, never the key itself."""

    def __init__(self, settings: ApiSettings) -> None:
        key = settings.admin_key.get_secret_value() if settings.admin_key else ""
        self._key = key.encode()
        self.enabled = bool(key)

    def cookie_value(self) -> str:
        return hmac.new(self._key, b"supersmart dashboard", hashlib.sha256).hexdigest()

    def accepts_key(self, given: str) -> bool:
        return self.enabled and hmac.compare_digest(given.encode(), self._key)

    def allowed(self, request: Request) -> bool:
        if not self.enabled:
            return False
        header = request.headers.get("x-admin-key")
        if header is not None:
            return self.accepts_key(header)
        cookie = request.cookies.get(ADMIN_COOKIE, "")
        return hmac.compare_digest(cookie.encode(), self.cookie_value().encode())

    def check(self, request: Request) -> None:
        if not self.enabled:
            raise AdminClosedError(
                "The operator routes are closed: set SUPERSMART_API__ADMIN_KEY to open them."
            )
        if not self.allowed(request):
            raise AuthError("An admin key is required: send `X-Admin-Key` or log in at /admin.")
