"""``POST /cameras/test``: open a source, read one frame, report its size; nothing is saved.

The source opens on a worker thread that the request waits for at most ``timeout_s`` (plus a
grace period), so a camera that hangs cannot hang the API.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from camfleet.control.secrets import mask_url
from camfleet.errors import CamfleetError, SourceError
from camfleet.sources import open_source

__all__ = ["ProbeResult", "probe_source"]

_GRACE_S = 2.0


@dataclass(frozen=True, slots=True)
class ProbeResult:
    width: int
    height: int
    fps: float | None


def probe_source(url: str, timeout_s: float) -> ProbeResult:
    """Blocking; run it off the event loop. Raises :class:`SourceError` with the reason."""
    outcome: list[ProbeResult | CamfleetError] = []

    def attempt() -> None:
        try:
            with open_source(
                url, "test", loop=False, realtime=False,
                open_timeout_s=timeout_s, read_timeout_s=timeout_s,
            ) as source:
                frame = source.read()
                if frame is None:
                    raise SourceError(
                        f"{mask_url(url)} opened but gave no frame; check that it is a video "
                        "stream"
                    )
                height, width = frame.image.shape[:2]
                fps = source.native_fps
                outcome.append(ProbeResult(int(width), int(height), fps if fps > 0 else None))
        except CamfleetError as exc:
            outcome.append(exc)
        except Exception as exc:  # a decoder error on a strange stream is still bad input
            outcome.append(SourceError(f"cannot read {mask_url(url)}: {exc}"))

    thread = threading.Thread(target=attempt, name="camera-test", daemon=True)
    thread.start()
    thread.join(timeout_s + _GRACE_S)
    if not outcome:
        raise SourceError(
            f"{mask_url(url)} gave no frame within {timeout_s:g} s; check the URL and the "
            "camera's network"
        )
    result = outcome[0]
    if isinstance(result, CamfleetError):
        raise result
    return result
