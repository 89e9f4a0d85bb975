"""Core Kubernetes objects for a camfleet install: config, workers, control plane, database.

Each function returns plain dicts ready for YAML; nothing here talks to a cluster. Names and
labels are shared through :class:`Names` so selectors, Services and monitors always agree.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from camfleet.deploy.sizing import Sizing

__all__ = [
    "CONTROL_PORT",
    "DATABASE_SECRET",
    "GPU_NODE_LABEL",
    "GPU_RESOURCE",
    "GPU_TAINT",
    "METRICS_PORT",
    "POD_INDEX_LABEL",
    "Names",
    "control_plane",
    "control_plane_autoscaler",
    "disruption_budgets",
    "fleet_config_map",
    "namespace",
    "postgres",
    "workers",
]

Manifest = dict[str, Any]

METRICS_PORT = 9400
CONTROL_PORT = 8080
DATABASE_SECRET = "camfleet-database"
# Set by the StatefulSet controller on every pod (beta in Kubernetes 1.28, GA in 1.32).
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
GPU_RESOURCE = "nvidia.com/gpu"
GPU_NODE_LABEL = ("camfleet.io/node-role", "gpu")
GPU_TAINT = {"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}
FLEET_FILE = "fleet.yaml"
FLEET_DIR = "/etc/camfleet"


@dataclass(frozen=True, slots=True)
class Names:
    """Object names and labels for one install."""

    namespace: str = "camfleet"
    image: str = "camfleet:latest"
    app: str = "camfleet"

    @property
    def fleet_config(self) -> str:
        return f"{self.app}-fleet"

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


def fleet_config_map(names: Names, fleet_yaml: str) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": names.metadata(names.fleet_config, "config"),
        "data": {FLEET_FILE: fleet_yaml},
    }


def _config_hash(fleet_yaml: str) -> str:
    return hashlib.sha256(fleet_yaml.encode("utf-8")).hexdigest()[:16]


def _database_env() -> dict[str, Any]:
    return {
        "name": "CAMFLEET_DATABASE_URL",
        "valueFrom": {"secretKeyRef": {"name": DATABASE_SECRET, "key": "url"}},
    }


def _fleet_volume(names: Names) -> tuple[dict[str, Any], dict[str, Any]]:
    volume = {"name": "fleet", "configMap": {"name": names.fleet_config}}
    mount = {"name": "fleet", "mountPath": FLEET_DIR, "readOnly": True}
    return volume, mount


def _http_probe(path: str, port: str, period: int, failures: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": port},
        "periodSeconds": period,
        "timeoutSeconds": 2,
        "failureThreshold": failures,
    }


def workers(names: Names, sizing: Sizing, fleet_yaml: str) -> list[Manifest]:
    """The headless Service and the GPU worker StatefulSet."""
    volume, mount = _fleet_volume(names)
    gpu = {GPU_RESOURCE: "1"}
    container = {
        "name": "worker",
        "image": names.image,
        "imagePullPolicy": "IfNotPresent",
        # Kubernetes expands $(VAR) from the container's env: no shell wrapper needed.
        "command": [
            "camfleet",
            "run",
            f"{FLEET_DIR}/{FLEET_FILE}",
            "--shard-index",
            "$(SHARD_INDEX)",
            "--shard-count",
            "$(SHARD_COUNT)",
            "--metrics-port",
            str(METRICS_PORT),
        ],
        "env": [
            {
                "name": "SHARD_INDEX",
                "valueFrom": {"fieldRef": {"fieldPath": f"metadata.labels['{POD_INDEX_LABEL}']"}},
            },
            {"name": "SHARD_COUNT", "value": str(sizing.replicas)},
            _database_env(),
        ],
        "ports": [{"name": "metrics", "containerPort": METRICS_PORT, "protocol": "TCP"}],
        "resources": {
            "requests": {"cpu": sizing.cpu_request, "memory": sizing.memory_request, **gpu},
            "limits": {"memory": sizing.memory_limit, **gpu},
        },
        # Model load (and a TensorRT engine build) can take minutes on first start.
        "startupProbe": _http_probe("/healthz", "metrics", period=5, failures=120),
        "livenessProbe": _http_probe("/healthz", "metrics", period=10, failures=3),
        "readinessProbe": _http_probe("/readyz", "metrics", period=5, failures=2),
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
    statefulset = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": names.metadata(names.worker, "worker"),
        "spec": {
            "serviceName": names.worker,
            "replicas": sizing.replicas,
            # Shards are independent: start and replace them all at once.
            "podManagementPolicy": "Parallel",
            "selector": {"matchLabels": names.selector("worker")},
            "template": {
                "metadata": {
                    "labels": names.labels("worker"),
                    "annotations": {
                        "camfleet.io/fleet-config-sha256": _config_hash(fleet_yaml),
                        "camfleet.io/mode": sizing.mode,
                    },
                },
                "spec": {
                    "terminationGracePeriodSeconds": 30,
                    "nodeSelector": {GPU_NODE_LABEL[0]: GPU_NODE_LABEL[1]},
                    "tolerations": [GPU_TAINT],
                    "containers": [container],
                    "volumes": [volume],
                },
            },
        },
    }
    return [service, statefulset]


def control_plane(names: Names, fleet_yaml: str, replicas: int = 2) -> list[Manifest]:
    """The API Deployment (``camfleet serve``) and its Service."""
    volume, mount = _fleet_volume(names)
    container = {
        "name": "api",
        "image": names.image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["camfleet", "serve", "--host", "0.0.0.0", "--port", str(CONTROL_PORT)],
        "env": [_database_env()],
        "ports": [{"name": "http", "containerPort": CONTROL_PORT, "protocol": "TCP"}],
        "resources": {
            "requests": {"cpu": "250m", "memory": "512Mi"},
            "limits": {"memory": "1Gi"},
        },
        "livenessProbe": _http_probe("/healthz", "http", period=10, failures=3),
        "readinessProbe": _http_probe("/readyz", "http", period=5, failures=2),
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
                "metadata": {
                    "labels": names.labels("control-plane"),
                    "annotations": {"camfleet.io/fleet-config-sha256": _config_hash(fleet_yaml)},
                },
                "spec": {
                    "terminationGracePeriodSeconds": 20,
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
    """CPU-based scaling of the API; workers scale by re-rendering (static shards)."""
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
