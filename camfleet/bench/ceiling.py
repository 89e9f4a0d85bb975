"""The offline ceiling: images/s of one model at its max batch, with nothing else running."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

from camfleet.model import Detector

__all__ = ["measure_ceiling"]


def measure_ceiling(
    model_path: Path,
    provider: str,
    image: npt.NDArray[np.uint8],
    max_batch: int,
    seconds: float,
    cache_dir: Path,
) -> float:
    """Preprocess + inference + postprocess of full batches back to back, in images/s."""
    images = [image] * max_batch
    with Detector.load(
        model_path, provider=provider, max_batch=max_batch, cache_dir=cache_dir
    ) as detector:
        detector.detect(images)
        detector.detect(images)
        done = 0
        started = time.perf_counter()
        while time.perf_counter() - started < seconds or done == 0:
            detector.detect(images)
            done += max_batch
        return done / (time.perf_counter() - started)
