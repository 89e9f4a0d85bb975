"""The GPU path's pieces, run on the CPU: batch padding, IO binding, pinned buffers, and the
TensorRT options (engine and timing cache, FP16, one profile per padded batch size)."""

from __future__ import annotations

import ctypes
import gc
import logging
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from modelkit import TEST_THREADS

from camfleet.frames import Detections
from camfleet.model import Detector
from camfleet.model.binding import DeviceOutput, run_bound
from camfleet.model.detector import tensorrt_profile
from camfleet.model.metadata import inspect_model
from camfleet.model.padding import batch_buckets, padded_count
from camfleet.model.pinned import host_allocator, pinned_allocator
from camfleet.model.session import ShapeProfile, provider_chain
from camfleet.paths import BUNDLED_MODEL


def _same(have: list[Detections], want: list[Detections]) -> None:
    assert len(have) == len(want)
    for a, b in zip(have, want, strict=True):
        assert a.class_id.tolist() == b.class_id.tolist()
        np.testing.assert_allclose(a.xyxy, b.xyxy, atol=1e-2)
        np.testing.assert_allclose(a.confidence, b.confidence, atol=1e-4)


def _load(cache_dir: Path, **options: object) -> Detector:
    return Detector.load(
        BUNDLED_MODEL, threads=TEST_THREADS, cache_dir=cache_dir, imgsz=320, conf=0.1,
        **options,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("count", "buckets", "max_batch", "rows"),
    [
        (1, (1, 4, 8), 8, 1),
        (3, (1, 4, 8), 8, 4),
        (5, (1, 4, 8), 8, 8),
        (8, (1, 4, 8), 8, 8),
        (11, (1, 4, 8), 8, 12),
        (16, (1, 4, 8), 8, 16),
        (3, (), 8, 3),
    ],
)
def test_padded_count(count: int, buckets: tuple[int, ...], max_batch: int, rows: int) -> None:
    assert padded_count(count, buckets, max_batch) == rows


def test_buckets_stop_at_max_batch() -> None:
    assert batch_buckets((1, 4, 8, 16, 32), 8) == (1, 4, 8)
    assert batch_buckets((32, 1, 4), 6) == (1, 4, 6)
    assert batch_buckets((), 8) == ()
    with pytest.raises(ValueError, match="at least 1"):
        batch_buckets((0, 4), 8)


def test_padded_batch_returns_only_the_real_frames(
    cache_dir: Path, carphone_frame: npt.NDArray[np.uint8]
) -> None:
    rng = np.random.default_rng(11)
    noise = rng.integers(0, 256, carphone_frame.shape, dtype=np.uint8)
    frames = [carphone_frame, noise, carphone_frame[:, ::-1].copy()]
    with _load(cache_dir, max_batch=4) as plain, _load(
        cache_dir, max_batch=4, pad_batches=(1, 2, 4)
    ) as padded:
        want = plain.detect(frames)
        batch = padded.preprocess(frames)
        raw = padded.infer(batch)
        have = padded.postprocess(raw, batch)
        seven = padded.preprocess([*frames, *frames, carphone_frame])

    assert padded.buckets == (1, 2, 4)
    assert batch.tensor.shape[0] == 4 and len(batch) == 3
    assert np.asarray(raw).shape[0] == 3
    assert any(len(found) for found in want)
    _same(have, want)
    assert seven.tensor.shape[0] == 8 and len(seven) == 7  # a chunk of 4, then 3 padded to 4


def test_io_binding_on_cpu_gives_the_plain_run_detections(
    cache_dir: Path, carphone_frame: npt.NDArray[np.uint8]
) -> None:
    frames = [carphone_frame, carphone_frame[::-1].copy()]
    with _load(cache_dir, max_batch=1) as plain, _load(
        cache_dir, max_batch=1, io_binding=True
    ) as bound:
        want = plain.detect(frames)
        batch = bound.preprocess(frames)
        raw = bound.infer(batch)  # two chunks of max_batch 1
        have = bound.postprocess(raw, batch)

    assert isinstance(raw, DeviceOutput) and len(raw.chunks) == 2 and len(raw) == 2
    assert raw.to_host().shape[:2] == (2, 6)
    _same(have, want)


def test_run_bound_refuses_a_strided_input(fall_small: Detector) -> None:
    session = fall_small._require_session()
    strided = np.zeros((2, 64, 64, 3), np.uint8)[::2]
    with pytest.raises(ValueError, match="C-contiguous"):
        run_bound(session, "x", "y", strided[..., ::-1], "cpu")


class _FakeCudaRuntime:
    """Records pin/unpin calls the way libcudart would receive them."""

    def __init__(self, status: int = 0) -> None:
        self.status = status
        self.pinned: dict[int | None, int] = {}
        self.unpinned: list[int | None] = []

    def cudaHostRegister(self, ptr: ctypes.c_void_p, size: ctypes.c_size_t, flags: int) -> int:
        if self.status == 0:
            self.pinned[ptr.value] = size.value
        return self.status

    def cudaHostUnregister(self, ptr: ctypes.c_void_p) -> int:
        self.unpinned.append(ptr.value)
        return 0


def test_pinned_allocator_pins_each_buffer_and_unpins_it_when_freed() -> None:
    runtime = _FakeCudaRuntime()
    allocate = pinned_allocator(runtime)

    array = allocate((2, 8, 8, 3), np.uint8)
    address = array.ctypes.data

    assert array.shape == (2, 8, 8, 3) and array.dtype == np.uint8
    assert runtime.pinned == {address: array.nbytes}
    del array
    gc.collect()
    assert runtime.unpinned == [address]


def test_pinning_refused_keeps_a_pageable_buffer(caplog: pytest.LogCaptureFixture) -> None:
    allocate = pinned_allocator(_FakeCudaRuntime(status=2))
    with caplog.at_level(logging.WARNING):
        array = allocate((4, 3), np.float32)
    assert array.shape == (4, 3)
    assert "stays pageable" in caplog.text
    assert pinned_allocator(None) is host_allocator


def test_preprocessor_draws_uint8_batches_into_allocated_buffers(tmp_path: Path) -> None:
    runtime = _FakeCudaRuntime()
    from camfleet.model.preprocess import Preprocessor

    prep = Preprocessor(
        (320, 320), 32, rect=True, max_batch=2, input_format="uint8",
        allocate=pinned_allocator(runtime),
    )
    first = prep([np.zeros((180, 320, 3), np.uint8)]).tensor
    second = prep([np.zeros((180, 320, 3), np.uint8)]).tensor

    assert first.dtype == np.uint8 and first.shape == (1, 192, 320, 3)
    assert len(runtime.pinned) == 2  # a ring of two canvases, both pinned
    assert first.ctypes.data in runtime.pinned and second.ctypes.data in runtime.pinned
    assert first.ctypes.data != second.ctypes.data


def test_tensorrt_options_cache_engines_under_the_data_dir(tmp_path: Path) -> None:
    info = inspect_model(BUNDLED_MODEL)
    profile = tensorrt_profile(info, (384, 640), 8, (1, 4, 8), "uint8")

    chain = provider_chain("tensorrt", 0, tmp_path / "cache", profile)

    name, options = chain[0]
    assert name == "TensorrtExecutionProvider"
    assert options["trt_fp16_enable"] is True
    assert options["trt_engine_cache_enable"] and options["trt_timing_cache_enable"]
    assert options["trt_engine_cache_path"] == str(tmp_path / "cache" / "trt")
    assert options["trt_timing_cache_path"] == str(tmp_path / "cache" / "trt")
    assert (tmp_path / "cache" / "trt").is_dir()
    assert options["trt_profile_min_shapes"] == ",".join(
        f"images:{b}x32x32x3" for b in (1, 4, 8)
    ).replace("images", profile.input_name)
    assert options["trt_profile_opt_shapes"] == (
        f"{profile.input_name}:1x384x640x3,{profile.input_name}:4x384x640x3,"
        f"{profile.input_name}:8x384x640x3"
    )
    assert options["trt_profile_max_shapes"] == options["trt_profile_opt_shapes"]
    assert chain[-1] == "CPUExecutionProvider"


def test_unpadded_float_profile_spans_every_batch() -> None:
    info = inspect_model(BUNDLED_MODEL)
    profile = tensorrt_profile(info, (640, 640), 16, (), "float")
    assert profile == ShapeProfile(
        "images", (((1, 3, 32, 32), (16, 3, 640, 640), (16, 3, 640, 640)),)
    )
