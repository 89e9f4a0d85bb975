"""Offline schema validation of rendered core objects with ``kubernetes-validate``.

Custom resources (ServiceMonitor, eksctl ClusterConfig) have no bundled schema and are
skipped here; their structure is checked by the tests. ``kubernetes-validate`` is a development
dependency, imported only when validation is asked for.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from camfleet.errors import ConfigError

__all__ = ["CUSTOM_KINDS", "validate_directory", "validate_objects"]

CUSTOM_KINDS = frozenset({"ServiceMonitor", "ClusterConfig", "NodePool", "EC2NodeClass"})


def validate_objects(
    objects: Iterable[dict[str, Any]], kubernetes_version: str, origin: str = "manifest"
) -> list[str]:
    """One message per invalid core object (strict: unknown fields are errors)."""
    try:
        import kubernetes_validate
    except ImportError as exc:
        raise ConfigError(
            "kubernetes-validate is not installed; pip install 'camfleet[dev]' to validate"
        ) from exc
    problems = []
    for obj in objects:
        if not isinstance(obj, dict) or "kind" not in obj or obj.get("kind") in CUSTOM_KINDS:
            continue
        name = f"{obj['kind']}/{obj.get('metadata', {}).get('name', '?')}"
        try:
            kubernetes_validate.validate(obj, kubernetes_version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(part) for part in exc.path)
            problems.append(f"{origin}: {name}: {path}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError:
            problems.append(
                f"{origin}: {name}: no schema for {obj.get('apiVersion')} in Kubernetes "
                f"{kubernetes_version}"
            )
    return problems


def validate_directory(root: Path, kubernetes_version: str) -> tuple[int, list[str]]:
    """Validate every YAML document under ``root``; returns (core objects checked, problems)."""
    checked, problems = 0, []
    for path in sorted(root.rglob("*.yaml")):
        try:
            documents = [d for d in yaml.safe_load_all(path.read_text("utf-8")) if d]
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"{path}: cannot read manifest: {exc}; re-render it") from exc
        core = [d for d in documents if isinstance(d, dict) and "apiVersion" in d]
        checked += sum(1 for d in core if d.get("kind") not in CUSTOM_KINDS)
        problems += validate_objects(core, kubernetes_version, origin=str(path))
    return checked, problems
