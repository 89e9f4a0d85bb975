"""Capacity search: the most cameras one device serves within the SLO.

Each trial runs in a fresh process (:mod:`camfleet.bench.trial`). The search starts from an
estimate (the offline ceiling divided by the analysis rate), grows until a trial fails, then
bisects between the largest passing and the smallest failing camera count.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from camfleet.bench.trial import TrialResult, TrialSpec
from camfleet.errors import CamfleetError

__all__ = ["CapacityResult", "run_trial_subprocess", "search_capacity"]


@dataclass(slots=True)
class CapacityResult:
    capacity: int
    best: TrialResult | None
    trials: list[TrialResult] = field(default_factory=list)


def run_trial_subprocess(spec: TrialSpec, timeout_s: float = 900.0) -> TrialResult:
    """Run one trial in a fresh Python process and parse its JSON result."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "camfleet.bench.trial", json.dumps(asdict(spec))],
            capture_output=True, text=True, timeout=timeout_s, env=env, check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise CamfleetError(
            f"bench trial ({spec.mode}, {spec.cameras} cameras) did not finish in "
            f"{timeout_s:.0f} s; lower --max-cameras or --duration"
        ) from exc
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise CamfleetError(
            f"bench trial ({spec.mode}, {spec.cameras} cameras) failed: {last}"
        )
    return TrialResult(**json.loads(lines[-1]))


def search_capacity(
    run: Callable[[int], TrialResult],
    estimate: int,
    max_cameras: int,
    max_trials: int = 8,
    on_trial: Callable[[TrialResult], None] | None = None,
) -> CapacityResult:
    """Largest camera count whose trial passes; ``run(n)`` runs one trial with n cameras."""
    result = CapacityResult(capacity=0, best=None)
    largest_pass, smallest_fail = 0, max_cameras + 1
    n = max(1, min(estimate, max_cameras))
    tried: set[int] = set()
    while len(result.trials) < max_trials and n not in tried:
        tried.add(n)
        trial = run(n)
        result.trials.append(trial)
        if on_trial is not None:
            on_trial(trial)
        if trial.passed:
            largest_pass, result.best = n, trial
        else:
            smallest_fail = n
        if smallest_fail - largest_pass <= 1:
            break
        if smallest_fail > max_cameras:
            n = min(max_cameras, max(n + 1, math.ceil(n * 1.5)))
        else:
            n = (largest_pass + smallest_fail) // 2
    result.capacity = largest_pass
    return result
