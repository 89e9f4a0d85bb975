// Polls /api/v1/stats for as long as the page is signed in, and keeps the last minutes of each
// camera's latency in the browser (the server keeps only the current window).

import {getJson, paths} from "./api.js";
import * as normalize from "./normalize.js";

export const POLL_MS = 2000;
export const HISTORY_S = 600;

const series = new Map(); // camera id -> [{t, p50, p99, fps}]
const listeners = new Set();
let latest = new Map();
let lastError = null;
let timer = null;

export function latestStats() {
  return latest;
}

export function pollError() {
  return lastError;
}

export function history(cameraId) {
  return series.get(cameraId) || [];
}

/** listener(statsMap, error) after every poll; returns the unsubscribe function. */
export function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function record(now, stats) {
  const cutoff = now - HISTORY_S * 1000;
  for (const [id, item] of stats) {
    const points = series.get(id) || [];
    points.push({t: now, p50: item.p50, p99: item.p99, fps: item.fpsAnalysed});
    while (points.length && points[0].t < cutoff) points.shift();
    series.set(id, points);
  }
  for (const id of series.keys()) {
    if (!stats.has(id)) series.delete(id);
  }
}

async function poll() {
  try {
    latest = normalize.stats(await getJson(paths.stats()));
    lastError = null;
    record(Date.now(), latest);
  } catch (error) {
    lastError = error;
  }
  for (const listener of listeners) listener(latest, lastError);
}

export function start() {
  if (timer !== null) return;
  poll();
  timer = setInterval(poll, POLL_MS);
}

export function stop() {
  if (timer !== null) clearInterval(timer);
  timer = null;
  series.clear();
  latest = new Map();
}
