"""One capacity trial: N identical cameras on one engine for a fixed time, in a fresh process.

Run as ``python -m camfleet.bench.trial SPEC_JSON``; prints the result as one JSON line. A
fresh process per trial keeps trials independent (memory, threads, warm caches) and makes
its resident memory a clean measurement of that configuration alone.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import psutil

from camfleet.config import FleetConfig, parse_fleet
from camfleet.engine import SinkFactory, create_engine

__all__ = ["TrialResult", "TrialSpec", "build_fleet", "run_trial"]


@dataclass(frozen=True, slots=True)
class TrialSpec:
    mode: Literal["shared", "timeslice"]
    cameras: int
    source: str
    model_path: str
    provider: str
    analyze_fps: float
    slo_ms: float
    duration_s: float
    warmup_s: float
    gating: bool
    max_batch: int
    cache_dir: str
    threads: int | None = None
    store_dir: str | None = None
    input_format: Literal["uint8", "float"] = "uint8"


@dataclass(frozen=True, slots=True)
class TrialResult:
    mode: str
    cameras: int
    gating: bool
    passed: bool
    p50_ms: float
    p90_ms: float
    p99_ms: float
    img_s: float
    shed_pct: float
    analysed: int
    sampled: int
    gated: int
    shed: int
    dropped: int
    mean_batch: float
    rss_mb: float
    elapsed_s: float
    stage_p50_ms: dict[str, float]
    # capture -> committed to the database (store lag); NaN without a store, and in
    # results written before it was measured. p50/p90/p99 above are capture -> result.
    committed_p50_ms: float = float("nan")
    committed_p99_ms: float = float("nan")


def build_fleet(spec: TrialSpec) -> FleetConfig:
    return parse_fleet(
        {
            "models": {
                "bench": {
                    "path": spec.model_path,
                    "provider": spec.provider,
                    "max_batch": spec.max_batch,
                    "input_format": spec.input_format,
                }
            },
            "cameras": [
                {
                    "id": f"cam{i:03d}",
                    "source": spec.source,
                    "analyze_fps": spec.analyze_fps,
                    "models": ["bench"],
                    "motion": {"enabled": spec.gating},
                }
                for i in range(spec.cameras)
            ],
            "runtime": {"mode": spec.mode, "slo_ms": spec.slo_ms, "threads": spec.threads},
        },
        origin="bench trial",
    )


def _tree_rss_mb() -> float:
    me = psutil.Process()
    total = me.memory_info().rss
    for child in me.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.Error:
            continue
    return total / 2**20


def _sink_factory(spec: TrialSpec, fleet: FleetConfig) -> SinkFactory | None:
    """Storage on, as in production: tracking/rules and an SQLite writer per process."""
    if spec.store_dir is None:
        return None
    from camfleet.store.location import StoreLocation
    from camfleet.wiring import StoreSinkFactory, model_names

    return StoreSinkFactory(StoreLocation(None, Path(spec.store_dir)), model_names(fleet))


def run_trial(spec: TrialSpec) -> TrialResult:
    fleet = build_fleet(spec)
    engine = create_engine(
        fleet, _sink_factory(spec, fleet), cache_dir=Path(spec.cache_dir)
    )
    engine.start()
    try:
        time.sleep(spec.warmup_s)
        engine.metrics.reset_window()
        time.sleep(spec.duration_s)
        snapshot = engine.metrics.snapshot()
        rss_mb = _tree_rss_mb()
    finally:
        engine.stop(drain=False)
    nan = float("nan")
    p99 = snapshot.latency_p99_ms
    passed = (
        snapshot.latency_samples > 0
        and p99 <= spec.slo_ms
        and snapshot.shed_pct <= 1.0
    )
    return TrialResult(
        mode=spec.mode,
        cameras=spec.cameras,
        gating=spec.gating,
        passed=bool(passed),
        p50_ms=snapshot.latency_p50_ms if snapshot.latency_samples else nan,
        p90_ms=snapshot.latency_p90_ms if snapshot.latency_samples else nan,
        p99_ms=p99 if snapshot.latency_samples else nan,
        img_s=snapshot.analysed_per_s,
        shed_pct=snapshot.shed_pct,
        analysed=snapshot.total("analysed"),
        sampled=snapshot.total("sampled"),
        gated=snapshot.total("gated"),
        shed=snapshot.total("shed"),
        dropped=snapshot.total("dropped"),
        mean_batch=snapshot.mean_batch,
        rss_mb=rss_mb,
        elapsed_s=snapshot.elapsed_s,
        stage_p50_ms=snapshot.stage_p50_ms,
        committed_p50_ms=snapshot.committed_p50_ms,
        committed_p99_ms=snapshot.committed_p99_ms,
    )


def main() -> None:
    spec = TrialSpec(**json.loads(sys.argv[1]))
    result = run_trial(spec)
    print(json.dumps(asdict(result)), flush=True)


if __name__ == "__main__":
    main()
