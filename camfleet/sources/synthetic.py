"""``synthetic:WxH@FPS``: a cheap, deterministic moving scene for load tests.

Frame ``i`` is a fixed textured background with three coloured rectangles that bounce across it
at constant speeds (in pixels per second, so the scene moves the same at any fps). The background
is computed once per size and shared; a frame costs one copy plus three slice assignments
(1280x720: well under a millisecond). Content depends only on the frame index, so two sources with
the same URL and ``analyze_fps`` produce identical frames for identical ``seq``.
"""

from __future__ import annotations

import re
from functools import lru_cache

import cv2
import numpy as np
import numpy.typing as npt

from camfleet.errors import SourceError
from camfleet.sources.base import UInt8Image
from camfleet.sources.generated import GeneratedSource

__all__ = ["SyntheticSource", "parse_synthetic_url"]

_URL = re.compile(r"^synthetic:(\d+)x(\d+)@(\d+(?:\.\d+)?)$")
_MIN_SIDE, _MAX_SIDE = 16, 8192

# Per rectangle: size (fraction of width, height), start (fraction), speed (frame sizes per
# second), BGR colour. Speeds differ so the rectangles never move in lockstep.
_RECT_SIZE = np.array([[0.12, 0.20], [0.08, 0.25], [0.15, 0.10]])
_RECT_START = np.array([[0.10, 0.20], [0.60, 0.50], [0.30, 0.75]])
_RECT_SPEED = np.array([[0.21, 0.13], [-0.17, 0.23], [0.29, -0.11]])
_RECT_COLOUR = np.array([[40, 40, 230], [40, 220, 40], [230, 160, 30]], dtype=np.uint8)


def parse_synthetic_url(url: str) -> tuple[int, int, float]:
    """``synthetic:1280x720@15`` -> ``(1280, 720, 15.0)``; SourceError naming the fix otherwise."""
    match = _URL.match(url.strip())
    if match is None:
        raise SourceError(
            f"synthetic source {url!r} is malformed; write it as synthetic:WIDTHxHEIGHT@FPS, "
            "e.g. synthetic:1280x720@15"
        )
    width, height, fps = int(match[1]), int(match[2]), float(match[3])
    if not (_MIN_SIDE <= width <= _MAX_SIDE and _MIN_SIDE <= height <= _MAX_SIDE) or fps <= 0:
        raise SourceError(
            f"synthetic source {url!r} is out of range; sides must be {_MIN_SIDE}..{_MAX_SIDE} "
            "pixels and FPS above 0"
        )
    return width, height, fps


@lru_cache(maxsize=8)
def _background(width: int, height: int) -> UInt8Image:
    """A seeded, smooth-plus-fine texture, so the scene is not flat (flat frames flatter codecs
    and motion detectors alike). Read-only: every frame copies it."""
    rng = np.random.default_rng(0)
    coarse = rng.integers(40, 200, size=(max(height // 24, 2), max(width // 24, 2), 3))
    image = cv2.resize(coarse.astype(np.uint8), (width, height), interpolation=cv2.INTER_CUBIC)
    fine = rng.integers(-12, 13, size=(height, width, 1), dtype=np.int16)
    textured: UInt8Image = np.clip(image.astype(np.int16) + fine, 0, 255).astype(np.uint8)
    textured.flags.writeable = False
    return textured


def _bounce(
    position: npt.NDArray[np.float64], span: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Fold an unbounded position into ``[0, span]`` like a ball bouncing between two walls."""
    period = np.maximum(2.0 * span, 1.0)
    folded = np.mod(position, period)
    return np.where(folded <= span, folded, period - folded)


class SyntheticSource(GeneratedSource):
    """Endless synthetic camera of ``width`` x ``height`` at ``fps`` (see module doc)."""

    def __init__(
        self,
        camera_id: str,
        width: int,
        height: int,
        fps: float,
        *,
        analyze_fps: float | None = None,
        realtime: bool = False,
    ) -> None:
        super().__init__(camera_id, width, height, fps, analyze_fps=analyze_fps, realtime=realtime)
        frame_size = np.array([width, height], dtype=np.float64)
        self._background = _background(width, height)
        self._rect_size = np.maximum((_RECT_SIZE * frame_size).astype(np.int64), 1)
        self._span = (frame_size - self._rect_size).astype(np.float64)
        self._start = _RECT_START * self._span
        self._velocity = _RECT_SPEED * frame_size  # pixels per second
        # Solid tiles, so drawing is a block copy (broadcasting a 3-byte colour is ~40x slower).
        self._tiles = [
            np.broadcast_to(colour, (int(h), int(w), 3)).copy()
            for (w, h), colour in zip(self._rect_size, _RECT_COLOUR, strict=True)
        ]

    @classmethod
    def from_url(
        cls, url: str, camera_id: str, *, analyze_fps: float | None, realtime: bool
    ) -> SyntheticSource:
        width, height, fps = parse_synthetic_url(url)
        return cls(camera_id, width, height, fps, analyze_fps=analyze_fps, realtime=realtime)

    def rectangles(self, index: int) -> npt.NDArray[np.int64]:
        """The rectangles of frame ``index`` as an (N, 4) array of x1, y1, x2, y2 pixels."""
        top_left = _bounce(self._start + self._velocity * (index / self._fps), self._span)
        top_left_px = top_left.astype(np.int64)
        return np.concatenate([top_left_px, top_left_px + self._rect_size], axis=1)

    def _render(self, index: int) -> UInt8Image:
        image = self._background.copy()
        for (x1, y1, x2, y2), tile in zip(
            self.rectangles(index).tolist(), self._tiles, strict=True
        ):
            image[y1:y2, x1:x2] = tile
        return image
