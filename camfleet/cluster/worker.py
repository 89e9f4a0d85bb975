"""A worker that runs whichever cameras it holds leases for, on one shared engine.

Every ``interval_s`` it reads the wanted fleet from the database (enabled cameras, models),
runs one lease tick, and converges its engine to the cameras it holds with the same
:class:`~camfleet.control.reconcile.Reconciler` as ``camfleet serve``: cameras it lost,
dropped or hands over stop, the ones it acquired start, the ones whose configuration changed
restart, and the others are not touched. While the database is unreachable it keeps running
the cameras it has (their leases cannot be claimed by anyone meanwhile) and tries again next
round.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from sqlalchemy.exc import SQLAlchemyError

from camfleet.cluster.leases import LeaseChanges, LeaseManager
from camfleet.config import CameraConfig, ModelConfig
from camfleet.control.reconcile import DesiredFleet, Reconciler, RuntimeEngine
from camfleet.control.secrets import mask_text
from camfleet.errors import CamfleetError
from camfleet.store.retry import one_line

__all__ = ["FleetSource", "FleetWorker"]

log = logging.getLogger(__name__)

_WARN_EVERY_S = 10.0


class FleetSource(Protocol):
    """Where the wanted fleet comes from (the database's fleet tables)."""

    def enabled_cameras(self) -> list[CameraConfig]: ...

    def models(self) -> dict[str, ModelConfig]: ...


class FleetWorker:
    """Converges ``engine`` to the cameras ``leases`` holds; call :meth:`run` on a thread."""

    def __init__(
        self,
        fleet: FleetSource,
        leases: LeaseManager,
        engine: RuntimeEngine,
        *,
        on_acquired: Callable[[tuple[str, ...]], None] | None = None,
        interval_s: float = 3.0,
        stats: Callable[[], Mapping[str, Any]] | None = None,
    ) -> None:
        self._fleet = fleet
        self._leases = leases
        self.interval_s = interval_s
        self._stats = stats
        self._on_acquired = on_acquired
        self._mine = DesiredFleet(models={}, cameras=())
        self._reconciler = Reconciler(engine, lambda: self._mine)
        self._last_warning = -float("inf")
        self.database_ok = False  # as of the last round: /readyz reports it

    @property
    def running(self) -> frozenset[str]:
        return self._reconciler.running

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
            if changes.acquired and self._on_acquired is not None:
                self._on_acquired(changes.acquired)
        except (SQLAlchemyError, CamfleetError) as exc:
            self._database_down(exc)
            return None
        keep = self._leases.held - set(changes.handover)
        self._mine = DesiredFleet(
            models=models, cameras=[wanted[c] for c in sorted(keep) if c in wanted]
        )
        self._reconciler.step()  # stops what was lost, dropped or is handed over; starts the new
        if changes.handover:
            try:
                self._leases.release(changes.handover)
            except SQLAlchemyError as exc:  # they expire by themselves instead
                self._database_down(exc)
        self.database_ok = True
        return changes

    def _database_down(self, exc: BaseException) -> None:
        reason = mask_text(one_line(exc))
        self.database_ok = False
        now = time.monotonic()
        if now - self._last_warning >= _WARN_EVERY_S:
            self._last_warning = now
            log.warning(
                "database unreachable (%s); keeping %d cameras running and retrying every "
                "%.0f s", reason, len(self.running), self.interval_s,
            )

    def shutdown(self) -> None:
        """Release every lease and leave (call after the engine has drained and stopped)."""
        try:
            self._leases.leave()
        except SQLAlchemyError as exc:
            log.warning("could not release leases on exit (%s); they expire in %.0f s",
                        mask_text(one_line(exc)), self._leases.ttl_s)
