"""``python -m camfleet.sources.decode_cost_report [CLIP] [--analyze-fps 2] [--seconds 30]``

Prints the CPU cost of decoding one camera on this machine (see :mod:`decode_cost`). Without
CLIP it measures the reference camera: bikes.mp4 at 1280x720, 15 fps, H.264, 10 s looped, or
with ``--content reference-scene`` one 10 s cycle of ``reference:`` (mostly still, with noise).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from camfleet.sources.decode_cost import measure_decode_cost
from camfleet.sources.encode import write_h264, write_reference_clip
from camfleet.sources.open import open_source
from camfleet.sources.reference_scene import REFERENCE_FPS

__all__ = ["main"]


def _write_reference(clip: Path, content: str) -> None:
    if content == "bikes":
        write_reference_clip(clip)
        return
    with open_source("reference:", "decode-cost") as scene:
        images = (frame.image for frame, _ in zip(scene, range(150), strict=False))
        write_h264(clip, images, REFERENCE_FPS)


def main() -> None:
    """Print what decoding one camera costs here; without CLIP, the reference camera."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("clip", nargs="?", type=Path)
    parser.add_argument("--analyze-fps", type=float, default=2.0, help="0: every frame")
    parser.add_argument(
        "--content",
        choices=["bikes", "reference-scene"],
        default="bikes",
        help="without CLIP: bikes.mp4 throughout, or the reference scene (80 %% still + noise)",
    )
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--repeat", type=int, default=3, help="report the cheapest run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        clip = args.clip
        if clip is None:
            clip = Path(folder) / "reference-720p.mp4"
            _write_reference(clip, args.content)
        analyze_fps = args.analyze_fps or None
        runs = [measure_decode_cost(clip, analyze_fps, args.seconds) for _ in range(args.repeat)]
    best = min(runs, key=lambda cost: cost.ms_per_frame)
    print(
        f"{best.width}x{best.height} @ {best.native_fps:g} fps, analyze_fps={best.analyze_fps}: "
        f"{best.ms_per_frame:.2f} ms/frame ({best.decoded_frames_per_core_second:.0f} decoded "
        f"frames/s per core), {best.ms_per_second_of_video:.1f} ms CPU per second of video, "
        f"{best.cameras_per_core:.1f} cameras per core"
    )


if __name__ == "__main__":
    main()
