from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from av.video.frame import PictureType
from hypothesis import given, settings
from hypothesis import strategies as st

from camfleet.errors import SourceError
from camfleet.sources import write_h264
from camfleet.sources.resize import fit_to_size


@settings(deadline=None)  # timing is not the property; a busy CI box is slow
@given(
    source=st.tuples(st.integers(8, 400), st.integers(8, 400)),
    target=st.tuples(st.integers(8, 300), st.integers(8, 300)),
)
def test_fit_to_size_gives_exactly_the_target(
    source: tuple[int, int], target: tuple[int, int]
) -> None:
    image = np.zeros((source[1], source[0], 3), np.uint8)
    assert fit_to_size(image, *target).shape == (target[1], target[0], 3)


def test_fit_to_size_crops_the_centre_without_stretching() -> None:
    wide = np.zeros((100, 400, 3), np.uint8)
    wide[:, :100] = 255  # white left quarter is cropped away when fitting 2:1 into 1:1
    wide[40:60, 190:210] = 128  # a centred square stays a centred square
    fitted = fit_to_size(wide, 100, 100)
    assert fitted[:, :10].max() == 0
    square = fitted[40:60, 40:60]
    assert np.abs(square.astype(int) - 128).max() <= 2


def test_write_h264_makes_a_camera_like_clip(tmp_path: Path) -> None:
    images = [np.full((96, 128, 3), i * 10, np.uint8) for i in range(20)]
    clip = tmp_path / "clip.mp4"
    assert write_h264(clip, images, fps=10.0, keyframe_interval_s=1.0) == 20
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (128, 96)
        frames = list(container.decode(stream))
    assert len(frames) == 20 and float(stream.average_rate) == 10.0
    assert PictureType.B not in {PictureType(f.pict_type) for f in frames}
    assert clip.read_bytes().find(b"moov") < clip.read_bytes().find(b"mdat")  # faststart


def test_write_h264_into_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"cannot write H\.264 clip"):
        write_h264(tmp_path / "no" / "clip.mp4", [np.zeros((16, 16, 3), np.uint8)], 5.0)
