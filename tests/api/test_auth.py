"""Every API route needs a key; read-only keys cannot change anything; probes are public."""

from __future__ import annotations

import httpx
import pytest

from .helpers import Running

READS = ["/api/v1/cameras", "/api/v1/cameras/bikes", "/api/v1/models", "/api/v1/events",
         "/api/v1/counts", "/api/v1/stats", "/api/v1/plan", "/metrics"]


@pytest.mark.parametrize("path", READS)
def test_no_key_and_wrong_key_get_401(api: Running, path: str) -> None:
    with api.client(key="") as client:
        response = client.get(path)
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "camfleet apikey create" in response.json()["detail"]
    forged = api.key[:-4] + ("AAAA" if not api.key.endswith("AAAA") else "BBBB")
    with api.client(key=forged) as client:
        assert client.get(path).status_code == 401
    with api.client() as client:
        assert client.get(path).status_code == 200


def test_a_revoked_key_gets_401(api: Running) -> None:
    with api.client() as client:
        assert client.get("/api/v1/cameras").status_code == 200
        api.service.keys.revoke("admin")
        response = client.get("/api/v1/cameras")
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_a_read_only_key_reads_but_cannot_mutate(api: Running) -> None:
    camera = {"id": "new", "source": "synthetic:64x48@5"}
    with api.client(api.read_only_key) as client:
        assert client.get("/api/v1/cameras").status_code == 200
        for method, path, body in [
            ("POST", "/api/v1/cameras", camera),
            ("PUT", "/api/v1/cameras/bikes", {"id": "bikes", "source": "x.mp4"}),
            ("PATCH", "/api/v1/cameras/bikes", {"analyze_fps": 1}),
            ("DELETE", "/api/v1/cameras/bikes", None),
            ("POST", "/api/v1/cameras/bikes/disable", None),
            ("POST", "/api/v1/models", {"id": "m2"}),
        ]:
            response = client.request(method, path, json=body)
            assert response.status_code == 403, (method, path)
            assert "read-only" in response.json()["detail"]
    assert [c.camera.id for c in api.service.fleet.list_cameras()] == ["bikes", "carphone"]
    assert api.service.fleet.get_camera("bikes").enabled


def test_probes_and_dashboard_need_no_key(api: Running) -> None:
    with httpx.Client(base_url=api.url) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/readyz").json() == {"status": "ok"}
        assert client.get("/").status_code == 200
        assert client.get("/openapi.json").status_code == 200


def test_keys_are_stored_hashed(api: Running) -> None:
    from sqlalchemy import text

    with api.service.db.engine.connect() as connection:
        stored = " ".join(str(v) for row in connection.execute(text("SELECT * FROM api_keys"))
                          for v in row)
    assert api.key not in stored
    assert api.key.split("_")[2] not in stored
