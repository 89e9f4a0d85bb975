"""A fleet's model section chooses the input the device receives: uint8 bytes or host floats."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from modelkit import tiny_detect_model

from camfleet.config import parse_fleet
from camfleet.engine.models import load_fleet_models


@pytest.mark.parametrize("input_format", ["uint8", "float"])
def test_model_config_input_format_reaches_the_detector(tmp_path: Path, input_format: str) -> None:
    model = tmp_path / "tiny.onnx"
    onnx.save(tiny_detect_model(), model)
    fleet = parse_fleet({
        "models": {"m": {"path": str(model), "input_format": input_format}},
        "cameras": [{"id": "c", "source": "synthetic:64x48@5", "models": ["m"]}],
    })
    detectors = load_fleet_models(fleet, tmp_path / "cache")
    try:
        detector = detectors["m"]
        assert detector.input_format == input_format
        batch = detector.preprocess([np.full((48, 64, 3), 114, np.uint8)])
        expected = np.uint8 if input_format == "uint8" else np.float32
        assert batch.tensor.dtype == expected
    finally:
        for detector in detectors.values():
            detector.close()


def test_uint8_is_the_default() -> None:
    fleet = parse_fleet({"cameras": [{"id": "c", "source": "synthetic:64x48@5"}]})
    assert fleet.models["default"].input_format == "uint8"
