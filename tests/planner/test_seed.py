"""The seed case: its own arithmetic, and list price vs published figures, unfudged."""

from __future__ import annotations

import pytest

from camfleet.planner.catalog import Catalog
from camfleet.planner.seed import reproduce_seed


def test_stage_times_add_up_to_the_published_total(catalog: Catalog) -> None:
    report = reproduce_seed(catalog)
    assert report.stage_sum_ms == pytest.approx(report.published_total_ms) == 21.96


def test_timeslice_54_pods_on_a_g4dn_8xlarge(catalog: Catalog) -> None:
    check = next(c for c in reproduce_seed(catalog).costs if c.cameras_per_instance == 54)
    assert check.instance == "g4dn.8xlarge"
    assert check.implied_usd_per_hour == pytest.approx(27.81 * 54 / 730)  # 2.0572
    assert round(check.implied_usd_per_hour, 3) == 2.057
    assert check.list_usd_per_hour == 2.176
    assert round(check.list_usd_per_camera, 2) == 29.42  # not the published 27.81
    assert round(check.difference_usd_per_camera, 2) == 1.61
    assert round(check.hours_at_list_price, 1) == 690.1


def test_dedicated_gpu_per_camera(catalog: Catalog) -> None:
    check = reproduce_seed(catalog).costs[0]
    assert (check.instance, check.cameras_per_instance) == ("g4dn.xlarge", 1)
    assert round(check.implied_usd_per_hour, 4) == 0.4836
    assert round(check.list_usd_per_camera, 2) == 383.98
    assert check.list_usd_per_camera > reproduce_seed(catalog).budget_usd


def test_time_slicing_throughput_grows_sublinearly(catalog: Catalog) -> None:
    steps = reproduce_seed(catalog).timeslice
    assert [s.pods for s in steps] == [1, 20, 54]
    assert [round(s.frames_per_s, 1) for s in steps] == [92.6, 185.2, 263.4]
    assert all(s.ms_per_frame <= 500 for s in steps)
    assert round(steps[-1].max_fps_per_camera, 2) == 4.88
