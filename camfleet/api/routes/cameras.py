"""``/api/v1/cameras``: the stored fleet's cameras, their live frame and stats, and a test of a
source before saving it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from camfleet.api.auth import require_key, service_of
from camfleet.api.probe import probe_source
from camfleet.api.schemas import (
    ERROR_RESPONSES,
    CameraOut,
    CameraStats,
    CameraTest,
    CameraTestResult,
)
from camfleet.api.service import Service
from camfleet.api.states import camera_states
from camfleet.api.stats import camera_stats
from camfleet.config import CameraConfig
from camfleet.control.errors import NotFoundError
from camfleet.control.repository import StoredCamera, parse_camera
from camfleet.control.secrets import mask_camera, restore_secrets
from camfleet.errors import ConfigError

__all__ = ["router"]

router = APIRouter(
    prefix="/api/v1/cameras", tags=["cameras"], dependencies=[Depends(require_key)],
    responses=ERROR_RESPONSES,
)

def _out(
    service: Service,
    stored: StoredCamera,
    states: dict[str, tuple[str, str | None]] | None = None,
) -> CameraOut:
    states = states if states is not None else camera_states(service)
    state, error = states.get(stored.camera.id, ("pending", None))
    return CameraOut(
        id=stored.camera.id, enabled=stored.enabled, state=state, last_error=error,
        revision=stored.revision, created_at=stored.created_at, updated_at=stored.updated_at,
        config=CameraConfig.model_validate(mask_camera(stored.camera)),
    )


@router.get("", response_model=list[CameraOut], summary="List cameras")
def list_cameras(request: Request) -> list[CameraOut]:
    service = service_of(request)
    states = camera_states(service)
    return [_out(service, stored, states) for stored in service.fleet.list_cameras()]


@router.post("", response_model=CameraOut, status_code=201, summary="Create a camera")
def create_camera(
    request: Request, camera: CameraConfig, enabled: bool = True
) -> CameraOut:
    service = service_of(request)
    checked = parse_camera(restore_secrets(camera.model_dump(mode="json"), None), "body")
    return _out(service, service.fleet.create_camera(checked, enabled=enabled))


@router.post("/test", response_model=CameraTestResult, summary="Open a source; nothing saved")
async def test_camera(test: CameraTest) -> CameraTestResult:
    result = await run_in_threadpool(probe_source, test.source, test.timeout_s)
    return CameraTestResult(width=result.width, height=result.height, fps=result.fps)


@router.get("/{camera_id}", response_model=CameraOut, summary="One camera")
def get_camera(request: Request, camera_id: str) -> CameraOut:
    service = service_of(request)
    return _out(service, service.fleet.get_camera(camera_id))


@router.put("/{camera_id}", response_model=CameraOut, summary="Replace a camera")
def replace_camera(request: Request, camera_id: str, camera: CameraConfig) -> CameraOut:
    service = service_of(request)
    if camera.id != camera_id:
        raise ConfigError(
            f"body.id: {camera.id!r} differs from the camera in the path ({camera_id!r}); "
            "ids cannot change: create a new camera and delete this one"
        )
    stored = service.fleet.get_camera(camera_id)
    data = restore_secrets(camera.model_dump(mode="json"), stored.camera)
    return _out(service, service.fleet.update_camera(parse_camera(data, "body")))


@router.patch("/{camera_id}", response_model=CameraOut, summary="Change some fields")
def patch_camera(
    request: Request,
    camera_id: str,
    changes: Annotated[dict[str, Any], Body(description="CameraConfig fields to change")],
) -> CameraOut:
    service = service_of(request)
    if "id" in changes and changes["id"] != camera_id:
        raise ConfigError(
            "body.id: ids cannot change; create a new camera and delete this one"
        )
    stored = service.fleet.get_camera(camera_id)
    merged = {**mask_camera(stored.camera), **changes}
    data = restore_secrets(merged, stored.camera)
    return _out(service, service.fleet.update_camera(parse_camera(data, "body")))


@router.delete("/{camera_id}", status_code=204, summary="Delete a camera")
def delete_camera(request: Request, camera_id: str) -> Response:
    service_of(request).fleet.delete_camera(camera_id)
    return Response(status_code=204)


@router.post("/{camera_id}/enable", response_model=CameraOut, summary="Start a camera")
def enable_camera(request: Request, camera_id: str) -> CameraOut:
    service = service_of(request)
    return _out(service, service.fleet.set_camera_enabled(camera_id, True))


@router.post("/{camera_id}/disable", response_model=CameraOut, summary="Stop a camera")
def disable_camera(request: Request, camera_id: str) -> CameraOut:
    service = service_of(request)
    return _out(service, service.fleet.set_camera_enabled(camera_id, False))


@router.get(
    "/{camera_id}/frame.jpg",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}, 503: {"description": "no frame yet"}},
    summary="The latest analysed frame, annotated",
)
def camera_frame(request: Request, camera_id: str) -> Response:
    service = service_of(request)
    service.fleet.get_camera(camera_id)
    if service.engine is None:
        return _no_frame("this service runs without an engine (--no-engine); frames live on "
                         "the workers")
    jpeg = service.engine.latest_frame_jpeg(camera_id)
    if jpeg is None:
        return _no_frame(f"camera {camera_id!r} has no analysed frame yet; retry in a second")
    return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "no-store"})


@router.get("/{camera_id}/stats", response_model=CameraStats, summary="One camera's numbers")
def one_camera_stats(request: Request, camera_id: str) -> CameraStats:
    service = service_of(request)
    service.fleet.get_camera(camera_id)
    for stats in camera_stats(service):
        if stats.camera_id == camera_id:
            return stats
    raise NotFoundError(f"camera {camera_id!r} has no stats")


def _no_frame(reason: str) -> Response:
    return JSONResponse({"detail": reason}, status_code=503, headers={"Retry-After": "1"})
