"""Where event snapshots are kept: a local directory (the default) or an S3 bucket, both
behind one small interface so the writer, retention and the API do not care which.

Stored ``snapshot_path`` values are URIs: ``file:///abs/path.jpg`` or
``s3://bucket/prefix/key.jpg``. Rows written before URIs (plain absolute paths) still read.
``get``/``delete`` refuse any URI outside the store's root (another bucket or prefix, a path
outside the directory, ``..`` segments) with a :class:`StoreError`, so a stored value can never
be used to read arbitrary files.

S3 goes through boto3 with its usual credential chain (environment, config files, instance
role); ``endpoint_url`` points it at an S3-compatible server.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote, urlsplit

from camfleet.errors import StoreError
from camfleet.store.location import snapshots_dir
from camfleet.store.snapshots import write_atomically

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = [
    "LocalSnapshotStore",
    "S3SnapshotStore",
    "SnapshotEntry",
    "SnapshotNotFoundError",
    "SnapshotRefusedError",
    "SnapshotStore",
    "open_snapshot_store",
]


class SnapshotNotFoundError(StoreError):
    """A snapshot URI inside the store that names nothing (deleted by retention, say)."""


class SnapshotRefusedError(StoreError):
    """A URI outside the store's root (another folder, bucket or prefix; a path traversal)."""


@dataclass(frozen=True, slots=True)
class SnapshotEntry:
    """One stored snapshot as retention sees it. ``stored_as``: every value an ``events``
    row may hold for it (its URI, and for local files the plain path older rows hold)."""

    uri: str
    size: int
    modified: float
    stored_as: tuple[str, ...]


class SnapshotStore(Protocol):
    """Put, get and delete JPEG snapshots by key; ``put`` returns the URI to store."""

    @property
    def root_uri(self) -> str: ...

    def put(self, key: str, data: bytes) -> str: ...

    def get(self, uri: str) -> bytes: ...

    def delete(self, uri: str) -> int:
        """Delete the snapshot; return the bytes freed (0 when it was already gone)."""
        ...

    def entries(self) -> Iterator[SnapshotEntry]: ...

    def tidy(self) -> None:
        """Remove what deletions leave behind (empty folders); nothing for object stores."""
        ...


def _refuse(uri: str, root: str) -> SnapshotRefusedError:
    return SnapshotRefusedError(
        f"snapshot {uri!r} is outside the snapshot store {root}; only snapshots this store "
        "wrote can be read or deleted through it"
    )


class LocalSnapshotStore:
    """Snapshots as files under ``root`` (created on first write)."""

    def __init__(self, root: Path) -> None:
        self._root = Path(os.path.abspath(root))

    @property
    def root(self) -> Path:
        return self._root

    @property
    def root_uri(self) -> str:
        return self._root.as_uri()

    def put(self, key: str, data: bytes) -> str:
        path = self._inside(self._root / key, key)
        try:
            write_atomically(path, data)
        except OSError as exc:
            raise StoreError(
                f"cannot write snapshot {path}: {exc.strerror or exc}; check the snapshot "
                "directory's permissions and free space"
            ) from exc
        return path.as_uri()

    def get(self, uri: str) -> bytes:
        path = self._path_of(uri)
        try:
            return path.read_bytes()
        except FileNotFoundError as exc:
            raise SnapshotNotFoundError(f"snapshot {uri!r} does not exist (any more)") from exc
        except OSError as exc:
            raise StoreError(f"cannot read snapshot {path}: {exc.strerror or exc}") from exc

    def delete(self, uri: str) -> int:
        path = self._path_of(uri)
        try:
            size = path.stat().st_size
            path.unlink()
        except FileNotFoundError:
            return 0
        return size

    def entries(self) -> Iterator[SnapshotEntry]:
        stack = [self._root]
        while stack:
            try:
                found = list(os.scandir(stack.pop()))
            except FileNotFoundError:
                continue
            for entry in found:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=False) and entry.name.endswith(".jpg"):
                    info = entry.stat()
                    path = Path(entry.path)
                    yield SnapshotEntry(
                        path.as_uri(), info.st_size, info.st_mtime, (path.as_uri(), str(path))
                    )

    def tidy(self) -> None:
        for folder, _subdirs, _files in os.walk(self._root, topdown=False):
            if Path(folder) != self._root:
                with contextlib.suppress(OSError):  # not empty
                    os.rmdir(folder)

    def _path_of(self, uri: str) -> Path:
        parts = urlsplit(uri)
        if parts.scheme == "file" and parts.netloc in ("", "localhost"):
            text = unquote(parts.path)
        elif parts.scheme == "" and uri.startswith("/"):
            text = uri  # a plain absolute path, as rows written before URIs hold
        else:
            raise _refuse(uri, self.root_uri)
        return self._inside(Path(text), uri)

    def _inside(self, path: Path, what: str) -> Path:
        resolved = path.resolve()
        if not resolved.is_relative_to(self._root.resolve()):
            raise _refuse(what, self.root_uri)
        return path


class S3SnapshotStore:
    """Snapshots as objects under ``s3://bucket/prefix``."""

    def __init__(
        self, location: str, *, endpoint_url: str | None = None, client: S3Client | None = None
    ) -> None:
        parts = urlsplit(location)
        if parts.scheme != "s3" or not parts.netloc:
            raise StoreError(
                f"snapshot store {location!r} is not an S3 location; use s3://bucket/prefix"
            )
        self._bucket = parts.netloc
        self._prefix = parts.path.strip("/")
        if client is None:
            import boto3  # imported here: a local-only fleet never pays for it

            client = boto3.client("s3", endpoint_url=endpoint_url)
        self._client = client

    @property
    def root_uri(self) -> str:
        return f"s3://{self._bucket}/{self._prefix}".rstrip("/")

    def put(self, key: str, data: bytes) -> str:
        object_key = self._object_key(key)
        with self._translated("write", object_key):
            self._client.put_object(
                Bucket=self._bucket, Key=object_key, Body=data, ContentType="image/jpeg"
            )
        return f"s3://{self._bucket}/{object_key}"

    def get(self, uri: str) -> bytes:
        object_key = self._key_of(uri)
        with self._translated("read", object_key):
            try:
                response = self._client.get_object(Bucket=self._bucket, Key=object_key)
            except self._client.exceptions.NoSuchKey as exc:
                raise SnapshotNotFoundError(f"snapshot {uri!r} does not exist (any more)") from exc
            body: bytes = response["Body"].read()
        return body

    def delete(self, uri: str) -> int:
        object_key = self._key_of(uri)
        with self._translated("delete", object_key):
            try:
                size = int(
                    self._client.head_object(Bucket=self._bucket, Key=object_key)["ContentLength"]
                )
            except self._client.exceptions.ClientError as exc:
                if _status(exc) == 404:
                    return 0
                raise
            self._client.delete_object(Bucket=self._bucket, Key=object_key)
        return size

    def entries(self) -> Iterator[SnapshotEntry]:
        prefix = f"{self._prefix}/" if self._prefix else ""
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self._bucket, Prefix=prefix
        )
        with self._translated("list", prefix):
            for page in pages:
                for item in page.get("Contents", []):
                    uri = f"s3://{self._bucket}/{item['Key']}"
                    yield SnapshotEntry(
                        uri, int(item["Size"]), item["LastModified"].timestamp(), (uri,)
                    )

    def tidy(self) -> None:
        pass

    def _object_key(self, key: str) -> str:
        parts = key.split("/")
        if not key or any(part in ("", ".", "..") for part in parts):
            raise _refuse(key, self.root_uri)
        return f"{self._prefix}/{key}" if self._prefix else key

    def _key_of(self, uri: str) -> str:
        parts = urlsplit(uri)
        if parts.scheme != "s3" or parts.netloc != self._bucket:
            raise _refuse(uri, self.root_uri)
        key = parts.path.lstrip("/")
        prefix = f"{self._prefix}/" if self._prefix else ""
        if not key.startswith(prefix):
            raise _refuse(uri, self.root_uri)
        self._object_key(key[len(prefix) :])  # refuses empty and dot segments
        return key

    @contextlib.contextmanager
    def _translated(self, action: str, object_key: str) -> Iterator[None]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except (BotoCoreError, ClientError) as exc:
            raise StoreError(
                f"cannot {action} snapshot s3://{self._bucket}/{object_key}: {exc}; check the "
                "bucket, the credentials and the endpoint"
            ) from exc


def _status(exc: Any) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def open_snapshot_store(
    setting: str | None, data_dir: Path, *, endpoint_url: str | None = None
) -> SnapshotStore:
    """The store named by ``store.snapshot_store``: None for ``<data_dir>/snapshots``,
    ``s3://bucket/prefix``, or a local directory (``file:///abs`` or a path)."""
    if not setting:
        return LocalSnapshotStore(snapshots_dir(data_dir))
    parts = urlsplit(setting)
    if parts.scheme == "s3":
        return S3SnapshotStore(setting, endpoint_url=endpoint_url)
    if parts.scheme == "file":
        return LocalSnapshotStore(Path(unquote(parts.path)))
    if parts.scheme == "":
        return LocalSnapshotStore(Path(setting))
    raise StoreError(
        f"snapshot store {setting!r} has unsupported scheme {parts.scheme!r}; use a directory, "
        "file:///abs/dir or s3://bucket/prefix"
    )
