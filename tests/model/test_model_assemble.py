"""Letterboxing frames one by one (on any thread) and assembling them equals preprocess."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from camfleet.model.preprocess import Preprocessor


def frames(n: int, h: int = 720, w: int = 1280) -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    return [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for _ in range(n)]


@pytest.mark.parametrize(("rect", "shape"), [(True, (720, 1280)), (False, (272, 640))])
def test_assemble_equals_preprocess(rect, shape):
    images = frames(4, *shape)
    reference = Preprocessor((640, 640), 32, rect=rect, max_batch=4)
    threaded = Preprocessor((640, 640), 32, rect=rect, max_batch=4)
    expected = reference(images)
    with ThreadPoolExecutor(4) as pool:
        items = list(pool.map(threaded.letterbox_one, images))
    batch = threaded.assemble(items)
    np.testing.assert_array_equal(batch.tensor, expected.tensor)
    assert batch.letterboxes == expected.letterboxes
    assert batch.original_shapes == expected.original_shapes


def test_assemble_refuses_mixed_canvas_shapes():
    pre = Preprocessor((640, 640), 32, rect=True, max_batch=4)
    items = [pre.letterbox_one(frames(1, 720, 1280)[0]), pre.letterbox_one(frames(1, 144, 176)[0])]
    with pytest.raises(ValueError, match="one shape"):
        pre.assemble(items)
