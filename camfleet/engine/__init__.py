"""The fleet engine: many cameras on one device, in mode ``shared`` or ``timeslice``."""

from __future__ import annotations

from pathlib import Path

from camfleet.config import FleetConfig
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
) -> Engine:
    """The engine for ``fleet.runtime.mode``; ``sink_factory`` builds the result sink (one for
    the fleet in shared mode, one per worker process in timeslice mode)."""
    if fleet.runtime.mode == "timeslice":
        return TimesliceEngine(fleet, sink_factory=sink_factory, cache_dir=cache_dir,
                               metrics=metrics)
    sink: ResultSink | None = None if sink_factory is None else sink_factory(fleet)
    return SharedEngine(fleet, sink=sink, cache_dir=cache_dir, metrics=metrics)
