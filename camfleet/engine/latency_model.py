"""Expected inference time per batch size, learned online from the runs themselves."""

from __future__ import annotations

import math
import threading

__all__ = ["LatencyModel"]


class LatencyModel:
    """An exponentially weighted mean of seconds per call, per batch size.

    Unseen sizes are extrapolated from the nearest measured size, scaling linearly with the
    batch (conservative: real batches cost less than linear on accelerators). Before any
    measurement ``prior_s_per_item`` is assumed.
    """

    def __init__(self, prior_s_per_item: float = 0.05, alpha: float = 0.2) -> None:
        if prior_s_per_item <= 0:
            raise ValueError("prior_s_per_item must be > 0")
        if not 0 < alpha <= 1:
            raise ValueError("alpha must be in (0, 1]")
        self._prior = prior_s_per_item
        self._alpha = alpha
        self._mean: dict[int, float] = {}
        self._lock = threading.Lock()
        self.observed_at = -math.inf

    def observe(self, batch_size: int, seconds: float, now: float | None = None) -> None:
        with self._lock:
            if now is not None:
                self.observed_at = now
            old = self._mean.get(batch_size)
            self._mean[batch_size] = (
                seconds if old is None else old + self._alpha * (seconds - old)
            )

    def expected(self, batch_size: int) -> float:
        with self._lock:
            known = self._mean.get(batch_size)
            if known is not None:
                return known
            if not self._mean:
                return self._prior * batch_size
            nearest = min(self._mean, key=lambda size: abs(size - batch_size))
            per_item = self._mean[nearest] / nearest
            return self._mean[nearest] + per_item * max(0, batch_size - nearest)

    def snapshot(self) -> dict[int, float]:
        with self._lock:
            return dict(self._mean)
