"""The seed case, reproduced from its own published inputs with the arithmetic shown.

A published AWS case study ran YOLOv8 for a video-intelligence customer (limits: $30 per
camera per month, 500 ms per frame). Two designs were priced:

- a dedicated GPU per model, client-server: 2.7 + 7.9 + 1.1 + 10.26 ms = 21.96 ms per frame,
  $353.03 per camera per month (the study does not name the instance; one camera per GPU on
  the cheapest T4 instance, g4dn.xlarge, is assumed here);
- NVIDIA time-slicing on EKS, one T4 shared by many pods: 10.8 ms per frame with 1 pod on a
  g4dn.xlarge, 108 ms with 20 pods on a g4dn.2xlarge, 205 ms with 54 pods on a g4dn.8xlarge at
  $27.81 per camera per month.

The published dollar figures do not match list prices at 730 h/month. This module shows the
hourly price each figure implies next to the catalog's list price, and the difference, rather
than adjusting anything to make them agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from camfleet.errors import PlanError
from camfleet.planner.catalog import Catalog

__all__ = [
    "SEED_BUDGET_USD",
    "SEED_SLO_MS",
    "SEED_STAGES_MS",
    "CostCheck",
    "SeedReport",
    "TimesliceStep",
    "reproduce_seed",
]

SEED_BUDGET_USD = 30.0
SEED_SLO_MS = 500.0
SEED_STAGES_MS: dict[str, float] = {
    "preprocess": 2.7,
    "inference": 7.9,
    "postprocess": 1.1,
    "network": 10.26,
}
SEED_TOTAL_MS = 21.96
# (pods on one T4, instance, ms per frame, published $/camera/month or None)
SEED_TIMESLICE: tuple[tuple[int, str, float, float | None], ...] = (
    (1, "g4dn.xlarge", 10.8, None),
    (20, "g4dn.2xlarge", 108.0, None),
    (54, "g4dn.8xlarge", 205.0, 27.81),
)
SEED_DEDICATED = ("g4dn.xlarge", 1, 353.03)


@dataclass(frozen=True, slots=True)
class CostCheck:
    """A published $/camera/month against the catalog's list price for the same instance."""

    design: str
    instance: str
    cameras_per_instance: int
    published_usd_per_camera: float
    implied_usd_per_hour: float
    list_usd_per_hour: float
    list_usd_per_camera: float
    hours_per_month: float

    @property
    def difference_usd_per_camera(self) -> float:
        return self.list_usd_per_camera - self.published_usd_per_camera

    @property
    def difference_pct(self) -> float:
        return 100.0 * (self.list_usd_per_hour / self.implied_usd_per_hour - 1.0)

    @property
    def hours_at_list_price(self) -> float:
        """Hours per month that would turn the list price into the published figure."""
        return self.published_usd_per_camera * self.cameras_per_instance / self.list_usd_per_hour


@dataclass(frozen=True, slots=True)
class TimesliceStep:
    """One published time-slicing point: N pods taking turns on one T4."""

    pods: int
    instance: str
    ms_per_frame: float

    @property
    def frames_per_s(self) -> float:
        """Whole-GPU throughput: each pod completes a frame every ``ms_per_frame``."""
        return self.pods * 1000.0 / self.ms_per_frame

    @property
    def gpu_ms_per_frame(self) -> float:
        return self.ms_per_frame / self.pods

    @property
    def max_fps_per_camera(self) -> float:
        return 1000.0 / self.ms_per_frame


@dataclass(frozen=True, slots=True)
class SeedReport:
    """Everything ``camfleet plan seed`` prints."""

    stages_ms: dict[str, float]
    stage_sum_ms: float
    published_total_ms: float
    timeslice: list[TimesliceStep]
    costs: list[CostCheck]
    budget_usd: float
    slo_ms: float
    region: str


def _check(
    catalog: Catalog, design: str, instance_name: str, cameras: int, published: float
) -> CostCheck:
    instance = catalog.instance(instance_name)
    if instance is None:
        raise PlanError(
            f"the price catalog has no {instance_name}, which the seed case uses; add it to "
            "the price file"
        )
    hours = catalog.hours_per_month
    return CostCheck(
        design=design,
        instance=instance_name,
        cameras_per_instance=cameras,
        published_usd_per_camera=published,
        implied_usd_per_hour=published * cameras / hours,
        list_usd_per_hour=instance.on_demand_usd_per_hour,
        list_usd_per_camera=instance.on_demand_usd_per_hour * hours / cameras,
        hours_per_month=hours,
    )


def reproduce_seed(catalog: Catalog) -> SeedReport:
    """Recompute the seed's figures from its inputs and the catalog's list prices."""
    dedicated_instance, dedicated_cameras, dedicated_usd = SEED_DEDICATED
    costs = [
        _check(
            catalog,
            "dedicated GPU per camera",
            dedicated_instance,
            dedicated_cameras,
            dedicated_usd,
        ),
    ]
    steps = []
    for pods, instance, ms, published in SEED_TIMESLICE:
        steps.append(TimesliceStep(pods=pods, instance=instance, ms_per_frame=ms))
        if published is not None:
            costs.append(_check(catalog, f"time-slicing, {pods} pods", instance, pods, published))
    return SeedReport(
        stages_ms=dict(SEED_STAGES_MS),
        stage_sum_ms=sum(SEED_STAGES_MS.values()),
        published_total_ms=SEED_TOTAL_MS,
        timeslice=steps,
        costs=costs,
        budget_usd=SEED_BUDGET_USD,
        slo_ms=SEED_SLO_MS,
        region=catalog.region,
    )
