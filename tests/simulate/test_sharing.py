"""The processor-shared resource behind time-slicing."""

from __future__ import annotations

import math

import pytest

from camfleet.simulate.sharing import SharedResource


def test_one_job_runs_at_full_speed() -> None:
    cores = SharedResource(parallelism=2)
    cores.add(1, 0.1, now=0.0)
    assert cores.next_completion(0.0) == (pytest.approx(0.1), 1)


def test_more_jobs_than_cores_share_them() -> None:
    cores = SharedResource(parallelism=2)
    for job in range(4):
        cores.add(job, 0.1, now=0.0)
    when, _ = cores.next_completion(0.0)
    assert when == pytest.approx(0.2)  # 4 jobs on 2 cores: each at half speed


def test_gpu_turns_pay_the_switch_cost_only_when_contexts_share() -> None:
    gpu = SharedResource(parallelism=1, switch_s=0.001, quantum_s=0.002)
    gpu.add(1, 0.01, now=0.0)
    assert gpu.next_completion(0.0)[0] == pytest.approx(0.01)
    gpu.add(2, 0.01, now=0.0)
    # Two contexts: each gets half of 2/3 of the device.
    assert gpu.next_completion(0.0)[0] == pytest.approx(0.03)


def test_a_job_uses_at_most_its_threads() -> None:
    host = SharedResource(parallelism=8, job_threads=4)
    host.add(1, 0.04, now=0.0)
    assert host.next_completion(0.0)[0] == pytest.approx(0.01)
    host.remove(1, now=0.005)
    assert host.next_completion(0.005) == (math.inf, -1)
