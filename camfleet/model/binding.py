"""Run a session through ONNX Runtime IO binding: input read in place, output left on device.

``session.run`` with a NumPy input returns a NumPy output, so on CUDA every batch's raw output
(``(B, 4 + nc, anchors)`` float32) is copied back inside the run. With IO binding the input is
read straight from the (pinned, reused) host buffer and the output stays where the provider
computed it until :meth:`DeviceOutput.to_host` is called by the decoder. The same calls work
on the CPU provider, which is how they are tested.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import onnxruntime as ort

__all__ = ["DeviceOutput", "run_bound"]


@dataclass(frozen=True, slots=True)
class DeviceOutput:
    """One batch's raw output, as chunks still on the device they were computed on.

    ``rows`` real frames: rows beyond it are padding and are dropped on fetch.
    """

    chunks: tuple[ort.IOBinding, ...]
    rows: int

    def __len__(self) -> int:
        return self.rows

    def to_host(self) -> npt.NDArray[np.float32]:
        """Copy the output to host memory, padding rows dropped."""
        parts: list[npt.NDArray[np.float32]] = [
            binding.copy_outputs_to_cpu()[0] for binding in self.chunks
        ]
        whole = parts[0] if len(parts) == 1 else np.concatenate(parts)
        return whole[: self.rows]


def run_bound(
    session: ort.InferenceSession,
    input_name: str,
    output_name: str,
    tensor: npt.NDArray[Any],
    output_device: str,
    device_id: int = 0,
) -> ort.IOBinding:
    """Run ``session`` on ``tensor`` (C-contiguous host memory, read in place), keeping the
    output on ``output_device`` (``"cpu"`` or ``"cuda"``)."""
    if not tensor.flags.c_contiguous:
        raise ValueError("IO binding reads the input in place: pass a C-contiguous array")
    binding = session.io_binding()
    shape: Sequence[int] = tuple(int(d) for d in tensor.shape)
    binding.bind_input(input_name, "cpu", 0, tensor.dtype.type, shape, tensor.ctypes.data)
    binding.bind_output(output_name, output_device, device_id)
    session.run_with_iobinding(binding)
    return binding
