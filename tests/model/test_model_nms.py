from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
import onnx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from modelkit import tiny_detect_model

from camfleet.model import Detector, Letterbox, PreparedBatch
from camfleet.model.decode import MAX_NMS_CANDIDATES, decode_candidates
from camfleet.model.nms import nms_classwise

NUM_CLASSES = 2


def _iou(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """IoU of one box ``a`` against boxes ``b`` (xyxy)."""
    w = np.clip(np.minimum(a[2], b[:, 2]) - np.maximum(a[0], b[:, 0]), 0, None)
    h = np.clip(np.minimum(a[3], b[:, 3]) - np.maximum(a[1], b[:, 1]), 0, None)
    inter = w * h
    area = lambda x: (x[..., 2] - x[..., 0]) * (x[..., 3] - x[..., 1])  # noqa: E731
    return inter / (area(a) + area(b) - inter)


def _reference_nms(
    xyxy: npt.NDArray[np.float32],
    scores: npt.NDArray[np.float32],
    cls: npt.NDArray[np.int32],
    iou: float,
) -> list[int]:
    """Textbook greedy NMS, one box at a time (fine in a test)."""
    boxes = xyxy.astype(np.float64)
    kept: list[int] = []
    for i in np.argsort(-scores, kind="stable"):
        same = [k for k in kept if cls[k] == cls[i]]
        if not same or _iou(boxes[i], boxes[same]).max() <= iou:
            kept.append(int(i))
    return kept


def _random_boxes(
    seed: int, count: int, extent: float = 200.0
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], npt.NDArray[np.int32]]:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(-20, extent, (count, 2))
    wh = rng.uniform(1, extent / 2, (count, 2))
    xyxy = np.concatenate([xy, xy + wh], axis=1).astype(np.float32)
    scores = (rng.permutation(count).astype(np.float32) + np.float32(0.5)) / max(count, 1)
    return xyxy, scores, rng.integers(0, NUM_CLASSES, count).astype(np.int32)


@given(
    seed=st.integers(0, 2**32 - 1),
    count=st.integers(0, 80),
    iou=st.floats(0.05, 0.95),
    max_det=st.integers(1, 100),
)
def test_nms_equals_textbook_greedy_nms(seed: int, count: int, iou: float, max_det: int) -> None:
    xyxy, scores, cls = _random_boxes(seed, count)

    kept = nms_classwise(xyxy, scores, cls, iou, max_det)

    assert kept.tolist() == _reference_nms(xyxy, scores, cls, iou)[:max_det]


def test_classes_never_suppress_each_other() -> None:
    xyxy = np.array([[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10]], np.float32)
    scores = np.array([0.9, 0.8, 0.7], np.float32)

    assert nms_classwise(xyxy, scores, np.array([0, 1, 0]), 0.7, 300).tolist() == [0, 1]


def test_negative_coordinates_keep_classes_apart() -> None:
    # Before clipping, edge boxes start left of the canvas; a class offset must not collide.
    xyxy = np.array([[-50, -50, 5, 5], [-49, -49, 6, 6], [-1000, -1000, -900, -900]], np.float32)
    scores = np.array([0.9, 0.8, 0.7], np.float32)

    assert nms_classwise(xyxy, scores, np.array([0, 1, 1]), 0.5, 300).tolist() == [0, 1, 2]


@pytest.fixture(scope="module")
def tiny_detector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Detector]:
    folder = tmp_path_factory.mktemp("tiny-nms")
    path = folder / "tiny.onnx"
    onnx.save(tiny_detect_model(batch="batch"), str(path))
    with Detector.load(path, threads=1, cache_dir=folder) as detector:
        yield detector


def _raw_output(
    seed: int, anchors: int, nc: int = NUM_CLASSES
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """A (1, 4+nc, anchors) head output whose boxes lie inside the canvas (none get clipped)."""
    rng = np.random.default_rng(seed)
    centre = rng.uniform(75, 475, (2, anchors))
    size = rng.uniform(2, 150, (2, anchors))
    scores = rng.uniform(0, 1, (nc, anchors))
    raw = np.concatenate([centre, size, scores])[None].astype(np.float32)
    cxcywh = raw[0, :4].T
    xyxy = np.concatenate([cxcywh[:, :2] - cxcywh[:, 2:] / 2, cxcywh[:, :2] + cxcywh[:, 2:] / 2], 1)
    return raw, xyxy.astype(np.float32)


def _identity_batch() -> PreparedBatch:
    box = Letterbox(scale=1.0, pad_x=0, pad_y=0, resized_w=550, resized_h=550)
    return PreparedBatch(np.zeros((1, 3, 4, 4), np.float32), (box,), ((10_000, 10_000),))


@settings(deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    anchors=st.integers(0, 300),
    conf=st.floats(0.0, 0.95),
    iou=st.floats(0.1, 0.9),
    max_det=st.integers(1, 400),
)
def test_postprocess_invariants(
    tiny_detector: Detector, seed: int, anchors: int, conf: float, iou: float, max_det: int
) -> None:
    tiny_detector.conf, tiny_detector.iou, tiny_detector.max_det = conf, iou, max_det
    raw, all_xyxy = _raw_output(seed, anchors)
    best = raw[0, 4:].max(axis=0)
    best_class = raw[0, 4:].argmax(axis=0)

    (found,) = tiny_detector.postprocess(raw, _identity_batch())

    assert len(found) <= max_det
    assert np.all(found.confidence > conf)
    assert np.all(np.diff(found.confidence) <= 0), "sorted by confidence, best first"
    for c in range(NUM_CLASSES):
        same = found.xyxy[found.class_id == c].astype(np.float64)
        for i in range(len(same)):
            assert np.all(_iou(same[i], same[i + 1 :]) <= iou + 1e-6)
    if len(found) < max_det:
        kept = np.isin(best, found.confidence)
        for a in np.nonzero((best > conf) & ~kept)[0]:
            rivals = (found.class_id == best_class[a]) & (found.confidence >= best[a])
            overlap = _iou(all_xyxy[a].astype(np.float64), found.xyxy[rivals].astype(np.float64))
            assert overlap.size and overlap.max() > iou - 1e-6, "dropped without a better rival"


def test_class_filter_applies_after_best_class(tiny_detector: Detector) -> None:
    raw = np.zeros((1, 4 + NUM_CLASSES, 2), np.float32)
    raw[0, :4] = [[50, 300], [50, 300], [20, 20], [20, 20]]
    raw[0, 4:, 0] = [0.9, 0.8]  # best class 0; class 1 also above conf
    raw[0, 4:, 1] = [0.0, 0.6]

    kept = decode_candidates(raw, 0.25, class_filter=np.array([1], np.int32))[0]

    assert kept.class_id.tolist() == [1]
    np.testing.assert_allclose(kept.xyxy, [[290, 290, 310, 310]])


def test_confidence_threshold_is_strict() -> None:
    raw = np.zeros((2, 5, 3), np.float32)
    raw[:, 4] = [[0.25, 0.2500001, 0.9], [0.1, 0.3, 0.0]]

    per_image = decode_candidates(raw, 0.25)

    assert [len(c.score) for c in per_image] == [2, 1]
    np.testing.assert_allclose(per_image[1].score, [0.3])


def test_candidates_are_capped_at_the_best_scores() -> None:
    count = MAX_NMS_CANDIDATES + 5
    raw = np.zeros((1, 5, count), np.float32)
    raw[0, 4] = np.linspace(0.3, 0.9, count)

    (capped,) = decode_candidates(raw, 0.25)

    assert len(capped.score) == MAX_NMS_CANDIDATES
    assert capped.score.min() == pytest.approx(raw[0, 4, 5], abs=1e-6)


def test_empty_batch_image_gives_empty_detections(tiny_detector: Detector) -> None:
    tiny_detector.conf = 0.5
    raw = np.zeros((1, 4 + NUM_CLASSES, 10), np.float32)

    (found,) = tiny_detector.postprocess(raw, _identity_batch())

    assert len(found) == 0 and found.xyxy.shape == (0, 4)
