"""The device model: seconds per batch, how runs share the device, and what the host adds.

Built from a measured bench profile (:func:`device_from_profile`) or from a published curve
(:func:`published_device`). Every number that is not a measurement is listed in
``assumptions`` so the simulator can print it next to its result.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from camfleet.errors import ConfigError

__all__ = [
    "PUBLISHED_MS_PER_IMAGE",
    "DeviceModel",
    "device_from_profile",
    "published_device",
    "sigma_from_percentiles",
]

# Ultralytics' published YOLOv8 table: T4, TensorRT 10 (FP16), ms per image at batch 1.
_T4_MS = {"yolov8n": 1.47, "yolov8s": 2.66}
# Relative inference throughput against a T4: the planner catalog's published estimates.
_RELATIVE_TO_T4 = {"t4": 1.0, "a10g": 1.8, "l4": 2.0, "h100": 10.0}
_GPU_NAMES = {"t4": "Tesla T4", "a10g": "NVIDIA A10G", "l4": "NVIDIA L4",
              "h100": "NVIDIA H100"}
_GPU_MEMORY_GB = {"t4": 15.0, "a10g": 22.0, "l4": 22.0, "h100": 80.0}
PUBLISHED_MS_PER_IMAGE: dict[tuple[str, str], float] = {
    (gpu, model): ms / rel for gpu, rel in _RELATIVE_TO_T4.items() for model, ms in _T4_MS.items()
}
# Batch scaling of the published curve: t(b) = t1 * (FIXED + (1 - FIXED) * b), i.e. half of
# a batch-of-one's time is per-call overhead that a larger batch amortises.
_FIXED_SHARE = 0.5
_GPU_JITTER = 0.05
_GPU_SWITCH_S = 0.001
_GPU_QUANTUM_S = 0.002
_Z99 = 2.326
# A time-slice pod's own letterbox + postprocess per frame, on one host thread: this CPU's
# timeslice trials measured about 1.5 + 0.5 ms (benchmarks/cpu-yolov8n-2fps-reference.json).
_POD_HOST_S = 0.002


def sigma_from_percentiles(p50: float, p99: float) -> float:
    """Log-normal sigma whose 99th/50th percentile ratio is ``p99 / p50``."""
    if p50 <= 0 or p99 <= p50:
        return 0.0
    return math.log(p99 / p50) / _Z99


@dataclass(frozen=True, slots=True)
class DeviceModel:
    """What the simulator needs to know about one device (and its host).

    ``batch_s``: mean seconds per batch by size, one run alone. ``streams``: runs that overlap
    in shared mode (a CPU's one-thread inference workers). ``jitter``: log-normal sigma of a
    run's time. ``cpu_bound``: inference shares the host cores with decoding (a CPU device).
    ``host_s_per_frame``: host CPU seconds per analysed frame outside the device (time-slice
    pods' pre/post), on up to ``host_threads`` cores at once. ``switch_s``/``quantum_s``: a
    time-sliced context's turn and the cost of switching to the next.
    """

    name: str
    kind: Literal["cpu", "gpu"]
    batch_s: Mapping[int, float]
    max_batch: int
    streams: int
    jitter: float
    host_vcpus: int
    decode_ms_per_camera_s: float
    cpu_bound: bool
    host_s_per_frame: float = 0.0
    host_threads: float = 1.0
    switch_s: float = 0.0
    quantum_s: float = _GPU_QUANTUM_S
    memory_gb: float | None = None
    assumptions: tuple[str, ...] = field(default=())

    @property
    def in_flight(self) -> int:
        """Batches the lane keeps released-or-running (a detector's ``in_flight``: the
        engine's ``max(2, inference workers)``); the ones beyond ``streams`` wait their turn."""
        return max(2, self.streams)

    def batch_seconds(self, size: int) -> float:
        """Mean seconds for a batch of ``size``: linear between known sizes, extended with
        the last segment's slope (or the per-image time when only one size is known)."""
        sizes = sorted(self.batch_s)
        if size in self.batch_s:
            return self.batch_s[size]
        if len(sizes) == 1:
            return self.batch_s[sizes[0]] * size / sizes[0]
        at = bisect.bisect_left(sizes, size)
        low, high = (sizes[-2], sizes[-1]) if at >= len(sizes) else (
            (sizes[0], sizes[1]) if at == 0 else (sizes[at - 1], sizes[at])
        )
        slope = (self.batch_s[high] - self.batch_s[low]) / (high - low)
        return max(1e-6, self.batch_s[low] + slope * (size - low))

    def decode_cores(self, cameras: int) -> float:
        """Host cores that decoding ``cameras`` reference streams keeps busy."""
        return cameras * self.decode_ms_per_camera_s / 1000.0

    def compute_speed(self, cameras: int) -> float:
        """Share of the compute left to inference: on a CPU device decoding takes its cores."""
        if not self.cpu_bound:
            return 1.0
        return max(0.05, 1.0 - self.decode_cores(cameras) / self.host_vcpus)

    def timeslice_parallelism(self) -> int:
        """Contexts that run at once: each core on a CPU, one on a GPU."""
        return self.host_vcpus if self.kind == "cpu" else 1


def _lightest(trials: list[dict[str, Any]]) -> dict[str, Any] | None:
    passing = [t for t in trials if t.get("passed") and t.get("p50_ms") and t.get("p99_ms")]
    return min(passing, key=lambda t: t["cameras"]) if passing else None


def _throughput(
    profile: Mapping[str, Any], ceiling: float, max_batch: int
) -> tuple[float, str]:
    """Images/s the device sustains: the engine's own saturation trial when it ran full
    batches (it includes the engine's host work), else the offline ceiling."""
    saturation = profile.get("saturation") or {}
    img_s, batch = saturation.get("img_s"), saturation.get("mean_batch")
    if img_s and batch and batch >= 0.9 * max_batch:
        return float(img_s), "the measured saturation"
    return ceiling, "the measured offline ceiling"


def device_from_profile(profile: Mapping[str, Any], origin: str = "profile") -> DeviceModel:
    """A device from a bench profile: per-run time from the engine's saturation trial when it
    ran full batches, else the offline ceiling (runs of ``max_batch`` in as many concurrent
    streams as shared mode uses); on a CPU the run-time spread from the lightest passing shared
    trial; decode cost from the profile's decode measurement."""
    try:
        ceiling = float(profile["ceiling_img_s"])
        max_batch = int(profile.get("max_batch") or 1)
        device = profile["device"]
        cores = int(profile["cpu"]["cores"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(
            f"{origin}: not a camfleet.bench/1 profile with ceiling_img_s, device and cpu "
            f"({exc}); pass one written by `camfleet bench --json`"
        ) from exc
    kind: Literal["cpu", "gpu"] = "gpu" if device.get("kind") == "gpu" else "cpu"
    # A CPU runs one-thread inference workers side by side; a GPU executes one batch at a
    # time (its second worker only overlaps copies), so it is one stream at the ceiling.
    streams = min(4, cores) if kind == "cpu" else 1
    throughput, basis = _throughput(profile, ceiling, max_batch)
    per_batch = streams * max_batch / throughput
    shared = profile.get("modes", {}).get("shared", {})
    # On a CPU the lightest passing trial is nearly queue-free, so its p99/p50 is the spread
    # of one run; a GPU's trials queue whole batches, so its spread is assumed instead.
    light = _lightest(shared.get("trials", [])) if kind == "cpu" else None
    jitter = (
        sigma_from_percentiles(light["p50_ms"], light["p99_ms"]) if light else _GPU_JITTER
    )
    decode = profile.get("decode") or {}
    decode_ms = float(decode.get("ms_per_second_of_video") or 0.0)
    assumptions = [
        f"{origin}: {streams} concurrent run(s) of batch {max_batch} at {basis} "
        f"{throughput:.1f} img/s = {per_batch * 1000:.1f} ms per run",
        f"run-time spread: log-normal sigma {jitter:.2f} from the lightest passing shared "
        f"trial's p99/p50" if light else f"run-time spread: log-normal sigma {jitter:g} "
        "(assumed)",
        f"host decode: {decode_ms:.1f} CPU ms per camera-second (the profile's measurement); "
        "it takes cores from inference only where the bench decoded a real video",
    ]
    curve = {max_batch: per_batch}
    if max_batch > 1:
        curve[1] = per_batch / (_FIXED_SHARE + (1 - _FIXED_SHARE) * max_batch)
        assumptions.append(
            f"batch 1 not measured: {curve[1] * 1000:.2f} ms from the batch-scaling model "
            f"t(b) = t1 x ({_FIXED_SHARE:g} + {1 - _FIXED_SHARE:g} b)"
        )
    return DeviceModel(
        name=str(device.get("name") or "measured device"),
        kind=kind,
        batch_s=curve,
        max_batch=max_batch,
        streams=streams,
        jitter=jitter,
        host_vcpus=cores,
        decode_ms_per_camera_s=decode_ms,
        # Generated bench sources (synthetic, the reference scene) decode nothing per camera
        # during the trials: decode competes with inference only for a real video source.
        cpu_bound=kind == "cpu" and not str(profile.get("source", "")).startswith(
            ("synthetic", "reference")
        ),
        memory_gb=device.get("memory_gb"),
        assumptions=tuple(assumptions),
    )


def published_device(
    gpu: str,
    model: str,
    host_vcpus: int = 4,
    decode_ms_per_camera_s: float = 0.0,
    max_batch: int = 32,
    host_s_per_frame: float = _POD_HOST_S,
) -> DeviceModel:
    """A GPU from Ultralytics' published T4 numbers, scaled to other GPUs by the catalog's
    relative throughput, with a stated batch-scaling model."""
    key = (gpu.lower(), model.lower())
    if key not in PUBLISHED_MS_PER_IMAGE:
        known = ", ".join(sorted({g for g, _ in PUBLISHED_MS_PER_IMAGE}))
        raise ConfigError(
            f"no published curve for {model} on {gpu}; --device takes {known} or a bench "
            "profile JSON, --model yolov8n or yolov8s"
        )
    t1 = PUBLISHED_MS_PER_IMAGE[key] / 1000.0
    curve = {1: t1, max_batch: t1 * (_FIXED_SHARE + (1 - _FIXED_SHARE) * max_batch)}
    rel = _RELATIVE_TO_T4[gpu.lower()]
    assumptions = (
        f"published curve: Ultralytics YOLOv8 table, T4 TensorRT10 FP16, {model} "
        f"{_T4_MS[model.lower()]} ms per image at batch 1"
        + ("" if rel == 1.0 else f", divided by {rel:g} (catalog throughput vs T4) for {gpu}"),
        f"batch scaling (a model, not a measurement): t(b) = t1 x ({_FIXED_SHARE:g} + "
        f"{1 - _FIXED_SHARE:g} b), so batch {max_batch} takes "
        f"{curve[max_batch] * 1000:.1f} ms",
        f"run-time spread: log-normal sigma {_GPU_JITTER:g} (assumed)",
        f"time-slicing: {_GPU_QUANTUM_S * 1000:g} ms turns, {_GPU_SWITCH_S * 1000:g} ms per "
        "context switch (assumed)",
        f"host: {host_vcpus} vCPUs, decode {decode_ms_per_camera_s:.1f} CPU ms per "
        f"camera-second; a time-slice pod's pre/post {host_s_per_frame * 1000:g} ms per frame",
    )
    return DeviceModel(
        name=_GPU_NAMES[gpu.lower()],
        kind="gpu",
        batch_s=curve,
        max_batch=max_batch,
        streams=1,
        jitter=_GPU_JITTER,
        host_vcpus=host_vcpus,
        decode_ms_per_camera_s=decode_ms_per_camera_s,
        cpu_bound=False,
        host_s_per_frame=host_s_per_frame,
        switch_s=_GPU_SWITCH_S,
        quantum_s=_GPU_QUANTUM_S,
        memory_gb=_GPU_MEMORY_GB[gpu.lower()],
        assumptions=assumptions,
    )
