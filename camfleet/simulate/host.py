"""What a simulated GPU's host costs, taken from a measured bench profile: decode per camera
and resident memory per camera, per mode (the simulator models neither itself)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["decode_ms_per_camera_s", "memory_per_mode"]


def decode_ms_per_camera_s(profile: Mapping[str, Any]) -> float:
    """CPU ms to decode one camera-second of its stream, or 0 when not measured."""
    decode = profile.get("decode") or {}
    return float(decode.get("ms_per_second_of_video") or 0.0)


def memory_per_mode(profile: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    """Per mode: the fixed RSS of one engine and the RSS each added camera costs, from the
    measured trials (``rss_mb_per_added_camera``, falling back to the average per camera)."""
    memory: dict[str, dict[str, float]] = {}
    for mode, entry in (profile.get("modes") or {}).items():
        rss, cameras = entry.get("rss_mb"), entry.get("capacity")
        per_camera = entry.get("rss_mb_per_added_camera") or entry.get("rss_mb_per_camera")
        if rss is None or not cameras or per_camera is None:
            continue
        memory[mode] = {
            "fixed_rss_mb": max(0.0, float(rss) - float(per_camera) * int(cameras)),
            "rss_mb_per_camera": float(per_camera),
        }
    return memory
