"""Sources whose frames are computed, not decoded: a frame index at a native rate, sampled to
``analyze_fps`` and optionally paced in real time. Skipped indices are never rendered."""

from __future__ import annotations

import time
import zlib
from abc import abstractmethod

from camfleet.errors import SourceError
from camfleet.frames import Frame
from camfleet.sources.base import Source, UInt8Image
from camfleet.sources.pacing import Pacer
from camfleet.sources.sampling import SamplingClock

__all__ = ["GeneratedSource"]


class GeneratedSource(Source):
    """An endless source: frame index ``i`` is shown at ``i / native_fps`` seconds."""

    def __init__(
        self,
        camera_id: str,
        width: int,
        height: int,
        fps: float,
        *,
        analyze_fps: float | None,
        realtime: bool,
    ) -> None:
        super().__init__(camera_id)
        self._width = width
        self._height = height
        self._fps = fps
        self._clock = SamplingClock(analyze_fps)
        self._pacer = Pacer() if realtime else None
        # Independent cameras are not captured in lockstep: a live (realtime) generated camera
        # starts at a fixed, id-derived phase within its first sampling interval, so a fleet
        # of them offers frames spread out in time as real cameras do, not in bursts.
        interval_s = 1.0 / (analyze_fps or fps)
        self._start_delay_s = (zlib.crc32(camera_id.encode()) % 1000) / 1000.0 * interval_s
        self._started = False
        self._index = 0
        self._closed = False

    @abstractmethod
    def _render(self, index: int) -> UInt8Image:
        """A new HxWx3 uint8 BGR image for frame ``index``, owned by the caller."""

    @property
    def frame_index(self) -> int:
        """Index of the next frame on the native-rate timeline (emitted or skipped)."""
        return self._index

    def read(self) -> Frame | None:
        if self._closed:
            raise SourceError(
                f"camera '{self.camera_id}': source read after close(); open the source again"
            )
        while not self._clock.due(self._index / self._fps):
            self._index += 1
        index = self._index
        self._index += 1
        if self._pacer is not None:
            if not self._started:
                time.sleep(self._start_delay_s)
            self._pacer.wait_until_due(index / self._fps)
        self._started = True
        return self._emit(self._render(index))

    @property
    def width(self) -> int:
        return self._width

    @property
    def height(self) -> int:
        return self._height

    @property
    def native_fps(self) -> float:
        return self._fps

    def close(self) -> None:
        self._closed = True
