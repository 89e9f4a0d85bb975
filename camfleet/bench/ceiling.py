"""The offline ceiling: images/s of one model at its max batch, with nothing else running."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

from camfleet.config import RuntimeConfig
from camfleet.engine.models import inference_workers, session_threads
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
    """Preprocess + inference + postprocess of full batches back to back, in images/s, with
    as many batches in flight, and as many threads per run, as shared mode uses."""
    runtime = RuntimeConfig()
    workers = inference_workers(runtime, provider)
    run_threads = session_threads(runtime, provider)
    images = [image] * max_batch
    done = [0] * workers
    detectors = [
        Detector.load(model_path, provider=provider, max_batch=max_batch, cache_dir=cache_dir,
                      threads=run_threads)
        for _ in range(workers)
    ]
    try:
        for detector in detectors:
            detector.detect(images)
            detector.detect(images)
        stop_at = time.perf_counter() + seconds

        def loop(index: int) -> None:
            while time.perf_counter() < stop_at or done[index] == 0:
                detectors[index].detect(images)
                done[index] += max_batch

        started = time.perf_counter()
        threads = [threading.Thread(target=loop, args=(i,)) for i in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return sum(done) / (time.perf_counter() - started)
    finally:
        for detector in detectors:
            detector.close()
