"""Composition: the engine's results flow into analytics and the store.

The engine knows nothing of rules or databases; this module builds the :class:`ResultSink`
that connects them. :class:`StoreSinkFactory` is picklable so each ``timeslice`` worker
builds its own sink in its own process (as separate pods each write to the database), while
``shared`` mode builds one for the whole fleet.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from camfleet.analytics.pipeline import AnalyticsSink
from camfleet.analytics.schema import webhooks_by_rule
from camfleet.config import CameraConfig, FleetConfig
from camfleet.events import CommitListener
from camfleet.frames import Detections, Frame
from camfleet.model import inspect_model
from camfleet.paths import resolve_asset
from camfleet.store.location import StoreLocation
from camfleet.store.writer import StoreWriter, open_writer

__all__ = ["StoreSinkFactory", "StoredAnalyticsSink", "model_names"]

log = logging.getLogger(__name__)


def model_names(fleet: FleetConfig) -> dict[str, dict[int, str]]:
    """Class names of every model of ``fleet``, read from ONNX metadata (no session)."""
    return {
        model_id: dict(inspect_model(resolve_asset(cfg.path)).names)
        for model_id, cfg in fleet.models.items()
    }


class StoredAnalyticsSink:
    """Tracking and rules (:class:`AnalyticsSink`) feeding a started :class:`StoreWriter`.

    It also samples capture -> committed: after a camera's frame it queues a commit marker
    for the writer, which reports (camera, seconds since capture) when the batch holding it
    commits; the report goes to the listener set with :meth:`set_commit_listener` (the
    engine's metrics). A camera has at most one marker waiting (or a new one after
    ``marker_timeout_s``, should the writer have lost it), so markers never crowd records out
    of the writer's buffer during a database outage.
    """

    def __init__(
        self,
        analytics: AnalyticsSink,
        writer: StoreWriter,
        fleet: FleetConfig | None = None,
        clock: Callable[[], float] = time.monotonic,
        marker_timeout_s: float = 30.0,
    ) -> None:
        self.analytics = analytics
        self.writer = writer
        self._lock = threading.Lock()
        self._cameras: dict[str, CameraConfig] = (
            {camera.id: camera for camera in fleet.cameras} if fleet is not None else {}
        )
        self._fleet = fleet
        self._clock = clock
        self._marker_timeout_s = marker_timeout_s
        self._waiting: dict[str, float] = {}  # camera -> when its marker was queued
        self._markers_lock = threading.Lock()  # never held while calling the writer
        self._listener: CommitListener | None = None
        writer.set_commit_listener(self._on_commit)

    def on_result(self, frame: Frame, model_id: str, detections: Detections) -> None:
        self.analytics.on_result(frame, model_id, detections)
        now = self._clock()
        with self._markers_lock:
            queued_at = self._waiting.get(frame.camera_id)
            if queued_at is not None and now - queued_at < self._marker_timeout_s:
                return
            self._waiting[frame.camera_id] = now
        self.writer.put_marker(frame.camera_id, frame.captured_at)

    def set_commit_listener(self, listener: CommitListener | None) -> None:
        self._listener = listener

    def _on_commit(self, camera_id: str, seconds: float) -> None:
        with self._markers_lock:
            self._waiting.pop(camera_id, None)
        listener = self._listener
        if listener is not None:
            listener(camera_id, seconds)

    def add_camera(self, camera: CameraConfig) -> None:
        self.analytics.add_camera(camera)
        with self._lock:
            self._cameras[camera.id] = camera
            self._publish()

    def remove_camera(self, camera_id: str) -> None:
        self.analytics.remove_camera(camera_id)
        with self._markers_lock:
            self._waiting.pop(camera_id, None)
        with self._lock:
            self._cameras.pop(camera_id, None)
            self._publish()

    def _publish(self) -> None:
        """Give the writer the current cameras (their rows) and rule -> webhook map."""
        if self._fleet is None:
            return
        fleet = self._fleet.model_copy(update={"cameras": list(self._cameras.values())})
        self.writer.upsert_cameras_models(fleet)
        self.writer.set_webhooks(webhooks_by_rule(fleet))

    def close(self) -> None:
        """Close open events, then flush everything buffered to the database."""
        try:
            self.analytics.close()
        finally:
            self.writer.close()
        stats = self.writer.stats
        if stats.dropped:
            log.warning("store: %d records could not be stored (buffer full)", stats.dropped)


@dataclass(frozen=True, slots=True)
class StoreSinkFactory:
    """Builds a :class:`StoredAnalyticsSink` for (a part of) a fleet."""

    location: StoreLocation
    names_by_model: Mapping[str, Mapping[int, str]]

    def __call__(self, fleet: FleetConfig) -> StoredAnalyticsSink:
        # Absolute, so stored snapshot paths stay valid whatever directory queries run from.
        location = StoreLocation(self.location.url, self.location.data_dir.resolve())
        writer = open_writer(location, fleet.store, webhooks_by_rule(fleet))
        writer.upsert_cameras_models(fleet)
        analytics = AnalyticsSink(fleet, self.names_by_model, writer)
        writer.start()
        return StoredAnalyticsSink(analytics, writer, fleet)
