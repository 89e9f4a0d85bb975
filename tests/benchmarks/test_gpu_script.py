"""benchmarks/gpu.sh --dry-run: the prepared GPU script runs end to end on the CPU provider,
so it is known to work before GPU minutes are spent on it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "benchmarks" / "gpu.sh"


@pytest.mark.slow  # about 1 to 2 minutes on 2 busy cores (Python starts once per step)
@pytest.mark.skipif(shutil.which("timeout") is None, reason="needs coreutils' timeout")
def test_dry_run_writes_the_profile_and_a_markdown_section(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHON": sys.executable}
    env.pop("OUT", None)
    done = subprocess.run(
        ["bash", str(SCRIPT), "--dry-run", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
        cwd=tmp_path,
    )

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "BENCHMARKS-gpu.md", "bench-profile.json", "gpu-bench.log", "model-bench.json"
    ]
    reports = json.loads((tmp_path / "model-bench.json").read_text())
    assert reports and all(r["provider"] == "cpu" for r in reports)
    assert any(Path(r["model"]).name == "fall-yolov8s-dynamic.onnx" for r in reports)
    for report in reports:
        assert {(r["input_format"], r["batch"]) for r in report["results"]} == {
            ("float", 1), ("float", 2), ("uint8", 1), ("uint8", 2)
        }
    profile = json.loads((tmp_path / "bench-profile.json").read_text())
    assert set(profile["modes"]) == {"shared", "timeslice"}
    section = (tmp_path / "BENCHMARKS-gpu.md").read_text()
    assert section.startswith("## GPU run: none (dry run on the CPU provider)")
    assert "| fall-yolov8s-dynamic.onnx | cpu | uint8 | 2 |" in section
    assert "uint8 vs float:" in section and "shared / timeslice capacity" in section
    log = (tmp_path / "gpu-bench.log").read_text()
    assert "model build-engine" in log and "gpu.sh: done in" in log


def test_unknown_option_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = subprocess.run(
        ["bash", str(SCRIPT), "--bogus"], capture_output=True, text=True, timeout=60,
        check=False, cwd=tmp_path,
    )

    assert done.returncode == 2
    assert done.stderr == "gpu.sh: unknown option '--bogus' (see --help)\n"
