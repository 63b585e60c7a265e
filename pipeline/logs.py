"""The log excerpt kept with each step: the last lines logged while it ran (by our code in
this process, or printed by the subprocess that trained)."""

from __future__ import annotations

import contextvars
import logging
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

_current: contextvars.ContextVar[StepLog | None] = contextvars.ContextVar(
    "pipeline_step_log", default=None
)
_FORMAT = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S")


class StepLog:
    def __init__(self, lines: int = 40) -> None:
        self._lines: deque[str] = deque(maxlen=lines)

    def add(self, line: str) -> None:
        self._lines.append(line.rstrip()[:400])

    def text(self) -> str:
        return "\n".join(self._lines)


class _Handler(logging.Handler):
    """Sends a record to the step that is running in the task (or thread) that logged it."""

    def emit(self, record: logging.LogRecord) -> None:
        step_log = _current.get()
        if step_log is not None:
            step_log.add(_FORMAT.format(record))


_handler = _Handler(level=logging.INFO)
# Our loggers whose INFO lines belong in a step's excerpt (Python's default shows warnings only).
_OURS = ("pipeline", "ingestion", "retrieval", "finetune", "storage")


@contextmanager
def capture(step_log: StepLog) -> Iterator[StepLog]:
    """Lines logged in this context (tasks and `asyncio.to_thread` calls inherit it) go to
    `step_log`; other requests served meanwhile do not."""
    root = logging.getLogger()
    if _handler not in root.handlers:
        root.addHandler(_handler)
        for name in _OURS:
            logger = logging.getLogger(name)
            if logger.getEffectiveLevel() > logging.INFO:
                logger.setLevel(logging.INFO)
    token = _current.set(step_log)
    try:
        yield step_log
    finally:
        _current.reset(token)
