"""BGR uint8 frames -> one float32 NCHW batch, through reused buffers.

Each frame is resized once, straight into its slot of a uint8 NHWC canvas; one NumPy
operation over the whole batch then swaps BGR to RGB, moves channels first and scales to
[0, 1] into the float32 tensor. Both buffers are allocated once per canvas shape and reused.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from camfleet.model.letterbox import Letterbox, canvas_shape, draw_into, place

__all__ = ["LetterboxedImage", "PreparedBatch", "Preprocessor"]

_INV_255 = np.float32(1.0 / 255.0)


@dataclass(frozen=True, slots=True)
class PreparedBatch:
    """A model-ready batch and what is needed to map boxes back to each original frame.

    ``tensor`` is a view into a buffer the preprocessor reuses: it stays valid until
    ``depth`` more batches of the same canvas shape are prepared (a ring of ``depth``
    buffers, so batches can be inferred while the next ones are prepared).
    """

    tensor: npt.NDArray[np.float32]
    letterboxes: tuple[Letterbox, ...]
    original_shapes: tuple[tuple[int, int], ...]

    def __len__(self) -> int:
        return len(self.letterboxes)

    @property
    def canvas_shape(self) -> tuple[int, int]:
        return int(self.tensor.shape[2]), int(self.tensor.shape[3])


@dataclass(frozen=True, slots=True)
class LetterboxedImage:
    """One frame already letterboxed into its own uint8 canvas (made on any thread)."""

    canvas: npt.NDArray[np.uint8]
    letterbox: Letterbox
    original_shape: tuple[int, int]


@dataclass(slots=True)
class _Buffers:
    canvas: npt.NDArray[np.uint8]
    tensors: tuple[npt.NDArray[np.float32], ...]
    turn: int = 0

    def to_tensor(self, count: int) -> npt.NDArray[np.float32]:
        """The first ``count`` canvases as RGB, channels first, in [0, 1], written into the
        next tensor of the ring."""
        tensor = self.tensors[self.turn][:count]
        self.turn = (self.turn + 1) % len(self.tensors)
        np.multiply(self.canvas[:count, :, :, ::-1].transpose(0, 3, 1, 2), _INV_255, out=tensor)
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
    ) -> None:
        if depth < 1:
            raise ValueError(f"depth must be at least 1, got {depth}")
        self.imgsz = imgsz
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

        count = len(images)
        buffers = self._buffers_for(canvas, count)
        for slot, image, box in zip(buffers.canvas, images, boxes, strict=False):
            draw_into(image, slot, box)
        tensor = buffers.to_tensor(count)
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
        """Stack letterboxed frames of one canvas shape into the model's float32 batch."""
        if len(items) == 0:
            raise ValueError("assemble needs at least one image")
        shape = items[0].canvas.shape[:2]
        if any(item.canvas.shape[:2] != shape for item in items):
            raise ValueError("assemble needs canvases of one shape; group frames by shape")
        count = len(items)
        buffers = self._buffers_for((int(shape[0]), int(shape[1])), count)
        np.stack([item.canvas for item in items], out=buffers.canvas[:count])
        tensor = buffers.to_tensor(count)
        return PreparedBatch(
            tensor=tensor,
            letterboxes=tuple(item.letterbox for item in items),
            original_shapes=tuple(item.original_shape for item in items),
        )

    def _buffers_for(self, canvas: tuple[int, int], count: int) -> _Buffers:
        buffers = self._buffers.get(canvas)
        if buffers is None or len(buffers.canvas) < count:
            size = max(count, self.max_batch)
            h, w = canvas
            buffers = _Buffers(
                canvas=np.empty((size, h, w, 3), np.uint8),
                tensors=tuple(np.empty((size, 3, h, w), np.float32) for _ in range(self.depth)),
            )
            self._buffers[canvas] = buffers
            while len(self._buffers) > self._cached_shapes:
                self._buffers.popitem(last=False)
        self._buffers.move_to_end(canvas)
        return buffers
