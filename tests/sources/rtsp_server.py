"""A real RTSP server on 127.0.0.1 for the source tests (GStreamer's gst-rtsp-server).

Run it with Debian's ``/usr/bin/python3`` (the GObject bindings are not in the project's
Python): ``/usr/bin/python3 tests/sources/rtsp_server.py --port 8554 [--clip FILE.mp4]``.
It serves ``rtsp://127.0.0.1:PORT/stream``: the clip's H.264 as is, or without ``--clip`` a
live 320x240 15 fps test pattern encoded with x264. It prints ``ready`` once listening and
stops on SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

LIVE_PATTERN = (
    "videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=15/1 "
    "! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 "
    "! rtph264pay name=pay0 pt=96 config-interval=1"
)


def clip_pipeline(path: str) -> str:
    return f'filesrc location="{path}" ! qtdemux ! h264parse ! rtph264pay name=pay0 pt=96'


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--clip", help="an H.264 MP4 to serve instead of the live pattern")
    args = parser.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(f"( {clip_pipeline(args.clip) if args.clip else LIVE_PATTERN} )")
    factory.set_shared(True)
    server.get_mount_points().add_factory("/stream", factory)
    if server.attach(None) == 0:
        print(f"cannot listen on 127.0.0.1:{args.port}", file=sys.stderr)
        return 1
    loop = GLib.MainLoop()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, loop.quit)
    print("ready", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
