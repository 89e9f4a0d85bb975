"""``camfleet model inspect|bench|build-engine``: look inside a model, time it, warm its
engine cache."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
import numpy.typing as npt
import typer
from rich.console import Console
from rich.table import Table

from camfleet.commands._checks import check_positive, check_provider_name
from camfleet.errors import SourceError
from camfleet.model import Detector, ModelInfo, available_providers, inspect_model
from camfleet.model.detector import DEFAULT_INPUT_FORMAT
from camfleet.model.preprocess import INPUT_FORMATS, InputFormat
from camfleet.model.session import DEFAULT_CACHE_DIR, PROVIDERS
from camfleet.model.stage_timing import StageStats, StageTimings, compare_stages
from camfleet.paths import BUNDLED_CLIPS

__all__ = ["model_app", "register"]

model_app = typer.Typer(
    name="model",
    help="Inspect and benchmark YOLOv8 ONNX detection models.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(model_app, name="model")


@model_app.command("inspect")
def inspect_command(
    path: Path = typer.Argument(..., help="An Ultralytics YOLOv8 detection model (.onnx)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for machines."),
) -> None:
    """Show a model's task, classes, input size, dynamic axes, size and opset."""
    info = inspect_model(path)
    providers = available_providers()
    if as_json:
        typer.echo(json.dumps(_info_dict(info, providers), indent=2))
        return
    table = Table(title=str(path), show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    names = ", ".join(f"{i}={n}" for i, n in info.names.items())
    batch_dim = "batch" if info.dynamic_batch else "1"
    rows = {
        "task": info.task,
        "classes": f"{info.num_classes}: {names}",
        "input": _input_text(info),
        "output": f"{info.output_name} ({batch_dim}, {4 + info.num_classes}, anchors)",
        "stride": str(info.stride),
        "dynamic batch": _yes_no(info.dynamic_batch, "no (made dynamic on load)"),
        "dynamic H/W": _yes_no(info.dynamic_hw, "no (square letterbox)"),
        "parameters": f"{info.params:,}",
        "opset": str(info.opset),
        "producer": info.producer,
        "providers": ", ".join(providers),
    }
    for key, value in rows.items():
        table.add_row(key, value)
    Console(highlight=False).print(table)


@model_app.command("bench")
def bench_command(
    path: Path = typer.Argument(..., help="An Ultralytics YOLOv8 detection model (.onnx)."),
    batch: str = typer.Option("1,4", "--batch", help="Comma-separated batch sizes."),
    iters: int = typer.Option(20, "--iters", min=1, help="Timed iterations per batch size."),
    provider: str = typer.Option("cpu", "--provider", help=f"One of {', '.join(PROVIDERS)}."),
    threads: int | None = typer.Option(None, "--threads", min=1, help="Intra-op threads."),
    frame_size: str = typer.Option("1280x720", "--frame-size", help="Frame WIDTHxHEIGHT."),
    imgsz: int | None = typer.Option(None, "--imgsz", help="Model input size (dynamic H/W)."),
    input_format: str = typer.Option(
        DEFAULT_INPUT_FORMAT,
        "--input-format",
        help="What the model is fed: uint8 (canvases, converted in the graph), float (the "
        "export's float32 NCHW), or both side by side: float,uint8.",
    ),
    pad_batches: str | None = typer.Option(
        None,
        "--pad-batches",
        help="Pad batches up to these sizes (default: 1,4,8,16,32 on tensorrt, none elsewhere).",
    ),
    cache_dir: Path = typer.Option(
        DEFAULT_CACHE_DIR, "--cache-dir", help="Where rewritten models and engines are kept."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for machines."),
) -> None:
    """Time preprocess, inference and postprocess per image (p50/p99 ms) and images/s.

    With several input formats the formats take turns every iteration, so a noisy machine
    disturbs them alike; the last line gives their images/s ratios.
    """
    batch_sizes = _parse_batches(batch)
    formats = _parse_formats(input_format)
    padding = None if pad_batches is None else _parse_batches(pad_batches, "--pad-batches")
    width, height = _parse_size(frame_size)
    check_provider_name("--provider", provider)
    check_positive("--imgsz", imgsz, "640")
    frame = _demo_frame(width, height)
    detectors = {
        fmt: Detector.load(
            path,
            provider=provider,
            imgsz=imgsz,
            threads=threads,
            cache_dir=cache_dir,
            max_batch=max(batch_sizes),
            input_format=fmt,
            pad_batches=padding,
        )
        for fmt in formats
    }
    try:
        results: dict[InputFormat, list[StageTimings]] = {fmt: [] for fmt in formats}
        for size in batch_sizes:
            timed = compare_stages(list(detectors.values()), frame, size, iters=iters)
            for fmt, timing in zip(formats, timed, strict=True):
                results[fmt].append(timing)
        used = detectors[formats[0]].provider
    finally:
        for detector in detectors.values():
            detector.close()
    if as_json:
        rows = [{**r.to_dict(), "input_format": fmt} for fmt in formats for r in results[fmt]]
        payload = {"model": str(path), "provider": used, "results": rows}
        typer.echo(json.dumps(payload, indent=2))
        return
    console = Console(highlight=False)
    for fmt in formats:
        console.print(_bench_table(path, used, results[fmt], fmt))
    if len(formats) > 1:
        base, *others = formats
        for fmt in others:
            ratios = ", ".join(
                f"b{r.batch} {r.images_per_s / b.images_per_s:.2f}x"
                for r, b in zip(results[fmt], results[base], strict=True)
            )
            console.print(f"{fmt} vs {base} images/s: {ratios}")


@model_app.command("build-engine")
def build_engine_command(
    path: Path = typer.Argument(..., help="An Ultralytics YOLOv8 detection model (.onnx)."),
    batch_sizes: str = typer.Option(
        "1,4,8,16,32", "--batch-sizes", help="Padded batch sizes to build an engine profile for."
    ),
    provider: str = typer.Option("tensorrt", "--provider", help=f"One of {', '.join(PROVIDERS)}."),
    imgsz: int | None = typer.Option(None, "--imgsz", help="Model input size (dynamic H/W)."),
    input_format: str = typer.Option(
        DEFAULT_INPUT_FORMAT, "--input-format", help="uint8 or float (as the detector runs)."
    ),
    cache_dir: Path = typer.Option(
        DEFAULT_CACHE_DIR, "--cache-dir", help="Where rewritten models and engines are kept."
    ),
) -> None:
    """Build (and cache) the engines a detector will need, so the first live batch of each
    size does not wait for TensorRT: engines and timing cache go to CACHE_DIR/trt."""
    sizes = _parse_batches(batch_sizes, "--batch-sizes")
    (fmt,) = _parse_formats(input_format, several=False)
    started = time.perf_counter()
    with Detector.load(
        path,
        provider=provider,
        imgsz=imgsz,
        cache_dir=cache_dir,
        max_batch=max(sizes),
        input_format=fmt,
        pad_batches=sizes,
    ) as detector:
        loaded = time.perf_counter()
        timings = []
        for size in detector.buckets:
            t0 = time.perf_counter()
            detector.warmup([size])
            timings.append(f"b{size} {time.perf_counter() - t0:.1f} s")
        used = detector.provider
    typer.echo(
        f"{path.name} on {used} ({fmt} input): session {loaded - started:.1f} s, "
        f"first run per batch size: {', '.join(timings)}; cache: {cache_dir / 'trt'}"
    )


def _info_dict(info: ModelInfo, providers: list[str]) -> dict[str, Any]:
    data = asdict(info)
    data["path"] = str(info.path)
    data["rewritten_from"] = None if info.rewritten_from is None else str(info.rewritten_from)
    data["names"] = {str(k): v for k, v in info.names.items()}
    data["imgsz"] = list(info.imgsz)
    data["available_providers"] = providers
    return data


def _input_text(info: ModelInfo) -> str:
    batch = "batch" if info.dynamic_batch else "1"
    h, w = info.imgsz
    if info.dynamic_hw:
        return f"{info.input_name} ({batch}, 3, height, width), exported at {h}x{w}"
    return f"{info.input_name} ({batch}, 3, {h}, {w})"


def _yes_no(value: bool, no: str) -> str:
    return "yes" if value else no


def _bench_table(
    path: Path, provider: str, results: list[StageTimings], input_format: InputFormat
) -> Table:
    """Stages as rows, one p50/p99 column pair per batch size: narrow enough for 80 columns."""
    first = results[0]
    frame_h, frame_w = first.frame_shape
    table = Table(
        title=f"{path.name} on {provider}, {input_format} input, {frame_w}x{frame_h} frame: "
        "ms per image",
        title_justify="left",
    )
    table.add_column("stage")
    for r in results:
        table.add_column(f"b{r.batch} p50", justify="right")
        table.add_column(f"b{r.batch} p99", justify="right")
    stages = {
        "preprocess": "preprocess",
        "inference": "inference",
        "postprocess": "postprocess",
        "pre+post": "pre_post",
        "total": "total",
    }
    for label, field in stages.items():
        per_batch: list[StageStats] = [getattr(r, field) for r in results]
        table.add_row(label, *[f"{v:.2f}" for s in per_batch for v in (s.p50_ms, s.p99_ms)])
    table.add_row("img/s", *[c for r in results for c in (f"{r.images_per_s:.1f}", "")])
    canvases = [c for r in results for c in (f"{r.canvas_shape[0]}x{r.canvas_shape[1]}", "")]
    table.add_row("canvas", *canvases)
    return table


def _parse_batches(text: str, option: str = "--batch") -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 1:
        raise typer.BadParameter(
            f"expected positive integers like 1,4 - got {text!r}", param_hint=f"'{option}'"
        )
    return sizes


def _parse_formats(text: str, several: bool = True) -> list[InputFormat]:
    formats: list[InputFormat] = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        match = next((fmt for fmt in INPUT_FORMATS if fmt == part), None)
        if match is None or match in formats:
            formats = []
            break
        formats.append(match)
    if not formats or (len(formats) > 1 and not several):
        expected = "uint8, float or float,uint8" if several else "uint8 or float"
        raise typer.BadParameter(f"expected {expected} - got {text!r}")
    return formats


def _parse_size(text: str) -> tuple[int, int]:
    parts = text.lower().split("x")
    if len(parts) == 2 and all(p.isdigit() and int(p) > 0 for p in parts):
        return int(parts[0]), int(parts[1])
    raise typer.BadParameter(
        f"expected WIDTHxHEIGHT like 1280x720 - got {text!r}", param_hint="'--frame-size'"
    )


def _demo_frame(width: int, height: int) -> npt.NDArray[np.uint8]:
    """The bundled street clip's first frame at ``width x height``: real content, so
    postprocessing sees a realistic number of candidate boxes."""
    clip = BUNDLED_CLIPS[0]
    try:
        with av.open(str(clip)) as container:
            image = next(container.decode(video=0)).to_ndarray(format="bgr24")
    except (av.error.FFmpegError, StopIteration) as exc:
        raise SourceError(
            f"{clip.name}: cannot decode the bundled demo clip ({exc}); reinstall camfleet"
        ) from exc
    resized = cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)
    return np.ascontiguousarray(resized, np.uint8)
