"""A plan: candidate instance types for N cameras, cheapest first, with the recommendation.

Pure data in, data out: a :class:`~camfleet.planner.profile.BenchProfile`, a
:class:`~camfleet.planner.catalog.Catalog` and a :class:`PlanRequest` give a :class:`Plan`.
The CLI renders it; :func:`plan_as_dict` is its ``--json`` form.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from camfleet.errors import PlanError
from camfleet.planner.catalog import Catalog, InstanceType, gpu_model_of
from camfleet.planner.cost import (
    SYSTEM_RESERVED_MEMORY_GIB,
    SYSTEM_RESERVED_VCPUS,
    Limits,
    combined_per_vcpu,
    cost_per_camera_month,
    decode_limit,
    instances_needed,
    memory_limit,
    monthly_cost,
    scale_capacity,
    usable_vcpus,
)
from camfleet.planner.profile import BenchProfile, ModeResult

__all__ = ["Basis", "Plan", "PlanRequest", "PlanRow", "make_plan", "plan_as_dict"]

Basis = Literal["measured", "simulated", "estimated", "per-vcpu"]
PriceKind = Literal["on-demand", "spot"]


@dataclass(frozen=True, slots=True)
class PlanRequest:
    """What the customer asks: N cameras at an analysis rate, in one mode, on some families."""

    cameras: int
    analyze_fps: float | None = None
    mode: Literal["shared", "timeslice"] = "shared"
    gated: bool = False
    families: tuple[str, ...] = ()
    pricing: PriceKind = "on-demand"
    region: str | None = None
    eks_fee: bool = False
    hours_per_month: float | None = None


@dataclass(frozen=True, slots=True)
class PlanRow:
    """One candidate instance type."""

    instance: str
    gpu: str | None
    gpu_count: int
    vcpus: int
    memory_gib: float
    hourly_usd: float
    cameras_per_instance: int
    bound: str
    limits: dict[str, int | None]
    basis: Basis
    basis_note: str
    instances: int
    monthly_usd: float
    usd_per_camera_month: float


@dataclass(frozen=True, slots=True)
class Plan:
    """Candidates cheapest first, the ones that cannot serve a camera, and the notes."""

    cameras: int
    analyze_fps: float
    mode: str
    profile_mode: str
    pricing: str
    region: str
    hours_per_month: float
    eks_fee_monthly_usd: float
    rows: list[PlanRow]
    excluded: dict[str, str]
    recommendation: PlanRow | None
    notes: list[str] = field(default_factory=list)
    simulated: bool = False

    def total_monthly_usd(self, row: PlanRow) -> float:
        return row.monthly_usd + self.eks_fee_monthly_usd


def _mode_result(profile: BenchProfile, request: PlanRequest) -> tuple[str, ModeResult]:
    key = f"{request.mode}_gated" if request.gated else request.mode
    result = profile.modes.get(key)
    if result is None:
        have = ", ".join(sorted(profile.modes))
        raise PlanError(
            f"bench profile has no {key!r} result (it has: {have}); rerun camfleet bench for "
            f"that mode or plan with one of those"
        )
    return key, result


def _hourly(instance: InstanceType, pricing: PriceKind) -> float | None:
    if pricing == "spot":
        return instance.spot_usd_per_hour
    return instance.on_demand_usd_per_hour


@dataclass(frozen=True, slots=True)
class _Compute:
    cameras: int
    basis: Basis
    note: str
    decode_included: bool = False


def _gpu_compute(
    profile: BenchProfile,
    result: ModeResult,
    catalog: Catalog,
    instance: InstanceType,
    fps: float,
    measured_gpu: str,
) -> _Compute:
    assert instance.gpu is not None
    target = catalog.gpus[instance.gpu]
    source = catalog.gpus[measured_gpu]
    factor = target.relative_throughput / source.relative_throughput
    per_gpu = scale_capacity(result.capacity, profile.analyze_fps, fps, factor)
    if instance.gpu == measured_gpu:
        if not profile.measured:
            return _Compute(per_gpu * instance.gpu_count, "simulated",
                            f"simulated {measured_gpu} (camfleet simulate)")
        return _Compute(per_gpu * instance.gpu_count, "measured", f"measured on {measured_gpu}")
    return _Compute(
        per_gpu * instance.gpu_count,
        "estimated",
        f"{measured_gpu} x{factor:.2f} (catalog factor {target.relative_throughput:g}"
        f"/{source.relative_throughput:g})",
    )


_GENERATED_SOURCES = ("synthetic", "reference")


def _cpu_compute(
    profile: BenchProfile, result: ModeResult, instance: InstanceType, fps: float
) -> _Compute:
    infer_per_vcpu = (
        scale_capacity(result.capacity, profile.analyze_fps, fps) / profile.cpu.cores
        if result.capacity
        else 0.0
    )
    # Generated sources (synthetic frames, the reference scene rendered from a clip decoded
    # once) skip H.264 decoding in the bench, so decode is added here; a video file source
    # decoded on the same cores during the capacity search already.
    decode_per_vcpu = None
    if profile.source.startswith(_GENERATED_SOURCES) and profile.decode is not None:
        decode_per_vcpu = profile.decode.cameras_per_core
    per_vcpu = combined_per_vcpu(infer_per_vcpu, decode_per_vcpu)
    cameras = int(per_vcpu * usable_vcpus(instance.vcpus) + 1e-9)
    note = f"{infer_per_vcpu:.2f} cameras/vCPU measured on {profile.cpu.cores} CPUs"
    if instance.arch != _profile_arch(profile):
        # A vCPU of another architecture is not the same unit of work: flag it.
        note += f", scaled to {instance.arch} unmeasured"
        return _Compute(cameras, "estimated", note, decode_included=True)
    return _Compute(cameras, "per-vcpu", note, decode_included=True)


def _profile_arch(profile: BenchProfile) -> str:
    arm = re.search(r"graviton|neoverse|\barm|aarch64", profile.cpu.model, re.I)
    return "arm64" if arm else "x86_64"


def _limits(
    profile: BenchProfile, result: ModeResult, instance: InstanceType, compute: _Compute
) -> Limits:
    decode = None
    if profile.decode is not None and not compute.decode_included:
        decode = decode_limit(instance.vcpus, profile.decode.cameras_per_core)
    engines = max(1, instance.gpu_count)
    memory = memory_limit(
        instance.memory_gib, engines, result.rss_mb, result.rss_mb_per_camera, result.capacity
    )
    return Limits(compute=compute.cameras, decode=decode, memory=memory)


def make_plan(profile: BenchProfile, catalog: Catalog, request: PlanRequest) -> Plan:
    """Every candidate instance type for the request, cheapest first."""
    if request.cameras < 1:
        raise PlanError(f"--cameras must be >= 1 (got {request.cameras})")
    if request.region is not None and request.region != catalog.region:
        raise PlanError(
            f"the price catalog is for {catalog.region}, not {request.region}; pass "
            f"--pricing FILE with {request.region} prices"
        )
    fps = request.analyze_fps or profile.analyze_fps
    if fps <= 0:
        raise PlanError(f"--analyze-fps must be > 0 (got {fps})")
    profile_mode, result = _mode_result(profile, request)
    hours = request.hours_per_month or catalog.hours_per_month

    measured_gpu: str | None = None
    if profile.device.kind == "gpu":
        measured_gpu = gpu_model_of(profile.device.name, list(catalog.gpus))
        if measured_gpu is None:
            raise PlanError(
                f"bench profile GPU {profile.device.name!r} is not in the catalog's gpus "
                f"({', '.join(sorted(catalog.gpus))}); add it with a relative_throughput"
            )

    candidates = catalog.select(list(request.families) or None)
    if not request.families:
        # Only like-for-like by default: no factor turns a GPU measurement into CPU capacity.
        wants_gpu = measured_gpu is not None
        candidates = [i for i in candidates if (i.gpu is not None) == wants_gpu]
    if not candidates:
        raise PlanError(
            f"no instance in the catalog matches --instances {','.join(request.families)}; "
            f"families: {', '.join(sorted({i.family for i in catalog.instances}))}"
        )

    rows: list[PlanRow] = []
    excluded: dict[str, str] = {}
    for instance in candidates:
        hourly = _hourly(instance, request.pricing)
        if hourly is None:
            excluded[instance.name] = f"no {request.pricing} price in the catalog"
            continue
        if measured_gpu is not None and instance.gpu is not None:
            compute = _gpu_compute(profile, result, catalog, instance, fps, measured_gpu)
        elif measured_gpu is None and instance.gpu is None:
            compute = _cpu_compute(profile, result, instance, fps)
        else:
            excluded[instance.name] = (
                "CPU-only instance, GPU profile"
                if instance.gpu is None
                else "GPU instance, CPU profile"
            )
            continue
        limits = _limits(profile, result, instance, compute)
        if limits.cameras < 1:
            excluded[instance.name] = f"cannot serve one camera ({limits.bound}-bound)"
            continue
        count = instances_needed(request.cameras, limits.cameras)
        monthly = monthly_cost(hourly, count, hours)
        rows.append(
            PlanRow(
                instance=instance.name,
                gpu=instance.gpu,
                gpu_count=instance.gpu_count,
                vcpus=instance.vcpus,
                memory_gib=instance.memory_gib,
                hourly_usd=hourly,
                cameras_per_instance=limits.cameras,
                bound=limits.bound,
                limits={
                    "compute": limits.compute,
                    "decode": limits.decode,
                    "memory": limits.memory,
                },
                basis=compute.basis,
                basis_note=compute.note,
                instances=count,
                monthly_usd=monthly,
                usd_per_camera_month=cost_per_camera_month(monthly, request.cameras),
            )
        )
    if not rows:
        first = next(iter(excluded.items()))
        raise PlanError(
            f"no candidate instance can serve the request (e.g. {first[0]}: {first[1]}); "
            f"check the profile's {profile_mode!r} capacity and --instances"
        )

    eks_fee = 0.0
    if request.eks_fee:
        eks_fee = catalog.eks_control_plane_usd_per_hour * hours
        rows = [
            replace(row, usd_per_camera_month=(row.monthly_usd + eks_fee) / request.cameras)
            for row in rows
        ]
    rows.sort(key=lambda r: (r.monthly_usd, r.instances, r.instance))
    notes = _notes(profile, profile_mode, result, fps, hours, request, catalog, rows, measured_gpu)
    if not profile.measured:
        notes = [
            "SIMULATED profile (measured: false, written by camfleet simulate): capacity is a "
            "model's prediction, not a measurement; bench on the device to confirm it",
            *(f"simulator assumption: {line}" for line in profile.assumptions),
            *notes,
        ]
    return Plan(
        cameras=request.cameras,
        analyze_fps=fps,
        mode=request.mode,
        profile_mode=profile_mode,
        pricing=request.pricing,
        region=catalog.region,
        hours_per_month=hours,
        eks_fee_monthly_usd=eks_fee,
        rows=rows,
        excluded=excluded,
        recommendation=rows[0],
        notes=notes,
        simulated=not profile.measured,
    )


def _notes(
    profile: BenchProfile,
    profile_mode: str,
    result: ModeResult,
    fps: float,
    hours: float,
    request: PlanRequest,
    catalog: Catalog,
    rows: list[PlanRow],
    measured_gpu: str | None,
) -> list[str]:
    notes = [
        f"capacity from {profile_mode!r}: {result.capacity} cameras per "
        f"{'GPU (' + measured_gpu + ')' if measured_gpu else f'{profile.cpu.cores}-CPU machine'}"
        f" at {profile.analyze_fps:g} fps within a {profile.slo_ms:g} ms SLO"
        f" ({profile.model}, {profile.provider}, source {profile.source or 'unknown'})",
        f"monthly = hourly x {hours:g} h; {request.pricing} prices, "
        f"{catalog.region}; {SYSTEM_RESERVED_VCPUS:g} vCPU and {SYSTEM_RESERVED_MEMORY_GIB:g} GiB"
        f" per instance left to the system",
    ]
    if fps != profile.analyze_fps:
        notes.append(
            f"analysis rate {fps:g} fps differs from the bench's {profile.analyze_fps:g} fps: "
            f"compute capacity scaled by {profile.analyze_fps:g}/{fps:g} (inversely with fps)"
        )
    if measured_gpu is not None and any(r.basis == "estimated" for r in rows):
        used = sorted({r.gpu for r in rows if r.gpu} | {measured_gpu})
        factors = ", ".join(f"{g} {catalog.gpus[g].relative_throughput:g}" for g in used)
        notes.append(
            f"estimated rows scale the measured {measured_gpu} by the catalog's relative "
            f"inference throughput ({factors}; an estimate from published benchmarks, see the "
            "catalog's sources): bench on that GPU to measure it"
        )
    if measured_gpu is None and any(r.basis == "estimated" for r in rows):
        notes.append(
            f"estimated CPU rows use another CPU architecture than the bench's "
            f"({_profile_arch(profile)}): per-vCPU speed differs; bench there to measure it"
        )
    if any(r.basis == "per-vcpu" for r in rows):
        notes.append(
            f"CPU rows scale the bench machine's capacity per vCPU ({profile.cpu.cores} CPUs "
            "measured); AWS vCPUs are hyperthreads like the bench's logical CPUs"
        )
    if profile.decode is None:
        notes.append("decode cost not measured in the profile: the decode limit is not applied")
    if result.rss_mb_per_camera is None:
        notes.append("memory per camera not measured in the profile: no memory limit applied")
    best = rows[0]
    if best.basis == "estimated":
        measured = next((r for r in rows if r.basis == "measured"), None)
        alt = (
            f"; cheapest measured: {measured.instance} at ${measured.usd_per_camera_month:.2f}"
            if measured
            else ""
        )
        notes.append(f"the cheapest row ({best.instance}) is estimated: bench on it first{alt}")
    return notes


def plan_as_dict(plan: Plan) -> dict[str, Any]:
    """The plan as plain JSON-ready data (``camfleet plan --json``)."""
    data = asdict(plan)
    data["recommendation"] = asdict(plan.recommendation) if plan.recommendation else None
    return data
