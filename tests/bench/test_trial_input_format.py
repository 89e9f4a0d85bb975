"""A bench trial runs the model with the input format the bench was asked to measure."""

from __future__ import annotations

import pytest

from camfleet.bench.trial import TrialSpec, build_fleet


@pytest.mark.parametrize("input_format", ["uint8", "float"])
def test_trial_fleet_uses_the_benched_input_format(input_format: str) -> None:
    spec = TrialSpec(
        mode="shared", cameras=2, source="synthetic:64x48@5", model_path="m.onnx",
        provider="cpu", analyze_fps=2, slo_ms=500, duration_s=1, warmup_s=0, gating=False,
        max_batch=1, cache_dir="cache", input_format=input_format,  # type: ignore[arg-type]
    )
    assert build_fleet(spec).models["bench"].input_format == input_format
