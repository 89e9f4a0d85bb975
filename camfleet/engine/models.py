"""Load each model of a fleet once, with its configured provider and thresholds."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from camfleet.config import FleetConfig
from camfleet.model import Detector
from camfleet.paths import resolve_asset

__all__ = ["load_fleet_models", "used_model_ids"]

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
    ``max_batch`` overrides the models' own (time-slice workers run batches of one)."""
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
                threads=threads if threads is not None else fleet.runtime.threads,
                cache_dir=cache_dir,
                max_batch=max_batch or cfg.batch_limit,
            )
            log.info("model %r loaded from %s", model_id, cfg.path)
    except BaseException:
        for detector in detectors.values():
            detector.close()
        raise
    return detectors
