"""``camfleet demo``: the bundled model over the bundled clips, on CPU, with no set-up."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from camfleet.commands._render import make_console, stage_table
from camfleet.commands.detect import progress_bar, run_detection
from camfleet.engine.single_stream import StageTimes
from camfleet.model import Detector
from camfleet.paths import BUNDLED_CLIPS, BUNDLED_MODEL, DEFAULT_DATA_DIR

__all__ = ["register"]

console = make_console()


def demo(
    data_dir: Path = typer.Option(DEFAULT_DATA_DIR, help="Where outputs are written."),
    provider: str = typer.Option("cpu", help="cpu, cuda, tensorrt or openvino."),
    max_frames: int | None = typer.Option(None, help="Analyse at most this many frames a clip."),
) -> None:
    """Detect people in the bundled clips with the bundled YOLOv8s model."""
    out_dir = data_dir / "demo"
    detector = Detector.load(
        BUNDLED_MODEL, provider=provider, cache_dir=data_dir / "cache", max_batch=1
    )
    console.print(
        f"[bold]camfleet demo[/]: {BUNDLED_MODEL.name} "
        f"(classes {', '.join(detector.info.names.values())}) on {len(BUNDLED_CLIPS)} clips, "
        f"provider {detector.provider}"
    )
    overall = StageTimes()
    outputs = Table(title="Outputs", title_justify="left")
    for column in ("clip", "frames", "detections"):
        outputs.add_column(column)
    written: list[str] = []
    with detector, progress_bar() as progress:
        for clip in BUNDLED_CLIPS:
            video = out_dir / f"{clip.stem}.annotated.mp4"
            lines = out_dir / f"{clip.stem}.detections.jsonl"
            times, found = run_detection(
                str(clip), detector, clip.stem, None, video, lines, max_frames, progress
            )
            overall.merge(times)
            summary = ", ".join(f"{name} {n}" for name, n in found.most_common()) or "none"
            outputs.add_row(clip.name, str(times.frames), summary)
            written += [f"  {video}", f"  {lines}"]
    console.print(outputs)
    console.print("Annotated videos and detections (JSON lines):")
    console.print("\n".join(written), soft_wrap=True)
    console.print(stage_table(overall, "Per-stage time per frame (all clips)"))


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
