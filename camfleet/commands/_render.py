"""Rich tables shared by several commands."""

from __future__ import annotations

import math
import sys

from rich.console import Console
from rich.table import Table

from camfleet.engine.single_stream import PIPELINE_STAGES, StageTimes

__all__ = ["fmt_number", "make_console", "stage_table"]


def make_console() -> Console:
    """A console that keeps tables readable in logs and pipes (not only 80 columns wide)."""
    return Console() if sys.stdout.isatty() else Console(width=160)


def fmt_number(value: float | None, digits: int = 1) -> str:
    """A measured number for a table; ``-`` when it was not measured (None or NaN)."""
    if value is None or math.isnan(value):
        return "-"
    return f"{value:.{digits}f}"


def stage_table(times: StageTimes, title: str) -> Table:
    """Per-stage p50/p99 ms per frame, and frames/s, in the spirit of the seed's table."""
    table = Table(title=title, title_justify="left")
    table.add_column("stage")
    table.add_column("p50 ms", justify="right")
    table.add_column("p99 ms", justify="right")
    table.add_column("frames/s (stage alone)", justify="right")
    total_p50 = 0.0
    for stage in PIPELINE_STAGES:
        p50 = times.percentile(stage, 50)
        total_p50 += 0.0 if math.isnan(p50) else p50
        rate = f"{1000.0 / p50:.1f}" if p50 and not math.isnan(p50) else "-"
        table.add_row(stage, fmt_number(p50), fmt_number(times.percentile(stage, 99)), rate)
    table.add_section()
    table.add_row("total (sum of p50)", fmt_number(total_p50), "", f"{times.fps:.1f} end to end")
    return table
