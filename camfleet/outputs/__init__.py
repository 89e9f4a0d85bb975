"""Files a run writes: annotated videos and JSON-lines detections."""

from camfleet.outputs.jsonl import DetectionsJsonl
from camfleet.outputs.video import AnnotatedVideoWriter

__all__ = ["AnnotatedVideoWriter", "DetectionsJsonl"]
