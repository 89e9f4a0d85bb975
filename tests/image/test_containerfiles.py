"""What the images are built from: the wheel carries the bundled model, and the Containerfiles
run camfleet as the non-root user the rendered pods expect."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from camfleet.deploy.workloads import DATA_DIR, IMAGE_UID

ROOT = Path(__file__).resolve().parents[2]
CONTAINERFILES = [ROOT / "Containerfile", ROOT / "Containerfile.cuda"]


def _instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


@pytest.mark.parametrize("path", CONTAINERFILES, ids=lambda p: p.name)
def test_final_stage_runs_camfleet_as_the_pods_non_root_user(path: Path) -> None:
    steps = _instructions(path)
    final = steps[max(i for i, (op, _) in enumerate(steps) if op == "FROM") :]
    assert final[0] == ("FROM", "${BASE_IMAGE}")  # the base image is a build argument
    assert ("ARG", "BASE_IMAGE=localhost/camfleet-base:bookworm") in steps
    settings = {op: args for op, args in final}
    assert settings["USER"] == f"{IMAGE_UID}:{IMAGE_UID}"  # rendered runAsUser matches
    assert settings["ENTRYPOINT"] == '["camfleet"]'
    assert settings["WORKDIR"] == DATA_DIR  # rendered pods mount their data volume here
    assert f"--uid {IMAGE_UID}" in settings["RUN"]
    # pip inside the build has no index: only the wheelhouse.
    installs = [args for op, args in steps if op == "RUN" and "pip install" in args]
    assert installs and all("--no-index" in args for args in installs)


def test_wheel_the_image_installs_carries_the_bundled_model(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), ROOT],
        check=True,
        timeout=180,
        cwd=tmp_path,
    )
    [wheel] = tmp_path.glob("camfleet-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "camfleet/assets/fall-yolov8s-dynamic.onnx",
        "camfleet/assets/bikes.mp4",
        "camfleet/assets/NOTICE",
        "camfleet/store/migrations/script.py.mako",
    ):
        assert expected in names
    assert any(n.startswith("camfleet/store/migrations/versions/0001") for n in names)
