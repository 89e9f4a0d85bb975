"""How many workers, GPUs and nodes a fleet needs, and each worker's capacity and requests.

With a bench profile the numbers come from the plan's model (capacity per GPU at the fleet's
analysis rate, the bench machine's CPUs per camera served, RSS per camera); without one,
conservative defaults are used and the rendered manifests say so.

A worker leases cameras from the database up to its capacity, so its memory is sized for that
capacity (what it may hold once it takes over a dead worker's cameras), not for an even split.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from camfleet.errors import PlanError
from camfleet.planner.cost import scale_capacity, usable_vcpus
from camfleet.planner.profile import BenchProfile, ModeResult

__all__ = ["DEFAULT_TIME_SLICES", "Mode", "Sizing", "size_workers"]

Mode = Literal["shared", "timeslice"]
DEFAULT_TIME_SLICES = 10
# Requests when no profile is given: one engine per GPU needs a few cores for decode and
# pre/post-processing; a time-sliced pod serves one camera.
_DEFAULT_REQUESTS: dict[str, tuple[float, float]] = {
    "shared": (2.0, 4096.0),
    "timeslice": (0.5, 1055.0 * 1.25),
}
# Host RSS of one time-slice worker process measured on an H100 (yolov8n, 2 fps):
# benchmarks/h100-yolov8n-2fps.json, modes.timeslice.rss_mb_per_camera = 1054.4 MB.
_ENGINE_CPU = 0.5  # cores for a worker when the profile cannot say
_MEMORY_HEADROOM = 1.25


@dataclass(frozen=True, slots=True)
class Sizing:
    """Worker count and shape for one rendering."""

    mode: Mode
    cameras: int
    replicas: int
    time_slices: int | None
    gpus: int
    gpus_per_node: int
    nodes: int
    cameras_per_worker: int
    worker_capacity: int
    cpu_request: str
    memory_request: str
    memory_limit: str
    basis: str


def _cpu(cores: float) -> str:
    # Down to the millicore: N pods sized from one machine's share must fit that machine.
    return f"{max(10, math.floor(cores * 1000 + 1e-6))}m"


def _mebibytes(mb: float) -> str:
    return f"{max(64, math.ceil(mb / 64) * 64)}Mi"


def _capacity(profile: BenchProfile, mode: Mode, fps: float) -> tuple[int, ModeResult]:
    result = profile.modes.get(mode)
    if result is None:
        raise PlanError(
            f"bench profile has no {mode!r} result; rerun camfleet bench for that mode or "
            "render without --profile"
        )
    capacity = scale_capacity(result.capacity, profile.analyze_fps, fps)
    if capacity < 1:
        raise PlanError(
            f"bench profile: {mode} capacity is {result.capacity} cameras at "
            f"{profile.analyze_fps:g} fps, under one camera at {fps:g} fps; nothing to render"
        )
    return capacity, result


def size_workers(
    cameras: int,
    analyze_fps: float,
    mode: Mode,
    gpus_per_node: int = 1,
    replicas: int | None = None,
    time_slices: int | None = None,
    profile: BenchProfile | None = None,
) -> Sizing:
    """Size the worker StatefulSet for ``cameras`` analysed at ``analyze_fps``."""
    if cameras < 1:
        raise PlanError("the fleet has no cameras; add cameras to the fleet config")
    if gpus_per_node < 1:
        raise PlanError(f"--gpus-per-node must be >= 1 (got {gpus_per_node})")
    capacity, result = _capacity(profile, mode, analyze_fps) if profile else (None, None)

    if mode == "shared":
        # One engine per GPU; replicas beyond the camera count would sit idle.
        replicas = replicas or (math.ceil(cameras / capacity) if capacity else 1)
        slices = None
        gpus = replicas
    else:
        replicas = replicas or cameras
        slices = time_slices or capacity or DEFAULT_TIME_SLICES
        gpus = math.ceil(replicas / slices)
    if replicas < 1 or (slices is not None and slices < 1):
        raise PlanError("--replicas and --time-slices must be >= 1")
    per_worker = math.ceil(cameras / replicas)
    # Cameras one worker may lease: its measured capacity, so survivors can take over a dead
    # worker's cameras; one in time-slice mode (a batch of one, its own session).
    worker_capacity = 1 if mode == "timeslice" else max(per_worker, capacity or 0)

    if profile is None or result is None:
        cores, memory_mb = _DEFAULT_REQUESTS[mode]
        basis = "defaults (no --profile): measure with camfleet bench and pass --profile"
    else:
        # The bench machine's CPUs (less the system's reserve, as in the plan) served
        # `capacity` cameras, decode and pre/post-processing included: a worker gets that
        # share per camera, the same budget the plan counts on.
        cores = per_worker * usable_vcpus(profile.cpu.cores) / capacity if capacity else _ENGINE_CPU
        # Time-slice: a worker is one process with one camera, whose RSS the profile gives
        # per camera. Shared: the engine's fixed part plus per-camera MB x cameras held.
        per_camera = result.rss_mb_per_camera or 0.0
        fixed = max(0.0, (result.rss_mb or 0.0) - per_camera * result.capacity)
        memory_mb = (fixed + per_camera * worker_capacity) * _MEMORY_HEADROOM
        if memory_mb == 0.0:
            memory_mb = _DEFAULT_REQUESTS[mode][1]
        basis = f"bench profile {profile.model} on {profile.device.name} ({mode})"
    return Sizing(
        mode=mode,
        cameras=cameras,
        replicas=replicas,
        time_slices=slices,
        gpus=gpus,
        gpus_per_node=gpus_per_node,
        nodes=math.ceil(gpus / gpus_per_node),
        cameras_per_worker=per_worker,
        worker_capacity=worker_capacity,
        cpu_request=_cpu(cores),
        memory_request=_mebibytes(memory_mb),
        memory_limit=_mebibytes(memory_mb * 1.5),
        basis=basis,
    )
