// The add-camera form: test the source without saving, then create the camera.

import {getJson, paths, sendJson} from "./api.js";
import {el, fill, fmtNumber, setText} from "./dom.js";
import * as normalize from "./normalize.js";

export function render(view, _query, {flash}) {
  const id = el("input", {name: "id", id: "camera-id", required: true, pattern: "[A-Za-z0-9][A-Za-z0-9_.\\-]*", maxlength: 63, placeholder: "dock-3", spellcheck: "false"});
  const source = el("input", {name: "source", id: "camera-source", required: true, placeholder: "rtsp://user:pass@10.0.0.7/stream", spellcheck: "false"});
  const fps = el("input", {name: "analyze_fps", id: "camera-fps", type: "number", min: "0.1", max: "120", step: "0.1", value: "2"});
  const models = el("select", {name: "models", id: "camera-models", multiple: true, size: 3});
  const testButton = el("button", {type: "button", class: "button", id: "camera-test"}, "Test source");
  const submit = el("button", {type: "submit", class: "button primary", id: "camera-add"}, "Add camera");
  const result = el("p", {class: "test-result", id: "camera-test-result", role: "status"});
  const error = el("p", {class: "form-error", id: "camera-error", role: "alert"});
  const form = el(
    "form",
    {class: "card form", id: "camera-form", novalidate: true},
    el("label", {class: "field"}, el("span", {}, "Camera id"), id, el("small", {class: "muted"}, "Letters, digits, '-', '_' or '.'; unique in the fleet.")),
    el("label", {class: "field"}, el("span", {}, "Source"), source, el("small", {class: "muted"}, "A video file path, rtsp://, http(s):// or synthetic:WxH@FPS.")),
    el(
      "div",
      {class: "field-row"},
      el("label", {class: "field"}, el("span", {}, "Analysed frames per second"), fps),
      el("label", {class: "field"}, el("span", {}, "Models"), models),
    ),
    result,
    error,
    el("div", {class: "form-actions"}, testButton, submit, el("a", {class: "button ghost", href: "#/"}, "Cancel")),
  );
  fill(view, el("div", {class: "page-head"}, el("h1", {}, "Add a camera")), form);

  getJson(paths.models())
    .then((body) => {
      const ids = normalize.models(body);
      for (const model of ids.length ? ids : ["default"]) {
        models.appendChild(el("option", {value: model, selected: model === ids[0] || model === "default"}, model));
      }
    })
    .catch(() => models.appendChild(el("option", {value: "default", selected: true}, "default")));

  function config() {
    const chosen = [...models.selectedOptions].map((option) => option.value);
    const body = {id: id.value.trim(), source: source.value.trim()};
    if (fps.value) body.analyze_fps = Number(fps.value);
    if (chosen.length) body.models = chosen;
    return body;
  }

  function busy(on) {
    testButton.disabled = on;
    submit.disabled = on;
  }

  testButton.addEventListener("click", async () => {
    setText(error, "");
    if (!source.value.trim()) {
      setText(error, "Enter a source to test.");
      return;
    }
    busy(true);
    setText(result, "opening the source…");
    result.className = "test-result";
    try {
      const info = await sendJson("POST", paths.cameraTest(), {source: source.value.trim()});
      setText(result, `Source opened: ${info.width}×${info.height} at ${fmtNumber(Number(info.fps))} fps.`);
      result.classList.add("ok");
    } catch (failure) {
      setText(result, "");
      setText(error, `Test failed: ${failure.message}`);
    } finally {
      busy(false);
    }
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    setText(error, "");
    if (!id.value.trim() || !source.value.trim()) {
      setText(error, "A camera needs an id and a source.");
      return;
    }
    busy(true);
    try {
      const body = config();
      await sendJson("POST", paths.cameras(), body);
      flash(`Camera '${body.id}' added; its tile appears as soon as it has a frame.`);
      location.hash = "#/";
    } catch (failure) {
      setText(error, failure.message);
    } finally {
      busy(false);
    }
  });
  return () => {};
}
