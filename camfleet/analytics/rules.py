"""Rules that turn tracked detections into :class:`~camfleet.events.Event` and
:class:`~camfleet.events.CountDelta` records, one implementation per rule type:

=================  =============================================  ==========================
type               module                                          needs tracks
=================  =============================================  ==========================
``presence``       :mod:`camfleet.analytics.sustained`             no
``crowd``          :mod:`camfleet.analytics.sustained`             no
``dwell``          :mod:`camfleet.analytics.dwell`                 yes
``line_crossing``  :mod:`camfleet.analytics.crossing`              yes
=================  =============================================  ==========================
"""

from __future__ import annotations

from collections.abc import Mapping

from camfleet.analytics.crossing import LineCrossingRule
from camfleet.analytics.dwell import DwellRule
from camfleet.analytics.rule_base import Rule, RuleBinding, RuleOutput
from camfleet.analytics.schema import RuleConfig, rule_id, rule_model
from camfleet.analytics.sustained import SustainedCountRule
from camfleet.config import CameraConfig

__all__ = ["Rule", "RuleBinding", "RuleOutput", "build_rule", "build_rules"]

_RULE_TYPES: dict[str, type[Rule]] = {
    "presence": SustainedCountRule,
    "crowd": SustainedCountRule,
    "dwell": DwellRule,
    "line_crossing": LineCrossingRule,
}


def build_rule(camera: CameraConfig, rule: RuleConfig, names: Mapping[int, str]) -> Rule:
    """Bind one configured rule of ``camera`` to its model's class ``names``."""
    binding = RuleBinding(
        camera_id=camera.id,
        model_id=rule_model(camera, rule),
        rule_id=rule_id(camera.id, rule),
        config=rule,
        names=names,
        zone=next((z for z in camera.zones if z.name == rule.zone), None),
        line=next((ln for ln in camera.lines if ln.name == rule.line), None),
        frame_size=camera.frame_size,
    )
    return _RULE_TYPES[rule.type](binding)


def build_rules(camera: CameraConfig, model_id: str, names: Mapping[int, str]) -> list[Rule]:
    """The rules of ``camera`` that watch model ``model_id``."""
    return [
        build_rule(camera, rule, names)
        for rule in camera.rules
        if rule_model(camera, rule) == model_id
    ]
