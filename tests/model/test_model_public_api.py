"""The model runtime used only through ``camfleet.model``'s public names, as the engine does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnx
from modelkit import tiny_detect_model

import camfleet.model
from camfleet.model import (
    PROVIDERS,
    Detector,
    Letterbox,
    LetterboxedImage,
    PreparedBatch,
    available_providers,
    inspect_model,
    make_batch_dynamic,
)
from camfleet.paths import BUNDLED_MODEL


def test_public_surface_is_pinned() -> None:
    assert camfleet.model.__all__ == [
        "PROVIDERS",
        "Detector",
        "DeviceOutput",
        "Letterbox",
        "LetterboxedImage",
        "ModelInfo",
        "PreparedBatch",
        "available_providers",
        "inspect_model",
        "make_batch_dynamic",
        "make_uint8_input",
    ]
    for name in camfleet.model.__all__:
        value = getattr(camfleet.model, name)
        # Re-exported from the module that defines it, not a stand-in.
        defined_in = getattr(value, "__module__", "camfleet.model.session")
        assert defined_in.startswith("camfleet.model."), (name, defined_in)


def test_providers_name_onnx_runtime_providers_and_cpu_is_available() -> None:
    assert PROVIDERS["cpu"] == "CPUExecutionProvider"
    assert set(PROVIDERS) == {"cpu", "cuda", "tensorrt", "openvino"}
    assert "CPUExecutionProvider" in available_providers()


def test_inspect_reads_the_bundled_models_classes_and_input() -> None:
    info = inspect_model(BUNDLED_MODEL)
    assert info.task == "detect"
    assert info.names == {0: "Normal", 1: "Fall"}
    assert info.num_classes == 2 and info.dynamic_batch
    assert info.imgsz == (640, 640) and info.stride == 32


def test_make_batch_dynamic_turns_a_static_export_dynamic(tmp_path: Path) -> None:
    static = tmp_path / "static.onnx"
    onnx.save(tiny_detect_model(batch=1), static)
    assert not inspect_model(static).dynamic_batch

    dynamic = make_batch_dynamic(static, tmp_path / "cache")

    assert dynamic != static and inspect_model(dynamic).dynamic_batch
    assert make_batch_dynamic(static, tmp_path / "cache") == dynamic  # cached, not rebuilt


def test_the_engines_steps_give_what_detect_gives(
    fall_small: Detector, carphone_frame: npt.NDArray[np.uint8]
) -> None:
    """letterbox (any thread) -> assemble -> infer -> postprocess, as a lane runs them."""
    expected = fall_small.detect([carphone_frame])[0]

    item = fall_small.letterbox(carphone_frame)
    assert isinstance(item, LetterboxedImage) and isinstance(item.letterbox, Letterbox)
    assert item.original_shape == carphone_frame.shape[:2]
    batch = fall_small.assemble([item, item])
    assert isinstance(batch, PreparedBatch) and len(batch) == 2
    results = fall_small.postprocess(fall_small.infer(batch), batch)

    assert len(expected) >= 1  # the carphone clip shows a person
    assert set(expected.class_id.tolist()) <= {0, 1}
    for detections in results:
        np.testing.assert_allclose(detections.xyxy, expected.xyxy, atol=1e-3)
        np.testing.assert_array_equal(detections.class_id, expected.class_id)
    height, width = carphone_frame.shape[:2]
    assert float(expected.xyxy[:, [0, 2]].max()) <= width
    assert float(expected.xyxy[:, [1, 3]].max()) <= height
