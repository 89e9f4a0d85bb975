"""The sampling clock: which frames of a stream become arrays when analysing at ``analyze_fps``.

Decisions use each frame's presentation time, not a frame counter, so variable-frame-rate streams
and dropped frames are sampled correctly. A frame is taken when its time reaches the next sampling
instant; the instants advance on a fixed grid (``period = 1 / analyze_fps``), so over a long
stream exactly ``analyze_fps`` frames per second are taken whenever the stream is faster than
that. After a jump (a gap longer than one period, or time running backwards after a seek or a
stream restart) the grid is re-anchored at the frame that follows it.
"""

from __future__ import annotations

__all__ = ["SamplingClock"]

# Presentation times are rationals rounded to floats: allow this much so that a frame landing
# exactly on a grid instant (e.g. the 15th frame of a 15 fps stream at 1.0 s) is not deferred.
_TOLERANCE_S = 1e-6


class SamplingClock:
    """Decide, frame by frame, whether a frame at presentation time ``t`` (seconds) is due.

    ``analyze_fps=None`` takes every frame.
    """

    def __init__(self, analyze_fps: float | None) -> None:
        if analyze_fps is not None and not analyze_fps > 0:
            raise ValueError(f"analyze_fps must be > 0 or None, got {analyze_fps}")
        self._period = None if analyze_fps is None else 1.0 / analyze_fps
        self._next_at: float | None = None
        self._last_t: float | None = None

    @property
    def period_s(self) -> float | None:
        return self._period

    def due(self, t: float) -> bool:
        """Whether the frame at presentation time ``t`` should be taken (advances the clock)."""
        if self._period is None:
            return True
        went_back = self._last_t is not None and t < self._last_t
        self._last_t = t
        if self._next_at is None or went_back:
            self._next_at = t + self._period
            return True
        if t + _TOLERANCE_S < self._next_at:
            return False
        self._next_at += self._period
        if self._next_at + _TOLERANCE_S <= t:
            self._next_at = t + self._period
        return True

    def reset(self) -> None:
        """Forget the grid: the next frame is taken and anchors a new one."""
        self._next_at = None
        self._last_t = None
