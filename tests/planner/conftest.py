"""Fixtures for the planner tests: the sample profile (constructed) and the packaged catalog."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from camfleet.planner.catalog import Catalog, load_catalog
from camfleet.planner.profile import BenchProfile, parse_profile

DATA = Path(__file__).resolve().parent / "data"
SAMPLE_PROFILE = DATA / "sample_profile.json"


@pytest.fixture(scope="session")
def sample_profile_path() -> Path:
    return SAMPLE_PROFILE


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def profile_data() -> dict[str, Any]:
    """A fresh, mutable copy of the sample profile (a T4 measured, numbers constructed)."""
    return copy.deepcopy(json.loads(SAMPLE_PROFILE.read_text()))


@pytest.fixture
def profile(profile_data: dict[str, Any]) -> BenchProfile:
    return parse_profile(profile_data)


@pytest.fixture
def cpu_profile_data(profile_data: dict[str, Any]) -> dict[str, Any]:
    """The same shape measured on a 2-CPU machine without GPU, from a synthetic source."""
    data = copy.deepcopy(profile_data)
    data.update(
        device={"kind": "cpu", "name": "Intel Xeon @ 2.2 GHz", "count": 1},
        cpu={"model": "Intel Xeon @ 2.2 GHz", "cores": 2, "memory_gb": 24.0},
        provider="cpu",
        source="synthetic",
        decode={"ms_per_frame": 2.0, "cameras_per_core": 30.0},
    )
    data["modes"] = {
        "shared": {"capacity": 4, "rss_mb": 600.0, "rss_mb_per_camera": 5.0},
        "timeslice": {"capacity": 2, "rss_mb": 700.0, "rss_mb_per_camera": 350.0},
    }
    return data
