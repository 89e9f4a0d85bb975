"""``camfleet plan``: what N cameras cost, on which instances; ``camfleet plan seed``."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, Literal, cast

import typer
from rich.console import Console
from rich.table import Table

from camfleet.commands._checks import check_choice
from camfleet.errors import ConfigError
from camfleet.planner.catalog import Catalog, load_catalog
from camfleet.planner.plan import Plan, PlanRequest, make_plan, plan_as_dict
from camfleet.planner.profile import load_profile
from camfleet.planner.seed import SeedReport, reproduce_seed

__all__ = ["register"]

plan_app = typer.Typer(
    help="What N cameras cost, on which instances, from a bench profile and a price catalog.",
    invoke_without_command=True,
    no_args_is_help=False,
)


def _console() -> Console:
    # Wide enough for the whole table when piped; a terminal keeps its own width.
    return Console(width=None if sys.stdout.isatty() else 160, highlight=False)


def _catalog_and_pricing(pricing: str) -> tuple[Catalog, Literal["on-demand", "spot"]]:
    if pricing in ("on-demand", "spot"):
        return load_catalog(), cast(Literal["on-demand", "spot"], pricing)
    path = Path(pricing)
    if not path.exists():
        raise ConfigError(
            f"--pricing {pricing}: not 'on-demand', 'spot' or an existing price file; "
            "pass one of those"
        )
    return load_catalog(path), "on-demand"


def _money(value: float) -> str:
    return f"${value:,.2f}"


def _print_plan(plan: Plan, console: Console) -> None:
    table = Table(
        title=f"{'SIMULATED plan: ' if plan.simulated else ''}"
        f"{plan.cameras:,} cameras at {plan.analyze_fps:g} fps, {plan.mode} mode, "
        f"{plan.pricing} {plan.region}",
        title_justify="left",
    )
    for name, justify in (
        ("instance", "left"),
        ("GPU", "left"),
        ("$/h", "right"),
        ("cameras/inst", "right"),
        ("limited by", "left"),
        ("capacity", "left"),
        ("instances", "right"),
        ("$/month", "right"),
        ("$/camera/month", "right"),
    ):
        table.add_column(name, justify=cast(Any, justify), no_wrap=True)
    for row in plan.rows:
        gpu = f"{row.gpu_count}x {row.gpu}" if row.gpu else f"{row.vcpus} vCPU"
        table.add_row(
            row.instance,
            gpu,
            f"{row.hourly_usd:.4g}",
            str(row.cameras_per_instance),
            row.bound,
            row.basis,
            str(row.instances),
            _money(row.monthly_usd),
            _money(row.usd_per_camera_month),
        )
    console.print(table)
    if plan.eks_fee_monthly_usd:
        console.print(
            f"EKS control plane: {_money(plan.eks_fee_monthly_usd)}/month, included in "
            "$/camera/month"
        )
    best = plan.recommendation
    if best is not None:
        console.print(
            f"[bold]Recommendation:[/] {best.instances} x {best.instance} "
            f"({best.cameras_per_instance} cameras each, limited by {best.bound}, "
            f"{best.basis}): "
            f"{_money(plan.total_monthly_usd(best))}/month, "
            f"[bold]{_money(best.usd_per_camera_month)}/camera/month[/]"
        )
    for note in plan.notes:
        console.print(f"- {note}", markup=False)


@plan_app.callback()
def plan(
    ctx: typer.Context,
    profile: Annotated[
        Path | None,
        typer.Option("--profile", help="Bench profile JSON written by `camfleet bench --json`."),
    ] = None,
    cameras: Annotated[
        int | None, typer.Option("--cameras", min=1, help="How many cameras.")
    ] = None,
    analyze_fps: Annotated[
        float | None,
        typer.Option(
            "--analyze-fps", min=0.001, help="Analysis rate per camera; default: the bench's."
        ),
    ] = None,
    mode: Annotated[str, typer.Option("--mode", help="shared | timeslice")] = "shared",
    gated: Annotated[
        bool, typer.Option("--gated", help="Use the motion-gated bench result.")
    ] = False,
    instances: Annotated[
        str | None,
        typer.Option(
            "--instances", help="Families or types, e.g. g4dn,g5,g6 (default: all that fit)."
        ),
    ] = None,
    pricing: Annotated[
        str, typer.Option("--pricing", help="on-demand | spot | FILE")
    ] = "on-demand",
    region: Annotated[
        str | None, typer.Option("--region", help="Must match the catalog's region.")
    ] = None,
    hours_per_month: Annotated[
        float | None,
        typer.Option("--hours-per-month", min=1.0, max=744.0, help="Billed hours; default 730."),
    ] = None,
    eks_fee: Annotated[
        bool, typer.Option("--eks-fee", help="Add the EKS control-plane fee.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
) -> None:
    """Plan instances for N cameras: cameras per instance, count, $/month and $/camera/month."""
    if ctx.invoked_subcommand is not None:
        return
    if profile is None or cameras is None:
        missing = "--profile" if profile is None else "--cameras"
        raise typer.BadParameter(
            "give --profile BENCH.json and --cameras N, or run `camfleet plan seed`",
            param_hint=f"'{missing}'",
        )
    check_choice("--mode", mode, ("shared", "timeslice"))
    catalog, price_kind = _catalog_and_pricing(pricing)
    request = PlanRequest(
        cameras=cameras,
        analyze_fps=analyze_fps,
        mode=cast(Literal["shared", "timeslice"], mode),
        gated=gated,
        families=tuple(f.strip() for f in (instances or "").split(",") if f.strip()),
        pricing=price_kind,
        region=region,
        eks_fee=eks_fee,
        hours_per_month=hours_per_month,
    )
    result = make_plan(load_profile(profile), catalog, request)
    if as_json:
        sys.stdout.write(json.dumps(plan_as_dict(result), indent=2) + "\n")
        return
    _print_plan(result, _console())


def _seed_as_dict(report: SeedReport) -> dict[str, Any]:
    data = asdict(report)
    data["timeslice"] = [
        {
            **asdict(step),
            "frames_per_s": step.frames_per_s,
            "gpu_ms_per_frame": step.gpu_ms_per_frame,
            "max_fps_per_camera": step.max_fps_per_camera,
        }
        for step in report.timeslice
    ]
    data["costs"] = [
        {
            **asdict(check),
            "difference_usd_per_camera": check.difference_usd_per_camera,
            "difference_pct": check.difference_pct,
            "hours_at_list_price": check.hours_at_list_price,
        }
        for check in report.costs
    ]
    return data


def _print_seed(report: SeedReport, console: Console) -> None:
    stages = " + ".join(f"{name} {ms:g}" for name, ms in report.stages_ms.items())
    console.print(
        "[bold]Seed case[/] (published AWS case study; YOLOv8, limits "
        f"${report.budget_usd:g}/camera/month and {report.slo_ms:g} ms per frame)"
    )
    console.print(
        f"Dedicated GPU, client-server: {stages} = {report.stage_sum_ms:.2f} ms "
        f"(published total {report.published_total_ms:g} ms)"
    )
    steps = Table(title="Time-slicing on one T4 (published ms per frame)", title_justify="left")
    for name in (
        "pods",
        "instance",
        "ms/frame",
        "GPU frames/s",
        "GPU ms per frame",
        "max fps per camera",
        f"within {report.slo_ms:g} ms",
    ):
        steps.add_column(name, justify="right", no_wrap=True)
    for step in report.timeslice:
        steps.add_row(
            str(step.pods),
            step.instance,
            f"{step.ms_per_frame:g}",
            f"{step.pods} x 1000 / {step.ms_per_frame:g} = {step.frames_per_s:.1f}",
            f"{step.gpu_ms_per_frame:.2f}",
            f"{step.max_fps_per_camera:.2f}",
            "yes" if step.ms_per_frame <= report.slo_ms else "no",
        )
    console.print(steps)
    console.print(f"[bold]Published $/camera/month vs list price[/] ({report.region} on-demand)")
    for check in report.costs:
        hours, cams = check.hours_per_month, check.cameras_per_instance
        verdict = "within" if check.list_usd_per_camera <= report.budget_usd else "over"
        console.print(
            f"{check.design} on {check.instance} ({cams} camera{'s' if cams > 1 else ''}):\n"
            f"  published  {_money(check.published_usd_per_camera)}/camera/month implies "
            f"{check.published_usd_per_camera:g} x {cams} / {hours:g} h = "
            f"${check.implied_usd_per_hour:.4f}/h\n"
            f"  list price ${check.list_usd_per_hour:.4f}/h gives "
            f"{check.list_usd_per_hour:g} x {hours:g} h / {cams} = "
            f"{_money(check.list_usd_per_camera)}/camera/month\n"
            f"  difference {check.difference_usd_per_camera:+.2f} $/camera/month "
            f"({check.difference_pct:+.1f}% on the hourly price); the published figure equals "
            f"{check.hours_at_list_price:.1f} billed hours a month at list price\n"
            f"  at list price: {verdict} the ${report.budget_usd:g}/camera/month budget",
            markup=False,
        )
    console.print(
        "- the case study does not name the dedicated design's instance: one camera per "
        "g4dn.xlarge (the cheapest T4 instance) is assumed",
        markup=False,
    )


@plan_app.command("seed")
def seed(
    pricing: Annotated[str, typer.Option("--pricing", help="on-demand | FILE")] = "on-demand",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the reproduction as JSON.")
    ] = False,
) -> None:
    """Reproduce the published seed case from its inputs, showing the arithmetic."""
    catalog, _ = _catalog_and_pricing(pricing)
    report = reproduce_seed(catalog)
    if as_json:
        sys.stdout.write(json.dumps(_seed_as_dict(report), indent=2) + "\n")
        return
    _print_seed(report, _console())


def register(app: typer.Typer) -> None:
    """Add ``camfleet plan`` and ``camfleet plan seed`` to the root app."""
    app.add_typer(plan_app, name="plan")
