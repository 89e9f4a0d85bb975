// Every request the page makes: the API key from sessionStorage as a Bearer token.

const KEY_STORAGE = "camfleet.apiKey";
export const API = "/api/v1";

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

let onUnauthorized = () => {};

/** Called once by the app: what to do when the server refuses the key (401). */
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

export function getKey() {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function setKey(key) {
  sessionStorage.setItem(KEY_STORAGE, key);
}

export function clearKey() {
  sessionStorage.removeItem(KEY_STORAGE);
}

/** FastAPI errors come as {detail: "text"} or {detail: [{loc, msg}, ...]}: make one line. */
function detailMessage(body, status) {
  const detail = body && body.detail !== undefined ? body.detail : body;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((item) => {
        const where = Array.isArray(item.loc) ? item.loc.filter((p) => p !== "body").join(".") : "";
        return where ? `${where}: ${item.msg}` : String(item.msg ?? JSON.stringify(item));
      })
      .join("; ");
  }
  return `request failed with HTTP ${status}`;
}

export async function apiFetch(path, options = {}, key = getKey()) {
  const headers = new Headers(options.headers || {});
  if (key) headers.set("Authorization", `Bearer ${key}`);
  if (options.json !== undefined) {
    headers.set("Content-Type", "application/json");
    options = {...options, body: JSON.stringify(options.json)};
  }
  let response;
  try {
    response = await fetch(`${API}${path}`, {...options, headers, cache: "no-store"});
  } catch (error) {
    throw new ApiError(0, `cannot reach the camfleet server (${error.message})`);
  }
  if (response.ok) return response;
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const error = new ApiError(response.status, detailMessage(body, response.status));
  if (response.status === 401) onUnauthorized(error);
  throw error;
}

export async function getJson(path, key) {
  const response = await apiFetch(path, {}, key);
  return response.json();
}

export async function sendJson(method, path, json) {
  const response = await apiFetch(path, {method, json});
  return response.status === 204 ? null : response.json();
}

/**
 * An <img> cannot send an Authorization header: fetch the JPEG as a blob and show it through
 * an object URL, revoking the previous one so a long-open page does not leak memory.
 */
export async function loadImage(img, path) {
  const response = await apiFetch(path);
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const previous = img.dataset.objectUrl;
  await new Promise((resolve, reject) => {
    img.onload = resolve;
    img.onerror = () => reject(new ApiError(0, "the server sent an image the browser cannot decode"));
    img.src = url;
  });
  img.dataset.objectUrl = url;
  if (previous) URL.revokeObjectURL(previous);
}

export function releaseImage(img) {
  if (img.dataset.objectUrl) URL.revokeObjectURL(img.dataset.objectUrl);
  delete img.dataset.objectUrl;
}

export const paths = {
  cameras: () => "/cameras",
  camera: (id) => `/cameras/${encodeURIComponent(id)}`,
  frame: (id) => `/cameras/${encodeURIComponent(id)}/frame.jpg`,
  cameraTest: () => "/cameras/test",
  stats: () => "/stats",
  models: () => "/models",
  events: (query) => `/events${query ? `?${query}` : ""}`,
  snapshot: (id) => `/events/${encodeURIComponent(id)}/snapshot.jpg`,
  plan: () => "/plan",
};
