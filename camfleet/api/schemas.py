"""Request and response bodies. Cameras and models are the YAML's own pydantic models (one
schema, two doors); these wrap them with what the service adds (state, revision, times)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from camfleet.config import CameraConfig, ModelConfig

__all__ = [
    "ERROR_RESPONSES",
    "CameraOut",
    "CameraStats",
    "CameraTest",
    "CameraTestResult",
    "CountOut",
    "ErrorOut",
    "EventOut",
    "EventPage",
    "FleetStats",
    "ModelCreate",
    "ModelOut",
    "ModelStats",
    "PlanOut",
]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorOut(BaseModel):
    """Every error: one line naming the thing and the fix."""

    detail: str


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": description}
    for status, description in (
        (400, "a body that cannot be decoded (not UTF-8 JSON)"),
        (401, "no key, or a wrong or revoked one"),
        (403, "a read-only key on a method that changes something"),
        (404, "unknown id"),
        (409, "the id is taken, or the change would break other objects"),
        (413, "request body over 1 MiB"),
        (422, "invalid input: the detail names the field and the fix"),
        (503, "database unreachable, or no engine / frame yet"),
    )
}


class CameraOut(_Out):
    id: str
    enabled: bool
    state: str = Field(
        description="disabled, failed, pending, unassigned (--no-engine, no live worker runs "
        "it) or the source state"
    )
    last_error: str | None
    revision: int
    created_at: datetime
    updated_at: datetime
    config: CameraConfig = Field(description="source password and webhook secrets masked")


class CameraTest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: Annotated[str, Field(min_length=1, max_length=4096)]
    timeout_s: Annotated[float, Field(gt=0.0, le=30.0)] = 10.0


class CameraTestResult(_Out):
    width: int
    height: int
    fps: float | None = Field(description="the stream's own frame rate, when it states one")


class ModelCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")]
    config: ModelConfig = ModelConfig()


class ModelOut(_Out):
    id: str
    revision: int
    updated_at: datetime
    config: ModelConfig
    classes: dict[str, str] | None = Field(
        description="class id -> name from the ONNX metadata; null when the file is unreadable"
    )


class EventOut(_Out):
    event_id: str
    camera_id: str
    model_id: str
    rule_id: str
    kind: str
    class_name: str
    region: str | None
    track_ids: list[int]
    started_at: datetime
    ended_at: datetime | None
    duration_s: float | None
    max_confidence: float
    attributes: dict[str, Any]
    has_snapshot: bool


class EventPage(_Out):
    items: list[EventOut]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null: done")


class CountOut(_Out):
    camera_id: str
    region: str
    class_name: str
    bucket_start: datetime | None
    count_in: int
    count_out: int
    present: int


class CameraStats(_Out):
    camera_id: str
    state: str
    last_error: str | None
    fps_in: float | None = Field(description="frames sampled per second over the window")
    fps_analysed: float | None = Field(description="frames analysed per second over the window")
    sampled: int
    gated: int
    analysed: int
    shed: int
    dropped: int
    p50_ms: float | None = Field(description="capture-to-result latency")
    p99_ms: float | None
    committed_p50_ms: float | None = Field(description="capture-to-committed latency")
    committed_p99_ms: float | None
    worker: str | None = Field(
        None, description="--no-engine: the worker that runs the camera (its last heartbeat)"
    )


class ModelStats(_Out):
    model_id: str
    images: int
    images_per_s: float | None
    batch_histogram: dict[str, int]
    queue_depth: int
    p50_inference_ms: float | None
    p99_inference_ms: float | None


class FleetStats(_Out):
    engine: bool = Field(description="false with --no-engine: numbers come from workers")
    elapsed_s: float
    cameras: list[CameraStats]
    models: list[ModelStats]
    latency_p50_ms: float | None
    latency_p99_ms: float | None
    mean_batch: float | None


class PlanOut(_Out):
    available: bool
    reason: str | None = None
    instance: str | None = None
    cameras: int | None = None
    usd_per_camera_month: float | None = None
    cameras_per_instance: int | None = None
    instances: int | None = None
    monthly_usd: float | None = None
    basis: str | None = None
    notes: list[str] = Field(default_factory=list)
