"""``camfleet detect SOURCE``: one stream through one model, with outputs and stage timings."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import av
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from camfleet.annotate import Annotator
from camfleet.commands._checks import (
    check_between,
    check_positive,
    check_provider_name,
    check_writable_file,
)
from camfleet.commands._render import make_console, stage_table
from camfleet.engine.single_stream import StageTimes, detect_stream
from camfleet.frames import Detections, Frame
from camfleet.model import Detector
from camfleet.outputs import AnnotatedVideoWriter, DetectionsJsonl
from camfleet.paths import BUNDLED_MODEL, DEFAULT_DATA_DIR
from camfleet.sources import open_source

__all__ = ["register", "run_detection"]

console = make_console()


def run_detection(
    source_url: str,
    detector: Detector,
    camera_id: str,
    analyze_fps: float | None,
    out: Path | None,
    jsonl: Path | None,
    max_frames: int | None,
    progress: Progress,
    also: Callable[[Frame, Detections], None] | None = None,
) -> tuple[StageTimes, Counter[str]]:
    """Detect on one source, writing the optional outputs and calling ``also`` for every
    analysed frame; returns timings and class counts."""
    names = detector.info.names
    annotator = Annotator(names)
    found: Counter[str] = Counter()
    with open_source(source_url, camera_id=camera_id, analyze_fps=analyze_fps) as source:
        total = _expected_frames(
            _clip_frame_count(source_url), source.native_fps, analyze_fps, max_frames
        )
        task = progress.add_task(camera_id, total=total)
        fps_out = analyze_fps or source.native_fps
        video = AnnotatedVideoWriter(out, fps_out) if out is not None else None
        lines = DetectionsJsonl(jsonl, names) if jsonl is not None else None

        def on_result(frame: Frame, detections: Detections) -> None:
            found.update(names.get(int(c), str(int(c))) for c in detections.class_id.tolist())
            if video is not None:
                video.write(annotator.draw(frame.image, detections, copy=False))
            if lines is not None:
                lines.write(frame, detections)
            if also is not None:
                also(frame, detections)
            progress.advance(task)

        try:
            times = detect_stream(source, detector, on_result, max_frames=max_frames)
            progress.update(task, total=times.frames, completed=times.frames)
        finally:
            if video is not None:
                video.close()
            if lines is not None:
                lines.close()
    return times, found


def _clip_frame_count(url: str) -> int | None:
    """Frames in a local video file per its container metadata (None when unknown)."""
    path = Path(url)
    if not path.is_file():
        return None
    try:
        with av.open(str(path)) as container:
            return int(container.streams.video[0].frames) or None
    except (av.FFmpegError, IndexError, OSError):
        return None


def _expected_frames(
    frame_count: int | None, native_fps: float, analyze_fps: float | None, cap: int | None
) -> int | None:
    if not frame_count:
        return cap
    expected = frame_count
    if analyze_fps and native_fps > analyze_fps:
        expected = math.ceil(frame_count * analyze_fps / native_fps)
    return min(expected, cap) if cap else expected


def progress_bar() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("frames"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def detect(
    source: str = typer.Argument(
        ..., help="Video file, rtsp:// or http(s):// URL, or synthetic:WxH@FPS."
    ),
    model: Path = typer.Option(BUNDLED_MODEL, "--model", "-m", help="Ultralytics ONNX model."),
    conf: float = typer.Option(0.25, help="Confidence threshold."),
    iou: float = typer.Option(0.7, help="NMS IoU threshold."),
    classes: str | None = typer.Option(
        None, help="Comma-separated class names or ids to keep, e.g. 'Fall' or '0,2'."
    ),
    analyze_fps: float | None = typer.Option(
        None, "--analyze-fps", help="Analyse this many frames per second (default: every frame)."
    ),
    out: Path | None = typer.Option(None, "--out", help="Write an annotated MP4 here."),
    jsonl: Path | None = typer.Option(None, "--jsonl", help="Write detections as JSON lines."),
    provider: str = typer.Option("cpu", help="cpu, cuda, tensorrt or openvino."),
    max_frames: int | None = typer.Option(None, help="Stop after this many analysed frames."),
    camera_id: str = typer.Option("camera", help="Camera id recorded in the outputs."),
    data_dir: Path = typer.Option(DEFAULT_DATA_DIR, help="Cache for rewritten models."),
) -> None:
    """Run a YOLOv8 model over one video source and report per-stage timings."""
    check_detect_options(conf, iou, analyze_fps, max_frames, provider)
    for option, path in (("--out", out), ("--jsonl", jsonl)):
        if path is not None:
            check_writable_file(option, path)
    class_filter = _parse_classes(classes)
    detector = Detector.load(
        model, provider=provider, conf=conf, iou=iou, classes=class_filter,
        cache_dir=data_dir / "cache", max_batch=1,
    )
    with detector, progress_bar() as progress:
        times, found = run_detection(
            source, detector, camera_id, analyze_fps, out, jsonl, max_frames, progress
        )
    console.print(stage_table(times, f"{model.name} on {source} ({detector.provider})"))
    summary = ", ".join(f"{name} {n}" for name, n in found.most_common()) or "none"
    console.print(f"{times.frames} frames analysed; detections: {summary}")
    for label, path in (("annotated video", out), ("detections", jsonl)):
        if path is not None:
            console.print(f"{label}: {path}")


def check_detect_options(
    conf: float, iou: float, analyze_fps: float | None, max_frames: int | None, provider: str
) -> None:
    """The detection options shared by ``detect`` and ``demo``, checked before a model loads."""
    check_between("--conf", conf, 0.0, 1.0, "0.25")
    check_between("--iou", iou, 0.0, 1.0, "0.7", low_open=True)
    check_positive("--analyze-fps", analyze_fps, "2")
    check_positive("--max-frames", max_frames, "100")
    check_provider_name("--provider", provider)


def _parse_classes(text: str | None) -> list[str] | list[int] | None:
    if not text:
        return None
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if all(p.isdigit() for p in parts):
        return [int(p) for p in parts]
    return parts


def register(app: typer.Typer) -> None:
    app.command("detect")(detect)
