"""Motion gating: cheap frame differencing decides whether a frame needs inference at all.

Each frame is shrunk to a small grey thumbnail (OpenCV, ~0.6 ms for 1280×720) and compared
with the previous thumbnail of the same camera. A frame passes when the fraction of changed
thumbnail pixels exceeds the camera's threshold, for a short hangover after motion (so an
object that stops is still seen), or when the scene has been still for ``keepalive_s`` (so
a slow change is never missed for long). Sensor noise is absorbed by the blur and the
per-pixel threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

__all__ = ["GateDecision", "MotionGate"]

_THUMB_WIDTH = 96


@dataclass(frozen=True, slots=True)
class GateDecision:
    analyse: bool
    motion: float
    reason: str  # "motion" | "hangover" | "keepalive" | "first" | "still" | "disabled"


class MotionGate:
    """Per-camera motion gate; ``sensitivity`` in (0, 1], higher finds smaller motion."""

    def __init__(
        self,
        sensitivity: float = 0.5,
        keepalive_s: float = 10.0,
        hangover_s: float = 1.0,
        enabled: bool = True,
    ) -> None:
        if not 0.0 < sensitivity <= 1.0:
            raise ValueError(f"sensitivity must be in (0, 1], got {sensitivity}")
        self.enabled = enabled
        self.keepalive_s = keepalive_s
        self.hangover_s = hangover_s
        # sensitivity 0.5 -> a pixel changes when it moves 25 grey levels and 0.5 % of the
        # thumbnail must change; 1.0 -> 10 levels and 0.05 %.
        self.pixel_threshold = round(40 - 30 * sensitivity)
        self.area_threshold = 0.01 * (1.0 - sensitivity) + 0.0005
        self._previous: npt.NDArray[np.uint8] | None = None
        self._last_analysed_at = -np.inf
        self._last_motion_at = -np.inf

    def thumbnail(self, image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        height, width = image.shape[:2]
        thumb_h = max(1, round(height * _THUMB_WIDTH / width))
        # Area-averaging at a non-integer ratio is slow (3 ms at 1280x720); a strided view
        # first leaves it >= 9 pixels per thumbnail pixel to average (0.6 ms), plenty to
        # absorb sensor noise before the blur.
        step = max(1, width // (3 * _THUMB_WIDTH))
        small = cv2.resize(
            image[::step, ::step], (_THUMB_WIDTH, thumb_h), interpolation=cv2.INTER_AREA
        )
        grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
        return np.asarray(cv2.GaussianBlur(grey, (5, 5), 0), dtype=np.uint8)

    def decide(self, image: npt.NDArray[np.uint8], now: float) -> GateDecision:
        if not self.enabled:
            return GateDecision(True, 1.0, "disabled")
        thumb = self.thumbnail(image)
        previous, self._previous = self._previous, thumb
        if previous is None or previous.shape != thumb.shape:
            return self._analyse(now, 1.0, "first")
        changed = cv2.absdiff(thumb, previous) > self.pixel_threshold
        motion = float(np.count_nonzero(changed)) / changed.size
        if motion >= self.area_threshold:
            self._last_motion_at = now
            return self._analyse(now, motion, "motion")
        if now - self._last_motion_at < self.hangover_s:
            return self._analyse(now, motion, "hangover")
        if now - self._last_analysed_at >= self.keepalive_s:
            return self._analyse(now, motion, "keepalive")
        return GateDecision(False, motion, "still")

    def _analyse(self, now: float, motion: float, reason: str) -> GateDecision:
        self._last_analysed_at = now
        return GateDecision(True, motion, reason)
