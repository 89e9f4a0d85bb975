"""Real servers on 127.0.0.1 for the source tests: GStreamer RTSP, HTTP MJPEG, stalling HTTP."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
RTSP_SERVER_SCRIPT = HERE / "rtsp_server.py"
SYSTEM_PYTHON = "/usr/bin/python3"
RTSP_PACKAGES = (
    "gir1.2-gst-rtsp-server-1.0 python3-gi gstreamer1.0-plugins-good "
    "gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-tools"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def wait_until(condition: Callable[[], bool], timeout_s: float, poll_s: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(poll_s)
    return condition()


def rtsp_server_unavailable() -> str | None:
    """Why the GStreamer RTSP server cannot run here, or None when it can."""
    if not Path(SYSTEM_PYTHON).exists():
        return f"needs Debian's {SYSTEM_PYTHON} with GStreamer: apt-get install {RTSP_PACKAGES}"
    probe = (
        "import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0');"
        "from gi.repository import Gst, GstRtspServer; Gst.init(None);"
        "missing = [e for e in ('x264enc', 'rtph264pay', 'qtdemux', 'h264parse', "
        "'videotestsrc') if Gst.ElementFactory.find(e) is None];"
        "assert not missing, missing"
    )
    result = subprocess.run(
        [SYSTEM_PYTHON, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    if result.returncode != 0:
        last_line = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return (
            f"GStreamer's RTSP server does not load in {SYSTEM_PYTHON} ({last_line}); "
            f"apt-get install {RTSP_PACKAGES}"
        )
    return None


class RtspServer:
    """A GStreamer RTSP server subprocess serving ``rtsp://127.0.0.1:PORT/stream``."""

    def __init__(self, port: int, clip: Path | None = None) -> None:
        self.port = port
        self.clip = clip
        self.url = f"rtsp://127.0.0.1:{port}/stream"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [SYSTEM_PYTHON, str(RTSP_SERVER_SCRIPT), "--port", str(self.port)]
        if self.clip is not None:
            command += ["--clip", str(self.clip)]
        self._process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        if not wait_for_port(self.port, timeout_s=20.0):
            self.stop()
            raise RuntimeError(f"the test RTSP server did not listen on port {self.port}")

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections stay open and no packet arrives."""
        if self._process is not None:
            self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGCONT)

    def stop(self, kill: bool = False) -> None:
        if self._process is None:
            return
        self._process.send_signal(signal.SIGCONT)  # a paused server could not act on TERM
        self._process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=5)
        self._process = None


class HttpServer:
    """A threaded HTTP server on 127.0.0.1 whose handler calls ``respond(handler)``."""

    def __init__(self, respond: Callable[[BaseHTTPRequestHandler], None]) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    respond(self)  # a client hanging up mid-stream is normal

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> HttpServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def mjpeg_responder(
    frames: int, size: tuple[int, int] = (320, 240), fps: float = 25.0
) -> Callable[[BaseHTTPRequestHandler], None]:
    """Serve ``frames`` JPEGs as multipart/x-mixed-replace, like an MJPEG IP camera."""
    width, height = size

    def respond(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "multipart/x-mixed-replace;boundary=frame")
        handler.end_headers()
        for index in range(frames):
            image = np.full((height, width, 3), (index * 9) % 256, np.uint8)
            image[:, : width // 2, 2] = 255  # left half red (BGR), to check channel order
            jpeg = cv2.imencode(".jpg", image)[1].tobytes()
            handler.wfile.write(
                b"--frame\r\nContent-Type: image/jpeg\r\n"
                + f"Content-Length: {len(jpeg)}\r\n\r\n".encode()
                + jpeg
                + b"\r\n"
            )
            time.sleep(1.0 / fps)

    return respond


def stalling_responder(
    payload: bytes, content_type: str, stall_s: float
) -> Callable[[BaseHTTPRequestHandler], None]:
    """Send ``payload`` then keep the connection open without a byte for ``stall_s``."""

    def respond(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        handler.end_headers()
        handler.wfile.write(payload)
        handler.wfile.flush()
        time.sleep(stall_s)

    return respond


def folder_responder(folder: Path) -> Callable[[BaseHTTPRequestHandler], None]:
    """Serve the files of ``folder`` (an HLS playlist and its segments, say)."""

    def respond(handler: BaseHTTPRequestHandler) -> None:
        path = folder / handler.path.lstrip("/").split("?")[0]
        if not path.is_file() or path.parent != folder:
            handler.send_error(404)
            return
        body = path.read_bytes()
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return respond
