"""``camfleet deploy``: render Kubernetes manifests for a fleet, and validate them offline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, cast

import typer
from rich.console import Console

from camfleet.commands._checks import check_writable_dir
from camfleet.config import load_fleet
from camfleet.deploy.eks import KUBERNETES_VERSION, EksOptions, render_eks
from camfleet.deploy.validation import validate_directory
from camfleet.deploy.yamlio import write_files
from camfleet.errors import ConfigError
from camfleet.planner.profile import load_profile

__all__ = ["register"]

deploy_app = typer.Typer(
    help="Kubernetes manifests for a fleet (Amazon EKS).", no_args_is_help=True
)


def _choice(option: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise typer.BadParameter(f"{option} must be one of {', '.join(allowed)} (got {value!r})")
    return value


@deploy_app.command("render")
def render(
    fleet: Annotated[Path, typer.Option("--fleet", help="The fleet YAML to deploy.")],
    out: Annotated[Path, typer.Option("--out", help="Directory for the rendered files.")],
    target: Annotated[str, typer.Option("--target", help="Only eks for now.")] = "eks",
    mode: Annotated[str, typer.Option("--mode", help="shared | timeslice")] = "shared",
    profile: Annotated[
        Path | None,
        typer.Option("--profile", help="Bench profile: sizes workers and their requests."),
    ] = None,
    replicas: Annotated[
        int | None, typer.Option("--replicas", min=1, help="Worker pods (default: from plan).")
    ] = None,
    gpus_per_node: Annotated[
        int | None, typer.Option("--gpus-per-node", min=1, help="GPUs per GPU node.")
    ] = None,
    time_slices: Annotated[
        int | None,
        typer.Option("--time-slices", min=1, help="Time-slice mode: pods sharing one GPU."),
    ] = None,
    instance_type: Annotated[
        str | None, typer.Option("--instance-type", help="GPU node type, e.g. g4dn.xlarge.")
    ] = None,
    image: Annotated[
        str, typer.Option("--image", help="camfleet container image (e.g. your ECR URI).")
    ] = "camfleet:latest",
    namespace: Annotated[str, typer.Option("--namespace", help="Kubernetes namespace.")] = (
        "camfleet"
    ),
    region: Annotated[str, typer.Option("--region", help="AWS region for eksctl.")] = "us-east-1",
    database: Annotated[
        str, typer.Option("--database", help="statefulset (in-cluster) | external (e.g. RDS)")
    ] = "statefulset",
    snapshot_store: Annotated[
        str | None,
        typer.Option(
            "--snapshot-store",
            help="Where every pod keeps snapshots: s3://bucket/prefix (default: pod-local).",
        ),
    ] = None,
) -> None:
    """Render EKS manifests: fleet import, workers, control plane, database, monitoring, cluster.

    The fleet YAML only sizes the workers; nothing of it is written (it reaches the cluster
    through the camfleet-fleet Secret you create, imported by a Job).
    """
    _choice("--target", target, ("eks",))
    options = EksOptions(
        mode=cast(Literal["shared", "timeslice"], _choice("--mode", mode, ("shared", "timeslice"))),
        namespace=namespace,
        image=image,
        replicas=replicas,
        gpus_per_node=gpus_per_node,
        time_slices=time_slices,
        instance_type=instance_type,
        region=region,
        database=cast(
            Literal["statefulset", "external"],
            _choice("--database", database, ("statefulset", "external")),
        ),
        snapshot_store=snapshot_store,
    )
    if options.mode == "shared" and time_slices is not None:
        raise typer.BadParameter(
            f"--time-slices applies to --mode timeslice only (got --time-slices {time_slices}); "
            "add --mode timeslice or drop --time-slices"
        )
    check_writable_dir("--out", out)
    rendered = render_eks(
        load_fleet(fleet), options, profile=load_profile(profile) if profile else None
    )
    written = write_files(rendered.files, out)
    console = Console(highlight=False, soft_wrap=True)
    sizing = rendered.sizing
    slices = f", {sizing.time_slices} pods per GPU" if sizing.time_slices else ""
    console.print(
        f"Rendered {len(written)} files into {out}: {sizing.cameras} cameras on "
        f"{sizing.replicas} worker(s), {sizing.gpus} GPU(s), {sizing.nodes} x "
        f"{rendered.instance_type}{slices}.",
        markup=False,
    )
    for note in rendered.notes:
        console.print(f"- {note}", markup=False)


@deploy_app.command("validate")
def validate(
    directory: Annotated[Path, typer.Argument(help="A directory written by deploy render.")],
    kubernetes_version: Annotated[
        str, typer.Option("--kubernetes-version", help="Schema version to check against.")
    ] = KUBERNETES_VERSION,
) -> None:
    """Validate rendered core objects offline against the Kubernetes schemas (strict)."""
    if not directory.is_dir():
        raise ConfigError(f"{directory}: not a directory; pass the --out of deploy render")
    _check_kubernetes_version(kubernetes_version)
    checked, problems = validate_directory(directory, kubernetes_version)
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"{checked} core objects valid for Kubernetes {kubernetes_version}")


def _check_kubernetes_version(version: str) -> None:
    """A version kubernetes-validate has schemas for (when it is installed at all)."""
    try:
        from kubernetes_validate.utils import all_versions, major_minor
    except ImportError:
        return  # validate_directory names the missing package
    known = sorted({str(major_minor(v)) for v in all_versions()}, key=_version_key)
    if str(major_minor(version)) not in known:
        raise ConfigError(
            f"--kubernetes-version {version}: no schemas for it; use one of "
            f"{known[0]}..{known[-1]}"
        )


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def register(app: typer.Typer) -> None:
    """Add ``camfleet deploy`` to the root app."""
    app.add_typer(deploy_app, name="deploy")
