"""``camfleet demo``: the bundled model over the bundled clips, on CPU, with no set-up.

Detections go through the same tracking, rules and store as ``camfleet run``: a line across
the road counts cyclists in ``bikes.mp4`` and presence rules open events for people, stored in
SQLite under the data directory with annotated snapshots.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
import yaml
from rich.table import Table

from camfleet.commands._checks import check_positive, check_provider_name, check_writable_dir
from camfleet.commands._render import make_console, stage_table
from camfleet.commands.detect import progress_bar, run_detection
from camfleet.config import FleetConfig, parse_fleet
from camfleet.engine.single_stream import StageTimes
from camfleet.frames import Detections, Frame
from camfleet.model import Detector
from camfleet.paths import BUNDLED_MODEL, DEFAULT_DATA_DIR, resolve_asset
from camfleet.store.database import default_database_url, open_database
from camfleet.store.location import StoreLocation
from camfleet.store.queries import count_totals, list_events
from camfleet.wiring import StoreSinkFactory, model_names

__all__ = ["DEMO_FLEET", "register"]

console = make_console()

# 5 analysed frames per second: riders move too far between frames at 2 fps for ByteTrack to
# keep their tracks across the line.
DEMO_FLEET = """\
models:
  default:
    path: bundled:fall-yolov8s-dynamic.onnx
cameras:
  - id: bikes
    source: bundled:bikes.mp4
    analyze_fps: 5
    lines:
      - {name: road, points: [[0.7, 1.0], [0.7, 0.0]], in_side: right}
    rules:
      - {name: crossings, type: line_crossing, line: road}
      - {name: people, type: presence, min_frames: 2}
  - id: carphone
    source: bundled:carphone_pristine.mp4
    analyze_fps: 5
    rules:
      - {name: people, type: presence, classes: [Normal], min_frames: 2}
      - {name: falls, type: presence, classes: [Fall], min_frames: 2}
"""


def demo_fleet() -> FleetConfig:
    return parse_fleet(yaml.safe_load(DEMO_FLEET), origin="demo fleet")


def demo(
    data_dir: Path = typer.Option(DEFAULT_DATA_DIR, help="Where outputs are written."),
    provider: str = typer.Option("cpu", help="cpu, cuda, tensorrt or openvino."),
    max_frames: int | None = typer.Option(None, help="Analyse at most this many frames a clip."),
    serve: bool = typer.Option(
        False, "--serve",
        help="Run the service instead: the clips loop as live cameras; prints the dashboard "
        "URL and a fresh API key.",
    ),
    port: int = typer.Option(8080, min=0, max=65535, help="--serve: listen port on 127.0.0.1."),
) -> None:
    """Detect, track and count people in the bundled clips with the bundled YOLOv8s model."""
    check_provider_name("--provider", provider)
    check_positive("--max-frames", max_frames, "100")
    check_writable_dir("--data-dir", data_dir)
    if serve:
        _serve_demo(data_dir, port)
        return
    started = dt.datetime.now(dt.UTC)
    fleet = demo_fleet()
    out_dir = data_dir / "demo"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "fleet.yaml").write_text(DEMO_FLEET, encoding="utf-8")
    detector = Detector.load(
        BUNDLED_MODEL, provider=provider, cache_dir=data_dir / "cache", max_batch=1
    )
    console.print(
        f"[bold]camfleet demo[/]: {BUNDLED_MODEL.name} "
        f"(classes {', '.join(detector.info.names.values())}) on {len(fleet.cameras)} clips, "
        f"provider {detector.provider}; rules from {out_dir / 'fleet.yaml'}"
    )
    location = StoreLocation(None, data_dir)
    sink = StoreSinkFactory(location, model_names(fleet))(fleet)
    overall = StageTimes()
    outputs = Table(title="Detections", title_justify="left")
    for column in ("clip", "frames analysed", "boxes by class"):
        outputs.add_column(column)
    written: list[str] = []
    try:
        with detector, progress_bar() as progress:
            for camera in fleet.cameras:
                clip = resolve_asset(camera.source)
                video = out_dir / f"{clip.stem}.annotated.mp4"
                lines = out_dir / f"{clip.stem}.detections.jsonl"

                def analyse(frame: Frame, detections: Detections) -> None:
                    sink.on_result(frame, "default", detections)

                times, found = run_detection(
                    str(clip), detector, camera.id, camera.analyze_fps, video, lines,
                    max_frames, progress, also=analyse,
                )
                overall.merge(times)
                summary = ", ".join(f"{name} {n}" for name, n in found.most_common()) or "none"
                outputs.add_row(clip.name, str(times.frames), summary)
                written += [f"  {video}", f"  {lines}"]
    finally:
        sink.close()
    console.print(outputs)
    console.print("Annotated videos and detections (JSON lines):")
    console.print("\n".join(written), soft_wrap=True)
    _print_stored(location, started)
    console.print(stage_table(overall, "Per-stage time per frame (all clips)"))


def _serve_demo(data_dir: Path, port: int) -> None:
    """``camfleet serve`` on 127.0.0.1 with the demo fleet and a new read-write API key."""
    # Imported here: the plain demo must not pay for the web stack's import.
    from camfleet.commands._service_db import open_service_db
    from camfleet.commands.serve import ServeOptions, run_service
    from camfleet.control.apikeys import ApiKeyStore

    db, _ = open_service_db(None, data_dir)
    try:
        name = f"demo-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}"
        _, token = ApiKeyStore(db).create(name)
    finally:
        db.dispose()

    def announce(url: str) -> None:
        console.print(f"[bold]camfleet demo --serve[/]: dashboard {url}/  (API docs {url}/docs)")
        console.print(f"API key {name!r} (shown once; paste it into the dashboard):")
        console.print(token, highlight=False, soft_wrap=True)
        console.print("Ctrl-C stops the service.")

    run_service(ServeOptions(port=port, data_dir=data_dir), demo_fleet(), announce)


def _print_stored(location: StoreLocation, since: dt.datetime) -> None:
    db = open_database(location.url, location.data_dir)
    try:
        events = list_events(db, since=since, limit=50)
        totals = count_totals(db, since=since)
    finally:
        db.dispose()
    table = Table(title="Events stored by this run", title_justify="left")
    for column in ("camera", "rule", "class", "start", "duration s", "max conf", "snapshot"):
        table.add_column(column)
    for event in sorted(events, key=lambda e: (e.camera_id, e.started_at)):
        duration = event.attributes.get("duration_s")
        table.add_row(
            event.camera_id, event.rule_id.split("/", 1)[-1], event.class_name,
            event.started_at.strftime("%H:%M:%S"),
            f"{duration:.1f}" if isinstance(duration, int | float) else "-",
            f"{event.max_confidence:.2f}", event.snapshot_path or "-",
        )
    console.print(table)
    counts = Table(title="Line counts stored by this run", title_justify="left")
    for column in ("camera", "line", "class", "in", "out"):
        counts.add_column(column, justify="right" if column in ("in", "out") else "left")
    for total in totals:
        if total.count_in or total.count_out:
            counts.add_row(total.camera_id, total.region, total.class_name,
                           str(total.count_in), str(total.count_out))
    console.print(counts)
    console.print(
        f"stored in {default_database_url(location.data_dir)}; query with "
        f"`camfleet events --data-dir {location.data_dir}` and `camfleet counts --data-dir "
        f"{location.data_dir}`"
    )


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
