"""The live per-camera and per-model tables of ``camfleet run``.

Latency columns: ``p50/p99 ms`` is capture -> result (what the SLO judges); ``commit p99``
is capture -> committed to the database (store lag).
"""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from camfleet.commands._render import fmt_number
from camfleet.engine.metrics import FleetSnapshot, ModelSnapshot

__all__ = ["LiveTable"]


def _batches(model: ModelSnapshot) -> str:
    """The batch-size histogram, most frequent sizes first: ``8x120 4x31``."""
    top = sorted(model.batch_histogram.items(), key=lambda kv: (-kv[1], kv[0]))[:4]
    return " ".join(f"{size}x{n}" for size, n in top) or "-"


class LiveTable:
    """Renders a snapshot; frame rates are taken between consecutive snapshots."""

    def __init__(self, title: str) -> None:
        self._title = title
        self._previous: FleetSnapshot | None = None

    def render(self, snapshot: FleetSnapshot, whole_run: bool = False) -> Group:
        """The tables; ``whole_run`` averages rates over the run instead of the last
        interval."""
        base = None if whole_run else self._previous
        previous = {c.camera_id: c for c in base.cameras} if base else {}
        previous_models = {m.model_id: m for m in base.models} if base else {}
        span = snapshot.elapsed_s - (base.elapsed_s if base else 0.0)
        self._previous = snapshot
        table = Table(title=self._title, title_justify="left")
        for column in ("camera", "state", "fps in", "fps analysed", "gated", "shed",
                       "dropped", "p50 ms", "p99 ms", "commit p99 ms"):
            table.add_column(column, justify="left" if column in ("camera", "state") else "right")
        for camera in snapshot.cameras:
            before = previous.get(camera.camera_id)
            fps_in = (camera.sampled - (before.sampled if before else 0)) / span if span else 0.0
            fps_an = (camera.analysed - (before.analysed if before else 0)) / span if span else 0.0
            table.add_row(
                camera.camera_id, camera.state, f"{fps_in:.1f}", f"{fps_an:.1f}",
                str(camera.gated), str(camera.shed), str(camera.dropped),
                fmt_number(camera.p50_ms), fmt_number(camera.p99_ms),
                fmt_number(camera.committed_p99_ms),
            )
        table.add_section()
        table.add_row(
            "all", f"{len(snapshot.cameras)} cameras", "",
            f"{snapshot.analysed_per_s:.1f}", str(snapshot.total("gated")),
            str(snapshot.total("shed")), str(snapshot.total("dropped")),
            fmt_number(snapshot.latency_p50_ms), fmt_number(snapshot.latency_p99_ms),
            fmt_number(snapshot.committed_p99_ms),
        )
        table.caption = (
            f"{snapshot.elapsed_s:.0f} s; mean batch {snapshot.mean_batch:.1f}; "
            f"lost {snapshot.shed_pct:.2f} % of frames that needed inference; latency is "
            "capture -> result (the SLO's), commit is capture -> stored"
        )
        parts: list[Table | Text] = [table]
        if snapshot.models:
            models = Table(title="models", title_justify="left")
            for column in ("model", "img/s", "batches (size x n)", "queued",
                           "infer p50 ms", "infer p99 ms"):
                models.add_column(column, justify="left" if column == "model" else "right")
            for model in snapshot.models:
                before_model = previous_models.get(model.model_id)
                images = model.images - (before_model.images if before_model else 0)
                models.add_row(
                    model.model_id, f"{images / span if span else 0.0:.1f}", _batches(model),
                    str(model.queue_depth), fmt_number(model.p50_inference_ms),
                    fmt_number(model.p99_inference_ms),
                )
            parts.append(models)
        parts += [
            Text(f"camera '{c.camera_id}': {c.last_error}", style="yellow")
            for c in snapshot.cameras
            if c.last_error
        ]
        return Group(*parts)
