"""Multi-object tracking: one ByteTrack per (camera, model), run on the results thread.

supervision's own ``ByteTrack`` moved to Roboflow's ``trackers`` package (supervision 0.30
removed it); :class:`Tracker` wraps ``trackers.ByteTrackTracker``, which takes and returns
``supervision.Detections``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from camfleet.errors import ConfigError
from camfleet.frames import Detections, Frame

if TYPE_CHECKING:
    from trackers import ByteTrackTracker

__all__ = ["UNTRACKED", "Tracker"]

UNTRACKED = -1
"""``tracker_id`` of a detection that is not (yet) part of a confirmed track."""

# ByteTrack counts its lost-track buffer in frames of a 30 fps video.
_BUFFER_REFERENCE_FPS = 30.0


def _new_byte_track(
    frame_rate: float, lost_track_s: float, activation: float, high_confidence: float
) -> ByteTrackTracker:
    try:
        from trackers import ByteTrackTracker
    except ImportError as exc:
        raise ConfigError(
            "tracking: the 'trackers' package (Roboflow's ByteTrack) is not installed; "
            "run `pip install trackers`"
        ) from exc
    return ByteTrackTracker(
        lost_track_buffer=max(1, round(lost_track_s * _BUFFER_REFERENCE_FPS)),
        frame_rate=frame_rate,
        track_activation_threshold=activation,
        high_conf_det_threshold=high_confidence,
        minimum_consecutive_frames=2,
    )


class Tracker:
    """Assigns stable track ids to one camera's detections of one model.

    ``frame_rate`` is the camera's analysis rate; frame capture times drive the motion model,
    so frames skipped by the motion gate do not confuse it. A track unseen for
    ``lost_track_s`` is dropped. Detections below ``activation`` confidence never start a
    track, but ByteTrack still uses them (down to the model's threshold) to extend one.
    Untracked detections get ``tracker_id`` :data:`UNTRACKED`.
    """

    def __init__(
        self,
        frame_rate: float,
        *,
        lost_track_s: float = 1.5,
        activation: float = 0.4,
        high_confidence: float = 0.5,
    ) -> None:
        self._byte_track = _new_byte_track(frame_rate, lost_track_s, activation, high_confidence)
        self._last_time: float | None = None

    def update(self, frame: Frame, detections: Detections) -> Detections:
        """Track ``detections`` of ``frame``; returns them (reordered) with ``tracker_id``."""
        timestamp: float | None = frame.captured_at
        if self._last_time is not None and frame.captured_at <= self._last_time:
            timestamp = None  # out-of-order or repeated capture time: step one nominal frame
        else:
            self._last_time = frame.captured_at
        tracked = self._byte_track.update(detections.to_supervision(), timestamp=timestamp)
        result = Detections.from_supervision(tracked)
        if result.tracker_id is None:
            return result.with_tracker_ids(np.full(len(result), UNTRACKED, np.int64))
        return result

    def reset(self) -> None:
        self._byte_track.reset()
        self._last_time = None
