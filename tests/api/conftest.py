"""A running service per test (real uvicorn on a free loopback port, real SQLite)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .helpers import Running, running_service


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Running]:
    with running_service(tmp_path / "data") as running:
        yield running
