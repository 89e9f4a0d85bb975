"""A camera's state as the API reports it: from the stored flag, the reconciler and the engine.

``disabled``; ``failed`` (the engine could not start it: the reason is in ``last_error``);
the source state from the engine's metrics (``starting``, ``streaming``, ``reconnecting``...);
``pending`` (enabled, not running yet); or ``unmanaged`` (``--no-engine``: workers run it).
"""

from __future__ import annotations

from camfleet.api.service import Service

__all__ = ["camera_states"]


def camera_states(service: Service) -> dict[str, tuple[str, str | None]]:
    """Camera id -> (state, last error) for every stored camera."""
    engine_states: dict[str, tuple[str, str | None]] = {}
    if service.engine is not None:
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
            states[camera_id] = ("unmanaged", None)
        elif camera_id in running and camera_id in engine_states:
            states[camera_id] = engine_states[camera_id]
        else:
            states[camera_id] = ("pending", None)
    return states
