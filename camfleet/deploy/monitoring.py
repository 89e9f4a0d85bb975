"""Prometheus scrape config: a Prometheus Operator ``ServiceMonitor`` for workers and API."""

from __future__ import annotations

from typing import Any

from camfleet.deploy.workloads import Names

__all__ = ["service_monitor"]


def service_monitor(names: Names) -> dict[str, Any]:
    """Scrape ``/metrics`` on every Service labelled ``camfleet.io/metrics: "true"``."""
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": names.metadata(names.app, "monitoring"),
        "spec": {
            "selector": {
                "matchLabels": {
                    "app.kubernetes.io/part-of": "camfleet",
                    "camfleet.io/metrics": "true",
                }
            },
            "namespaceSelector": {"matchNames": [names.namespace]},
            "endpoints": [
                {"port": "metrics", "path": "/metrics", "interval": "15s"},
                {"port": "http", "path": "/metrics", "interval": "30s"},
            ],
        },
    }
