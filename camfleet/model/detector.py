"""A YOLOv8 ONNX detector: frames in, :class:`~camfleet.frames.Detections` out.

It knows nothing about cameras: the engine hands it a batch of BGR images and gets one
``Detections`` per image, in that image's own pixel coordinates.

On a GPU provider the detector also: feeds the model uint8 canvases from pinned host
buffers, runs through IO binding (raw outputs stay on the device until decode fetches
them), and on TensorRT pads batches up to a few sizes so engines stay few.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from camfleet.errors import ModelError
from camfleet.frames import Detections
from camfleet.model.batch_rewrite import make_batch_dynamic
from camfleet.model.binding import DeviceOutput, run_bound
from camfleet.model.decode import decode_candidates
from camfleet.model.letterbox import PAD_VALUE, boxes_to_original
from camfleet.model.metadata import ModelInfo, inspect_model
from camfleet.model.nms import nms_classwise
from camfleet.model.padding import DEFAULT_PAD_SIZES, batch_buckets
from camfleet.model.pinned import host_allocator, load_cuda_runtime, pinned_allocator
from camfleet.model.preprocess import (
    INPUT_FORMATS,
    InputFormat,
    LetterboxedImage,
    PreparedBatch,
    Preprocessor,
)
from camfleet.model.session import (
    DEFAULT_CACHE_DIR,
    Shape,
    ShapeProfile,
    check_provider,
    create_session,
    provider_key,
)
from camfleet.model.uint8_input import UINT8_INPUT_NAME, make_uint8_input

__all__ = ["DEFAULT_INPUT_FORMAT", "Detector", "RawOutput", "tensorrt_profile"]

# What the model is fed: uint8 canvases (conversion inside the graph) unless asked otherwise.
DEFAULT_INPUT_FORMAT: InputFormat = "uint8"
_GPU_PROVIDERS = frozenset({"cuda", "tensorrt"})

RawOutput = npt.NDArray[np.float32] | DeviceOutput
"""``infer``'s result: ``(B, 4 + nc, anchors)`` on the host, or still on the device."""


class Detector:
    """One ONNX Runtime session of one YOLOv8 detection model, with its pre/post-processing.

    Build it with :meth:`load`. Threads: :meth:`preprocess` reuses buffers, so it must not
    run concurrently with itself; :meth:`infer` (ONNX Runtime's ``run`` is thread-safe) and
    :meth:`postprocess` (stateless) may run on other threads. A prepared batch stays valid
    until ``in_flight`` more batches of the same canvas shape are prepared, so up to
    ``in_flight`` batches can be prepared-or-running at once.
    """

    def __init__(
        self,
        session: ort.InferenceSession,
        info: ModelInfo,
        *,
        conf: float,
        iou: float,
        class_filter: npt.NDArray[np.int32] | None,
        max_det: int,
        imgsz: tuple[int, int],
        max_batch: int,
        in_flight: int = 2,
        input_format: InputFormat = "float",
        buckets: tuple[int, ...] = (),
        io_binding: bool = False,
        device_id: int = 0,
    ) -> None:
        """``input_format`` must match the session's model (see :meth:`load`); ``buckets``:
        batch sizes to pad to; ``io_binding``: run through IO binding, keeping raw outputs
        on the provider's device until :meth:`postprocess`."""
        self._session: ort.InferenceSession | None = session
        self.info = info
        self.conf = conf
        self.iou = iou
        self.class_filter = class_filter
        self.max_det = max_det
        self.imgsz = imgsz
        self.max_batch = max_batch
        self.in_flight = in_flight
        self.input_format: InputFormat = input_format
        self.buckets = buckets
        self.io_binding = io_binding
        self.session_providers: tuple[str, ...] = tuple(session.get_providers())
        on_gpu = self.provider in _GPU_PROVIDERS
        self._output_device = "cuda" if on_gpu else "cpu"
        self._device_id = device_id
        self._preprocess = Preprocessor(
            imgsz,
            info.stride,
            rect=info.dynamic_hw,
            max_batch=max_batch,
            depth=in_flight,
            input_format=input_format,
            buckets=buckets,
            allocate=pinned_allocator(load_cuda_runtime()) if on_gpu else host_allocator,
        )

    @classmethod
    def load(
        cls,
        path: Path | str,
        provider: str = "cpu",
        conf: float = 0.25,
        iou: float = 0.7,
        classes: Sequence[str] | Sequence[int] | None = None,
        max_det: int = 300,
        imgsz: int | tuple[int, int] | None = None,
        device_id: int = 0,
        threads: int | None = None,
        cache_dir: Path | str = DEFAULT_CACHE_DIR,
        max_batch: int = 8,
        in_flight: int = 2,
        input_format: InputFormat = DEFAULT_INPUT_FORMAT,
        pad_batches: Sequence[int] | None = None,
        io_binding: bool | None = None,
    ) -> Detector:
        """Validate the model, make its batch dynamic if needed, and open a session.

        ``input_format="uint8"`` (the default) feeds the model letterboxed uint8 canvases,
        its input converted inside the graph (a cached rewrite of the file); ``"float"``
        feeds the export's own float32 NCHW input. ``pad_batches``: pad each batch up to
        the next of these sizes (default: 1, 4, 8, 16, 32 on TensorRT, no padding
        elsewhere). ``io_binding``: default on for cuda and tensorrt.
        """
        _check_range("conf", conf, 0.0, 1.0)
        _check_range("iou", iou, 0.0, 1.0)
        if max_det < 1 or max_batch < 1:
            raise ValueError(f"max_det and max_batch must be >= 1, got {max_det}, {max_batch}")
        if input_format not in INPUT_FORMATS:
            raise ValueError(f"input_format must be one of {INPUT_FORMATS}, got {input_format!r}")
        check_provider(provider)  # before a batch rewrite that would be wasted
        source, cache_dir = Path(path), Path(cache_dir)
        info = inspect_model(source)
        class_filter = _class_filter(classes, info)
        size = _resolve_imgsz(imgsz, info)
        if not info.dynamic_batch:
            info = _with_path(inspect_model(make_batch_dynamic(source, cache_dir)), source)
        if input_format == "uint8":
            fused = make_uint8_input(info.path, cache_dir, cast_first=provider == "tensorrt")
            info = replace(info, path=fused, input_name=UINT8_INPUT_NAME, rewritten_from=source)
        if pad_batches is None:
            pad_batches = DEFAULT_PAD_SIZES if provider == "tensorrt" else ()
        buckets = batch_buckets(pad_batches, max_batch)
        profile = tensorrt_profile(info, size, max_batch, buckets, input_format)
        session = create_session(
            info.path,
            provider,
            device_id=device_id,
            threads=threads,
            cache_dir=cache_dir,
            shape_profile=profile,
        )
        return cls(
            session,
            info,
            conf=conf,
            iou=iou,
            class_filter=class_filter,
            max_det=max_det,
            imgsz=size,
            max_batch=max_batch,
            in_flight=in_flight,
            input_format=input_format,
            buckets=buckets,
            io_binding=provider in _GPU_PROVIDERS if io_binding is None else io_binding,
            device_id=device_id,
        )

    @property
    def provider(self) -> str:
        """The provider really running the model: ``cpu``, ``cuda``, ``tensorrt``, ``openvino``."""
        return provider_key(self.session_providers[0])

    def input_shape(self, h: int, w: int) -> tuple[int, int]:
        """The letterbox canvas ``(H, W)`` for a ``h x w`` frame (rect if H/W are dynamic)."""
        return self._preprocess.canvas_shape(h, w)

    def preprocess(self, images: Sequence[npt.NDArray[np.uint8]]) -> PreparedBatch:
        """Letterbox BGR uint8 images into one batch (the canvas fits the largest of them)."""
        return self._preprocess(images)

    def letterbox(self, image: npt.NDArray[np.uint8]) -> LetterboxedImage:
        """Letterbox one frame on the calling thread (thread-safe; see :meth:`assemble`)."""
        return self._preprocess.letterbox_one(image)

    def assemble(self, items: Sequence[LetterboxedImage]) -> PreparedBatch:
        """A batch from frames :meth:`letterbox` prepared (same canvas shape); like
        :meth:`preprocess`, it must not run concurrently with itself."""
        return self._preprocess.assemble(items)

    def infer(self, batch: PreparedBatch) -> RawOutput:
        """Run the model: ``(B, 4 + nc, anchors)``, in chunks of at most ``max_batch``.

        Padding rows are dropped. With IO binding the result stays on the device until
        :meth:`postprocess` fetches it.
        """
        session = self._require_session()
        tensor = batch.tensor
        step = self.max_batch
        chunks = [tensor[start : start + step] for start in range(0, len(tensor), step)]
        if self.io_binding:
            return DeviceOutput(tuple(self._run_bound(session, c) for c in chunks), len(batch))
        outputs = [self._run(session, chunk) for chunk in chunks]
        whole = outputs[0] if len(outputs) == 1 else np.concatenate(outputs)
        return whole[: len(batch)]

    def postprocess(self, raw: RawOutput, batch: PreparedBatch) -> list[Detections]:
        """Threshold, class-wise NMS, and map boxes back to each original frame (clipped)."""
        if isinstance(raw, DeviceOutput):
            raw = raw.to_host()
        if len(raw) != len(batch):
            raise ValueError(f"model output has {len(raw)} images, the batch {len(batch)}")
        results: list[Detections] = []
        candidates = decode_candidates(raw, self.conf, self.class_filter)
        for found, box, shape in zip(
            candidates, batch.letterboxes, batch.original_shapes, strict=True
        ):
            keep = nms_classwise(found.xyxy, found.score, found.class_id, self.iou, self.max_det)
            results.append(
                Detections(
                    xyxy=boxes_to_original(found.xyxy[keep], box, shape),
                    confidence=found.score[keep],
                    class_id=found.class_id[keep],
                )
            )
        return results

    def detect(self, images: Sequence[npt.NDArray[np.uint8]]) -> list[Detections]:
        """Preprocess, infer and postprocess: one ``Detections`` per image."""
        batch = self.preprocess(images)
        return self.postprocess(self.infer(batch), batch)

    def warmup(
        self, batch_sizes: Iterable[int] | None = None, shape: tuple[int, int] | None = None
    ) -> None:
        """Run grey frames of ``shape`` (h, w) at each batch size, so the first real batch
        does not pay for memory allocation, kernel selection or engine building."""
        default = self.buckets or (1, self.max_batch)  # padded: every size an engine serves
        sizes = sorted(set(batch_sizes if batch_sizes is not None else default))
        h, w = shape if shape is not None else self.imgsz
        frame = np.full((h, w, 3), PAD_VALUE, np.uint8)
        for size in sizes:
            self.detect([frame] * size)

    def close(self) -> None:
        """Release the session; the detector cannot be used afterwards."""
        self._session = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"Detector({self.info.source.name!r}, provider={self.provider!r}, "
            f"imgsz={self.imgsz}, classes={self.info.num_classes})"
        )

    def _require_session(self) -> ort.InferenceSession:
        if self._session is None:
            raise ModelError(f"{self.info.source.name}: detector is closed; load it again")
        return self._session

    def _run(self, session: ort.InferenceSession, tensor: npt.NDArray[Any]) -> Any:
        try:
            return session.run([self.info.output_name], {self.info.input_name: tensor})[0]
        except Exception as exc:  # onnxruntime's pybind11 errors share no useful base class
            raise self._inference_error(tensor, exc) from exc

    def _run_bound(self, session: ort.InferenceSession, tensor: npt.NDArray[Any]) -> ort.IOBinding:
        try:
            return run_bound(
                session,
                self.info.input_name,
                self.info.output_name,
                tensor,
                self._output_device,
                self._device_id,
            )
        except Exception as exc:  # as in _run
            raise self._inference_error(tensor, exc) from exc

    def _inference_error(self, tensor: npt.NDArray[Any], exc: Exception) -> ModelError:
        first_line = (str(exc).strip() or type(exc).__name__).splitlines()[0]
        return ModelError(
            f"{self.info.source.name}: inference failed on input {tuple(tensor.shape)} "
            f"({first_line}); check the model accepts this batch size and shape"
        )


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise ValueError(f"{name} must be within [{low}, {high}], got {value}")


def _with_path(info: ModelInfo, source: Path) -> ModelInfo:
    """Describe the rewritten copy, remembering the file it came from."""
    return replace(info, rewritten_from=source)


def _class_filter(
    classes: Sequence[str] | Sequence[int] | None, info: ModelInfo
) -> npt.NDArray[np.int32] | None:
    if classes is None:
        return None
    by_name = {name: index for index, name in info.names.items()}
    ids: list[int] = []
    for item in classes:
        if isinstance(item, str) and item in by_name:
            ids.append(by_name[item])
        elif isinstance(item, int) and item in info.names:
            ids.append(item)
        else:
            known = ", ".join(f"{i}={n}" for i, n in info.names.items())
            raise ModelError(
                f"{info.path.name}: has no class {item!r} (classes: {known[:200]}); "
                f"pick classes from that list"
            )
    return np.array(sorted(set(ids)), np.int32)


def _resolve_imgsz(imgsz: int | tuple[int, int] | None, info: ModelInfo) -> tuple[int, int]:
    if imgsz is None:
        return info.imgsz
    size = (imgsz, imgsz) if isinstance(imgsz, int) else (int(imgsz[0]), int(imgsz[1]))
    if not info.dynamic_hw and size != info.imgsz:
        raise ModelError(
            f"{info.path.name}: has a fixed {info.imgsz[0]}x{info.imgsz[1]} input, cannot run "
            f"at {size[0]}x{size[1]}; drop imgsz or re-export with Ultralytics dynamic=True"
        )
    if any(d <= 0 or d % info.stride for d in size):
        raise ModelError(
            f"{info.path.name}: imgsz {size[0]}x{size[1]} is not a positive multiple of the "
            f"model's stride {info.stride}; use e.g. {info.imgsz[0]}"
        )
    return size


def tensorrt_profile(
    info: ModelInfo,
    imgsz: tuple[int, int],
    max_batch: int,
    buckets: tuple[int, ...],
    input_format: InputFormat,
) -> ShapeProfile:
    """Shapes TensorRT builds for: canvases up to ``imgsz``; one profile per padded batch
    size (exactly that batch), or one for any batch up to ``max_batch`` without padding."""
    low = (info.stride, info.stride) if info.dynamic_hw else imgsz

    def shape(batch: int, hw: tuple[int, int]) -> Shape:
        return (batch, *hw, 3) if input_format == "uint8" else (batch, 3, *hw)

    if buckets:
        ranges = tuple((shape(b, low), shape(b, imgsz), shape(b, imgsz)) for b in buckets)
    else:
        ranges = ((shape(1, low), shape(max_batch, imgsz), shape(max_batch, imgsz)),)
    return ShapeProfile(input_name=info.input_name, ranges=ranges)
