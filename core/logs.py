"""The service's log: one handler on the root logger, and every configured secret masked.

Secrets reach log lines by routes nobody writes on purpose: uvicorn's access log prints the
query string (WhatsApp's handshake sends `hub.verify_token` in it), httpx logs each request's
URL (Telegram's Bot API URLs hold the bot token), and an exception's text may quote a
connection string. So masking happens at the handler, on the finished line, traceback
included, whatever logger or library wrote it.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Iterable
from types import TracebackType
from typing import TextIO
from urllib.parse import quote, quote_plus, urlsplit

from pydantic import BaseModel, SecretStr

from core.settings import Settings

MASK = "[secreto]"
MIN_SECRET_CHARS = 4  # shorter values would mask ordinary words; no real secret is that short
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
NOISY = ("httpx", "httpcore")


def secrets_of(settings: BaseModel) -> list[str]:
    """Every secret value in the settings (nested sections and lists included), and the
    password inside a connection string, each also as it may be written: stripped (a token
    read from a file keeps its newline; the bots strip it) and URL-encoded (an access log
    prints a query string as sent); longest first, so no secret is half masked."""
    found: set[str] = set()
    for value in _values(settings):
        if isinstance(value, SecretStr):
            secret = value.get_secret_value()
            password = urlsplit(secret).password if "://" in secret else None
            for raw in filter(None, (secret, password)):
                found |= {raw, raw.strip(), quote(raw, safe=""), quote_plus(raw), quote(raw)}
    return sorted((s for s in found if len(s) >= MIN_SECRET_CHARS), key=len, reverse=True)


def _values(model: BaseModel) -> Iterable[object]:
    for name in type(model).model_fields:
        value = getattr(model, name)
        items = value if isinstance(value, list | tuple) else [value]
        for item in items:
            if isinstance(item, BaseModel):
                yield from _values(item)
            else:
                yield item


class MaskSecrets(logging.Filter):
    """Rewrites each record's message (and traceback) with the secrets masked."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = list(secrets)

    def mask(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: the handler reports it ("--- Logging error ---")
            return True
        record.msg, record.args = self.mask(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self.mask(record.stack_info)
        return True


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the time (a test runner swaps it)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _: TextIO) -> None:
        pass


def configure_logging(settings: Settings, level: str | None = None) -> None:
    """Route every logger (uvicorn's, libraries', ours) to one masked handler on stderr at
    `level` (default `settings.log_level`); a second call replaces the first's handler."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Stderr)]:
        root.removeHandler(old)
    name = (level or settings.log_level).upper()
    handler = _Stderr()
    handler.setLevel(name)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(masking_filter(settings))
    root.addHandler(handler)
    if root.getEffectiveLevel() > handler.level:
        root.setLevel(handler.level)
    for noisy in NOISY:  # a line per request or poll: shown when debugging only
        logging.getLogger(noisy).setLevel(name if name == "DEBUG" else "WARNING")


def mask_uncaught(settings: Settings) -> None:
    """An uncaught exception's traceback (printed by Python, not logged) masked too: a
    library's error may quote a secret ("The token `...` was rejected")."""
    mask = masking_filter(settings)
    if not mask.secrets:
        return

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        sys.stderr.write(mask.mask("".join(traceback.format_exception(kind, exc, tb))))

    sys.excepthook = hook


def masking_filter(settings: Settings) -> MaskSecrets:
    """The masking for one handler (the CLI's console handlers use it too)."""
    return MaskSecrets(secrets_of(settings))
