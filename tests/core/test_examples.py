"""The fleet YAMLs in examples/: each loads and validates, names only classes its models have,
renders with ``camfleet deploy render`` and is linked from the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from camfleet.analytics.schema import check_class_names
from camfleet.cli import main
from camfleet.config import FleetConfig, load_fleet
from camfleet.model import inspect_model
from camfleet.paths import resolve_asset

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
# Classes of a COCO-trained YOLOv8 (Ultralytics' default export), the ones the examples use.
COCO_USED = {"person", "car", "truck", "bus", "motorcycle", "bicycle"}


def test_the_three_examples_exist() -> None:
    assert [p.name for p in EXAMPLES] == ["gpu-node.yaml", "laptop.yaml", "rtsp-building.yaml"]


def _class_names(fleet: FleetConfig) -> dict[str, dict[int, str]]:
    """Each model's classes: read from the file when it ships with camfleet, else COCO."""
    names: dict[str, dict[int, str]] = {}
    for model_id, model in fleet.models.items():
        if model.path.startswith("bundled:"):
            names[model_id] = dict(inspect_model(resolve_asset(model.path)).names)
        else:
            names[model_id] = dict(enumerate(sorted(COCO_USED)))
    return names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_loads_and_its_rules_name_real_classes(path: Path) -> None:
    fleet = load_fleet(path)
    assert any(camera.rules for camera in fleet.cameras)
    check_class_names(fleet, _class_names(fleet))


def test_laptop_example_runs_on_bundled_files_only() -> None:
    fleet = load_fleet(ROOT / "examples" / "laptop.yaml")
    assert {m.provider for m in fleet.models.values()} == {"cpu"}
    for camera in fleet.cameras:
        assert camera.source.startswith("bundled:")
        assert resolve_asset(camera.source).is_file(), camera.source


def test_building_example_has_zones_lines_rules_and_placeholder_secrets() -> None:
    fleet = load_fleet(ROOT / "examples" / "rtsp-building.yaml")
    assert all(c.source.startswith("rtsp://") for c in fleet.cameras)
    assert any(c.zones for c in fleet.cameras) and any(c.lines for c in fleet.cameras)
    kinds = {rule.type for camera in fleet.cameras for rule in camera.rules}
    assert kinds == {"presence", "dwell", "line_crossing", "crowd"}
    secrets = {hook.secret for c in fleet.cameras for r in c.rules for hook in r.webhooks}
    assert secrets == {"CHANGE-ME"}


def test_gpu_example_runs_two_models_on_the_gpu() -> None:
    fleet = load_fleet(ROOT / "examples" / "gpu-node.yaml")
    assert len(fleet.models) == 2
    assert {m.provider for m in fleet.models.values()} <= {"cuda", "tensorrt"}
    assert any(len(c.models) == 2 for c in fleet.cameras)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_renders_with_deploy_render(
    path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    main(["deploy", "render", "--fleet", str(path), "--out", str(out)])
    printed = capsys.readouterr().out
    cameras = len(load_fleet(path).cameras)
    assert f"{cameras} cameras on" in printed
    assert (out / "manifests" / "10-fleet-import.yaml").is_file()
    assert (out / "manifests" / "40-workers.yaml").is_file()
    # The fleet reaches the cluster through a Secret the operator creates: no rendered file
    # holds its camera credentials, webhook secrets or database password.
    rendered = "".join(f.read_text(encoding="utf-8") for f in out.rglob("*.yaml"))
    assert "CHANGE-ME" not in rendered


def test_readme_links_every_example() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in EXAMPLES:
        assert f"examples/{path.name}" in readme, path.name
