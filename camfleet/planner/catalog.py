"""The price catalog: instance types, their hardware and hourly prices, each with date and source.

The packaged catalog is ``camfleet/planner/prices.yaml`` (schema ``camfleet.prices/1``); users
pass their own with ``camfleet plan --pricing FILE``. Unknown keys are rejected so a typo in a
hand-edited price file fails loudly, with the field named.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from camfleet.documents import load_document, validate_document

__all__ = [
    "DEFAULT_CATALOG_PATH",
    "Catalog",
    "GpuModel",
    "InstanceType",
    "gpu_model_of",
    "load_catalog",
    "parse_catalog",
]

DEFAULT_CATALOG_PATH = Path(__file__).resolve().parent / "prices.yaml"

Price = Annotated[float, Field(gt=0.0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GpuModel(_Strict):
    """A GPU model and its estimated inference throughput relative to a T4."""

    memory_gib: Annotated[float, Field(gt=0.0)]
    relative_throughput: Annotated[float, Field(gt=0.0)]
    source: str = Field(min_length=1)


class InstanceType(_Strict):
    """One purchasable instance type and its list price."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9-]+\.[a-z0-9-]+$")]
    vcpus: Annotated[int, Field(ge=1)]
    memory_gib: Annotated[float, Field(gt=0.0)]
    gpu: str | None = None
    gpu_count: Annotated[int, Field(ge=0)] = 0
    arch: Literal["x86_64", "arm64"] = "x86_64"
    on_demand_usd_per_hour: Price
    spot_usd_per_hour: Price | None = None
    as_of: date
    source: str = Field(min_length=1)

    @property
    def family(self) -> str:
        return self.name.split(".", 1)[0]

    @model_validator(mode="after")
    def _gpu_and_count_agree(self) -> InstanceType:
        if (self.gpu is None) != (self.gpu_count == 0):
            raise ValueError(
                f"instance {self.name!r}: set both gpu and gpu_count (>= 1), or neither"
            )
        return self


class Catalog(_Strict):
    """All prices for one region."""

    catalog: Literal["camfleet.prices/1"]
    region: str = Field(min_length=1)
    currency: Literal["USD"] = "USD"
    hours_per_month: Annotated[float, Field(gt=0.0, le=744.0)] = 730.0
    eks_control_plane_usd_per_hour: Annotated[float, Field(ge=0.0)] = 0.10
    eks_control_plane_source: str = ""
    sources: dict[str, str] = Field(default_factory=dict)
    gpus: dict[str, GpuModel] = Field(default_factory=dict)
    instances: list[InstanceType] = Field(min_length=1)

    @model_validator(mode="after")
    def _references_resolve(self) -> Catalog:
        names: set[str] = set()
        for instance in self.instances:
            if instance.name in names:
                raise ValueError(f"instance {instance.name!r} is listed twice")
            names.add(instance.name)
            if instance.gpu is not None and instance.gpu not in self.gpus:
                raise ValueError(
                    f"instance {instance.name!r} uses GPU {instance.gpu!r}, which is not in "
                    f"gpus ({sorted(self.gpus)}); add it there"
                )
            if self.sources and instance.source not in self.sources:
                raise ValueError(
                    f"instance {instance.name!r} cites source {instance.source!r}, which is not "
                    f"in sources ({sorted(self.sources)})"
                )
        return self

    def instance(self, name: str) -> InstanceType | None:
        return next((i for i in self.instances if i.name == name), None)

    def select(self, patterns: list[str] | None) -> list[InstanceType]:
        """Instances whose family or exact name is in ``patterns`` (all when ``None``)."""
        if not patterns:
            return list(self.instances)
        wanted = set(patterns)
        return [i for i in self.instances if i.name in wanted or i.family in wanted]


def gpu_model_of(device_name: str, known: list[str]) -> str | None:
    """Map a device name such as ``"NVIDIA L40S"`` or ``"Tesla T4"`` to a catalog GPU model.

    Whole-word match, longest model name first, so ``L4`` never matches ``L40S`` and ``A10``
    never matches ``A10G``.
    """
    for model in sorted(known, key=len, reverse=True):
        if re.search(rf"(?<![A-Za-z0-9]){re.escape(model)}(?![A-Za-z0-9])", device_name, re.I):
            return model
    return None


def parse_catalog(data: object, origin: str = "price catalog") -> Catalog:
    """Validate an already-parsed catalog; ``origin`` names it in error messages."""
    return validate_document(Catalog, data, origin)


def load_catalog(path: Path | None = None) -> Catalog:
    """Read the packaged catalog, or a user's price file (YAML or JSON)."""
    path = path or DEFAULT_CATALOG_PATH
    return parse_catalog(load_document(path, "price catalog"), origin=str(path))
