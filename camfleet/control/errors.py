"""Errors of the control plane, in the :mod:`camfleet.errors` hierarchy.

    ConfigError
    ├── NotFoundError   an id that is not stored (the API answers 404)
    └── ConflictError   an id already used, or a change that would break other objects (409)
"""

from __future__ import annotations

from camfleet.errors import ConfigError

__all__ = ["ConflictError", "NotFoundError"]


class NotFoundError(ConfigError):
    """No camera, model, event or key has this id."""


class ConflictError(ConfigError):
    """The id is taken, or the change would leave other objects pointing at nothing."""
