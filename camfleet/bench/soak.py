"""A soak run: one shared engine with storage on, for a long time, watched for growth.

Every ``sample_s`` it records the process's resident memory, open file descriptors, thread
count and the capture-to-result p99 of the interval just ended. The verdict fits a line to
each resource after the warm-up (a leak is a slope, not a level) and compares the p99 of the
run's last third with its first third (drift).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from camfleet.bench.trial import TrialSpec, build_fleet
from camfleet.engine import SharedEngine
from camfleet.store.location import StoreLocation
from camfleet.wiring import StoreSinkFactory, model_names

__all__ = ["SoakReport", "SoakSample", "analyse_soak", "run_soak"]


@dataclass(frozen=True, slots=True)
class SoakSample:
    elapsed_s: float
    rss_mb: float
    open_fds: int
    threads: int
    p99_ms: float
    analysed: int


@dataclass(frozen=True, slots=True)
class SoakReport:
    cameras: int
    duration_s: float
    warmup_s: float
    rss_slope_mb_per_min: float
    fds_slope_per_min: float
    threads_slope_per_min: float
    fds_range: tuple[int, int]
    threads_range: tuple[int, int]
    p99_first_third_ms: float
    p99_last_third_ms: float
    p99_drift_ratio: float
    analysed_per_s: float
    samples: tuple[SoakSample, ...]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        return {k: (None if isinstance(v, float) and math.isnan(v) else v)
                for k, v in data.items()}


def _slope_per_min(times_s: list[float], values: list[float]) -> float:
    if len(times_s) < 2 or max(times_s) == min(times_s):
        return float("nan")
    slope_per_s = float(np.polyfit(np.asarray(times_s), np.asarray(values, float), 1)[0])
    return slope_per_s * 60.0


def _median(values: list[float]) -> float:
    finite = [v for v in values if not math.isnan(v)]
    return float(np.median(finite)) if finite else float("nan")


def analyse_soak(
    samples: list[SoakSample], cameras: int, duration_s: float, warmup_s: float
) -> SoakReport:
    """Slopes after the warm-up, and the p99 drift between the first and last thirds."""
    steady = [s for s in samples if s.elapsed_s >= warmup_s] or samples
    times = [s.elapsed_s for s in steady]
    third = max(1, len(steady) // 3)
    first, last = steady[:third], steady[-third:]
    p99_first = _median([s.p99_ms for s in first])
    p99_last = _median([s.p99_ms for s in last])
    analysed = steady[-1].analysed - steady[0].analysed if len(steady) > 1 else 0
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    return SoakReport(
        cameras=cameras,
        duration_s=duration_s,
        warmup_s=warmup_s,
        rss_slope_mb_per_min=_slope_per_min(times, [s.rss_mb for s in steady]),
        fds_slope_per_min=_slope_per_min(times, [float(s.open_fds) for s in steady]),
        threads_slope_per_min=_slope_per_min(times, [float(s.threads) for s in steady]),
        fds_range=(min(s.open_fds for s in steady), max(s.open_fds for s in steady)),
        threads_range=(min(s.threads for s in steady), max(s.threads for s in steady)),
        p99_first_third_ms=p99_first,
        p99_last_third_ms=p99_last,
        p99_drift_ratio=p99_last / p99_first if p99_first > 0 else float("nan"),
        analysed_per_s=analysed / span if span > 0 else 0.0,
        samples=tuple(samples),
    )


def run_soak(
    spec: TrialSpec,
    sample_s: float,
    progress: Callable[[SoakSample], None] | None = None,
    stop: threading.Event | None = None,
) -> SoakReport:
    """Run ``spec``'s fleet (shared mode, storage under ``spec.store_dir``) for
    ``spec.duration_s`` after ``spec.warmup_s``, sampling every ``sample_s``."""
    fleet = build_fleet(spec)
    sink = None
    if spec.store_dir is not None:
        location = StoreLocation(None, Path(spec.store_dir))
        sink = StoreSinkFactory(location, model_names(fleet))(fleet)
    engine = SharedEngine(fleet, sink=sink, cache_dir=Path(spec.cache_dir))
    me = psutil.Process()
    stop = stop or threading.Event()
    samples: list[SoakSample] = []
    total = spec.warmup_s + spec.duration_s
    engine.start()
    started = time.monotonic()
    analysed = 0
    try:
        engine.metrics.reset_window()
        while not stop.wait(sample_s):
            snapshot = engine.metrics.snapshot()
            engine.metrics.reset_window()
            analysed += snapshot.total("analysed")
            sample = SoakSample(
                elapsed_s=time.monotonic() - started,
                rss_mb=me.memory_info().rss / 2**20,
                open_fds=me.num_fds(),
                threads=me.num_threads(),
                p99_ms=snapshot.latency_p99_ms,
                analysed=analysed,
            )
            samples.append(sample)
            if progress is not None:
                progress(sample)
            if sample.elapsed_s >= total:
                break
    finally:
        engine.stop(drain=True)
    return analyse_soak(samples, spec.cameras, spec.duration_s, spec.warmup_s)
