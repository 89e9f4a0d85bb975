// Building DOM nodes without ever parsing data as HTML: text goes in as text nodes.

/**
 * el("div", {class: "tile", dataset: {id}}, "text", childNode, ...)
 * Attribute values are set with setAttribute (never parsed); strings become text nodes.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "dataset") {
      Object.assign(node.dataset, value);
    } else if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (value === true) {
      node.setAttribute(key, "");
    } else {
      node.setAttribute(key, String(value));
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else if (child instanceof Node) node.appendChild(child);
    else node.appendChild(document.createTextNode(String(child)));
  }
}

/** Replace node's children; like el(), skips null/undefined/false (DOM append would print "null"). */
export function fill(node, ...children) {
  clear(node);
  append(node, children);
  return node;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

export function setText(node, text) {
  node.textContent = text === undefined || text === null ? "" : String(text);
}

export function fmtNumber(value, digits = 1) {
  return Number.isFinite(value) ? value.toFixed(digits) : "–";
}

export function fmtMs(value) {
  if (!Number.isFinite(value)) return "–";
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value)} ms`;
}

export function fmtUsd(value, digits = 2) {
  if (!Number.isFinite(value)) return "–";
  return `$${value.toLocaleString("en-US", {minimumFractionDigits: digits, maximumFractionDigits: digits})}`;
}

/** Today's times as a time of day, older ones with a short date. */
export function fmtTime(iso) {
  if (!iso) return "–";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const today = new Date().toDateString() === date.toDateString();
  return today ? date.toLocaleTimeString() : date.toLocaleString(undefined, {dateStyle: "short", timeStyle: "short"});
}

const STATE_TONE = {
  streaming: "ok", running: "ok",
  starting: "warn", pending: "warn", connecting: "warn", retrying: "warn",
  error: "bad", failed: "bad",
  ended: "idle", stopped: "idle", disabled: "idle", unassigned: "idle",
};

/** A small status pill coloured by the camera state's tone (ok, warn, bad, idle). */
export function stateBadge(state) {
  const tone = STATE_TONE[state] || "idle";
  return el("span", {class: `badge badge-${tone}`}, state || "unknown");
}

export function stateTone(state) {
  return STATE_TONE[state] || "idle";
}
