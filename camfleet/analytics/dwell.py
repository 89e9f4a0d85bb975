"""Dwell: a tracked object of a watched class stays inside a zone for ``dwell_s`` seconds.

A track's visit starts when its anchor is first seen in the zone and continues across gaps
no longer than ``cooldown_s`` (detector flicker, brief occlusion). Once the visit has lasted
``dwell_s`` the event opens, starting at the visit's start; it closes when the track has been
out of the zone (or unseen) for ``cooldown_s``. One event per track. Each new visit also adds
one ``present`` count for its class and minute (distinct visitors per minute).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from camfleet.analytics.event_state import OpenEvent
from camfleet.analytics.rule_base import Rule, RuleBinding, RuleOutput, minute_of
from camfleet.analytics.track_table import TrackTable
from camfleet.analytics.tracking import UNTRACKED
from camfleet.events import CountDelta
from camfleet.frames import Detections, Frame

__all__ = ["DwellRule"]

_VISITING, _OPEN, _DONE = 0, 1, 2
_FORGET_S = 300.0
"""A track unseen in the zone this long is forgotten (ByteTrack never reuses its ids)."""


class DwellRule(Rule):
    needs_tracks = True

    def __init__(self, binding: RuleBinding) -> None:
        super().__init__(binding)
        assert binding.config.dwell_s is not None  # guaranteed by the camera's validator
        self._dwell_s = binding.config.dwell_s
        self._tracks = TrackTable(
            since=np.float64, since_seq=np.int64, last=np.float64, state=np.int8
        )
        self._open: dict[int, OpenEvent] = {}

    def _visit_counts(self, frame: Frame, class_ids: npt.NDArray[np.int32]) -> list[CountDelta]:
        classes, counts = np.unique(class_ids, return_counts=True)
        zone = self.binding.region or ""
        return [
            CountDelta(
                camera_id=self.binding.camera_id,
                minute=minute_of(frame.wall_time),
                region=zone,
                class_name=self.binding.names.get(int(c), str(int(c))),
                direction="present",
                count=int(n),
            )
            for c, n in zip(classes, counts, strict=True)
        ]

    def _close(self, track_id: int, out: RuleOutput) -> None:
        event = self._open.pop(track_id)
        out.events.append(
            event.to_event(
                ended_at=event.last_seen,
                class_fallback=self.binding.class_label,
                attributes={"dwell_s": self._dwell_s},
            )
        )

    def update(self, frame: Frame, detections: Detections) -> RuleOutput:
        out = RuleOutput()
        now = frame.wall_time
        cooldown = self.binding.config.cooldown_s
        mask = self.select(frame, detections)
        if detections.tracker_id is not None:
            mask &= detections.tracker_id != UNTRACKED
        else:
            mask[:] = False
        inside = detections[mask]
        ids = inside.tracker_id if inside.tracker_id is not None else np.zeros(0, np.int64)

        table = self._tracks
        pos, found = table.find(ids)
        rows = pos[found]
        restart = (now - table["last"][rows] > cooldown) & (table["state"][rows] == _VISITING)
        table["since"][rows[restart]] = now
        table["since_seq"][rows[restart]] = frame.seq
        table["last"][rows] = now
        table.add(ids[~found], since=now, since_seq=frame.seq, last=now, state=_VISITING)
        visitors = np.concatenate((inside.class_id[found][restart], inside.class_id[~found]))
        if len(visitors):
            out.counts.extend(self._visit_counts(frame, visitors))

        # Re-find: add() reorders rows.
        pos, _ = table.find(ids)
        state = table["state"][pos]
        reached = (state == _VISITING) & (now - table["since"][pos] >= self._dwell_s)
        for i in np.flatnonzero(reached):
            track_id = int(ids[i])
            self._open[track_id] = self.binding.open_event(
                frame,
                key=f"track-{track_id}",
                start_seq=int(table["since_seq"][pos[i]]),
                started_at=float(table["since"][pos[i]]),
            )
        table["state"][pos[reached]] = _OPEN
        for i in np.flatnonzero(table["state"][pos] == _OPEN):
            event = self._open[int(ids[i])]
            if not (reached[i] or inside.confidence[i] > event.max_confidence):
                event.seen(now)  # the common case: no new best frame, no slicing
                continue
            event.observe(frame, inside[np.array([i])])
            if reached[i]:
                event.opened = True
                out.events.append(
                    event.to_event(
                        ended_at=None,
                        class_fallback=self.binding.class_label,
                        attributes={"dwell_s": self._dwell_s},
                    )
                )

        gone = now - table["last"] > cooldown
        closing = gone & (table["state"] == _OPEN)
        for track_id in table.ids[closing]:
            self._close(int(track_id), out)
        table["state"][closing] = _DONE
        table.keep(now - table["last"] <= max(_FORGET_S, 2 * cooldown))
        return out

    def close(self) -> RuleOutput:
        out = RuleOutput()
        for track_id in sorted(self._open):
            self._close(track_id, out)
        self._tracks.keep(np.zeros(len(self._tracks), np.bool_))
        return out
