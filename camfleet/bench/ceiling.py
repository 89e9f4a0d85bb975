"""The offline ceiling: images/s of one model at its max batch, with nothing else running.

It runs the model the way shared mode does: ONE detector (one ONNX Runtime session) shared
by as many inference workers as shared mode starts, each run with shared mode's intra-op
threads. Each worker letterboxes its frames (shared mode's intake threads), assembles them
into a batch one worker at a time (shared mode's single prepare thread), then runs inference
and postprocessing concurrently with the other workers. Decoding, motion gating, batching
waits, tracking, rules and storage are not included: those are what the capacity trials add.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

from camfleet.config import RuntimeConfig
from camfleet.engine.models import inference_workers, session_threads
from camfleet.model import Detector
from camfleet.model.preprocess import InputFormat

__all__ = ["measure_ceiling"]


def measure_ceiling(
    model_path: Path,
    provider: str,
    image: npt.NDArray[np.uint8],
    max_batch: int,
    seconds: float,
    cache_dir: Path,
    input_format: InputFormat = "uint8",
) -> float:
    """Full batches of ``image`` back to back for ``seconds`` through one shared session by
    shared mode's inference workers (see the module docstring); returns images/s."""
    runtime = RuntimeConfig()
    workers = inference_workers(runtime, provider)
    detector = Detector.load(
        model_path, provider=provider, max_batch=max_batch, cache_dir=cache_dir,
        threads=session_threads(runtime, provider), in_flight=max(2, workers),
        input_format=input_format,
    )
    assembling = threading.Lock()

    def run_batch() -> None:
        items = [detector.letterbox(image) for _ in range(max_batch)]
        with assembling:
            batch = detector.assemble(items)
        detector.postprocess(detector.infer(batch), batch)

    try:
        run_batch()
        run_batch()
        done = [0] * workers
        stop_at = time.perf_counter() + seconds

        def loop(index: int) -> None:
            while time.perf_counter() < stop_at or done[index] == 0:
                run_batch()
                done[index] += max_batch

        started = time.perf_counter()
        threads = [
            threading.Thread(target=loop, args=(i,), name=f"ceiling-{i}") for i in range(workers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return sum(done) / (time.perf_counter() - started)
    finally:
        detector.close()
