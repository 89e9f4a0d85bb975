"""Presence and crowd: a count of watched objects above a threshold, sustained over time.

``presence`` holds while at least one object of the rule's classes is seen (in its zone, if
any); ``crowd`` while more than ``max_count`` are. A run of frames where it holds, with gaps
no longer than ``cooldown_s``, is one candidate; it becomes an event (emitted open) once it
spans ``min_frames`` frames and ``min_seconds``, and closes (emitted again, same id) when the
condition has not held for ``cooldown_s``. The event starts at the run's first frame and ends
at its last.
"""

from __future__ import annotations

from camfleet.analytics.event_state import OpenEvent
from camfleet.analytics.rule_base import Rule, RuleBinding, RuleOutput
from camfleet.frames import Detections, Frame

__all__ = ["SustainedCountRule"]


class SustainedCountRule(Rule):
    """A ``presence`` (threshold 0) or ``crowd`` (threshold ``max_count``) rule."""

    def __init__(self, binding: RuleBinding) -> None:
        super().__init__(binding)
        config = binding.config
        self._threshold = (config.max_count or 0) if config.type == "crowd" else 0
        self._run: OpenEvent | None = None
        self._last_true = 0.0

    def _attributes(self) -> dict[str, object]:
        if self.binding.config.type == "crowd":
            return {"max_count": self._threshold}
        return {}

    def _finish(self, out: RuleOutput) -> None:
        run = self._run
        self._run = None
        if run is not None and run.opened:
            out.events.append(
                run.to_event(
                    ended_at=run.last_seen,
                    class_fallback=self.binding.class_label,
                    attributes=self._attributes(),
                )
            )

    def update(self, frame: Frame, detections: Detections) -> RuleOutput:
        out = RuleOutput()
        now = frame.wall_time
        cooldown = self.binding.config.cooldown_s
        if self._run is not None and now - self._last_true > cooldown:
            self._finish(out)
        matched = detections[self.select(frame, detections)]
        if len(matched) <= self._threshold:
            return out
        if self._run is None:
            self._run = self.binding.open_event(frame, key="run")
        run = self._run
        run.observe(frame, matched)
        self._last_true = now
        config = self.binding.config
        if (
            not run.opened
            and run.frames >= config.min_frames
            and now - run.started_at >= config.min_seconds
        ):
            run.opened = True
            out.events.append(
                run.to_event(
                    ended_at=None,
                    class_fallback=self.binding.class_label,
                    attributes=self._attributes(),
                )
            )
        return out

    def close(self) -> RuleOutput:
        out = RuleOutput()
        self._finish(out)
        return out
