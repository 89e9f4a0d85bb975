"""Every command a rendered pod runs exists in this camfleet, with every flag it is given."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from camfleet.cli import app
from camfleet.config import FleetConfig
from camfleet.deploy.eks import EksOptions, render_eks

runner = CliRunner()

# Commands other branches add (issue 9's `serve` and `fleet`, issue 10's `worker`); until they
# are merged here a missing one is skipped, named. Empty this set once they are.
PENDING = {"serve", "fleet", "worker"}
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
    missing: set[str] = set()
    for command in sorted(_commands(fleet)):
        path = _path(command)
        result = runner.invoke(app, [*path, "--help"])
        if result.exit_code != 0:
            if path[0] in PENDING:
                missing.add(" ".join(path))
                continue
            pytest.fail(f"camfleet {' '.join(path)}: {result.output}")
        flags = [w for w in command if w.startswith("--")]
        absent = [flag for flag in flags if flag not in result.output]
        assert not absent, f"camfleet {' '.join(path)} has no {absent}"
    if missing:
        pytest.skip(f"not on this branch yet: camfleet {', camfleet '.join(sorted(missing))}")
