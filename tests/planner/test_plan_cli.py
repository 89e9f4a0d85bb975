"""`camfleet plan` and `camfleet plan seed` through the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from camfleet.cli import app
from camfleet.errors import PlanError

runner = CliRunner()


def test_plan_seed_shows_the_arithmetic_and_the_list_price_gap() -> None:
    result = runner.invoke(app, ["plan", "seed"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "2.7 + inference 7.9 + postprocess 1.1 + network 10.26 = 21.96 ms" in out
    assert "27.81 x 54 / 730 h = $2.0572/h" in out
    assert "2.176 x 730 h / 54 = $29.42/camera/month" in out
    assert "353.03 x 1 / 730 h = $0.4836/h" in out
    assert "54 x 1000 / 205 = 263.4" in out


def test_plan_seed_json() -> None:
    result = runner.invoke(app, ["plan", "seed", "--json"])
    assert result.exit_code == 0, result.output
    costs = {c["instance"]: c for c in json.loads(result.output)["costs"]}
    assert round(costs["g4dn.8xlarge"]["list_usd_per_camera"], 2) == 29.42
    assert round(costs["g4dn.8xlarge"]["implied_usd_per_hour"], 4) == 2.0572


def test_plan_table_for_the_sample_profile(sample_profile_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "plan",
            "--profile",
            str(sample_profile_path),
            "--cameras",
            "1000",
            "--instances",
            "g4dn,g5,g6",
            "--eks-fee",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "g4dn.xlarge" in result.output and "$/camera/month" in result.output
    assert "Recommendation: 6 x g6.2xlarge" in result.output
    assert "EKS control plane: $73.00/month" in result.output


def test_plan_json_with_a_price_file(sample_profile_path: Path, tmp_path: Path) -> None:
    prices = tmp_path / "prices.yaml"
    from camfleet.planner.catalog import DEFAULT_CATALOG_PATH

    prices.write_text(
        DEFAULT_CATALOG_PATH.read_text().replace(
            "on_demand_usd_per_hour: 0.526,", "on_demand_usd_per_hour: 0.2,"
        )
    )
    result = runner.invoke(
        app,
        [
            "plan",
            "--profile",
            str(sample_profile_path),
            "--cameras",
            "500",
            "--json",
            "--pricing",
            str(prices),
            "--analyze-fps",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert plan["analyze_fps"] == 1.0
    assert plan["recommendation"]["instance"] == "g4dn.xlarge"
    assert plan["recommendation"]["cameras_per_instance"] == 122  # compute 180, decode 122


def test_plan_without_inputs_is_a_usage_error() -> None:
    result = runner.invoke(app, ["plan"])
    assert result.exit_code == 2
    assert "give --profile BENCH.json and --cameras N" in result.output


def test_bad_profile_prints_one_line_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bench.json"
    bad.write_text(json.dumps({"schema": "camfleet.bench/1"}))
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from camfleet.cli import main; main()",
            "plan",
            "--profile",
            str(bad),
            "--cameras",
            "10",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"camfleet: {bad}: device: Field required")


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_plan_from_a_real_quick_bench(tmp_path: Path) -> None:
    bench = tmp_path / "bench.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from camfleet.cli import main; main()",
            "bench",
            "--quick",
            "--json",
            str(bench),
        ],
        capture_output=True,
        text=True,
        timeout=840,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = runner.invoke(app, ["plan", "--profile", str(bench), "--cameras", "100", "--json"])
    if result.exit_code == 0:
        plan = json.loads(result.output)
        assert plan["rows"] and all(r["gpu"] is None for r in plan["rows"])  # a CPU profile
    else:  # a machine too busy to serve one camera within the SLO: said in one line
        assert isinstance(result.exception, PlanError)
        assert "no candidate instance can serve the request" in str(result.exception)
