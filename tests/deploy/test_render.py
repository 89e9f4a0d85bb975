"""EKS rendering: golden files, offline schema validation, and cross-object consistency."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from camfleet.config import FleetConfig
from camfleet.deploy.eks import KUBERNETES_VERSION, EksOptions, Rendered, render_eks
from camfleet.deploy.sizing import Mode
from camfleet.deploy.validation import CUSTOM_KINDS, validate_objects
from camfleet.errors import PlanError
from camfleet.planner.profile import BenchProfile, load_profile

from .conftest import GOLDEN, GOLDEN_CASES, REGENERATE

Case = tuple[str, Rendered]


def _all(rendered: Rendered) -> list[dict[str, Any]]:
    return [obj for docs in rendered.objects.values() for obj in docs]


def _kind(rendered: Rendered, kind: str, component: str | None = None) -> list[dict[str, Any]]:
    return [
        o
        for o in _all(rendered)
        if o.get("kind") == kind
        and (
            component is None
            or o["metadata"].get("labels", {}).get("app.kubernetes.io/component") == component
        )
    ]


def test_golden_files(rendered_case: Case) -> None:
    name, rendered = rendered_case
    root = GOLDEN / name
    if REGENERATE:
        for old in root.rglob("*.yaml"):
            old.unlink()
        for relative, text in rendered.files.items():
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            (root / relative).write_text(text)
    expected = {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*.yaml"))}
    assert sorted(rendered.files) == sorted(expected), "set CAMFLEET_REGEN_GOLDEN=1 to update"
    for relative, text in rendered.files.items():
        assert text == expected[relative], f"{name}/{relative} differs from the golden file"


def test_rendering_is_deterministic(
    fleet: FleetConfig, profile: BenchProfile, rendered_case: Case
) -> None:
    name, rendered = rendered_case
    options, with_profile = GOLDEN_CASES[name]
    again = render_eks(fleet, options, profile=profile if with_profile else None)
    assert again.files == rendered.files


@pytest.mark.parametrize("version", [KUBERNETES_VERSION, "1.32"])
def test_core_objects_validate_strictly_offline(rendered_case: Case, version: str) -> None:
    _, rendered = rendered_case
    core = [o for o in _all(rendered) if o["kind"] not in CUSTOM_KINDS]
    kinds = {o["kind"] for o in core}
    assert {
        "StatefulSet",
        "Deployment",
        "Job",
        "Service",
        "ServiceAccount",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "Namespace",
    } <= kinds
    assert validate_objects(core, version) == []


def test_validation_can_fail(rendered_case: Case) -> None:
    _, rendered = rendered_case
    worker = copy.deepcopy(_kind(rendered, "Deployment", "worker")[0])
    worker["spec"]["template"]["spec"]["containers"][0]["gpu"] = 1  # unknown field
    worker["spec"]["replicas"] = "two"
    problems = validate_objects([worker], KUBERNETES_VERSION)
    assert len(problems) == 1 and "Deployment/camfleet-worker" in problems[0]


def test_workers_lease_cameras_up_to_their_capacity(rendered_case: Case) -> None:
    name, rendered = rendered_case
    assert not _kind(rendered, "StatefulSet", "worker")
    worker = _kind(rendered, "Deployment", "worker")[0]
    pod = worker["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    # No shard flags: a worker takes its cameras from the database, up to its capacity.
    capacity = {"shared": "90", "timeslice": "1"}[name]
    assert container["command"] == [
        "camfleet",
        "worker",
        "--capacity",
        capacity,
        "--metrics-port",
        "9400",
    ]
    env = {e["name"]: e for e in container["env"]}
    assert set(env) == {"CAMFLEET_DATABASE_URL"}
    assert env["CAMFLEET_DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {
        "name": "camfleet-database",
        "key": "url",
    }
    assert {p for p in ("livenessProbe", "readinessProbe", "startupProbe") if p in container} == {
        "livenessProbe",
        "readinessProbe",
        "startupProbe",
    }
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    # SIGTERM: drain in-flight batches and release the leases before the SIGKILL.
    assert pod["terminationGracePeriodSeconds"] >= 30
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod[
        "tolerations"
    ]
    assert pod["nodeSelector"] == {"camfleet.io/node-role": "gpu"}
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001  # the image's user (Containerfile)
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    expected_replicas = {"shared": 1, "timeslice": 6}[name]
    assert worker["spec"]["replicas"] == expected_replicas


def test_control_plane_serves_the_api_without_an_engine(rendered_case: Case) -> None:
    _, rendered = rendered_case
    api = _kind(rendered, "Deployment", "control-plane")[0]
    container = api["spec"]["template"]["spec"]["containers"][0]
    assert container["command"][:3] == ["camfleet", "serve", "--no-engine"]
    assert container["command"][3:] == ["--host", "0.0.0.0", "--port", "8080"]
    assert container["env"][0]["valueFrom"]["secretKeyRef"]["name"] == "camfleet-database"
    # serve refuses 0.0.0.0 without a key: the first key comes from a Secret, never a value
    [api_key] = [e for e in container["env"] if e["name"] == "CAMFLEET_API_KEY"]
    assert api_key == {"name": "CAMFLEET_API_KEY",
                       "valueFrom": {"secretKeyRef": {"name": "camfleet-api", "key": "token"}}}
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_fleet_reaches_the_database_through_an_import_job(rendered_case: Case) -> None:
    _, rendered = rendered_case
    assert not _kind(rendered, "ConfigMap", "config")
    [job] = rendered.objects["manifests/10-fleet-import.yaml"]
    assert job["kind"] == "Job"
    pod = job["spec"]["template"]["spec"]
    assert [c["command"] for c in pod["initContainers"]] == [["camfleet", "db", "upgrade"]]
    [importer] = pod["containers"]
    assert importer["command"] == ["camfleet", "fleet", "import", "/config/fleet.yaml"]
    assert importer["volumeMounts"] == [{"name": "fleet", "mountPath": "/config", "readOnly": True}]
    # Only a reference to the operator's Secret, never its content.
    assert pod["volumes"] == [
        {
            "name": "fleet",
            "secret": {
                "secretName": "camfleet-fleet",
                "items": [{"key": "fleet.yaml", "path": "fleet.yaml"}],
            },
        }
    ]
    assert job["spec"]["ttlSecondsAfterFinished"] > 0  # re-applying imports again


def test_selectors_match_their_pods(rendered_case: Case) -> None:
    _, rendered = rendered_case
    pods = [
        o["spec"]["template"]["metadata"]["labels"]
        for o in _all(rendered)
        if o["kind"] in ("StatefulSet", "Deployment")
    ]

    def matches(selector: dict[str, str]) -> bool:
        return any(selector.items() <= labels.items() for labels in pods)

    for obj in _all(rendered):
        if obj["kind"] == "Service":
            assert matches(obj["spec"]["selector"]), obj["metadata"]["name"]
        if obj["kind"] in ("StatefulSet", "Deployment", "PodDisruptionBudget"):
            assert matches(obj["spec"]["selector"]["matchLabels"]), obj["metadata"]["name"]
    hpa = _kind(rendered, "HorizontalPodAutoscaler")[0]
    deployments = {d["metadata"]["name"] for d in _kind(rendered, "Deployment")}
    assert hpa["spec"]["scaleTargetRef"]["name"] in deployments
    monitor = _kind(rendered, "ServiceMonitor")[0]
    monitored = [
        s
        for s in _kind(rendered, "Service")
        if monitor["spec"]["selector"]["matchLabels"].items() <= s["metadata"]["labels"].items()
    ]
    ports = {p["name"] for s in monitored for p in s["spec"]["ports"]}
    assert {e["port"] for e in monitor["spec"]["endpoints"]} == ports == {"metrics", "http"}


def test_time_slicing_config_follows_the_device_plugin_format(rendered_case: Case) -> None:
    name, rendered = rendered_case
    path = "cluster/nvidia-device-plugin/time-slicing-config.yaml"
    if name == "shared":
        assert path not in rendered.files
        return
    config_map = next(o for o in rendered.objects[path] if o["kind"] == "ConfigMap")
    values = yaml.safe_load(rendered.files["cluster/nvidia-device-plugin/values.yaml"])
    assert values["config"]["name"] == config_map["metadata"]["name"]
    config = yaml.safe_load(config_map["data"][values["config"]["default"]])
    assert config["version"] == "v1"
    assert config["sharing"]["timeSlicing"]["resources"] == [
        {"name": "nvidia.com/gpu", "replicas": 4}
    ]


def test_eksctl_cluster_config_structure(rendered_case: Case) -> None:
    name, rendered = rendered_case
    cluster = _kind(rendered, "ClusterConfig")[0]
    assert cluster["apiVersion"] == "eksctl.io/v1alpha5"
    assert cluster["metadata"] == {
        "name": "camfleet",
        "region": "us-east-1",
        "version": KUBERNETES_VERSION,
    }
    groups = {g["name"]: g for g in cluster["managedNodeGroups"]}
    gpu = groups["gpu"]
    assert gpu["instanceType"] == "g4dn.xlarge"
    assert gpu["labels"]["camfleet.io/node-role"] == "gpu"
    assert gpu["taints"] == [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}]
    assert gpu["minSize"] <= gpu["desiredCapacity"] <= gpu["maxSize"]
    assert gpu["desiredCapacity"] == rendered.sizing.nodes == {"shared": 1, "timeslice": 2}[name]
    assert any(a["name"] == "aws-ebs-csi-driver" for a in cluster.get("addons", [])) == (
        "manifests/20-database.yaml" in rendered.files
    )


def test_profile_sizes_the_workers(fleet: FleetConfig, profile: BenchProfile) -> None:
    rendered = render_eks(fleet, EksOptions(mode="shared"), profile=profile)
    # 6 cameras fit one T4 (90 at 2 fps); its 3.5 usable vCPUs served 90: 6 x 3.5/90 cores.
    assert (rendered.sizing.replicas, rendered.sizing.cpu_request) == (1, "233m")
    # Memory for all it may lease after a failover: (1400 fixed + 90 x 6 MB) x 1.25, to 64 Mi.
    assert rendered.sizing.worker_capacity == 90
    assert rendered.sizing.memory_request == "2432Mi"


H100_PROFILE = Path(__file__).resolve().parents[2] / "benchmarks" / "h100-yolov8n-2fps.json"


@pytest.mark.parametrize(("mode", "memory"), [("timeslice", "1344Mi"), ("shared", "3200Mi")])
def test_memory_requests_follow_the_measured_h100_profile(
    fleet: FleetConfig, mode: Mode, memory: str
) -> None:
    # Measured: one time-slice worker 1054 MB of host RSS; the shared engine 2541 MB at its
    # capacity of 101 cameras. Requests add 25 % headroom (1 GiB would be OOM-killed).
    rendered = render_eks(
        fleet,
        EksOptions(mode=mode, instance_type="p5.48xlarge", gpus_per_node=8),
        profile=load_profile(H100_PROFILE),
    )
    assert rendered.sizing.memory_request == memory
    worker = _kind(rendered, "Deployment", "worker")[0]
    requests = worker["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]
    assert requests["memory"] == memory


def test_default_time_slice_request_covers_a_measured_worker(fleet: FleetConfig) -> None:
    rendered = render_eks(fleet, EksOptions(mode="timeslice"))
    assert int(rendered.sizing.memory_request.removesuffix("Mi")) * 2**20 > 1054 * 10**6 * 1.2


@pytest.mark.parametrize(
    ("store", "objects", "listed"),
    [
        ("s3://snaps/site-a/", "arn:aws:s3:::snaps/site-a/*", {"s3:prefix": ["site-a/*"]}),
        ("s3://snaps", "arn:aws:s3:::snaps/*", None),
    ],
)
def test_s3_snapshot_store_gets_pod_identity_for_its_prefix(
    fleet: FleetConfig, store: str, objects: str, listed: dict[str, list[str]] | None
) -> None:
    rendered = render_eks(fleet, EksOptions(snapshot_store=store))
    cluster = _kind(rendered, "ClusterConfig")[0]
    assert {"name": "eks-pod-identity-agent"} in cluster["addons"]
    [association] = cluster["iam"]["podIdentityAssociations"]
    account = _kind(rendered, "ServiceAccount")[0]["metadata"]
    assert (association["namespace"], association["serviceAccountName"]) == (
        account["namespace"],
        account["name"],
    )
    write, listing = association["permissionPolicy"]["Statement"]
    assert write["Resource"] == [objects]
    assert set(write["Action"]) == {"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}
    assert listing["Resource"] == ["arn:aws:s3:::snaps"]
    assert listing.get("Condition", {}).get("StringLike") == listed
    pods = [o["spec"]["template"]["spec"] for o in _kind(rendered, "Deployment")]
    assert pods and all(p["serviceAccountName"] == account["name"] for p in pods)
    without = _kind(render_eks(fleet, EksOptions()), "ClusterConfig")[0]
    assert "podIdentityAssociations" not in without["iam"]


def test_external_database_renders_no_postgres(fleet: FleetConfig) -> None:
    rendered = render_eks(fleet, EksOptions(database="external"))
    assert "manifests/20-database.yaml" not in rendered.files
    assert not _kind(rendered, "StatefulSet", "database")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (EksOptions(replicas=7), "exceeds the fleet's 6 cameras"),
        (EksOptions(instance_type="g4dn.12xlarge", gpus_per_node=2), "disagrees with"),
        (EksOptions(instance_type="c7i.xlarge"), "has no GPU"),
        (EksOptions(instance_type="p9.huge"), "also pass --gpus-per-node"),
        (EksOptions(gpus_per_node=3), "no T4 instance with 3 GPU"),
        (
            EksOptions(
                mode="timeslice", time_slices=6, gpus_per_node=4, instance_type="g4dn.12xlarge"
            ),
            None,
        ),
    ],
)
def test_render_options_that_cannot_work(
    fleet: FleetConfig, options: EksOptions, message: str | None
) -> None:
    if message is None:
        assert render_eks(fleet, options).sizing.nodes == 1
        return
    with pytest.raises(PlanError, match=message):
        render_eks(fleet, options)


def test_node_type_is_the_cheapest_that_holds_its_pods(fleet: FleetConfig) -> None:
    # Default time-sliced pods request 500m and 1 GiB: 6 fit a g4dn.xlarge (3.5 usable
    # vCPU, 14.5 GiB), 12 need a g4dn.2xlarge.
    rendered = render_eks(fleet, EksOptions(mode="timeslice", time_slices=6))
    assert (rendered.instance_type, rendered.sizing.nodes) == ("g4dn.xlarge", 1)
    many = FleetConfig.model_validate(
        {"cameras": [{"id": f"c{i}", "source": "synthetic:1280x720@15"} for i in range(12)]}
    )
    assert render_eks(many, EksOptions(mode="timeslice", time_slices=12)).instance_type == (
        "g4dn.2xlarge"
    )
    with pytest.raises(PlanError, match="more than its 4 vCPU"):
        render_eks(many, EksOptions(mode="timeslice", time_slices=12, instance_type="g4dn.xlarge"))


def test_golden_directory_is_committed() -> None:
    for name in GOLDEN_CASES:
        assert (GOLDEN / name / "manifests" / "40-workers.yaml").is_file()


def test_write_round_trip(tmp_path: Path, rendered_case: Case) -> None:
    from camfleet.deploy.yamlio import write_files

    _, rendered = rendered_case
    written = write_files(rendered.files, tmp_path)
    assert len(written) == len(rendered.files)
    for path in written:
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
        relative = str(path.relative_to(tmp_path))
        if relative in rendered.objects:
            assert docs == rendered.objects[relative]
