"""The packaged price catalog and user price files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from camfleet.errors import ConfigError
from camfleet.planner.catalog import DEFAULT_CATALOG_PATH, Catalog, gpu_model_of, load_catalog


def test_every_price_has_a_date_and_a_known_source(catalog: Catalog) -> None:
    assert catalog.region == "us-east-1"
    for instance in catalog.instances:
        assert instance.as_of.year >= 2025
        assert instance.source in catalog.sources
    for gpu in catalog.gpus.values():
        assert gpu.source in catalog.sources


@pytest.mark.parametrize(
    ("name", "price", "gpus"),
    [
        ("g4dn.xlarge", 0.526, 1),
        ("g4dn.2xlarge", 0.752, 1),
        ("g4dn.4xlarge", 1.204, 1),
        ("g4dn.8xlarge", 2.176, 1),
        ("g4dn.12xlarge", 3.912, 4),
        ("g4dn.16xlarge", 4.352, 1),
    ],
)
def test_g4dn_list_prices(catalog: Catalog, name: str, price: float, gpus: int) -> None:
    instance = catalog.instance(name)
    assert instance is not None
    assert instance.on_demand_usd_per_hour == price
    assert (instance.gpu, instance.gpu_count) == ("T4", gpus)


def test_catalog_covers_the_families_asked_for(catalog: Catalog) -> None:
    families = {i.family for i in catalog.instances}
    assert {"g4dn", "g5", "g6", "g6e"} <= families
    assert any(i.gpu is None for i in catalog.instances), "CPU instances for CPU-only fleets"
    assert [i.name for i in catalog.select(["g6", "c7i.xlarge"])][-1] == "c7i.xlarge"


@pytest.mark.parametrize(
    ("device", "model"),
    [
        ("NVIDIA H100 80GB HBM3", "H100"),
        ("Tesla T4", "T4"),
        ("NVIDIA A10G", "A10G"),
        ("NVIDIA L4", "L4"),
        ("NVIDIA L40S", "L40S"),
        ("NVIDIA A10", None),
        ("NVIDIA A100-SXM4-40GB", None),
    ],
)
def test_gpu_names_map_to_catalog_models(catalog: Catalog, device: str, model: str | None) -> None:
    assert gpu_model_of(device, list(catalog.gpus)) == model


def _packaged() -> dict[str, Any]:
    data = yaml.safe_load(DEFAULT_CATALOG_PATH.read_text())
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["instances"][0].update(on_demand_usd_per_hour=-1), "instances[0].on_demand"),
        (lambda d: d["instances"][0].update(price=1.0), "instances[0].price: Extra inputs"),
        (lambda d: d["instances"][0].update(gpu="V100"), "uses GPU 'V100'"),
        (lambda d: d["instances"][0].update(source="a blog"), "cites source 'a blog'"),
        (lambda d: d["instances"][0].pop("as_of"), "instances[0].as_of: Field required"),
        (lambda d: d["instances"].append(dict(d["instances"][0])), "listed twice"),
        (lambda d: d.update(catalog="prices/2"), "prices.yaml: catalog: "),
    ],
)
def test_bad_price_file_fails_with_one_line_naming_the_field(
    tmp_path: Path, mutate: Any, expected: str
) -> None:
    data = _packaged()
    mutate(data)
    path = tmp_path / "prices.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as info:
        load_catalog(path)
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


def test_users_can_pass_their_own_json_price_file(tmp_path: Path) -> None:
    import json

    data = _packaged()
    data["instances"] = [dict(data["instances"][0], on_demand_usd_per_hour=0.3)]
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(data, default=str))
    assert load_catalog(path).instances[0].on_demand_usd_per_hour == 0.3
