"""The fleet engine: many cameras on one device, in mode ``shared`` or ``timeslice``."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from camfleet.config import CameraConfig, FleetConfig
from camfleet.engine.metrics import FleetMetrics, FleetSnapshot
from camfleet.engine.shared import SharedEngine
from camfleet.engine.timeslice import SinkFactory, TimesliceEngine
from camfleet.events import ResultSink

__all__ = [
    "Engine",
    "FleetMetrics",
    "FleetSnapshot",
    "SharedEngine",
    "SinkFactory",
    "TimesliceEngine",
    "create_engine",
]

Engine = SharedEngine | TimesliceEngine


def create_engine(
    fleet: FleetConfig,
    sink_factory: SinkFactory | None = None,
    cache_dir: Path = Path("camfleet-data/cache"),
    metrics: FleetMetrics | None = None,
    cameras: Iterable[CameraConfig] | None = None,
) -> Engine:
    """The engine for ``fleet.runtime.mode``; ``sink_factory`` builds the result sink (one for
    the fleet in shared mode, one per worker process in timeslice mode). ``cameras``
    overrides ``fleet.cameras`` and may be empty (shared mode only)."""
    if fleet.runtime.mode == "timeslice":
        if cameras is not None:
            fleet = fleet.model_copy(update={"cameras": list(cameras)})
        return TimesliceEngine(fleet, sink_factory=sink_factory, cache_dir=cache_dir,
                               metrics=metrics)
    if cameras is not None:
        cameras = list(cameras)
        fleet_for_sink = fleet.model_copy(update={"cameras": cameras})
    else:
        fleet_for_sink = fleet
    sink: ResultSink | None = None if sink_factory is None else sink_factory(fleet_for_sink)
    return SharedEngine(fleet, sink=sink, cache_dir=cache_dir, metrics=metrics, cameras=cameras)
