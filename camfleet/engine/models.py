"""Load each model of a fleet once, with its configured provider and thresholds."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from camfleet.config import FleetConfig, RuntimeConfig, runs_on_cpu
from camfleet.model import Detector
from camfleet.model.session import default_threads
from camfleet.paths import resolve_asset

__all__ = ["inference_workers", "load_fleet_models", "session_threads", "used_model_ids"]

# More concurrent single-image runs than this rarely pay on a CPU: per-run latency grows
# as threads per run shrink, and the SLO is about latency.
_MAX_CPU_WORKERS = 4


def inference_workers(runtime: RuntimeConfig, provider: str) -> int:
    """Batches of one model that run at once in shared mode.

    On a CPU, concurrent runs with few threads each beat one run over all cores for these
    small convolutional models (YOLOv8n 384x640 on 2 cores: 25 img/s as two one-thread runs
    against 19 as one two-thread run); on a GPU two runs overlap one batch's copies with the
    other's compute."""
    if runtime.inference_workers is not None:
        return runtime.inference_workers
    if runs_on_cpu(provider):
        return max(1, min(default_threads(), _MAX_CPU_WORKERS))
    return 2


def session_threads(runtime: RuntimeConfig, provider: str) -> int | None:
    """Intra-op threads per run in shared mode: the cores split between concurrent runs on
    a CPU (``None``, ONNX Runtime's default, on a GPU)."""
    if runtime.threads is not None:
        return runtime.threads
    if runs_on_cpu(provider):
        return max(1, default_threads() // inference_workers(runtime, provider))
    return None

log = logging.getLogger(__name__)


def used_model_ids(fleet: FleetConfig) -> list[str]:
    """Model ids referenced by at least one camera, in config order."""
    used = {model_id for camera in fleet.cameras for model_id in camera.models}
    return [model_id for model_id in fleet.models if model_id in used]


def load_fleet_models(
    fleet: FleetConfig,
    cache_dir: Path,
    model_ids: Iterable[str] | None = None,
    threads: int | None = None,
    max_batch: int | None = None,
) -> dict[str, Detector]:
    """One :class:`Detector` per model id (all used ones unless ``model_ids`` is given);
    ``max_batch`` overrides the models' own (time-slice workers run batches of one).
    Without ``threads``, each session is sized for shared mode's concurrent runs."""
    detectors: dict[str, Detector] = {}
    try:
        for model_id in used_model_ids(fleet) if model_ids is None else model_ids:
            cfg = fleet.models[model_id]
            detectors[model_id] = Detector.load(
                resolve_asset(cfg.path),
                provider=cfg.provider,
                conf=cfg.conf,
                iou=cfg.iou,
                classes=cfg.classes,
                max_det=cfg.max_det,
                imgsz=cfg.imgsz,
                device_id=fleet.runtime.device_id,
                threads=(
                    threads if threads is not None
                    else session_threads(fleet.runtime, cfg.provider)
                ),
                cache_dir=cache_dir,
                max_batch=max_batch or cfg.batch_limit,
                in_flight=max(2, inference_workers(fleet.runtime, cfg.provider)),
                input_format=cfg.input_format,
            )
            log.info("model %r loaded from %s", model_id, cfg.path)
    except BaseException:
        for detector in detectors.values():
            detector.close()
        raise
    return detectors
