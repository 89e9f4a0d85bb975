from __future__ import annotations

from pathlib import Path

import onnx
import pytest
from modelkit import shared_model, tiny_detect_model

from camfleet.errors import ModelError
from camfleet.model import ModelInfo, inspect_model
from camfleet.paths import BUNDLED_MODEL


def test_bundled_model_metadata() -> None:
    info = inspect_model(BUNDLED_MODEL)

    assert info == ModelInfo(
        path=BUNDLED_MODEL,
        task="detect",
        names={0: "Normal", 1: "Fall"},
        imgsz=(640, 640),
        stride=32,
        dynamic_batch=True,
        dynamic_hw=True,
        input_name="images",
        output_name="output0",
        num_classes=2,
        params=11_126_364,
        opset=18,
        producer="pytorch 2.14.1",
        rewritten_from=None,
    )


def test_static_export_is_reported_static() -> None:
    info = inspect_model(shared_model("yolov8n-rand-static.onnx"))

    assert (info.dynamic_batch, info.dynamic_hw) == (False, False)
    assert info.imgsz == (640, 640)
    assert info.num_classes == 80
    assert info.names[79] == "79"
    assert info.opset == 18


def test_tiny_model_is_accepted(tiny_model_path: Path) -> None:
    info = inspect_model(tiny_model_path)

    assert info.names == {0: "a", 1: "b"}
    assert (info.imgsz, info.stride, info.params) == ((4, 4), 4, 8)


def _write(tmp_path: Path, model: onnx.ModelProto) -> Path:
    path = tmp_path / "model.onnx"
    onnx.save(model, str(path))
    return path


@pytest.mark.parametrize(
    ("model_kwargs", "expected"),
    [
        ({"task": "segment"}, "is a 'segment' model"),
        ({"task": "pose"}, "is a 'pose' model"),
        ({"names": "{0: 'a', 1: 'b', 2: 'c'}"}, "expected (B, 7, anchors) for 3 classes"),
        ({"output_shape": (1, 8, 6)}, "is transposed (1, 8, 6)"),
        ({"output_shape": (1, 48)}, "has shape (1, 48)"),
        ({"names": "not a dict ["}, "not a Python dict literal"),
        ({"names": "{1: 'a', 2: 'b'}"}, "must map class ids 0..n-1"),
    ],
)
def test_unsupported_models_are_refused(
    tmp_path: Path, model_kwargs: dict[str, object], expected: str
) -> None:
    path = _write(tmp_path, tiny_detect_model(**model_kwargs))  # type: ignore[arg-type]

    with pytest.raises(ModelError) as caught:
        inspect_model(path)

    message = str(caught.value)
    assert message.startswith("model.onnx: ")
    assert expected in message
    assert "\n" not in message


def test_missing_metadata_is_refused(tmp_path: Path) -> None:
    model = tiny_detect_model()
    del model.metadata_props[:]

    with pytest.raises(ModelError, match=r"no Ultralytics metadata \(task, names, stride"):
        inspect_model(_write(tmp_path, model))


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"this is not a model\n", "not an ONNX file (protobuf parse failed"),
        (b"", "not an ONNX model (empty graph)"),
    ],
)
def test_non_onnx_files_are_refused(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "model.onnx"
    path.write_bytes(content)

    with pytest.raises(ModelError) as caught:
        inspect_model(path)

    assert str(caught.value).startswith("model.onnx: ")
    assert expected in str(caught.value)
    assert "format=onnx" in str(caught.value)


def test_video_file_is_refused() -> None:
    from camfleet.paths import BUNDLED_CLIPS

    with pytest.raises(ModelError, match=r"^bikes\.mp4: not an ONNX file"):
        inspect_model(BUNDLED_CLIPS[0])


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no such model file"):
        inspect_model(tmp_path / "nope.onnx")


def test_input_must_have_three_channels(tmp_path: Path) -> None:
    model = tiny_detect_model()
    model.graph.input[0].type.tensor_type.shape.dim[1].dim_value = 1

    with pytest.raises(ModelError, match=r"input 'images' has shape \(1, 1, 4, 4\), expected"):
        inspect_model(_write(tmp_path, model))
