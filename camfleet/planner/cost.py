"""The capacity and cost model: cameras per instance from measurements, then dollars.

Cameras per instance are the least of three limits, each from the bench profile:

- compute: measured cameras per device at the SLO, times the devices on the instance. A GPU
  profile gives cameras per GPU of its model; another GPU model is scaled by the catalog's
  relative-throughput factors (an estimate, flagged). A CPU profile gives cameras for the
  bench machine's ``cpu.cores`` logical CPUs and is scaled per vCPU.
- decode: cameras decoded at their full frame rate per vCPU (H.264 decodes every frame, so
  this limit does not change with the analysis rate).
- memory: host RSS per camera plus a fixed part per engine process.

Capacity scales inversely with the analysis rate: a device that keeps up with 40 cameras at
2 fps keeps up with 20 at 4 fps. A fixed slice of every instance is left to the OS, kubelet and
the container runtime (``SYSTEM_RESERVED_*``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from camfleet.errors import PlanError

__all__ = [
    "SYSTEM_RESERVED_MEMORY_GIB",
    "SYSTEM_RESERVED_VCPUS",
    "Limits",
    "combined_per_vcpu",
    "cost_per_camera_month",
    "decode_limit",
    "instances_needed",
    "memory_limit",
    "monthly_cost",
    "scale_capacity",
    "usable_vcpus",
]

SYSTEM_RESERVED_VCPUS = 0.5
SYSTEM_RESERVED_MEMORY_GIB = 1.5

Bound = Literal["compute", "decode", "memory"]


@dataclass(frozen=True, slots=True)
class Limits:
    """Cameras one instance can serve, by resource; ``None`` where not measured."""

    compute: int
    decode: int | None = None
    memory: int | None = None

    @property
    def cameras(self) -> int:
        return min(v for v in (self.compute, self.decode, self.memory) if v is not None)

    @property
    def bound(self) -> Bound:
        """The resource that sets :attr:`cameras` (compute wins ties)."""
        if self.compute == self.cameras:
            return "compute"
        if self.decode == self.cameras:
            return "decode"
        return "memory"


def scale_capacity(
    measured: float, measured_fps: float, target_fps: float, factor: float = 1.0
) -> int:
    """Whole cameras at ``target_fps`` from a capacity measured at ``measured_fps``."""
    if measured_fps <= 0 or target_fps <= 0:
        raise PlanError(f"analysis rates must be > 0 (got {measured_fps} and {target_fps} fps)")
    # The epsilon keeps exact ratios (40 cameras x 2/4 fps = 20) from flooring to 19.
    return max(0, math.floor(measured * factor * measured_fps / target_fps + 1e-9))


def usable_vcpus(vcpus: int) -> float:
    return max(0.0, vcpus - SYSTEM_RESERVED_VCPUS)


def decode_limit(vcpus: int, cameras_per_core: float) -> int:
    """Cameras whose streams the instance's vCPUs can decode."""
    return math.floor(usable_vcpus(vcpus) * cameras_per_core + 1e-9)


def combined_per_vcpu(infer_per_vcpu: float, decode_per_vcpu: float | None) -> float:
    """Cameras per vCPU when inference and decode share the same cores."""
    if decode_per_vcpu is None or infer_per_vcpu <= 0:
        return max(0.0, infer_per_vcpu)
    return 1.0 / (1.0 / infer_per_vcpu + 1.0 / decode_per_vcpu)


def memory_limit(
    memory_gib: float,
    engines: int,
    rss_mb: float | None,
    rss_mb_per_camera: float | None,
    measured_cameras: int,
) -> int | None:
    """Cameras that fit in host memory, or ``None`` when the profile has no RSS figures.

    The profile's ``rss_mb`` at ``measured_cameras`` splits into a fixed part per engine process
    and ``rss_mb_per_camera``.
    """
    if rss_mb is None or rss_mb_per_camera is None:
        return None
    fixed_mb = max(0.0, rss_mb - rss_mb_per_camera * measured_cameras)
    free_mb = (memory_gib - SYSTEM_RESERVED_MEMORY_GIB) * 1024.0 - fixed_mb * engines
    if free_mb <= 0:
        return 0
    if rss_mb_per_camera == 0:
        return None
    return math.floor(free_mb / rss_mb_per_camera)


def instances_needed(cameras: int, cameras_per_instance: int) -> int:
    """Instances to serve ``cameras``; never fewer for more cameras."""
    if cameras_per_instance <= 0:
        raise PlanError("an instance that serves no camera cannot be planned for; check capacity")
    return -(-cameras // cameras_per_instance)


def monthly_cost(hourly_usd: float, instances: int, hours_per_month: float) -> float:
    return hourly_usd * instances * hours_per_month


def cost_per_camera_month(total_monthly_usd: float, cameras: int) -> float:
    if cameras <= 0:
        raise PlanError(f"camera count must be >= 1 (got {cameras})")
    return total_monthly_usd / cameras
