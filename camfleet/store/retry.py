"""What the writer treats as "the database is unavailable", and logging that does not flood
while it is."""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from camfleet.errors import StoreError

__all__ = ["TRANSIENT_ERRORS", "RateLimitedWarning", "backoff_delay", "one_line"]

TRANSIENT_ERRORS = (
    OperationalError,
    InterfaceError,
    DisconnectionError,
    PoolTimeoutError,
    StoreError,
)
"""Errors after which the same batch is retried as it is (server down, pool exhausted)."""


def one_line(exc: BaseException) -> str:
    """The first line of the driver's message (or of ``exc``), for logs and stats."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def backoff_delay(tries: int, base_s: float, cap_s: float) -> float:
    """``min(base_s * 2**(tries - 1), cap_s)`` for the ``tries``-th failure (1-based)."""
    return min(base_s * 2.0 ** min(max(tries - 1, 0), 30), cap_s)


class RateLimitedWarning:
    """``log.warning`` at most once every ``every_s`` seconds; the rest are skipped."""

    def __init__(self, log: logging.Logger, every_s: float) -> None:
        self._log = log
        self._every_s = every_s
        self._last = -float("inf")
        self._lock = threading.Lock()

    def __call__(self, message: str, *args: object) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last < self._every_s:
                return
            self._last = now
        self._log.warning(message, *args)
