"""The live per-camera table of ``camfleet run``."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from camfleet.commands._render import fmt_number
from camfleet.engine.metrics import FleetSnapshot

__all__ = ["LiveTable"]


class LiveTable:
    """Renders a snapshot; frame rates are taken between consecutive snapshots."""

    def __init__(self, title: str) -> None:
        self._title = title
        self._previous: FleetSnapshot | None = None

    def render(self, snapshot: FleetSnapshot, whole_run: bool = False) -> Group:
        """The table; ``whole_run`` averages rates over the run instead of the last interval."""
        base = None if whole_run else self._previous
        previous = {c.camera_id: c for c in base.cameras} if base else {}
        span = snapshot.elapsed_s - (base.elapsed_s if base else 0.0)
        self._previous = snapshot
        table = Table(title=self._title, title_justify="left")
        for column in ("camera", "state", "fps in", "fps analysed", "gated", "shed",
                       "dropped", "p50 ms", "p99 ms"):
            table.add_column(column, justify="left" if column in ("camera", "state") else "right")
        for camera in snapshot.cameras:
            before = previous.get(camera.camera_id)
            fps_in = (camera.sampled - (before.sampled if before else 0)) / span if span else 0.0
            fps_an = (camera.analysed - (before.analysed if before else 0)) / span if span else 0.0
            table.add_row(
                camera.camera_id, camera.state, f"{fps_in:.1f}", f"{fps_an:.1f}",
                str(camera.gated), str(camera.shed), str(camera.dropped),
                fmt_number(camera.p50_ms), fmt_number(camera.p99_ms),
            )
        table.add_section()
        table.add_row(
            "all", f"{len(snapshot.cameras)} cameras", "",
            f"{snapshot.analysed_per_s:.1f}", str(snapshot.total("gated")),
            str(snapshot.total("shed")), str(snapshot.total("dropped")),
            fmt_number(snapshot.latency_p50_ms), fmt_number(snapshot.latency_p99_ms),
        )
        table.caption = (
            f"{snapshot.elapsed_s:.0f} s; mean batch {snapshot.mean_batch:.1f}; "
            f"lost {snapshot.shed_pct:.2f} % of frames that needed inference"
        )
        errors = [
            Text(f"camera '{c.camera_id}': {c.last_error}", style="yellow")
            for c in snapshot.cameras
            if c.last_error
        ]
        return Group(table, *errors)
