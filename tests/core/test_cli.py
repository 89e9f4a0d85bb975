"""The command line as a user meets it: real subprocesses of the installed entry point."""

from __future__ import annotations

import subprocess
import sys

import camfleet


def camfleet_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from camfleet.cli import main; main()", *args],
        capture_output=True, text=True, timeout=timeout, check=False,
    )


def test_version():
    done = camfleet_cli("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"camfleet {camfleet.__version__}"


def test_every_command_has_help():
    for command in ("demo", "detect", "run", "bench", "events", "counts", "model", "plan",
                    "deploy", "db"):
        done = camfleet_cli(command, "--help")
        assert done.returncode == 0, (command, done.stderr)
        assert "Usage" in done.stdout


def test_missing_video_is_one_line_error(tmp_path):
    done = camfleet_cli("detect", str(tmp_path / "nope.mp4"), "--data-dir", str(tmp_path))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("camfleet: ")
    assert "nope.mp4" in lines[0]


def test_corrupt_video_is_one_line_error(tmp_path):
    garbage = tmp_path / "broken.mp4"
    garbage.write_bytes(b"\x00\x01not a video" * 1000)
    done = camfleet_cli("detect", str(garbage), "--data-dir", str(tmp_path))
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert "broken.mp4" in done.stderr


def test_wrong_model_is_one_line_error(tmp_path):
    model = tmp_path / "model.onnx"
    model.write_text("this is not onnx", encoding="utf-8")
    done = camfleet_cli("detect", "synthetic:64x64@5", "--model", str(model),
                        "--data-dir", str(tmp_path))
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert "model.onnx" in done.stderr


def test_unreachable_rtsp_is_one_line_error(tmp_path):
    done = camfleet_cli("detect", "rtsp://127.0.0.1:9/none", "--data-dir", str(tmp_path))
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert "127.0.0.1:9" in done.stderr


def test_bad_fleet_config_is_one_line_error(tmp_path):
    config = tmp_path / "fleet.yaml"
    config.write_text("cameras:\n  - id: a\n    source: x.mp4\n    analyze_fps: zero\n",
                      encoding="utf-8")
    done = camfleet_cli("run", str(config))
    assert done.returncode == 2
    assert done.stderr.strip().startswith("camfleet: ")
    assert "analyze_fps" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_usage_error_is_one_line_naming_the_value():
    done = camfleet_cli("model", "bench", "x.onnx", "--iters", "0")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("camfleet: model bench: ")
    assert "'--iters'" in lines[0] and "(got '0')" in lines[0]


def test_bench_bad_option_fails_before_measuring(tmp_path):
    done = camfleet_cli("bench", "--analyze-fps", "0", "--json", str(tmp_path / "p.json"))
    assert done.returncode == 2
    assert done.stderr.strip().startswith("camfleet: --analyze-fps 0: ")
    assert "ceiling" not in done.stdout
