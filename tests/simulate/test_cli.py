"""`camfleet simulate` and the simulated profile through `camfleet plan`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from camfleet.cli import app

runner = CliRunner()
HOST = Path(__file__).resolve().parents[2] / "benchmarks" / "cpu-yolov8n-2fps-reference.json"


def test_simulated_t4_profile_is_labelled_and_planned_with_its_limit(tmp_path: Path) -> None:
    out = tmp_path / "t4.json"
    result = runner.invoke(app, [
        "simulate", "--device", "t4", "--model", "yolov8s", "--analyze-fps", "2",
        "--mode", "shared", "--duration", "10", "--host-profile", str(HOST), "--json", str(out),
    ])
    assert result.exit_code == 0, result.output
    assert "2.66 ms per image at batch 1" in result.output  # the assumption is printed
    profile = json.loads(out.read_text())
    assert profile["measured"] is False
    assert profile["device"]["name"] == "Tesla T4"
    assert profile["modes"]["shared"]["capacity"] > 100
    assert profile["decode"]["ms_per_second_of_video"] > 0
    plan = runner.invoke(app, ["plan", "--profile", str(out), "--cameras", "1000",
                               "--instances", "g4dn"])
    assert plan.exit_code == 0, plan.output
    assert "SIMULATED plan" in plan.output
    assert "simulated" in plan.output.split("Recommendation:")[1].splitlines()[0]
    assert "limited by" in plan.output
    as_json = json.loads(runner.invoke(app, [
        "plan", "--profile", str(out), "--cameras", "1000", "--instances", "g4dn", "--json",
    ]).output)
    assert as_json["simulated"] is True
    assert {row["basis"] for row in as_json["rows"]} == {"simulated"}
    assert {row["bound"] for row in as_json["rows"]} <= {"compute", "decode", "memory"}


def test_a_measured_profile_as_device_uses_its_curve(tmp_path: Path) -> None:
    out = tmp_path / "cpu.json"
    result = runner.invoke(app, ["simulate", "--device", str(HOST), "--model", "yolov8n",
                                 "--duration", "20", "--json", str(out)])
    assert result.exit_code == 0, result.output
    modes = json.loads(out.read_text())["modes"]
    assert 5 <= modes["shared"]["capacity"] <= 12
    assert 5 <= modes["timeslice"]["capacity"] <= 12


def test_unknown_device_is_one_line_error(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", "from camfleet.cli import main; main()", "simulate",
         "--device", "v100"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "camfleet: --device v100: not one of t4, l4, a10g, h100 nor an existing bench profile "
        "JSON; pass one of those"
    ]
    assert "Traceback" not in proc.stderr


def test_model_without_a_published_curve_is_refused() -> None:
    result = runner.invoke(app, ["simulate", "--device", "t4", "--model", "yolov8x"])
    assert result.exit_code != 0
    assert "no published curve" in str(result.exception)
