"""The model runtime: Ultralytics YOLOv8 ONNX detection models on ONNX Runtime.

Frames (BGR uint8 arrays) go in, :class:`~camfleet.frames.Detections` come out. Static
batch-1 exports are made batch-dynamic on import so frames of many cameras share one run, and
models take the letterboxed uint8 canvases as they are (converted inside the graph).
"""

from camfleet.model.batch_rewrite import make_batch_dynamic
from camfleet.model.binding import DeviceOutput
from camfleet.model.detector import Detector
from camfleet.model.letterbox import Letterbox
from camfleet.model.metadata import ModelInfo, inspect_model
from camfleet.model.preprocess import LetterboxedImage, PreparedBatch
from camfleet.model.session import PROVIDERS, available_providers
from camfleet.model.uint8_input import make_uint8_input

__all__ = [
    "PROVIDERS",
    "Detector",
    "DeviceOutput",
    "Letterbox",
    "LetterboxedImage",
    "ModelInfo",
    "PreparedBatch",
    "available_providers",
    "inspect_model",
    "make_batch_dynamic",
    "make_uint8_input",
]
