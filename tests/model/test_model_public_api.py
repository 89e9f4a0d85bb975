from __future__ import annotations

import camfleet.model


def test_public_surface_is_pinned() -> None:
    assert camfleet.model.__all__ == [
        "PROVIDERS",
        "Detector",
        "Letterbox",
        "LetterboxedImage",
        "ModelInfo",
        "PreparedBatch",
        "available_providers",
        "inspect_model",
        "make_batch_dynamic",
    ]
    for name in camfleet.model.__all__:
        assert getattr(camfleet.model, name) is not None
