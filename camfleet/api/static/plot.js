// A latency-over-time plot on a <canvas>: p50 and p99 lines, the SLO as a dashed line.

const COLORS = {p50: "#4c8dff", p99: "#f0a23b", slo: "#e5484d", grid: "#2a3140", text: "#8b95a7"};
const PAD = {left: 56, right: 16, top: 16, bottom: 28};

function niceStep(range) {
  const raw = range / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const factor of [1, 2, 5, 10]) {
    if (raw <= factor * power) return factor * power;
  }
  return 10 * power;
}

function sizeCanvas(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return {ctx, width, height};
}

/** points: [{t (ms epoch), p50, p99}], windowS: seconds shown, sloMs: the dashed line. */
export function drawLatency(canvas, points, {windowS = 600, sloMs = 500, now = Date.now()} = {}) {
  const {ctx, width, height} = sizeCanvas(canvas);
  ctx.clearRect(0, 0, width, height);
  ctx.font = "12px system-ui, sans-serif";
  const plotW = width - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const finite = points.flatMap((p) => [p.p50, p.p99]).filter(Number.isFinite);
  const top = Math.max(sloMs * 1.15, ...finite.map((v) => v * 1.1), 10);
  const step = niceStep(top);
  const yMax = Math.ceil(top / step) * step;
  const x = (t) => PAD.left + ((t - (now - windowS * 1000)) / (windowS * 1000)) * plotW;
  const y = (v) => PAD.top + plotH - (Math.min(v, yMax) / yMax) * plotH;

  ctx.strokeStyle = COLORS.grid;
  ctx.fillStyle = COLORS.text;
  ctx.lineWidth = 1;
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (let value = 0; value <= yMax + 1e-9; value += step) {
    ctx.beginPath();
    ctx.moveTo(PAD.left, Math.round(y(value)) + 0.5);
    ctx.lineTo(width - PAD.right, Math.round(y(value)) + 0.5);
    ctx.stroke();
    ctx.fillText(`${Math.round(value)} ms`, PAD.left - 6, y(value));
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  const minutes = windowS / 60;
  for (let m = 0; m <= minutes; m += Math.max(1, Math.round(minutes / 5))) {
    const label = m === 0 ? "now" : `−${m} min`;
    ctx.fillText(label, x(now - m * 60000), PAD.top + plotH + 8);
  }

  ctx.save();
  ctx.setLineDash([6, 4]);
  ctx.strokeStyle = COLORS.slo;
  ctx.beginPath();
  ctx.moveTo(PAD.left, y(sloMs));
  ctx.lineTo(width - PAD.right, y(sloMs));
  ctx.stroke();
  ctx.restore();
  ctx.fillStyle = COLORS.slo;
  ctx.textAlign = "left";
  ctx.textBaseline = "bottom";
  ctx.fillText(`SLO ${sloMs} ms`, PAD.left + 6, y(sloMs) - 3);

  for (const key of ["p50", "p99"]) {
    ctx.strokeStyle = COLORS[key];
    ctx.lineWidth = 2;
    ctx.beginPath();
    let drawing = false;
    for (const point of points) {
      if (!Number.isFinite(point[key])) {
        drawing = false;
        continue;
      }
      if (drawing) ctx.lineTo(x(point.t), y(point[key]));
      else ctx.moveTo(x(point.t), y(point[key]));
      drawing = true;
    }
    ctx.stroke();
  }
  if (!points.some((p) => Number.isFinite(p.p99))) {
    ctx.fillStyle = COLORS.text;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillText("collecting latency samples…", PAD.left + plotW / 2, PAD.top + plotH / 2);
  }
}

export const plotColors = COLORS;
