"""The latest analysed frame of each camera, annotated and JPEG-encoded on request.

The results stage records every analysed frame (a reference, no copy: one decoded frame per
camera stays alive); encoding happens only when someone asks, and the encoding is cached
until a newer frame arrives, so a dashboard polling many cameras costs one encode per camera
per new frame at most.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import cv2

from camfleet.annotate import Annotator
from camfleet.frames import Detections, Frame

__all__ = ["LatestFrames"]

_JPEG_QUALITY = 80


@dataclass(slots=True)
class _Latest:
    frame: Frame
    detections: dict[str, Detections] = field(default_factory=dict)  # by model id
    jpeg: bytes | None = None
    version: int = 0  # bumped by every recorded result


class LatestFrames:
    """Thread-safe; ``names`` gives a model's class names (id -> name) for its labels."""

    def __init__(self, names: Callable[[str], Mapping[int, str]]) -> None:
        self._names = names
        self._lock = threading.Lock()
        self._latest: dict[str, _Latest] = {}
        self._annotators: dict[str, Annotator] = {}

    def record(self, frame: Frame, model_id: str, detections: Detections) -> None:
        with self._lock:
            latest = self._latest.get(frame.camera_id)
            if latest is None or frame.captured_at > latest.frame.captured_at:
                latest = _Latest(frame)
                self._latest[frame.camera_id] = latest
            elif latest.frame is not frame:  # an older frame finishing late
                return
            latest.detections[model_id] = detections
            latest.version += 1
            latest.jpeg = None

    def drop(self, camera_id: str) -> None:
        with self._lock:
            self._latest.pop(camera_id, None)

    def jpeg(self, camera_id: str) -> bytes | None:
        with self._lock:
            latest = self._latest.get(camera_id)
            if latest is None:
                return None
            if latest.jpeg is not None:
                return latest.jpeg
            frame, found, version = latest.frame, dict(latest.detections), latest.version
        image = frame.image
        for model_id, detections in found.items():
            image = self._annotator(model_id).draw(image, detections, copy=image is frame.image)
        ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, _JPEG_QUALITY])
        if not ok:
            return None
        data = encoded.tobytes()
        with self._lock:
            current = self._latest.get(camera_id)
            if current is latest and current.version == version:
                current.jpeg = data
        return data

    def _annotator(self, model_id: str) -> Annotator:
        with self._lock:
            annotator = self._annotators.get(model_id)
            if annotator is None:
                annotator = self._annotators[model_id] = Annotator(self._names(model_id))
            return annotator
