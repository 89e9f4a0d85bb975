// The events list: filters, cursor pagination, snapshot thumbnails and a snapshot viewer.

import {getJson, loadImage, paths, releaseImage} from "./api.js";
import {clear, el, fill, fmtTime, setText} from "./dom.js";
import * as normalize from "./normalize.js";

const PAGE_SIZE = 50;
const FILTERS = ["camera", "rule", "class", "since", "until"];

function toIso(localValue) {
  if (!localValue) return "";
  const date = new Date(localValue);
  return Number.isNaN(date.getTime()) ? "" : date.toISOString();
}

function snapshotViewer(event) {
  const img = el("img", {class: "snapshot-full", alt: `snapshot of event ${event.id}`, id: "snapshot-full"});
  const status = el("p", {class: "muted"}, "loading the snapshot…");
  const close = el("button", {type: "button", class: "button", autofocus: true}, "Close");
  const dialog = el(
    "dialog",
    {class: "snapshot-dialog", id: "snapshot-dialog"},
    el(
      "div",
      {class: "card-head"},
      el("h2", {class: "ellipsis"}, `${event.cameraId} · ${event.ruleId} · ${event.className}`),
      close,
    ),
    el("p", {class: "muted"}, `${fmtTime(event.startedAt)} · event ${event.id}`),
    status,
    img,
  );
  const dismiss = () => dialog.close();
  close.addEventListener("click", dismiss);
  dialog.addEventListener("close", () => {
    releaseImage(img);
    dialog.remove();
  });
  document.body.appendChild(dialog);
  dialog.showModal();
  loadImage(img, paths.snapshot(event.id))
    .then(() => (status.hidden = true))
    .catch((error) => setText(status, error.status === 404 ? "This event has no snapshot." : error.message));
}

export function render(view, query) {
  const cameraSelect = el("select", {name: "camera", id: "filter-camera"}, el("option", {value: ""}, "All cameras"));
  const inputs = {
    camera: cameraSelect,
    rule: el("input", {name: "rule", id: "filter-rule", placeholder: "rule id", spellcheck: "false"}),
    class: el("input", {name: "class", id: "filter-class", placeholder: "e.g. person", spellcheck: "false"}),
    since: el("input", {name: "since", id: "filter-since", type: "datetime-local"}),
    until: el("input", {name: "until", id: "filter-until", type: "datetime-local"}),
  };
  const labels = {camera: "Camera", rule: "Rule", class: "Class", since: "From", until: "To"};
  const form = el(
    "form",
    {class: "filters card", id: "event-filters"},
    FILTERS.map((name) => el("label", {class: "field"}, el("span", {}, labels[name]), inputs[name])),
    el("div", {class: "filter-actions"}, el("button", {type: "submit", class: "button primary"}, "Apply"), el("button", {type: "reset", class: "button ghost"}, "Clear")),
  );
  const body = el("tbody", {});
  const status = el("p", {class: "muted", role: "status"});
  const more = el("button", {type: "button", class: "button", hidden: true}, "Load more");
  fill(view, 
    el("div", {class: "page-head"}, el("h1", {}, "Events")),
    form,
    el(
      "div",
      {class: "card table-card"},
      el(
        "table",
        {class: "table events", id: "events-table"},
        el("thead", {}, el("tr", {}, ["Snapshot", "Started", "Ended", "Camera", "Rule", "Class", "Kind"].map((h) => el("th", {}, h)))),
        body,
      ),
      status,
      more,
    ),
  );

  const initial = new URLSearchParams(query);
  for (const name of ["rule", "class"]) inputs[name].value = initial.get(name) || "";
  let cursor = null;
  let closed = false;
  const thumbs = new Set();
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      observer.unobserve(entry.target);
      const img = entry.target;
      loadImage(img, paths.snapshot(img.dataset.eventId))
        .then(() => img.classList.add("loaded"))
        .catch(() => img.replaceWith(el("span", {class: "muted small"}, "none")));
    }
  });

  function currentQuery() {
    const params = new URLSearchParams({limit: String(PAGE_SIZE)});
    for (const name of ["camera", "rule", "class"]) {
      if (inputs[name].value.trim()) params.set(name, inputs[name].value.trim());
    }
    for (const name of ["since", "until"]) {
      const iso = toIso(inputs[name].value);
      if (iso) params.set(name, iso);
    }
    return params;
  }

  function row(event) {
    let thumb = el("span", {class: "muted small"}, "none");
    if (event.hasSnapshot) {
      thumb = el("img", {class: "thumb", alt: `snapshot of event ${event.id}`, dataset: {eventId: event.id}});
      thumbs.add(thumb);
      observer.observe(thumb);
    }
    const open = el("button", {type: "button", class: "thumb-button", title: "Open the snapshot", dataset: {eventId: event.id}}, thumb);
    open.addEventListener("click", () => snapshotViewer(event));
    return el(
      "tr",
      {dataset: {eventId: event.id}},
      el("td", {}, open),
      el("td", {}, fmtTime(event.startedAt)),
      el("td", {}, event.endedAt ? fmtTime(event.endedAt) : el("span", {class: "badge badge-warn"}, "open")),
      el("td", {class: "ellipsis", title: event.cameraId}, event.cameraId),
      el("td", {class: "ellipsis", title: event.ruleId}, event.ruleId),
      el("td", {}, event.className),
      el("td", {}, event.kind),
    );
  }

  async function load(reset) {
    const params = currentQuery();
    if (!reset && cursor) params.set("cursor", cursor);
    setText(status, "loading…");
    more.hidden = true;
    try {
      const page = normalize.events(await getJson(paths.events(params)));
      if (closed) return;
      if (reset) {
        for (const img of thumbs) releaseImage(img);
        thumbs.clear();
        clear(body);
      }
      body.append(...page.items.map(row));
      cursor = page.next;
      more.hidden = !cursor;
      const shown = body.childElementCount;
      setText(status, shown ? `${shown} event${shown === 1 ? "" : "s"} shown` : "No events match these filters.");
    } catch (error) {
      setText(status, error.message);
    }
  }

  getJson(paths.cameras())
    .then((list) => {
      for (const camera of normalize.cameras(list)) cameraSelect.appendChild(el("option", {value: camera.id}, camera.id));
      cameraSelect.value = initial.get("camera") || "";
      if (cameraSelect.value !== (initial.get("camera") || "")) {
        cameraSelect.appendChild(el("option", {value: initial.get("camera")}, initial.get("camera")));
        cameraSelect.value = initial.get("camera");
      }
    })
    .catch(() => {})
    .finally(() => load(true));

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load(true);
  });
  form.addEventListener("reset", () => setTimeout(() => load(true)));
  more.addEventListener("click", () => load(false));
  return () => {
    closed = true;
    observer.disconnect();
    for (const img of thumbs) releaseImage(img);
  };
}
