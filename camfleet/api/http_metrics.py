"""The service's own Prometheus metrics, beside the engine's.

``camfleet_api_requests_total{route,method,status}`` and
``camfleet_api_request_duration_seconds{route,method}`` (route = the route template such as
``/api/v1/cameras/{camera_id}``, never the raw path, so labels stay bounded), and, read at
scrape time: ``camfleet_camera_state{camera,state}``, ``camfleet_webhook_outbox{state}``,
``camfleet_store_write_lag_seconds`` and ``camfleet_fleet_revision``.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from camfleet.api.service import Service
from camfleet.api.states import camera_states
from camfleet.errors import CamfleetError
from camfleet.store.schema import OutboxRow

__all__ = ["ApiMetrics", "RequestMetrics"]

log = logging.getLogger(__name__)

_UNMATCHED = "<unmatched>"
_DURATION_BUCKETS_S = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)


class ApiMetrics:
    """The API's registry; one per app."""

    def __init__(self, service: Service) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "camfleet_api_requests", "API requests by route template, method and status",
            ["route", "method", "status"], registry=self.registry,
        )
        self.duration = Histogram(
            "camfleet_api_request_duration_seconds", "API request duration by route template",
            ["route", "method"], buckets=_DURATION_BUCKETS_S, registry=self.registry,
        )
        self.registry.register(_ServiceCollector(service))


class RequestMetrics:
    """Pure ASGI middleware counting every HTTP request once it has its status."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        finally:
            route = scope.get("route")
            template = str(getattr(route, "path", _UNMATCHED)) if route else _UNMATCHED
            method = str(scope.get("method", ""))
            self.metrics.requests.labels(template, method, str(status)).inc()
            self.metrics.duration.labels(template, method).observe(time.perf_counter() - started)


class _ServiceCollector(Collector):
    def __init__(self, service: Service) -> None:
        self._service = service

    def collect(self) -> Iterator[Any]:
        service = self._service
        try:
            states = camera_states(service)
            outbox = _outbox_depth(service)
            revision = service.fleet.revision()
        except CamfleetError as exc:  # the database is down: /readyz says so; scrape the rest
            log.warning("metrics: %s", exc)
            return
        state_family = GaugeMetricFamily(
            "camfleet_camera_state", "1 for each camera's current state",
            labels=["camera", "state"],
        )
        for camera_id, (state, _error) in sorted(states.items()):
            state_family.add_metric([camera_id, state], 1.0)
        yield state_family
        outbox_family = GaugeMetricFamily(
            "camfleet_webhook_outbox", "Webhook deliveries in the outbox by state",
            labels=["state"],
        )
        for state in ("pending", "delivered", "dead"):
            outbox_family.add_metric([state], float(outbox.get(state, 0)))
        yield outbox_family
        yield GaugeMetricFamily(
            "camfleet_fleet_revision", "Changes made to the stored fleet", value=float(revision)
        )
        lag = _store_write_lag_s(service)
        if lag is not None:
            yield GaugeMetricFamily(
                "camfleet_store_write_lag_seconds",
                "Worst per-camera p99 of capture-to-committed latency over the window",
                value=lag,
            )


def _outbox_depth(service: Service) -> dict[str, int]:
    db = service.db
    query = select(OutboxRow.state, func.count()).group_by(OutboxRow.state)
    with db.translate_errors("count webhook deliveries in"), db.engine.connect() as connection:
        return {str(state): int(count) for state, count in connection.execute(query).all()}


def _store_write_lag_s(service: Service) -> float | None:
    if service.engine is None:
        return None
    values = [
        float(getattr(camera, "committed_p99_ms", math.nan))
        for camera in service.engine.metrics.snapshot().cameras
    ]
    finite = [v for v in values if math.isfinite(v)]
    return max(finite) / 1000.0 if finite else None
