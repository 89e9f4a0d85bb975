from __future__ import annotations

from pathlib import Path

import pytest

from camfleet.errors import ModelError, ProviderUnavailableError
from camfleet.model import Detector, available_providers, session
from camfleet.model.session import create_session, default_threads
from camfleet.paths import BUNDLED_MODEL


def test_cpu_is_always_available() -> None:
    assert "CPUExecutionProvider" in available_providers()


def test_cpu_session_uses_requested_threads(tiny_model_path: Path, tmp_path: Path) -> None:
    sess = create_session(tiny_model_path, "cpu", threads=1, cache_dir=tmp_path)

    assert sess.get_providers() == ["CPUExecutionProvider"]
    options = sess.get_session_options()
    assert options.intra_op_num_threads == 1
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"


def test_default_threads_are_physical_cores() -> None:
    import psutil

    assert default_threads() == (psutil.cpu_count(logical=False) or psutil.cpu_count() or 1)


@pytest.mark.parametrize("provider", ["cuda", "tensorrt", "openvino"])
def test_missing_gpu_provider_fails_cleanly(
    provider: str, tiny_model_path: Path, tmp_path: Path
) -> None:
    if session.PROVIDERS[provider] in available_providers():
        pytest.skip(f"{provider} is available in this onnxruntime build")

    with pytest.raises(ProviderUnavailableError) as caught:
        Detector.load(tiny_model_path, provider=provider, cache_dir=tmp_path / "cache")

    message = str(caught.value)
    assert message.startswith(f"provider '{provider}' is not available in this onnxruntime build")
    assert "CPUExecutionProvider" in message
    assert "--provider" in message and "\n" not in message
    assert not (tmp_path / "cache").exists(), "refused before rewriting the static model"


def test_unknown_provider_is_refused(tiny_model_path: Path, tmp_path: Path) -> None:
    with pytest.raises(ProviderUnavailableError, match="choose one of cpu, cuda, tensorrt"):
        create_session(tiny_model_path, "tpu", cache_dir=tmp_path)


def test_silent_fallback_to_cpu_is_an_error(
    monkeypatch: pytest.MonkeyPatch, tiny_model_path: Path, tmp_path: Path
) -> None:
    if "CUDAExecutionProvider" in available_providers():
        pytest.skip("CUDA really is available; nothing to fall back from")
    # Pretend this build lists CUDA: ONNX Runtime then really starts the session on CPU only.
    listed = [*available_providers(), "CUDAExecutionProvider"]
    monkeypatch.setattr(session.ort, "get_available_providers", lambda: listed)

    with pytest.raises(ProviderUnavailableError, match=r"'cuda' failed to start.*fell back to"):
        create_session(tiny_model_path, "cuda", cache_dir=tmp_path)


def test_session_load_failure_is_a_model_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"\x08\x07garbage")

    with pytest.raises(ModelError, match=r"^broken\.onnx: ONNX Runtime cannot load it"):
        create_session(broken, "cpu", cache_dir=tmp_path)


@pytest.mark.gpu
def test_cuda_session_runs_on_gpu(tmp_path: Path) -> None:
    if "CUDAExecutionProvider" not in available_providers():
        pytest.skip("onnxruntime-gpu with CUDA is not installed")
    import numpy as np

    with Detector.load(BUNDLED_MODEL, provider="cuda", cache_dir=tmp_path, max_batch=4) as det:
        assert det.provider == "cuda"
        frame = np.full((720, 1280, 3), 114, np.uint8)
        assert len(det.detect([frame] * 4)) == 4
