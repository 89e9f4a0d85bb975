"""A processor-shared resource: the fluid limit of round-robin turns between jobs.

``parallelism`` jobs run at full speed (a CPU's free cores, a GPU's one context); beyond
that each runs at ``parallelism / n``. On a GPU, when several contexts take turns, each
turn of ``quantum_s`` also pays ``switch_s`` to switch contexts, so useful work runs at
``quantum_s / (quantum_s + switch_s)`` of the device. A job may use up to ``job_threads``
of the parallelism at once (a multi-threaded process alone on several cores).
"""

from __future__ import annotations

import math

__all__ = ["SharedResource"]


class SharedResource:
    def __init__(
        self,
        parallelism: float,
        switch_s: float = 0.0,
        quantum_s: float = 0.002,
        job_threads: float = 1.0,
    ) -> None:
        if parallelism <= 0 or quantum_s <= 0 or switch_s < 0 or job_threads <= 0:
            raise ValueError("parallelism, quantum_s, job_threads must be > 0, switch_s >= 0")
        self.parallelism = parallelism
        self._job_threads = min(job_threads, parallelism)
        self._efficiency = quantum_s / (quantum_s + switch_s)
        self._remaining: dict[int, float] = {}
        self._updated = 0.0

    def __len__(self) -> int:
        return len(self._remaining)

    def rate(self) -> float:
        """Work-seconds per second each job gets now."""
        n = len(self._remaining)
        if n == 0:
            return 0.0
        share = min(self._job_threads, self.parallelism / n)
        return share * (self._efficiency if n > 1 and n > self.parallelism else 1.0)

    def _advance(self, now: float) -> None:
        done = (now - self._updated) * self.rate()
        if done > 0:
            for job in self._remaining:
                self._remaining[job] -= done
        self._updated = now

    def add(self, job: int, work_s: float, now: float) -> None:
        self._advance(now)
        self._remaining[job] = work_s

    def remove(self, job: int, now: float) -> None:
        self._advance(now)
        del self._remaining[job]

    def next_completion(self, now: float) -> tuple[float, int]:
        """(time, job) of the next job to finish; (inf, -1) when idle."""
        if not self._remaining:
            return math.inf, -1
        self._advance(now)
        job = min(self._remaining, key=self._remaining.__getitem__)
        return now + max(0.0, self._remaining[job]) / self.rate(), job
