"""Plans from a profile and the catalog: capacity limits, cost, ordering, recommendation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from camfleet.errors import ConfigError, PlanError
from camfleet.planner.catalog import Catalog
from camfleet.planner.plan import PlanRequest, make_plan, plan_as_dict
from camfleet.planner.profile import BenchProfile, load_profile, parse_profile

DATA = Path(__file__).resolve().parent / "data"


def _row(plan: Any, name: str) -> Any:
    return next(r for r in plan.rows if r.instance == name)


def test_thousand_reference_cameras_on_the_sample_profile(
    profile: BenchProfile, catalog: Catalog
) -> None:
    plan = make_plan(profile, catalog, PlanRequest(cameras=1000))
    t4 = _row(plan, "g4dn.xlarge")
    assert (t4.cameras_per_instance, t4.bound, t4.basis, t4.instances) == (
        90,
        "compute",
        "measured",
        12,
    )
    assert t4.limits == {"compute": 90, "decode": 122, "memory": 2241}
    assert t4.monthly_usd == pytest.approx(12 * 0.526 * 730)
    assert t4.usd_per_camera_month == pytest.approx(4.60776)
    # An L4 is estimated at 2x a T4 (catalog factor), and a g6.xlarge's 4 vCPUs cannot decode 180.
    g6 = _row(plan, "g6.xlarge")
    assert (g6.basis, g6.limits["compute"], g6.bound, g6.cameras_per_instance) == (
        "estimated",
        180,
        "decode",
        122,
    )
    monthly = [r.monthly_usd for r in plan.rows]
    assert monthly == sorted(monthly), "cheapest first"
    assert plan.recommendation == plan.rows[0]
    assert any("is estimated: bench on it first" in n for n in plan.notes)
    assert all(r.gpu for r in plan.rows), "a GPU profile plans GPU instances only by default"


def test_only_measured_gpu_rows_when_asked_for_that_family(
    profile: BenchProfile, catalog: Catalog
) -> None:
    plan = make_plan(profile, catalog, PlanRequest(cameras=1000, families=("g4dn",)))
    assert {r.basis for r in plan.rows} == {"measured"}
    assert plan.recommendation is not None
    assert plan.recommendation.instance == "g4dn.xlarge"
    assert not any("estimated" in n for n in plan.notes)


def test_analysis_rate_scales_capacity_inversely(profile: BenchProfile, catalog: Catalog) -> None:
    plan = make_plan(
        profile, catalog, PlanRequest(cameras=1000, analyze_fps=4.0, families=("g4dn.xlarge",))
    )
    assert _row(plan, "g4dn.xlarge").cameras_per_instance == 45
    assert any("scaled by 2/4" in n for n in plan.notes)


def test_timeslice_mode_uses_its_own_capacity_and_memory(
    profile: BenchProfile, catalog: Catalog
) -> None:
    plan = make_plan(profile, catalog, PlanRequest(cameras=54, mode="timeslice"))
    t4 = _row(plan, "g4dn.xlarge")
    assert t4.limits["compute"] == 40
    assert t4.limits["memory"] == int(14.5 * 1024 // 350)  # 350 MB per single-camera process
    assert t4.instances == 2


def test_eks_fee_is_an_optional_line_item(profile: BenchProfile, catalog: Catalog) -> None:
    without = make_plan(profile, catalog, PlanRequest(cameras=100, families=("g4dn.xlarge",)))
    with_fee = make_plan(
        profile, catalog, PlanRequest(cameras=100, families=("g4dn.xlarge",), eks_fee=True)
    )
    assert with_fee.eks_fee_monthly_usd == pytest.approx(73.0)
    assert with_fee.rows[0].usd_per_camera_month == pytest.approx(
        without.rows[0].usd_per_camera_month + 0.73
    )


@pytest.mark.parametrize("source", ["synthetic", "synthetic:1280x720@15", "reference:"])
def test_cpu_profile_plans_cpu_instances_per_vcpu(
    cpu_profile_data: dict[str, Any], catalog: Catalog, source: str
) -> None:
    cpu_profile_data["source"] = source
    plan = make_plan(parse_profile(cpu_profile_data), catalog, PlanRequest(cameras=100))
    assert all(r.gpu is None for r in plan.rows)
    c7i = _row(plan, "c7i.4xlarge")
    # 2 cameras per vCPU measured, 30 decoded per core (a generated source: decode added).
    per_vcpu = 1 / (1 / 2 + 1 / 30)
    assert c7i.cameras_per_instance == int(per_vcpu * 15.5)
    assert c7i.basis == "per-vcpu"
    assert _row(plan, "c7g.4xlarge").basis == "estimated"  # Graviton, measured on x86


def test_a_video_file_source_already_paid_for_decoding(
    cpu_profile_data: dict[str, Any], catalog: Catalog
) -> None:
    cpu_profile_data["source"] = "/data/camera-720p.mp4"
    plan = make_plan(parse_profile(cpu_profile_data), catalog, PlanRequest(cameras=100))
    assert _row(plan, "c7i.4xlarge").cameras_per_instance == int(2 * 15.5)


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (PlanRequest(cameras=10, gated=True), "no 'shared_gated' result"),
        (PlanRequest(cameras=10, region="eu-west-1"), "catalog is for us-east-1"),
        (PlanRequest(cameras=10, pricing="spot"), "no spot price"),
        (PlanRequest(cameras=10, families=("p5",)), "no instance in the catalog matches"),
        (PlanRequest(cameras=0), "--cameras must be >= 1"),
    ],
)
def test_requests_that_cannot_be_planned(
    profile: BenchProfile, catalog: Catalog, request_: PlanRequest, message: str
) -> None:
    with pytest.raises(PlanError, match=message):
        make_plan(profile, catalog, request_)


def test_unknown_gpu_in_profile(profile_data: dict[str, Any], catalog: Catalog) -> None:
    profile_data["device"]["name"] = "NVIDIA A100-SXM4-40GB"
    with pytest.raises(PlanError, match="A100-SXM4-40GB' is not in the catalog's gpus"):
        make_plan(parse_profile(profile_data), catalog, PlanRequest(cameras=10))


def test_h100_profile_is_scaled_to_aws_gpus(profile_data: dict[str, Any], catalog: Catalog) -> None:
    profile_data["device"]["name"] = "NVIDIA H100 80GB HBM3"
    profile_data["modes"]["shared"]["capacity"] = 900
    plan = make_plan(parse_profile(profile_data), catalog, PlanRequest(cameras=1000))
    assert {r.basis for r in plan.rows} == {"estimated"}
    assert _row(plan, "g4dn.xlarge").limits["compute"] == 90  # 900 x 1.0 / 10.0


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cameras=st.integers(min_value=1, max_value=20_000),
    more=st.integers(min_value=0, max_value=5_000),
    capacity=st.integers(min_value=1, max_value=500),
    extra=st.integers(min_value=0, max_value=500),
)
def test_plan_monotonicity(
    profile_data: dict[str, Any],
    catalog: Catalog,
    cameras: int,
    more: int,
    capacity: int,
    extra: int,
) -> None:
    def plan_for(n: int, cap: int) -> dict[str, Any]:
        profile_data["modes"]["shared"]["capacity"] = cap
        request = PlanRequest(cameras=n, families=("g4dn", "g6"))
        return {
            r.instance: r for r in make_plan(parse_profile(profile_data), catalog, request).rows
        }

    base = plan_for(cameras, capacity)
    for name, row in plan_for(cameras + more, capacity).items():
        assert row.instances >= base[name].instances, "more cameras never need fewer instances"
    for name, row in plan_for(cameras, capacity + extra).items():
        assert row.usd_per_camera_month <= base[name].usd_per_camera_month + 1e-9


def test_plan_as_dict_is_json(profile: BenchProfile, catalog: Catalog) -> None:
    data = plan_as_dict(make_plan(profile, catalog, PlanRequest(cameras=500)))
    text = json.dumps(data)
    assert json.loads(text)["recommendation"]["instance"] == data["rows"][0]["instance"]


def test_real_bench_output_loads_and_a_zero_capacity_is_explained(catalog: Catalog) -> None:
    # Written by `camfleet bench --quick` on a busy 2-core CPU: NaN metrics, capacity 0.
    profile = load_profile(DATA / "bench_quick_cpu_capacity0.json")
    assert profile.modes["shared"].p99_ms is None
    with pytest.raises(PlanError, match="no candidate instance can serve the request"):
        make_plan(profile, catalog, PlanRequest(cameras=100))


def test_bad_profile_through_load(tmp_path: Path, profile_data: dict[str, Any]) -> None:
    profile_data["modes"]["shared"]["capacity"] = -3
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(profile_data))
    with pytest.raises(ConfigError, match=r"bench.json: modes.shared.capacity: .*\(got -3\)"):
        load_profile(path)
