"""Video sources: turn a camera URL into a stream of :class:`~camfleet.frames.Frame`.

``open_source(url, camera_id, ...)`` picks the source for a URL (file, RTSP, HTTP, synthetic,
reference scene); ``CameraReader`` runs one on its own thread into a ``FrameSlot`` and
reconnects with backoff when it fails. This layer knows nothing about models.
"""

from camfleet.sources.base import Source, SourceState, SourceStatus
from camfleet.sources.decode_cost import DecodeCost, measure_decode_cost
from camfleet.sources.encode import write_h264, write_reference_clip
from camfleet.sources.keyframe import LatestKeyframe
from camfleet.sources.open import open_source
from camfleet.sources.pyav_source import PyAVSource, redact_url
from camfleet.sources.reader import CameraReader, backoff_delay
from camfleet.sources.reference_scene import ReferenceSceneSource, clear_reference_cache
from camfleet.sources.sampling import SamplingClock
from camfleet.sources.slot import FrameSlot
from camfleet.sources.synthetic import SyntheticSource

__all__ = [
    "CameraReader",
    "DecodeCost",
    "FrameSlot",
    "LatestKeyframe",
    "PyAVSource",
    "ReferenceSceneSource",
    "SamplingClock",
    "Source",
    "SourceState",
    "SourceStatus",
    "SyntheticSource",
    "backoff_delay",
    "clear_reference_cache",
    "measure_decode_cost",
    "open_source",
    "redact_url",
    "write_h264",
    "write_reference_clip",
]
