// The fleet view: a summary strip and one tile per camera, refreshed on every stats poll.

import {getJson, loadImage, paths, releaseImage} from "./api.js";
import {clear, el, fill, fmtMs, fmtNumber, fmtUsd, setText, stateBadge} from "./dom.js";
import * as live from "./history.js";
import * as normalize from "./normalize.js";

const FRAME_CONCURRENCY = 6;
const CAMERA_LIST_REFRESH_MS = 10000;
const ROOMY_UP_TO = 8; // a small fleet gets bigger tiles; a large one gets more per row

function summaryItem(label) {
  const value = el("span", {class: "summary-value"}, "–");
  return {node: el("div", {class: "summary-item"}, el("span", {class: "summary-label"}, label), value), value};
}

function buildTile(camera) {
  const img = el("img", {alt: `latest frame of ${camera.id}`, class: "tile-img", hidden: true});
  const placeholder = el("span", {class: "tile-placeholder"}, "waiting for the first frame");
  const name = el("span", {class: "tile-name", title: camera.id}, camera.id);
  const badge = el("span", {class: "tile-badge"}, stateBadge(camera.state));
  const fps = el("span", {class: "metric"}, "– fps");
  const p99 = el("span", {class: "metric"}, "p99 –");
  const node = el(
    "a",
    {class: "tile", href: `#/camera/${encodeURIComponent(camera.id)}`, dataset: {cameraId: camera.id}},
    el("div", {class: "tile-media"}, img, placeholder),
    el("div", {class: "tile-info"}, el("div", {class: "tile-row"}, name, badge), el("div", {class: "tile-row metrics"}, fps, p99)),
  );
  return {node, img, placeholder, badge, fps, p99, enabled: camera.enabled, state: camera.state, lastError: camera.lastError, visible: false, loading: false};
}

export function render(view) {
  const summary = {
    cameras: summaryItem("Cameras"),
    streaming: summaryItem("Streaming"),
    problems: summaryItem("Needing attention"),
    fps: summaryItem("Analysed frames/s"),
    p99: summaryItem("Worst p99"),
    cost: summaryItem("Per camera / month"),
  };
  const grid = el("div", {class: "grid", id: "camera-grid"});
  const empty = el(
    "div",
    {class: "card empty", hidden: true},
    el("h2", {}, "No cameras yet"),
    el("p", {class: "muted"}, "Add one with the form, or import a fleet: camfleet fleet import fleet.yaml"),
    el("a", {class: "button primary", href: "#/new"}, "Add camera"),
  );
  const banner = el("p", {class: "banner", role: "alert", hidden: true});
  fill(view, 
    el("div", {class: "page-head"}, el("h1", {}, "Cameras"), el("a", {class: "button primary", href: "#/new"}, "Add camera")),
    el("div", {class: "summary"}, Object.values(summary).map((item) => item.node)),
    banner,
    empty,
    grid,
  );

  const tiles = new Map();
  let closed = false;
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      const tile = tiles.get(entry.target.dataset.cameraId);
      if (tile) tile.visible = entry.isIntersecting;
    }
    refreshFrames();
  });

  function syncTiles(cameraList) {
    const ids = new Set(cameraList.map((camera) => camera.id));
    for (const [id, tile] of tiles) {
      if (!ids.has(id)) {
        observer.unobserve(tile.node);
        tile.node.remove();
        tiles.delete(id);
      }
    }
    for (const camera of cameraList) {
      let tile = tiles.get(camera.id);
      if (!tile) {
        tile = buildTile(camera);
        tiles.set(camera.id, tile);
        observer.observe(tile.node);
      }
      tile.enabled = camera.enabled;
      tile.state = camera.state;
      tile.lastError = camera.lastError;
      grid.appendChild(tile.node); // keeps the grid in id order
    }
    empty.hidden = cameraList.length > 0;
    grid.classList.toggle("roomy", cameraList.length <= ROOMY_UP_TO);
    setText(summary.cameras.value, cameraList.length);
  }

  async function loadCameras() {
    try {
      syncTiles(normalize.cameras(await getJson(paths.cameras())));
      banner.hidden = true;
    } catch (error) {
      setText(banner, `Cannot list cameras: ${error.message}`);
      banner.hidden = false;
    }
  }

  async function refreshFrame(id, tile) {
    tile.loading = true;
    try {
      await loadImage(tile.img, paths.frame(id));
      tile.img.hidden = false;
      tile.placeholder.hidden = true;
    } catch (error) {
      if (tile.img.hidden) setText(tile.placeholder, error.status === 503 ? "waiting for the first frame" : error.message);
    } finally {
      tile.loading = false;
    }
  }

  let inFlight = 0;
  function refreshFrames() {
    if (document.hidden) return; // a background tab fetches no frames
    const due = [...tiles].filter(([, tile]) => tile.visible && tile.enabled && !tile.loading);
    const next = () => {
      if (closed) return;
      while (inFlight < FRAME_CONCURRENCY && due.length) {
        const [id, tile] = due.shift();
        inFlight += 1;
        refreshFrame(id, tile).finally(() => {
          inFlight -= 1;
          next();
        });
      }
    };
    next();
  }

  function applyStats(stats, error) {
    if (error) {
      setText(banner, `Live stats unavailable: ${error.message}`);
      banner.hidden = false;
    }
    let streaming = 0;
    let problems = 0;
    let fpsTotal = NaN;
    let worstP99 = NaN;
    for (const [id, tile] of tiles) {
      const item = stats.get(id);
      const state = !tile.enabled ? "disabled" : item ? item.state : tile.state;
      clear(tile.badge).appendChild(stateBadge(state));
      tile.node.title = (item && item.lastError) || tile.lastError || "";
      setText(tile.fps, `${fmtNumber(item ? item.fpsAnalysed : NaN)} fps`);
      setText(tile.p99, `p99 ${fmtMs(item ? item.p99 : NaN)}`);
      if (state === "streaming" || state === "running") streaming += 1;
      if (["error", "failed", "retrying", "ended"].includes(state)) problems += 1;
      if (item && Number.isFinite(item.fpsAnalysed)) fpsTotal = (Number.isFinite(fpsTotal) ? fpsTotal : 0) + item.fpsAnalysed;
      if (item && Number.isFinite(item.p99)) worstP99 = Number.isFinite(worstP99) ? Math.max(worstP99, item.p99) : item.p99;
    }
    setText(summary.streaming.value, streaming);
    setText(summary.problems.value, problems);
    summary.problems.node.classList.toggle("alert", problems > 0);
    setText(summary.fps.value, fmtNumber(fpsTotal));
    setText(summary.p99.value, fmtMs(worstP99));
    if (!error && [...stats.keys()].some((id) => !tiles.has(id))) loadCameras();
    refreshFrames();
  }

  getJson(paths.plan())
    .then((body) => setText(summary.cost.value, fmtUsd(normalize.plan(body).perCamera)))
    .catch(() => setText(summary.cost.value, "–"));

  loadCameras().then(() => !closed && applyStats(live.latestStats(), null));
  const unsubscribe = live.subscribe(applyStats);
  const listTimer = setInterval(loadCameras, CAMERA_LIST_REFRESH_MS);
  return () => {
    closed = true;
    unsubscribe();
    clearInterval(listTimer);
    observer.disconnect();
    for (const tile of tiles.values()) releaseImage(tile.img);
  };
}
