"""Fixtures for the model runtime: real models, a real decoded frame, tiny synthetic graphs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
import onnx
import pytest
from modelkit import TEST_THREADS, shared_model, tiny_detect_model

from camfleet.model import Detector
from camfleet.paths import ASSETS_DIR, BUNDLED_MODEL


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="session")
def carphone_frame() -> npt.NDArray[np.uint8]:
    """Frame 0 of the bundled carphone clip (176x144, a person in a car), BGR."""
    with av.open(str(ASSETS_DIR / "carphone_pristine.mp4")) as container:
        frame = next(container.decode(video=0))
        return np.ascontiguousarray(frame.to_ndarray(format="bgr24"))


@pytest.fixture(scope="session")
def fall_dynamic(cache_dir: Path) -> Iterator[Detector]:
    with Detector.load(BUNDLED_MODEL, threads=TEST_THREADS, cache_dir=cache_dir) as detector:
        yield detector


@pytest.fixture(scope="session")
def fall_small(cache_dir: Path) -> Iterator[Detector]:
    """The bundled model at imgsz 320: a quarter of the compute, for behaviour tests."""
    with Detector.load(
        BUNDLED_MODEL, threads=TEST_THREADS, cache_dir=cache_dir, imgsz=320, max_batch=2
    ) as detector:
        yield detector


@pytest.fixture(scope="session")
def fall_static(cache_dir: Path) -> Iterator[Detector]:
    path = shared_model("fall-yolov8s-static.onnx")
    with Detector.load(path, threads=TEST_THREADS, cache_dir=cache_dir) as detector:
        yield detector


@pytest.fixture
def tiny_model_path(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.onnx"
    onnx.save(tiny_detect_model(), str(path))
    return path
