"""Where camfleet keeps its files: bundled assets and the data directory."""

from __future__ import annotations

from pathlib import Path

__all__ = ["ASSETS_DIR", "BUNDLED_CLIPS", "BUNDLED_MODEL", "DEFAULT_DATA_DIR", "resolve_asset"]

ASSETS_DIR = Path(__file__).resolve().parent / "assets"
BUNDLED_MODEL = ASSETS_DIR / "fall-yolov8s-dynamic.onnx"
BUNDLED_CLIPS = (ASSETS_DIR / "bikes.mp4", ASSETS_DIR / "carphone_pristine.mp4")
DEFAULT_DATA_DIR = Path("camfleet-data")

_BUNDLED_PREFIX = "bundled:"


def resolve_asset(path_or_name: str) -> Path:
    """Resolve ``bundled:NAME`` to a file in the package's assets; other strings are paths."""
    if path_or_name.startswith(_BUNDLED_PREFIX):
        return ASSETS_DIR / path_or_name.removeprefix(_BUNDLED_PREFIX)
    return Path(path_or_name).expanduser()
