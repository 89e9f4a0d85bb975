// The API's JSON turned into the few fields the page shows, in one place.

function listOf(body, ...keys) {
  if (Array.isArray(body)) return body;
  for (const key of ["items", ...keys]) {
    if (body && Array.isArray(body[key])) return body[key];
  }
  if (body && typeof body === "object") {
    for (const key of keys) {
      const value = body[key];
      if (value && typeof value === "object") {
        return Object.entries(value).map(([id, item]) => ({id, ...item}));
      }
    }
  }
  return [];
}

function num(...values) {
  for (const value of values) {
    if (typeof value === "number" && Number.isFinite(value)) return value;
  }
  return NaN;
}

/** {id, source, enabled, state, lastError, analyzeFps, models} per camera, sorted by id. */
export function cameras(body) {
  return listOf(body, "cameras")
    .map((item) => {
      const config = item.config && typeof item.config === "object" ? item.config : item;
      const enabled = item.enabled !== false && config.enabled !== false;
      return {
        id: String(config.id ?? item.camera_id ?? item.id ?? ""),
        source: String(config.source ?? ""),
        enabled,
        state: item.state ? String(item.state) : enabled ? "pending" : "disabled",
        lastError: item.last_error ? String(item.last_error) : "",
        analyzeFps: num(config.analyze_fps),
        models: Array.isArray(config.models) ? config.models.map(String) : [],
      };
    })
    .filter((camera) => camera.id)
    .sort((a, b) => a.id.localeCompare(b.id, undefined, {numeric: true}));
}

/** Map camera id -> {state, fpsIn, fpsAnalysed, p50, p99, gated, shed, dropped, lastError}. */
export function stats(body) {
  const result = new Map();
  for (const item of listOf(body, "cameras")) {
    const id = String(item.camera_id ?? item.id ?? "");
    if (!id) continue;
    result.set(id, {
      state: item.state ? String(item.state) : "unknown",
      fpsIn: num(item.fps_in),
      fpsAnalysed: num(item.fps_analysed, item.analysed_per_s),
      p50: num(item.p50_ms, item.result_p50_ms),
      p99: num(item.p99_ms, item.result_p99_ms),
      gated: num(item.gated),
      shed: num(item.shed),
      dropped: num(item.dropped),
      lastError: item.last_error ? String(item.last_error) : "",
    });
  }
  return result;
}

export function models(body) {
  return listOf(body, "models")
    .map((item) => String(item.model_id ?? item.id ?? ""))
    .filter(Boolean);
}

/** {items: [{id, cameraId, ruleId, className, kind, startedAt, endedAt, hasSnapshot}], next}. */
export function events(body) {
  const items = listOf(body, "events").map((item) => ({
    id: String(item.event_id ?? item.id ?? ""),
    cameraId: String(item.camera_id ?? ""),
    ruleId: String(item.rule_id ?? ""),
    className: String(item.class_name ?? item.class ?? ""),
    kind: String(item.kind ?? ""),
    region: item.region ? String(item.region) : "",
    startedAt: item.started_at ?? item.time ?? null,
    endedAt: item.ended_at ?? null,
    hasSnapshot: item.has_snapshot ?? Boolean(item.snapshot_url ?? item.snapshot_path ?? item.snapshot ?? true),
  }));
  const next = body && !Array.isArray(body) ? body.next_cursor ?? null : null;
  return {items: items.filter((event) => event.id), next};
}

/**
 * The service's /plan answer ({available, reason, instance, usd_per_camera_month, ...}); the
 * planner's own `plan --json` shape (a recommendation and candidate rows) reads the same way.
 */
export function plan(body) {
  const root = body || {};
  const best = root.recommendation && typeof root.recommendation === "object" ? root.recommendation : root;
  const row = (item) => ({
    instance: String(item.instance ?? ""),
    gpu: item.gpu ? String(item.gpu) : "CPU",
    hourlyUsd: num(item.hourly_usd),
    perInstance: num(item.cameras_per_instance),
    instances: num(item.instances),
    monthlyUsd: num(item.monthly_usd),
    perCamera: num(item.usd_per_camera_month),
    basis: String(item.basis ?? ""),
  });
  const available = root.available !== false && Boolean(best.instance);
  return {
    available,
    reason: root.reason ? String(root.reason) : available ? "" : "the planner returned no instance",
    cameras: num(root.cameras),
    analyzeFps: num(root.analyze_fps),
    mode: String(root.mode ?? ""),
    pricing: String(root.pricing ?? ""),
    region: String(root.region ?? ""),
    best: available ? row(best) : null,
    perCamera: available ? num(best.usd_per_camera_month) : NaN,
    rows: Array.isArray(root.rows) ? root.rows.map(row) : [],
    notes: Array.isArray(root.notes) ? root.notes.map(String) : [],
  };
}
