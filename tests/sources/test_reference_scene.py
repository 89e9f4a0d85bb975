from __future__ import annotations

import threading
import time
import zlib
from pathlib import Path

import numpy as np
import pytest

from camfleet.errors import SourceError
from camfleet.paths import ASSETS_DIR, BUNDLED_CLIPS
from camfleet.sources import ReferenceSceneSource, open_source
from camfleet.sources.reference_scene import (
    REFERENCE_CYCLE_FRAMES,
    REFERENCE_MOVING_FRAMES,
    parse_reference_url,
)

SMALL = "reference:@320x180"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("reference:", (BUNDLED_CLIPS[0], 1280, 720)),
        ("reference:@640x360", (BUNDLED_CLIPS[0], 640, 360)),
        ("reference:/x/y.mp4", (Path("/x/y.mp4"), 1280, 720)),
        ("reference:/x/y.mp4@320x180", (Path("/x/y.mp4"), 320, 180)),
        (
            "reference:bundled:carphone_pristine.mp4",
            (ASSETS_DIR / "carphone_pristine.mp4", 1280, 720),
        ),
    ],
)
def test_parses_path_and_size(url: str, expected: tuple[Path, int, int]) -> None:
    assert parse_reference_url(url) == expected


def test_bad_size_and_missing_clip_are_source_errors(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"16\.\.8192"):
        open_source("reference:@8x8", "cam1")
    with pytest.raises(SourceError, match="no such file"):
        open_source(f"reference:{tmp_path / 'none.mp4'}@320x180", "cam1")


def test_cycle_is_20_percent_motion_then_a_held_frame_with_sensor_noise() -> None:
    with open_source("reference:@160x96", "cam-cycle") as source:
        assert isinstance(source, ReferenceSceneSource)
        assert source.native_fps == 15.0
        frames = [source.read() for _ in range(REFERENCE_CYCLE_FRAMES)]
        positions = [source.cycle_position(i) for i in range(len(frames))]
    images = {p: f.image.astype(np.float32) for p, f in zip(positions, frames, strict=True) if f}
    held = images[REFERENCE_MOVING_FRAMES - 1]
    still = np.stack([images[p] for p in range(REFERENCE_MOVING_FRAMES, 150)])
    noise = still - held
    assert abs(noise.mean()) < 0.1
    assert 1.7 < noise.std() < 2.4  # sigma ~2 grey levels
    assert np.abs(still[1:] - still[:-1]).mean() < 3.0  # no motion, only noise
    moving = np.stack([images[p] for p in range(REFERENCE_MOVING_FRAMES)])
    assert np.abs(moving[1:] - moving[:-1]).mean(axis=(1, 2, 3)).min() > 1.0  # real motion


def test_same_camera_same_frames_other_camera_other_phase() -> None:
    a1 = ReferenceSceneSource.from_url(SMALL, "cam-a", analyze_fps=None, realtime=False)
    a2 = ReferenceSceneSource.from_url(SMALL, "cam-a", analyze_fps=None, realtime=False)
    b = ReferenceSceneSource.from_url(SMALL, "cam-b", analyze_fps=None, realtime=False)
    assert a1.phase == zlib.crc32(b"cam-a") % 150 != b.phase
    for _ in range(40):
        f1, f2 = a1.read(), a2.read()
        assert f1 is not None and f2 is not None
        np.testing.assert_array_equal(f1.image, f2.image)


def test_cameras_share_one_decoded_scene_even_when_opened_together() -> None:
    sources: list[ReferenceSceneSource] = []
    lock = threading.Lock()

    def open_one(index: int) -> None:
        source = ReferenceSceneSource.from_url(
            "reference:@352x198", f"cam{index}", analyze_fps=2, realtime=False
        )
        with lock:
            sources.append(source)

    threads = [threading.Thread(target=open_one, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(sources) == 8
    assert len({id(s._scene) for s in sources}) == 1
    started = time.thread_time()
    ReferenceSceneSource.from_url("reference:@352x198", "late", analyze_fps=2, realtime=False)
    assert time.thread_time() - started < 0.05  # cached: no decoding


def test_default_is_the_720p_reference_camera_and_frames_are_cheap() -> None:
    with open_source("reference:", "cam1", analyze_fps=2) as source:
        assert (source.width, source.height, source.native_fps) == (1280, 720, 15.0)
        source.read()
        started = time.thread_time()  # CPU time: immune to other processes on the machine
        frames = [source.read() for _ in range(30)]
        per_frame = (time.thread_time() - started) / 30
    assert all(f is not None and f.image.shape == (720, 1280, 3) for f in frames)
    assert per_frame < 5e-3


def test_frames_are_owned_by_the_consumer() -> None:
    with open_source(SMALL, "cam1") as source:
        first = source.read()
        assert first is not None
        first.image[:] = 0  # a consumer may draw on its frame
        again = ReferenceSceneSource.from_url(SMALL, "cam1", analyze_fps=None, realtime=False)
        fresh = again.read()
    assert fresh is not None and fresh.image.any()
