from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from camfleet.commands import model as model_commands
from camfleet.errors import ModelError
from camfleet.paths import BUNDLED_MODEL


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    """A root app holding only the ``model`` group, as cli.py registers it."""
    root = typer.Typer()

    @root.callback()
    def _root() -> None:
        pass

    model_commands.register(root)
    return root


def test_inspect_prints_the_model_card(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["model", "inspect", str(BUNDLED_MODEL)])

    assert result.exit_code == 0, result.output
    for expected in ("detect", "0=Normal, 1=Fall", "stride", "32", "11,126,364", "18"):
        assert expected in result.output
    assert "CPUExecutionProvider" in result.output


def test_inspect_json(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["model", "inspect", str(BUNDLED_MODEL), "--json"])

    assert result.exit_code == 0, result.output
    card = json.loads(result.output)
    assert card["names"] == {"0": "Normal", "1": "Fall"}
    assert card["imgsz"] == [640, 640]
    assert (card["dynamic_batch"], card["dynamic_hw"]) == (True, True)
    assert card["params"] == 11_126_364 and card["opset"] == 18
    assert "CPUExecutionProvider" in card["available_providers"]


def test_inspect_bad_file_raises_a_model_error(app: typer.Typer, tmp_path: Path) -> None:
    bad = tmp_path / "bad.onnx"
    bad.write_text("hello")

    result = CliRunner().invoke(app, ["model", "inspect", str(bad)])

    assert isinstance(result.exception, ModelError)
    assert str(result.exception).startswith("bad.onnx: not an ONNX file")


def test_camfleet_cli_prints_one_line_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.onnx"
    bad.write_text("hello")

    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from camfleet.cli import main; main()",
            "model",
            "inspect",
            str(bad),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("camfleet: bad.onnx: not an ONNX file (protobuf parse failed")
    assert done.stderr.count("\n") == 1


def test_bench_json_reports_every_stage(app: typer.Typer, tmp_path: Path) -> None:
    args = ["model", "bench", str(BUNDLED_MODEL), "--batch", "1,2", "--iters", "2"]
    args += ["--imgsz", "320", "--threads", "2", "--cache-dir", str(tmp_path), "--json"]

    result = CliRunner().invoke(app, args)

    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["provider"] == "cpu"
    assert [r["batch"] for r in report["results"]] == [1, 2]
    first = report["results"][0]
    assert first["frame_shape"] == [720, 1280] and first["canvas_shape"] == [192, 320]
    for stage in ("preprocess", "inference", "postprocess", "pre_post", "total"):
        assert 0 < first[stage]["p50_ms"] <= first[stage]["p99_ms"]
    assert first["images_per_s"] > 0


def test_bench_table(app: typer.Typer, tmp_path: Path) -> None:
    args = ["model", "bench", str(BUNDLED_MODEL), "--batch", "1", "--iters", "1"]
    args += ["--imgsz", "320", "--frame-size", "640x360", "--cache-dir", str(tmp_path)]

    result = CliRunner().invoke(app, args)

    assert result.exit_code == 0, result.output
    assert "b1 p50" in result.output and "192x320" in result.output
    assert "inference" in result.output and "img/s" in result.output


def test_bench_rejects_bad_batch_list(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["model", "bench", str(BUNDLED_MODEL), "--batch", "1,x"])

    assert result.exit_code == 2
    assert "expected positive integers like 1,4" in result.output


def test_bench_compares_input_formats_side_by_side(app: typer.Typer, tmp_path: Path) -> None:
    args = ["model", "bench", str(BUNDLED_MODEL), "--batch", "1,2", "--iters", "2"]
    args += ["--imgsz", "320", "--threads", "2", "--cache-dir", str(tmp_path)]
    args += ["--input-format", "float,uint8", "--pad-batches", "1,2"]

    table = CliRunner().invoke(app, args)
    report = CliRunner().invoke(app, [*args, "--json"])

    assert table.exit_code == 0, table.output
    assert "float input" in table.output and "uint8 input" in table.output
    assert "uint8 vs float images/s: b1 " in table.output
    rows = json.loads(report.output)["results"]
    assert [(r["input_format"], r["batch"]) for r in rows] == [
        ("float", 1), ("float", 2), ("uint8", 1), ("uint8", 2)
    ]
    assert all(r["canvas_shape"] == [192, 320] and r["images_per_s"] > 0 for r in rows)


@pytest.mark.parametrize("formats", ["fp16", "uint8,uint8", ""])
def test_bench_rejects_bad_input_formats(app: typer.Typer, formats: str) -> None:
    result = CliRunner().invoke(
        app, ["model", "bench", str(BUNDLED_MODEL), "--input-format", formats]
    )

    assert result.exit_code == 2
    assert "expected uint8, float or float,uint8" in result.output


def test_build_engine_warms_every_padded_batch_size(app: typer.Typer, tmp_path: Path) -> None:
    args = ["model", "build-engine", str(BUNDLED_MODEL), "--provider", "cpu"]
    args += ["--batch-sizes", "1,2", "--imgsz", "64", "--cache-dir", str(tmp_path)]

    result = CliRunner().invoke(app, args)

    assert result.exit_code == 0, result.output
    assert "on cpu (uint8 input)" in result.output
    assert "b1 " in result.output and "b2 " in result.output
    assert str(tmp_path / "trt") in result.output


def test_build_engine_without_tensorrt_is_one_line_naming_the_providers(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from camfleet.cli import main; main()",
            "model",
            "build-engine",
            str(BUNDLED_MODEL),
            "--cache-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(
        "camfleet: provider 'tensorrt' is not available in this onnxruntime build (available: "
    )
    assert "CPUExecutionProvider" in done.stderr
    assert done.stderr.count("\n") == 1
