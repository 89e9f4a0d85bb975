"""Core Kubernetes objects for a camfleet install: fleet import, workers, control plane, database.

Each function returns plain dicts ready for YAML; nothing here talks to a cluster. Names and
labels are shared through :class:`Names` so selectors, Services and monitors always agree.

No secret value is ever rendered: pods read the database URL from the ``camfleet-database``
Secret, and the fleet (camera URLs with credentials, webhook secrets) reaches the database
through a Job that imports ``fleet.yaml`` from the ``camfleet-fleet`` Secret; the operator
creates both Secrets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from camfleet.deploy.sizing import Sizing
from camfleet.store.location import SNAPSHOT_STORE_ENV

__all__ = [
    "API_SECRET",
    "CONTROL_PORT",
    "DATABASE_SECRET",
    "FLEET_SECRET",
    "GPU_NODE_LABEL",
    "GPU_RESOURCE",
    "GPU_TAINT",
    "METRICS_PORT",
    "Names",
    "control_plane",
    "control_plane_autoscaler",
    "disruption_budgets",
    "fleet_import_job",
    "namespace",
    "postgres",
    "service_account",
    "workers",
]

Manifest = dict[str, Any]

METRICS_PORT = 9400
CONTROL_PORT = 8080
DATABASE_SECRET = "camfleet-database"
FLEET_SECRET = "camfleet-fleet"
API_SECRET = "camfleet-api"
GPU_RESOURCE = "nvidia.com/gpu"
GPU_NODE_LABEL = ("camfleet.io/node-role", "gpu")
GPU_TAINT = {"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}
FLEET_FILE = "fleet.yaml"
FLEET_DIR = "/config"
# The image's working directory: camfleet-data/ (model cache, local snapshots) lives under it.
DATA_DIR = "/var/lib/camfleet"
# The image's non-root user (Containerfile).
IMAGE_UID = 10001
# A worker releases its leases after draining in-flight batches on SIGTERM; the API drains
# open requests. Kubernetes sends SIGKILL after this many seconds.
WORKER_GRACE_S = 60
CONTROL_GRACE_S = 30


@dataclass(frozen=True, slots=True)
class Names:
    """Object names and labels for one install."""

    namespace: str = "camfleet"
    image: str = "camfleet:latest"
    app: str = "camfleet"

    @property
    def fleet_import(self) -> str:
        return f"{self.app}-fleet-import"

    @property
    def worker(self) -> str:
        return f"{self.app}-worker"

    @property
    def control(self) -> str:
        return f"{self.app}-control"

    @property
    def postgres(self) -> str:
        return f"{self.app}-postgres"

    def labels(self, component: str) -> dict[str, str]:
        return {
            "app.kubernetes.io/name": self.app,
            "app.kubernetes.io/component": component,
            "app.kubernetes.io/part-of": "camfleet",
        }

    def selector(self, component: str) -> dict[str, str]:
        return {"app.kubernetes.io/name": self.app, "app.kubernetes.io/component": component}

    def metadata(self, name: str, component: str) -> dict[str, Any]:
        return {"name": name, "namespace": self.namespace, "labels": self.labels(component)}


def namespace(names: Names) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": names.namespace, "labels": {"app.kubernetes.io/part-of": "camfleet"}},
    }


def service_account(names: Names) -> Manifest:
    """The identity camfleet pods run as: grant it S3 access with EKS Pod Identity."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": names.metadata(names.app, "identity"),
    }


def _database_env() -> dict[str, Any]:
    return {
        "name": "CAMFLEET_DATABASE_URL",
        "valueFrom": {"secretKeyRef": {"name": DATABASE_SECRET, "key": "url"}},
    }


def _store_env(snapshot_store: str | None) -> list[dict[str, Any]]:
    env = [_database_env()]
    if snapshot_store:
        env.append({"name": SNAPSHOT_STORE_ENV, "value": snapshot_store})
    return env


def _pod_security() -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": IMAGE_UID,
        "runAsGroup": IMAGE_UID,
        "fsGroup": IMAGE_UID,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def _container_security() -> dict[str, Any]:
    return {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}


def _data_volume() -> tuple[dict[str, Any], dict[str, Any]]:
    # Pod-local scratch: the model cache and, without an S3 snapshot store, snapshots.
    return {"name": "data", "emptyDir": {}}, {"name": "data", "mountPath": DATA_DIR}


def _http_probe(path: str, port: str, period: int, failures: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": port},
        "periodSeconds": period,
        "timeoutSeconds": 2,
        "failureThreshold": failures,
    }


def fleet_import_job(names: Names) -> Manifest:
    """A Job that migrates the database and imports ``fleet.yaml`` from the fleet Secret.

    The import is idempotent; the Job deletes itself an hour after it finishes, so applying the
    manifests again (after updating the Secret) imports again.
    """

    def step(name: str, command: list[str]) -> dict[str, Any]:
        return {
            "name": name,
            "image": names.image,
            "imagePullPolicy": "IfNotPresent",
            "command": command,
            "env": [_database_env()],
            "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}},
            "securityContext": _container_security(),
            "volumeMounts": [{"name": "fleet", "mountPath": FLEET_DIR, "readOnly": True}],
        }

    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": names.metadata(names.fleet_import, "fleet-import"),
        "spec": {
            # Retries cover a database that is still starting.
            "backoffLimit": 10,
            "ttlSecondsAfterFinished": 3600,
            "template": {
                "metadata": {"labels": names.labels("fleet-import")},
                "spec": {
                    "restartPolicy": "OnFailure",
                    "serviceAccountName": names.app,
                    "securityContext": _pod_security(),
                    "initContainers": [step("migrate", ["camfleet", "db", "upgrade"])],
                    "containers": [
                        step("import", ["camfleet", "fleet", "import", f"{FLEET_DIR}/{FLEET_FILE}"])
                    ],
                    "volumes": [
                        {
                            "name": "fleet",
                            "secret": {
                                "secretName": FLEET_SECRET,
                                "items": [{"key": FLEET_FILE, "path": FLEET_FILE}],
                            },
                        }
                    ],
                },
            },
        },
    }


def workers(names: Names, sizing: Sizing, snapshot_store: str | None) -> list[Manifest]:
    """The worker Deployment (leasing cameras from the database) and its metrics Service."""
    volume, mount = _data_volume()
    gpu = {GPU_RESOURCE: "1"}
    container = {
        "name": "worker",
        "image": names.image,
        "imagePullPolicy": "IfNotPresent",
        "command": [
            "camfleet",
            "worker",
            "--capacity",
            str(sizing.worker_capacity),
            "--metrics-port",
            str(METRICS_PORT),
        ],
        "env": _store_env(snapshot_store),
        "ports": [{"name": "metrics", "containerPort": METRICS_PORT, "protocol": "TCP"}],
        "resources": {
            "requests": {"cpu": sizing.cpu_request, "memory": sizing.memory_request, **gpu},
            "limits": {"memory": sizing.memory_limit, **gpu},
        },
        # Model load (and a TensorRT engine build) can take minutes on first start.
        "startupProbe": _http_probe("/healthz", "metrics", period=5, failures=120),
        "livenessProbe": _http_probe("/healthz", "metrics", period=10, failures=3),
        "readinessProbe": _http_probe("/readyz", "metrics", period=5, failures=2),
        "securityContext": _container_security(),
        "volumeMounts": [mount],
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            **names.metadata(names.worker, "worker"),
            "labels": {**names.labels("worker"), "camfleet.io/metrics": "true"},
        },
        "spec": {
            "clusterIP": "None",
            "selector": names.selector("worker"),
            "ports": [{"name": "metrics", "port": METRICS_PORT, "targetPort": "metrics"}],
        },
    }
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": names.metadata(names.worker, "worker"),
        "spec": {
            "replicas": sizing.replicas,
            "selector": {"matchLabels": names.selector("worker")},
            # Replace one worker at a time: its cameras move to the others through leases.
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0},
            },
            "template": {
                "metadata": {
                    "labels": names.labels("worker"),
                    "annotations": {"camfleet.io/mode": sizing.mode},
                },
                "spec": {
                    "terminationGracePeriodSeconds": WORKER_GRACE_S,
                    "serviceAccountName": names.app,
                    "securityContext": _pod_security(),
                    "nodeSelector": {GPU_NODE_LABEL[0]: GPU_NODE_LABEL[1]},
                    "tolerations": [GPU_TAINT],
                    "containers": [container],
                    "volumes": [volume],
                },
            },
        },
    }
    return [service, deployment]


def control_plane(names: Names, snapshot_store: str | None, replicas: int = 2) -> list[Manifest]:
    """The API Deployment (``camfleet serve --no-engine``: workers run the engines) and Service."""
    volume, mount = _data_volume()
    container = {
        "name": "api",
        "image": names.image,
        "imagePullPolicy": "IfNotPresent",
        "command": [
            "camfleet",
            "serve",
            "--no-engine",
            "--host",
            "0.0.0.0",
            "--port",
            str(CONTROL_PORT),
        ],
        # serve refuses a non-loopback address without a key: the first one comes from a
        # Secret (`camfleet apikey token`), stored hashed as the key named 'env'.
        "env": [
            *_store_env(snapshot_store),
            {
                "name": "CAMFLEET_API_KEY",
                "valueFrom": {"secretKeyRef": {"name": API_SECRET, "key": "token"}},
            },
        ],
        "ports": [{"name": "http", "containerPort": CONTROL_PORT, "protocol": "TCP"}],
        "resources": {
            "requests": {"cpu": "250m", "memory": "512Mi"},
            "limits": {"memory": "1Gi"},
        },
        "livenessProbe": _http_probe("/healthz", "http", period=10, failures=3),
        "readinessProbe": _http_probe("/readyz", "http", period=5, failures=2),
        "securityContext": _container_security(),
        "volumeMounts": [mount],
    }
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": names.metadata(names.control, "control-plane"),
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": names.selector("control-plane")},
            "template": {
                "metadata": {"labels": names.labels("control-plane")},
                "spec": {
                    "terminationGracePeriodSeconds": CONTROL_GRACE_S,
                    "serviceAccountName": names.app,
                    "securityContext": _pod_security(),
                    "containers": [container],
                    "volumes": [volume],
                },
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            **names.metadata(names.control, "control-plane"),
            "labels": {**names.labels("control-plane"), "camfleet.io/metrics": "true"},
        },
        "spec": {
            "type": "ClusterIP",
            "selector": names.selector("control-plane"),
            "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
        },
    }
    return [deployment, service]


def postgres(names: Names, storage_gib: int = 20) -> list[Manifest]:
    """A single-instance PostgreSQL for small installs (use RDS for production)."""
    storage_class_name = f"{names.app}-gp3"
    storage_class = {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": storage_class_name, "labels": names.labels("database")},
        # EKS 1.30+ clusters have no default StorageClass; gp3 needs the EBS CSI driver add-on.
        "provisioner": "ebs.csi.aws.com",
        "parameters": {"type": "gp3"},
        "reclaimPolicy": "Retain",
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": True,
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": names.metadata(names.postgres, "database"),
        "spec": {
            "clusterIP": "None",
            "selector": names.selector("database"),
            "ports": [{"name": "postgres", "port": 5432, "targetPort": "postgres"}],
        },
    }
    ready = ["pg_isready", "-U", "camfleet", "-d", "camfleet"]
    container = {
        "name": "postgres",
        "image": "postgres:16",
        "env": [
            {"name": "POSTGRES_DB", "value": "camfleet"},
            {"name": "POSTGRES_USER", "value": "camfleet"},
            {
                "name": "POSTGRES_PASSWORD",
                "valueFrom": {
                    "secretKeyRef": {"name": DATABASE_SECRET, "key": "postgres-password"}
                },
            },
            {"name": "PGDATA", "value": "/var/lib/postgresql/data/pgdata"},
        ],
        "ports": [{"name": "postgres", "containerPort": 5432, "protocol": "TCP"}],
        "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "2Gi"}},
        "readinessProbe": {"exec": {"command": ready}, "periodSeconds": 5},
        "livenessProbe": {"exec": {"command": ready}, "periodSeconds": 20, "failureThreshold": 6},
        "volumeMounts": [{"name": "data", "mountPath": "/var/lib/postgresql/data"}],
    }
    statefulset = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": names.metadata(names.postgres, "database"),
        "spec": {
            "serviceName": names.postgres,
            "replicas": 1,
            "selector": {"matchLabels": names.selector("database")},
            "template": {
                "metadata": {"labels": names.labels("database")},
                "spec": {"terminationGracePeriodSeconds": 60, "containers": [container]},
            },
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data"},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "storageClassName": storage_class_name,
                        "resources": {"requests": {"storage": f"{storage_gib}Gi"}},
                    },
                }
            ],
        },
    }
    return [storage_class, service, statefulset]


def disruption_budgets(names: Names) -> list[Manifest]:
    """Voluntary evictions (node drains, upgrades) take at most one worker at a time."""
    return [
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": names.metadata(names.worker, "worker"),
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": names.selector("worker")}},
        },
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": names.metadata(names.control, "control-plane"),
            "spec": {
                "minAvailable": 1,
                "selector": {"matchLabels": names.selector("control-plane")},
            },
        },
    ]


def control_plane_autoscaler(names: Names, max_replicas: int = 6) -> Manifest:
    """CPU-based scaling of the API; workers are sized from the measured profile."""
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": names.metadata(names.control, "control-plane"),
        "spec": {
            "scaleTargetRef": {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "name": names.control,
            },
            "minReplicas": 2,
            "maxReplicas": max_replicas,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": 70},
                    },
                }
            ],
        },
    }
