"""``python -m camfleet.sources.decode_levers [--seconds 20] [--repeat 3] [--json OUT]``

The decode levers side by side, in one run on this machine: CPU per camera for the reference
camera's main stream (1280x720 H.264, 15 fps) against a 640x360 substream of the same
content (``detect_source``), the keyframe-only main-stream reader that feeds snapshots
(:class:`~camfleet.sources.keyframe.LatestKeyframe`), and ``skip_frame=NONREF`` on a camera
stream (no B-frames) and on one with B-frames. Each configuration runs ``--repeat`` times,
interleaved; the cheapest run is reported (the least disturbed by other work on the machine).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from camfleet.paths import BUNDLED_CLIPS
from camfleet.sources.base import UInt8Image
from camfleet.sources.decode_cost import DecodeCost, measure_decode_cost
from camfleet.sources.encode import write_reference_clip
from camfleet.sources.pyav_source import PyAVSource, SkipFrame
from camfleet.sources.resize import fit_to_size

__all__ = ["measure_levers"]

_FPS = 15.0
_CLIP_S = 10.0


def _with_b_frames(path: Path) -> None:
    """The main stream again, encoded with x264's default B-frames (not how cameras send)."""
    import av

    frames = round(_CLIP_S * _FPS)
    with PyAVSource(str(BUNDLED_CLIPS[0]), "encode", analyze_fps=_FPS, loop=True) as source:
        images: Iterable[UInt8Image] = (
            fit_to_size(frame.image, 1280, 720)
            for frame, _ in zip(source, range(frames), strict=False)
        )
        with av.open(str(path), "w") as container:
            stream = container.add_stream("libx264", rate=int(_FPS),
                                          options={"preset": "veryfast", "crf": "23"})
            stream.pix_fmt = "yuv420p"
            stream.codec_context.gop_size = int(2 * _FPS)
            for index, image in enumerate(images):
                if index == 0:
                    stream.height, stream.width = image.shape[:2]
                container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")))
            container.mux(stream.encode(None))


def _row(cost: DecodeCost) -> dict[str, Any]:
    return {
        "width": cost.width,
        "height": cost.height,
        "ms_per_frame": cost.ms_per_frame,
        "ms_per_second_of_video": cost.ms_per_second_of_video,
        "cameras_per_core": cost.cameras_per_core,
        "frames_decoded": cost.frames_decoded,
    }


def measure_levers(folder: Path, seconds: float, repeat: int) -> dict[str, dict[str, Any]]:
    """Write the clips under ``folder`` and measure every configuration; cheapest run each."""
    main, sub, bframes = folder / "main-720p.mp4", folder / "sub-360p.mp4", folder / "b.mp4"
    write_reference_clip(main, seconds=_CLIP_S)
    write_reference_clip(sub, width=640, height=360, seconds=_CLIP_S)
    _with_b_frames(bframes)
    configs: dict[str, tuple[Path, float | None, SkipFrame | None]] = {
        "main_1280x720": (main, 2.0, None),
        "sub_640x360": (sub, 2.0, None),
        "main_keyframes_only": (main, None, "NONKEY"),
        "main_1280x720_nonref": (main, 2.0, "NONREF"),
        "bframes_1280x720": (bframes, 2.0, None),
        "bframes_1280x720_nonref": (bframes, 2.0, "NONREF"),
    }
    best: dict[str, DecodeCost] = {}
    for _ in range(repeat):
        for name, (clip, fps, skip) in configs.items():
            cost = measure_decode_cost(clip, fps, seconds, skip_frame=skip)
            if name not in best or cost.ms_per_second_of_video < best[name].ms_per_second_of_video:
                best[name] = cost
    return {name: _row(cost) for name, cost in best.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description="Decode levers side by side on this machine.")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        results = measure_levers(Path(folder), args.seconds, args.repeat)
    base = results["main_1280x720"]["ms_per_second_of_video"]
    for name, row in results.items():
        print(f"{name:26s} {row['ms_per_second_of_video']:7.1f} CPU ms per camera-second "
              f"({row['cameras_per_core']:6.1f} cameras/core, "
              f"{row['ms_per_second_of_video'] / base:.2f}x main)")
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
