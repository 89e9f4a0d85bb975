"""Exceptions a person can act on.

Every error camfleet raises on purpose derives from :class:`CamfleetError`. Its message is one
line: what failed, which thing (file, camera, field), why, and what to do. The CLI prints the
message without a traceback unless ``--debug`` is given. Third-party errors are translated at
the boundary (``raise ModelError(...) from exc``).

    CamfleetError
    ├── ConfigError            malformed fleet YAML, profile or price file
    ├── ModelError             unreadable or unsupported ONNX model
    │   └── ProviderUnavailableError   execution provider not available on this machine
    ├── SourceError            video file / RTSP / synthetic source cannot be opened or read
    ├── StoreError             database unreachable or migration failure
    └── PlanError              planner cannot produce a plan from its inputs
"""

from __future__ import annotations

__all__ = [
    "CamfleetError",
    "ConfigError",
    "ModelError",
    "PlanError",
    "ProviderUnavailableError",
    "SourceError",
    "StoreError",
]


class CamfleetError(Exception):
    """Base class: the message is a complete, one-line, actionable sentence."""


class ConfigError(CamfleetError):
    """A configuration, profile or price file is malformed."""


class ModelError(CamfleetError):
    """An ONNX model cannot be loaded or is not a YOLOv8 detection model."""


class ProviderUnavailableError(ModelError):
    """The requested ONNX Runtime execution provider is not available."""


class SourceError(CamfleetError):
    """A video source cannot be opened or read."""


class StoreError(CamfleetError):
    """The event store cannot be reached or migrated."""


class PlanError(CamfleetError):
    """The planner cannot produce a plan from its inputs."""
