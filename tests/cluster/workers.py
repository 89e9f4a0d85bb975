"""Real ``camfleet worker`` processes on one database, and what the database says of them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from functools import partial
from pathlib import Path
from typing import Any

import onnx
import yaml
from modelkit import tiny_detect_model
from sqlalchemy import select

from camfleet.store.database import Database
from camfleet.store.schema import CameraLeaseRow, EventRow, WorkerRow
from tests.sources.servers import wait_until


def write_fleet(folder: Path, cameras: int) -> Path:
    """A fleet of synthetic cameras on a tiny model, each with a presence rule (events)."""
    model = folder / "tiny.onnx"
    onnx.save(tiny_detect_model(), model)
    fleet = {
        "models": {"default": {"path": str(model)}},
        "cameras": [
            {"id": f"cam{i:02d}", "source": "synthetic:320x240@10", "analyze_fps": 2,
             "motion": {"enabled": False},
             "rules": [{"name": "seen", "type": "presence", "min_frames": 1}]}
            for i in range(cameras)
        ],
    }
    path = folder / "fleet.yaml"
    path.write_text(yaml.safe_dump(fleet))
    return path


def camfleet(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "camfleet", *args], capture_output=True, text=True, timeout=120,
        check=False, env=env,
    )


class Worker:
    """One ``camfleet worker`` process."""

    def __init__(self, name: str, url: str, folder: Path, *extra: str) -> None:
        self.name = name
        self.log = folder / f"{name}.log"
        self._log_file = self.log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "camfleet", "worker", "--database-url", url, "--worker-id",
             name, "--data-dir", str(folder / name), *extra],
            stdout=self._log_file, stderr=subprocess.STDOUT, env={**os.environ},
        )

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self._log_file.close()

    def terminate(self, timeout: float = 30.0) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self._log_file.close()

    def close(self) -> None:
        """Kill the process if it still runs; always close its log."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self._log_file.close()

    def output(self) -> str:
        return self.log.read_text()


def worker_stats(db: Database) -> dict[str, dict[str, Any]]:
    """camera id -> its stats in the heartbeat of the live worker that reports it."""
    with db.engine.connect() as connection:
        rows = connection.execute(select(WorkerRow.worker_id, WorkerRow.stats))
        return {
            camera_id: {**stats, "worker": worker_id}
            for worker_id, row_stats in rows
            for camera_id, stats in row_stats.get("cameras", {}).items()
        }


def holders(db: Database) -> dict[str, str | None]:
    with db.engine.connect() as connection:
        rows = connection.execute(select(CameraLeaseRow.camera_id, CameraLeaseRow.holder))
        return {camera_id: holder for camera_id, holder in rows}


def events(db: Database) -> dict[str, Any]:
    """event id -> ended_at, for every stored event."""
    with db.engine.connect() as connection:
        rows = connection.execute(select(EventRow.event_id, EventRow.ended_at))
        return {event_id: ended_at for event_id, ended_at in rows}


# The database is polled: twice a second is often enough.
wait_for = partial(wait_until, poll_s=0.5)
