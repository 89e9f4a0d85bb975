"""``camfleet bench``: capacity of ``shared`` and ``timeslice`` side by side, in one run.

Writes the profile the planner reads (schema ``camfleet.bench/1``).
"""

from __future__ import annotations

import datetime as dt
import math
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from camfleet.bench.capacity import CapacityResult, run_trial_subprocess, search_capacity
from camfleet.bench.ceiling import measure_ceiling
from camfleet.bench.machine import describe_machine
from camfleet.bench.trial import TrialResult, TrialSpec
from camfleet.errors import SourceError
from camfleet.model import inspect_model
from camfleet.sources import measure_decode_cost, open_source, write_reference_clip

__all__ = ["BenchOptions", "run_bench"]

Mode = Literal["shared", "timeslice"]


@dataclass(frozen=True, slots=True)
class BenchOptions:
    model_path: Path
    provider: str = "cpu"
    analyze_fps: float = 2.0
    slo_ms: float = 500.0
    source: str = "synthetic:1280x720@15"
    duration_s: float = 60.0
    warmup_s: float = 5.0
    modes: tuple[Mode, ...] = ("shared", "timeslice")
    gating: tuple[bool, ...] = (False,)
    max_cameras: int = 256
    # Each timeslice worker is a process with its own session (and CUDA context): memory,
    # not compute, bounds how many a machine can start.
    max_timeslice_cameras: int = 64
    max_batch: int = 8
    max_trials: int = 8
    ceiling_s: float = 10.0
    saturation: bool = True
    cache_dir: Path = Path("camfleet-data/cache")
    store: bool = True
    decode_s: float = 10.0
    input_format: Literal["uint8", "float"] = "uint8"


def _family(model_path: Path, params: int | None) -> str:
    name = model_path.name.lower()
    for family in ("yolov8n", "yolov8s", "yolov8m", "yolov8l", "yolov8x"):
        if family in name:
            return family
    return "yolov8" if params is None else f"yolov8 ({params / 1e6:.1f} M params)"


def _mode_entry(result: CapacityResult, gating: bool, limit: int) -> dict[str, Any]:
    best = result.best
    nan = float("nan")
    return {
        "capacity": result.capacity,
        "p50_ms": best.p50_ms if best else nan,
        "p99_ms": best.p99_ms if best else nan,
        "committed_p50_ms": best.committed_p50_ms if best else nan,
        "committed_p99_ms": best.committed_p99_ms if best else nan,
        "img_s": best.img_s if best else 0.0,
        "shed_pct": best.shed_pct if best else nan,
        "rss_mb": best.rss_mb if best else nan,
        "rss_mb_per_camera": best.rss_mb / best.cameras if best else nan,
        "mean_batch": best.mean_batch if best else nan,
        "gated_pct": (100.0 * best.gated / best.sampled) if best and best.sampled else 0.0,
        "gating": gating,
        "rss_mb_per_added_camera": _marginal_rss(result),
        "search_limit": limit,
        "capped": result.capacity >= limit,
        "trials": [
            {k: getattr(t, k) for k in ("cameras", "passed", "p50_ms", "p90_ms", "p99_ms",
                                         "img_s", "shed_pct", "rss_mb", "mean_batch", "gated",
                                         "shed", "dropped", "stage_p50_ms",
                                         "committed_p50_ms", "committed_p99_ms")}
            for t in result.trials
        ],
    }


def _measure_decode(options: BenchOptions, log: Callable[[str], None]) -> dict[str, Any]:
    """CPU cost of decoding one reference camera (1280x720 H.264, 15 fps) at the analysis
    rate, for the planner's decode limit per vCPU."""
    clip = options.cache_dir / "reference-camera-1280x720-15fps.mp4"
    if not clip.is_file():
        clip.parent.mkdir(parents=True, exist_ok=True)
        write_reference_clip(clip)
    cost = measure_decode_cost(clip, options.analyze_fps, seconds=options.decode_s)
    log(f"decode: {cost.ms_per_frame:.2f} ms CPU per frame, "
        f"{cost.cameras_per_core:.1f} reference cameras per core")
    return {
        "ms_per_frame": cost.ms_per_frame,
        "ms_per_second_of_video": cost.ms_per_second_of_video,
        "cameras_per_core": cost.cameras_per_core,
        "clip": "reference camera: bikes.mp4 fitted to 1280x720, H.264, 15 fps",
    }


def _marginal_rss(result: CapacityResult) -> float | None:
    """RSS added per camera, from the smallest and largest passing trials."""
    passing = sorted((t for t in result.trials if t.passed), key=lambda t: t.cameras)
    if len(passing) < 2 or passing[-1].cameras == passing[0].cameras:
        return None
    low, high = passing[0], passing[-1]
    return max(0.0, (high.rss_mb - low.rss_mb) / (high.cameras - low.cameras))


def run_bench(
    options: BenchOptions,
    log: Callable[[str], None] = print,
    on_trial: Callable[[TrialResult], None] | None = None,
) -> dict[str, Any]:
    """Measure the ceiling, then each mode's capacity; return the profile as a dict."""
    machine = describe_machine()
    info = inspect_model(options.model_path)
    with open_source(options.source, camera_id="probe", analyze_fps=None) as probe:
        first = probe.read()
        native_fps = probe.native_fps
    if first is None:
        raise SourceError(f"bench source {options.source}: no frames; use another --source")
    log(f"machine: {machine.summary}")
    log(f"measuring the offline ceiling (batch {options.max_batch}, {options.ceiling_s:.0f} s)")
    ceiling = measure_ceiling(
        options.model_path, options.provider, first.image, options.max_batch,
        options.ceiling_s, options.cache_dir, options.input_format,
    )
    log(f"ceiling: {ceiling:.1f} images/s")
    estimate = max(1, math.floor(ceiling / options.analyze_fps * 0.9))
    decode = _measure_decode(options, log) if options.decode_s > 0 else None

    def spec(mode: Mode, cameras: int, gating: bool, duration: float) -> TrialSpec:
        return TrialSpec(
            mode=mode, cameras=cameras, source=options.source,
            model_path=str(options.model_path), provider=options.provider,
            analyze_fps=options.analyze_fps, slo_ms=options.slo_ms, duration_s=duration,
            warmup_s=options.warmup_s, gating=gating, max_batch=options.max_batch,
            cache_dir=str(options.cache_dir), input_format=options.input_format,
            store_dir=str(options.cache_dir.parent / "bench-store") if options.store else None,
        )

    modes: dict[str, Any] = {}
    saturation: dict[str, Any] | None = None
    for gating in options.gating:
        for mode in options.modes:
            key = mode if gating is False or options.gating == (True,) else f"{mode}_gated"
            guess = estimate * (4 if gating else 1)
            limit = (
                min(options.max_cameras, options.max_timeslice_cameras)
                if mode == "timeslice"
                else options.max_cameras
            )
            log(f"searching capacity: {mode}, gating {'on' if gating else 'off'}, "
                f"starting at {min(guess, limit)} cameras (at most {limit})")
            result = search_capacity(
                lambda n, m=mode, g=gating: run_trial_subprocess(  # type: ignore[misc]
                    spec(m, n, g, options.duration_s)
                ),
                estimate=guess,
                max_cameras=limit,
                max_trials=options.max_trials,
                on_trial=on_trial,
            )
            modes[key] = _mode_entry(result, gating, limit)
            log(f"{key}: capacity {result.capacity}")
    if options.saturation and "shared" in options.modes:
        # Enough cameras to offer 1.5x the ceiling, but never far past the search's own bound
        # (a tiny model's ceiling would otherwise ask for thousands of cameras).
        overload = max(2, min(math.ceil(ceiling / options.analyze_fps * 1.5),
                              2 * options.max_cameras))
        log(f"saturating shared mode with {overload} cameras to compare with the ceiling")
        trial = run_trial_subprocess(spec("shared", overload, False, options.duration_s / 2))
        saturation = {
            "cameras": overload,
            "img_s": trial.img_s,
            "pct_of_ceiling": 100.0 * trial.img_s / ceiling if ceiling else float("nan"),
            "mean_batch": trial.mean_batch,
        }
    device = (
        {"kind": "gpu", "name": machine.gpu_name, "count": machine.gpu_count,
         "memory_gb": machine.gpu_memory_gb}
        if options.provider in ("cuda", "tensorrt") and machine.gpu_name
        else {"kind": "cpu", "name": machine.cpu_model, "count": 1,
              "memory_gb": machine.memory_gb}
    )
    profile: dict[str, Any] = _nan_to_none({
        "schema": "camfleet.bench/1",
        "created_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": "camfleet " + shlex.join(sys.argv[1:]) if sys.argv[1:] else "camfleet bench",
        "machine": machine.summary,
        "device": device,
        "cpu": {"model": machine.cpu_model, "cores": machine.cores,
                "memory_gb": round(machine.memory_gb, 1)},
        "provider": options.provider,
        "model": options.model_path.name,
        "model_family": _family(options.model_path, info.params),
        "camera": {"width": first.width, "height": first.height, "fps": native_fps},
        "source": options.source,
        "analyze_fps": options.analyze_fps,
        "slo_ms": options.slo_ms,
        "duration_s": options.duration_s,
        "max_batch": options.max_batch,
        "input_format": options.input_format,
        "gating": options.gating == (True,),
        "store": "sqlite" if options.store else None,
        "ceiling_img_s": ceiling,
        "saturation": saturation,
        "decode": decode,
        "modes": modes,
    })
    return profile


def _nan_to_none(value: Any) -> Any:
    """JSON has no NaN: an unmeasured number is written as null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _nan_to_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nan_to_none(v) for v in value]
    return value
