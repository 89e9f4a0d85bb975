from __future__ import annotations

import numpy as np
import pytest

from camfleet.engine.gate import MotionGate


def scene(seed: int = 0, h: int = 720, w: int = 1280) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.integers(40, 200, size=(h // 16, w // 16, 3), dtype=np.uint8)
    return np.repeat(np.repeat(base, 16, axis=0), 16, axis=1)


def noisy(image: np.ndarray, seed: int, sigma: float = 2.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(image + rng.normal(0, sigma, image.shape), 0, 255).astype(np.uint8)


def with_box(image: np.ndarray, x: int, y: int, size: int = 120) -> np.ndarray:
    out = image.copy()
    out[y : y + size, x : x + size] = (255, 255, 255)
    return out


def test_first_frame_is_analysed():
    gate = MotionGate()
    assert gate.decide(scene(), now=0.0).reason == "first"


def test_still_noisy_scene_is_gated_until_keepalive():
    gate = MotionGate(sensitivity=0.5, keepalive_s=10.0, hangover_s=1.0)
    base = scene()
    gate.decide(noisy(base, 0), now=0.0)
    decisions = [gate.decide(noisy(base, i), now=0.5 * i) for i in range(1, 20)]
    reasons = [d.reason for d in decisions]
    assert reasons[:19] == ["still"] * 19
    assert gate.decide(noisy(base, 99), now=10.0).reason == "keepalive"


def test_moving_object_passes_and_hangover_follows():
    gate = MotionGate(sensitivity=0.5, keepalive_s=60.0, hangover_s=1.0)
    base = scene()
    gate.decide(base, now=0.0)
    assert gate.decide(with_box(base, 100, 100), now=0.5).reason == "motion"
    assert gate.decide(with_box(base, 200, 100), now=1.0).reason == "motion"
    # the object stops: still analysed during the hangover, then gated
    assert gate.decide(with_box(base, 200, 100), now=1.5).reason == "hangover"
    assert gate.decide(with_box(base, 200, 100), now=2.5).analyse is False


@pytest.mark.parametrize(("sensitivity", "box", "expected"), [(0.9, 24, True), (0.1, 24, False)])
def test_sensitivity_sets_smallest_motion(sensitivity, box, expected):
    gate = MotionGate(sensitivity=sensitivity, keepalive_s=60.0)
    base = scene()
    gate.decide(base, now=0.0)
    assert gate.decide(with_box(base, 600, 300, size=box), now=0.5).analyse is expected


def test_disabled_gate_passes_everything():
    gate = MotionGate(enabled=False)
    base = scene()
    assert all(gate.decide(base, now=t).analyse for t in range(5))


def test_invalid_sensitivity():
    with pytest.raises(ValueError, match="sensitivity"):
        MotionGate(sensitivity=0.0)
