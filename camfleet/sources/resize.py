"""Fit a picture to a target size without distortion: centre-crop to the aspect, then resize."""

from __future__ import annotations

from typing import cast

import cv2

from camfleet.sources.base import UInt8Image

__all__ = ["fit_to_size"]


def fit_to_size(image: UInt8Image, width: int, height: int) -> UInt8Image:
    """Centre-crop ``image`` to ``width:height`` and resize it to exactly that: no bars."""
    h, w = image.shape[:2]
    if w * height > h * width:
        crop_w = max(1, round(h * width / height))
        x0 = (w - crop_w) // 2
        image = image[:, x0 : x0 + crop_w]
    else:
        crop_h = max(1, round(w * height / width))
        y0 = (h - crop_h) // 2
        image = image[y0 : y0 + crop_h]
    shrinking = image.shape[1] > width
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return cast(UInt8Image, cv2.resize(image, (width, height), interpolation=interpolation))
