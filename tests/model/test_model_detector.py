from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from modelkit import TEST_THREADS

from camfleet.errors import ModelError
from camfleet.frames import Detections
from camfleet.model import Detector
from camfleet.paths import BUNDLED_MODEL

# Pinned from a real run: the bundled fall model on frame 0 of carphone_pristine.mp4 (176x144),
# rect canvas 544x640, ONNX Runtime 1.32 on CPU. Tolerance: 4 px per coordinate, 0.05 conf.
GOLDEN_XYXY = np.array([3.19, 9.38, 176.0, 142.54], np.float32)
GOLDEN_CONF = 0.695
NORMAL = 0


def _iou(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> float:
    w = max(0.0, float(min(a[2], b[2]) - max(a[0], b[0])))
    h = max(0.0, float(min(a[3], b[3]) - max(a[1], b[1])))
    area = lambda x: float((x[2] - x[0]) * (x[3] - x[1]))  # noqa: E731
    return w * h / (area(a) + area(b) - w * h)


def _single_normal_box(found: Detections) -> tuple[npt.NDArray[np.float32], float]:
    assert len(found) == 1, f"expected one person, got {len(found)} boxes"
    assert found.class_id.tolist() == [NORMAL]
    return found.xyxy[0], float(found.confidence[0])


def test_golden_box_with_the_bundled_model(
    fall_dynamic: Detector, carphone_frame: npt.NDArray[np.uint8]
) -> None:
    assert fall_dynamic.input_shape(*carphone_frame.shape[:2]) == (544, 640)

    (found,) = fall_dynamic.detect([carphone_frame])

    xyxy, conf = _single_normal_box(found)
    np.testing.assert_allclose(xyxy, GOLDEN_XYXY, atol=4.0)
    assert conf == pytest.approx(GOLDEN_CONF, abs=0.05)
    assert fall_dynamic.info.names[NORMAL] == "Normal"


def test_static_model_square_path_finds_the_same_person(
    fall_static: Detector, carphone_frame: npt.NDArray[np.uint8]
) -> None:
    assert fall_static.input_shape(*carphone_frame.shape[:2]) == (640, 640)
    assert fall_static.info.rewritten_from is not None
    assert fall_static.info.rewritten_from.name == "fall-yolov8s-static.onnx"
    assert fall_static.info.dynamic_batch and not fall_static.info.dynamic_hw

    (found,) = fall_static.detect([carphone_frame])

    xyxy, conf = _single_normal_box(found)
    assert _iou(xyxy, GOLDEN_XYXY) > 0.8
    assert conf > 0.5


def test_rect_shapes_follow_the_frame(fall_dynamic: Detector) -> None:
    assert fall_dynamic.input_shape(720, 1280) == (384, 640)
    assert fall_dynamic.input_shape(272, 640) == (288, 640)
    assert fall_dynamic.input_shape(1280, 720) == (640, 384)


def test_batch_of_mixed_sizes_maps_each_box_to_its_own_frame(
    fall_dynamic: Detector, carphone_frame: npt.NDArray[np.uint8]
) -> None:
    doubled = cv2.resize(carphone_frame, (352, 288), interpolation=cv2.INTER_LINEAR)
    wide = np.full((720, 1280, 3), 40, np.uint8)

    small, large, empty = fall_dynamic.detect([carphone_frame, doubled, wide])

    small_box, _ = _single_normal_box(small)
    large_box, _ = _single_normal_box(large)
    np.testing.assert_allclose(large_box / 2, small_box, atol=4.0)
    assert len(empty) == 0
    assert np.all(large.xyxy[:, 0::2] <= 352) and np.all(large.xyxy[:, 1::2] <= 288)


def test_batched_detection_equals_single_frames(
    fall_small: Detector, carphone_frame: npt.NDArray[np.uint8]
) -> None:
    flipped = np.ascontiguousarray(carphone_frame[:, ::-1])
    frames = [carphone_frame, flipped, carphone_frame]

    batched = fall_small.detect(frames)  # 3 > max_batch 2: also runs in two chunks
    singles = [fall_small.detect([frame])[0] for frame in frames]

    assert all(len(found) > 0 for found in singles)
    for got, expected in zip(batched, singles, strict=True):
        np.testing.assert_allclose(got.xyxy, expected.xyxy, atol=1e-2)
        np.testing.assert_allclose(got.confidence, expected.confidence, atol=1e-4)
        assert got.class_id.tolist() == expected.class_id.tolist()


def test_stage_by_stage_equals_detect(
    fall_small: Detector, carphone_frame: npt.NDArray[np.uint8]
) -> None:
    batch = fall_small.preprocess([carphone_frame] * 3)
    raw = fall_small.infer(batch)  # max_batch 2: chunks of 2 and 1

    # 288x320 canvas: (288/8 * 320/8) * (1 + 1/4 + 1/16) anchors
    assert raw.shape == (3, 6, 288 * 320 // 64 * 21 // 16)
    np.testing.assert_allclose(raw[2], raw[0], atol=1e-4)
    found = fall_small.postprocess(raw, batch)
    np.testing.assert_allclose(found[2].xyxy, fall_small.detect([carphone_frame])[0].xyxy)


def test_class_filter_by_name(cache_dir: Path, carphone_frame: npt.NDArray[np.uint8]) -> None:
    with Detector.load(
        BUNDLED_MODEL, threads=TEST_THREADS, cache_dir=cache_dir, classes=["Fall"], conf=0.01
    ) as detector:
        (found,) = detector.detect([carphone_frame])

    assert len(found) > 0 and set(found.class_id.tolist()) == {1}


def test_smaller_imgsz_shrinks_the_canvas_and_still_finds_the_person(
    fall_small: Detector, carphone_frame: npt.NDArray[np.uint8]
) -> None:
    assert fall_small.input_shape(720, 1280) == (192, 320)
    assert fall_small.input_shape(144, 176) == (288, 320)

    (found,) = fall_small.detect([carphone_frame])

    assert max(_iou(xyxy, GOLDEN_XYXY) for xyxy in found.xyxy) > 0.7


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"classes": ["person"]}, r"has no class 'person' \(classes: 0=Normal, 1=Fall\)"),
        ({"classes": [5]}, "has no class 5"),
        ({"imgsz": 650}, "imgsz 650x650 is not a positive multiple of the model's stride 32"),
    ],
)
def test_bad_options_name_the_model_and_the_fix(
    cache_dir: Path, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ModelError, match=rf"^fall-yolov8s-dynamic\.onnx: {message}"):
        Detector.load(BUNDLED_MODEL, cache_dir=cache_dir, **kwargs)  # type: ignore[arg-type]


def test_static_model_refuses_another_size(cache_dir: Path, fall_static: Detector) -> None:
    source = fall_static.info.rewritten_from
    assert source is not None

    with pytest.raises(ModelError, match="has a fixed 640x640 input, cannot run at 320x320"):
        Detector.load(source, cache_dir=cache_dir, imgsz=320)


def test_warmup_then_close(cache_dir: Path, carphone_frame: npt.NDArray[np.uint8]) -> None:
    detector = Detector.load(
        BUNDLED_MODEL, threads=TEST_THREADS, cache_dir=cache_dir, imgsz=256, max_batch=2
    )
    assert detector.provider == "cpu"
    detector.warmup(shape=(144, 176))
    detector.close()

    with pytest.raises(ModelError, match="detector is closed"):
        detector.detect([carphone_frame])


def test_inference_errors_are_model_errors(tiny_model_path: Path, tmp_path: Path) -> None:
    from camfleet.model import Letterbox, PreparedBatch

    box = Letterbox(scale=1.0, pad_x=0, pad_y=0, resized_w=5, resized_h=5)
    wrong = PreparedBatch(np.zeros((1, 3, 5, 5), np.float32), (box,), ((5, 5),))

    detector = Detector.load(tiny_model_path, threads=1, cache_dir=tmp_path)
    with pytest.raises(ModelError, match=r"^tiny\.onnx: inference failed on input \(1, 3, 5, 5\)"):
        detector.infer(wrong)
