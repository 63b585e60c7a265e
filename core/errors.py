"""The project's exception hierarchy.

Every error a user can meet derives from :class:`SuperSmartError` and says what to do next.
Boundaries (CLI, API, bots) translate these into their own shape; nothing else catches them.

::

    SuperSmartError
    ├── ConfigurationError      settings are missing or contradictory
    ├── InputError              a file, row or request the user gave us is unusable
    │   ├── ImportFormatError   a file does not match the format it was imported as
    │   └── MalformedRequestError  a request body that cannot be read at all (HTTP 400)
    ├── NotFoundError           a product, execution or file that was asked for does not exist
    ├── RunInProgressError      a job that runs one at a time (a scrape) is already running
    ├── StoreError              the product store failed or cannot be reached
    │   └── StoreUnavailableError
    ├── TrainingError           training would produce nothing useful (no gradient, no example)
    ├── ServiceBusyError        the model is busy beyond the bounded wait (HTTP 503)
    ├── AuthError               a missing or wrong API key or webhook secret (HTTP 401)
    ├── RateLimitedError        too many requests from one client (HTTP 429, Retry-After)
    ├── AdminClosedError        the admin routes are off: no admin key configured (HTTP 403)
    └── ForbiddenError          a credential that does not allow this (HTTP 403)
"""

from __future__ import annotations


class SuperSmartError(Exception):
    """Base of every error raised on purpose by SuperSmart."""


class ConfigurationError(SuperSmartError):
    """Settings are missing, invalid or contradictory."""


class InputError(SuperSmartError):
    """Input given by the user (a file, a row, a request) cannot be used as it is."""


class ImportFormatError(InputError):
    """A file does not look like the format it is being imported as."""


class MalformedRequestError(InputError):
    """A request whose body cannot be read at all (not JSON where JSON is due; HTTP 400)."""


class NotFoundError(SuperSmartError):
    """Something that was asked for by id or path does not exist."""


class ConflictError(SuperSmartError):
    """A valid request the current state does not allow (HTTP 409): nothing to roll back."""


class RunInProgressError(ConflictError):
    """A job that must run one at a time is already running."""


class StoreError(SuperSmartError):
    """The product store failed."""


class StoreUnavailableError(StoreError):
    """The product store cannot be reached (server down, file not writable)."""


class TrainingError(SuperSmartError):
    """Training cannot produce a useful adapter (no gradients, no examples): says why and what to
    change."""


class ServiceBusyError(SuperSmartError):
    """Too many requests are waiting for the model; the caller should retry later."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class AuthError(SuperSmartError):
    """Missing or wrong API key (HTTP 401)."""


class RateLimitedError(SuperSmartError):
    """Too many requests from one client (HTTP 429)."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class AdminClosedError(SuperSmartError):
    """The admin routes are off because no admin key is configured (HTTP 403)."""


class ForbiddenError(SuperSmartError):
    """A credential was given but does not allow this (HTTP 403), e.g. a wrong webhook token."""
