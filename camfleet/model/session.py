"""ONNX Runtime sessions: execution provider choice, threads, and honest failure.

ONNX Runtime quietly runs on CPU when a GPU provider cannot start (missing CUDA libraries, no
driver). camfleet would then plan capacity for a GPU it is not using, so a session that did
not get the provider it asked for is an error here, not a log line.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import onnxruntime as ort
import psutil

from camfleet.errors import ModelError, ProviderUnavailableError
from camfleet.paths import DEFAULT_DATA_DIR

__all__ = [
    "DEFAULT_CACHE_DIR",
    "PROVIDERS",
    "Shape",
    "ShapeProfile",
    "available_providers",
    "check_provider",
    "create_session",
    "default_threads",
    "provider_chain",
    "provider_key",
]

DEFAULT_CACHE_DIR = DEFAULT_DATA_DIR / "cache"

# camfleet's short provider names -> ONNX Runtime execution providers.
PROVIDERS: dict[str, str] = {
    "cpu": "CPUExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "tensorrt": "TensorrtExecutionProvider",
    "openvino": "OpenVINOExecutionProvider",
}

_INSTALL_HINT = {
    "cuda": "install onnxruntime-gpu on a machine with an NVIDIA driver, or use --provider cpu",
    "tensorrt": (
        "install onnxruntime-gpu and TensorRT on a machine with an NVIDIA driver, "
        "or use --provider cuda or cpu"
    ),
    "openvino": "install onnxruntime-openvino, or use --provider cpu",
    "cpu": "reinstall onnxruntime",
}


Shape = tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ShapeProfile:
    """The input shapes TensorRT builds engines for: one ``(min, opt, max)`` per profile.

    Each padded batch size gets a profile of its own (its kernels tuned for that batch), so
    an engine serves exactly the sizes the detector runs at.
    """

    input_name: str
    ranges: tuple[tuple[Shape, Shape, Shape], ...]

    def provider_options(self) -> dict[str, str]:
        """The TensorRT provider's ``trt_profile_*_shapes`` options: the same input listed
        once per profile, ``name:1x384x640x3,name:4x384x640x3``."""
        keys = ("trt_profile_min_shapes", "trt_profile_opt_shapes", "trt_profile_max_shapes")
        return {
            key: ",".join(
                f"{self.input_name}:" + "x".join(str(d) for d in shapes[index])
                for shapes in self.ranges
            )
            for index, key in enumerate(keys)
        }


def available_providers() -> list[str]:
    """Execution providers this onnxruntime build offers, e.g. ``['CPUExecutionProvider']``."""
    return list(ort.get_available_providers())


def default_threads() -> int:
    """Physical cores: hyper-threads slow ONNX Runtime's compute-bound kernels down."""
    return psutil.cpu_count(logical=False) or psutil.cpu_count() or 1


def provider_key(ort_name: str) -> str:
    """camfleet's short name for an ONNX Runtime provider (unknown names are returned as is)."""
    return next((key for key, value in PROVIDERS.items() if value == ort_name), ort_name)


def check_provider(provider: str) -> str:
    """The ONNX Runtime name of ``provider``, or :class:`ProviderUnavailableError` if this
    onnxruntime build lacks it."""
    if provider not in PROVIDERS:
        raise ProviderUnavailableError(
            f"unknown execution provider '{provider}'; choose one of {', '.join(PROVIDERS)}"
        )
    wanted = PROVIDERS[provider]
    available = available_providers()
    if wanted not in available:
        raise ProviderUnavailableError(
            f"provider '{provider}' is not available in this onnxruntime build "
            f"(available: {', '.join(available)}); {_INSTALL_HINT[provider]}"
        )
    return wanted


def create_session(
    model_path: Path,
    provider: str = "cpu",
    *,
    device_id: int = 0,
    threads: int | None = None,
    cache_dir: Path = DEFAULT_CACHE_DIR,
    shape_profile: ShapeProfile | None = None,
    spin: bool = False,
) -> ort.InferenceSession:
    """An inference session on ``provider``, or :class:`ProviderUnavailableError`.

    ``spin``: let idle intra-op threads busy-wait for work. Off by default because camfleet
    shares the CPU with decode threads: measured on a loaded 2-core box, YOLOv8n at 384x640
    took 437 ms spinning vs 315 ms not (p50, 2 threads).
    """
    wanted = check_provider(provider)
    if threads is not None and threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.intra_op_num_threads = threads or default_threads()
    options.inter_op_num_threads = 1
    if not spin:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3  # errors only: CPU fallback for a few nodes is expected
    providers = provider_chain(provider, device_id, cache_dir, shape_profile)
    try:
        with warnings.catch_warnings():
            # ORT warns, then runs on CPU, when a listed provider cannot start; checked below.
            warnings.simplefilter("ignore", UserWarning)
            session = ort.InferenceSession(str(model_path), options, providers=providers)
    except Exception as exc:  # onnxruntime raises its own pybind11 classes, not a common base
        first_line = (str(exc).strip() or type(exc).__name__).splitlines()[0]
        raise ModelError(
            f"{model_path.name}: ONNX Runtime cannot load it on '{provider}' ({first_line}); "
            f"check the file is a valid ONNX model, or try --provider cpu"
        ) from exc

    active = session.get_providers()
    if wanted not in active:
        raise ProviderUnavailableError(
            f"provider '{provider}' failed to start, ONNX Runtime fell back to "
            f"{', '.join(active)}; {_INSTALL_HINT[provider]} (check CUDA/cuDNN libraries "
            f"match this onnxruntime build)"
        )
    return session


def provider_chain(
    provider: str, device_id: int, cache_dir: Path, profile: ShapeProfile | None
) -> list[str | tuple[str, dict[str, Any]]]:
    """Providers in priority order: nodes a provider cannot run go to the next one."""
    # Batches come in every size up to max_batch: an exhaustive cuDNN search per new shape
    # would stall live frames, so take cuDNN's heuristic choice.
    cuda: tuple[str, dict[str, Any]] = (
        "CUDAExecutionProvider",
        {"device_id": device_id, "cudnn_conv_algo_search": "HEURISTIC"},
    )
    cpu = "CPUExecutionProvider"
    if provider == "cuda":
        return [cuda, cpu]
    if provider == "tensorrt":
        engine_dir = _cache_subdir(cache_dir, "trt")
        trt: dict[str, Any] = {
            "device_id": device_id,
            "trt_fp16_enable": True,
            "trt_engine_cache_enable": True,
            "trt_engine_cache_path": str(engine_dir),
            "trt_timing_cache_enable": True,
            "trt_timing_cache_path": str(engine_dir),
        }
        if profile is not None:
            trt.update(profile.provider_options())
        chain: list[str | tuple[str, dict[str, Any]]] = [("TensorrtExecutionProvider", trt)]
        if "CUDAExecutionProvider" in available_providers():
            chain.append(cuda)
        return [*chain, cpu]
    if provider == "openvino":
        ov_dir = _cache_subdir(cache_dir, "openvino")
        return [("OpenVINOExecutionProvider", {"cache_dir": str(ov_dir)}), cpu]
    return [cpu]


def _cache_subdir(cache_dir: Path, name: str) -> Path:
    folder = cache_dir / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(
            f"cannot create the {name} engine cache {folder} ({exc.strerror}); "
            f"pass a writable cache_dir"
        ) from exc
    return folder
