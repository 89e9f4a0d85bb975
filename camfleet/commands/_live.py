"""The live per-camera table of ``camfleet run``."""

from __future__ import annotations

from rich.table import Table

from camfleet.commands._render import fmt_ms
from camfleet.engine.metrics import FleetSnapshot

__all__ = ["LiveTable"]


class LiveTable:
    """Renders a snapshot; frame rates are taken between consecutive snapshots."""

    def __init__(self, title: str) -> None:
        self._title = title
        self._previous: FleetSnapshot | None = None

    def render(self, snapshot: FleetSnapshot) -> Table:
        previous = {c.camera_id: c for c in self._previous.cameras} if self._previous else {}
        span = snapshot.elapsed_s - (self._previous.elapsed_s if self._previous else 0.0)
        self._previous = snapshot
        table = Table(title=self._title, title_justify="left")
        for column in ("camera", "state", "fps in", "fps analysed", "gated", "shed",
                       "dropped", "p50 ms", "p99 ms"):
            table.add_column(column, justify="left" if column in ("camera", "state") else "right")
        for camera in snapshot.cameras:
            before = previous.get(camera.camera_id)
            fps_in = (camera.sampled - (before.sampled if before else 0)) / span if span else 0.0
            fps_an = (camera.analysed - (before.analysed if before else 0)) / span if span else 0.0
            state = camera.state
            if camera.last_error:
                state = f"{state}: {camera.last_error}"
            table.add_row(
                camera.camera_id, state[:60], f"{fps_in:.1f}", f"{fps_an:.1f}",
                str(camera.gated), str(camera.shed), str(camera.dropped),
                fmt_ms(camera.p50_ms), fmt_ms(camera.p99_ms),
            )
        table.add_section()
        table.add_row(
            "all", f"{len(snapshot.cameras)} cameras", "",
            f"{snapshot.analysed_per_s:.1f}", str(snapshot.total("gated")),
            str(snapshot.total("shed")), str(snapshot.total("dropped")),
            fmt_ms(snapshot.latency_p50_ms), fmt_ms(snapshot.latency_p99_ms),
        )
        table.caption = (
            f"{snapshot.elapsed_s:.0f} s; mean batch {snapshot.mean_batch:.1f}; "
            f"lost {snapshot.shed_pct:.2f} % of frames that needed inference"
        )
        return table
