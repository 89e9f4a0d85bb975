// Sign-in, the hash router (#/, #/camera/ID, #/events?..., #/new, #/cost) and the flash line.

import {clearKey, getJson, getKey, paths, setKey, setUnauthorizedHandler} from "./api.js";
import * as cameraView from "./camera.js";
import * as camerasView from "./cameras.js";
import * as costView from "./cost.js";
import {el, setText} from "./dom.js";
import * as eventsView from "./events.js";
import * as live from "./history.js";
import * as newCameraView from "./newcamera.js";

const view = document.getElementById("view");
const login = document.getElementById("login");
const loginForm = document.getElementById("login-form");
const loginError = document.getElementById("login-error");
const keyInput = document.getElementById("api-key");
const tabs = document.getElementById("tabs");
const session = document.getElementById("session");
const liveDot = document.getElementById("live");

let cleanup = () => {};
let pendingFlash = "";

function flash(message) {
  pendingFlash = message;
}

function route() {
  const hash = location.hash.replace(/^#/, "") || "/";
  const cut = hash.indexOf("?");
  const path = cut < 0 ? hash : hash.slice(0, cut);
  const query = cut < 0 ? "" : hash.slice(cut + 1);
  const parts = path.split("/").filter(Boolean);
  if (parts[0] === "camera" && parts[1]) return {tab: "cameras", show: (v) => cameraView.render(v, decodeURIComponent(parts[1]))};
  if (parts[0] === "events") return {tab: "events", show: (v) => eventsView.render(v, query)};
  if (parts[0] === "new") return {tab: "new", show: (v) => newCameraView.render(v, query, {flash})};
  if (parts[0] === "cost") return {tab: "cost", show: (v) => costView.render(v)};
  return {tab: "cameras", show: (v) => camerasView.render(v)};
}

function showRoute() {
  if (!getKey()) return;
  for (const dialog of document.querySelectorAll("dialog[open]")) dialog.close();
  cleanup();
  const {tab, show} = route();
  for (const link of tabs.querySelectorAll("a")) link.classList.toggle("active", link.dataset.tab === tab);
  cleanup = show(view) || (() => {});
  if (pendingFlash) {
    view.prepend(el("p", {class: "flash", role: "status", id: "flash"}, pendingFlash));
    pendingFlash = "";
  }
  window.scrollTo(0, 0);
}

function signedIn() {
  login.hidden = true;
  tabs.hidden = false;
  session.hidden = false;
  view.hidden = false;
  live.start();
  showRoute();
}

function signedOut(message = "") {
  cleanup();
  cleanup = () => {};
  clearKey();
  live.stop();
  view.hidden = true;
  view.replaceChildren();
  tabs.hidden = true;
  session.hidden = true;
  login.hidden = false;
  setText(loginError, message);
  keyInput.value = "";
  keyInput.focus();
}

loginForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const key = keyInput.value.trim();
  if (!key) return;
  setText(loginError, "");
  try {
    await getJson(paths.cameras(), key);
    setKey(key);
    signedIn();
  } catch (error) {
    setText(loginError, error.status === 401 ? "The server refused that key (revoked or mistyped)." : error.message);
  }
});

setUnauthorizedHandler(() => signedOut("Your key was refused; sign in again."));
document.getElementById("sign-out").addEventListener("click", () => signedOut());
window.addEventListener("hashchange", showRoute);
live.subscribe((_stats, error) => {
  liveDot.classList.toggle("stale", Boolean(error));
  liveDot.title = error ? `stats unavailable: ${error.message}` : "stats refresh every 2 s";
});

if (getKey()) signedIn();
else signedOut();
