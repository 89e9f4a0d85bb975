"""``reference:PATH@WxH``: the reference camera for gating benchmarks, built from a real clip.

Real CCTV is mostly still. The reference scene reproduces that, deterministically, at 15 fps:

* one cycle is 150 frames (10 s);
* positions 0..29 (the first 2 s, 20 %) are the clip's first 2 s of real motion, sampled at
  15 fps (a shorter clip repeats);
* positions 30..149 (8 s, 80 %) hold position 29 still, plus Gaussian sensor noise
  (sigma 2 grey levels, different in every frame and fixed by the frame's index);
* each camera starts at phase ``crc32(camera_id) % 150``, so cameras are not in lockstep, and
  frame ``i`` of a camera shows cycle position ``(phase + i) % 150``.

Frames are cropped to the target aspect ratio (centred) and resized to ``WxH`` (default
1280x720). ``PATH`` defaults to the bundled ``bikes.mp4`` and may be ``bundled:NAME``. The
clip is decoded once per (path, size) and shared by every camera in the process, read-only;
each emitted frame is a copy (moving part) or held frame plus noise (still part), under a
millisecond at 1280x720.
"""

from __future__ import annotations

import re
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import cv2
import numpy as np

from camfleet.errors import SourceError
from camfleet.paths import BUNDLED_CLIPS, resolve_asset
from camfleet.sources.base import UInt8Image
from camfleet.sources.generated import GeneratedSource
from camfleet.sources.pyav_source import PyAVSource
from camfleet.sources.resize import fit_to_size

__all__ = [
    "REFERENCE_CYCLE_FRAMES",
    "REFERENCE_FPS",
    "REFERENCE_MOVING_FRAMES",
    "REFERENCE_NOISE_SIGMA",
    "REFERENCE_SIZE",
    "ReferenceSceneSource",
    "clear_reference_cache",
    "parse_reference_url",
    "reference_phase",
]

REFERENCE_FPS = 15.0
REFERENCE_CYCLE_FRAMES = 150
REFERENCE_MOVING_FRAMES = 30
REFERENCE_NOISE_SIGMA = 2.0
REFERENCE_SIZE = (1280, 720)

_PREFIX = "reference:"
_SIZE_SUFFIX = re.compile(r"@(\d+)x(\d+)$")
# Noise fields are windows of one Gaussian pool at per-frame offsets: this many distinct fields.
_NOISE_OFFSETS = 1 << 16
_OFFSET_HASH = 2654435761  # Knuth's multiplicative hash spreads consecutive indices apart


def parse_reference_url(url: str) -> tuple[Path, int, int]:
    """``reference:PATH@WxH`` -> (clip path, width, height), with the documented defaults."""
    body = url.removeprefix(_PREFIX).strip()
    width, height = REFERENCE_SIZE
    match = _SIZE_SUFFIX.search(body)
    if match is not None:
        width, height = int(match[1]), int(match[2])
        body = body[: match.start()]
        if not (16 <= width <= 8192 and 16 <= height <= 8192):
            raise SourceError(
                f"reference source {url!r} has size {width}x{height}; "
                "use sides of 16..8192 pixels, e.g. reference:@1280x720"
            )
    path = resolve_asset(body) if body else BUNDLED_CLIPS[0]
    return path, width, height


def reference_phase(camera_id: str) -> int:
    """The cycle position a camera's frame 0 shows: stable across runs and machines."""
    return zlib.crc32(camera_id.encode()) % REFERENCE_CYCLE_FRAMES


@dataclass(frozen=True, slots=True)
class _Scene:
    moving: UInt8Image  # (REFERENCE_MOVING_FRAMES, H, W, 3), read-only
    noise_up: UInt8Image  # flat pool: max(noise, 0)
    noise_down: UInt8Image  # flat pool: max(-noise, 0)


_cache: dict[tuple[Path, int, int], _Scene] = {}
_cache_lock = threading.Lock()


def clear_reference_cache() -> None:
    """Forget every decoded reference scene (frees its memory once no source uses it)."""
    with _cache_lock:
        _cache.clear()


def _build(path: Path, width: int, height: int, camera_id: str) -> _Scene:
    moving = np.empty((REFERENCE_MOVING_FRAMES, height, width, 3), np.uint8)
    with PyAVSource(str(path), camera_id, analyze_fps=REFERENCE_FPS, loop=True) as clip:
        for position in range(REFERENCE_MOVING_FRAMES):
            frame = clip.read()
            assert frame is not None  # a looping file never ends; it raises instead
            moving[position] = fit_to_size(frame.image, width, height)
    moving.flags.writeable = False
    rng = np.random.default_rng(0)
    noise = np.rint(rng.normal(0.0, REFERENCE_NOISE_SIGMA, height * width * 3 + _NOISE_OFFSETS))
    noise_up = np.clip(noise, 0, 255).astype(np.uint8)
    noise_down = np.clip(-noise, 0, 255).astype(np.uint8)
    noise_up.flags.writeable = False
    noise_down.flags.writeable = False
    return _Scene(moving, noise_up, noise_down)


def _scene(path: Path, width: int, height: int, camera_id: str) -> _Scene:
    key = (path.resolve(), width, height)
    with _cache_lock:  # held while building, so concurrent cameras decode the clip once
        scene = _cache.get(key)
        if scene is None:
            scene = _cache[key] = _build(path, width, height, camera_id)
        return scene


class ReferenceSceneSource(GeneratedSource):
    """The endless reference camera described in the module doc."""

    def __init__(
        self,
        camera_id: str,
        path: Path = BUNDLED_CLIPS[0],
        width: int = REFERENCE_SIZE[0],
        height: int = REFERENCE_SIZE[1],
        *,
        analyze_fps: float | None = None,
        realtime: bool = False,
    ) -> None:
        super().__init__(
            camera_id, width, height, REFERENCE_FPS, analyze_fps=analyze_fps, realtime=realtime
        )
        self._scene = _scene(path, width, height, camera_id)
        self.phase = reference_phase(camera_id)
        self._pixels = width * height * 3

    @classmethod
    def from_url(
        cls, url: str, camera_id: str, *, analyze_fps: float | None, realtime: bool
    ) -> ReferenceSceneSource:
        path, width, height = parse_reference_url(url)
        return cls(camera_id, path, width, height, analyze_fps=analyze_fps, realtime=realtime)

    def cycle_position(self, index: int) -> int:
        """Where in the 150-frame cycle this camera's frame ``index`` falls."""
        return (self.phase + index) % REFERENCE_CYCLE_FRAMES

    def _render(self, index: int) -> UInt8Image:
        position = self.cycle_position(index)
        if position < REFERENCE_MOVING_FRAMES:
            moving: UInt8Image = self._scene.moving[position].copy()
            return moving
        offset = ((self.phase + index) * _OFFSET_HASH) % _NOISE_OFFSETS
        shape = (self._height, self._width, 3)
        up = self._scene.noise_up[offset : offset + self._pixels].reshape(shape)
        down = self._scene.noise_down[offset : offset + self._pixels].reshape(shape)
        held = self._scene.moving[REFERENCE_MOVING_FRAMES - 1]
        noisy = cast(UInt8Image, cv2.add(held, up))  # saturating uint8 arithmetic
        cv2.subtract(noisy, down, dst=noisy)
        return noisy
