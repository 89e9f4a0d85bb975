"""/stats from the engine's metrics, /plan from a real bench profile and the price catalog."""

from __future__ import annotations

from pathlib import Path

import pytest

from camfleet.api.plan import PlanSettings
from camfleet.planner.catalog import load_catalog
from camfleet.planner.profile import load_profile

from .helpers import FramesOnly, Running, running_service

PROFILE = Path(__file__).resolve().parents[2] / "benchmarks" / "cpu-yolov8n-2fps-reference.json"


def test_stats_without_an_engine_lists_every_camera(api: Running) -> None:
    with api.client() as client:
        stats = client.get("/api/v1/stats").json()
        one = client.get("/api/v1/cameras/bikes/stats").json()
        assert client.get("/api/v1/cameras/nope/stats").status_code == 404
    assert stats["engine"] is False
    assert [c["camera_id"] for c in stats["cameras"]] == ["bikes", "carphone"]
    assert one["state"] == "unassigned" and one["analysed"] == 0 and one["p99_ms"] is None


def test_stats_come_from_the_engine_metrics(tmp_path: Path) -> None:
    engine = FramesOnly(frozenset({"bikes"}))
    engine.metrics.add_camera("bikes")
    engine.metrics.count("bikes", "sampled", 10)
    engine.metrics.count("bikes", "gated", 4)
    for ms in (100.0, 200.0, 300.0):
        recorder = getattr(engine.metrics, "result_latency", None) or engine.metrics.latency
        recorder("bikes", ms / 1000.0)
    with running_service(tmp_path / "data", engine=engine) as api, api.client() as client:
        stats = client.get("/api/v1/stats").json()
    bikes = next(c for c in stats["cameras"] if c["camera_id"] == "bikes")
    assert (bikes["sampled"], bikes["gated"], bikes["analysed"]) == (10, 4, 3)
    assert bikes["p50_ms"] == pytest.approx(200.0)
    assert bikes["fps_in"] > 0
    assert stats["engine"] is True and stats["latency_p99_ms"] == pytest.approx(298.0)


def test_plan_needs_a_profile_then_prices_the_fleet(api: Running) -> None:
    with api.client() as client:
        missing = client.get("/api/v1/plan").json()
        assert missing["available"] is False and "--profile" in missing["reason"]
        api.service.plan = PlanSettings(load_profile(PROFILE), load_catalog())
        cheapest = client.get("/api/v1/plan").json()
        assert cheapest["available"] is True and cheapest["cameras"] == 2
        assert cheapest["usd_per_camera_month"] > 0 and cheapest["instances"] >= 1
        instance = cheapest["instance"]
        api.service.plan = PlanSettings(load_profile(PROFILE), load_catalog(), instance=instance)
        chosen = client.get("/api/v1/plan").json()
    assert chosen["instance"] == instance
    assert chosen["usd_per_camera_month"] == pytest.approx(cheapest["usd_per_camera_month"])


def test_serve_checks_the_plan_options(api: Running) -> None:
    from camfleet.commands.serve import ServeOptions, _plan_settings, run_service
    from camfleet.errors import ConfigError

    assert _plan_settings(ServeOptions(), api.service.fleet) is None
    with pytest.raises(ConfigError, match="not in the price catalog"):
        _plan_settings(ServeOptions(profile=PROFILE, instance="z9.huge"), api.service.fleet)
    with pytest.raises(ConfigError, match="--pricing 'cheap': use on-demand or spot"):
        run_service(ServeOptions(pricing="cheap", data_dir=api.data_dir))
