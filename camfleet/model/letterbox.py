"""Letterbox geometry: where a frame sits in the model's input canvas, and back.

Same arithmetic as Ultralytics' ``LetterBox`` so users get the same boxes: scale by
``r = min(imgsz_h / h, imgsz_w / w)`` (up or down), resize to ``round(w * r) x round(h * r)``,
centre it with ``round(pad - 0.1)`` on the top/left, pad with grey 114. In "rect" mode (models
with dynamic H/W) the canvas shrinks to the smallest stride multiple holding the resized
frame: 1280x720 at 640 gives 384x640 instead of 640x640.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

__all__ = [
    "PAD_VALUE",
    "Letterbox",
    "boxes_to_canvas",
    "boxes_to_original",
    "canvas_shape",
    "draw_into",
    "place",
]

PAD_VALUE = 114


@dataclass(frozen=True, slots=True)
class Letterbox:
    """One image's placement in its canvas: ``canvas_xy = original_xy * scale + pad``."""

    scale: float
    pad_x: int
    pad_y: int
    resized_w: int
    resized_h: int


def _resized_size(h: int, w: int, imgsz: tuple[int, int]) -> tuple[float, int, int]:
    scale = min(imgsz[0] / h, imgsz[1] / w)
    return scale, round(h * scale), round(w * scale)


def canvas_shape(
    h: int, w: int, imgsz: tuple[int, int], stride: int, rect: bool
) -> tuple[int, int]:
    """The canvas ``(H, W)`` a ``h x w`` frame is letterboxed into.

    ``rect``: trim the padding to the remainder modulo ``stride`` (Ultralytics' ``auto``), so
    the canvas is the smallest stride-aligned shape that holds the frame at ``imgsz``.
    Otherwise the canvas is ``imgsz`` itself.
    """
    if h <= 0 or w <= 0:
        raise ValueError(f"image size must be positive, got {h}x{w}")
    if not rect:
        return imgsz
    _, rh, rw = _resized_size(h, w, imgsz)
    return rh + (imgsz[0] - rh) % stride, rw + (imgsz[1] - rw) % stride


def place(h: int, w: int, canvas: tuple[int, int], imgsz: tuple[int, int]) -> Letterbox:
    """Centre a ``h x w`` frame, scaled to fit ``imgsz``, in a canvas of shape ``canvas``.

    The canvas may be larger than the frame's own (a batch shares the largest canvas); the
    scale depends only on ``imgsz``, so a frame gets the same pixels whatever it is batched with.
    """
    scale, rh, rw = _resized_size(h, w, imgsz)
    if rh > canvas[0] or rw > canvas[1]:
        raise ValueError(f"canvas {canvas} cannot hold a {h}x{w} frame resized to {rh}x{rw}")
    pad_y = round((canvas[0] - rh) / 2 - 0.1)
    pad_x = round((canvas[1] - rw) / 2 - 0.1)
    return Letterbox(scale=scale, pad_x=pad_x, pad_y=pad_y, resized_w=rw, resized_h=rh)


def draw_into(image: npt.NDArray[np.uint8], slot: npt.NDArray[np.uint8], box: Letterbox) -> None:
    """Resize ``image`` (HxWx3) straight into its place in ``slot`` (a canvas); pad the rest."""
    top, left = box.pad_y, box.pad_x
    bottom, right = top + box.resized_h, left + box.resized_w
    slot[:top].fill(PAD_VALUE)
    slot[bottom:].fill(PAD_VALUE)
    slot[top:bottom, :left].fill(PAD_VALUE)
    slot[top:bottom, right:].fill(PAD_VALUE)
    region = slot[top:bottom, left:right]
    if image.shape[:2] == region.shape[:2]:
        region[...] = image
    else:
        size = (box.resized_w, box.resized_h)
        resized = cv2.resize(image, size, dst=region, interpolation=cv2.INTER_LINEAR)
        if resized is not region:  # OpenCV allocated instead of writing in place
            region[...] = resized


def boxes_to_canvas(xyxy: npt.NDArray[np.floating], box: Letterbox) -> npt.NDArray[np.float32]:
    """Map ``(N, 4)`` xyxy boxes from original-frame pixels to canvas pixels."""
    pad = np.array([box.pad_x, box.pad_y, box.pad_x, box.pad_y], np.float32)
    return (np.asarray(xyxy, np.float32) * np.float32(box.scale) + pad).astype(np.float32)


def boxes_to_original(
    xyxy: npt.NDArray[np.floating], box: Letterbox, shape: tuple[int, int]
) -> npt.NDArray[np.float32]:
    """Map ``(N, 4)`` xyxy canvas boxes back to the original ``(h, w)`` frame, clipped to it."""
    pad = np.array([box.pad_x, box.pad_y, box.pad_x, box.pad_y], np.float32)
    out = (np.asarray(xyxy, np.float32) - pad) / np.float32(box.scale)
    np.clip(out[:, 0::2], 0, shape[1], out=out[:, 0::2])
    np.clip(out[:, 1::2], 0, shape[0], out=out[:, 1::2])
    return out.astype(np.float32, copy=False)
