"""/healthz, /readyz and /metrics (route templates as labels, never raw paths)."""

from __future__ import annotations

from pathlib import Path

import httpx

from .helpers import FramesOnly, Running, running_service


def _samples(text: str, name: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(name)]


def test_metrics_label_requests_by_route_template(api: Running) -> None:
    with api.client() as client:
        client.get("/api/v1/cameras/bikes")
        client.get("/api/v1/cameras/carphone")
        client.get("/api/v1/cameras/nope")
        client.get("/no/such/path")
        text = client.get("/metrics").text
    requests = _samples(text, "camfleet_api_requests_total")
    assert any('route="/api/v1/cameras/{camera_id}"' in s and 'status="200"' in s
               and s.endswith(" 2.0") for s in requests)
    assert any('route="/api/v1/cameras/{camera_id}"' in s and 'status="404"' in s
               for s in requests)
    assert any('route="<unmatched>"' in s for s in requests)
    assert not any("carphone" in s or "/no/such" in s for s in requests)
    assert _samples(text, "camfleet_api_request_duration_seconds_bucket")
    assert 'camfleet_camera_state{camera="bikes",state="unassigned"} 1.0' in text
    assert 'camfleet_webhook_outbox{state="pending"} 0.0' in text
    assert _samples(text, "camfleet_fleet_revision")


def test_metrics_include_the_engines_registry(tmp_path: Path) -> None:
    engine = FramesOnly(frozenset({"bikes"}))
    engine.metrics.count("bikes", "sampled", 3)
    with running_service(tmp_path / "data", engine=engine) as api, api.client() as client:
        text = client.get("/metrics").text
    assert 'camfleet_frames_total{camera="bikes",outcome="sampled"} 3.0' in text
    assert "camfleet_api_requests_total" in text


def test_readyz_waits_for_the_engine_and_healthz_for_progress(tmp_path: Path) -> None:
    engine = FramesOnly(frozenset({"bikes"}))
    with (
        running_service(tmp_path / "data", engine=engine) as api,
        httpx.Client(base_url=api.url) as client,
    ):
        api.service.engine_started.clear()
        assert client.get("/readyz").status_code == 503
        api.service.engine_started.set()
        assert client.get("/readyz").status_code == 200
        assert client.get("/healthz").status_code == 200
        api.service.stall_limit_s = 0.05  # the fake's last progress was 0.1 s ago
        stalled = client.get("/healthz")
        assert stalled.status_code == 503 and stalled.json()["status"] == "stalled"


def test_readyz_fails_when_the_database_is_gone(api: Running) -> None:
    api.service.db.engine.dispose()
    api.service.db.url = api.service.db.url.set(database="/nonexistent/dir/x.db")
    from sqlalchemy import create_engine

    api.service.db.engine = create_engine(api.service.db.url)
    with httpx.Client(base_url=api.url) as client:
        response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["status"] == "unavailable"
