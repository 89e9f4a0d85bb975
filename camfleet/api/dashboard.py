"""The dashboard: one HTML shell at ``/`` and its static files, all public.

The page holds no data of its own: it asks for an API key, keeps it in ``sessionStorage`` and
reads everything through ``/api/v1`` with ``Authorization: Bearer``. Static files come from a
fixed list, so ``/static/{name}`` cannot be pointed at any other file.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import jinja2
from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse, Response

__all__ = ["STATIC_FILES", "router"]

_HERE = Path(__file__).parent
_STATIC_DIR = _HERE / "static"
_TEMPLATES_DIR = _HERE / "templates"

STATIC_FILES: dict[str, str] = {
    "dashboard.css": "text/css; charset=utf-8",
    "api.js": "text/javascript; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "camera.js": "text/javascript; charset=utf-8",
    "cameras.js": "text/javascript; charset=utf-8",
    "cost.js": "text/javascript; charset=utf-8",
    "dom.js": "text/javascript; charset=utf-8",
    "events.js": "text/javascript; charset=utf-8",
    "history.js": "text/javascript; charset=utf-8",
    "newcamera.js": "text/javascript; charset=utf-8",
    "normalize.js": "text/javascript; charset=utf-8",
    "plot.js": "text/javascript; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}

# The page runs only its own files: no inline script, no third-party origin. Frames and
# snapshots arrive as blob: URLs because they are fetched with the Authorization header.
_CSP = (
    "default-src 'self'; img-src 'self' blob: data:; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
_SECURITY_HEADERS = {
    "Content-Security-Policy": _CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

router = APIRouter(include_in_schema=False)


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


@lru_cache(maxsize=1)
def _asset_version() -> str:
    """A digest of the static files, so a new release is never served from a stale cache."""
    digest = hashlib.sha256()
    for name in sorted(STATIC_FILES):
        digest.update((_STATIC_DIR / name).read_bytes())
    return digest.hexdigest()[:12]


@router.get("/", response_class=HTMLResponse)
def dashboard_page() -> HTMLResponse:
    html = _environment().get_template("dashboard.html").render(version=_asset_version())
    return HTMLResponse(html, headers=_SECURITY_HEADERS | {"Cache-Control": "no-cache"})


@router.get("/static/{name}")
def dashboard_static(name: str) -> Response:
    media_type = STATIC_FILES.get(name)
    if media_type is None:
        raise HTTPException(status_code=404, detail=f"no static file {name!r}")
    return Response(
        (_STATIC_DIR / name).read_bytes(),
        media_type=media_type,
        headers=_SECURITY_HEADERS | {"Cache-Control": "public, max-age=86400"},
    )
