"""Render a fleet into Kubernetes manifests for Amazon EKS, deterministically.

Output layout (paths relative to ``--out``)::

    manifests/       core objects only: `kubectl apply -f manifests/`
      00-namespace.yaml  10-fleet-import.yaml  20-database.yaml (in-cluster PostgreSQL only)
      30-control-plane.yaml  40-workers.yaml  50-disruption-budgets.yaml  60-autoscaling.yaml
    monitoring/servicemonitor.yaml           needs the Prometheus Operator CRDs
    cluster/eksctl-cluster.yaml              `eksctl create cluster -f ...`
    cluster/nvidia-device-plugin/            time-slice mode: ConfigMap + Helm values

The fleet is read only to size the workers; nothing of it is rendered. Its cameras, models
and rules reach the database through a Job running ``camfleet fleet import`` on ``fleet.yaml``
from the ``camfleet-fleet`` Secret, and every pod reads the database URL from the
``camfleet-database`` Secret: the operator creates both, so no credential is ever rendered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from camfleet.config import FleetConfig
from camfleet.deploy.gpu_nodes import (
    DEVICE_PLUGIN_CHART_VERSION,
    DEVICE_PLUGIN_NAMESPACE,
    device_plugin_values,
    eksctl_cluster,
    time_slicing_config_map,
)
from camfleet.deploy.monitoring import service_monitor
from camfleet.deploy.sizing import Mode, Sizing, size_workers
from camfleet.deploy.workloads import (
    API_SECRET,
    DATABASE_SECRET,
    FLEET_SECRET,
    Names,
    control_plane,
    control_plane_autoscaler,
    disruption_budgets,
    fleet_import_job,
    namespace,
    postgres,
    service_account,
    workers,
)
from camfleet.deploy.yamlio import dump_documents
from camfleet.errors import PlanError
from camfleet.planner.catalog import Catalog, InstanceType, gpu_model_of, load_catalog
from camfleet.planner.cost import SYSTEM_RESERVED_MEMORY_GIB, usable_vcpus
from camfleet.planner.profile import BenchProfile

__all__ = ["KUBERNETES_VERSION", "EksOptions", "Rendered", "render_eks"]

# EKS standard-support version the manifests are validated against.
KUBERNETES_VERSION = "1.34"

Manifest = dict[str, Any]


@dataclass(frozen=True, slots=True)
class EksOptions:
    """What ``camfleet deploy render --target eks`` was asked for."""

    mode: Mode = "shared"
    namespace: str = "camfleet"
    image: str = "camfleet:latest"
    replicas: int | None = None
    gpus_per_node: int | None = None
    time_slices: int | None = None
    instance_type: str | None = None
    region: str = "us-east-1"
    database: Literal["statefulset", "external"] = "statefulset"
    # store.snapshot_store for every pod, e.g. s3://bucket/prefix (None: pod-local files).
    snapshot_store: str | None = None
    kubernetes_version: str = KUBERNETES_VERSION


@dataclass(frozen=True, slots=True)
class Rendered:
    """Rendered objects by output file, their YAML text, and the sizing behind them."""

    objects: dict[str, list[Manifest]]
    files: dict[str, str]
    sizing: Sizing
    instance_type: str
    notes: list[str] = field(default_factory=list)


def _gpus_per_node(options: EksOptions, catalog: Catalog) -> int:
    """GPUs per node: from --instance-type when the catalog knows it, else the option."""
    if not options.instance_type:
        return options.gpus_per_node or 1
    known = catalog.instance(options.instance_type)
    if known is None:
        if options.gpus_per_node is None:
            raise PlanError(
                f"--instance-type {options.instance_type} is not in the price catalog; "
                "also pass --gpus-per-node"
            )
        return options.gpus_per_node
    if known.gpu_count == 0:
        raise PlanError(f"--instance-type {known.name} has no GPU; pick a g4dn/g5/g6 type")
    if options.gpus_per_node not in (None, known.gpu_count):
        raise PlanError(
            f"--gpus-per-node {options.gpus_per_node} disagrees with {known.name}, which "
            f"has {known.gpu_count} GPU(s); drop one of the two"
        )
    return known.gpu_count


def _quantity_cores(value: str) -> float:
    return int(value.removesuffix("m")) / 1000 if value.endswith("m") else float(value)


def _misfit(sizing: Sizing, instance: InstanceType) -> str | None:
    """Why the pods one node must hold do not fit ``instance``, or ``None`` when they fit."""
    pods = min(sizing.gpus_per_node * (sizing.time_slices or 1), sizing.replicas)
    cores = pods * _quantity_cores(sizing.cpu_request)
    memory_gib = pods * int(sizing.memory_request.removesuffix("Mi")) / 1024
    free_memory = instance.memory_gib - SYSTEM_RESERVED_MEMORY_GIB
    if cores <= usable_vcpus(instance.vcpus) and memory_gib <= free_memory:
        return None
    return (
        f"{pods} worker pod(s) per {instance.name} need {cores:g} vCPU and {memory_gib:.1f} GiB, "
        f"more than its {instance.vcpus} vCPU / {instance.memory_gib:g} GiB"
    )


def _gpu_instance(
    options: EksOptions, catalog: Catalog, sizing: Sizing, profile: BenchProfile | None
) -> str:
    """The GPU node type: the one asked for, or the cheapest of the profile's GPU that fits."""
    if options.instance_type:
        known = catalog.instance(options.instance_type)
        problem = _misfit(sizing, known) if known else None
        if problem:
            raise PlanError(f"{problem}; pick a larger --instance-type or fewer --time-slices")
        return options.instance_type
    wanted = None
    if profile is not None and profile.device.kind == "gpu":
        wanted = gpu_model_of(profile.device.name, list(catalog.gpus))
    gpu = wanted or "T4"
    candidates = sorted(
        (i for i in catalog.instances if i.gpu == gpu and i.gpu_count == sizing.gpus_per_node),
        key=lambda i: (i.on_demand_usd_per_hour, i.name),
    )
    if not candidates:
        raise PlanError(
            f"no {gpu} instance with {sizing.gpus_per_node} GPU(s) in the price catalog; "
            "pass --instance-type"
        )
    for instance in candidates:
        if _misfit(sizing, instance) is None:
            return instance.name
    raise PlanError(
        f"{_misfit(sizing, candidates[-1])}; use more --replicas or fewer --time-slices"
    )


def _check_snapshot_store(setting: str | None) -> None:
    if setting is None:
        return
    scheme, _, rest = setting.partition("://")
    bucket = rest.split("/", 1)[0]
    if scheme != "s3" or not bucket:
        raise PlanError(
            f"--snapshot-store {setting!r}: pods on different nodes need a shared store; "
            "pass s3://bucket/prefix"
        )
    if "@" in bucket:
        raise PlanError(
            "--snapshot-store must not carry credentials; give the pods S3 access through "
            "IAM (EKS Pod Identity) instead"
        )


def _header(options: EksOptions, sizing: Sizing, what: str) -> str:
    slices = f", {sizing.time_slices} time slices per GPU" if sizing.time_slices else ""
    return (
        f"{what}\n"
        f"Rendered by `camfleet deploy render --target eks --mode {options.mode}` for Kubernetes "
        f"{options.kubernetes_version}:\n"
        f"{sizing.cameras} cameras, {sizing.replicas} worker(s), {sizing.gpus} GPU(s) on "
        f"{sizing.nodes} node(s){slices}. Re-render rather than edit."
    )


def render_eks(
    fleet: FleetConfig,
    options: EksOptions,
    profile: BenchProfile | None = None,
    catalog: Catalog | None = None,
) -> Rendered:
    """Render every manifest for ``fleet``; pure and deterministic."""
    catalog = catalog or load_catalog()
    _check_snapshot_store(options.snapshot_store)
    gpus_per_node = _gpus_per_node(options, catalog)
    fps = max(camera.analyze_fps for camera in fleet.cameras)
    sizing = size_workers(
        cameras=len(fleet.cameras),
        analyze_fps=fps,
        mode=options.mode,
        gpus_per_node=gpus_per_node,
        replicas=options.replicas,
        time_slices=options.time_slices,
        profile=profile,
    )
    if sizing.replicas > len(fleet.cameras):
        raise PlanError(
            f"--replicas {sizing.replicas} exceeds the fleet's {len(fleet.cameras)} cameras; "
            "some workers would have no camera"
        )
    instance_type = _gpu_instance(options, catalog, sizing, profile)
    names = Names(namespace=options.namespace, image=options.image)
    with_db = options.database == "statefulset"

    objects: dict[str, list[Manifest]] = {
        "manifests/00-namespace.yaml": [namespace(names), service_account(names)],
        "manifests/10-fleet-import.yaml": [fleet_import_job(names)],
        "manifests/30-control-plane.yaml": control_plane(names, options.snapshot_store),
        "manifests/40-workers.yaml": workers(names, sizing, options.snapshot_store),
        "manifests/50-disruption-budgets.yaml": disruption_budgets(names),
        "manifests/60-autoscaling.yaml": [control_plane_autoscaler(names)],
        "monitoring/servicemonitor.yaml": [service_monitor(names)],
        "cluster/eksctl-cluster.yaml": [
            eksctl_cluster(
                names,
                sizing,
                instance_type,
                options.region,
                options.kubernetes_version,
                with_db,
                options.snapshot_store,
            )
        ],
    }
    if with_db:
        objects["manifests/20-database.yaml"] = postgres(names)
    if sizing.time_slices is not None:
        objects["cluster/nvidia-device-plugin/time-slicing-config.yaml"] = time_slicing_config_map(
            sizing.time_slices
        )

    secret_hint = (
        f"Needs Secret {DATABASE_SECRET} (keys: url{', postgres-password' if with_db else ''}) "
        f"in namespace {options.namespace}."
    )
    headers = {
        "manifests/10-fleet-import.yaml": "Migrates the database and imports the fleet from "
        f"Secret {FLEET_SECRET} (key: fleet.yaml; create it from your fleet YAML). " + secret_hint,
        "manifests/20-database.yaml": "Single-instance PostgreSQL for small installs. "
        + secret_hint,
        "manifests/30-control-plane.yaml": "camfleet serve --no-engine: the API. Needs Secret "
        f"{API_SECRET} (key: token, from `camfleet apikey token`). " + secret_hint,
        "manifests/40-workers.yaml": "GPU workers; each leases up to "
        f"{sizing.worker_capacity} camera(s) from the database. {secret_hint}\n"
        f"Requests: {sizing.basis}.",
        "monitoring/servicemonitor.yaml": "Prometheus Operator scrape config (CRD).",
        "cluster/eksctl-cluster.yaml": "eksctl create cluster -f eksctl-cluster.yaml"
        + (
            " --install-nvidia-plugin=false (the plugin comes from Helm, time-sliced)"
            if sizing.time_slices
            else ""
        ),
        "cluster/nvidia-device-plugin/time-slicing-config.yaml": "kubectl apply this, then "
        f"helm install the nvidia-device-plugin chart {DEVICE_PLUGIN_CHART_VERSION} in "
        f"{DEVICE_PLUGIN_NAMESPACE} with values.yaml.",
    }
    files = {
        path: dump_documents(docs, _header(options, sizing, headers.get(path, "")).lstrip("\n"))
        for path, docs in objects.items()
    }
    if sizing.time_slices is not None:
        files["cluster/nvidia-device-plugin/values.yaml"] = dump_documents(
            [device_plugin_values()],
            _header(
                options,
                sizing,
                "Helm values for nvidia-device-plugin: "
                f"helm upgrade -i nvdp nvdp/nvidia-device-plugin --version "
                f"{DEVICE_PLUGIN_CHART_VERSION} -n {DEVICE_PLUGIN_NAMESPACE} -f values.yaml",
            ),
        )
    notes = []
    if not options.snapshot_store:
        notes.append(
            "snapshots stay on each pod's local volume, where the API cannot serve them; pass "
            "--snapshot-store s3://bucket/prefix"
        )
    providers = {model.provider for model in fleet.models.values()}
    if "cpu" in providers:
        notes.append(
            "some models use provider: cpu; on GPU nodes set provider: cuda (or tensorrt) in "
            "the fleet config"
        )
    return Rendered(objects, files, sizing, instance_type, notes)
