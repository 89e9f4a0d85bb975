"""Pad batches up to a few sizes, so a TensorRT engine is built for each of those sizes only.

The batcher forms batches of any size up to ``max_batch``. TensorRT tunes kernels per
optimisation profile; padding a batch of 5 to 8 (rows the caller never sees) keeps the
profiles few and each one exact, at the price of computing the padding rows.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["DEFAULT_PAD_SIZES", "batch_buckets", "padded_count"]

DEFAULT_PAD_SIZES = (1, 4, 8, 16, 32)


def batch_buckets(pad_sizes: Iterable[int], max_batch: int) -> tuple[int, ...]:
    """The batch sizes a model really runs at: ``pad_sizes`` below ``max_batch``, and
    ``max_batch`` itself (larger batches run in chunks of ``max_batch``). Empty: no padding."""
    sizes = sorted(set(pad_sizes))
    if not sizes:
        return ()
    if sizes[0] < 1 or max_batch < 1:
        raise ValueError(f"batch sizes must be at least 1, got {sizes} and max {max_batch}")
    return (*(size for size in sizes if size < max_batch), max_batch)


def padded_count(count: int, buckets: tuple[int, ...], max_batch: int) -> int:
    """Rows a batch of ``count`` frames occupies once padded: full chunks of ``max_batch``,
    then the remainder rounded up to the next bucket (``count`` itself without buckets)."""
    if not buckets or count < 1:
        return count
    full, rest = divmod(count, max_batch)
    return full * max_batch + (next(b for b in buckets if b >= rest) if rest else 0)
