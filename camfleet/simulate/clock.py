"""A clock that only moves when the simulation says so."""

from __future__ import annotations

__all__ = ["SimClock"]


class SimClock:
    """Callable like ``time.monotonic``; :meth:`advance_to` never goes back."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance_to(self, when: float) -> None:
        self.now = max(self.now, when)
