"""The shared engine's host side against a simulated accelerator, on any machine.

The real engine (sources, motion gate, letterbox, deadline batcher, batch assembly,
postprocess, tracking, rules and the SQLite store) runs N synthetic cameras; only the
model's ``run`` is replaced by one serial device that takes ``A + C * batch`` seconds and
returns an empty output of the model's real shape. It answers, without a GPU: how many frames
per second this host can feed a device, whether the batcher keeps the device at its
full-batch throughput when cameras offer more than it can serve, and how many frames per
second the results stage (ByteTrack, a line-crossing and a presence rule per camera, the store
hand-off) sustains with 1 or N results threads.

    python benchmarks/simulated_device.py --cameras 200 --fixed-ms 2.5 --per-image-ms 0.8 \
        --results-threads 1 4

runs one engine per ``--results-threads`` value, one after another in this process, and
prints one JSON line each: analysed img/s (every analysed frame passes the results stage),
the device's best (max_batch / (A + C * max_batch)), capture -> result latency p50/p99, shed %,
mean batch, the sink's p50/p99 ms per frame, and the process's CPU use. ``--boxes K`` gives
each frame K moving boxes (instead of none) so tracking and rules have work to do.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from camfleet.bench.trial import TrialSpec, build_fleet
from camfleet.config import CameraConfig, FleetConfig
from camfleet.engine import SharedEngine
from camfleet.engine.models import load_fleet_models
from camfleet.engine.results import ResultsStage
from camfleet.engine.work import Work
from camfleet.frames import Detections, Frame
from camfleet.model import Detector
from camfleet.paths import BUNDLED_MODEL
from camfleet.store.location import StoreLocation
from camfleet.wiring import StoreSinkFactory, model_names


class SimulatedDevice:
    """A detector whose inference is a serial device of known speed; the rest is real."""

    def __init__(self, real: Detector, fixed_s: float, per_image_s: float, boxes: int = 0) -> None:
        self.real = real
        self.boxes = boxes
        self.fixed_s, self.per_image_s = fixed_s, per_image_s
        self.in_flight, self.max_batch, self.provider = real.in_flight, real.max_batch, "cpu"
        self._device = threading.Lock()
        self._outputs: dict[tuple[int, ...], np.ndarray] = {}

    def letterbox(self, image: Any) -> Any:
        return self.real.letterbox(image)

    def assemble(self, items: Any) -> Any:
        return self.real.assemble(items)

    def infer(self, batch: Any) -> Any:
        shape = tuple(batch.tensor.shape)
        if shape not in self._outputs:  # the real output's shape, once per input shape
            one = self.real.infer(self.real.assemble([self._blank(batch)]))
            self._outputs[shape] = np.zeros((shape[0], *one.shape[1:]), np.float32)
        with self._device:  # one device: concurrent runs queue, as they do on a GPU
            time.sleep(self.fixed_s + self.per_image_s * shape[0])
        return self._outputs[shape]

    def _blank(self, batch: Any) -> Any:
        height, width = batch.original_shapes[0]
        return self.real.letterbox(np.full((height, width, 3), 114, np.uint8))

    def postprocess(self, raw: Any, batch: Any) -> Any:
        found = self.real.postprocess(raw, batch)
        if not self.boxes:
            return found
        return [self._moving_boxes(height, width) for height, width in batch.original_shapes]

    def _moving_boxes(self, height: int, width: int) -> Detections:
        return self.boxes_at(time.monotonic(), height, width)

    def boxes_at(self, t: float, height: int, width: int) -> Detections:
        """``boxes`` people walking left to right at 80 px/s at time ``t``, evenly spaced."""
        lane = np.arange(self.boxes, dtype=np.float32)
        x = (t * 80.0 + lane * width / self.boxes) % (width - 40)
        y = (lane + 0.5) * height / (self.boxes + 1)
        xyxy = np.stack([x, y - 40, x + 40, y + 40], axis=1)
        return Detections(xyxy, np.full(self.boxes, 0.9, np.float32),
                          np.zeros(self.boxes, np.int32))

    def detect(self, images: Any) -> Any:
        batch = self.assemble([self.letterbox(image) for image in images])
        return self.postprocess(self.infer(batch), batch)

    def close(self) -> None:
        self.real.close()


def with_rules(fleet: FleetConfig) -> FleetConfig:
    """Every camera gets a counting line with a line-crossing rule and a presence rule."""
    line = {"name": "door", "points": [[0.5, 0.0], [0.5, 1.0]]}
    rules = [{"name": "crossings", "type": "line_crossing", "line": "door"},
             {"name": "anyone", "type": "presence", "classes": ["Normal"]}]
    cameras = [
        CameraConfig.model_validate({**camera.model_dump(), "lines": [line], "rules": rules})
        for camera in fleet.cameras
    ]
    return fleet.model_copy(update={"cameras": cameras})


def run_once(args: argparse.Namespace, results_threads: int, scratch: Path) -> dict[str, Any]:
    spec = TrialSpec(
        mode="shared", cameras=args.cameras, source="synthetic:1280x720@15",
        model_path=args.model, provider="cpu", analyze_fps=2.0, slo_ms=500.0,
        duration_s=args.duration, warmup_s=args.warmup, gating=False,
        max_batch=args.max_batch, cache_dir=str(scratch / "cache"),
    )
    fleet = with_rules(build_fleet(spec)) if args.boxes else build_fleet(spec)
    real = load_fleet_models(fleet, Path(spec.cache_dir))["bench"]
    device = SimulatedDevice(real, args.fixed_ms / 1000, args.per_image_ms / 1000, args.boxes)
    store = scratch / f"store-{results_threads}"
    sink = StoreSinkFactory(StoreLocation(None, store), model_names(fleet))(fleet)
    engine = SharedEngine(fleet, sink, detectors={"bench": device},  # type: ignore[dict-item]
                          results_threads=results_threads)
    engine.start()
    try:
        time.sleep(args.warmup)
        engine.metrics.reset_window()
        process = psutil.Process()
        cpu_before, started = sum(process.cpu_times()[:2]), time.monotonic()
        time.sleep(args.duration)
        cpu_pct = 100 * (sum(process.cpu_times()[:2]) - cpu_before) / (
            time.monotonic() - started
        )
        snapshot = engine.metrics.snapshot()
    finally:
        engine.stop(drain=False)
        device.close()
    best = args.max_batch / (args.fixed_ms / 1000 + args.per_image_ms / 1000 * args.max_batch)
    return {
        "results_threads": results_threads,
        "cameras": args.cameras,
        "boxes_per_frame": args.boxes,
        "offered_img_s": 2.0 * args.cameras,
        "device_best_img_s": round(best, 1),
        "analysed_img_s": round(snapshot.analysed_per_s, 1),
        "pct_of_device_best": round(100 * snapshot.analysed_per_s / best, 1),
        "p50_ms": round(snapshot.latency_p50_ms),
        "p99_ms": round(snapshot.latency_p99_ms),
        "sink_p50_ms": round(snapshot.stage_p50_ms["sink"], 2),
        "sink_p99_ms": round(snapshot.stage_p99_ms["sink"], 2),
        "shed_pct": round(snapshot.shed_pct, 1),
        "mean_batch": round(snapshot.mean_batch, 1),
        "cpu_pct": round(cpu_pct),
        "cores": psutil.cpu_count(),
    }


def run_stage_only(args: argparse.Namespace, results_threads: int, scratch: Path) -> dict[str, Any]:
    """The results stage alone at full speed: pre-made results for every camera (moving
    boxes), queued as fast as the stage takes them, through the real sink (ByteTrack, rules,
    SQLite writer). Its frames/s is the ceiling the results stage puts on a device."""
    spec = TrialSpec(
        mode="shared", cameras=args.cameras, source="synthetic:1280x720@15",
        model_path=args.model, provider="cpu", analyze_fps=2.0, slo_ms=500.0,
        duration_s=args.duration, warmup_s=0.0, gating=False, max_batch=args.max_batch,
        cache_dir=str(scratch / "cache"),
    )
    fleet = with_rules(build_fleet(spec))
    sink = StoreSinkFactory(StoreLocation(None, scratch / "store"), model_names(fleet))(fleet)
    handled = [0]

    def handle(work: Work, detections: Detections) -> None:
        sink.on_result(work.frame, work.model_id, detections)
        handled[0] += 1  # one increment per frame; a lost race only undercounts

    stage = ResultsStage(results_threads, handle, queue_size=64 * results_threads)
    ids = [camera.id for camera in fleet.cameras]
    for camera_id in ids:
        stage.assign(camera_id)
    boxes = SimulatedDevice.__new__(SimulatedDevice)
    boxes.boxes = max(args.boxes, 1)
    image = np.zeros((720, 1280, 3), np.uint8)
    stage.start()  # (no capture -> result latency here: frames are made faster than 2 fps)
    began = time.monotonic()
    started, handled_before = began + args.warmup, 0  # first tracks and events: warm-up
    seq, epoch = 0, time.time()
    while (now := time.monotonic()) - began < args.warmup + args.duration:
        if handled_before == 0 and now >= started:
            handled_before = handled[0]
        # Frames carry the capture times of a 2 fps camera, however fast the stage runs:
        # tracks and events then see the same scene in every configuration.
        wall_time = epoch + seq * 0.5
        for camera_id in ids:
            frame = Frame(camera_id, seq, time.monotonic(), image, wall_time=wall_time)
            stage.put(Work(frame, "bench", image, (0, 0)), boxes.boxes_at(seq * 0.5, 720, 1280))
        seq += 1
    elapsed = time.monotonic() - started
    done = handled[0] - handled_before  # queued results still waiting are not counted
    stage.stop(timeout=60)
    sink.close()
    return {"results_threads": results_threads, "stage_only": True, "cameras": args.cameras,
            "boxes_per_frame": boxes.boxes, "results_frames_s": round(done / elapsed, 1),
            "cores": psutil.cpu_count()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=200)
    parser.add_argument("--fixed-ms", type=float, default=10.0)
    parser.add_argument("--per-image-ms", type=float, default=4.0)
    parser.add_argument("--max-batch", type=int, default=32)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=4.0)
    parser.add_argument("--boxes", type=int, default=0,
                        help="moving boxes per frame, with tracking and rules (default: none)")
    parser.add_argument("--results-threads", type=int, nargs="+", default=[1],
                        help="results threads; several values run one engine each, in turn")
    parser.add_argument("--stage-only", action="store_true",
                        help="measure the results stage alone at full speed (no engine)")
    parser.add_argument("--model", default=str(BUNDLED_MODEL), help="default: the bundled model")
    args = parser.parse_args()
    run = run_stage_only if args.stage_only else run_once
    for results_threads in args.results_threads:
        with tempfile.TemporaryDirectory() as scratch:
            print(json.dumps(run(args, results_threads, Path(scratch))), flush=True)


if __name__ == "__main__":
    main()
