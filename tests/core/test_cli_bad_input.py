"""Every command's options, swept with bad values: each must end in one line
``camfleet: ...`` naming the value, with exit code 2, no traceback, and before any work.

To cover a new command or option, add a row to ``BAD_INPUTS``: the arguments after
``camfleet`` and the words the error line must contain (the option and the value given).
A row with ``requires="serve"`` (a command path, optionally followed by an option such as
``"demo --serve"``) is skipped where that command or option is not registered, so rows for
commands that other branches add can land before those branches do. Placeholders in the
arguments are filled per test:

    {tmp}         an empty temporary directory
    {file}        an existing regular file (so ``{file}/x.json`` cannot be created)
    {fleet}       a valid one-camera fleet YAML (synthetic source, bundled model)
    {profile}     a valid bench profile (the planner's sample)
    {busy_port}   a TCP port some socket already listens on

Work that must not start on bad input (the bench's ceiling measurement, a fleet's engine, a
service or worker loop: ``TRIPWIRES``) is replaced by a tripwire, so a row whose check comes
too late fails loudly instead of running (or blocking) the test.
"""

from __future__ import annotations

import importlib
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer.main

from camfleet.cli import app, main

PROFILE = Path(__file__).resolve().parents[1] / "planner" / "data" / "sample_profile.json"
FLEET_YAML = """\
cameras:
  - id: cam-1
    source: synthetic:64x64@5
"""


# "module.attribute" of work bad input must never reach; modules not on this branch are skipped.
TRIPWIRES = (
    "camfleet.bench.run.measure_ceiling",
    "camfleet.commands.run.create_engine",
    "camfleet.bench.soak.run_soak",
    "camfleet.commands.soak.run_soak",
    "camfleet.commands.serve.start_embedded_engine",
    "camfleet.commands.serve._wait_for_signal",
    "camfleet.cluster.runner.run_worker",
    "camfleet.commands.simulate.simulate_profile",
)


@dataclass(frozen=True)
class BadInput:
    args: tuple[str, ...]
    names: tuple[str, ...]
    requires: str | None = None
    gap: str | None = None  # a known gap, expected to fail (strictly) until it is fixed

    @property
    def id(self) -> str:
        return " ".join(self.args)


def bad(
    *args: str, names: tuple[str, ...], requires: str | None = None, gap: str | None = None
) -> BadInput:
    return BadInput(args, names, requires, gap)


BAD_INPUTS: tuple[BadInput, ...] = (
    # demo
    bad("demo", "--provider", "gpu", names=("--provider", "'gpu'")),
    bad("demo", "--max-frames", "0", names=("--max-frames", "0")),
    bad("demo", "--data-dir", "{file}/data", names=("--data-dir", "not a directory")),
    # detect
    bad("detect", "synthetic:64x64@5", "--conf", "2", names=("--conf", "2")),
    bad("detect", "synthetic:64x64@5", "--conf", "-0.1", names=("--conf", "-0.1")),
    bad("detect", "synthetic:64x64@5", "--iou", "2", names=("--iou", "2")),
    bad("detect", "synthetic:64x64@5", "--iou", "0", names=("--iou", "0")),
    bad("detect", "synthetic:64x64@5", "--analyze-fps", "0", names=("--analyze-fps", "0")),
    bad("detect", "synthetic:64x64@5", "--max-frames", "-1", names=("--max-frames", "-1")),
    bad("detect", "synthetic:64x64@5", "--provider", "tpu", names=("--provider", "'tpu'")),
    bad("detect", "synthetic:64x64@5", "--out", "{file}/a.mp4", names=("--out", "a.mp4")),
    bad("detect", "synthetic:64x64@5", "--jsonl", "{tmp}", names=("--jsonl", "directory")),
    bad("detect", "synthetic:64x64@5", "--classes", "Dog", "--data-dir", "{tmp}",
        names=("'Dog'",)),
    bad("detect", "synthetic:64x64@5", "--model", "{tmp}/none.onnx", names=("none.onnx",)),
    bad("detect", "synthetic:0x64@5", names=("synthetic:0x64@5",)),
    bad("detect", "ftp://example.invalid/x", names=("ftp",)),
    bad("detect", "synthetic:64x64@5", "--conf", "high", names=("--conf", "high")),
    # run
    bad("run", "{tmp}/missing.yaml", names=("missing.yaml",)),
    bad("run", "{fleet}", "--mode", "fast", names=("--mode", "'fast'")),
    bad("run", "{fleet}", "--duration", "0", names=("--duration", "0")),
    bad("run", "{fleet}", "--refresh", "-1", names=("--refresh", "-1")),
    bad("run", "{fleet}", "--metrics-port", "{busy_port}",
        names=("--metrics-port", "{busy_port}", "in use")),
    bad("run", "{fleet}", "--metrics-port", "70000", names=("--metrics-port", "70000")),
    bad("run", "{fleet}", "--shard-index", "2", "--shard-count", "2",
        names=("--shard-index", "2")),
    bad("run", "{fleet}", "--shard-index", "0", names=("--shard-count", "None")),
    bad("run", "{fleet}", "--data-dir", "{file}/data", names=("--data-dir", "not a directory")),
    bad("run", "{fleet}", "--db-url", "mongodb://x/y", "--duration", "1",
        names=("mongodb",)),
    # bench
    bad("bench", "--input-format", "int4", names=("--input-format", "int4"), requires="bench"),
    bad("bench", "--analyze-fps", "0", names=("--analyze-fps", "0")),
    bad("bench", "--analyze-fps", "500", names=("--analyze-fps", "500")),
    bad("bench", "--slo-ms", "0", names=("--slo-ms", "0")),
    bad("bench", "--duration", "-5", names=("--duration", "-5")),
    bad("bench", "--warmup", "-1", names=("--warmup", "-1")),
    bad("bench", "--max-cameras", "0", names=("--max-cameras", "0")),
    bad("bench", "--max-timeslice-cameras", "0", names=("--max-timeslice-cameras", "0")),
    bad("bench", "--max-batch", "0", names=("--max-batch", "0")),
    bad("bench", "--max-batch", "1000", names=("--max-batch", "1000")),
    bad("bench", "--max-trials", "0", names=("--max-trials", "0")),
    bad("bench", "--modes", "both", names=("--modes", "'both'")),
    bad("bench", "--gating", "maybe", names=("--gating", "'maybe'")),
    bad("bench", "--provider", "gpu", names=("--provider", "'gpu'")),
    bad("bench", "--model", "{tmp}/none.onnx", names=("--model", "none.onnx")),
    bad("bench", "--json", "{file}/x.json", names=("--json", "x.json")),
    bad("bench", "--json", "{tmp}", names=("--json", "directory")),
    bad("bench", "--markdown", "{file}/B.md", names=("--markdown", "B.md")),
    bad("bench", "--max-cameras", "many", names=("--max-cameras", "many")),
    # model
    bad("model", "inspect", "{tmp}/none.onnx", names=("none.onnx",)),
    bad("model", "inspect", "{file}", names=("file.txt",)),
    bad("model", "bench", "{tmp}/none.onnx", names=("none.onnx",)),
    bad("model", "bench", "{tmp}/none.onnx", "--batch", "0", names=("--batch", "'0'")),
    bad("model", "bench", "{tmp}/none.onnx", "--batch", "a,b", names=("--batch", "'a,b'")),
    bad("model", "bench", "{tmp}/none.onnx", "--iters", "0", names=("--iters", "0")),
    bad("model", "bench", "{tmp}/none.onnx", "--threads", "0", names=("--threads", "0")),
    bad("model", "bench", "{tmp}/none.onnx", "--frame-size", "big",
        names=("--frame-size", "'big'")),
    bad("model", "bench", "{tmp}/none.onnx", "--imgsz", "0", names=("--imgsz", "0")),
    bad("model", "bench", "{tmp}/none.onnx", "--provider", "gpu", names=("--provider", "'gpu'")),
    # plan
    bad("plan", "--profile", "{profile}", names=("--cameras",)),
    bad("plan", "--profile", "{tmp}/none.json", "--cameras", "10", names=("none.json",)),
    bad("plan", "--profile", "{profile}", "--cameras", "0", names=("--cameras", "0")),
    bad("plan", "--profile", "{profile}", "--cameras", "10", "--mode", "fast",
        names=("--mode", "'fast'")),
    bad("plan", "--profile", "{profile}", "--cameras", "10", "--pricing", "cheap",
        names=("--pricing", "cheap")),
    bad("plan", "--profile", "{profile}", "--cameras", "10", "--analyze-fps", "0",
        names=("--analyze-fps", "0")),
    bad("plan", "--profile", "{profile}", "--cameras", "10", "--hours-per-month", "1000",
        names=("--hours-per-month", "1000")),
    bad("plan", "--profile", "{profile}", "--cameras", "10", "--instances", "z9",
        names=("z9",)),
    bad("plan", "--profile", "{profile}", "--cameras", "10", "--region", "mars-1",
        names=("mars-1",)),
    bad("plan", "seed", "--pricing", "{tmp}/none.json", names=("--pricing", "none.json")),
    # deploy
    bad("deploy", "render", "--fleet", "{tmp}/none.yaml", "--out", "{tmp}/out",
        names=("none.yaml",)),
    bad("deploy", "render", "--fleet", "{fleet}", "--out", "{file}/out",
        names=("--out", "not a directory")),
    bad("deploy", "render", "--fleet", "{fleet}", "--out", "{tmp}/out", "--target", "gke",
        names=("--target", "'gke'")),
    bad("deploy", "render", "--fleet", "{fleet}", "--out", "{tmp}/out", "--mode", "fast",
        names=("--mode", "'fast'")),
    bad("deploy", "render", "--fleet", "{fleet}", "--out", "{tmp}/out", "--database", "mysql",
        names=("--database", "'mysql'")),
    bad("deploy", "render", "--fleet", "{fleet}", "--out", "{tmp}/out", "--replicas", "0",
        names=("--replicas", "0")),
    bad("deploy", "render", "--fleet", "{fleet}", "--out", "{tmp}/out", "--time-slices", "2",
        names=("--time-slices", "timeslice")),
    bad("deploy", "render", "--fleet", "{fleet}", "--out", "{tmp}/out", "--profile",
        "{tmp}/none.json", names=("none.json",)),
    bad("deploy", "render", "--fleet", "{fleet}", "--out", "{tmp}/out", "--instance-type",
        "z9.huge", names=("z9.huge",)),
    bad("deploy", "validate", "{tmp}/none", names=("none",)),
    bad("deploy", "validate", "{tmp}", "--kubernetes-version", "9.99",
        names=("--kubernetes-version", "9.99")),
    # db
    bad("db", "upgrade", "nosuchrev", "--data-dir", "{tmp}", names=("nosuchrev",)),
    bad("db", "downgrade", "nosuchrev", "--data-dir", "{tmp}", names=("nosuchrev",)),
    bad("db", "current", "--url", "mongodb://x/y", names=("mongodb",)),
    bad("db", "current", "--config", "{tmp}/none.yaml", names=("none.yaml",)),
    bad("db", "prune", "--data-dir", "{tmp}", "--retention-days", "0",
        names=("--retention-days", "0")),
    bad("db", "prune", "--data-dir", "{tmp}", "--snapshot-budget-mb", "-1",
        names=("--snapshot-budget-mb", "-1")),
    bad("db", "current", "--data-dir", "{file}/data", names=("--data-dir", "file.txt/data")),
    # events, counts
    bad("events", "--data-dir", "{tmp}", "--since", "yesterday", names=("--since", "yesterday")),
    bad("events", "--data-dir", "{tmp}", "--until", "2h ago", names=("--until", "2h ago")),
    bad("events", "--data-dir", "{tmp}", "--type", "fight", names=("--type", "'fight'")),
    bad("events", "--data-dir", "{tmp}", "--type", "[bold]x", names=("'[bold]x'",)),
    bad("events", "--data-dir", "{tmp}", "--limit", "0", names=("--limit", "0")),
    bad("events", "--data-dir", "{tmp}/empty", names=("--data-dir",)),
    bad("counts", "--data-dir", "{tmp}", "--by", "week", names=("--by", "week")),
    bad("counts", "--data-dir", "{tmp}", "--since", "soon", names=("--since", "soon")),
    # commands other branches add (skipped until they are registered)
    bad("demo", "--serve", "--port", "70000", names=("--port", "70000"), requires="demo --serve"),
    bad("serve", "--port", "70000", names=("--port", "70000"), requires="serve"),
    bad("serve", "--stall-limit", "0", names=("--stall-limit", "0"), requires="serve"),
    bad("serve", "--config", "{tmp}/none.yaml", names=("none.yaml",), requires="serve"),
    bad("serve", "--data-dir", "{tmp}", "--pricing", "cheap", names=("--pricing", "cheap"),
        requires="serve"),
    bad("serve", "--data-dir", "{tmp}", "--profile", "{tmp}/none.json", names=("none.json",),
        requires="serve"),
    bad("serve", "--db-url", "mongodb://x/y", names=("mongodb",), requires="serve"),
    bad("fleet", "import", "{tmp}/none.yaml", names=("none.yaml",), requires="fleet import"),
    bad("fleet", "export", "--db-url", "mongodb://x/y", "-o", "{tmp}/x.yaml", names=("mongodb",),
        requires="fleet export"),
    bad("apikey", "create", "--data-dir", "{tmp}", names=("--name",), requires="apikey create"),
    bad("apikey", "list", "--db-url", "mongodb://x/y", names=("mongodb",),
        requires="apikey list"),
    bad("apikey", "revoke", "nobody", "--data-dir", "{tmp}", names=("nobody",),
        requires="apikey revoke"),
    bad("apikey", "token", "--length", "8", names=("--length",), requires="apikey token"),
    bad("worker", "--database-url", "sqlite:///{tmp}/w.db", "--interval", "0",
        names=("--interval", "0"), requires="worker"),
    bad("worker", "--database-url", "sqlite:///{tmp}/w.db", "--handover-after", "-1",
        names=("--handover-after", "-1"), requires="worker"),
    bad("worker", "--database-url", "sqlite:///{tmp}/w.db", "--metrics-port", "70000",
        names=("--metrics-port", "70000"), requires="worker"),
    bad("worker", "--database-url", "sqlite:///{tmp}/w.db", "--capacity", "0",
        names=("--capacity", "0"), requires="worker"),
    bad("worker", "--database-url", "sqlite:///{tmp}/w.db", "--profile", "{tmp}/none.json",
        names=("none.json",), requires="worker"),
    bad("model", "build-engine", "{tmp}/none.onnx", "--batch-sizes", "0",
        names=("--batch-sizes", "'0'"), requires="model build-engine"),
    bad("model", "build-engine", "{tmp}/none.onnx", "--provider", "gpu",
        names=("'gpu'",), requires="model build-engine"),
    bad("model", "build-engine", "{tmp}/none.onnx", "--provider", "cpu", names=("none.onnx",),
        requires="model build-engine"),
    bad("simulate", "--device", "tpu", names=("tpu",), requires="simulate"),
    bad("simulate", "--device", "t4", "--mode", "fast", names=("--mode", "'fast'"),
        requires="simulate"),
    bad("simulate", "--device", "t4", "--analyze-fps", "0", names=("--analyze-fps", "0"),
        requires="simulate"),
    bad("simulate", "--device", "t4", "--host-profile", "{tmp}/none.json", names=("none.json",),
        requires="simulate"),
    bad("simulate", "--device", "t4", "--json", "{file}/x.json", names=("--json", "x.json"),
        requires="simulate"),
    bad("soak", "--cameras", "0", names=("--cameras", "0"), requires="soak"),
    bad("soak", "--load", "2", names=("--load", "2"), requires="soak"),
    bad("soak", "--analyze-fps", "0", names=("--analyze-fps", "0"), requires="soak"),
    bad("soak", "--warmup", "-1", names=("--warmup", "-1"), requires="soak"),
    bad("soak", "--json", "{file}/x.json", names=("--json", "x.json"), requires="soak"),
    bad("soak", "--model", "{tmp}/none.onnx", names=("--model", "none.onnx"), requires="soak"),
    # unknown commands and options
    bad("nope", names=("'nope'",)),
    bad("detect", "synthetic:64x64@5", "--speed", "9", names=("--speed",)),
)


@pytest.fixture(scope="module")
def busy_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("0.0.0.0", 0))
        listener.listen(1)
        yield int(listener.getsockname()[1])


@pytest.fixture
def placeholders(tmp_path: Path, busy_port: int) -> dict[str, str]:
    a_file = tmp_path / "file.txt"
    a_file.write_text("not a directory\n", encoding="utf-8")
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(FLEET_YAML, encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    return {"tmp": str(work), "file": str(a_file), "fleet": str(fleet),
            "profile": str(PROFILE), "busy_port": str(busy_port)}


@pytest.fixture
def tripwires(monkeypatch: pytest.MonkeyPatch) -> None:
    """Expensive work that bad input must never reach."""

    def started(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("work started before the options were checked")

    for target in TRIPWIRES:
        module_name, attribute = target.rsplit(".", 1)
        try:
            module = importlib.import_module(module_name)
        except ImportError:  # not on this branch: nothing the CLI can call
            continue
        if hasattr(module, attribute):
            monkeypatch.setattr(module, attribute, started)


def registered(requires: str) -> bool:
    """Whether the command path (and option, if one is named) exists in this build."""
    command: Any = typer.main.get_command(app)
    for token in requires.split():
        if token.startswith("-"):
            return any(token in param.opts for param in command.params)
        command = getattr(command, "commands", {}).get(token)
        if command is None:
            return False
    return True


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(args)
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.usefixtures("tripwires")
@pytest.mark.parametrize(
    "case",
    [
        pytest.param(case, id=case.id, marks=pytest.mark.xfail(strict=True, reason=case.gap))
        if case.gap else pytest.param(case, id=case.id)
        for case in BAD_INPUTS
    ],
)
def test_bad_input_is_one_line_naming_the_value(
    case: BadInput, placeholders: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    if case.requires is not None and not registered(case.requires):
        pytest.skip(f"'camfleet {case.requires}' is not on this branch")
    args = [arg.format(**placeholders) for arg in case.args]
    code, out, err = run_cli(args, capsys)
    lines = err.strip().splitlines()
    assert code == 2, (code, out, err)
    assert "Traceback" not in out + err
    assert len(lines) == 1, err
    assert lines[0].startswith("camfleet: "), err
    for name in case.names:
        assert name.format(**placeholders) in lines[0], (name, lines[0])


def test_every_command_is_swept() -> None:
    """A new command (or one renamed) must get rows in BAD_INPUTS."""
    group = typer.main.get_command(app)
    commands: set[str] = set()
    for name, command in getattr(group, "commands", {}).items():
        subcommands = getattr(command, "commands", None)
        if subcommands:
            commands.update(f"{name} {sub}" for sub in subcommands)
            if getattr(command, "invoke_without_command", False):
                commands.add(name)
        else:
            commands.add(name)
    swept = {" ".join(case.args[:2]) for case in BAD_INPUTS} | {case.args[0] for case in BAD_INPUTS}
    missing = sorted(command for command in commands if command not in swept)
    assert not missing, f"add BAD_INPUTS rows for: {missing}"
