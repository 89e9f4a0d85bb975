// One camera: its live frame, its counters, a latency plot over the last minutes, its events.

import {getJson, loadImage, paths, releaseImage, sendJson} from "./api.js";
import {clear, el, fill, fmtMs, fmtNumber, fmtTime, setText, stateBadge} from "./dom.js";
import * as live from "./history.js";
import * as normalize from "./normalize.js";
import {drawLatency} from "./plot.js";

const ROWS = [
  ["fpsIn", "Sampled frames/s", (v) => fmtNumber(v)],
  ["fpsAnalysed", "Analysed frames/s", (v) => fmtNumber(v)],
  ["p50", "p50 capture → result", fmtMs],
  ["p99", "p99 capture → result", fmtMs],
  ["gated", "Skipped by motion gate", (v) => fmtNumber(v, 0)],
  ["shed", "Shed (late for the SLO)", (v) => fmtNumber(v, 0)],
  ["dropped", "Dropped (slot full)", (v) => fmtNumber(v, 0)],
];

export function render(view, cameraId) {
  const title = el("h1", {class: "ellipsis", title: cameraId}, cameraId);
  const badge = el("span", {});
  const source = el("p", {class: "muted ellipsis source-line"});
  const toggle = el("button", {type: "button", class: "button", hidden: true}, "Disable");
  const message = el("p", {class: "form-error", role: "alert"});
  const img = el("img", {class: "camera-frame", alt: `latest frame of ${cameraId}`, hidden: true});
  const placeholder = el("div", {class: "frame-placeholder"}, "waiting for the first frame");
  const values = new Map(ROWS.map(([key]) => [key, el("dd", {}, "–")]));
  const lastError = el("p", {class: "banner", hidden: true});
  const canvas = el("canvas", {class: "plot", id: "latency-plot", "aria-label": `latency of ${cameraId} over the last minutes`});
  const eventsBody = el("tbody", {});
  const windowS = live.HISTORY_S;

  const nowCard = el(
    "div",
    {class: "card"},
    el("h2", {}, "Now"),
    el("dl", {class: "kv-grid"}, ROWS.map(([key, label]) => el("div", {class: "kv-item"}, el("dt", {}, label), values.get(key)))),
  );
  const plotCard = el(
    "div",
    {class: "card"},
    el(
      "div",
      {class: "card-head"},
      el("h2", {}, `Latency, last ${windowS / 60} minutes`),
      el("span", {class: "legend"}, el("i", {class: "swatch swatch-p50"}), "p50 ", el("i", {class: "swatch swatch-p99"}), "p99"),
    ),
    canvas,
    el("p", {class: "muted small"}, "Kept in this tab from the stats polled every 2 s; a reload starts it again."),
  );
  const eventsCard = el(
    "div",
    {class: "card"},
    el("div", {class: "card-head"}, el("h2", {}, "Recent events"), el("a", {href: `#/events?camera=${encodeURIComponent(cameraId)}`}, "All events of this camera →")),
    el("table", {class: "table"}, el("thead", {}, el("tr", {}, el("th", {}, "Started"), el("th", {}, "Rule"), el("th", {}, "Class"), el("th", {}, "Kind"))), eventsBody),
  );
  fill(view, 
    el("a", {class: "back", href: "#/"}, "← All cameras"),
    el("div", {class: "page-head"}, el("div", {class: "head-title"}, title, badge), toggle),
    source,
    message,
    lastError,
    el(
      "div",
      {class: "camera-layout"},
      el("div", {class: "column"}, el("div", {class: "card frame-card"}, img, placeholder), eventsCard),
      el("div", {class: "column"}, plotCard, nowCard),
    ),
  );

  let closed = false;
  let enabled = true;
  let storedState = "pending";

  async function loadCamera() {
    try {
      const [camera] = normalize.cameras([await getJson(paths.camera(cameraId))]);
      if (!camera) return;
      enabled = camera.enabled;
      storedState = camera.state;
      setText(source, `${camera.source} · analysed at ${fmtNumber(camera.analyzeFps)} fps · models: ${camera.models.join(", ")}`);
      setText(toggle, enabled ? "Disable" : "Enable");
      toggle.hidden = false;
    } catch (error) {
      setText(message, error.status === 404 ? `No camera '${cameraId}'.` : error.message);
    }
  }

  toggle.addEventListener("click", async () => {
    toggle.disabled = true;
    try {
      await sendJson("POST", `${paths.camera(cameraId)}/${enabled ? "disable" : "enable"}`);
      await loadCamera();
    } catch (error) {
      setText(message, error.message);
    } finally {
      toggle.disabled = false;
    }
  });

  async function loadEvents() {
    try {
      const {items} = normalize.events(await getJson(paths.events(new URLSearchParams({camera: cameraId, limit: "5"}))));
      clear(eventsBody);
      for (const event of items) {
        eventsBody.appendChild(el("tr", {}, el("td", {}, fmtTime(event.startedAt)), el("td", {}, event.ruleId), el("td", {}, event.className), el("td", {}, event.kind)));
      }
      if (!items.length) eventsBody.appendChild(el("tr", {}, el("td", {colspan: 4, class: "muted"}, "No events yet.")));
    } catch (error) {
      clear(eventsBody).appendChild(el("tr", {}, el("td", {colspan: 4, class: "muted"}, error.message)));
    }
  }

  let frameLoading = false;
  async function refreshFrame() {
    if (frameLoading || !enabled || document.hidden) return;
    frameLoading = true;
    try {
      await loadImage(img, paths.frame(cameraId));
      img.hidden = false;
      placeholder.hidden = true;
    } catch (error) {
      if (img.hidden) setText(placeholder, error.status === 503 ? "waiting for the first frame" : error.message);
    } finally {
      frameLoading = false;
    }
  }

  function applyStats(stats) {
    if (closed) return;
    const item = stats.get(cameraId);
    clear(badge).appendChild(stateBadge(!enabled ? "disabled" : item ? item.state : storedState));
    for (const [key, , format] of ROWS) setText(values.get(key), format(item ? item[key] : NaN));
    lastError.hidden = !(item && item.lastError);
    setText(lastError, item && item.lastError ? `Last error: ${item.lastError}` : "");
    drawLatency(canvas, live.history(cameraId), {windowS});
    refreshFrame();
  }

  loadCamera().then(() => applyStats(live.latestStats()));
  loadEvents();
  const unsubscribe = live.subscribe(applyStats);
  const eventsTimer = setInterval(loadEvents, 10000);
  const onResize = () => drawLatency(canvas, live.history(cameraId), {windowS});
  window.addEventListener("resize", onResize);
  return () => {
    closed = true;
    unsubscribe();
    clearInterval(eventsTimer);
    window.removeEventListener("resize", onResize);
    releaseImage(img);
  };
}
