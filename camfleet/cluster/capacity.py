"""How many cameras a worker claims: a number, or the measured capacity of a bench profile."""

from __future__ import annotations

from pathlib import Path

from camfleet.errors import ConfigError
from camfleet.planner.profile import load_profile

__all__ = ["DEFAULT_CAPACITY", "worker_capacity"]

DEFAULT_CAPACITY = 16


def worker_capacity(capacity: int | None, profile: Path | None, gated: bool = False) -> int:
    """``--capacity``, else the profile's measured shared-mode capacity, else the default.

    ``gated``: take the capacity measured with motion gating on (``shared_gated``)."""
    if capacity is not None and profile is not None:
        raise ConfigError("give --capacity or --profile, not both")
    if capacity is not None:
        if capacity < 1:
            raise ConfigError(f"--capacity {capacity}: a worker must take at least 1 camera")
        return capacity
    if profile is None:
        return DEFAULT_CAPACITY
    measured = load_profile(profile)
    mode = "shared_gated" if gated else "shared"
    result = measured.modes.get(mode)
    if result is None:
        raise ConfigError(
            f"{profile}: no '{mode}' capacity in the profile (modes: {sorted(measured.modes)}); "
            "bench with --gating on/off to measure it, or pass --capacity"
        )
    if result.capacity < 1:
        raise ConfigError(
            f"{profile}: the measured '{mode}' capacity is 0 cameras; this device cannot serve "
            "the benched camera within the SLO: pass --capacity to override"
        )
    return result.capacity
