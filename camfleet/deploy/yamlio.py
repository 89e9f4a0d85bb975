"""Deterministic YAML output for rendered manifests: block style, keys in insertion order."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from camfleet.errors import ConfigError

__all__ = ["dump_documents", "write_files"]

Manifest = dict[str, Any]


class _BlockDumper(yaml.SafeDumper):
    """Multi-line strings (embedded config files) as ``|`` literal blocks, readable in review.

    A value reused in two places is written out twice, never as a ``&id001`` anchor and alias:
    kubectl accepts those, but a reader (or a strict tool) should see each object whole.
    """

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _represent_str)


def dump_documents(documents: Iterable[Manifest], header: str = "") -> str:
    """One YAML stream, documents separated by ``---``; ``header`` becomes leading comments."""
    body = yaml.dump_all(
        list(documents),
        Dumper=_BlockDumper,
        sort_keys=False,
        default_flow_style=False,
        explicit_start=True,
        width=100,
    )
    comments = "".join(f"# {line}\n".replace("# \n", "#\n") for line in header.splitlines())
    return comments + body


def write_files(files: dict[str, str], out: Path) -> list[Path]:
    """Write ``{relative path: text}`` under ``out``; returns the paths written, sorted."""
    written = []
    try:
        for relative, text in sorted(files.items()):
            path = out / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
    except OSError as exc:
        raise ConfigError(
            f"{out}: cannot write manifests: {exc.strerror or exc}; pick a writable --out"
        ) from exc
    return written
