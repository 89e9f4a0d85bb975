"""``camfleet bench``: shared vs timeslice capacity within the SLO, measured side by side."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import typer
from rich.table import Table

from camfleet.bench.run import BenchOptions, Mode, run_bench
from camfleet.bench.trial import TrialResult
from camfleet.commands._checks import (
    check_between,
    check_choice,
    check_existing_file,
    check_positive,
    check_provider_name,
    check_writable_file,
)
from camfleet.commands._render import fmt_number, make_console
from camfleet.config import default_max_batch
from camfleet.errors import ConfigError
from camfleet.paths import BUNDLED_MODEL, DEFAULT_DATA_DIR

__all__ = ["register", "render_markdown"]

console = make_console()


def _capacity(mode: dict[str, Any]) -> str:
    """Capacity, marked as a lower bound when the search hit its limit."""
    return f"{'>=' if mode.get('capped') else ''}{mode['capacity']}"


_COLUMNS = ("mode", "capacity", "p50 ms", "p99 ms", "img/s", "lost %", "gated %",
            "mean batch", "RSS MB", "RSS MB/camera")


def _cells(name: str, mode: dict[str, Any]) -> list[str]:
    """One mode's row, in ``_COLUMNS`` order, for the console table and the Markdown."""
    return [
        name, _capacity(mode), fmt_number(mode["p50_ms"]), fmt_number(mode["p99_ms"]),
        fmt_number(mode["img_s"]), fmt_number(mode["shed_pct"], 2),
        fmt_number(mode["gated_pct"]), fmt_number(mode["mean_batch"]),
        fmt_number(mode["rss_mb"], 0), fmt_number(mode["rss_mb_per_camera"]),
    ]


def _summary_table(profile: dict[str, Any]) -> Table:
    table = Table(
        title=(
            f"Capacity within SLO (p99 <= {profile['slo_ms']:.0f} ms, <= 1 % lost) - "
            f"{profile['model']} on {profile['provider']}, {profile['analyze_fps']:g} fps per "
            f"camera, {profile['source']}"
        ),
        title_justify="left",
        caption=f"{profile['machine']}; offline ceiling {profile['ceiling_img_s']:.1f} img/s",
    )
    for column in _COLUMNS:
        table.add_column(column, justify="left" if column == "mode" else "right")
    for name, mode in profile["modes"].items():
        table.add_row(*_cells(name, mode))
    return table


def _ratios(profile: dict[str, Any]) -> list[str]:
    modes = profile["modes"]
    lines = []
    for suffix in ("", "_gated"):
        shared, timeslice = modes.get(f"shared{suffix}"), modes.get(f"timeslice{suffix}")
        if shared and timeslice and timeslice["capacity"]:
            lines.append(
                f"shared{suffix} / timeslice{suffix} capacity: "
                f"{shared['capacity'] / timeslice['capacity']:.2f}x"
            )
    if "shared_gated" in modes and "timeslice" in modes and modes["timeslice"]["capacity"]:
        lines.append(
            "shared_gated / timeslice (gating off) capacity: "
            f"{modes['shared_gated']['capacity'] / modes['timeslice']['capacity']:.2f}x"
        )
    saturation = profile.get("saturation")
    if saturation:
        lines.append(
            f"shared at saturation ({saturation['cameras']} cameras): "
            f"{saturation['img_s']:.1f} img/s = {saturation['pct_of_ceiling']:.0f} % of the "
            "offline ceiling"
        )
    shared = modes.get("shared")
    timeslice = modes.get("timeslice")
    if shared and timeslice and shared.get("rss_mb_per_added_camera") is not None:
        lines.append(
            f"RSS per added camera: shared {shared['rss_mb_per_added_camera']:.1f} MB vs "
            f"one timeslice worker {timeslice['rss_mb_per_camera']:.0f} MB"
        )
    return lines


def render_markdown(profile: dict[str, Any]) -> str:
    """A BENCHMARKS.md section for one profile."""
    out = [
        f"### {profile['model']} ({profile['model_family']}), {profile['provider']}, "
        f"{profile['analyze_fps']:g} fps/camera, source `{profile['source']}`",
        "",
        f"Machine: {profile['machine']}. Measured {profile['created_at']}, "
        f"{profile['duration_s']:g} s per trial. Command: `{profile['command']}`",
        "",
        "| " + " | ".join(_COLUMNS) + " |",
        "|" + "---|" * len(_COLUMNS),
    ]
    out += [
        "| " + " | ".join(_cells(name, mode)) + " |" for name, mode in profile["modes"].items()
    ]
    out += ["", f"Offline ceiling (batch {profile['max_batch']}): "
            f"{profile['ceiling_img_s']:.1f} img/s.", ""]
    out += [f"- {line}" for line in _ratios(profile)]
    return "\n".join(out) + "\n"


def bench(
    model: Path = typer.Option(BUNDLED_MODEL, "--model", "-m", help="ONNX model to measure."),
    provider: str = typer.Option("cpu", help="cpu, cuda, tensorrt or openvino."),
    analyze_fps: float = typer.Option(2.0, help="Analysed frames per second per camera."),
    slo_ms: float = typer.Option(500.0, help="p99 capture-to-stored latency target."),
    source: str = typer.Option(
        "synthetic:1280x720@15",
        help="Camera source for every camera: synthetic:WxH@FPS, reference: (still-heavy "
        "scene for gating), or a video file.",
    ),
    duration: float = typer.Option(60.0, help="Measured seconds per trial."),
    warmup: float = typer.Option(5.0, help="Unmeasured seconds before each trial."),
    modes: str = typer.Option("shared,timeslice", help="Modes to compare."),
    gating: str = typer.Option("off", help="Motion gating: off, on or both."),
    max_cameras: int = typer.Option(256, help="Upper bound of the capacity search."),
    max_timeslice_cameras: int = typer.Option(
        64, help="Upper bound for timeslice (one process per camera)."
    ),
    max_batch: int | None = typer.Option(
        None, help="Largest batch in shared mode; default 1 on CPU, 32 on a GPU."
    ),
    max_trials: int = typer.Option(8, help="Trials per capacity search."),
    quick: bool = typer.Option(False, "--quick", help="Short trials (< 3 min on 2 CPU cores)."),
    store: bool = typer.Option(
        True, help="Run trials with tracking, rules and an SQLite store on, as in production."
    ),
    json_path: Path | None = typer.Option(None, "--json", help="Write the profile here."),
    markdown: Path | None = typer.Option(None, help="Append a BENCHMARKS.md section here."),
    data_dir: Path = typer.Option(DEFAULT_DATA_DIR, help="Cache directory for models."),
    input_format: str = typer.Option(
        "uint8", help="What the device receives: uint8 canvases (converted in the graph) or "
        "float (converted on the host, the older path)."
    ),
) -> None:
    """Find how many cameras each mode serves within the SLO, side by side."""
    chosen = tuple(m.strip() for m in modes.split(",") if m.strip())
    if not chosen or any(m not in ("shared", "timeslice") for m in chosen):
        raise ConfigError(f"--modes {modes!r}: use shared, timeslice or shared,timeslice")
    gating_modes = {"off": (False,), "on": (True,), "both": (False, True)}.get(gating)
    if gating_modes is None:
        raise ConfigError(f"--gating {gating!r}: use off, on or both")
    _check_numbers(analyze_fps, slo_ms, duration, warmup, max_cameras, max_timeslice_cameras,
                   max_batch, max_trials)
    check_provider_name("--provider", provider)
    check_choice("--input-format", input_format, ("uint8", "float"))
    check_existing_file("--model", model)
    if json_path is not None:
        check_writable_file("--json", json_path)
    if markdown is not None:
        check_writable_file("--markdown", markdown)
    if quick:
        duration, warmup, max_trials = min(duration, 6.0), min(warmup, 2.0), min(max_trials, 4)
    options = BenchOptions(
        model_path=model, provider=provider, analyze_fps=analyze_fps, slo_ms=slo_ms,
        source=source, duration_s=duration, warmup_s=warmup,
        modes=cast(tuple[Mode, ...], chosen), gating=gating_modes, max_cameras=max_cameras,
        max_timeslice_cameras=max_timeslice_cameras,
        max_batch=max_batch or default_max_batch(provider), max_trials=max_trials,
        ceiling_s=3.0 if quick else 10.0,
        saturation=not quick, cache_dir=data_dir / "cache", store=store,
        decode_s=3.0 if quick else 10.0,
        input_format="float" if input_format == "float" else "uint8",
    )

    def on_trial(trial: TrialResult) -> None:
        verdict = "[green]pass[/]" if trial.passed else "[red]fail[/]"
        console.print(
            f"  {trial.mode:9} {trial.cameras:4d} cameras: {verdict}  "
            f"p50 {fmt_number(trial.p50_ms)} p99 {fmt_number(trial.p99_ms)} ms, "
            f"{trial.img_s:.1f} img/s, lost {trial.shed_pct:.2f} %, "
            f"batch {trial.mean_batch:.1f}, RSS {trial.rss_mb:.0f} MB"
        )

    profile = run_bench(options, log=lambda text: console.print(text), on_trial=on_trial)
    console.print(_summary_table(profile))
    for line in _ratios(profile):
        console.print(line)
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(profile, indent=2) + "\n", encoding="utf-8")
        console.print(f"profile written to {json_path}")
    if markdown is not None:
        markdown.parent.mkdir(parents=True, exist_ok=True)
        with markdown.open("a", encoding="utf-8") as md:
            md.write("\n" + render_markdown(profile))
        console.print(f"section appended to {markdown}")


def _check_numbers(
    analyze_fps: float, slo_ms: float, duration: float, warmup: float, max_cameras: int,
    max_timeslice_cameras: int, max_batch: int | None, max_trials: int,
) -> None:
    check_between("--analyze-fps", analyze_fps, 0.0, 120.0, "2", low_open=True)
    check_positive("--slo-ms", slo_ms, "500")
    check_positive("--duration", duration, "60")
    check_positive("--warmup", warmup, "5", zero_ok=True)
    check_positive("--max-cameras", max_cameras, "256")
    check_positive("--max-timeslice-cameras", max_timeslice_cameras, "64")
    check_between("--max-batch", max_batch, 1, 256, "8")
    check_positive("--max-trials", max_trials, "8")


def register(app: typer.Typer) -> None:
    app.command("bench")(bench)
