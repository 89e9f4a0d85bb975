"""The bench profile: what ``camfleet bench --json PATH`` writes and the planner reads.

Schema ``camfleet.bench/1`` (JSON). Unknown keys are ignored so newer bench versions can add
fields; the fields the planner relies on are validated, and a bad one fails with one line that
names the file and the field, e.g. ``bench.json: modes.shared.capacity: Input should be greater
than or equal to 0 (got -1)``.

    {
      "schema": "camfleet.bench/1",
      "created_at": "2026-11-25T14:00:00Z",
      "command": "camfleet bench --model ... --json bench.json",
      "machine": "2-core Intel Xeon @ 2.2 GHz, 24 GiB, no GPU",
      "device": {"kind": "gpu", "name": "Tesla T4", "count": 1, "memory_gb": 15.0},
      "cpu": {"model": "...", "cores": 4, "memory_gb": 16.0},
      "provider": "cuda",
      "model": "fall-yolov8s-dynamic.onnx", "model_family": "yolov8s",
      "camera": {"width": 1280, "height": 720, "fps": 15},
      "source": "reference",
      "analyze_fps": 2.0, "slo_ms": 500.0, "duration_s": 60.0, "gating": false,
      "ceiling_img_s": 93.1,
      "decode": {"ms_per_frame": 1.9, "cameras_per_core": 35.0},
      "modes": {"shared": {"capacity": 40, "p50_ms": 120.0, "p99_ms": 410.0, "img_s": 80.0,
                           "shed_pct": 0.2, "rss_mb": 900.0, "rss_mb_per_camera": 4.0,
                           "gating": false},
                "timeslice": {...}, "shared_gated": {...}, "timeslice_gated": {...}}
    }

``measured`` is false for a profile written by ``camfleet simulate`` (absent, it is true: every
older profile was measured); plans from it are labelled ``simulated``, and its ``assumptions``
list says what the simulator assumed. ``capacity`` is per device of ``device.name`` (per GPU
for GPU profiles; for CPU profiles the whole ``cpu.cores`` machine). ``NaN`` (what Python's
json writes for a metric with no samples) reads as not measured. ``decode.cameras_per_core``
is reference cameras decoded at their full frame rate per CPU core; ``null`` when the bench
did not measure it.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from camfleet.documents import load_document, validate_document

__all__ = [
    "PROFILE_SCHEMA",
    "BenchProfile",
    "CameraSpec",
    "CpuInfo",
    "DecodeCost",
    "DeviceInfo",
    "ModeResult",
    "load_profile",
    "parse_profile",
]

PROFILE_SCHEMA = "camfleet.bench/1"

NonNegative = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _nan_means_not_measured(cls, data: Any) -> Any:
        # Python's json writes float("nan") as NaN; a metric without samples is "not measured".
        if isinstance(data, dict):
            return {
                k: None if isinstance(v, float) and math.isnan(v) else v for k, v in data.items()
            }
        return data


class DeviceInfo(_Lenient):
    """The accelerator (or CPU) the capacity was measured on."""

    kind: Literal["cpu", "gpu"]
    name: str = Field(min_length=1)
    count: Annotated[int, Field(ge=1)] = 1
    memory_gb: NonNegative | None = None


class CpuInfo(_Lenient):
    """The host CPU; ``cores`` counts logical CPUs (what AWS calls vCPUs)."""

    model: str = ""
    cores: Annotated[int, Field(ge=1)]
    memory_gb: NonNegative | None = None


class CameraSpec(_Lenient):
    """The camera stream the bench emulated."""

    width: Annotated[int, Field(gt=0)]
    height: Annotated[int, Field(gt=0)]
    fps: Positive | None = None


class DecodeCost(_Lenient):
    """Decode cost of one camera at its full frame rate."""

    ms_per_frame: NonNegative
    cameras_per_core: Positive


class ModeResult(_Lenient):
    """The capacity search result for one mode."""

    capacity: Annotated[int, Field(ge=0)]
    p50_ms: NonNegative | None = None
    p99_ms: NonNegative | None = None
    img_s: NonNegative | None = None
    shed_pct: Annotated[float, Field(ge=0.0, le=100.0)] | None = None
    rss_mb: NonNegative | None = None
    rss_mb_per_camera: NonNegative | None = None
    gating: bool = False


class BenchProfile(_Lenient):
    """A measured capacity profile (``camfleet.bench/1``)."""

    schema_id: Literal["camfleet.bench/1"] = Field(alias="schema")
    measured: bool = True
    assumptions: list[str] = Field(default_factory=list)
    created_at: str = ""
    command: str = ""
    machine: str = ""
    device: DeviceInfo
    cpu: CpuInfo
    provider: Literal["cpu", "cuda", "tensorrt", "openvino"]
    model: str = Field(min_length=1)
    model_family: str = ""
    camera: CameraSpec
    source: str = ""
    analyze_fps: Positive
    slo_ms: Positive
    duration_s: NonNegative = 0.0
    gating: bool = False
    ceiling_img_s: NonNegative | None = None
    decode: DecodeCost | None = None
    modes: dict[str, ModeResult] = Field(min_length=1)

    @field_validator("modes")
    @classmethod
    def _known_mode_names(cls, modes: dict[str, ModeResult]) -> dict[str, ModeResult]:
        known = {"shared", "timeslice", "shared_gated", "timeslice_gated"}
        unknown = sorted(set(modes) - known)
        if unknown:
            raise ValueError(f"unknown mode {unknown[0]!r}; expected some of {sorted(known)}")
        return modes


def parse_profile(data: object, origin: str = "bench profile") -> BenchProfile:
    """Validate an already-parsed profile; ``origin`` names it in error messages."""
    return validate_document(BenchProfile, data, origin)


def load_profile(path: Path) -> BenchProfile:
    """Read and validate a bench profile (JSON, or YAML for hand-written ones)."""
    return parse_profile(load_document(path, "bench profile"), origin=str(path))
