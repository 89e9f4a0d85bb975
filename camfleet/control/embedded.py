"""The in-process engine of ``camfleet serve``: a shared engine that starts with no cameras and
a :class:`Reconciler` that feeds it the enabled cameras of the database.

Uses the "Engine at run time" calls of INTERFACES.md (``add_camera`` and friends). Always the
shared engine: ``runtime.mode: timeslice`` applies to ``camfleet run`` only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import cast

from camfleet.config import FleetConfig, ModelConfig
from camfleet.control.reconcile import DesiredFleet, Reconciler, RuntimeEngine
from camfleet.control.repository import ClassNames, FleetRepository
from camfleet.engine.shared import SharedEngine
from camfleet.errors import CamfleetError
from camfleet.store.location import StoreLocation
from camfleet.wiring import StoreSinkFactory

__all__ = ["EmbeddedEngine", "ModelNames", "build_fleet_engine", "start_embedded_engine"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class EmbeddedEngine:
    engine: SharedEngine
    reconciler: Reconciler

    def stop(self) -> None:
        self.reconciler.stop()
        self.engine.stop(drain=True)


class ModelNames(Mapping[str, Mapping[int, str]]):
    """Class names by model id, read from each model's ONNX metadata on first use, so models
    registered after the engine started (through the API) have names when a camera uses them.
    A model whose file cannot be read has none: cameras naming it fail to start and say why."""

    def __init__(
        self, models: Callable[[], Mapping[str, ModelConfig]], class_names: ClassNames
    ) -> None:
        self._models = models
        self._class_names = class_names
        self._cache: dict[str, Mapping[int, str]] = {}

    def __getitem__(self, model_id: str) -> Mapping[int, str]:
        if model_id not in self._cache:
            model = self._models().get(model_id)
            if model is None:
                raise KeyError(model_id)
            try:
                self._cache[model_id] = dict(self._class_names(model))
            except CamfleetError as exc:
                log.warning("model %r: %s", model_id, exc)
                raise KeyError(model_id) from exc
        return self._cache[model_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._models())

    def __len__(self) -> int:
        return len(self._models())


def build_fleet_engine(
    fleet: FleetRepository,
    location: StoreLocation,
    class_names: ClassNames,
    snapshot_store: str | None = None,
) -> SharedEngine:
    """A shared engine with no cameras yet and a store sink, set up from the database's fleet
    settings (``snapshot_store`` overrides ``store.snapshot_store``): what ``camfleet serve``
    runs in process and what each ``camfleet worker`` runs."""
    runtime = fleet.runtime()
    if runtime.mode != "shared":
        log.warning("runtime.mode %r: the service and workers always run the shared engine",
                    runtime.mode)
        runtime = runtime.model_copy(update={"mode": "shared"})
    store = fleet.store_settings()
    if snapshot_store is not None:
        store = store.model_copy(update={"snapshot_store": snapshot_store})
    config = FleetConfig.model_construct(
        models=fleet.models(), cameras=[], runtime=runtime, store=store
    )
    sink = StoreSinkFactory(location, ModelNames(fleet.models, class_names))(config)
    return SharedEngine(config, sink=sink, cache_dir=location.data_dir / "cache")


def start_embedded_engine(
    fleet: FleetRepository, location: StoreLocation, class_names: ClassNames,
    interval_s: float = 1.0, snapshot_store: str | None = None,
) -> EmbeddedEngine:
    engine = build_fleet_engine(fleet, location, class_names, snapshot_store)
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
