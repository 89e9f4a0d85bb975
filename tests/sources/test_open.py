from __future__ import annotations

from pathlib import Path

import pytest

import camfleet.sources
from camfleet.errors import SourceError
from camfleet.sources import (
    PyAVSource,
    ReferenceSceneSource,
    Source,
    SyntheticSource,
    open_source,
)


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("synthetic:64x48@10", SyntheticSource),
        ("reference:@64x36", ReferenceSceneSource),
        ("bundled:bikes.mp4", PyAVSource),
    ],
)
def test_dispatches_on_the_url(url: str, kind: type[Source]) -> None:
    with open_source(url, "cam1", analyze_fps=2.0) as source:
        assert isinstance(source, kind)
        frame = source.read()
    assert frame is not None and frame.camera_id == "cam1" and frame.seq == 0


def test_plain_path_and_file_url(bikes: Path) -> None:
    for url in (str(bikes), f"file://{bikes}"):
        with open_source(url, "cam1", analyze_fps=1) as source:
            assert isinstance(source, PyAVSource)
            assert sum(1 for _ in source) == 10


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/cam", "gopher://x/y", "smb://nas/video.mp4"])
def test_unknown_scheme_names_what_is_supported(url: str) -> None:
    with pytest.raises(SourceError) as exc:
        open_source(url, "cam1")
    message = str(exc.value)
    assert message.startswith("camera 'cam1': unknown source scheme")
    assert "rtsp(s)://" in message and "synthetic:WxH@FPS" in message and "\n" not in message


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"analyze_fps": 0.0}, "analyze_fps"),
        ({"analyze_fps": -1.0}, "analyze_fps"),
        ({"open_timeout_s": 0.0}, "timeouts"),
        ({"read_timeout_s": -1.0}, "timeouts"),
    ],
)
def test_rejects_bad_settings(kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(SourceError, match=match):
        open_source("synthetic:64x48@10", "cam1", **kwargs)  # type: ignore[arg-type]


def test_public_surface_is_sorted_and_importable() -> None:
    names = camfleet.sources.__all__
    assert names == sorted(names)
    for name in names:
        assert getattr(camfleet.sources, name) is not None
    engine_needs = {"CameraReader", "FrameSlot", "Source", "SourceStatus", "open_source"}
    assert engine_needs <= set(names)
