"""The store throughput benchmark runs the real writer and cleans up after itself."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select

from camfleet.store.bench import measure_store_throughput
from camfleet.store.database import Database
from camfleet.store.schema import CountRow, EventRow


def test_measures_both_rates_and_leaves_no_rows(
    db_url: str, tmp_path: Path, open_db: Callable[..., Database]
) -> None:
    rates = measure_store_throughput(db_url, seconds=1.0, data_dir=tmp_path, buffer_size=2000)
    assert set(rates) == {"events_per_s", "count_rows_per_s"}
    assert rates["events_per_s"] > 100
    assert rates["count_rows_per_s"] > 100
    db = open_db(db_url)
    with db.engine.connect() as connection:
        for table in (EventRow, CountRow):
            assert connection.execute(select(func.count()).select_from(table)).scalar_one() == 0
