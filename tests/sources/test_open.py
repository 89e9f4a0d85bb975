from __future__ import annotations

from pathlib import Path
from typing import Literal, get_args, get_origin

import numpy as np
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
    ("url", "kind", "shape"),
    [
        ("synthetic:64x48@10", SyntheticSource, (48, 64, 3)),
        ("reference:@64x36", ReferenceSceneSource, (36, 64, 3)),
        ("bundled:bikes.mp4", PyAVSource, (272, 640, 3)),
    ],
)
def test_dispatches_on_the_url(
    url: str, kind: type[Source], shape: tuple[int, int, int]
) -> None:
    with open_source(url, "cam1", analyze_fps=2.0) as source:
        assert isinstance(source, kind)
        first, second = source.read(), source.read()
    assert first is not None and second is not None
    assert (first.camera_id, first.seq, second.seq) == ("cam1", 0, 1)
    assert first.image.shape == shape and first.image.dtype == np.uint8
    assert second.captured_at >= first.captured_at


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
        value = getattr(camfleet.sources, name)
        if get_origin(value) is Literal:  # a type alias: its states
            assert get_args(value), name
            continue
        # Each name is re-exported from the module that defines it.
        assert getattr(value, "__module__", "").startswith("camfleet.sources."), name
    for implementation in (PyAVSource, ReferenceSceneSource, SyntheticSource):
        assert issubclass(implementation, Source)
    engine_needs = {"CameraReader", "FrameSlot", "Source", "SourceStatus", "open_source"}
    assert engine_needs <= set(names)
