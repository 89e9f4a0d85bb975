"""Composition: the engine's results flow into analytics and the store.

The engine knows nothing of rules or databases; this module builds the :class:`ResultSink`
that connects them. :class:`StoreSinkFactory` is picklable so each ``timeslice`` worker
builds its own sink in its own process (as separate pods each write to the database), while
``shared`` mode builds one for the whole fleet.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from camfleet.analytics.pipeline import AnalyticsSink
from camfleet.analytics.schema import webhooks_by_rule
from camfleet.config import FleetConfig
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
    """Tracking and rules (:class:`AnalyticsSink`) feeding a started :class:`StoreWriter`."""

    def __init__(self, analytics: AnalyticsSink, writer: StoreWriter) -> None:
        self.analytics = analytics
        self.writer = writer

    def on_result(self, frame: Frame, model_id: str, detections: Detections) -> None:
        self.analytics.on_result(frame, model_id, detections)

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
        return StoredAnalyticsSink(analytics, writer)
