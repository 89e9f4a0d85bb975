"""Decode levers: hardware decode's errors, keyframe-only decoding, the detect substream."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from camfleet.config import CameraConfig
from camfleet.engine.shared import open_camera
from camfleet.errors import SourceError
from camfleet.sources import LatestKeyframe, PyAVSource, open_source, write_reference_clip
from camfleet.sources.decode_cost import measure_decode_cost


@pytest.fixture(scope="module")
def substream(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sub") / "sub-360p.mp4"
    write_reference_clip(path, width=640, height=360, seconds=4.0)
    return path


def _cuda_decodes(clip: Path) -> bool:
    try:
        PyAVSource(str(clip), "probe", hwaccel="cuda").close()
    except SourceError:
        return False
    return True


def test_hwaccel_without_a_usable_device_is_a_one_line_error(reference_clip: Path) -> None:
    if _cuda_decodes(reference_clip):
        pytest.skip("this machine decodes with CUDA")
    with pytest.raises(SourceError) as caught:
        PyAVSource(str(reference_clip), "cam1", hwaccel="cuda")
    message = str(caught.value)
    assert message.startswith("camera 'cam1': cuda hardware decoding is unavailable here (")
    assert message.endswith("set hwaccel: null to decode on the CPU")
    assert "\n" not in message


def test_hwaccel_the_ffmpeg_build_lacks_names_what_it_has(reference_clip: Path) -> None:
    with pytest.raises(SourceError, match=r"hwaccel 'nosuch' is not in this FFmpeg build \(it "
                                          r"has: .*\); use one of those or hwaccel: null"):
        PyAVSource(str(reference_clip), "cam1", hwaccel="nosuch")


def test_generated_sources_refuse_decode_options() -> None:
    with pytest.raises(SourceError, match="apply to decoded video"):
        open_source("synthetic:320x240@15", "cam1", hwaccel="cuda")
    with pytest.raises(ValueError, match="needs a decoded video source"):
        CameraConfig(id="cam1", source="synthetic:320x240@15", hwaccel="cuda")


def test_nonkey_decodes_only_the_keyframes(reference_clip: Path) -> None:
    # The reference clip: 60 frames, a keyframe every 2 s plus x264's scene-cut keyframes.
    with PyAVSource(str(reference_clip), "cam1", skip_frame="NONKEY") as source:
        times = []
        while source.read() is not None:
            times.append(source.media_time_s)
    assert times[0] == 0.0
    assert 2 <= len(times) <= 10
    full = measure_decode_cost(reference_clip, analyze_fps=2, seconds=8)
    keys = measure_decode_cost(reference_clip, analyze_fps=None, seconds=8, skip_frame="NONKEY")
    assert keys.frames_decoded <= 20 < full.frames_decoded
    assert keys.ms_per_second_of_video < 0.5 * full.ms_per_second_of_video


def test_latest_keyframe_keeps_the_newest_main_stream_keyframe(reference_clip: Path) -> None:
    with LatestKeyframe(str(reference_clip), "cam1", realtime=False) as keyframes:
        deadline = time.monotonic() + 10.0
        first = keyframes.latest()
        while first is None and time.monotonic() < deadline:
            time.sleep(0.01)
            first = keyframes.latest()
        assert first is not None, keyframes.status
        assert (first.width, first.height) == (1280, 720)
        assert keyframes.status.state == "streaming"
        later = first
        while later.seq == first.seq and time.monotonic() < deadline:
            time.sleep(0.01)
            later = keyframes.latest() or later
        assert later.seq > first.seq  # it keeps following the looping stream
        assert keyframes.latest() is later  # and answers without waiting for a new one
    assert keyframes.status.state == "stopped"


def test_a_camera_analyses_its_detect_source(reference_clip: Path, substream: Path) -> None:
    camera = CameraConfig(id="cam1", source=str(reference_clip), detect_source=str(substream),
                          realtime=False)
    with open_camera(camera)() as source:
        frame = source.read()
    assert frame is not None and (frame.width, frame.height) == (640, 360)
    plain = CameraConfig(id="cam2", source=str(reference_clip), realtime=False)
    with open_camera(plain)() as source:
        frame = source.read()
    assert frame is not None and (frame.width, frame.height) == (1280, 720)
