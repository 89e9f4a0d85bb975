"""The in-process engine of ``camfleet serve``: a shared engine that starts with no cameras and
a :class:`Reconciler` that feeds it the enabled cameras of the database.

Uses the "Engine at run time" calls of INTERFACES.md (``add_camera`` and friends). Always the
shared engine: ``runtime.mode: timeslice`` applies to ``camfleet run`` only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import cast

from camfleet.config import FleetConfig, ModelConfig
from camfleet.control.reconcile import DesiredFleet, Reconciler, RuntimeEngine
from camfleet.control.repository import ClassNames, FleetRepository
from camfleet.engine.shared import SharedEngine
from camfleet.errors import CamfleetError
from camfleet.store.location import StoreLocation
from camfleet.wiring import StoreSinkFactory

__all__ = ["EmbeddedEngine", "start_embedded_engine"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class EmbeddedEngine:
    engine: SharedEngine
    reconciler: Reconciler

    def stop(self) -> None:
        self.reconciler.stop()
        self.engine.stop(drain=True)


def _names(models: dict[str, ModelConfig], class_names: ClassNames) -> dict[str, dict[int, str]]:
    names = {}
    for model_id, model in models.items():
        try:
            names[model_id] = dict(class_names(model))
        except CamfleetError as exc:  # cameras naming it fail to start and say why
            log.warning("model %r: %s", model_id, exc)
    return names


def start_embedded_engine(
    fleet: FleetRepository, location: StoreLocation, class_names: ClassNames,
    interval_s: float = 1.0,
) -> EmbeddedEngine:
    models = fleet.models()
    runtime = fleet.runtime()
    if runtime.mode != "shared":
        log.warning("runtime.mode %r: camfleet serve always runs the shared engine", runtime.mode)
        runtime = runtime.model_copy(update={"mode": "shared"})
    config = FleetConfig.model_construct(
        models=models, cameras=[], runtime=runtime, store=fleet.store_settings()
    )
    sink = StoreSinkFactory(location, _names(models, class_names))(config)
    engine = SharedEngine(config, sink=sink, cache_dir=location.data_dir / "cache")
    engine.start()
    # cast: the run-time calls are the engine's side of INTERFACES.md ("Engine at run time").
    reconciler = Reconciler(
        cast(RuntimeEngine, engine),
        desired=lambda: DesiredFleet(fleet.models(), fleet.enabled_cameras()),
        revision=fleet.revision,
        interval_s=interval_s,
    )
    reconciler.step()
    reconciler.start()
    return EmbeddedEngine(engine, reconciler)
