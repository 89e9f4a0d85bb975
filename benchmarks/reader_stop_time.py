"""How long stopping N camera readers takes: one after another (how the shared engine stopped
them before) against all told first, then joined (how it stops them now).

    python benchmarks/reader_stop_time.py --cameras 100 --rounds 2

Synthetic 320x180 cameras at 8 fps analysed at 1 fps; prints one line per round.
"""

from __future__ import annotations

import argparse
import time

from camfleet.config import CameraConfig
from camfleet.engine.shared import open_camera
from camfleet.sources import CameraReader, FrameSlot


def started_readers(n: int) -> list[CameraReader]:
    readers = []
    for i in range(n):
        camera = CameraConfig.model_validate(
            {"id": f"cam{i}", "source": "synthetic:320x180@8", "analyze_fps": 1.0}
        )
        reader = CameraReader(camera.id, factory=open_camera(camera), slot=FrameSlot())
        reader.start()
        readers.append(reader)
    time.sleep(3.0)  # every reader streaming
    return readers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    for round_no in range(args.rounds):
        readers = started_readers(args.cameras)
        started = time.monotonic()
        for reader in readers:
            reader.stop(timeout=2.0)
        one_by_one = time.monotonic() - started
        readers = started_readers(args.cameras)
        started = time.monotonic()
        for reader in readers:
            reader.stop(timeout=0)
        for reader in readers:
            reader.stop(timeout=5.0)
        together = time.monotonic() - started
        print(f"round {round_no}: {args.cameras} readers stopped one after another in "
              f"{one_by_one:.2f} s, all told then joined in {together:.2f} s", flush=True)


if __name__ == "__main__":
    main()
