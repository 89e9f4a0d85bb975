"""`camfleet deploy render` and `camfleet deploy validate` through the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from camfleet.cli import app

runner = CliRunner()


@pytest.mark.parametrize(
    ("args", "files"),
    [
        (["--mode", "shared", "--replicas", "2"], 9),
        (["--mode", "timeslice", "--time-slices", "3", "--database", "external"], 10),
    ],
)
def test_render_then_validate(
    fleet_path: Path, tmp_path: Path, args: list[str], files: int
) -> None:
    out = tmp_path / "eks"
    result = runner.invoke(
        app,
        [
            "deploy",
            "render",
            "--target",
            "eks",
            "--fleet",
            str(fleet_path),
            "--out",
            str(out),
            *args,
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"Rendered {files} files into {out}" in result.output
    assert len([p for p in out.rglob("*.yaml")]) == files
    checked = runner.invoke(app, ["deploy", "validate", str(out)])
    assert checked.exit_code == 0, checked.output
    assert "core objects valid for Kubernetes 1.34" in checked.output


def test_validate_reports_a_broken_manifest(fleet_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "eks"
    assert (
        runner.invoke(
            app, ["deploy", "render", "--fleet", str(fleet_path), "--out", str(out)]
        ).exit_code
        == 0
    )
    workers = out / "manifests" / "40-workers.yaml"
    docs = list(yaml.safe_load_all(workers.read_text()))
    docs[-1]["spec"]["replicas"] = "many"
    workers.write_text(yaml.safe_dump_all(docs))
    result = runner.invoke(app, ["deploy", "validate", str(out)])
    assert result.exit_code == 1
    assert "Deployment/camfleet-worker: spec.replicas" in result.output


def test_render_with_profile_sizes_from_the_plan(fleet_path: Path, tmp_path: Path) -> None:
    profile = fleet_path.parents[2] / "planner" / "data" / "sample_profile.json"
    result = runner.invoke(
        app,
        [
            "deploy",
            "render",
            "--fleet",
            str(fleet_path),
            "--out",
            str(tmp_path),
            "--profile",
            str(profile),
            "--mode",
            "timeslice",
        ],
    )
    assert result.exit_code == 0, result.output
    # The profile's timeslice capacity (40 per T4) sets the slices: 6 pods on one GPU.
    assert "6 worker(s), 1 GPU(s), 1 x g4dn.xlarge, 40 pods per GPU" in result.output
    workers = (tmp_path / "manifests" / "40-workers.yaml").read_text()
    assert "cpu: 87m" in workers and "memory: 448Mi" in workers  # 3.5 vCPU / 40; 350 MB x 1.25


def test_snapshot_store_reaches_every_pod_that_reads_or_writes_snapshots(
    fleet_path: Path, tmp_path: Path
) -> None:
    args = ["deploy", "render", "--fleet", str(fleet_path), "--out", str(tmp_path)]
    result = runner.invoke(app, [*args, "--snapshot-store", "s3://camfleet-snaps/site-a"])
    assert result.exit_code == 0, result.output
    assert "--snapshot-store" not in result.output  # no warning once it is set
    for name in ("30-control-plane.yaml", "40-workers.yaml"):
        docs = list(yaml.safe_load_all((tmp_path / "manifests" / name).read_text()))
        [pod] = [d["spec"]["template"]["spec"] for d in docs if d["kind"] == "Deployment"]
        env = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
        assert env["CAMFLEET_SNAPSHOT_STORE"] == "s3://camfleet-snaps/site-a", name
    default = runner.invoke(app, [*args[:-1], str(tmp_path / "local")])
    assert "snapshots stay on each pod's local volume" in default.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mode", "shared", "--time-slices", "4"], "--time-slices applies to --mode timeslice"),
        (["--mode", "mps"], "--mode must be one of shared, timeslice"),
        (["--target", "gke"], "--target must be one of eks"),
    ],
)
def test_render_usage_errors(
    fleet_path: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    result = runner.invoke(
        app, ["deploy", "render", "--fleet", str(fleet_path), "--out", str(tmp_path), *args]
    )
    assert result.exit_code == 2
    assert message in result.output
