"""`camfleet run` in timeslice mode: two cameras, each with its own webhook, one worker process
each, sharing one SQLite outbox. Every delivery reaches the receiver on loopback and none is
dead-lettered (issue 10 measured 19 delivered, 1 dead before dispatchers claimed only rows of
the rules they know)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

from camfleet.paths import BUNDLED_CLIPS

from .helpers import Receiver


def test_timeslice_workers_deliver_every_webhook_and_dead_letter_none(
    tmp_path: Path, receiver: Receiver
) -> None:
    cameras = "".join(
        f"""
  - id: {camera}
    source: {BUNDLED_CLIPS[1]}
    analyze_fps: 4
    motion: {{enabled: false}}
    rules:
      - name: people
        type: presence
        classes: [Normal]
        min_frames: 2
        webhooks: [{{url: "{receiver.url}/{camera}", secret: "{camera}-secret"}}]
"""
        for camera in ("cam-a", "cam-b")
    )
    config = tmp_path / "fleet.yaml"
    config.write_text(
        f"cameras:{cameras}runtime:\n  mode: timeslice\n  slo_ms: 20000\n"
        f"store:\n  data_dir: {tmp_path / 'data'}\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run(
        [sys.executable, "-c", "from camfleet.cli import main; main()", "run", str(config),
         "--duration", "6"],
        capture_output=True, text=True, timeout=240, check=False, cwd=tmp_path, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr

    with sqlite3.connect(tmp_path / "data" / "camfleet.db") as db:
        rows = db.execute("select rule_id, phase, state from webhook_outbox").fetchall()
    states = Counter(state for _, _, state in rows)
    assert states["dead"] == 0, rows
    assert states["delivered"] == len(rows)
    per_rule = Counter((rule, phase) for rule, phase, _ in rows)
    # each camera's presence events opened, and closed by the end of the run at the latest
    for camera in ("cam-a", "cam-b"):
        opened, closed = (
            per_rule[(f"{camera}/people", "open")],
            per_rule[(f"{camera}/people", "closed")],
        )
        assert opened >= 1 and closed == opened, per_rule
    assert set(rule for rule, _ in per_rule) == {"cam-a/people", "cam-b/people"}
    got = Counter(
        (json.loads(body)["rule_id"], headers["x-camfleet-event-state"])
        for headers, body, status in receiver.requests
        if status == 200
    )
    assert got == per_rule  # the receiver saw exactly the outbox, once each
