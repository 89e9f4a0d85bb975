"""FrameSlot: the bounded hand-off between one camera's reader thread and the engine.

A slot holds at most ``capacity`` frames. When it is full, ``put`` drops the *oldest* frame and
counts it in ``dropped``: a slow consumer sees fresh frames and memory stays bounded, exactly as a
live camera behaves when nobody reads it.

One consumer thread serving many cameras waits on all their slots at once by giving every slot
the same ``wakeup`` event, which ``put`` sets::

    wakeup = threading.Event()
    slots = {cam: FrameSlot(capacity=2, wakeup=wakeup) for cam in cameras}
    while running:
        wakeup.wait(timeout=0.1)
        wakeup.clear()              # clear *before* draining: a put after this re-sets it
        for slot in slots.values():
            while (frame := slot.get_nowait()) is not None:
                handle(frame)
"""

from __future__ import annotations

import threading
from collections import deque

from camfleet.frames import Frame

__all__ = ["FrameSlot"]


class FrameSlot:
    """A bounded, thread-safe FIFO of frames that drops the oldest frame when full."""

    def __init__(self, capacity: int = 2, wakeup: threading.Event | None = None) -> None:
        if capacity < 1:
            raise ValueError(f"FrameSlot capacity must be >= 1, got {capacity}")
        self.capacity = capacity
        self._frames: deque[Frame] = deque()
        self._ready = threading.Condition(threading.Lock())
        self._wakeup = wakeup
        self._dropped = 0
        self._put = 0

    def put(self, frame: Frame) -> bool:
        """Add ``frame``; return True when the oldest frame had to be dropped to make room."""
        with self._ready:
            dropped = len(self._frames) >= self.capacity
            if dropped:
                self._frames.popleft()
                self._dropped += 1
            self._frames.append(frame)
            self._put += 1
            self._ready.notify()
        if self._wakeup is not None:
            self._wakeup.set()
        return dropped

    def get(self, timeout: float | None = None) -> Frame | None:
        """The oldest frame, waiting up to ``timeout`` s (forever if None); None on timeout."""
        with self._ready:
            if not self._ready.wait_for(lambda: bool(self._frames), timeout):
                return None
            return self._frames.popleft()

    def get_nowait(self) -> Frame | None:
        """The oldest frame, or None when the slot is empty."""
        with self._ready:
            return self._frames.popleft() if self._frames else None

    @property
    def dropped(self) -> int:
        """Frames discarded because the slot was full."""
        with self._ready:
            return self._dropped

    @property
    def total_put(self) -> int:
        """Frames ever put into the slot (delivered plus dropped plus waiting)."""
        with self._ready:
            return self._put

    def __len__(self) -> int:
        with self._ready:
            return len(self._frames)
