"""How shared mode sizes its inference: concurrent runs and threads per run."""

from __future__ import annotations

import pytest

from camfleet.config import RuntimeConfig
from camfleet.engine import models
from camfleet.engine.models import inference_workers, session_threads


@pytest.mark.parametrize(
    ("cores", "workers", "threads"), [(1, 1, 1), (2, 2, 1), (4, 4, 1), (16, 4, 4), (6, 4, 1)]
)
def test_a_cpu_runs_one_thin_run_per_core_up_to_four(
    monkeypatch: pytest.MonkeyPatch, cores: int, workers: int, threads: int
) -> None:
    monkeypatch.setattr(models, "default_threads", lambda: cores)
    runtime = RuntimeConfig()
    assert inference_workers(runtime, "cpu") == workers
    assert session_threads(runtime, "cpu") == threads


def test_a_gpu_runs_two_batches_with_the_default_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models, "default_threads", lambda: 16)
    for provider in ("cuda", "tensorrt"):
        assert inference_workers(RuntimeConfig(), provider) == 2
        assert session_threads(RuntimeConfig(), provider) is None


def test_configured_values_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models, "default_threads", lambda: 16)
    runtime = RuntimeConfig(inference_workers=3, threads=5)
    assert inference_workers(runtime, "cpu") == 3
    assert session_threads(runtime, "cpu") == 5
    assert session_threads(RuntimeConfig(inference_workers=8), "cpu") == 2
