// The cost panel: what one camera costs per month on the planner's recommended instance.

import {getJson, paths} from "./api.js";
import {el, fill, fmtNumber, fmtUsd} from "./dom.js";
import * as normalize from "./normalize.js";

const SHOWN_ROWS = 8;

function figure(label, value, id) {
  return el("div", {class: "figure"}, el("span", {class: "figure-value", id}, value), el("span", {class: "figure-label"}, label));
}

export function render(view) {
  const panel = el("div", {class: "card", id: "cost-panel"}, el("p", {class: "muted"}, "loading the plan…"));
  fill(view, el("div", {class: "page-head"}, el("h1", {}, "Cost")), panel);
  let closed = false;

  getJson(paths.plan())
    .then((body) => {
      if (closed) return;
      const plan = normalize.plan(body);
      const best = plan.best;
      const context = [
        Number.isFinite(plan.cameras) ? `${plan.cameras} cameras` : null,
        Number.isFinite(plan.analyzeFps) ? `analysed at ${fmtNumber(plan.analyzeFps)} fps` : null,
        plan.mode ? `${plan.mode} mode` : null,
        plan.pricing || null,
        plan.region || null,
      ].filter(Boolean);
      fill(panel, 
        el("p", {class: "muted"}, context.join(" · ")),
        best
          ? el(
              "div",
              {class: "figures"},
              figure("per camera per month", fmtUsd(plan.perCamera), "cost-per-camera"),
              figure("instance", best.instance),
              figure("cameras per instance", fmtNumber(best.perInstance, 0)),
              figure("instances", fmtNumber(best.instances, 0)),
              figure("fleet per month", fmtUsd(best.monthlyUsd)),
              best.basis ? figure("basis", best.basis) : null,
            )
          : el(
              "div",
              {},
              el("p", {class: "banner", id: "cost-unavailable"}, `No cost plan: ${plan.reason}`),
              el("p", {class: "muted"}, "The plan needs a measured profile: camfleet bench --json > bench.json, then camfleet serve --profile bench.json [--instance g4dn.xlarge]."),
            ),
        plan.rows.length
          ? el(
              "table",
              {class: "table"},
              el(
                "thead",
                {},
                el(
                  "tr",
                  {},
                  ["Instance", "Accelerator"].map((h) => el("th", {}, h)),
                  ["$/hour", "Cameras each", "Instances", "$/month", "$/camera/month"].map((h) => el("th", {class: "num"}, h)),
                  el("th", {}, "Basis"),
                ),
              ),
              el(
                "tbody",
                {},
                plan.rows.slice(0, SHOWN_ROWS).map((row) =>
                  el(
                    "tr",
                    {class: best && row.instance === best.instance ? "highlight" : ""},
                    el("td", {}, row.instance),
                    el("td", {}, row.gpu),
                    el("td", {class: "num"}, fmtUsd(row.hourlyUsd, 3)),
                    el("td", {class: "num"}, fmtNumber(row.perInstance, 0)),
                    el("td", {class: "num"}, fmtNumber(row.instances, 0)),
                    el("td", {class: "num"}, fmtUsd(row.monthlyUsd)),
                    el("td", {class: "num"}, fmtUsd(row.perCamera)),
                    el("td", {}, row.basis),
                  ),
                ),
              ),
            )
          : null,
        plan.notes.length ? el("ul", {class: "notes muted"}, plan.notes.map((note) => el("li", {}, note))) : null,
      );
    })
    .catch((error) => {
      if (closed) return;
      fill(panel, 
        el("p", {class: "banner"}, `No cost plan: ${error.message}`),
      );
    });
  return () => {
    closed = true;
  };
}
