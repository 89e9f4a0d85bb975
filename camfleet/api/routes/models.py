"""``/api/v1/models``: detectors cameras can name. Registering a file that is not a YOLOv8
detection export is refused with the loader's one-line reason."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool

from camfleet.api.auth import require_key, service_of
from camfleet.api.schemas import ERROR_RESPONSES, ModelCreate, ModelOut
from camfleet.control.repository import StoredModel
from camfleet.control.repository import model_class_names as class_names
from camfleet.errors import CamfleetError

__all__ = ["router"]

router = APIRouter(
    prefix="/api/v1/models", tags=["models"], dependencies=[Depends(require_key)],
    responses=ERROR_RESPONSES,
)


def _out(stored: StoredModel) -> ModelOut:
    try:
        names: dict[str, str] | None = {
            str(k): v for k, v in class_names(stored.model).items()
        }
    except CamfleetError:
        names = None
    return ModelOut(
        id=stored.model_id, revision=stored.revision, updated_at=stored.updated_at,
        config=stored.model, classes=names,
    )


@router.get("", response_model=list[ModelOut], summary="List models")
def list_models(request: Request) -> list[ModelOut]:
    return [_out(stored) for stored in service_of(request).fleet.list_models()]


@router.post("", response_model=ModelOut, status_code=201, summary="Register a model file")
async def create_model(request: Request, body: ModelCreate) -> ModelOut:
    await run_in_threadpool(class_names, body.config)  # refuses what the loader refuses
    stored = await run_in_threadpool(service_of(request).fleet.create_model, body.id, body.config)
    return _out(stored)


@router.get("/{model_id}", response_model=ModelOut, summary="One model")
def get_model(request: Request, model_id: str) -> ModelOut:
    return _out(service_of(request).fleet.get_model(model_id))


@router.delete("/{model_id}", status_code=204, summary="Delete a model no camera uses")
def delete_model(request: Request, model_id: str) -> Response:
    service_of(request).fleet.delete_model(model_id)
    return Response(status_code=204)
