from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from camfleet.model.letterbox import (
    PAD_VALUE,
    boxes_to_canvas,
    boxes_to_original,
    canvas_shape,
    draw_into,
    place,
)
from camfleet.model.preprocess import Preprocessor

sides = st.integers(min_value=1, max_value=4096)
model_sizes = st.sampled_from([(640, 640), (320, 320), (384, 640), (1280, 1280)])


@pytest.mark.parametrize(
    ("frame", "imgsz", "rect", "expected"),
    [
        ((720, 1280), (640, 640), True, (384, 640)),
        ((720, 1280), (640, 640), False, (640, 640)),
        ((272, 640), (640, 640), True, (288, 640)),
        ((144, 176), (640, 640), True, (544, 640)),
        ((1080, 1920), (640, 640), True, (384, 640)),
        ((1920, 1080), (640, 640), True, (640, 384)),
        ((640, 640), (640, 640), True, (640, 640)),
    ],
)
def test_canvas_shape_examples(
    frame: tuple[int, int], imgsz: tuple[int, int], rect: bool, expected: tuple[int, int]
) -> None:
    assert canvas_shape(*frame, imgsz, 32, rect) == expected


@given(h=sides, w=sides, imgsz=model_sizes, rect=st.booleans())
def test_canvas_is_stride_aligned_and_holds_the_scaled_frame(
    h: int, w: int, imgsz: tuple[int, int], rect: bool
) -> None:
    canvas = canvas_shape(h, w, imgsz, 32, rect)
    box = place(h, w, canvas, imgsz)

    assert canvas[0] % 32 == 0 and canvas[1] % 32 == 0
    assert canvas[0] <= imgsz[0] and canvas[1] <= imgsz[1]
    assert box.resized_h <= canvas[0] and box.resized_w <= canvas[1]
    assert abs(box.resized_h - h * box.scale) <= 0.5 and abs(box.resized_w - w * box.scale) <= 0.5
    assert 0 <= box.pad_y <= canvas[0] - box.resized_h
    assert 0 <= box.pad_x <= canvas[1] - box.resized_w
    if h >= imgsz[0] or w >= imgsz[1]:
        assert box.scale <= 1.0
    if rect:
        # Smallest: one stride less would no longer hold the resized frame.
        assert canvas[0] - 32 < box.resized_h and canvas[1] - 32 < box.resized_w


@given(
    h=sides,
    w=sides,
    imgsz=model_sizes,
    corners=st.lists(st.floats(0, 1), min_size=4, max_size=4),
)
def test_boxes_round_trip_through_the_canvas(
    h: int, w: int, imgsz: tuple[int, int], corners: list[float]
) -> None:
    canvas = canvas_shape(h, w, imgsz, 32, rect=True)
    box = place(h, w, canvas, imgsz)
    x1, x2 = sorted(corners[:2])
    y1, y2 = sorted(corners[2:])
    xyxy = np.array([[x1 * w, y1 * h, x2 * w, y2 * h]], np.float32)

    in_canvas = boxes_to_canvas(xyxy, box)
    back = boxes_to_original(in_canvas, box, (h, w))

    assert np.all(in_canvas >= -0.5)
    assert np.all(in_canvas[:, 0::2] <= canvas[1] + 0.5) and np.all(
        in_canvas[:, 1::2] <= canvas[0] + 0.5
    )
    np.testing.assert_allclose(back, xyxy, atol=1.0)


def test_boxes_are_clipped_to_the_frame() -> None:
    box = place(720, 1280, (384, 640), (640, 640))
    canvas_boxes = np.array([[-20, -20, 700, 400], [10, 30, 20, 40]], np.float32)

    back = boxes_to_original(canvas_boxes, box, (720, 1280))

    np.testing.assert_allclose(back[0], [0, 0, 1280, 720])
    np.testing.assert_allclose(back[1], [20, 36, 40, 56])  # pad_y = 12, scale 0.5


def test_draw_into_matches_resize_and_centred_border() -> None:
    image = np.random.default_rng(0).integers(0, 256, (720, 1280, 3), dtype=np.uint8)
    box = place(720, 1280, (384, 640), (640, 640))
    slot = np.zeros((384, 640, 3), np.uint8)

    draw_into(image, slot, box)

    resized = cv2.resize(image, (640, 360), interpolation=cv2.INTER_LINEAR)
    expected = cv2.copyMakeBorder(
        resized, 12, 12, 0, 0, cv2.BORDER_CONSTANT, value=(PAD_VALUE,) * 3
    )
    np.testing.assert_array_equal(slot, expected)


def test_preprocess_tensor_is_rgb_chw_in_unit_range() -> None:
    image = np.zeros((720, 1280, 3), np.uint8)
    image[..., 0] = 255  # blue in BGR
    prep = Preprocessor((640, 640), 32, rect=True, max_batch=2)

    batch = prep([image, image])

    assert batch.tensor.shape == (2, 3, 384, 640) and batch.tensor.dtype == np.float32
    assert batch.tensor.flags.c_contiguous
    centre = batch.tensor[:, :, 192, 320]
    np.testing.assert_allclose(centre, [[0, 0, 1], [0, 0, 1]])
    np.testing.assert_allclose(
        batch.tensor[:, :, 0, 0], np.full((2, 3), PAD_VALUE / 255), rtol=1e-6
    )
    assert batch.original_shapes == ((720, 1280), (720, 1280))


def test_preprocess_reuses_two_alternating_buffers() -> None:
    image = np.zeros((720, 1280, 3), np.uint8)
    prep = Preprocessor((640, 640), 32, rect=True, max_batch=4)

    first, second, third = (prep([image] * n).tensor for n in (4, 2, 3))

    assert first.base is not None and second.base is not None
    assert first.base is not second.base
    assert third.base is first.base


def test_mixed_sizes_share_the_largest_canvas() -> None:
    wide = np.zeros((720, 1280, 3), np.uint8)
    tall = np.zeros((1280, 720, 3), np.uint8)
    prep = Preprocessor((640, 640), 32, rect=True, max_batch=2)

    batch = prep([wide, tall])

    assert batch.canvas_shape == (640, 640)
    assert (batch.letterboxes[0].pad_y, batch.letterboxes[0].pad_x) == (140, 0)
    assert (batch.letterboxes[1].pad_y, batch.letterboxes[1].pad_x) == (0, 140)


@pytest.mark.parametrize(
    "bad",
    [np.zeros((10, 10), np.uint8), np.zeros((10, 10, 4), np.uint8), np.zeros((10, 10, 3))],
)
def test_preprocess_rejects_non_bgr_uint8(bad: np.ndarray) -> None:
    with pytest.raises(ValueError, match="expected HxWx3 uint8 BGR images"):
        Preprocessor((640, 640), 32, rect=True, max_batch=1)([bad])
