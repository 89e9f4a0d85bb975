"""The dashboard's files over real HTTP: public, from a fixed list, with a strict CSP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from camfleet.api.dashboard import STATIC_FILES

from .helpers import running_service

STATIC_DIR = Path(__file__).resolve().parents[2] / "camfleet" / "api" / "static"


@pytest.fixture(scope="module")
def anonymous(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    with running_service(tmp_path_factory.mktemp("static") / "data") as running, \
            httpx.Client(base_url=running.url, timeout=30.0) as client:
        yield client


def test_page_is_public_and_runs_only_its_own_scripts(anonymous: httpx.Client) -> None:
    response = anonymous.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "/static/app.js?v=" in response.text
    assert 'id="login-form"' in response.text


def test_every_listed_file_is_served_with_its_type(anonymous: httpx.Client) -> None:
    for name, media_type in STATIC_FILES.items():
        response = anonymous.get(f"/static/{name}")
        assert response.status_code == 200, name
        assert response.headers["content-type"] == media_type
        assert response.content == (STATIC_DIR / name).read_bytes()


def test_every_file_the_page_imports_is_listed() -> None:
    on_disk = {path.name for path in STATIC_DIR.iterdir() if path.is_file()}
    assert on_disk == set(STATIC_FILES)


@pytest.mark.parametrize(
    "path",
    ["/static/../dashboard.py", "/static/..%2Fdashboard.py", "/static/%2e%2e%2f__init__.py",
     "/static/nope.js", "/static/"],
)
def test_nothing_outside_the_list_is_served(anonymous: httpx.Client, path: str) -> None:
    response = anonymous.get(path)
    assert response.status_code == 404
    assert "import" not in response.text
