"""Every command a rendered pod runs exists in this camfleet, with every flag it is given."""

from __future__ import annotations

from typing import Any

from typer.testing import CliRunner

from camfleet.cli import app
from camfleet.config import FleetConfig
from camfleet.deploy.eks import EksOptions, render_eks

runner = CliRunner()

GROUPS = {"db", "fleet"}  # command groups: their subcommand is the second word


def _path(command: tuple[str, ...]) -> tuple[str, ...]:
    return command[:2] if command[0] in GROUPS else command[:1]


def _commands(fleet: FleetConfig) -> set[tuple[str, ...]]:
    found: set[tuple[str, ...]] = set()
    for mode in ("shared", "timeslice"):
        rendered = render_eks(fleet, EksOptions(mode=mode, snapshot_store="s3://b/p"))
        for docs in rendered.objects.values():
            for obj in docs:
                pod: dict[str, Any] = obj.get("spec", {}).get("template", {}).get("spec", {})
                for container in pod.get("initContainers", []) + pod.get("containers", []):
                    command = container.get("command", [])
                    if command[:1] == ["camfleet"]:
                        found.add(tuple(command[1:]))
    return found


def test_rendered_pods_run_these_commands(fleet: FleetConfig) -> None:
    assert {_path(c) for c in _commands(fleet)} == {
        ("db", "upgrade"),
        ("fleet", "import"),
        ("serve",),
        ("worker",),
    }


def test_every_rendered_command_and_flag_exists(fleet: FleetConfig) -> None:
    for command in sorted(_commands(fleet)):
        path = _path(command)
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, f"camfleet {' '.join(path)}: {result.output}"
        flags = [w for w in command if w.startswith("--")]
        absent = [flag for flag in flags if flag not in result.output]
        assert not absent, f"camfleet {' '.join(path)} has no {absent}"
