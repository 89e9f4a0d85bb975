"""Queueing webhook deliveries in the outbox, inside the batch's transaction.

Each rule's URLs get one delivery when the writer first sees an event open and one when it
sees it closed (outbox ``phase`` ``open``/``closed``); an event first seen already closed gets
only the ``closed`` delivery. Replays of either state never queue a second one. The rule ->
webhooks map can be replaced at run time (cameras added through the API).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from camfleet.config import WebhookConfig
from camfleet.store.records import MergedEvent, webhook_payload
from camfleet.store.upserts import enqueue_deliveries, evict_outbox_overflow

__all__ = ["Outbox", "WebhookMap", "webhook_map"]

log = logging.getLogger(__name__)

WebhookMap = dict[str, tuple[WebhookConfig, ...]]


def webhook_map(webhooks_by_rule: Mapping[str, Sequence[WebhookConfig]]) -> WebhookMap:
    """The rules that have webhooks, each with its hooks (rules without any left out)."""
    return {rule: tuple(hooks) for rule, hooks in webhooks_by_rule.items() if hooks}


class Outbox:
    """Turns a batch's merged events into outbox rows, keeping at most ``cap`` pending."""

    def __init__(self, webhooks_by_rule: Mapping[str, Sequence[WebhookConfig]], cap: int) -> None:
        self._webhooks = webhook_map(webhooks_by_rule)
        self._lock = threading.Lock()
        self._cap = cap
        self.evicted = 0

    @property
    def webhooks(self) -> WebhookMap:
        with self._lock:
            return self._webhooks

    def set_webhooks(self, webhooks_by_rule: Mapping[str, Sequence[WebhookConfig]]) -> None:
        """Deliveries queued from now on follow ``webhooks_by_rule``."""
        replacement = webhook_map(webhooks_by_rule)
        with self._lock:
            self._webhooks = replacement

    def queue(
        self,
        connection: Connection,
        merged: Sequence[MergedEvent],
        rows: Sequence[dict[str, Any]],
        now: datetime,
    ) -> int:
        """Queue the deliveries of one batch; return how many."""
        webhooks = self.webhooks
        deliveries = [
            {
                "event_id": m.event.event_id,
                "phase": phase,
                "rule_id": m.event.rule_id,
                "url": hook.url,
                "payload": webhook_payload(row, phase),
                "attempts": 0,
                "max_attempts": hook.max_attempts,
                "next_attempt_at": now,
                "state": "pending",
                "created_at": now,
            }
            for m, row in zip(merged, rows, strict=True)
            for hook in webhooks.get(m.event.rule_id, ())
            for phase in ("open", "closed")
            if phase in m.phases
        ]
        if not deliveries:
            return 0
        enqueue_deliveries(connection, deliveries)
        evicted = evict_outbox_overflow(connection, self._cap, now)
        if evicted:
            self.evicted += evicted
            log.warning(
                "webhook outbox over %d pending deliveries: %d oldest marked dead (%d so far)",
                self._cap,
                evicted,
                self.evicted,
            )
        return len(deliveries)
