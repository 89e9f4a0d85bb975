"""The bench profile schema: what loads, what fails, and that failures name the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from camfleet.errors import ConfigError
from camfleet.planner.profile import PROFILE_SCHEMA, load_profile, parse_profile


def test_sample_profile_loads_and_says_it_is_constructed(sample_profile_path: Path) -> None:
    profile = load_profile(sample_profile_path)
    assert profile.schema_id == PROFILE_SCHEMA
    assert profile.source == "constructed"
    assert profile.device.kind == "gpu"
    assert profile.modes["shared"].capacity == 90
    assert profile.decode is not None and profile.decode.cameras_per_core == 35.0


def test_unknown_keys_are_ignored_for_forward_compatibility(profile_data: dict[str, Any]) -> None:
    profile_data["future_field"] = {"anything": 1}
    profile_data["modes"]["shared"]["gpu_util_pct"] = 97.0
    assert parse_profile(profile_data).modes["shared"].capacity == 90


def test_decode_may_be_null(profile_data: dict[str, Any]) -> None:
    profile_data["decode"] = None
    assert parse_profile(profile_data).decode is None


def _set(data: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for key in parents:
        data = data[key]
    if value is _DELETE:
        del data[last]
    else:
        data[last] = value


_DELETE = object()


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("modes.shared.capacity", -1, "bench.json: modes.shared.capacity: "),
        ("modes.shared.shed_pct", 120.0, "bench.json: modes.shared.shed_pct: "),
        ("schema", "camfleet.bench/9", "bench.json: schema: "),
        ("device.kind", "tpu", "bench.json: device.kind: "),
        ("analyze_fps", 0, "bench.json: analyze_fps: "),
        ("cpu", _DELETE, "bench.json: cpu: Field required"),
        ("decode.cameras_per_core", 0, "bench.json: decode.cameras_per_core: "),
        ("modes", {}, "bench.json: modes: "),
        ("modes.sharded", {"capacity": 3}, "unknown mode 'sharded'"),
    ],
)
def test_bad_profile_fails_with_one_line_naming_the_field(
    profile_data: dict[str, Any], field: str, value: Any, expected: str
) -> None:
    _set(profile_data, field, value)
    with pytest.raises(ConfigError) as info:
        parse_profile(profile_data, origin="bench.json")
    message = str(info.value)
    assert expected in message
    assert "\n" not in message


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read bench profile"):
        load_profile(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema": ')
    with pytest.raises(ConfigError, match=r"broken.json: invalid JSON at line 1"):
        load_profile(broken)
    listed = tmp_path / "list.json"
    listed.write_text(json.dumps([1, 2]))
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_profile(listed)


def test_older_profiles_are_measured_and_simulated_ones_say_so(
    profile_data: dict[str, Any],
) -> None:
    assert "measured" not in profile_data
    assert parse_profile(profile_data).measured is True
    simulated = parse_profile({**profile_data, "measured": False, "assumptions": ["a model"]})
    assert simulated.measured is False
    assert simulated.assumptions == ["a model"]
