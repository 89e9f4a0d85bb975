"""The offline ceiling runs the model as shared mode does: one session, shared mode's workers."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from modelkit import tiny_detect_model

from camfleet.bench import ceiling
from camfleet.config import RuntimeConfig
from camfleet.engine.models import inference_workers
from camfleet.model import Detector


class InferSpy:
    """Counts detector loads and which threads run inference, and how many at once."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.loads = 0
        self.threads: set[str] = set()
        self.images = 0
        self.running = 0
        self.most_at_once = 0
        self._lock = threading.Lock()
        load, infer = Detector.load, Detector.infer

        def counting_load(*args: Any, **kwargs: Any) -> Detector:
            self.loads += 1
            return load(*args, **kwargs)

        def watched_infer(detector: Detector, batch: Any) -> Any:
            with self._lock:
                self.running += 1
                self.most_at_once = max(self.most_at_once, self.running)
                self.threads.add(threading.current_thread().name)
                self.images += len(batch)
            try:
                return infer(detector, batch)
            finally:
                with self._lock:
                    self.running -= 1

        monkeypatch.setattr(ceiling.Detector, "load", counting_load)
        monkeypatch.setattr(Detector, "infer", watched_infer)


@pytest.mark.timeout(60)
def test_ceiling_shares_one_session_between_shared_modes_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = tmp_path / "tiny.onnx"
    onnx.save(tiny_detect_model(), model)
    spy = InferSpy(monkeypatch)
    image = np.full((48, 64, 3), 90, np.uint8)

    images_per_s = ceiling.measure_ceiling(model, "cpu", image, 2, 0.5, tmp_path / "cache")

    workers = inference_workers(RuntimeConfig(), "cpu")
    assert spy.loads == 1  # one session, as shared mode loads one per model
    assert {name for name in spy.threads if name.startswith("ceiling-")} == {
        f"ceiling-{i}" for i in range(workers)
    }
    if workers > 1:
        assert spy.most_at_once >= 2  # the workers' runs overlap on the one session
    # Every measured image went through inference (the two warm-up batches come on top).
    assert 0 < images_per_s * 0.5 <= spy.images
