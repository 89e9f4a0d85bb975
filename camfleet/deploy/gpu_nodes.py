"""GPU node setup for EKS: the device plugin's time-slicing config and an eksctl cluster.

Time-slicing follows the NVIDIA k8s device plugin's config file format (``version: v1``,
``sharing.timeSlicing.resources``): with ``replicas: N`` each physical GPU is advertised as N
``nvidia.com/gpu`` resources, handed to pods in turns with no memory or fault isolation. The
plugin's Helm chart reads it from an existing ConfigMap named by ``config.name``, choosing the
key in ``config.default``.
"""

from __future__ import annotations

from typing import Any

import yaml

from camfleet.deploy.sizing import Sizing
from camfleet.deploy.workloads import GPU_NODE_LABEL, GPU_RESOURCE, Names

__all__ = [
    "DEVICE_PLUGIN_CHART_VERSION",
    "DEVICE_PLUGIN_NAMESPACE",
    "TIME_SLICING_CONFIG",
    "TIME_SLICING_KEY",
    "device_plugin_values",
    "eksctl_cluster",
    "snapshot_store_policy",
    "time_slicing_config_map",
]

Manifest = dict[str, Any]

DEVICE_PLUGIN_NAMESPACE = "nvidia-device-plugin"
DEVICE_PLUGIN_CHART_VERSION = "0.17.1"
TIME_SLICING_CONFIG = "camfleet-time-slicing"
TIME_SLICING_KEY = "camfleet"


def time_slicing_config(replicas: int) -> dict[str, Any]:
    """The device plugin config that shares each GPU among ``replicas`` pods."""
    return {
        "version": "v1",
        "flags": {"migStrategy": "none"},
        "sharing": {
            "timeSlicing": {
                # A pod asking for 2 slices would not get twice the GPU; refuse it instead.
                "failRequestsGreaterThanOne": True,
                "resources": [{"name": GPU_RESOURCE, "replicas": replicas}],
            }
        },
    }


def time_slicing_config_map(replicas: int) -> list[Manifest]:
    """The device plugin's namespace and the ConfigMap its Helm chart points at."""
    config_text = yaml.safe_dump(time_slicing_config(replicas), sort_keys=False)
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": DEVICE_PLUGIN_NAMESPACE}},
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": TIME_SLICING_CONFIG,
                "namespace": DEVICE_PLUGIN_NAMESPACE,
                "labels": {"app.kubernetes.io/part-of": "camfleet"},
            },
            "data": {TIME_SLICING_KEY: config_text},
        },
    ]


def device_plugin_values() -> dict[str, Any]:
    """Helm values for the ``nvidia-device-plugin`` chart that select the time-slicing config."""
    return {"config": {"name": TIME_SLICING_CONFIG, "default": TIME_SLICING_KEY}}


def eksctl_cluster(
    names: Names,
    sizing: Sizing,
    instance_type: str,
    region: str,
    kubernetes_version: str,
    with_database: bool,
    snapshot_store: str | None = None,
) -> Manifest:
    """An eksctl ``ClusterConfig``: a small system node group and a tainted GPU node group.

    With an S3 ``snapshot_store``, the camfleet ServiceAccount gets read/write access to that
    prefix through EKS Pod Identity (no keys anywhere).
    """
    gpu_nodes = sizing.nodes
    cluster: Manifest = {
        "apiVersion": "eksctl.io/v1alpha5",
        "kind": "ClusterConfig",
        "metadata": {"name": names.app, "region": region, "version": kubernetes_version},
        "iam": {"withOIDC": True},
        "managedNodeGroups": [
            {
                "name": "system",
                "instanceType": "m7i.large",
                "amiFamily": "AmazonLinux2023",
                "minSize": 2,
                "maxSize": 3,
                "desiredCapacity": 2,
                "privateNetworking": True,
                "labels": {"camfleet.io/node-role": "system"},
            },
            {
                "name": "gpu",
                "instanceType": instance_type,
                "amiFamily": "AmazonLinux2023",
                "minSize": gpu_nodes,
                "maxSize": gpu_nodes * 2,
                "desiredCapacity": gpu_nodes,
                "volumeSize": 100,
                "privateNetworking": True,
                "labels": {
                    GPU_NODE_LABEL[0]: GPU_NODE_LABEL[1],
                    # Matches the device plugin chart's default node affinity without NFD.
                    "nvidia.com/gpu.present": "true",
                },
                "taints": [{"key": GPU_RESOURCE, "value": "true", "effect": "NoSchedule"}],
            },
        ],
    }
    addons: list[Manifest] = []
    if with_database:
        addons.append(
            {"name": "aws-ebs-csi-driver", "wellKnownPolicies": {"ebsCSIController": True}}
        )
    if snapshot_store:
        addons.append({"name": "eks-pod-identity-agent"})
        cluster["iam"]["podIdentityAssociations"] = [
            {
                "namespace": names.namespace,
                "serviceAccountName": names.app,
                "permissionPolicy": snapshot_store_policy(snapshot_store),
            }
        ]
    if addons:
        cluster["addons"] = addons
    return cluster


def snapshot_store_policy(snapshot_store: str) -> Manifest:
    """An IAM policy document: objects under the store's prefix, and listing that prefix."""
    bucket, _, prefix = snapshot_store.removeprefix("s3://").partition("/")
    prefix = prefix.strip("/")
    objects = f"arn:aws:s3:::{bucket}/{prefix}/*" if prefix else f"arn:aws:s3:::{bucket}/*"
    listing: Manifest = {
        "Effect": "Allow",
        "Action": ["s3:ListBucket"],
        "Resource": [f"arn:aws:s3:::{bucket}"],
    }
    if prefix:
        listing["Condition"] = {"StringLike": {"s3:prefix": [f"{prefix}/*"]}}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                "Resource": [objects],
            },
            listing,
        ],
    }
