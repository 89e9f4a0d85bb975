"""BGR uint8 frames -> one model-ready batch, through reused buffers.

Each frame is resized once, straight into its slot of a uint8 NHWC canvas. For a model that
takes uint8 input (``input_format="uint8"``, see :mod:`camfleet.model.uint8_input`) those
canvases are the batch. For the exported float input, one NumPy operation over the whole
batch swaps BGR to RGB, moves channels first and scales to [0, 1] into a float32 tensor.
Buffers are allocated once per canvas shape (through an allocator, so they can be pinned
for a GPU) and reused.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from camfleet.model.letterbox import Letterbox, canvas_shape, draw_into, place
from camfleet.model.padding import padded_count
from camfleet.model.pinned import Allocator, host_allocator

__all__ = ["INPUT_FORMATS", "InputFormat", "LetterboxedImage", "PreparedBatch", "Preprocessor"]

InputFormat = Literal["float", "uint8"]
INPUT_FORMATS: tuple[InputFormat, ...] = ("float", "uint8")

_INV_255 = np.float32(1.0 / 255.0)


@dataclass(frozen=True, slots=True)
class PreparedBatch:
    """A model-ready batch and what is needed to map boxes back to each original frame.

    ``tensor`` is float32 NCHW RGB in [0, 1], or the uint8 NHWC BGR canvases themselves. It
    is a view into a buffer the preprocessor reuses: it stays valid until ``depth`` more
    batches of the same canvas shape are prepared (a ring of ``depth`` buffers, so batches
    can be inferred while the next ones are prepared). When the preprocessor pads batches,
    ``tensor`` has more rows than there are frames; the extra rows are padding.
    """

    tensor: npt.NDArray[np.float32] | npt.NDArray[np.uint8]
    letterboxes: tuple[Letterbox, ...]
    original_shapes: tuple[tuple[int, int], ...]

    def __len__(self) -> int:
        return len(self.letterboxes)

    @property
    def canvas_shape(self) -> tuple[int, int]:
        if self.tensor.dtype == np.uint8:  # NHWC canvases
            return int(self.tensor.shape[1]), int(self.tensor.shape[2])
        return int(self.tensor.shape[2]), int(self.tensor.shape[3])


@dataclass(frozen=True, slots=True)
class LetterboxedImage:
    """One frame already letterboxed into its own uint8 canvas (made on any thread)."""

    canvas: npt.NDArray[np.uint8]
    letterbox: Letterbox
    original_shape: tuple[int, int]


@dataclass(slots=True)
class _Buffers:
    """Canvases drawn into, and (float input only) the float tensors made from them.

    The ring of ``depth`` is over what the model reads: the float tensors for float input
    (one canvas suffices, it is converted before the next batch is drawn), the canvases
    themselves for uint8 input.
    """

    canvases: tuple[npt.NDArray[np.uint8], ...]
    tensors: tuple[npt.NDArray[np.float32], ...]
    depth: int
    turn: int = 0

    @property
    def canvas(self) -> npt.NDArray[np.uint8]:
        """The canvas the next batch is drawn into."""
        return self.canvases[self.turn % len(self.canvases)]

    def finish(self, rows: int) -> npt.NDArray[np.float32] | npt.NDArray[np.uint8]:
        """The first ``rows`` of the current canvas as the model's input; advances the ring."""
        turn, canvas = self.turn, self.canvas[:rows]
        self.turn = (turn + 1) % self.depth
        if not self.tensors:
            return canvas
        tensor = self.tensors[turn][:rows]
        np.multiply(canvas[:, :, :, ::-1].transpose(0, 3, 1, 2), _INV_255, out=tensor)
        return tensor


def _check_bgr(image: npt.NDArray[np.uint8]) -> None:
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(
            f"expected HxWx3 uint8 BGR images, got shape {image.shape} {image.dtype}"
        )


class Preprocessor:
    """Letterboxes batches of frames for one model (not thread-safe: one per caller)."""

    def __init__(
        self,
        imgsz: tuple[int, int],
        stride: int,
        rect: bool,
        max_batch: int,
        cached_shapes: int = 4,
        depth: int = 2,
        input_format: InputFormat = "float",
        buckets: tuple[int, ...] = (),
        allocate: Allocator = host_allocator,
    ) -> None:
        """``buckets``: pad each batch's rows up to these sizes (see
        :func:`~camfleet.model.padding.padded_count`); ``allocate``: makes the buffers the
        model reads (pinned ones for a GPU)."""
        if depth < 1:
            raise ValueError(f"depth must be at least 1, got {depth}")
        if input_format not in INPUT_FORMATS:
            raise ValueError(f"input_format must be one of {INPUT_FORMATS}, got {input_format!r}")
        self.imgsz = imgsz
        self.input_format: InputFormat = input_format
        self.buckets = buckets
        self._allocate = allocate
        self.depth = depth
        self.stride = stride
        self.rect = rect
        self.max_batch = max_batch
        self._cached_shapes = cached_shapes
        self._buffers: OrderedDict[tuple[int, int], _Buffers] = OrderedDict()

    def canvas_shape(self, h: int, w: int) -> tuple[int, int]:
        """The canvas ``(H, W)`` a ``h x w`` frame is letterboxed into on its own."""
        return canvas_shape(h, w, self.imgsz, self.stride, self.rect)

    def __call__(self, images: Sequence[npt.NDArray[np.uint8]]) -> PreparedBatch:
        if len(images) == 0:
            raise ValueError("preprocess needs at least one image")
        for image in images:
            _check_bgr(image)
        shapes = tuple((int(im.shape[0]), int(im.shape[1])) for im in images)
        canvases = [self.canvas_shape(h, w) for h, w in shapes]
        canvas = (max(c[0] for c in canvases), max(c[1] for c in canvases))
        boxes = tuple(place(h, w, canvas, self.imgsz) for h, w in shapes)

        rows = self._rows(len(images))
        buffers = self._buffers_for(canvas, rows)
        for slot, image, box in zip(buffers.canvas, images, boxes, strict=False):
            draw_into(image, slot, box)
        tensor = buffers.finish(rows)
        return PreparedBatch(tensor=tensor, letterboxes=boxes, original_shapes=shapes)

    def letterbox_one(self, image: npt.NDArray[np.uint8]) -> LetterboxedImage:
        """Letterbox one frame into a canvas of its own: thread-safe (no shared buffer), so
        callers can spread the resizing over many threads and hand :meth:`assemble` only the
        cheap stacking."""
        _check_bgr(image)
        h, w = int(image.shape[0]), int(image.shape[1])
        canvas_hw = self.canvas_shape(h, w)
        box = place(h, w, canvas_hw, self.imgsz)
        canvas = np.empty((*canvas_hw, 3), np.uint8)
        draw_into(image, canvas, box)
        return LetterboxedImage(canvas, box, (h, w))

    def assemble(self, items: Sequence[LetterboxedImage]) -> PreparedBatch:
        """Stack letterboxed frames of one canvas shape into the model's batch."""
        if len(items) == 0:
            raise ValueError("assemble needs at least one image")
        shape = items[0].canvas.shape[:2]
        if any(item.canvas.shape[:2] != shape for item in items):
            raise ValueError("assemble needs canvases of one shape; group frames by shape")
        count = len(items)
        rows = self._rows(count)
        buffers = self._buffers_for((int(shape[0]), int(shape[1])), rows)
        np.stack([item.canvas for item in items], out=buffers.canvas[:count])
        tensor = buffers.finish(rows)
        return PreparedBatch(
            tensor=tensor,
            letterboxes=tuple(item.letterbox for item in items),
            original_shapes=tuple(item.original_shape for item in items),
        )

    def _rows(self, count: int) -> int:
        return padded_count(count, self.buckets, self.max_batch)

    def _buffers_for(self, canvas: tuple[int, int], rows: int) -> _Buffers:
        buffers = self._buffers.get(canvas)
        if buffers is None or len(buffers.canvas) < rows:
            size = max(rows, self.max_batch)
            h, w = canvas
            if self.input_format == "uint8":
                canvases = tuple(
                    self._allocate((size, h, w, 3), np.uint8) for _ in range(self.depth)
                )
                tensors: tuple[npt.NDArray[np.float32], ...] = ()
            else:
                canvases = (np.empty((size, h, w, 3), np.uint8),)
                tensors = tuple(
                    self._allocate((size, 3, h, w), np.float32) for _ in range(self.depth)
                )
            buffers = _Buffers(canvases=canvases, tensors=tensors, depth=self.depth)
            self._buffers[canvas] = buffers
            while len(self._buffers) > self._cached_shapes:
                self._buffers.popitem(last=False)
        self._buffers.move_to_end(canvas)
        return buffers
