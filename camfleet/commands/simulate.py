"""``camfleet simulate``: capacity on a modelled device, as a bench profile marked simulated."""

from __future__ import annotations

import json
import re
import shlex
import sys
from pathlib import Path
from typing import Annotated, Any, cast

import typer
from rich.table import Table

from camfleet.commands._checks import check_writable_file
from camfleet.commands._render import fmt_number, make_console
from camfleet.documents import load_document
from camfleet.errors import ConfigError
from camfleet.simulate import (
    DeviceModel,
    SimulateOptions,
    device_from_profile,
    published_device,
    simulate_profile,
)
from camfleet.simulate.host import decode_ms_per_camera_s, memory_per_mode
from camfleet.simulate.profile import Mode

__all__ = ["register"]

console = make_console()
_DEVICES = ("t4", "l4", "a10g", "h100")


def _family(model: str) -> str:
    found = re.search(r"yolov8[ns]", Path(model).name.lower())
    if found is None:
        raise ConfigError(
            f"--model {model}: no published curve for it; pass yolov8n or yolov8s (or an ONNX "
            "whose name says which), or a measured profile as --device"
        )
    return found.group(0)


def _load_json(path: Path, what: str) -> dict[str, Any]:
    data = load_document(path, what)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: not a {what} (expected a JSON object)")
    return cast(dict[str, Any], data)


def _device(
    device: str, model: str, host: dict[str, Any] | None, vcpus: int, decode_ms: float | None
) -> DeviceModel:
    if device.lower() in _DEVICES:
        if decode_ms is None:
            decode_ms = decode_ms_per_camera_s(host) if host else 0.0
        return published_device(device, _family(model), host_vcpus=vcpus,
                                decode_ms_per_camera_s=decode_ms)
    path = Path(device)
    if not path.is_file():
        raise ConfigError(
            f"--device {device}: not one of {', '.join(_DEVICES)} nor an existing bench "
            "profile JSON; pass one of those"
        )
    return device_from_profile(_load_json(path, "bench profile"), origin=path.name)


def _table(profile: dict[str, Any]) -> Table:
    table = Table(
        title=f"SIMULATED capacity (p99 <= {profile['slo_ms']:g} ms, <= 1 % lost) - "
        f"{profile['model']} on {profile['device']['name']}, {profile['analyze_fps']:g} fps",
        title_justify="left",
    )
    for column in ("mode", "capacity", "p50 ms", "p99 ms", "img/s", "lost %", "mean batch"):
        table.add_column(column, justify="left" if column == "mode" else "right")
    for name, mode in profile["modes"].items():
        capacity = f"{'>=' if mode['capped'] else ''}{mode['capacity']}"
        table.add_row(name, capacity, fmt_number(mode["p50_ms"]), fmt_number(mode["p99_ms"]),
                      fmt_number(mode["img_s"]), fmt_number(mode["shed_pct"], 2),
                      fmt_number(mode["mean_batch"]))
    return table


def simulate(
    device: Annotated[str, typer.Option(
        "--device", help="t4 | l4 | a10g | h100 (published curve) or a bench profile JSON.")],
    model: Annotated[str, typer.Option(
        "--model", help="yolov8n | yolov8s | an ONNX path (its name picks the curve).")
    ] = "yolov8s",
    analyze_fps: Annotated[float, typer.Option("--analyze-fps", min=0.01)] = 2.0,
    mode: Annotated[str, typer.Option("--mode", help="shared | timeslice | both")] = "both",
    gating_fraction: Annotated[float, typer.Option(
        "--gating-fraction", min=0.0, max=0.99,
        help="Share of sampled frames the motion gate skips.")] = 0.0,
    slo_ms: Annotated[float, typer.Option("--slo-ms", min=1.0)] = 500.0,
    duration: Annotated[float, typer.Option(
        "--duration", min=1.0, help="Simulated seconds per trial.")] = 60.0,
    host_profile: Annotated[Path | None, typer.Option(
        "--host-profile",
        help="Measured bench profile giving decode cost and RSS per camera for the host.")
    ] = None,
    decode_ms: Annotated[float | None, typer.Option(
        "--decode-ms", min=0.0,
        help="Host CPU ms to decode one camera-second (e.g. a detect_source substream's, "
        "from python -m camfleet.sources.decode_levers); overrides --host-profile's.")
    ] = None,
    host_vcpus: Annotated[int, typer.Option(
        "--host-vcpus", min=1, help="Host vCPUs beside a published GPU.")] = 4,
    max_cameras: Annotated[int, typer.Option("--max-cameras", min=1)] = 4096,
    context_mb: Annotated[float, typer.Option(
        "--context-mb", min=1.0,
        help="Device memory per time-slice pod (context and model): caps pods per GPU.")
    ] = 500.0,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    json_out: Annotated[Path | None, typer.Option(
        "--json", help="Write the simulated profile (bench schema, measured: false).")
    ] = None,
) -> None:
    """Capacity of shared and time-slice modes on a modelled device, without the device."""
    if mode not in ("shared", "timeslice", "both"):
        raise ConfigError(f"--mode must be shared, timeslice or both (got {mode!r})")
    if json_out is not None:
        check_writable_file("--json", json_out)
    host = _load_json(host_profile, "bench profile") if host_profile else None
    model_device = _device(device, model, host, host_vcpus, decode_ms)
    modes = cast(tuple[Mode, ...], ("shared", "timeslice") if mode == "both" else (mode,))
    options = SimulateOptions(analyze_fps=analyze_fps, slo_ms=slo_ms, duration_s=duration,
                              gating_fraction=gating_fraction, max_cameras=max_cameras,
                              context_mb=context_mb, seed=seed)
    name = Path(model).name if device.lower() not in _DEVICES else _family(model)
    console.print("[bold]Assumptions[/] (printed with every simulated result):")
    for line in model_device.assumptions:
        console.print(f"- {line}", markup=False)
    profile = simulate_profile(
        model_device, name, options, modes,
        command="camfleet " + shlex.join(sys.argv[1:]),
        memory=memory_per_mode(host) if host else None,
    )
    console.print(_table(profile))
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(profile, indent=2) + "\n", encoding="utf-8")
        console.print(f"wrote {json_out} (measured: false)")


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate)
