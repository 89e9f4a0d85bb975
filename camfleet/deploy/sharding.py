"""Static camera-to-worker assignment by a stable hash, for ``camfleet run --shard-*`` only.

Rendered deployments do not use it: their workers lease cameras from the database. Worker
``i`` of ``n`` serves every camera whose id hashes to ``i``.
The hash is BLAKE2b of the UTF-8 id, so the assignment is the same in every process, on every
machine and Python version (unlike the salted built-in ``hash()``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Protocol, TypeVar

__all__ = ["HasCameraId", "cameras_for_shard", "shard_of"]


class HasCameraId(Protocol):
    @property
    def id(self) -> str: ...


CameraT = TypeVar("CameraT", bound=HasCameraId)


def _check(index: int | None, count: int) -> None:
    if count < 1:
        raise ValueError(f"shard count must be >= 1 (got {count})")
    if index is not None and not 0 <= index < count:
        raise ValueError(f"shard index must be in [0, {count}) (got {index})")


def shard_of(camera_id: str, shard_count: int) -> int:
    """The worker index in ``[0, shard_count)`` that serves ``camera_id``."""
    _check(None, shard_count)
    digest = hashlib.blake2b(camera_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shard_count


def cameras_for_shard(cameras: Iterable[CameraT], index: int, count: int) -> list[CameraT]:
    """The cameras worker ``index`` of ``count`` serves, in their original order."""
    _check(index, count)
    return [camera for camera in cameras if shard_of(camera.id, count) == index]
