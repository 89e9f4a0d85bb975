"""A bounded, thread-safe buffer between producers that must never block and one consumer."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from typing import Generic, TypeVar

__all__ = ["DropOldestBuffer"]

T = TypeVar("T")


class DropOldestBuffer(Generic[T]):
    """FIFO of at most ``capacity`` items; when full, the oldest item makes room and is counted.

    Dropping the oldest keeps the newest state: an event's close carries the whole record, so
    losing its earlier open loses nothing once the close is stored.
    """

    def __init__(self, capacity: int, wake_at: int) -> None:
        if capacity < 1:
            raise ValueError(f"buffer capacity must be >= 1, got {capacity}")
        self._items: deque[T] = deque()
        self._capacity = capacity
        self._wake_at = max(1, wake_at)
        self._ready = threading.Condition(threading.Lock())
        self._dropped = 0
        self._put_total = 0
        self._removed_total = 0
        self._closed = False

    def put_many(self, items: Iterable[T]) -> int:
        """Append items; return how many older items were dropped to make room."""
        dropped = 0
        with self._ready:
            for item in items:
                if len(self._items) >= self._capacity:
                    self._items.popleft()
                    dropped += 1
                self._items.append(item)
                self._put_total += 1
            self._dropped += dropped
            self._removed_total += dropped
            if len(self._items) >= self._wake_at or self._closed:
                self._ready.notify()
        return dropped

    def take(self, max_items: int, wait_s: float) -> list[T]:
        """Remove up to ``max_items``, waiting up to ``wait_s`` for ``wake_at`` of them."""
        with self._ready:
            if len(self._items) < self._wake_at and not self._closed and wait_s > 0:
                self._ready.wait_for(
                    lambda: len(self._items) >= self._wake_at or self._closed, wait_s
                )
            count = min(max_items, len(self._items))
            self._removed_total += count
            return [self._items.popleft() for _ in range(count)]

    def close(self) -> None:
        """Wake the consumer now; items already buffered stay until taken."""
        with self._ready:
            self._closed = True
            self._ready.notify_all()

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def dropped(self) -> int:
        return self._dropped

    @property
    def put_total(self) -> int:
        """Items ever put: item ``n`` (0-based) is the ``n``-th put."""
        with self._ready:
            return self._put_total

    @property
    def removed_total(self) -> int:
        """Items ever taken or dropped; always the oldest, so items ``[0, removed_total)``."""
        with self._ready:
            return self._removed_total

    def __len__(self) -> int:
        return len(self._items)
