"""``Authorization: Bearer <key>`` as a dependency declared once per router.

No, malformed, wrong or revoked key: 401. A read-only key on a method that changes anything:
403. The key is checked against its stored SHA-256 in constant time (``ApiKeyStore.verify``).
"""

from __future__ import annotations

from fastapi import HTTPException, Request

from camfleet.api.service import Service
from camfleet.control.apikeys import ApiKey

__all__ = ["SAFE_METHODS", "require_key", "service_of"]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="camfleet"'}


def service_of(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def require_key(request: Request) -> ApiKey:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(
            401, "missing API key: send 'Authorization: Bearer <key>' (create one with "
            "`camfleet apikey create --name NAME`)", headers=_CHALLENGE,
        )
    key = service_of(request).keys.verify(token.strip())
    if key is None:
        raise HTTPException(
            401, "API key not valid (wrong or revoked); create a new one with "
            "`camfleet apikey create --name NAME`", headers=_CHALLENGE,
        )
    if key.read_only and request.method not in SAFE_METHODS:
        raise HTTPException(
            403, f"API key {key.name!r} is read-only; use a key created without --read-only "
            "to change anything",
        )
    request.state.api_key = key
    return key
