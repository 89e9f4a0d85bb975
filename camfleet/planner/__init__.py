"""The cost planner: bench profile + price catalog → instance choice and $/camera/month.

Reads bench results and price data, nothing else.
"""

from camfleet.planner.catalog import Catalog, InstanceType, load_catalog
from camfleet.planner.plan import Plan, PlanRequest, PlanRow, make_plan, plan_as_dict
from camfleet.planner.profile import BenchProfile, load_profile, parse_profile
from camfleet.planner.seed import SeedReport, reproduce_seed

__all__ = [
    "BenchProfile",
    "Catalog",
    "InstanceType",
    "Plan",
    "PlanRequest",
    "PlanRow",
    "SeedReport",
    "load_catalog",
    "load_profile",
    "make_plan",
    "parse_profile",
    "plan_as_dict",
    "reproduce_seed",
]
