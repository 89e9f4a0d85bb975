"""A camera's state as the API reports it: from the stored flag, the reconciler and the engine.

``disabled``; ``failed`` (the engine could not start it: the reason is in ``last_error``);
the source state from the engine's metrics (``starting``, ``streaming``, ``reconnecting``...);
``pending`` (enabled, not running yet). With ``--no-engine`` the state is the one the live
worker running the camera reported in its last heartbeat, or ``unassigned`` while no live
worker runs it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from camfleet.api.service import Service
from camfleet.cluster.heartbeat import live_camera_stats
from camfleet.engine.metrics import FleetSnapshot

__all__ = ["camera_states"]


def camera_states(
    service: Service,
    snapshot: FleetSnapshot | None = None,
    reported: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, tuple[str, str | None]]:
    """Camera id -> (state, last error) for every stored camera. A caller that already read
    the engine's ``snapshot`` (or, without an engine, the workers' ``reported`` numbers)
    passes it instead of having it read again."""
    engine_states: dict[str, tuple[str, str | None]] = {}
    workers: Mapping[str, Mapping[str, Any]] = {}
    if service.engine is None:
        workers = reported if reported is not None else live_camera_stats(service.db)
    else:
        current = snapshot if snapshot is not None else service.engine.metrics.snapshot()
        engine_states = {
            camera.camera_id: (camera.state, camera.last_error) for camera in current.cameras
        }
    failures = service.reconciler.failures if service.reconciler is not None else {}
    running = service.reconciler.running if service.reconciler is not None else frozenset()
    states: dict[str, tuple[str, str | None]] = {}
    for stored in service.fleet.list_cameras():
        camera_id = stored.camera.id
        if not stored.enabled:
            states[camera_id] = ("disabled", None)
        elif camera_id in failures:
            states[camera_id] = ("failed", failures[camera_id])
        elif service.engine is None:
            heartbeat = workers.get(camera_id)
            states[camera_id] = (
                ("unassigned", None) if heartbeat is None
                else (str(heartbeat.get("state")), heartbeat.get("last_error"))
            )
        elif camera_id in running and camera_id in engine_states:
            states[camera_id] = engine_states[camera_id]
        else:
            states[camera_id] = ("pending", None)
    return states
