from __future__ import annotations

from typing import Any

import pytest

from camfleet.analytics.schema import check_class_names, webhooks_by_rule
from camfleet.config import FleetConfig, parse_fleet
from camfleet.errors import ConfigError

NAMES = {"default": {0: "Normal", 1: "Fall"}}


def fleet(**camera: Any) -> FleetConfig:
    return parse_fleet({"cameras": [{"id": "dock-3", "source": "clip.mp4", **camera}]})


def test_camera_without_analytics_still_parses() -> None:
    camera = fleet().cameras[0]
    assert (camera.zones, camera.lines, camera.rules) == ([], [], [])


def test_full_analytics_config_parses() -> None:
    parsed = fleet(
        frame_size=[640, 272],
        zones=[
            {"name": "bay", "polygon": [[0, 0], [320, 0], [320, 272], [0, 272]], "coords": "pixel"}
        ],
        lines=[{"name": "road", "points": [[0.5, 1.0], [0.5, 0.0]], "in_side": "right"}],
        rules=[
            {"name": "falls", "type": "presence", "classes": ["Fall"], "min_frames": 3},
            {"name": "loiter", "type": "dwell", "zone": "bay", "dwell_s": 30},
            {"name": "crossings", "type": "line_crossing", "line": "road"},
            {
                "name": "crowded",
                "type": "crowd",
                "zone": "bay",
                "max_count": 4,
                "webhooks": [{"url": "http://127.0.0.1:9000/hook", "secret": "s"}],
            },
        ],
    )
    camera = parsed.cameras[0]
    assert [r.type for r in camera.rules] == ["presence", "dwell", "line_crossing", "crowd"]
    assert camera.lines[0].in_side == "right"
    hooks = webhooks_by_rule(parsed)
    assert list(hooks) == ["dock-3/crowded"]
    assert hooks["dock-3/crowded"][0].url == "http://127.0.0.1:9000/hook"


@pytest.mark.parametrize(
    ("camera", "message"),
    [
        (
            {"zones": [{"name": "bay", "polygon": [[0, 0], [1, 1], [1, 0], [0, 1]]}]},
            "camera 'dock-3': zone 'bay': polygon is self-intersecting (edges 0 and 2",
        ),
        (
            {"zones": [{"name": "bay", "polygon": [[0, 0], [1, 1]]}]},
            "camera 'dock-3': zone 'bay': polygon has 2 points; a zone needs at least 3",
        ),
        (
            {"zones": [{"name": "bay", "polygon": [[0, 0], [1.5, 0], [1, 1]]}]},
            "camera 'dock-3': zone 'bay': point (1.5, 0) is outside the frame; normalized",
        ),
        (
            {
                "frame_size": [640, 272],
                "zones": [
                    {"name": "bay", "polygon": [[0, 0], [700, 0], [9, 9]], "coords": "pixel"}
                ],
            },
            "zone 'bay': point (700, 0) is outside the frame; pixel coordinates must be within "
            "the frame_size 640x272",
        ),
        (
            {"zones": [{"name": "bay", "polygon": [[0, 0], [9, 0], [9, 9]], "coords": "pixel"}]},
            "camera 'dock-3': zone 'bay': pixel coordinates need the camera's frame_size",
        ),
        (
            {"zones": [{"name": "bay", "polygon": [[0, 0], [0.5, 0.5], [1, 1]]}]},
            "camera 'dock-3': zone 'bay': polygon has zero area",
        ),
        (
            {"lines": [{"name": "road", "points": [[0.5, 0.5], [0.5, 0.5]]}]},
            "camera 'dock-3': line 'road': start and end are the same point",
        ),
        (
            {"lines": [{"name": "road", "points": [[0.5, -0.1], [0.5, 1]]}]},
            "camera 'dock-3': line 'road': point (0.5, -0.1) is outside the frame",
        ),
        (
            {
                "zones": [
                    {"name": "bay", "polygon": [[0, 0], [1, 0], [1, 1]]},
                    {"name": "bay", "polygon": [[0, 0], [1, 0], [0, 1]]},
                ]
            },
            "camera 'dock-3': zone name 'bay' is used twice",
        ),
        (
            {"rules": [{"name": "r", "type": "dwell", "zone": "dock", "dwell_s": 5}]},
            "camera 'dock-3': rule 'r': unknown zone 'dock' (zones: none defined)",
        ),
        (
            {"rules": [{"name": "r", "type": "line_crossing", "line": "gate"}]},
            "camera 'dock-3': rule 'r': unknown line 'gate'",
        ),
        (
            {"rules": [{"name": "r", "type": "line_crossing"}]},
            "camera 'dock-3': rule 'r': a line_crossing rule needs 'line'",
        ),
        (
            {"rules": [{"name": "r", "type": "crowd"}]},
            "camera 'dock-3': rule 'r': a crowd rule needs 'max_count'",
        ),
        (
            {"rules": [{"name": "r", "type": "presence", "model": "other"}]},
            "camera 'dock-3': rule 'r': model 'other' is not one of this camera's models",
        ),
        (
            {"rules": [{"name": "r", "type": "presence"}, {"name": "r", "type": "crowd"}]},
            "camera 'dock-3': rule name 'r' is used twice",
        ),
    ],
)
def test_invalid_analytics_names_camera_item_and_problem(
    camera: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        fleet(**camera)
    text = str(caught.value)
    assert message in text
    assert "\n" not in text


def test_unknown_rule_field_is_rejected() -> None:
    with pytest.raises(ConfigError, match="zone_name"):
        fleet(rules=[{"name": "r", "type": "presence", "zone_name": "x"}])


def test_check_class_names_accepts_known_and_names_unknown() -> None:
    parsed = fleet(rules=[{"name": "falls", "type": "presence", "classes": ["Fall"]}])
    check_class_names(parsed, NAMES)
    typo = fleet(rules=[{"name": "falls", "type": "presence", "classes": ["Fal"]}])
    with pytest.raises(ConfigError) as caught:
        check_class_names(typo, NAMES)
    assert str(caught.value) == (
        "camera 'dock-3': rule 'falls': class 'Fal' is not a class of model 'default' "
        "(classes: Normal, Fall)"
    )


def test_check_class_names_needs_the_rule_model_loaded() -> None:
    parsed = fleet(rules=[{"name": "falls", "type": "presence", "classes": ["Fall"]}])
    with pytest.raises(ConfigError, match="model 'default' has no loaded class names"):
        check_class_names(parsed, {})
