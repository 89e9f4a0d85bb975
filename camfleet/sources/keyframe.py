"""The latest keyframe of a camera's main stream, decoding nothing but keyframes.

With a ``detect_source`` substream doing the analysis, an event snapshot still wants the main
stream's resolution. Decoding the whole main stream for that would cost what the substream
saves; its keyframes alone cost about a tenth (one per keyframe interval, usually 1-2 s, see
BENCHMARKS.md "Decode levers"). The decoder skips every other frame (FFmpeg ``skip_frame``
``NONKEY``), a reader thread reconnects with backoff like any camera, and only the newest
keyframe is kept.
"""

from __future__ import annotations

from camfleet.frames import Frame
from camfleet.sources.base import Source, SourceStatus
from camfleet.sources.open import open_source
from camfleet.sources.reader import CameraReader
from camfleet.sources.slot import FrameSlot

__all__ = ["LatestKeyframe"]


class LatestKeyframe:
    """``start()``, then ``latest()`` whenever a snapshot is wanted; ``stop()`` at the end.

    ``latest()`` returns the newest keyframe decoded so far (``None`` before the first), as a
    :class:`~camfleet.frames.Frame` whose ``captured_at`` is when it was decoded: a snapshot
    can be up to one keyframe interval older than the event. ``url`` is the main stream (file
    or network URL); ``hwaccel`` as for a camera.
    """

    def __init__(
        self,
        url: str,
        camera_id: str,
        *,
        hwaccel: str | None = None,
        loop: bool = True,
        realtime: bool = True,
        reconnect_backoff_s: tuple[float, float] = (1.0, 30.0),
    ) -> None:
        self.url = url
        self.camera_id = camera_id
        self._slot = FrameSlot(capacity=1)
        self._latest: Frame | None = None
        self._reader = CameraReader(
            camera_id,
            factory=lambda: self._open(hwaccel, loop, realtime),
            slot=self._slot,
            reconnect_backoff_s=reconnect_backoff_s,
        )

    def _open(self, hwaccel: str | None, loop: bool, realtime: bool) -> Source:
        return open_source(self.url, camera_id=self.camera_id, analyze_fps=None, loop=loop,
                           realtime=realtime, hwaccel=hwaccel, skip_frame="NONKEY")

    def start(self) -> None:
        self._reader.start()

    def stop(self, timeout: float | None = 5.0) -> bool:
        """Stop the reader thread; True when it has finished."""
        return self._reader.stop(timeout)

    def latest(self) -> Frame | None:
        newer = self._slot.get_nowait()
        if newer is not None:
            self._latest = newer
        return self._latest

    @property
    def status(self) -> SourceStatus:
        """The reader's state (connecting, streaming, reconnecting...) and last error."""
        return self._reader.status

    def __enter__(self) -> LatestKeyframe:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
