from __future__ import annotations

import numpy as np

from camfleet.analytics.track_table import TrackTable


def test_find_add_keep_round_trip() -> None:
    table = TrackTable(x=np.float64, state=np.int8)
    pos, found = table.find(np.array([3, 1], np.int64))
    assert found.tolist() == [False, False]
    table.add(np.array([7, 3], np.int64), x=[70.0, 30.0], state=1)
    table.add(np.array([5], np.int64), x=[50.0])
    assert table.ids.tolist() == [3, 5, 7]
    pos, found = table.find(np.array([7, 4, 3, 99], np.int64))
    assert found.tolist() == [True, False, True, False]
    assert table["x"][pos[found]].tolist() == [70.0, 30.0]
    assert table["state"].tolist() == [1, 0, 1]
    table["x"][pos[found]] += 1.0
    table.keep(table["x"] > 60.0)
    assert table.ids.tolist() == [7] and table["x"].tolist() == [71.0]
    assert len(table) == 1
