"""In-memory stand-ins for the store: an :class:`~camfleet.events.EventWriter` that records."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from camfleet.events import CountDelta, Event


class RecordingWriter:
    """Keeps every ``put_event``/``put_counts`` call, in order, like an upserting store would."""

    def __init__(self) -> None:
        self.emitted: list[Event] = []
        self.deltas: list[CountDelta] = []

    def put_event(self, event: Event) -> None:
        self.emitted.append(event)

    def put_counts(self, deltas: Sequence[CountDelta]) -> None:
        self.deltas.extend(deltas)

    @property
    def events(self) -> dict[str, Event]:
        """Latest version of each event, by id (what an upserting store ends up holding)."""
        return {event.event_id: event for event in self.emitted}

    def totals(self) -> Counter[tuple[str, str, str]]:
        """Summed counts by (region, class, direction)."""
        totals: Counter[tuple[str, str, str]] = Counter()
        for d in self.deltas:
            totals[(d.region, d.class_name, d.direction)] += d.count
        return totals
