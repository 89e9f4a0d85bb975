"""Live numbers from the engine's metrics, shaped for ``/stats`` and ``/cameras/{id}/stats``.

Reads the Metrics contract of INTERFACES.md: ``CameraSnapshot.fps_in``/``fps_analysed``/
``committed_p50_ms``/``committed_p99_ms`` and ``FleetSnapshot.models``; a snapshot without
those fields (an older engine) gives rates from the counters and nulls for the rest.
"""

from __future__ import annotations

import math
from typing import Any

from camfleet.api.schemas import CameraStats, FleetStats, ModelStats
from camfleet.api.service import Service
from camfleet.api.states import camera_states
from camfleet.cluster.heartbeat import live_camera_stats
from camfleet.engine.metrics import FleetSnapshot

__all__ = ["camera_stats", "fleet_stats"]


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _rate(snapshot_camera: Any, field: str, count: int, elapsed_s: float) -> float | None:
    value = getattr(snapshot_camera, field, None)
    if value is not None:
        return _finite(value)
    return count / elapsed_s if elapsed_s > 0 else None


def _reported(
    camera_id: str, state: str, error: str | None, numbers: dict[str, Any]
) -> CameraStats:
    """A camera's numbers as its worker reported them in its last heartbeat."""
    return CameraStats(
        camera_id=camera_id, state=state, last_error=error,
        fps_in=_finite(numbers.get("fps_in")), fps_analysed=_finite(numbers.get("fps_analysed")),
        **{k: int(numbers.get(k) or 0) for k in ("sampled", "gated", "analysed", "shed",
                                                  "dropped")},
        p50_ms=_finite(numbers.get("p50_ms")), p99_ms=_finite(numbers.get("p99_ms")),
        committed_p50_ms=_finite(numbers.get("committed_p50_ms")),
        committed_p99_ms=_finite(numbers.get("committed_p99_ms")),
        worker=numbers.get("worker"),
    )


def camera_stats(service: Service, snapshot: FleetSnapshot | None = None) -> list[CameraStats]:
    """Every stored camera, with zeros for those no engine runs. With ``--no-engine`` the
    numbers are those of the workers' last heartbeats."""
    if snapshot is None and service.engine is not None:
        snapshot = service.engine.metrics.snapshot()
    reported = live_camera_stats(service.db) if service.engine is None else {}
    states = camera_states(service, snapshot, reported)
    by_id = {c.camera_id: c for c in snapshot.cameras} if snapshot is not None else {}
    elapsed = snapshot.elapsed_s if snapshot is not None else 0.0
    result = []
    for camera_id, (state, error) in sorted(states.items()):
        live = by_id.get(camera_id)
        if camera_id in reported:
            result.append(_reported(camera_id, state, error, reported[camera_id]))
            continue
        if live is None:
            result.append(CameraStats(
                camera_id=camera_id, state=state, last_error=error, fps_in=None,
                fps_analysed=None, sampled=0, gated=0, analysed=0, shed=0, dropped=0,
                p50_ms=None, p99_ms=None, committed_p50_ms=None, committed_p99_ms=None,
            ))
            continue
        result.append(CameraStats(
            camera_id=camera_id, state=state, last_error=error,
            fps_in=_rate(live, "fps_in", live.sampled, elapsed),
            fps_analysed=_rate(live, "fps_analysed", live.analysed, elapsed),
            sampled=live.sampled, gated=live.gated, analysed=live.analysed, shed=live.shed,
            dropped=live.dropped, p50_ms=_finite(live.p50_ms), p99_ms=_finite(live.p99_ms),
            committed_p50_ms=_finite(getattr(live, "committed_p50_ms", None)),
            committed_p99_ms=_finite(getattr(live, "committed_p99_ms", None)),
        ))
    return result


def _model_stats(model: Any) -> ModelStats:
    return ModelStats(
        model_id=str(model.model_id), images=int(model.images),
        images_per_s=_finite(model.images_per_s),
        batch_histogram={str(size): int(n) for size, n in dict(model.batch_histogram).items()},
        queue_depth=int(model.queue_depth),
        p50_inference_ms=_finite(getattr(model, "p50_inference_ms", None)),
        p99_inference_ms=_finite(getattr(model, "p99_inference_ms", None)),
    )


def fleet_stats(service: Service) -> FleetStats:
    if service.engine is None:
        return FleetStats(
            engine=False, elapsed_s=0.0, cameras=camera_stats(service), models=[],
            latency_p50_ms=None, latency_p99_ms=None, mean_batch=None,
        )
    snapshot = service.engine.metrics.snapshot()  # once: percentiles are not free
    cameras = camera_stats(service, snapshot)
    return FleetStats(
        engine=True, elapsed_s=snapshot.elapsed_s, cameras=cameras,
        models=[_model_stats(m) for m in getattr(snapshot, "models", ())],
        latency_p50_ms=_finite(snapshot.latency_p50_ms),
        latency_p99_ms=_finite(snapshot.latency_p99_ms),
        mean_batch=_finite(snapshot.mean_batch),
    )
