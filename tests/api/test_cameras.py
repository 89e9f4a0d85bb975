"""Cameras over real HTTP: CRUD, masking of secrets, bad input as one-line 4xx, frames."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .helpers import FramesOnly, Running, running_service

SECRET_CAMERA: dict[str, Any] = {
    "id": "dock-3",
    "source": "rtsp://admin:hunter2@10.0.0.7/stream",
    "analyze_fps": 2,
    "rules": [{
        "name": "people", "type": "presence",
        "webhooks": [{"url": "https://hooks.example/x", "secret": "s3cret-value"}],
    }],
}


def test_create_get_update_patch_enable_delete(api: Running) -> None:
    with api.client() as client:
        created = client.post("/api/v1/cameras", json={"id": "c1", "source": "synthetic:64x48@5"})
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["config"]["analyze_fps"] == 2.0 and body["enabled"] is True
        assert body["state"] == "unassigned"
        assert client.get("/api/v1/cameras/c1").json()["config"]["source"] == "synthetic:64x48@5"
        ids = [c["id"] for c in client.get("/api/v1/cameras").json()]
        assert ids == ["bikes", "c1", "carphone"]

        put = client.put("/api/v1/cameras/c1", json={"id": "c1", "source": "synthetic:32x32@5",
                                                     "analyze_fps": 4})
        assert put.status_code == 200 and put.json()["config"]["analyze_fps"] == 4.0
        assert put.json()["revision"] > body["revision"]
        patched = client.patch("/api/v1/cameras/c1", json={"analyze_fps": 1.5})
        assert patched.json()["config"]["analyze_fps"] == 1.5
        assert patched.json()["config"]["source"] == "synthetic:32x32@5"

        disabled = client.post("/api/v1/cameras/c1/disable").json()
        assert (disabled["enabled"], disabled["state"]) == (False, "disabled")
        assert client.post("/api/v1/cameras/c1/enable").json()["enabled"] is True

        assert client.delete("/api/v1/cameras/c1").status_code == 204
        assert client.get("/api/v1/cameras/c1").status_code == 404
        assert client.delete("/api/v1/cameras/c1").status_code == 404


def test_every_change_bumps_the_revision_once(api: Running) -> None:
    fleet = api.service.fleet
    before = fleet.revision()
    with api.client() as client:
        client.post("/api/v1/cameras", json={"id": "c1", "source": "synthetic:64x48@5"})
        client.post("/api/v1/cameras/c1/disable")
        client.delete("/api/v1/cameras/c1")
        client.post("/api/v1/cameras", json={"id": "bikes", "source": "x"})  # conflict
    assert fleet.revision() == before + 3


def test_secrets_are_masked_and_kept_when_sent_back(api: Running) -> None:
    with api.client() as client:
        created = client.post("/api/v1/cameras", json=SECRET_CAMERA)
        assert created.status_code == 201, created.text
        for response in (created, client.get("/api/v1/cameras/dock-3"),
                         client.get("/api/v1/cameras")):
            text = response.text
            assert "hunter2" not in text and "s3cret-value" not in text
        shown = created.json()["config"]
        assert shown["source"] == "rtsp://admin:***@10.0.0.7/stream"
        assert shown["rules"][0]["webhooks"][0]["secret"] == "***"
        # Read, change one field, send everything back: the stored secrets stay.
        shown["analyze_fps"] = 5
        assert client.put("/api/v1/cameras/dock-3", json=shown).status_code == 200
        assert client.patch("/api/v1/cameras/dock-3", json={"analyze_fps": 3}).status_code == 200
    stored = api.service.fleet.get_camera("dock-3").camera
    assert stored.source == SECRET_CAMERA["source"]
    assert stored.rules[0].webhooks[0].secret == "s3cret-value"
    assert stored.analyze_fps == 3


def test_a_masked_password_for_another_host_is_refused(api: Running) -> None:
    with api.client() as client:
        client.post("/api/v1/cameras", json=SECRET_CAMERA)
        response = client.patch(
            "/api/v1/cameras/dock-3", json={"source": "rtsp://admin:***@10.0.0.8/stream"}
        )
    assert response.status_code == 422
    assert "send the full URL with its password" in response.json()["detail"]
    assert api.service.fleet.get_camera("dock-3").camera.source == SECRET_CAMERA["source"]


@pytest.mark.parametrize(
    ("body", "status", "names"),
    [
        ({"id": "x", "source": "a.mp4", "colour": "red"}, 422, "colour"),
        ({"id": "x", "source": "a.mp4", "analyze_fps": "fast"}, 422, "analyze_fps"),
        ({"id": "x", "source": "a.mp4", "analyze_fps": -1}, 422, "analyze_fps"),
        ({"id": "x", "source": "a.mp4", "models": ["nope"]}, 422, "unknown model 'nope'"),
        ({"id": "bad id!", "source": "a.mp4"}, 422, "id"),
        ({"id": "bikes", "source": "a.mp4"}, 409, "already exists"),
        ({"id": "x", "source": "a.mp4",
          "rules": [{"name": "r", "type": "presence", "classes": ["Cat"]}]}, 422, "'Cat'"),
        ([1, 2], 422, "body"),
    ],
)
def test_bad_camera_is_a_one_line_4xx_naming_the_field(
    api: Running, body: Any, status: int, names: str
) -> None:
    with api.client() as client:
        before = client.get("/api/v1/cameras").json()
        response = client.post("/api/v1/cameras", json=body)
        assert response.status_code == status, response.text
        detail = response.json()["detail"]
        assert names in detail and "\n" not in detail
        assert client.get("/api/v1/cameras").json() == before


def test_malformed_json_and_oversized_bodies(api: Running) -> None:
    with api.client() as client:
        response = client.post("/api/v1/cameras", content=b'{"id": "x",',
                               headers={"content-type": "application/json"})
        assert response.status_code == 422
        assert "not valid JSON" in response.json()["detail"]
        big = b'{"id": "x", "source": "' + b"a" * (1 << 20) + b'"}'
        response = client.post("/api/v1/cameras", content=big,
                               headers={"content-type": "application/json"})
        assert response.status_code == 413

        def chunks() -> Any:  # no Content-Length: counted while it streams
            for _ in range(20):
                yield b"x" * 65536

        response = client.post("/api/v1/cameras", content=chunks(),
                               headers={"content-type": "application/json"})
        assert response.status_code == 413


def test_put_cannot_change_the_id(api: Running) -> None:
    with api.client() as client:
        response = client.put("/api/v1/cameras/bikes", json={"id": "other", "source": "a.mp4"})
    assert response.status_code == 422 and "ids cannot change" in response.json()["detail"]


def test_camera_test_opens_a_source_and_saves_nothing(api: Running) -> None:
    with api.client() as client:
        ok = client.post("/api/v1/cameras/test", json={"source": "bundled:bikes.mp4"})
        assert ok.status_code == 200, ok.text
        assert ok.json()["width"] == 640 and ok.json()["height"] > 0
        assert ok.json()["fps"] > 0
        bad = client.post("/api/v1/cameras/test",
                          json={"source": "rtsp://u:pw@127.0.0.1:9/none", "timeout_s": 2})
        assert bad.status_code == 422
        assert "pw" not in bad.text
        missing = client.post("/api/v1/cameras/test", json={"source": "/nonexistent/x.mp4"})
        assert missing.status_code == 422
        assert len(client.get("/api/v1/cameras").json()) == 2


def test_frame_is_503_without_engine_and_404_for_unknown(api: Running) -> None:
    with api.client() as client:
        assert client.get("/api/v1/cameras/bikes/frame.jpg").status_code == 503
        assert client.get("/api/v1/cameras/nope/frame.jpg").status_code == 404


def test_frame_comes_from_the_engine(tmp_path: Path) -> None:
    engine = FramesOnly(frozenset({"bikes"}))
    with running_service(tmp_path / "data", engine=engine) as api, api.client() as client:
        frame = client.get("/api/v1/cameras/bikes/frame.jpg")
        assert frame.status_code == 200 and frame.headers["content-type"] == "image/jpeg"
        assert frame.content == engine.frame
        waiting = client.get("/api/v1/cameras/carphone/frame.jpg")
        assert waiting.status_code == 503 and waiting.headers["retry-after"] == "1"
