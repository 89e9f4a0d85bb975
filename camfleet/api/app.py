"""The FastAPI application of ``camfleet serve``.

Public: ``/healthz``, ``/readyz``, the dashboard (``/``, ``/static/*``) and the API's own
description (``/docs``, ``/openapi.json``: the schema, no data). Everything else needs an API
key. Bodies over 1 MiB are refused with 413; every error is a ``{"detail": ...}`` one-liner.
"""

from __future__ import annotations

from fastapi import FastAPI

from camfleet import __version__
from camfleet.api.dashboard import router as dashboard_router
from camfleet.api.errors import install_error_handlers
from camfleet.api.http_metrics import ApiMetrics, RequestMetrics
from camfleet.api.limits import MAX_BODY_BYTES, BodySizeLimit
from camfleet.api.routes import cameras, events, fleet, models, probes
from camfleet.api.service import Service

__all__ = ["create_app"]


def create_app(service: Service, max_body_bytes: int = MAX_BODY_BYTES) -> FastAPI:
    app = FastAPI(
        title="camfleet",
        version=__version__,
        description="Cameras, models, events and live numbers of a camfleet service. "
        "Send `Authorization: Bearer <key>` (create keys with `camfleet apikey create`).",
    )
    app.state.service = service
    api_metrics = ApiMetrics(service)
    app.state.api_metrics = api_metrics
    install_error_handlers(app)
    for module in (cameras, models, events, fleet, probes):
        app.include_router(module.router)
    app.include_router(dashboard_router)
    # Added last = outermost: every request is counted, oversized ones included.
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)
    app.add_middleware(RequestMetrics, metrics=api_metrics)
    return app
