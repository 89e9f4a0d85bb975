"""Cross-camera dynamic batching with deadlines: a pure object, driven by an injected clock.

Frames of one model wait in groups keyed by their input shape (frames of one resolution share
a letterbox shape and can be stacked). :meth:`DeadlineBatcher.poll` releases a batch from the
group whose oldest frame has the earliest deadline when

* the group holds ``max_batch`` frames, or
* its oldest frame has waited ``max_wait_s`` (Triton's ``max_queue_delay``), or
* waiting longer would make that frame miss its deadline, given the expected inference time
  of the batch (learned online by :class:`~camfleet.engine.latency_model.LatencyModel`).

Fairness: frames whose deadlines lie within one batch's expected run time of the most urgent
one are equally urgent; among them the batch takes frames of the tenants (cameras) served
least so far, so cameras with a fixed capture phase never lose every tie.

A frame that cannot finish before its deadline even alone is shed (and reported once through
:meth:`take_shed`) instead of being processed late; with more than a full batch queued, so is
a frame that a full batch cannot finish in time (overload: full batches keep throughput at
the device's best instead of spiralling down to batches of one). A full batcher sheds the
frame with the earliest deadline: the one most likely to be late anyway. Threads around it
stay thin.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from camfleet.engine.latency_model import LatencyModel

__all__ = ["Batch", "BatchPolicy", "DeadlineBatcher"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class BatchPolicy:
    """The two numbers that define dynamic batching, plus a safety margin."""

    max_batch: int
    max_wait_s: float
    safety_s: float = 0.005
    stale_after_s: float = 2.0

    def __post_init__(self) -> None:
        if self.max_batch < 1:
            raise ValueError(f"max_batch must be >= 1, got {self.max_batch}")
        if self.max_wait_s < 0 or self.safety_s < 0:
            raise ValueError("max_wait_s and safety_s must be >= 0")


@dataclass(order=True, slots=True)
class _Entry(Generic[T]):
    deadline: float
    order: int
    enqueued_at: float = field(compare=False)
    key: Hashable = field(compare=False)
    item: T = field(compare=False)
    tenant: Hashable = field(compare=False, default=None)


@dataclass(frozen=True, slots=True)
class Batch(Generic[T]):
    """Items to run together: all share ``key``; ``deadlines`` is parallel to ``items``."""

    key: Hashable
    items: tuple[T, ...]
    deadlines: tuple[float, ...]
    enqueued_at: tuple[float, ...]
    released_at: float

    def __len__(self) -> int:
        return len(self.items)


class DeadlineBatcher(Generic[T]):
    """Earliest-deadline-first batcher; not thread-safe (its owner holds one lock)."""

    def __init__(
        self,
        policy: BatchPolicy,
        latency: LatencyModel,
        clock: Callable[[], float],
        capacity: int,
    ) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        self.policy = policy
        self.latency = latency
        self._clock = clock
        self._capacity = capacity
        self._groups: dict[Hashable, list[_Entry[T]]] = {}
        self._order = itertools.count()
        self._size = 0
        self._shed: list[T] = []
        self._served: Counter[Hashable] = Counter()
        self.shed_total = 0

    def __len__(self) -> int:
        return self._size

    @property
    def capacity(self) -> int:
        return self._capacity

    @capacity.setter
    def capacity(self, capacity: int) -> None:
        """Resize as cameras come and go; a smaller size takes effect at the next offer."""
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        self._capacity = capacity

    def offer(self, item: T, key: Hashable, deadline: float, tenant: Hashable = None) -> None:
        """Queue ``item`` (of ``tenant``, e.g. its camera); when full, the queued or offered
        item with the earliest deadline is shed."""
        entry = _Entry(deadline, next(self._order), self._clock(), key, item, tenant)
        heapq.heappush(self._groups.setdefault(key, []), entry)
        self._size += 1
        if self._size > self._capacity:
            self._shed_entry(self._earliest_group())

    def poll(self) -> Batch[T] | None:
        """Return a batch that is ready now, or None. Sheds hopeless frames first."""
        now = self._clock()
        self._shed_hopeless(now)
        if not self._size:
            return None
        key = self._earliest_group()
        group = self._groups[key]
        if self._ready_in(group, now) > 0:
            return None
        return self._release(key, now)

    def wait_time(self) -> float | None:
        """Seconds until :meth:`poll` may return a batch (0 if now), None when empty."""
        if not self._size:
            return None
        now = self._clock()
        return min(self._ready_in(group, now) for group in self._groups.values())

    def flush(self) -> list[Batch[T]]:
        """Everything still queued, as batches, regardless of readiness (for draining)."""
        now = self._clock()
        batches: list[Batch[T]] = []
        while self._size:
            batches.append(self._release(self._earliest_group(), now, respect_deadline=False))
        return batches

    def take_shed(self) -> list[T]:
        """Items shed since the last call (each reported once)."""
        shed, self._shed = self._shed, []
        return shed

    def _ready_in(self, group: list[_Entry[T]], now: float) -> float:
        if len(group) >= self.policy.max_batch:
            return 0.0
        head = group[0]
        by_wait = head.enqueued_at + self.policy.max_wait_s
        by_deadline = (
            head.deadline - self.latency.expected(len(group) + 1) - self.policy.safety_s
        )
        return max(0.0, min(by_wait, by_deadline) - now)

    def _earliest_group(self) -> Hashable:
        return min(self._groups, key=lambda key: self._groups[key][0].deadline)

    def _release(self, key: Hashable, now: float, respect_deadline: bool = True) -> Batch[T]:
        group = self._groups[key]
        taken = self._take_fairly(group, min(len(group), self.policy.max_batch))
        if respect_deadline:
            size = self._goodput_size([e.deadline for e in taken], now)
            for entry in taken[size:]:
                heapq.heappush(group, entry)
            taken = taken[:size]
        self._size -= len(taken)
        if respect_deadline:
            finish = now + self.latency.expected(size)
            late = [e for e in taken if e.deadline < finish]
            if late and len(late) < len(taken):
                taken = [e for e in taken if e.deadline >= finish]
                for entry in late:
                    self._shed.append(entry.item)
                    self.shed_total += 1
        if not group:
            del self._groups[key]
        self._served.update(e.tenant for e in taken)
        return Batch(
            key=key,
            items=tuple(e.item for e in taken),
            deadlines=tuple(e.deadline for e in taken),
            enqueued_at=tuple(e.enqueued_at for e in taken),
            released_at=now,
        )

    def _goodput_size(self, deadlines: list[float], now: float) -> int:
        """How many of the EDF-sorted candidates to run now: the size that finishes the most
        of them in time, counting the rest as the next batch (ties go to the larger batch).
        Shrinking a batch only to save its most urgent frame costs throughput and, under
        overload, makes every later frame later: a spiral down to batches of one."""
        total = len(deadlines)
        best_size, best_in_time = total, -1
        for size in range(total, 0, -1):
            first_done = now + self.latency.expected(size)
            in_time = size - bisect.bisect_left(deadlines, first_done, hi=size)
            if size < total:
                second_done = first_done + self.latency.expected(total - size)
                in_time += total - bisect.bisect_left(deadlines, second_done, lo=size)
            if in_time > best_in_time:
                best_size, best_in_time = size, in_time
        return best_size

    def _take_fairly(self, group: list[_Entry[T]], size: int) -> list[_Entry[T]]:
        tie_window = group[0].deadline + self.latency.expected(self.policy.max_batch)
        candidates: list[_Entry[T]] = []
        while group and (len(candidates) < size or group[0].deadline <= tie_window):
            candidates.append(heapq.heappop(group))
        candidates.sort(key=lambda e: (self._served[e.tenant], e.deadline, e.order))
        taken, rest = candidates[:size], candidates[size:]
        for entry in rest:
            heapq.heappush(group, entry)
        taken.sort()
        return taken

    def _shed_hopeless(self, now: float) -> None:
        # Trust the estimate only while it is fresh: when every frame looks hopeless nothing
        # runs, nothing is measured, and a pessimistic estimate would shed forever. A stale
        # estimate sheds only frames already past their deadline, so one runs and re-measures.
        fresh = now - self.latency.observed_at <= self.policy.stale_after_s
        alone = now + (self.latency.expected(1) if fresh else 0.0)
        # With a backlog of more than one full batch, throughput is what saves frames: full
        # batches run, and a frame that even a full batch started now cannot finish in time
        # is hopeless. Running it in a smaller batch would save it at the price of slower
        # batches for everything behind it, and under sustained overload that trade spirals
        # down to batches of one.
        full = now + (self.latency.expected(self.policy.max_batch) if fresh else 0.0)
        for key in list(self._groups):
            group = self._groups[key]
            while group and group[0].deadline < (
                full if len(group) > self.policy.max_batch else alone
            ):
                self._shed_entry(key)

    def _shed_entry(self, key: Hashable) -> None:
        group = self._groups[key]
        entry = heapq.heappop(group)
        if not group:
            del self._groups[key]
        self._size -= 1
        self._shed.append(entry.item)
        self.shed_total += 1
