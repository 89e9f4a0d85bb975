"""The simulator's capacity search and its output: a bench profile marked ``measured: false``."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, Literal

from camfleet.bench.capacity import CapacityResult, search_capacity
from camfleet.bench.trial import TrialResult
from camfleet.simulate.device import DeviceModel
from camfleet.simulate.trial import Workload, simulate_trial

__all__ = ["SimulateOptions", "simulate_capacity", "simulate_profile"]

Mode = Literal["shared", "timeslice"]


@dataclass(frozen=True, slots=True)
class SimulateOptions:
    """The search's bounds and the workload shared by every trial; ``context_mb``: device
    memory one time-slice context holds (its CUDA context and model), which caps pods."""

    analyze_fps: float = 2.0
    slo_ms: float = 500.0
    duration_s: float = 60.0
    warmup_s: float = 5.0
    gating_fraction: float = 0.0
    max_cameras: int = 4096
    max_trials: int = 16
    context_mb: float = 500.0
    seed: int = 0


def _workload(options: SimulateOptions, cameras: int) -> Workload:
    return Workload(
        cameras=cameras,
        analyze_fps=options.analyze_fps,
        slo_s=options.slo_ms / 1000.0,
        duration_s=options.duration_s,
        warmup_s=options.warmup_s,
        gating_fraction=options.gating_fraction,
        seed=options.seed,
    )


def _ceiling_img_s(device: DeviceModel) -> float:
    return device.streams * device.max_batch / device.batch_seconds(device.max_batch)


def timeslice_limit(device: DeviceModel, options: SimulateOptions) -> int:
    """Pods the device's memory holds (a GPU keeps one context per pod)."""
    if device.kind == "gpu" and device.memory_gb:
        return max(1, int(device.memory_gb * 1024 / options.context_mb))
    return options.max_cameras


def simulate_capacity(
    device: DeviceModel, mode: Mode, options: SimulateOptions
) -> tuple[CapacityResult, int]:
    """The bench's search (grow until a trial fails, then bisect) over simulated trials."""
    limit = options.max_cameras if mode == "shared" else min(
        options.max_cameras, timeslice_limit(device, options)
    )
    open_share = 1.0 - options.gating_fraction
    estimate = max(1, math.floor(
        _ceiling_img_s(device) / options.analyze_fps / max(open_share, 0.05) * 0.9
    ))

    def run(cameras: int) -> TrialResult:
        return simulate_trial(device, _workload(options, cameras), mode)

    return search_capacity(run, estimate, limit, max_trials=options.max_trials), limit


def _mode_entry(result: CapacityResult, limit: int, gating: bool) -> dict[str, Any]:
    best = result.best
    keys = ("cameras", "passed", "p50_ms", "p90_ms", "p99_ms", "img_s", "shed_pct",
            "mean_batch", "gated", "shed", "dropped", "stage_p50_ms")
    return {
        "capacity": result.capacity,
        "p50_ms": best.p50_ms if best else None,
        "p99_ms": best.p99_ms if best else None,
        "img_s": best.img_s if best else 0.0,
        "shed_pct": best.shed_pct if best else None,
        "mean_batch": best.mean_batch if best else None,
        "gated_pct": 100.0 * best.gated / best.sampled if best and best.sampled else 0.0,
        "gating": gating,
        "search_limit": limit,
        "capped": result.capacity >= limit,
        "trials": [{k: getattr(t, k) for k in keys} for t in result.trials],
    }


def simulate_profile(
    device: DeviceModel,
    model: str,
    options: SimulateOptions,
    modes: tuple[Mode, ...] = ("shared", "timeslice"),
    command: str = "camfleet simulate",
    memory: dict[str, dict[str, float]] | None = None,
) -> dict[str, Any]:
    """Both modes' simulated capacity in the bench profile's shape, ``measured: false``.

    ``memory`` (per mode: ``fixed_rss_mb``, ``rss_mb_per_camera``, see
    :func:`camfleet.simulate.host.memory_per_mode`) gives each mode's entry the RSS the
    planner's memory limit reads; the simulator itself does not model memory."""
    entries: dict[str, Any] = {}
    assumptions = list(device.assumptions)
    gating = options.gating_fraction > 0
    for mode in modes:
        result, limit = simulate_capacity(device, mode, options)
        entry = _mode_entry(result, limit, gating)
        rss = (memory or {}).get(mode)
        if rss is not None and result.capacity:
            entry["rss_mb"] = rss["fixed_rss_mb"] + rss["rss_mb_per_camera"] * result.capacity
            entry["rss_mb_per_camera"] = rss["rss_mb_per_camera"]
        entries[f"{mode}_gated" if gating else mode] = entry
        if mode == "timeslice" and limit < options.max_cameras:
            assumptions.append(
                f"time-slice pods capped at {limit} per device: {device.memory_gb:g} GB of "
                f"device memory / {options.context_mb:g} MB per pod's context and model "
                "(assumed); the search stops there"
            )
    decode_ms = device.decode_ms_per_camera_s
    profile: dict[str, Any] = _without_nan({
        "schema": "camfleet.bench/1",
        "measured": False,
        "created_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": command,
        "machine": f"simulated {device.name}",
        "device": {"kind": device.kind, "name": device.name, "count": 1,
                   "memory_gb": device.memory_gb},
        "cpu": {"model": "simulated host", "cores": device.host_vcpus},
        "provider": "cpu" if device.kind == "cpu" else "tensorrt",
        "model": model,
        "model_family": model,
        "camera": {"width": 1280, "height": 720, "fps": 15.0},
        "source": "simulated",
        "analyze_fps": options.analyze_fps,
        "slo_ms": options.slo_ms,
        "duration_s": options.duration_s,
        "max_batch": device.max_batch,
        "gating": gating,
        "ceiling_img_s": _ceiling_img_s(device),
        "decode": {
            "ms_per_frame": decode_ms / 15.0,
            "ms_per_second_of_video": decode_ms,
            "cameras_per_core": 1000.0 / decode_ms,
        } if decode_ms > 0 else None,
        "assumptions": assumptions,
        "modes": entries,
    })
    return profile


def _without_nan(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _without_nan(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nan(v) for v in value]
    return value
