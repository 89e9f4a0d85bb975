"""Helpers shared by the store's tests."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from camfleet.events import Event

T0 = 1_764_000_000.0  # 2025-11-24T16:00:00Z, a fixed wall time for deterministic rows


def make_event(
    event_id: str = "cam-1/fall/1",
    *,
    camera_id: str = "cam-1",
    rule: str = "fall",
    started_at: float = T0,
    ended_at: float | None = None,
    max_confidence: float = 0.5,
    snapshot_jpeg: bytes | None = None,
    **extra: Any,
) -> Event:
    return Event(
        event_id=event_id,
        camera_id=camera_id,
        model_id="default",
        rule_id=f"{camera_id}/{rule}",
        kind="presence",
        class_name="Fall",
        started_at=started_at,
        ended_at=ended_at,
        max_confidence=max_confidence,
        snapshot_jpeg=snapshot_jpeg,
        **extra,
    )


def local_file(uri: str) -> Path:
    """The file a stored ``file://`` snapshot URI names."""
    parts = urlsplit(uri)
    assert parts.scheme == "file", uri
    return Path(unquote(parts.path))


def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` passes; return whether it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


class TcpForwarder:
    """A loopback TCP proxy to a real server, to make a database "go down" and "come back":
    while stopped, its port refuses connections."""

    def __init__(self, target: tuple[str, int]) -> None:
        self._target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port: int = probe.getsockname()[1]
        probe.close()
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []

    def start(self) -> None:
        listener = socket.create_server(("127.0.0.1", self.port))
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        # shutdown() before close(): on Linux only it wakes a thread blocked in accept()/recv()
        # on that socket, so the port really stops answering and peers see the connection end.
        sockets = self._sockets + ([self._listener] if self._listener is not None else [])
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self._listener = None
        self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self._target)
            self._sockets += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)


@dataclass
class Receiver:
    """A real HTTP server on loopback that answers 500 to the first ``fail_first`` POSTs."""

    url: str
    fail_first: int = 0
    requests: list[tuple[dict[str, str], bytes, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, headers: dict[str, str], body: bytes) -> int:
        with self.lock:
            status = 500 if len(self.requests) < self.fail_first else 200
            self.requests.append((headers, body, status))
            return status
