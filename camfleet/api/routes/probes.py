"""``/healthz`` and ``/readyz`` (no key: Kubernetes probes them) and ``/metrics`` (a key)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from camfleet.api.auth import require_key, service_of
from camfleet.api.schemas import ERROR_RESPONSES
from camfleet.errors import CamfleetError

__all__ = ["router"]

router = APIRouter(tags=["probes"], responses=ERROR_RESPONSES)


@router.get("/healthz", summary="Alive: the engine made progress recently (or no engine)")
def healthz(request: Request) -> JSONResponse:
    service = service_of(request)
    engine = service.engine
    if engine is None or not service.engine_started.is_set() or not engine.camera_ids():
        return JSONResponse({"status": "ok"})
    age = engine.last_progress_age_s()
    if age > service.stall_limit_s:
        return JSONResponse(
            {"status": "stalled", "detail": f"no pipeline progress for {age:.0f} s "
             f"(limit {service.stall_limit_s:.0f} s)"}, status_code=503,
        )
    return JSONResponse({"status": "ok", "last_progress_age_s": round(age, 3)})


@router.get("/readyz", summary="Ready: engine started (unless --no-engine), database reachable")
def readyz(request: Request) -> JSONResponse:
    service = service_of(request)
    if service.engine is not None and not service.engine_started.is_set():
        return JSONResponse({"status": "starting", "detail": "engine not started yet"}, 503)
    try:
        service.db.check()
    except CamfleetError as exc:
        return JSONResponse({"status": "unavailable", "detail": str(exc)}, 503)
    return JSONResponse({"status": "ok"})


@router.get(
    "/metrics", dependencies=[Depends(require_key)], response_class=Response,
    responses={200: {"content": {"text/plain": {}}}}, summary="Prometheus metrics",
)
def metrics(request: Request) -> Response:
    service = service_of(request)
    body = generate_latest(request.app.state.api_metrics.registry)
    if service.engine is not None:
        body = generate_latest(service.engine.metrics.registry) + body
    return Response(body, media_type=CONTENT_TYPE_LATEST)
