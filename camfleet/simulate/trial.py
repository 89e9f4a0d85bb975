"""One simulated trial: N cameras on a modelled device for a fixed (simulated) time.

Shared mode drives the real :class:`DeadlineBatcher` and :class:`LatencyModel` on a
:class:`SimClock`: frames are offered as the cameras capture them, the batcher releases up to
``device.in_flight`` batches ahead (the lane's ring), ``device.streams`` of them run at once,
and each run's time, from release to end, is fed back to the latency model as a lane does.
Time-slice mode runs one context per camera with a batch of one; contexts share the device in
round-robin turns (processor sharing, with a context-switch cost on a GPU) and each camera's
slot drops its oldest frame when full.
Nothing sleeps: the clock jumps from event to event.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from camfleet.bench.trial import TrialResult
from camfleet.engine.batcher import BatchPolicy, DeadlineBatcher
from camfleet.engine.latency_model import LatencyModel
from camfleet.engine.shared import default_max_wait_s
from camfleet.simulate.clock import SimClock
from camfleet.simulate.device import DeviceModel
from camfleet.simulate.sharing import SharedResource

__all__ = ["Workload", "simulate_trial"]

_Items = tuple[tuple[float, int], ...]  # (captured at, camera) of each frame in a batch


@dataclass(frozen=True, slots=True)
class Workload:
    """What the cameras ask for. ``host_delay_s``: decode and letterbox before a frame
    reaches the batcher (or a pod's slot); ``gating_fraction``: sampled frames the motion
    gate skips."""

    cameras: int
    analyze_fps: float
    slo_s: float = 0.5
    duration_s: float = 60.0
    warmup_s: float = 5.0
    gating_fraction: float = 0.0
    host_delay_s: float = 0.002
    queue_per_camera: int = 2
    seed: int = 0


@dataclass(slots=True)
class _Tally:
    window_start: float
    sampled: int = 0
    gated: int = 0
    shed: int = 0
    dropped: int = 0
    analysed: int = 0
    batches: list[int] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    processing: list[float] = field(default_factory=list)

    def counts(self, now: float) -> bool:
        return now >= self.window_start


def _captures(workload: Workload, rng: np.random.Generator) -> Iterator[tuple[float, int]]:
    """(capture time, camera) in time order: each camera at ``analyze_fps``, random phase."""
    period = 1.0 / workload.analyze_fps
    heap = [(float(phase), cam) for cam, phase in
            enumerate(rng.uniform(0.0, period, workload.cameras))]
    heapq.heapify(heap)
    while heap:
        when, cam = heapq.heappop(heap)
        yield when, cam
        heapq.heappush(heap, (when + period, cam))


def _jitter(rng: np.random.Generator, sigma: float) -> float:
    # Mean-one log-normal: the curve gives mean run times, the spread keeps the mean.
    return 1.0 if sigma <= 0 else float(rng.lognormal(-sigma * sigma / 2.0, sigma))


def _simulate_shared(device: DeviceModel, workload: Workload, tally: _Tally) -> None:
    rng = np.random.default_rng(workload.seed)
    clock = SimClock()
    latency = LatencyModel()
    sizes = {1 << k for k in range(device.max_batch.bit_length())} | {device.max_batch}
    speed = device.compute_speed(workload.cameras)
    for size in sorted(sizes):  # what the engine's warm-up measures before cameras start
        latency.observe(size, device.batch_seconds(size) / speed, now=0.0)
    policy = BatchPolicy(max_batch=device.max_batch,
                         max_wait_s=default_max_wait_s(workload.slo_s * 1000.0))
    batcher = DeadlineBatcher[tuple[float, int]](
        policy, latency, clock, capacity=max(device.max_batch * 2, workload.cameras * 2)
    )
    end = workload.warmup_s + workload.duration_s
    captures = _captures(workload, rng)
    next_capture = next(captures)
    running: list[tuple[float, int, float, _Items]] = []  # (ends at, run, released at, items)
    waiting: deque[tuple[int, float, _Items]] = deque()  # released, waiting for a stream
    # The lane's ring of prepared-or-running batches (``in_flight``, at least 2) frees in
    # release order: a run that ends before an older one keeps its place until that one ends.
    ring: deque[int] = deque()
    finished_runs: set[int] = set()
    order = 0

    def count_shed() -> None:
        if tally.counts(clock.now):
            tally.shed += len(batcher.take_shed())
        else:
            batcher.take_shed()

    def start_waiting() -> None:
        while waiting and len(running) < device.streams:
            run_id, released, items = waiting.popleft()
            seconds = device.batch_seconds(len(items)) / speed * _jitter(rng, device.jitter)
            heapq.heappush(running, (clock.now + seconds, run_id, released, items))

    while True:
        offer_at = next_capture[0] + workload.host_delay_s
        done_at = running[0][0] if running else math.inf
        ready_at = math.inf
        if len(ring) < device.in_flight and len(batcher):
            wait = batcher.wait_time()
            if wait is not None:
                ready_at = clock.now + max(wait, 1e-7)
        now = min(offer_at, done_at, ready_at)
        if now > end:
            break
        clock.advance_to(now)
        if now == done_at:
            finished, run_id, released, items = heapq.heappop(running)
            finished_runs.add(run_id)
            while ring and ring[0] in finished_runs:
                finished_runs.discard(ring.popleft())
            # As the lane does: from release (its "prepare") to the end of the run.
            latency.observe(len(items), finished - released, now=finished)
            if tally.counts(now):
                tally.analysed += len(items)
                tally.batches.append(len(items))
                tally.latencies.extend(finished - captured for captured, _ in items)
            start_waiting()
        elif now == offer_at:
            captured, cam = next_capture
            next_capture = next(captures)
            if tally.counts(now):
                tally.sampled += 1
            if rng.random() < workload.gating_fraction:
                tally.gated += tally.counts(now)
            else:
                batcher.offer((captured, cam), "frame", captured + workload.slo_s, tenant=cam)
                count_shed()
        while len(ring) < device.in_flight:
            batch = batcher.poll()
            count_shed()
            if batch is None:
                break
            order += 1
            ring.append(order)
            waiting.append((order, clock.now, batch.items))
        start_waiting()


def _simulate_timeslice(device: DeviceModel, workload: Workload, tally: _Tally) -> None:
    rng = np.random.default_rng(workload.seed)
    now = 0.0
    cameras = workload.cameras
    cores = device.host_vcpus - (device.decode_cores(cameras) if device.cpu_bound else 0.0)
    if device.kind == "cpu":
        compute = SharedResource(parallelism=max(0.05, cores))
    else:
        compute = SharedResource(parallelism=1.0, switch_s=device.switch_s,
                                 quantum_s=device.quantum_s)
    host = SharedResource(
        parallelism=max(0.05, device.host_vcpus - device.decode_cores(cameras)),
        job_threads=device.host_threads,
    )
    slots: list[deque[float]] = [deque() for _ in range(cameras)]
    busy: dict[int, tuple[float, float]] = {}  # camera -> (captured, started)
    end = workload.warmup_s + workload.duration_s
    captures = _captures(workload, rng)
    next_capture = next(captures)
    work_s = device.batch_seconds(1)

    def start(cam: int) -> None:
        captured = slots[cam].popleft()
        busy[cam] = (captured, now)
        if device.host_s_per_frame > 0:
            host.add(cam, device.host_s_per_frame, now)
        else:
            compute.add(cam, work_s * _jitter(rng, device.jitter), now)

    while True:
        arrive_at = next_capture[0] + workload.host_delay_s
        host_at, host_cam = host.next_completion(now)
        compute_at, compute_cam = compute.next_completion(now)
        now = min(arrive_at, host_at, compute_at)
        if now > end:
            break
        counting = tally.counts(now)
        if now == host_at:
            host.remove(host_cam, now)
            compute.add(host_cam, work_s * _jitter(rng, device.jitter), now)
        elif now == compute_at:
            compute.remove(compute_cam, now)
            captured, started = busy.pop(compute_cam)
            if counting:
                tally.analysed += 1
                tally.batches.append(1)
                tally.latencies.append(now - captured)
                tally.processing.append(now - started)
            if slots[compute_cam]:
                start(compute_cam)
        else:
            captured, cam = next_capture
            next_capture = next(captures)
            tally.sampled += counting
            if rng.random() < workload.gating_fraction:
                tally.gated += counting
                continue
            slot = slots[cam]
            if len(slot) >= workload.queue_per_camera:
                slot.popleft()
                tally.dropped += counting
            slot.append(captured)
            if cam not in busy:
                start(cam)


def simulate_trial(device: DeviceModel, workload: Workload, mode: str) -> TrialResult:
    """Run one trial and report it as the bench's :class:`TrialResult` would."""
    if workload.cameras < 1 or workload.analyze_fps <= 0:
        raise ValueError("cameras must be >= 1 and analyze_fps > 0")
    tally = _Tally(window_start=workload.warmup_s)
    if mode == "shared":
        _simulate_shared(device, workload, tally)
    elif mode == "timeslice":
        _simulate_timeslice(device, workload, tally)
    else:
        raise ValueError(f"mode must be shared or timeslice, got {mode!r}")
    lost = tally.shed + tally.dropped
    wanted = tally.analysed + lost
    shed_pct = 100.0 * lost / wanted if wanted else 0.0
    lat_ms = np.asarray(tally.latencies) * 1000.0
    p50, p90, p99 = (
        (float(v) for v in np.percentile(lat_ms, [50, 90, 99]))
        if lat_ms.size else (math.nan,) * 3
    )
    slo_ms = workload.slo_s * 1000.0
    stages = {}
    if tally.processing:
        stages["processing"] = float(np.median(tally.processing) * 1000.0)
    return TrialResult(
        mode=mode,
        cameras=workload.cameras,
        gating=workload.gating_fraction > 0,
        passed=bool(lat_ms.size and p99 <= slo_ms and shed_pct <= 1.0),
        p50_ms=p50,
        p90_ms=p90,
        p99_ms=p99,
        img_s=tally.analysed / workload.duration_s,
        shed_pct=shed_pct,
        analysed=tally.analysed,
        sampled=tally.sampled,
        gated=tally.gated,
        shed=tally.shed,
        dropped=tally.dropped,
        mean_batch=float(np.mean(tally.batches)) if tally.batches else math.nan,
        rss_mb=math.nan,
        elapsed_s=workload.duration_s,
        stage_p50_ms=stages,
    )
