"""The analytics part of the fleet schema: zones, lines, rules and their webhooks.

These models are fields of :class:`camfleet.config.CameraConfig` (``zones``, ``lines``,
``rules``). Checks that need the whole camera (names referenced by rules, points inside the
frame) live in :func:`check_camera_analytics`, which ``CameraConfig`` runs as a validator so
that every message names the camera and the zone, line or rule.

Imports point one way: :mod:`camfleet.config` builds on this module, never the reverse. The
checks read a camera and a fleet through the small protocols :class:`CameraAnalytics` and
:class:`FleetAnalytics`, which ``CameraConfig`` and ``FleetConfig`` satisfy.

Coordinates are ``normalized`` (fractions of the frame's width and height, 0..1) or ``pixel``
(relative to the camera's ``frame_size``, and scaled to the actual frame if it differs).

A line is directed, from its first point (``start``) to its second (``end``). Picture the
frame as a map and walk along the line from start to end: ``left`` and ``right`` are the
sides of your left and right hands. For example, a vertical line drawn from the bottom of the
picture (start) to the top (end) has ``left`` = the left half of the picture. An object
crossing to ``in_side`` counts as ``in``; crossing away from it counts as ``out``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from camfleet.analytics.geometry import polygon_area, polygon_self_intersects
from camfleet.errors import ConfigError

__all__ = [
    "CameraAnalytics",
    "Coords",
    "FleetAnalytics",
    "LineConfig",
    "RuleConfig",
    "RuleType",
    "WebhookConfig",
    "ZoneConfig",
    "check_camera_analytics",
    "check_class_names",
    "rule_id",
    "rule_model",
    "webhooks_by_rule",
]

Coords = Literal["normalized", "pixel"]
RuleType = Literal["presence", "dwell", "line_crossing", "crowd"]
Point = tuple[float, float]
_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ZoneConfig(_Strict):
    """A polygonal area of the picture, e.g. a loading bay or a crossing."""

    name: Annotated[str, Field(pattern=_NAME_PATTERN)]
    polygon: list[Point] = Field(description="outline points in order, at least 3")
    coords: Coords = "normalized"


class LineConfig(_Strict):
    """A directed counting line from ``points[0]`` (start) to ``points[1]`` (end)."""

    name: Annotated[str, Field(pattern=_NAME_PATTERN)]
    points: tuple[Point, Point] = Field(description="start and end point")
    in_side: Literal["left", "right"] = Field(
        "left", description="side (walking start → end) that counts as 'in'"
    )
    coords: Coords = "normalized"


class WebhookConfig(_Strict):
    """An HTTP endpoint that receives a rule's events as signed JSON POSTs."""

    url: Annotated[str, Field(pattern=r"^https?://")]
    secret: str | None = Field(
        None, description="HMAC-SHA256 key for the X-Camfleet-Signature header"
    )
    max_attempts: Annotated[int, Field(ge=1, le=100)] = 8


class RuleConfig(_Strict):
    """What turns detections into events.

    * ``presence``: a class is seen (in ``zone``, if given) for ``min_frames`` analysed frames
      and ``min_seconds``; the event closes once it has been absent for ``cooldown_s``.
    * ``dwell``: one tracked object of a class stays in ``zone`` for ``dwell_s``; one event
      per track, closed when the track has left (or vanished) for ``cooldown_s``.
    * ``line_crossing``: tracked objects crossing ``line``; per-minute in/out counts, and an
      event per crossing when ``emit_events``. A track re-crossing within ``cooldown_s`` is
      ignored (jitter on the line).
    * ``crowd``: more than ``max_count`` objects of a class (in ``zone``, if given), sustained
      like ``presence``.
    """

    name: Annotated[str, Field(pattern=_NAME_PATTERN)]
    type: RuleType
    classes: list[str] = Field(
        default_factory=list, description="class names the rule watches; empty: every class"
    )
    model: str | None = Field(None, description="model id; default: the camera's first model")
    zone: str | None = None
    line: str | None = None
    min_frames: Annotated[int, Field(ge=1)] = 1
    min_seconds: Annotated[float, Field(ge=0.0)] = 0.0
    dwell_s: Annotated[float, Field(gt=0.0)] | None = None
    max_count: Annotated[int, Field(ge=0)] | None = Field(
        None, description="crowd: an event when MORE than this many objects are present"
    )
    cooldown_s: Annotated[float, Field(ge=0.0)] = Field(
        2.0, description="absence tolerated before an event closes; re-crossing debounce"
    )
    emit_events: bool = Field(False, description="line_crossing: also an event per crossing")
    webhooks: list[WebhookConfig] = Field(default_factory=list)


class CameraAnalytics(Protocol):
    """What the checks read of one camera (:class:`camfleet.config.CameraConfig` is one)."""

    @property
    def id(self) -> str: ...
    @property
    def models(self) -> Sequence[str]: ...
    @property
    def frame_size(self) -> tuple[int, int] | None: ...
    @property
    def zones(self) -> Sequence[ZoneConfig]: ...
    @property
    def lines(self) -> Sequence[LineConfig]: ...
    @property
    def rules(self) -> Sequence[RuleConfig]: ...


class FleetAnalytics(Protocol):
    """What the checks read of a fleet (:class:`camfleet.config.FleetConfig` is one)."""

    @property
    def cameras(self) -> Sequence[CameraAnalytics]: ...


def rule_id(camera_id: str, rule: RuleConfig) -> str:
    """The fleet-wide id of a rule: ``"<camera_id>/<rule name>"``."""
    return f"{camera_id}/{rule.name}"


def rule_model(camera: CameraAnalytics, rule: RuleConfig) -> str:
    """The model whose detections the rule watches."""
    return rule.model if rule.model is not None else camera.models[0]


def _duplicate(names: Sequence[str]) -> str | None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            return name
        seen.add(name)
    return None


def _check_points(
    where: str, points: Sequence[Point], coords: Coords, frame_size: tuple[int, int] | None
) -> None:
    if coords == "normalized":
        limit_x, limit_y, unit = 1.0, 1.0, "normalized coordinates must be within [0, 1]"
    elif frame_size is None:
        return
    else:
        limit_x, limit_y = float(frame_size[0]), float(frame_size[1])
        unit = f"pixel coordinates must be within the frame_size {frame_size[0]}x{frame_size[1]}"
    for x, y in points:
        if not (0.0 <= x <= limit_x and 0.0 <= y <= limit_y):
            raise ValueError(f"{where}: point ({x:g}, {y:g}) is outside the frame; {unit}")


def _check_zone(camera_id: str, zone: ZoneConfig, frame_size: tuple[int, int] | None) -> None:
    where = f"camera {camera_id!r}: zone {zone.name!r}"
    if len(zone.polygon) < 3:
        raise ValueError(
            f"{where}: polygon has {len(zone.polygon)} points; a zone needs at least 3"
        )
    _check_points(where, zone.polygon, zone.coords, frame_size)
    crossing = polygon_self_intersects(zone.polygon)
    if crossing is not None:
        raise ValueError(
            f"{where}: polygon is self-intersecting (edges {crossing[0]} and {crossing[1]} "
            "touch or cross); list the points in order around the outline"
        )
    if polygon_area(zone.polygon) == 0.0:
        raise ValueError(f"{where}: polygon has zero area; its points must not all be collinear")
    if zone.coords == "pixel" and frame_size is None:
        raise ValueError(f"{where}: pixel coordinates need the camera's frame_size [W, H]")


def _check_line(camera_id: str, line: LineConfig, frame_size: tuple[int, int] | None) -> None:
    where = f"camera {camera_id!r}: line {line.name!r}"
    if line.points[0] == line.points[1]:
        raise ValueError(f"{where}: start and end are the same point; give two distinct points")
    _check_points(where, line.points, line.coords, frame_size)
    if line.coords == "pixel" and frame_size is None:
        raise ValueError(f"{where}: pixel coordinates need the camera's frame_size [W, H]")


def _check_rule(
    camera_id: str,
    models: Sequence[str],
    rule: RuleConfig,
    zone_names: set[str],
    line_names: set[str],
) -> None:
    where = f"camera {camera_id!r}: rule {rule.name!r}"
    if rule.model is not None and rule.model not in models:
        raise ValueError(
            f"{where}: model {rule.model!r} is not one of this camera's models {list(models)}"
        )
    if rule.zone is not None and rule.zone not in zone_names:
        known = sorted(zone_names) or "none defined"
        raise ValueError(f"{where}: unknown zone {rule.zone!r} (zones: {known})")
    if rule.line is not None and rule.line not in line_names:
        known = sorted(line_names) or "none defined"
        raise ValueError(f"{where}: unknown line {rule.line!r} (lines: {known})")
    if rule.type == "line_crossing":
        if rule.line is None:
            raise ValueError(f"{where}: a line_crossing rule needs 'line'")
        if rule.zone is not None:
            raise ValueError(f"{where}: a line_crossing rule takes 'line', not 'zone'")
    elif rule.line is not None:
        raise ValueError(f"{where}: 'line' applies only to line_crossing rules")
    if rule.type == "dwell" and (rule.zone is None or rule.dwell_s is None):
        raise ValueError(f"{where}: a dwell rule needs 'zone' and 'dwell_s'")
    if rule.type != "dwell" and rule.dwell_s is not None:
        raise ValueError(f"{where}: 'dwell_s' applies only to dwell rules")
    if rule.type == "crowd" and rule.max_count is None:
        raise ValueError(f"{where}: a crowd rule needs 'max_count' (more than K objects)")
    if rule.type != "crowd" and rule.max_count is not None:
        raise ValueError(f"{where}: 'max_count' applies only to crowd rules")
    duplicate_class = _duplicate(rule.classes)
    if duplicate_class is not None:
        raise ValueError(f"{where}: class {duplicate_class!r} is listed twice")


def check_camera_analytics(camera: CameraAnalytics) -> None:
    """Cross-object checks of one camera's zones, lines and rules; raises ``ValueError``."""
    for kind, names in (
        ("zone", [z.name for z in camera.zones]),
        ("line", [ln.name for ln in camera.lines]),
        ("rule", [r.name for r in camera.rules]),
    ):
        duplicate = _duplicate(names)
        if duplicate is not None:
            raise ValueError(
                f"camera {camera.id!r}: {kind} name {duplicate!r} is used twice; "
                f"{kind} names must be unique per camera"
            )
    for zone in camera.zones:
        _check_zone(camera.id, zone, camera.frame_size)
    for line in camera.lines:
        _check_line(camera.id, line, camera.frame_size)
    zone_names = {z.name for z in camera.zones}
    line_names = {ln.name for ln in camera.lines}
    for rule in camera.rules:
        _check_rule(camera.id, camera.models, rule, zone_names, line_names)


def check_class_names(
    fleet: FleetAnalytics, names_by_model: Mapping[str, Mapping[int, str]]
) -> None:
    """Check every rule's class names against its model's classes, once models are loaded.

    Raises :class:`ConfigError` naming the camera, the rule, the class and the valid names.
    """
    for camera in fleet.cameras:
        for rule in camera.rules:
            model_id = rule_model(camera, rule)
            names = names_by_model.get(model_id)
            if names is None:
                raise ConfigError(
                    f"camera {camera.id!r}: rule {rule.name!r}: model {model_id!r} has no "
                    "loaded class names; load the model before checking rules"
                )
            known = set(names.values())
            for class_name in rule.classes:
                if class_name not in known:
                    listed = ", ".join(names[k] for k in sorted(names))
                    raise ConfigError(
                        f"camera {camera.id!r}: rule {rule.name!r}: class {class_name!r} is not "
                        f"a class of model {model_id!r} (classes: {listed})"
                    )


def webhooks_by_rule(fleet: FleetAnalytics) -> dict[str, list[WebhookConfig]]:
    """Webhook targets of every rule that has any, keyed by rule id."""
    return {
        rule_id(camera.id, rule): list(rule.webhooks)
        for camera in fleet.cameras
        for rule in camera.rules
        if rule.webhooks
    }
