"""API keys: high-entropy random tokens, stored only as their SHA-256.

A token reads ``cf_<prefix>_<secret>``. The prefix (not secret) finds the row; the SHA-256 of
the whole token is compared in constant time. A plain hash suffices (no slow KDF) because the
token carries 256 random bits: there is nothing to guess a dictionary for.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from camfleet.control.errors import ConflictError, NotFoundError
from camfleet.errors import ConfigError, StoreError
from camfleet.store.database import Database
from camfleet.store.schema import ApiKeyRow

__all__ = ["ApiKey", "ApiKeyStore", "hash_token", "new_token"]

log = logging.getLogger(__name__)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_TOKEN = re.compile(r"^cf_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$")
# last_used_at is written at most this often per key, not on every request.
_TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: int
    name: str
    prefix: str
    read_only: bool
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh ``cf_<prefix>_<secret>`` token (256 random bits), not stored anywhere."""
    return f"cf_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"


class ApiKeyStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, name: str, read_only: bool = False) -> tuple[ApiKey, str]:
        """A new key and its token; the token is shown once and never stored."""
        if not _NAME.match(name):
            raise ConfigError(
                f"key name {name!r}: use 1-64 letters, digits, '_', '.' or '-', starting with a "
                "letter or digit"
            )
        token = new_token()
        prefix = token.split("_")[1]
        try:
            with self.db.translate_errors("create an API key in"), self.db.engine.begin() as c:
                c.execute(insert(ApiKeyRow).values(
                    name=name, prefix=prefix, hash=hash_token(token), read_only=read_only,
                    created_at=datetime.now(UTC),
                ))
        except StoreError as exc:
            if isinstance(exc.__cause__, IntegrityError):
                raise ConflictError(
                    f"an API key named {name!r} already exists; pick another name or revoke "
                    "it first"
                ) from exc
            raise
        return self.get(name), token

    def import_token(self, name: str, token: str) -> ApiKey:
        """Store a read-write key for a token made elsewhere (a Kubernetes Secret), so a
        service can start with a key it was given. A revoked token stays revoked; a new token
        under the same name replaces the old one (rotation)."""
        match = _TOKEN.match(token)
        if match is None:
            raise ConfigError(
                f"API key for {name!r} is not a camfleet key (cf_<12 hex>_<43 characters>); "
                "make one with `camfleet apikey token`"
            )
        digest = hash_token(token)
        with self.db.translate_errors("import an API key into"), self.db.engine.begin() as c:
            row = c.execute(select(ApiKeyRow).where(ApiKeyRow.name == name)).first()
            if row is None:
                c.execute(insert(ApiKeyRow).values(
                    name=name, prefix=match.group(1), hash=digest, read_only=False,
                    created_at=datetime.now(UTC),
                ))
            elif not hmac.compare_digest(row.hash, digest):
                c.execute(update(ApiKeyRow).where(ApiKeyRow.name == name).values(
                    prefix=match.group(1), hash=digest, read_only=False, revoked_at=None,
                    created_at=datetime.now(UTC), last_used_at=None,
                ))
        key = self.get(name)
        if not key.active:
            log.warning("API key %r from the environment was revoked; it stays revoked", name)
        return key

    def get(self, name: str) -> ApiKey:
        with self.db.translate_errors("read API keys in"), self.db.engine.connect() as c:
            row = c.execute(select(ApiKeyRow).where(ApiKeyRow.name == name)).first()
        if row is None:
            raise NotFoundError(f"no API key named {name!r}; `camfleet apikey list` shows them")
        return _key(row)

    def list(self) -> list[ApiKey]:
        with self.db.translate_errors("list API keys in"), self.db.engine.connect() as c:
            rows = c.execute(select(ApiKeyRow).order_by(ApiKeyRow.name)).all()
        return [_key(row) for row in rows]

    def revoke(self, name: str) -> ApiKey:
        """Revoke the key (idempotent); it stays listed with its revocation time."""
        self.get(name)
        with self.db.translate_errors("revoke an API key in"), self.db.engine.begin() as c:
            c.execute(
                update(ApiKeyRow)
                .where(ApiKeyRow.name == name, ApiKeyRow.revoked_at.is_(None))
                .values(revoked_at=datetime.now(UTC))
            )
        return self.get(name)

    def active_count(self) -> int:
        return sum(1 for key in self.list() if key.active)

    def verify(self, token: str) -> ApiKey | None:
        """The active key ``token`` belongs to, or None (wrong, malformed or revoked)."""
        match = _TOKEN.match(token)
        if match is None:
            return None
        digest = hash_token(token)
        with self.db.translate_errors("check an API key in"), self.db.engine.connect() as c:
            rows = c.execute(select(ApiKeyRow).where(ApiKeyRow.prefix == match.group(1))).all()
        for row in rows:
            if hmac.compare_digest(row.hash, digest) and row.revoked_at is None:
                key = _key(row)
                self._touch(key)
                return key
        return None

    def _touch(self, key: ApiKey) -> None:
        now = datetime.now(UTC)
        if key.last_used_at is not None and now - key.last_used_at < _TOUCH_EVERY:
            return
        try:
            with self.db.translate_errors("update an API key in"), self.db.engine.begin() as c:
                c.execute(
                    update(ApiKeyRow).where(ApiKeyRow.id == key.id).values(last_used_at=now)
                )
        except StoreError as exc:  # bookkeeping only: a busy database must not refuse the key
            log.debug("API key %r: last use not recorded: %s", key.name, exc)


def _key(row: Any) -> ApiKey:
    return ApiKey(
        id=int(row.id), name=row.name, prefix=row.prefix, read_only=bool(row.read_only),
        created_at=row.created_at, revoked_at=row.revoked_at, last_used_at=row.last_used_at,
    )
