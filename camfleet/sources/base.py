"""What every video source is: the :class:`Source` interface and a reader's :class:`SourceStatus`.

A source turns one camera's URL into :class:`~camfleet.frames.Frame` records: ``seq`` counts the
frames it emitted, ``captured_at``/``wall_time`` are taken when a frame is decoded (or, for a
paced source, when it becomes due), the image is an HxWx3 uint8 BGR array the consumer owns.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Literal, Self

import numpy as np
import numpy.typing as npt

from camfleet.frames import Frame

__all__ = ["Source", "SourceState", "SourceStatus", "UInt8Image"]

UInt8Image = npt.NDArray[np.uint8]

SourceState = Literal["connecting", "streaming", "retrying", "ended", "stopped"]


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """A snapshot of one camera reader, safe to hand to metrics or an API.

    ``next_retry_at`` is a ``time.monotonic()`` instant, set only while ``state == "retrying"``.
    ``reconnects`` counts attempts to open the source again after a failure.
    """

    camera_id: str
    state: SourceState
    last_error: str | None
    frames_read: int
    frames_dropped: int
    reconnects: int
    next_retry_at: float | None


class Source(ABC):
    """One camera's stream of frames. Use it as a context manager or iterate over it.

    ``read()`` returns the next frame, ``None`` at the end of a finite (non-looping file) source,
    and raises :class:`~camfleet.errors.SourceError` when the stream fails.
    """

    def __init__(self, camera_id: str) -> None:
        self.camera_id = camera_id
        self._next_seq = 0

    @property
    @abstractmethod
    def width(self) -> int:
        """Width of the emitted images in pixels."""

    @property
    @abstractmethod
    def height(self) -> int:
        """Height of the emitted images in pixels."""

    @property
    @abstractmethod
    def native_fps(self) -> float:
        """The stream's own frame rate (before sampling to ``analyze_fps``)."""

    @abstractmethod
    def read(self) -> Frame | None:
        """The next frame; ``None`` when a finite source has ended."""

    @abstractmethod
    def close(self) -> None:
        """Release the stream; safe to call more than once."""

    @property
    def frames_emitted(self) -> int:
        return self._next_seq

    def _emit(self, image: UInt8Image) -> Frame:
        """Stamp ``image`` as this camera's next frame, timed now."""
        frame = Frame(
            camera_id=self.camera_id,
            seq=self._next_seq,
            captured_at=time.monotonic(),
            image=image,
            wall_time=time.time(),
        )
        self._next_seq += 1
        return frame

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __iter__(self) -> Iterator[Frame]:
        while (frame := self.read()) is not None:
            yield frame
