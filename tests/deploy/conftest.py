"""Fixtures for the deploy tests: a small fleet, the sample profile, and golden rendering."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from camfleet.config import FleetConfig, load_fleet
from camfleet.deploy.eks import EksOptions, Rendered, render_eks
from camfleet.planner.profile import BenchProfile, load_profile

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"
FLEET = HERE / "data" / "fleet.yaml"
SAMPLE_PROFILE = HERE.parent / "planner" / "data" / "sample_profile.json"
# CAMFLEET_REGEN_GOLDEN=1 pytest tests/deploy rewrites the golden files from the current code.
REGENERATE = os.environ.get("CAMFLEET_REGEN_GOLDEN") == "1"

# The two renderings pinned by golden files.
GOLDEN_CASES: dict[str, tuple[EksOptions, bool]] = {
    "shared": (EksOptions(mode="shared", image="registry.example/camfleet:0.1.0"), True),
    "timeslice": (
        EksOptions(mode="timeslice", time_slices=4, image="registry.example/camfleet:0.1.0"),
        False,
    ),
}


@pytest.fixture(scope="session")
def fleet_path() -> Path:
    return FLEET


@pytest.fixture(scope="session")
def fleet() -> FleetConfig:
    return load_fleet(FLEET)


@pytest.fixture(scope="session")
def profile() -> BenchProfile:
    return load_profile(SAMPLE_PROFILE)


@pytest.fixture(scope="session", params=sorted(GOLDEN_CASES))
def rendered_case(
    request: pytest.FixtureRequest, fleet: FleetConfig, profile: BenchProfile
) -> tuple[str, Rendered]:
    name = str(request.param)
    options, with_profile = GOLDEN_CASES[name]
    return name, render_eks(fleet, options, profile=profile if with_profile else None)
