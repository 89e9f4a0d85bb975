"""Per-track state as NumPy columns keyed by track id, looked up for many tracks at once."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["TrackTable"]


class TrackTable:
    """Rows of named columns, one row per track id, kept sorted by id.

    ``find`` maps an array of ids to row positions with one ``searchsorted``; rules update
    whole columns with masks instead of looping over tracks.
    """

    def __init__(self, **dtypes: npt.DTypeLike) -> None:
        self.ids: npt.NDArray[np.int64] = np.zeros(0, np.int64)
        self.columns: dict[str, npt.NDArray[Any]] = {
            name: np.zeros(0, dtype) for name, dtype in dtypes.items()
        }

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, name: str) -> npt.NDArray[Any]:
        return self.columns[name]

    def find(
        self, ids: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_]]:
        """Row position of each id, and whether it is present (positions of absent ids are 0)."""
        if not len(self.ids):
            return np.zeros(len(ids), np.intp), np.zeros(len(ids), np.bool_)
        clipped = np.minimum(np.searchsorted(self.ids, ids), len(self.ids) - 1)
        found = np.asarray(self.ids[clipped] == ids, np.bool_)
        return np.where(found, clipped, 0).astype(np.intp), found

    def add(self, ids: npt.NDArray[np.int64], **values: npt.ArrayLike) -> None:
        """Append rows for ``ids`` (absent so far); columns not given are zero."""
        if not len(ids):
            return
        merged = np.concatenate((self.ids, ids))
        order = np.argsort(merged, kind="stable")
        self.ids = merged[order]
        for name, column in self.columns.items():
            new = np.broadcast_to(np.asarray(values.get(name, 0), column.dtype), (len(ids),))
            self.columns[name] = np.concatenate((column, new))[order]

    def keep(self, mask: npt.NDArray[np.bool_]) -> None:
        """Drop the rows where ``mask`` is False."""
        self.ids = self.ids[mask]
        for name, column in self.columns.items():
            self.columns[name] = column[mask]
