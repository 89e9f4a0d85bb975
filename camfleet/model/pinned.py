"""Page-locked ("pinned") host buffers, so batches reach a CUDA device by DMA, not staging.

NumPy allocates the buffers as usual; ``cudaHostRegister`` then pins the pages in place, so
the preprocessor keeps writing plain arrays and ONNX Runtime's host-to-device copy of them
runs at full PCIe speed. Pinning is an optimisation: without the CUDA runtime library (a CPU
host) buffers stay pageable and everything else is unchanged.
"""

from __future__ import annotations

import ctypes
import logging
import weakref
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

__all__ = ["Allocator", "CudaRuntime", "host_allocator", "load_cuda_runtime", "pinned_allocator"]

log = logging.getLogger(__name__)

Allocator = Callable[[tuple[int, ...], type[np.generic]], npt.NDArray[Any]]

# onnxruntime-gpu loads one of these (CUDA 12 or 13); dlopen returns the loaded copy.
_CUDART_NAMES = ("libcudart.so.13", "libcudart.so.12", "libcudart.so")
_PORTABLE = 1  # cudaHostRegisterPortable: pinned for every CUDA context


class CudaRuntime(Protocol):
    """The two CUDA runtime calls used here (``ctypes.CDLL`` of libcudart satisfies it)."""

    def cudaHostRegister(self, ptr: ctypes.c_void_p, size: ctypes.c_size_t, flags: int) -> int: ...

    def cudaHostUnregister(self, ptr: ctypes.c_void_p) -> int: ...


def host_allocator(shape: tuple[int, ...], dtype: type[np.generic]) -> npt.NDArray[Any]:
    """Plain pageable memory: the CPU provider's buffers."""
    return np.empty(shape, dtype)


def load_cuda_runtime() -> CudaRuntime | None:
    """The CUDA runtime library, or ``None`` where there is none (a CPU-only host)."""
    for name in _CUDART_NAMES:
        try:
            runtime: CudaRuntime = ctypes.CDLL(name)
        except OSError:
            continue
        return runtime
    return None


def pinned_allocator(runtime: CudaRuntime | None) -> Allocator:
    """An allocator whose arrays are pinned through ``runtime`` (pageable if it is ``None``
    or refuses), unpinned again when the array is freed."""
    if runtime is None:
        return host_allocator

    def allocate(shape: tuple[int, ...], dtype: type[np.generic]) -> npt.NDArray[Any]:
        array = np.empty(shape, dtype)
        ptr, size = ctypes.c_void_p(array.ctypes.data), ctypes.c_size_t(array.nbytes)
        status = runtime.cudaHostRegister(ptr, size, _PORTABLE)
        if status != 0:
            log.warning("cudaHostRegister failed (CUDA error %d); batch buffer stays pageable",
                        status)
            return array
        weakref.finalize(array, runtime.cudaHostUnregister, ptr)
        return array

    return allocate
