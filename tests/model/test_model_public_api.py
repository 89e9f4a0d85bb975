from __future__ import annotations

import camfleet.model


def test_public_surface_is_pinned() -> None:
    assert camfleet.model.__all__ == [
        "PROVIDERS",
        "Detector",
        "DeviceOutput",
        "Letterbox",
        "LetterboxedImage",
        "ModelInfo",
        "PreparedBatch",
        "available_providers",
        "inspect_model",
        "make_batch_dynamic",
        "make_uint8_input",
    ]
    for name in camfleet.model.__all__:
        assert getattr(camfleet.model, name) is not None
