"""Gather benchmarks/gpu.sh's results into model-bench.json and a BENCHMARKS.md section.

Reads the ``camfleet model bench --json`` files the script wrote (one per model and
provider) and the section ``camfleet bench --markdown`` wrote; writes OUT/model-bench.json
and OUT/BENCHMARKS-gpu.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
from pathlib import Path
from typing import Any


def _rows(reports: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| model | provider | input | batch | inference p50 ms/img | total p50 ms/img | img/s |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for report in reports:
        model = Path(report["model"]).name
        for r in report["results"]:
            lines.append(
                f"| {model} | {report['provider']} | {r['input_format']} | {r['batch']} | "
                f"{r['inference']['p50_ms']:.2f} | {r['total']['p50_ms']:.2f} | "
                f"{r['images_per_s']:.1f} |"
            )
    return lines


def _ratios(reports: list[dict[str, Any]]) -> list[str]:
    """uint8 vs float images/s per model, provider and batch (measured in alternating turns)."""
    lines = []
    for report in reports:
        by_key = {(r["input_format"], r["batch"]): r["images_per_s"] for r in report["results"]}
        parts = [
            f"b{batch} {by_key[('uint8', batch)] / by_key[('float', batch)]:.2f}x"
            for (fmt, batch) in by_key
            if fmt == "float" and ("uint8", batch) in by_key
        ]
        if parts:
            name = Path(report["model"]).name
            lines.append(f"- {name} on {report['provider']}, uint8 vs float: {', '.join(parts)}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--card", required=True)
    parser.add_argument("--command", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--bench-markdown", type=Path, required=True)
    parser.add_argument("reports", type=Path, nargs="*")
    args = parser.parse_args()

    reports = [json.loads(p.read_text(encoding="utf-8")) for p in args.reports if p.is_file()]
    (args.out / "model-bench.json").write_text(json.dumps(reports, indent=2) + "\n", "utf-8")
    today = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    shapes = {tuple(r["frame_shape"]) for report in reports for r in report["results"]}
    frames = ", ".join(f"{w}x{h}" for h, w in sorted(shapes)) or "none"
    section = [
        f"## GPU run: {args.card} ({today})",
        "",
        f"Command: `{args.command}`. Model bench: frame {frames}, ms per image; float and",
        "uint8 input timed in alternating turns.",
        "",
        *_rows(reports),
        "",
        *_ratios(reports),
        "",
    ]
    if args.bench_markdown.is_file():
        section.append(args.bench_markdown.read_text(encoding="utf-8"))
    else:
        section.append("(`camfleet bench` produced no section: see gpu-bench.log)\n")
    (args.out / "BENCHMARKS-gpu.md").write_text("\n".join(section), encoding="utf-8")


if __name__ == "__main__":
    main()
