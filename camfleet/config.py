"""The fleet schema: cameras, models and runtime, loaded from YAML and validated once.

Errors name the field and the fix, e.g.
``fleet.yaml: cameras[1].analyze_fps: Input should be greater than 0 (got -2)``.
Nothing deeper in the code re-validates the config or reads environment variables. The
analytics part (zones, lines, rules, webhooks) lives in :mod:`camfleet.analytics.schema` and is
re-exported here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from camfleet.analytics.schema import (
    LineConfig,
    RuleConfig,
    WebhookConfig,
    ZoneConfig,
    check_camera_analytics,
)
from camfleet.documents import load_document, validation_message
from camfleet.errors import ConfigError

__all__ = [
    "CameraConfig",
    "FleetConfig",
    "ModelConfig",
    "MotionConfig",
    "Provider",
    "RuntimeConfig",
    "StoreConfig",
    "WebhookConfig",
    "default_max_batch",
    "load_fleet",
    "parse_fleet",
    "runs_on_cpu",
]

Provider = Literal["cpu", "cuda", "tensorrt", "openvino"]
# FFmpeg hardware device types a camera may decode on (where the FFmpeg build has them).
HwAccel = Literal["cuda", "vaapi", "qsv", "videotoolbox", "d3d11va", "dxva2", "drm", "vulkan"]
_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelConfig(_Strict):
    """One detector: an Ultralytics-exported ONNX file and how to run it."""

    path: str = Field(
        "bundled:fall-yolov8s-dynamic.onnx",
        description="ONNX file path, or bundled:NAME for a model shipped in the package",
    )
    provider: Provider = Field("cpu", description="ONNX Runtime execution provider")
    conf: Annotated[float, Field(ge=0.0, le=1.0)] = 0.25
    iou: Annotated[float, Field(gt=0.0, le=1.0)] = 0.7
    classes: list[str] | None = Field(None, description="keep only these class names")
    max_batch: Annotated[int, Field(ge=1, le=256)] | None = Field(
        None,
        description="largest cross-camera batch; default 1 on CPU (batching adds latency "
        "there without adding throughput) and 32 on a GPU",
    )
    max_det: Annotated[int, Field(ge=1, le=10000)] = 300
    input_format: Literal["uint8", "float"] = Field(
        "uint8",
        description="uint8: letterboxed BGR bytes go to the device and the graph converts them "
        "(4x fewer bytes); float: the host converts to float32 NCHW first",
    )
    imgsz: Annotated[int, Field(ge=32, le=4096)] | None = Field(
        None, description="inference size; default: the model's own (ONNX metadata)"
    )


    @property
    def batch_limit(self) -> int:
        """``max_batch``, or the provider's default."""
        if self.max_batch is not None:
            return self.max_batch
        return default_max_batch(self.provider)


def runs_on_cpu(provider: str) -> bool:
    """Whether ``provider`` computes on the host's CPU cores (OpenVINO's default device)."""
    return provider in ("cpu", "openvino")


def default_max_batch(provider: str) -> int:
    """Measured: on a CPU a batch costs its images' sum; on a GPU it is the main lever."""
    return 1 if runs_on_cpu(provider) else 32


class MotionConfig(_Strict):
    """Frame-differencing gate: skip inference while the scene is still."""

    enabled: bool = True
    sensitivity: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        0.5, description="higher finds smaller motion; 0.5 suits typical CCTV"
    )
    keepalive_s: Annotated[float, Field(gt=0.0)] = Field(
        10.0, description="analyse a still scene at least this often (seconds)"
    )


class CameraConfig(_Strict):
    """One camera: where frames come from and what to run on them."""

    id: Annotated[str, Field(pattern=_ID_PATTERN)]
    source: str = Field(description="video file, rtsp://, http(s):// or synthetic:WxH@FPS")
    detect_source: str | None = Field(
        None,
        description="a low-resolution substream to analyse instead of source (as Frigate's "
        "roles: [detect]); snapshots still come from source",
    )
    hwaccel: HwAccel | None = Field(
        None, description="decode on this FFmpeg hardware device (e.g. cuda); off by default"
    )
    analyze_fps: Annotated[float, Field(gt=0.0, le=120.0)] = 2.0
    models: list[str] = Field(default_factory=lambda: ["default"], min_length=1)
    roi: tuple[float, float, float, float] | None = Field(
        None, description="region of interest x1,y1,x2,y2 as fractions of the frame (0..1)"
    )
    motion: MotionConfig = MotionConfig()
    loop: bool = Field(True, description="restart a file source at its end (live emulation)")
    realtime: bool = Field(True, description="pace a file source at its native frame rate")
    frame_size: tuple[int, int] | None = Field(
        None, description="W,H in pixels; needed by zones and lines given in pixel coordinates"
    )
    zones: list[ZoneConfig] = Field(default_factory=list)
    lines: list[LineConfig] = Field(default_factory=list)
    rules: list[RuleConfig] = Field(default_factory=list)

    @field_validator("roi")
    @classmethod
    def _roi_inside_frame(
        cls, roi: tuple[float, float, float, float] | None
    ) -> tuple[float, float, float, float] | None:
        if roi is None:
            return roi
        x1, y1, x2, y2 = roi
        if not (0.0 <= x1 < x2 <= 1.0 and 0.0 <= y1 < y2 <= 1.0):
            raise ValueError(
                f"roi {list(roi)} must satisfy 0 <= x1 < x2 <= 1 and 0 <= y1 < y2 <= 1"
            )
        return roi

    @property
    def analysed_source(self) -> str:
        """The stream analysis decodes: ``detect_source`` when given, else ``source``."""
        return self.detect_source or self.source

    @model_validator(mode="after")
    def _hwaccel_needs_video(self) -> CameraConfig:
        if self.hwaccel and self.analysed_source.startswith(("synthetic:", "reference:")):
            raise ValueError(
                f"hwaccel {self.hwaccel!r} needs a decoded video source, but "
                f"{self.analysed_source!r} is generated; remove hwaccel"
            )
        return self

    @model_validator(mode="after")
    def _analytics_consistent(self) -> CameraConfig:
        check_camera_analytics(self)
        return self


class RuntimeConfig(_Strict):
    """How the fleet runs on this device."""

    mode: Literal["shared", "timeslice"] = Field(
        "shared", description="shared: one engine batches all cameras; timeslice: a worker each"
    )
    slo_ms: Annotated[float, Field(gt=0.0)] = 500.0
    device_id: Annotated[int, Field(ge=0)] = Field(0, description="GPU index for cuda/tensorrt")
    max_wait_ms: Annotated[float, Field(ge=0.0)] | None = Field(
        None, description="cap on batch collection wait; default: derived from the SLO"
    )
    threads: Annotated[int, Field(ge=1)] | None = Field(
        None, description="ONNX Runtime intra-op threads; default: all cores"
    )
    queue_per_camera: Annotated[int, Field(ge=1, le=64)] = 2
    inference_workers: Annotated[int, Field(ge=1, le=16)] | None = Field(
        None,
        description=(
            "shared mode: batches of one model run at once on its one session; default: "
            "2 on a GPU, one per physical core (at most 4) on a CPU"
        ),
    )


class StoreConfig(_Strict):
    """Where events, counts and snapshots are kept."""

    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default sqlite:///<data_dir>/camfleet.db"
    )
    data_dir: str = Field("camfleet-data", description="snapshots and the default SQLite file")
    retention_days: Annotated[float, Field(gt=0.0)] = 30.0
    snapshot_budget_mb: Annotated[float, Field(gt=0.0)] = 1024.0
    buffer_size: Annotated[int, Field(ge=10)] = 10000
    snapshot_store: str | None = Field(
        None, description="s3://bucket/prefix or a directory; default <data_dir>/snapshots"
    )


class FleetConfig(_Strict):
    """A whole fleet: the schema of ``fleet.yaml``."""

    models: dict[str, ModelConfig] = Field(default_factory=lambda: {"default": ModelConfig()})
    cameras: list[CameraConfig] = Field(min_length=1)
    runtime: RuntimeConfig = RuntimeConfig()
    store: StoreConfig = StoreConfig()

    @field_validator("models")
    @classmethod
    def _model_ids_valid(cls, models: dict[str, ModelConfig]) -> dict[str, ModelConfig]:
        for model_id in models:
            if not re.match(_ID_PATTERN, model_id):
                raise ValueError(f"model id {model_id!r} must match {_ID_PATTERN}")
        if not models:
            raise ValueError("at least one model is required")
        return models

    @model_validator(mode="after")
    def _cameras_reference_known_models(self) -> FleetConfig:
        seen: set[str] = set()
        for camera in self.cameras:
            if camera.id in seen:
                raise ValueError(f"camera id {camera.id!r} is used twice; ids must be unique")
            seen.add(camera.id)
            unknown = [m for m in camera.models if m not in self.models]
            if unknown:
                raise ValueError(
                    f"camera {camera.id!r} uses unknown model {unknown[0]!r}; "
                    f"defined models: {sorted(self.models)}"
                )
        return self


def parse_fleet(data: Any, origin: str = "fleet config") -> FleetConfig:
    """Validate an already-parsed mapping; ``origin`` names it in error messages."""
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: expected a mapping with 'cameras', got {type(data).__name__}")
    try:
        return FleetConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(validation_message(origin, exc)) from exc


def load_fleet(path: Path) -> FleetConfig:
    """Read and validate a fleet YAML file."""
    return parse_fleet(load_document(path, "fleet config"), origin=str(path))
