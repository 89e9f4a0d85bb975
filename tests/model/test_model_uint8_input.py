"""The uint8 NHWC BGR input fused into the graph: same detections as the float path, cached."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
import onnx
import onnxruntime as ort
import pytest
from modelkit import TEST_THREADS, tiny_detect_model

from camfleet.errors import ModelError
from camfleet.model import Detector
from camfleet.model.uint8_input import UINT8_INPUT_NAME, make_uint8_input, rewrite_uint8_input
from camfleet.paths import BUNDLED_CLIPS, BUNDLED_MODEL

FRAMES_PER_CLIP = 4


def _clip_frames(path: Path, count: int) -> list[npt.NDArray[np.uint8]]:
    """``count`` frames spread over the first seconds of a bundled clip, BGR."""
    frames: list[npt.NDArray[np.uint8]] = []
    with av.open(str(path)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index % 10 == 0:
                frames.append(np.ascontiguousarray(frame.to_ndarray(format="bgr24")))
            if len(frames) == count:
                break
    return frames


def _session(model: onnx.ModelProto | Path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = TEST_THREADS
    source = str(model) if isinstance(model, Path) else model.SerializeToString()
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])


def _as_float_input(canvases: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    return np.ascontiguousarray(canvases[..., ::-1].transpose(0, 3, 1, 2), np.float32) / 255


@pytest.mark.parametrize("clip", BUNDLED_CLIPS, ids=lambda p: p.name)
def test_uint8_path_finds_the_same_detections_as_the_float_path(
    clip: Path, cache_dir: Path
) -> None:
    frames = _clip_frames(clip, FRAMES_PER_CLIP)
    options = {"threads": TEST_THREADS, "cache_dir": cache_dir, "conf": 0.1, "max_batch": 4}
    with (
        Detector.load(BUNDLED_MODEL, input_format="float", **options) as floats,
        Detector.load(BUNDLED_MODEL, input_format="uint8", **options) as uint8s,
    ):
        expected = floats.detect(frames)
        got = uint8s.detect(frames)
        assert uint8s.preprocess(frames).tensor.dtype == np.uint8

    assert sum(len(found) for found in expected) > 0, "the clip should show people"
    scale = max(frames[0].shape[:2])
    for want, have in zip(expected, got, strict=True):
        assert have.class_id.tolist() == want.class_id.tolist()
        # Boxes within 1e-3 of the frame size; confidences within 1e-3.
        np.testing.assert_allclose(have.xyxy, want.xyxy, rtol=1e-3, atol=1e-3 * scale)
        np.testing.assert_allclose(have.confidence, want.confidence, atol=1e-3)


def test_stem_conv_absorbs_the_flip_and_scale(cache_dir: Path) -> None:
    fused = onnx.load(str(make_uint8_input(BUNDLED_MODEL, cache_dir)))

    ops = [node.op_type for node in fused.graph.node[:3]]
    assert ops == ["Transpose", "Cast", "Conv"]  # bytes transposed: cheapest on the CPU
    (graph_input,) = fused.graph.input
    assert graph_input.name == UINT8_INPUT_NAME
    assert graph_input.type.tensor_type.elem_type == onnx.TensorProto.UINT8
    dims = [d.dim_param or d.dim_value for d in graph_input.type.tensor_type.shape.dim]
    assert dims == ["batch", "height", "width", 3]

    canvases = np.random.default_rng(3).integers(0, 256, (2, 256, 320, 3), dtype=np.uint8)
    want = _session(BUNDLED_MODEL).run(None, {"images": _as_float_input(canvases)})[0]
    have = _session(fused).run(None, {UINT8_INPUT_NAME: canvases})[0]
    np.testing.assert_allclose(have, want, rtol=1e-3, atol=1e-3)


def test_a_model_without_a_conv_stem_gets_explicit_flip_and_scale_nodes() -> None:
    model = tiny_detect_model()  # its input goes straight into a Reshape
    fused = rewrite_uint8_input(model)

    assert [node.op_type for node in fused.graph.node[:4]] == ["Transpose", "Cast", "Gather", "Div"]
    canvases = np.random.default_rng(5).integers(0, 256, (1, 4, 4, 3), dtype=np.uint8)
    want = _session(model).run(None, {"images": _as_float_input(canvases)})[0]
    have = _session(fused).run(None, {UINT8_INPUT_NAME: canvases})[0]
    np.testing.assert_allclose(have, want, rtol=1e-6, atol=1e-6)


def test_tensorrt_variant_casts_first_and_is_cached_apart(cache_dir: Path) -> None:
    for_cpu = make_uint8_input(BUNDLED_MODEL, cache_dir)
    for_trt = make_uint8_input(BUNDLED_MODEL, cache_dir, cast_first=True)

    assert for_trt != for_cpu and ".uint8-nhwc-cast-first." in for_trt.name
    fused = onnx.load(str(for_trt))
    assert [node.op_type for node in fused.graph.node[:3]] == ["Cast", "Transpose", "Conv"]
    assert list(fused.graph.node[0].input) == [UINT8_INPUT_NAME]
    canvases = np.random.default_rng(9).integers(0, 256, (1, 128, 160, 3), dtype=np.uint8)
    want = _session(for_cpu).run(None, {UINT8_INPUT_NAME: canvases})[0]
    have = _session(fused).run(None, {UINT8_INPUT_NAME: canvases})[0]
    np.testing.assert_allclose(have, want, rtol=1e-5, atol=1e-4)


def test_static_batch_export_is_made_dynamic_then_uint8(tmp_path: Path) -> None:
    path = tmp_path / "tiny.onnx"
    onnx.save(tiny_detect_model(batch=1), str(path))
    frames = [np.full((4, 4, 3), value, np.uint8) for value in (0, 100, 200)]

    with Detector.load(path, threads=1, cache_dir=tmp_path / "cache", max_batch=4) as detector:
        batch = detector.preprocess(frames)
        raw = detector.infer(batch)

    assert detector.info.input_name == UINT8_INPUT_NAME
    assert detector.info.rewritten_from == path
    assert batch.tensor.shape == (3, 4, 4, 3)
    assert np.asarray(raw).shape == (3, 6, 8)
    cached = sorted(p.name for p in (tmp_path / "cache").iterdir())
    assert len(cached) == 2 and [".uint8-nhwc." in name for name in cached] == [False, True]


def test_rewrite_is_cached_by_content_hash(tmp_path: Path) -> None:
    first_model, second_model = tmp_path / "a.onnx", tmp_path / "b.onnx"
    onnx.save(tiny_detect_model(batch="batch"), str(first_model))
    onnx.save(tiny_detect_model(batch="batch", names="{0: 'x', 1: 'y'}"), str(second_model))
    cache = tmp_path / "cache"

    first = make_uint8_input(first_model, cache)
    written = first.stat().st_mtime_ns
    again = make_uint8_input(first_model, cache)
    other = make_uint8_input(second_model, cache)

    assert again == first and first.stat().st_mtime_ns == written
    assert other != first
    assert sorted(p.name for p in cache.iterdir()) == sorted([first.name, other.name])
    assert not any(p.name.endswith(".tmp") for p in cache.iterdir())


def test_unwritable_cache_is_a_model_error(tmp_path: Path) -> None:
    path = tmp_path / "tiny.onnx"
    onnx.save(tiny_detect_model(batch="batch"), str(path))
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")

    with pytest.raises(ModelError, match=r"^tiny\.onnx: cannot write the uint8-input copy"):
        make_uint8_input(path, not_a_dir / "cache")


def test_unknown_input_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="input_format must be one of"):
        Detector.load(BUNDLED_MODEL, cache_dir=tmp_path, input_format="fp16")  # type: ignore[arg-type]
