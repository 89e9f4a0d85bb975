"""A camera's state as the API reports it: from the stored flag, the reconciler and the engine.

``disabled``; ``failed`` (the engine could not start it: the reason is in ``last_error``);
the source state from the engine's metrics (``starting``, ``streaming``, ``reconnecting``...);
``pending`` (enabled, not running yet). With ``--no-engine`` the state is the one the live
worker running the camera reported in its last heartbeat, or ``unassigned`` while no live
worker runs it.
"""

from __future__ import annotations

from typing import Any

from camfleet.api.service import Service
from camfleet.cluster.heartbeat import live_camera_stats

__all__ = ["camera_states"]


def camera_states(service: Service) -> dict[str, tuple[str, str | None]]:
    """Camera id -> (state, last error) for every stored camera."""
    engine_states: dict[str, tuple[str, str | None]] = {}
    workers: dict[str, dict[str, Any]] = {}
    if service.engine is None:
        workers = live_camera_stats(service.db)
    else:
        engine_states = {
            camera.camera_id: (camera.state, camera.last_error)
            for camera in service.engine.metrics.snapshot().cameras
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
            reported = workers.get(camera_id)
            states[camera_id] = (
                ("unassigned", None) if reported is None
                else (str(reported.get("state")), reported.get("last_error"))
            )
        elif camera_id in running and camera_id in engine_states:
            states[camera_id] = engine_states[camera_id]
        else:
            states[camera_id] = ("pending", None)
    return states
