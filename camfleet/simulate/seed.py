"""The seed's time-slicing curve, simulated from its single-pod latency.

Published (one T4): 10.8 ms per frame with 1 pod on a g4dn.xlarge, 108 ms with 20 pods on a
g4dn.2xlarge, 205 ms with 54 pods on a g4dn.8xlarge. The model, with every input stated:

- a pod's frame is 10.8 ms alone: 2.66 ms on the GPU (Ultralytics' published T4 time for
  YOLOv8s, the seed's class of model) and the rest host work (pre/post, copies) that may use
  the 4 vCPUs of the g4dn.xlarge it was measured on;
- pods take 2 ms turns on the GPU and each switch costs 1 ms (the simulator's stated
  time-slicing assumption);
- each pod decodes its 1280x720 15 fps camera on the host: ``decode_ms_per_camera_s`` CPU ms
  per camera-second (this CPU's bench measurement), out of the instance's vCPUs;
- every frame is analysed (15 fps), so pods are always busy, as the published "ms per frame"
  (one pod's time from taking a frame to its result) implies.

A GPU-only model cannot give both published points: 20 pods at 108 ms is 5.4 GPU-ms per
frame, 54 pods at 205 ms is 3.8. Here the 20-pod point is bound by the g4dn.2xlarge's 8 vCPUs,
the 54-pod point by the GPU.
"""

from __future__ import annotations

from dataclasses import dataclass

from camfleet.simulate.device import DeviceModel
from camfleet.simulate.trial import Workload, simulate_trial

__all__ = ["SEED_POINTS", "SeedPoint", "simulate_seed_curve"]

# (pods, instance, its vCPUs, published ms per frame)
SEED_POINTS: tuple[tuple[int, str, int, float], ...] = (
    (1, "g4dn.xlarge", 4, 10.8),
    (20, "g4dn.2xlarge", 8, 108.0),
    (54, "g4dn.8xlarge", 32, 205.0),
)
_SINGLE_POD_S = 0.0108
_T4_YOLOV8S_S = 0.00266
_POD_THREADS = 4
_SWITCH_S = 0.001
_QUANTUM_S = 0.002


@dataclass(frozen=True, slots=True)
class SeedPoint:
    pods: int
    instance: str
    published_ms: float
    simulated_ms: float

    @property
    def error_pct(self) -> float:
        return 100.0 * (self.simulated_ms / self.published_ms - 1.0)


def seed_pod_device(vcpus: int, decode_ms_per_camera_s: float) -> DeviceModel:
    host_wall_s = _SINGLE_POD_S - _T4_YOLOV8S_S
    return DeviceModel(
        name="Tesla T4",
        kind="gpu",
        batch_s={1: _T4_YOLOV8S_S},
        max_batch=1,
        streams=1,
        jitter=0.05,
        host_vcpus=vcpus,
        decode_ms_per_camera_s=decode_ms_per_camera_s,
        cpu_bound=False,
        host_s_per_frame=host_wall_s * _POD_THREADS,
        host_threads=_POD_THREADS,
        switch_s=_SWITCH_S,
        quantum_s=_QUANTUM_S,
        memory_gb=15.0,
    )


def simulate_seed_curve(
    decode_ms_per_camera_s: float, duration_s: float = 20.0, seed: int = 0
) -> list[SeedPoint]:
    """Each published point, simulated: the median of one pod's ms per frame."""
    points = []
    for pods, instance, vcpus, published in SEED_POINTS:
        device = seed_pod_device(vcpus, decode_ms_per_camera_s)
        workload = Workload(cameras=pods, analyze_fps=15.0, duration_s=duration_s,
                            warmup_s=2.0, seed=seed)
        trial = simulate_trial(device, workload, "timeslice")
        points.append(SeedPoint(pods, instance, published, trial.stage_p50_ms["processing"]))
    return points
