"""A worker that runs whichever cameras it holds leases for, on one shared engine.

Every ``interval_s`` it reads the wanted fleet from the database (enabled cameras, models),
runs one lease tick, and converges its engine to the cameras it holds: it stops cameras it
lost, dropped or hands over, starts the ones it acquired and restarts the ones whose
configuration changed. While the database is unreachable it keeps running the cameras it has
(their leases cannot be claimed by anyone meanwhile) and tries again next round.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.exc import SQLAlchemyError

from camfleet.cluster.leases import LeaseChanges, LeaseManager
from camfleet.config import CameraConfig, ModelConfig
from camfleet.control.secrets import mask_text as mask_secrets
from camfleet.errors import CamfleetError

__all__ = ["CameraEngine", "FleetSource", "FleetWorker", "WorkerStatus"]

log = logging.getLogger(__name__)

_WARN_EVERY_S = 10.0


class FleetSource(Protocol):
    """Where the wanted fleet comes from (the database's fleet tables)."""

    def enabled_cameras(self) -> list[CameraConfig]: ...

    def models(self) -> dict[str, ModelConfig]: ...


class CameraEngine(Protocol):
    """The part of :class:`~camfleet.engine.SharedEngine` a worker drives."""

    def set_models(self, models: Mapping[str, ModelConfig]) -> None: ...

    def add_camera(self, camera: CameraConfig) -> None: ...

    def remove_camera(self, camera_id: str) -> None: ...

    def replace_camera(self, camera: CameraConfig) -> None: ...


@dataclass(frozen=True, slots=True)
class WorkerStatus:
    """What the last round saw, for probes and logs."""

    database_ok: bool
    cameras: int
    last_round_at: float
    last_error: str | None


class FleetWorker:
    """Converges ``engine`` to the cameras ``leases`` holds; call :meth:`run` on a thread."""

    def __init__(
        self,
        fleet: FleetSource,
        leases: LeaseManager,
        engine: CameraEngine,
        *,
        interval_s: float = 3.0,
        stats: Callable[[], Mapping[str, Any]] | None = None,
        on_cameras: Callable[[Mapping[str, CameraConfig]], None] | None = None,
    ) -> None:
        self._fleet = fleet
        self._leases = leases
        self._engine = engine
        self.interval_s = interval_s
        self._stats = stats
        self._on_cameras = on_cameras
        self._running: dict[str, CameraConfig] = {}
        self._loaded_models: dict[str, ModelConfig] = {}
        self._last_warning = -float("inf")
        self.status = WorkerStatus(False, 0, 0.0, None)

    @property
    def running(self) -> frozenset[str]:
        return frozenset(self._running)

    def run(self, stop: threading.Event) -> None:
        """Rounds until ``stop`` is set (the caller then calls :meth:`shutdown`)."""
        while not stop.is_set():
            self.step()
            stop.wait(self.interval_s)

    def step(self) -> LeaseChanges | None:
        """One round; None when the database could not be reached."""
        try:
            wanted = {camera.id: camera for camera in self._fleet.enabled_cameras()}
            models = self._fleet.models()
            stats = dict(self._stats()) if self._stats is not None else {}
            changes = self._leases.tick(wanted, stats=stats)
        except (SQLAlchemyError, CamfleetError) as exc:
            self._database_down(exc)
            return None
        for camera_id in changes.to_stop:
            self._stop_camera(camera_id)
        if changes.handover:
            try:
                self._leases.release(changes.handover)
            except SQLAlchemyError as exc:  # they expire by themselves instead
                self._database_down(exc)
        self._converge(wanted, models)
        self.status = WorkerStatus(True, len(self._running), time.time(), None)
        return changes

    def _converge(
        self, wanted: Mapping[str, CameraConfig], models: Mapping[str, ModelConfig]
    ) -> None:
        held = self._leases.held
        for camera_id in sorted(set(self._running) - held):
            self._stop_camera(camera_id)
        mine = {camera_id: wanted[camera_id] for camera_id in held if camera_id in wanted}
        needed = {m for camera in mine.values() for m in camera.models if m in models}
        changed_models = {
            m: models[m] for m in needed if self._loaded_models.get(m) != models[m]
        }
        if changed_models:
            self._engine.set_models(changed_models)
            self._loaded_models.update(changed_models)
        if self._on_cameras is not None:
            self._on_cameras(mine)
        for camera_id, camera in sorted(mine.items()):
            previous = self._running.get(camera_id)
            if previous == camera:
                continue
            try:
                if previous is None:
                    self._engine.add_camera(camera)
                else:
                    self._engine.replace_camera(camera)
            except CamfleetError as exc:
                log.error("camera %r cannot start on this worker: %s", camera_id,
                          mask_secrets(str(exc)))
                continue
            self._running[camera_id] = camera

    def _stop_camera(self, camera_id: str) -> None:
        if self._running.pop(camera_id, None) is not None:
            self._engine.remove_camera(camera_id)

    def _database_down(self, exc: BaseException) -> None:
        reason = mask_secrets(str(getattr(exc, "orig", None) or exc).strip().splitlines()[0])
        self.status = WorkerStatus(False, len(self._running), self.status.last_round_at, reason)
        now = time.monotonic()
        if now - self._last_warning >= _WARN_EVERY_S:
            self._last_warning = now
            log.warning(
                "database unreachable (%s); keeping %d cameras running and retrying every "
                "%.0f s", reason, len(self._running), self.interval_s,
            )

    def shutdown(self) -> None:
        """Release every lease and leave (call after the engine has drained and stopped)."""
        self._running.clear()
        try:
            self._leases.leave()
        except SQLAlchemyError as exc:
            log.warning("could not release leases on exit (%s); they expire in %.0f s",
                        mask_secrets(str(exc).splitlines()[0]), self._leases.ttl_s)
