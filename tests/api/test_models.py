"""Models: the bundled detector registers; a file that is not a detector is a 4xx with the
loader's reason, and nothing is stored."""

from __future__ import annotations

from pathlib import Path

import modelkit  # tests/model: tiny YOLO-shaped graphs
import onnx

from .helpers import Running


def test_list_and_get_show_the_classes(api: Running) -> None:
    with api.client() as client:
        models = client.get("/api/v1/models").json()
        assert [m["id"] for m in models] == ["default"]
        assert set(models[0]["classes"].values()) == {"Fall", "Normal"}
        assert client.get("/api/v1/models/default").json()["config"]["provider"] == "cpu"
        assert client.get("/api/v1/models/nope").status_code == 404


def test_register_a_model_and_refuse_what_the_loader_refuses(
    api: Running, tmp_path: Path
) -> None:
    not_onnx = tmp_path / "notes.onnx"
    not_onnx.write_bytes(b"this is not a model")
    with api.client() as client:
        created = client.post("/api/v1/models", json={
            "id": "fall2", "config": {"path": "bundled:fall-yolov8s-dynamic.onnx", "conf": 0.4}})
        assert created.status_code == 201, created.text
        assert created.json()["config"]["conf"] == 0.4
        for path in (str(not_onnx), str(tmp_path / "missing.onnx")):
            refused = client.post("/api/v1/models", json={"id": "bad", "config": {"path": path}})
            assert refused.status_code == 422, refused.text
            assert "\n" not in refused.json()["detail"]
        assert client.post("/api/v1/models", json={"id": "fall2"}).status_code == 409
        assert client.post("/api/v1/models", json={"id": "x", "colour": 1}).status_code == 422
        ids = [m["id"] for m in client.get("/api/v1/models").json()]
        assert ids == ["default", "fall2"]
        # A model in use cannot be deleted; an unused one can.
        in_use = client.delete("/api/v1/models/default")
        assert in_use.status_code == 409 and "bikes" in in_use.json()["detail"]
        assert client.delete("/api/v1/models/fall2").status_code == 204


def test_a_non_detector_model_is_refused_with_the_loaders_reason(
    api: Running, tmp_path: Path
) -> None:
    path = tmp_path / "seg.onnx"
    onnx.save(modelkit.tiny_detect_model(task="segment"), path)
    with api.client() as client:
        refused = client.post("/api/v1/models", json={"id": "seg", "config": {"path": str(path)}})
    assert refused.status_code == 422
    assert "'segment' model" in refused.json()["detail"]
