from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnx
import onnxruntime as ort
import pytest
from modelkit import TEST_THREADS, shared_model, tiny_detect_model
from onnx import helper, numpy_helper

from camfleet.errors import ModelError
from camfleet.model import inspect_model, make_batch_dynamic
from camfleet.paths import BUNDLED_MODEL


def _session(path: Path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = TEST_THREADS
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _run(session: ort.InferenceSession, batch: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    result: npt.NDArray[np.float32] = session.run(None, {"images": batch})[0]
    return result


def _images(count: int, size: int = 640, seed: int = 0) -> npt.NDArray[np.float32]:
    return np.random.default_rng(seed).random((count, 3, size, size), dtype=np.float32)


def test_static_yolov8n_rewritten_matches_dynamic_export(cache_dir: Path) -> None:
    static = shared_model("yolov8n-rand-static.onnx")
    dynamic = _session(shared_model("yolov8n-rand-dynamic.onnx"))
    rewritten = _session(make_batch_dynamic(static, cache_dir))

    for count in (1, 3):
        images = _images(count, seed=count)
        expected = _run(dynamic, images)
        got = _run(rewritten, images)
        assert got.shape == (count, 84, 8400)
        np.testing.assert_allclose(got, expected, atol=1e-4, rtol=0)


def test_static_fall_model_batch_of_four_equals_four_single_runs(cache_dir: Path) -> None:
    source = shared_model("fall-yolov8s-static.onnx")
    path = make_batch_dynamic(source, cache_dir)
    session = _session(path)
    images = _images(4, seed=7)

    batched = _run(session, images)
    singles = np.concatenate([_run(session, images[i : i + 1]) for i in range(4)])

    assert batched.shape == (4, 6, 8400)
    np.testing.assert_allclose(batched, singles, atol=1e-4, rtol=0)
    info = inspect_model(path)
    assert info.dynamic_batch and not info.dynamic_hw
    assert info.names == {0: "Normal", 1: "Fall"}


def test_fall_model_reshape_constants_lose_their_batch(cache_dir: Path) -> None:
    model = onnx.load(str(make_batch_dynamic(shared_model("fall-yolov8s-static.onnx"), cache_dir)))
    constants = {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}
    shapes = {
        node.name: constants[node.input[1]].tolist()
        for node in model.graph.node
        if node.op_type == "Reshape"
    }

    assert shapes == {
        "/model.22/Reshape": [0, 66, -1],
        "/model.22/Reshape_1": [0, 66, -1],
        "/model.22/Reshape_2": [0, 66, -1],
        "/model.22/dfl/Reshape": [0, 4, 16, 8400],
        "/model.22/dfl/Reshape_1": [0, 4, 8400],
    }


@pytest.mark.parametrize(
    ("allowzero", "shape_node"), [(False, False), (True, False), (False, True)]
)
def test_batch_free_reshapes_are_left_alone(
    tmp_path: Path, allowzero: bool, shape_node: bool
) -> None:
    source = tmp_path / "tiny.onnx"
    onnx.save(tiny_detect_model(allowzero=allowzero, shape_node=shape_node), str(source))
    session = _session(make_batch_dynamic(source, tmp_path / "cache"))
    images = np.random.default_rng(1).random((3, 3, 4, 4), dtype=np.float32)

    got = _run(session, images)

    grid = np.arange(8, dtype=np.float32)
    np.testing.assert_allclose(got, images.reshape(3, 6, 8) + grid, atol=1e-6)


def test_rewrite_is_cached_by_content(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    source = tmp_path / "tiny.onnx"
    onnx.save(tiny_detect_model(), str(source))

    first = make_batch_dynamic(source, cache)
    stamp = first.stat().st_mtime_ns
    again = make_batch_dynamic(source, cache)
    other = tmp_path / "other.onnx"
    onnx.save(tiny_detect_model(names="{0: 'x', 1: 'y'}"), str(other))
    different = make_batch_dynamic(other, cache)

    assert again == first and first.stat().st_mtime_ns == stamp
    assert different != first
    assert sorted(p.name for p in cache.iterdir()) == sorted([first.name, different.name])
    assert inspect_model(first).dynamic_batch


def test_dynamic_model_is_returned_unchanged(tmp_path: Path) -> None:
    assert make_batch_dynamic(BUNDLED_MODEL, tmp_path / "cache") == BUNDLED_MODEL
    assert not (tmp_path / "cache").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to read-only directories")
def test_unwritable_cache_is_a_model_error(tmp_path: Path, tiny_model_path: Path) -> None:
    cache = tmp_path / "ro"
    cache.mkdir()
    cache.chmod(0o500)
    try:
        with pytest.raises(ModelError, match="pass a writable cache_dir"):
            make_batch_dynamic(tiny_model_path, cache)
    finally:
        cache.chmod(0o700)


def test_cache_path_that_is_a_file_is_a_model_error(tmp_path: Path, tiny_model_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("not a directory")

    with pytest.raises(ModelError, match=r"^tiny\.onnx: cannot write the batch-dynamic copy"):
        make_batch_dynamic(tiny_model_path, blocker)


def test_batch_pinned_outside_reshapes_is_refused(tmp_path: Path) -> None:
    model = tiny_detect_model()
    graph = model.graph
    # Flatten(axis=0) folds the batch into the second axis: no Reshape constant to fix.
    graph.node.insert(0, helper.make_node("Flatten", ["images"], ["flat"], axis=0))
    graph.node[1].input[0] = "flat"
    path = tmp_path / "pinned.onnx"
    onnx.save(model, str(path))

    with pytest.raises(ModelError, match=r"^pinned\.onnx: cannot make the batch axis dynamic"):
        make_batch_dynamic(path, tmp_path / "cache")
