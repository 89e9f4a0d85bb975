"""The dashboard in a real browser: headless Chromium from Debian, driven by Playwright, against
a real ``camfleet serve`` app (uvicorn on a free loopback port, SQLite, real API keys).

Screenshots (1280x800) go to ``$CAMFLEET_TEST_ARTIFACTS`` or, without it, to pytest's temporary
directory; each test prints where.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import cv2
import pytest

from camfleet.api.app import create_app
from camfleet.api.plan import PlanSettings
from camfleet.api.server import ServiceServer
from camfleet.api.service import Service
from camfleet.api.snapshots import SnapshotReader
from camfleet.commands._service_db import open_service_db
from camfleet.commands.demo import demo_fleet
from camfleet.config import CameraConfig, FleetConfig
from camfleet.control.apikeys import ApiKeyStore
from camfleet.control.embedded import EmbeddedEngine, start_embedded_engine
from camfleet.control.repository import FleetRepository, model_class_names
from camfleet.engine.metrics import FleetMetrics
from camfleet.events import Event
from camfleet.planner.catalog import load_catalog
from camfleet.planner.profile import load_profile
from camfleet.sources import Source, open_source
from camfleet.sources.base import UInt8Image
from camfleet.store.database import Database
from camfleet.store.snapshot_store import LocalSnapshotStore
from camfleet.store.writer import StoreWriter

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install chromium)"
)
sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (pip extra: dev)")

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 800}
PROFILE = Path(__file__).resolve().parents[1] / "planner" / "data" / "sample_profile.json"
HOSTILE_TEXT = '<img src=x onerror="window.__injected=1">'
WAIT_MS = 30_000
# The real engine loads and warms the model before its first frame: allow it on a 2-core box.
SEEDED_RULE = f"carphone/seeded {HOSTILE_TEXT}"  # "<camera>/<rule>", as the store keeps them
FIRST_FRAME_WAIT_MS = 90_000


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    configured = os.environ.get("CAMFLEET_TEST_ARTIFACTS")
    folder = Path(configured) if configured else tmp_path_factory.mktemp("dashboard-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[sync_api.Browser]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class _SourceFrames:
    """Stands in for the engine's ``latest_frame_jpeg`` until the engine branch merges: the next
    frame of each enabled camera's own source (real decode of the real clip), JPEG-encoded."""

    def __init__(self, fleet: FleetRepository) -> None:
        self._fleet = fleet
        self._sources: dict[str, Source] = {}
        self._lock = threading.Lock()
        self.metrics = FleetMetrics()

    def camera_ids(self) -> frozenset[str]:
        return frozenset(camera.id for camera in self._fleet.enabled_cameras())

    def latest_frame_jpeg(self, camera_id: str) -> bytes | None:
        camera = next((c for c in self._fleet.enabled_cameras() if c.id == camera_id), None)
        if camera is None:
            return None
        with self._lock:
            source = self._sources.get(camera_id)
            if source is None:
                source = open_source(camera.source, camera_id, loop=True)
                self._sources[camera_id] = source
            frame = source.read()
        if frame is None:
            return None
        ok, encoded = cv2.imencode(".jpg", frame.image)
        return bytes(encoded.tobytes()) if ok else None

    def last_progress_age_s(self) -> float:
        return 0.0

    def stop(self) -> None:
        with self._lock:
            for source in self._sources.values():
                source.close()


@dataclass(frozen=True, slots=True)
class RunningService:
    url: str
    key: str
    read_only_key: str
    keys: ApiKeyStore


def _clip_frame(source: str) -> UInt8Image:
    with open_source(source, "snapshot") as clip:
        frame = clip.read()
    assert frame is not None
    return frame.image


def _clip_jpeg(source: str) -> bytes:
    ok, encoded = cv2.imencode(".jpg", _clip_frame(source))
    assert ok
    return bytes(encoded.tobytes())


SNAPSHOT_CLIP = "bundled:carphone_pristine.mp4"


def _seed_event(db: Database, snapshots_dir: Path, rule_id: str) -> None:
    """One closed event with a snapshot of the real clip, written through the real store."""
    writer = StoreWriter(db, snapshots_dir, {})
    writer.start()
    now = time.time()
    writer.put_event(Event(
        event_id="seeded-1", camera_id="carphone", model_id="default", rule_id=rule_id,
        kind="presence", class_name="Normal", started_at=now - 5.0, ended_at=now - 1.0,
        max_confidence=0.9, snapshot_jpeg=_clip_jpeg(SNAPSHOT_CLIP),
    ))
    writer.close()


def _serve(
    data_dir: Path, fleet: FleetConfig, *, engine: str, seeded_rule: str | None = None
) -> Iterator[RunningService]:
    """The app of ``camfleet serve`` on a free loopback port. ``engine``: "embedded" (the real
    in-process engine) or "sources" (frames straight from the cameras' sources, no inference:
    the 50-camera layout test, since YOLO on 50 cameras does not fit a 2-core machine)."""
    db, location = open_service_db(None, data_dir)
    repository = FleetRepository(db, model_class_names)
    repository.import_fleet(fleet)
    keys = ApiKeyStore(db)
    _, key = keys.create("dashboard-test")
    _, read_only_key = keys.create("dashboard-viewer", read_only=True)
    if seeded_rule is not None:
        _seed_event(db, location.snapshots_dir, seeded_rule)
    service = Service(
        db=db, fleet=repository, keys=keys,
        read_snapshot=SnapshotReader(LocalSnapshotStore(location.snapshots_dir)),
        plan=PlanSettings(profile=load_profile(PROFILE), catalog=load_catalog()),
    )
    embedded: EmbeddedEngine | None = None
    frames: _SourceFrames | None = None
    if engine == "embedded":
        embedded = start_embedded_engine(repository, location, model_class_names)
        service.engine, service.reconciler = embedded.engine, embedded.reconciler
    else:
        frames = _SourceFrames(repository)
        service.engine = frames
    service.engine_started.set()
    server = ServiceServer(create_app(service), "127.0.0.1", 0)
    server.start()
    try:
        yield RunningService(server.url, key, read_only_key, keys)
    finally:
        server.stop()
        if embedded is not None:
            embedded.stop()
        if frames is not None:
            frames.stop()
        db.dispose()


@pytest.fixture(scope="module")
def demo_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    fleet = demo_fleet()
    # 2 analysed frames/s: enough for live tiles, light enough for a 2-core CI machine.
    cameras = [camera.model_copy(update={"analyze_fps": 2.0}) for camera in fleet.cameras]
    yield from _serve(
        tmp_path_factory.mktemp("demo"), fleet.model_copy(update={"cameras": cameras}),
        engine="embedded",
        seeded_rule=SEEDED_RULE,
    )


LONG_ID = "aisle-03-loading-dock-north-entrance-with-a-long-descriptive-id"  # sorts first


@pytest.fixture(scope="module")
def fleet_of_50(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    ids = [LONG_ID] + [f"cam-{n:02d}" for n in range(1, 50)]
    cameras = [CameraConfig(id=camera_id, source="synthetic:320x180@5") for camera_id in ids]
    fleet = demo_fleet().model_copy(update={"cameras": cameras})
    yield from _serve(tmp_path_factory.mktemp("fleet50"), fleet, engine="sources")


def _sign_in(page: sync_api.Page, service: RunningService, key: str | None = None) -> None:
    page.goto(f"{service.url}/")
    page.fill("#api-key", "not-a-key")
    page.click("#login-form button[type=submit]")
    sync_api.expect(page.locator("#login-error")).to_contain_text("refused", timeout=WAIT_MS)
    page.fill("#api-key", service.key if key is None else key)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#camera-grid", timeout=WAIT_MS)


def _wait_for_tile_image(page: sync_api.Page, camera_id: str) -> None:
    page.wait_for_function(
        """id => [...document.querySelectorAll(".tile")].some(
            tile => tile.dataset.cameraId === id
              && tile.querySelector("img.tile-img:not([hidden])")?.naturalWidth > 0)""",
        arg=camera_id, timeout=FIRST_FRAME_WAIT_MS,
    )


def _shot(page: sync_api.Page, folder: Path, name: str) -> Path:
    path = folder / name
    page.screenshot(path=str(path))
    print(f"dashboard screenshot: {path}")
    return path


def test_dashboard_demo_fleet_tiles_add_camera_and_snapshot(
    browser: sync_api.Browser, demo_service: RunningService, artifacts: Path
) -> None:
    page = browser.new_page(viewport=VIEWPORT)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    _sign_in(page, demo_service)

    for camera_id in ("bikes", "carphone"):
        _wait_for_tile_image(page, camera_id)
    sync_api.expect(page.locator(".summary-item").first).to_contain_text("2")
    sync_api.expect(page.locator(".summary-item").last).to_contain_text("$", timeout=WAIT_MS)
    # Key kept for this tab only, sent as a Bearer header, never in a URL.
    assert page.evaluate("sessionStorage.getItem('camfleet.apiKey')") == demo_service.key
    page.wait_for_timeout(2500)  # one more stats poll, so the tiles show numbers
    _shot(page, artifacts, "dashboard-demo-1280x800.png")

    page.click(".tile[data-camera-id='bikes']")
    sync_api.expect(page.locator("#view h1")).to_have_text("bikes")
    page.wait_for_selector("img.camera-frame:not([hidden])", timeout=WAIT_MS)
    page.wait_for_timeout(4500)  # two stats polls: the plot has points
    drawn = page.evaluate(
        """() => { const c = document.getElementById("latency-plot");
        const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }"""
    )
    assert drawn > 1000, "the latency plot drew nothing"
    _shot(page, artifacts, "dashboard-camera-1280x800.png")

    page.click("nav a[data-tab='new']")
    page.fill("#camera-id", "lobby")
    page.fill("#camera-source", "synthetic:320x180@5")
    page.click("#camera-test")
    sync_api.expect(page.locator("#camera-test-result")).to_contain_text("320×180", timeout=WAIT_MS)
    page.click("#camera-add")
    sync_api.expect(page.locator("#flash")).to_contain_text("lobby", timeout=WAIT_MS)
    page.wait_for_selector(".tile[data-camera-id='lobby']", timeout=WAIT_MS)
    _wait_for_tile_image(page, "lobby")

    page.click("nav a[data-tab='new']")
    page.fill("#camera-id", "broken")
    page.fill("#camera-source", "rtsp://127.0.0.1:9/none")
    page.click("#camera-test")
    sync_api.expect(page.locator("#camera-error")).to_contain_text("Test failed", timeout=WAIT_MS)

    page.click("nav a[data-tab='events']")
    row = page.locator("#events-table tbody tr[data-event-id='seeded-1']")
    sync_api.expect(row).to_be_visible(timeout=WAIT_MS)
    # Stored text is shown as text: the hostile rule id is visible and never became markup.
    sync_api.expect(row).to_contain_text(HOSTILE_TEXT)
    assert page.evaluate("window.__injected") is None
    assert page.locator("#events-table img[src='x']").count() == 0
    row.locator(".thumb-button").click()
    page.wait_for_function(
        "() => document.getElementById('snapshot-full')?.naturalWidth > 0", timeout=WAIT_MS
    )
    stored_width = _clip_frame(SNAPSHOT_CLIP).shape[1]
    assert page.evaluate("document.getElementById('snapshot-full').naturalWidth") == stored_width
    _shot(page, artifacts, "dashboard-snapshot-1280x800.png")
    page.click("#snapshot-dialog button")
    sync_api.expect(page.locator("#snapshot-dialog")).to_have_count(0)

    page.click("nav a[data-tab='cost']")
    sync_api.expect(page.locator("#cost-per-camera")).to_contain_text("$", timeout=WAIT_MS)
    panel = page.locator("#cost-panel").inner_text()
    assert "per camera per month" in panel and "instance" in panel, panel
    for junk in ("null", "undefined", "NaN", "[object"):
        assert junk not in panel, panel
    assert errors == []
    page.close()


def test_dashboard_filters_events_and_follows_the_key(
    browser: sync_api.Browser, demo_service: RunningService
) -> None:
    page = browser.new_page(viewport=VIEWPORT)
    _sign_in(page, demo_service, demo_service.read_only_key)

    # The seeded event only (the real engine adds its own events to these cameras).
    query = urlencode({"camera": "carphone", "rule": SEEDED_RULE})
    page.goto(f"{demo_service.url}/#/events?{query}")
    rows = page.locator("#events-table tbody tr")
    sync_api.expect(rows).to_have_count(1, timeout=WAIT_MS)
    sync_api.expect(page.locator("#filter-camera")).to_have_value("carphone")
    sync_api.expect(page.locator("#filter-rule")).to_have_value(SEEDED_RULE)
    page.fill("#filter-class", "Fall")
    page.click("#event-filters button[type=submit]")
    sync_api.expect(rows).to_have_count(0, timeout=WAIT_MS)
    sync_api.expect(page.locator("#events-table + p")).to_contain_text("No events match")

    # A read-only key sees everything but gets the API's own reason when it tries a change.
    page.click("nav a[data-tab='new']")
    page.fill("#camera-id", "viewer-made")
    page.fill("#camera-source", "synthetic:320x180@5")
    page.click("#camera-add")
    sync_api.expect(page.locator("#camera-error")).to_contain_text("read-only", timeout=WAIT_MS)

    # Revoked while signed in: the next poll is refused and the page asks for a key again.
    _, revocable = demo_service.keys.create("dashboard-revocable")
    page.click("#sign-out")
    page.fill("#api-key", revocable)
    page.click("#login-form button[type=submit]")
    sync_api.expect(page.locator("#camera-form")).to_be_visible(timeout=WAIT_MS)  # same page
    demo_service.keys.revoke("dashboard-revocable")
    sync_api.expect(page.locator("#login")).to_be_visible(timeout=WAIT_MS)
    sync_api.expect(page.locator("#login-error")).to_contain_text("sign in again")
    assert page.evaluate("sessionStorage.getItem('camfleet.apiKey')") is None
    page.close()


def test_dashboard_holds_50_cameras_at_1280x800(
    browser: sync_api.Browser, fleet_of_50: RunningService, artifacts: Path
) -> None:
    page = browser.new_page(viewport=VIEWPORT)
    _sign_in(page, fleet_of_50)
    page.wait_for_function(
        "() => document.querySelectorAll('.tile').length === 50", timeout=WAIT_MS
    )
    _wait_for_tile_image(page, LONG_ID)
    page.wait_for_timeout(2500)
    _shot(page, artifacts, "dashboard-50-cameras-1280x800.png")
    # Only tiles on screen fetch frames: the last row waits until it is scrolled into view.
    last = "cam-49"
    assert page.evaluate(
        f"document.querySelector(\".tile[data-camera-id='{last}'] img\").naturalWidth"
    ) == 0
    page.locator(f".tile[data-camera-id='{last}']").scroll_into_view_if_needed()
    _wait_for_tile_image(page, last)
    page.evaluate("() => window.scrollTo(0, 0)")  # else the sticky bar lands mid-capture
    page.screenshot(path=str(artifacts / "dashboard-50-cameras-full-page.png"), full_page=True)

    layout = page.evaluate(
        """() => {
        const tiles = [...document.querySelectorAll(".tile")].map(t => t.getBoundingClientRect());
        const name = document.querySelector(".tile .tile-name");
        return {
          pageWidth: document.documentElement.scrollWidth,
          widths: [...new Set(tiles.map(r => Math.round(r.width)))],
          heights: [...new Set(tiles.map(r => Math.round(r.height)))],
          columns: new Set(tiles.map(r => Math.round(r.left))).size,
          nameClipped: name.scrollWidth > name.clientWidth,
          nameText: name.textContent,
        };
        }"""
    )
    assert layout["pageWidth"] <= VIEWPORT["width"], "the page scrolls sideways"
    assert len(layout["widths"]) == 1 and len(layout["heights"]) == 1, layout
    assert layout["columns"] >= 5, layout
    assert layout["nameText"] == LONG_ID and layout["nameClipped"], layout
    page.close()
