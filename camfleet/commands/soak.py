"""``camfleet soak``: run a fleet for a long time and report resource growth and p99 drift."""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import typer

from camfleet.bench.soak import SoakReport, SoakSample, run_soak
from camfleet.bench.trial import TrialSpec
from camfleet.commands._checks import check_writable_file
from camfleet.commands._render import fmt_number, make_console
from camfleet.config import default_max_batch
from camfleet.errors import ConfigError
from camfleet.paths import BUNDLED_MODEL, DEFAULT_DATA_DIR
from camfleet.planner.profile import load_profile

__all__ = ["register", "render_soak_markdown"]

console = make_console()


def _cameras(cameras: int | None, profile: Path | None, load: float) -> int:
    if cameras is not None and profile is not None:
        raise ConfigError("give --cameras or --profile, not both")
    if not 0.0 < load <= 1.0:
        raise ConfigError(f"--load {load:g}: use a fraction of the capacity in (0, 1], e.g. 0.8")
    if cameras is not None:
        if cameras < 1:
            raise ConfigError(f"--cameras {cameras}: soak at least 1 camera")
        return cameras
    if profile is None:
        return 2
    shared = load_profile(profile).modes.get("shared")
    if shared is None or shared.capacity < 1:
        raise ConfigError(f"{profile}: no shared capacity to take {load:.0%} of; pass --cameras")
    return max(1, math.floor(shared.capacity * load))


def render_soak_markdown(report: SoakReport, command: str) -> str:
    r = report
    return "\n".join([
        f"Soak, {r.cameras} cameras, {r.duration_s:.0f} s after {r.warmup_s:.0f} s of warm-up "
        f"(`{command}`):",
        "",
        "| measure | value |",
        "|---|---|",
        f"| RSS slope | {fmt_number(r.rss_slope_mb_per_min, 2)} MB/min |",
        f"| open fds | {r.fds_range[0]}-{r.fds_range[1]} "
        f"(slope {fmt_number(r.fds_slope_per_min, 2)}/min) |",
        f"| threads | {r.threads_range[0]}-{r.threads_range[1]} "
        f"(slope {fmt_number(r.threads_slope_per_min, 2)}/min) |",
        f"| p99 first third / last third | {fmt_number(r.p99_first_third_ms)} / "
        f"{fmt_number(r.p99_last_third_ms)} ms (x{fmt_number(r.p99_drift_ratio, 2)}) |",
        f"| analysed | {fmt_number(r.analysed_per_s)} img/s |",
        "",
    ])


def soak(
    model: Path = typer.Option(BUNDLED_MODEL, "--model", "-m", help="ONNX model to run."),
    provider: str = typer.Option("cpu", help="cpu, cuda, tensorrt or openvino."),
    cameras: int | None = typer.Option(None, help="Cameras to run (default 2, or --profile)."),
    profile: Path | None = typer.Option(
        None, help="Bench profile: run --load x its measured shared capacity."
    ),
    load: float = typer.Option(0.8, help="Fraction of the profile's capacity to run."),
    source: str = typer.Option("synthetic:1280x720@15", help="Every camera's source."),
    analyze_fps: float = typer.Option(2.0, help="Analysed frames per second per camera."),
    slo_ms: float = typer.Option(500.0, help="Latency SLO (for the batcher's deadlines)."),
    duration: float = typer.Option(3600.0, help="Measured seconds after the warm-up."),
    warmup: float = typer.Option(60.0, help="Seconds excluded from the slopes."),
    sample_s: float = typer.Option(10.0, "--sample-s", help="Seconds between samples."),
    json_path: Path | None = typer.Option(None, "--json", help="Write the report as JSON."),
    markdown: Path | None = typer.Option(None, help="Append a Markdown section here."),
    data_dir: Path = typer.Option(DEFAULT_DATA_DIR, help="Model cache directory."),
) -> None:
    """Run N cameras with storage on for --duration seconds, sampling RSS, open files,
    threads and p99 every --sample-s seconds; report the slopes and the p99 drift."""
    if not model.is_file():
        raise ConfigError(f"--model {model}: no such file; pass an Ultralytics ONNX export")
    for name, value in (("--duration", duration), ("--sample-s", sample_s),
                        ("--analyze-fps", analyze_fps), ("--slo-ms", slo_ms)):
        if not value > 0:
            raise ConfigError(f"{name} {value:g}: must be greater than 0")
    if warmup < 0:
        raise ConfigError(f"--warmup {warmup:g}: must be 0 or more")
    if json_path is not None:
        check_writable_file("--json", json_path)
    if markdown is not None:
        check_writable_file("--markdown", markdown)
    count = _cameras(cameras, profile, load)
    store_dir = Path(tempfile.mkdtemp(prefix="camfleet-soak-"))
    spec = TrialSpec(
        mode="shared", cameras=count, source=source, model_path=str(model), provider=provider,
        analyze_fps=analyze_fps, slo_ms=slo_ms, duration_s=duration, warmup_s=warmup,
        gating=False, max_batch=default_max_batch(provider), cache_dir=str(data_dir / "cache"),
        store_dir=str(store_dir),
    )
    console.print(f"soak: {count} cameras for {warmup:g} + {duration:g} s, storage in {store_dir}")

    def progress(sample: SoakSample) -> None:
        console.print(
            f"  {sample.elapsed_s:7.0f} s  RSS {sample.rss_mb:7.1f} MB  fds {sample.open_fds:4d}  "
            f"threads {sample.threads:4d}  p99 {fmt_number(sample.p99_ms)} ms  "
            f"analysed {sample.analysed}"
        )

    report = run_soak(spec, sample_s, progress=progress)
    command = "camfleet soak " + " ".join(
        f"--{k} {v}" for k, v in (("cameras", count), ("duration", f"{duration:g}"),
                                  ("warmup", f"{warmup:g}"), ("source", source))
    )
    text = render_soak_markdown(report, command)
    console.print(text)
    if json_path is not None:
        json_path.write_text(json.dumps(report.to_json(), indent=2) + "\n")
    if markdown is not None:
        with markdown.open("a") as handle:
            handle.write(text + "\n")


def register(app: typer.Typer) -> None:
    app.command("soak")(soak)
