"""``/api/v1/plan``: the planner's $/camera/month for the stored fleet, from a bench profile.

``camfleet serve --profile BENCH.json [--instance TYPE] [--pricing on-demand|spot]``: the
cameras are the enabled cameras (at least one), their analysis rate is the fleet's mean
``analyze_fps``; without ``--instance`` the planner's cheapest row is shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from camfleet.api.schemas import PlanOut
from camfleet.config import CameraConfig
from camfleet.errors import PlanError
from camfleet.planner.catalog import Catalog
from camfleet.planner.plan import PlanRequest, make_plan
from camfleet.planner.profile import BenchProfile

__all__ = ["PlanSettings", "plan_for"]


@dataclass(frozen=True, slots=True)
class PlanSettings:
    profile: BenchProfile | None
    catalog: Catalog
    instance: str | None = None
    pricing: Literal["on-demand", "spot"] = "on-demand"
    mode: Literal["shared", "timeslice"] = "shared"


def plan_for(settings: PlanSettings, cameras: Sequence[CameraConfig]) -> PlanOut:
    if settings.profile is None:
        return PlanOut(
            available=False,
            reason="no bench profile: start `camfleet serve --profile BENCH.json` with a "
            "`camfleet bench --json` result to see $/camera/month",
        )
    fps = sum(c.analyze_fps for c in cameras) / len(cameras) if cameras else None
    request = PlanRequest(
        cameras=max(1, len(cameras)), analyze_fps=fps, mode=settings.mode,
        families=(settings.instance,) if settings.instance else (), pricing=settings.pricing,
    )
    try:
        plan = make_plan(settings.profile, settings.catalog, request)
    except PlanError as exc:
        return PlanOut(available=False, reason=str(exc))
    row = next((r for r in plan.rows if r.instance == settings.instance), None)
    row = row if row is not None else plan.recommendation
    if row is None:
        reasons = "; ".join(f"{k}: {v}" for k, v in plan.excluded.items()) or "no candidate"
        return PlanOut(available=False, reason=reasons, notes=list(plan.notes))
    return PlanOut(
        available=True, instance=row.instance, cameras=plan.cameras,
        usd_per_camera_month=row.usd_per_camera_month,
        cameras_per_instance=row.cameras_per_instance, instances=row.instances,
        monthly_usd=plan.total_monthly_usd(row), basis=row.basis, notes=list(plan.notes),
    )
