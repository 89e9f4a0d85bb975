"""``/api/v1/stats`` (live numbers per camera and per model) and ``/api/v1/plan`` (cost)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from camfleet.api.auth import require_key, service_of
from camfleet.api.plan import plan_for
from camfleet.api.schemas import ERROR_RESPONSES, FleetStats, PlanOut
from camfleet.api.stats import fleet_stats

__all__ = ["router"]

router = APIRouter(
    prefix="/api/v1", tags=["fleet"], dependencies=[Depends(require_key)],
    responses=ERROR_RESPONSES,
)


@router.get("/stats", response_model=FleetStats, summary="Live numbers of every camera and model")
def stats(request: Request) -> FleetStats:
    return fleet_stats(service_of(request))


@router.get("/plan", response_model=PlanOut, summary="$/camera/month for this fleet")
def plan(request: Request) -> PlanOut:
    service = service_of(request)
    if service.plan is None:
        return PlanOut(
            available=False,
            reason="no bench profile: start `camfleet serve --profile BENCH.json` with a "
            "`camfleet bench --json` result to see $/camera/month",
        )
    return plan_for(service.plan, service.fleet.enabled_cameras())
