"""End to end through the CLI: the demo, detect's outputs, and run with the store."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import av

from camfleet.paths import BUNDLED_CLIPS


def cli(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from camfleet.cli import main; main()", *args],
        capture_output=True, text=True, timeout=timeout, check=False, cwd=cwd,
    )


def test_demo_writes_videos_detections_and_stored_events(tmp_path):
    done = cli("demo", "--max-frames", "12", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Per-stage time per frame" in done.stdout
    for stage in ("decode", "preprocess", "inference", "postprocess"):
        assert stage in done.stdout
    out = tmp_path / "camfleet-data" / "demo"
    for clip in ("bikes", "carphone_pristine"):
        with av.open(str(out / f"{clip}.annotated.mp4")) as video:
            assert sum(1 for _ in video.decode(video=0)) == 12
        lines = (out / f"{clip}.detections.jsonl").read_text(encoding="utf-8").splitlines()
        assert len(lines) == 12
        assert {"camera", "seq", "time", "boxes"} <= set(json.loads(lines[0]))
    with sqlite3.connect(tmp_path / "camfleet-data" / "camfleet.db") as db:
        events = db.execute("select camera_id, class_name, snapshot_path from events").fetchall()
    # the carphone clip shows a person in every frame: its presence rule opens an event
    assert any(camera == "carphone" and name == "Normal" for camera, name, _ in events)
    # stored snapshot paths are file:// URIs of the local snapshot store
    assert all(path and Path(path.removeprefix("file://")).is_file() for _, _, path in events)


def test_detect_every_frame_of_a_clip_to_jsonl(tmp_path):
    clip = BUNDLED_CLIPS[1]
    done = cli("detect", str(clip), "--jsonl", "d.jsonl", "--analyze-fps", "10", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in (tmp_path / "d.jsonl").read_text().splitlines()]
    assert 38 <= len(records) <= 41  # 4 s of a 29.97 fps clip at 10 fps
    assert all(r["boxes"] and r["boxes"][0]["class"] == "Normal" for r in records[:5])


def test_run_stores_events_and_survives_a_restart(tmp_path):
    config = tmp_path / "fleet.yaml"
    config.write_text(
        f"""
cameras:
  - id: car
    source: {BUNDLED_CLIPS[1]}
    analyze_fps: 4
    motion: {{enabled: false}}
    rules:
      - {{name: people, type: presence, classes: [Normal], min_frames: 2}}
  - id: dead
    source: rtsp://127.0.0.1:9/none
runtime:
  slo_ms: 20000
store:
  data_dir: {tmp_path / "data"}
""",
        encoding="utf-8",
    )
    for _ in range(2):
        done = cli("run", str(config), "--duration", "6", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert "events and counts stored in sqlite" in done.stdout
    events = cli("events", "--data-dir", str(tmp_path / "data"), "--json", cwd=tmp_path)
    assert events.returncode == 0, events.stderr
    stored = json.loads(events.stdout)
    runs = {event["started_at"][:19] for event in stored if event["camera_id"] == "car"}
    assert len(runs) >= 2  # one presence event from each run, both kept
