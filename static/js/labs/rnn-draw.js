// Pictures of the recurrent lab: the gradient through time (a log-scale line per layer or per
// cell), units × time maps painted on a canvas (hidden state, gates, the input), and the
// per-step histories of the clipping norms and of each cell's loss.

import { values } from "../codec.js";
import { logTicks } from "../plots/norms.js";
import { fit, maxAbsOf, paint } from "../plots/raster.js";
import { baseLayout, diverging, FONT, LINES, PLOT_CONFIG, sequential } from "../plots/theme.js";

const positive = (v) => (v > 0 && Number.isFinite(v) ? v : null); // log axes cannot show 0
export const g3 = (v) => (typeof v === "number" && Number.isFinite(v) ? v.toPrecision(3) : "—");

/** A log axis: ticks at 1, 2 (or 3) and 5 per decade over a few decades, else powers of ten. */
function logAxis(title, ys) {
  const shown = ys.filter((v) => v !== null);
  const decades = shown.length
    ? Math.log10(Math.max(...shown)) - Math.log10(Math.min(...shown)) : 0;
  const ticks = decades > 3 ? { exponentformat: "power", dtick: decades > 8 ? 2 : 1 }
    : logTicks(shown);
  return { type: "log", title: { text: title, standoff: 4 }, gridcolor: "#e3e7ec", ...ticks };
}

/**
 * ‖∂L/∂h_t‖ against t: `series` [{name, data (Float32Array of T)}]; a dashed line marks where
 * truncated back-propagation stops (`truncation` steps before the end; 0: none).
 */
export function drawGradTime(div, series, truncation) {
  const steps = series[0]?.data.length ?? 0;
  const x = Array.from({ length: steps }, (_, t) => t + 1);
  const traces = series.map(({ name, data }, k) => ({
    type: "scatter",
    mode: steps > 60 ? "lines" : "lines+markers",
    name,
    x,
    y: Array.from(data, positive),
    line: { color: LINES[k % LINES.length].color, dash: LINES[k % LINES.length].dash, width: 2 },
    marker: { size: 4, symbol: LINES[k % LINES.length].symbol },
    hovertemplate: `${name}: %{y:.3g} at t = %{x}<extra></extra>`,
  }));
  const cut = truncation > 0 && truncation < steps ? steps - truncation + 0.5 : null;
  const layout = baseLayout({
    margin: { l: 60, r: 10, t: 24, b: 36 },
    xaxis: { title: { text: "time step t", standoff: 2 }, gridcolor: "#e3e7ec", zeroline: false,
      range: [0.5, steps + 0.5] },
    yaxis: logAxis("‖∂L/∂hₜ‖", traces.flatMap((t) => t.y)),
    shapes: cut === null ? [] : [{ type: "line", x0: cut, x1: cut, yref: "paper", y0: 0, y1: 1,
      line: { color: FONT.color, dash: "dot", width: 1 } }],
    annotations: cut === null ? [] : [{ x: cut, yref: "paper", y: 1, text: "truncated",
      showarrow: false, xanchor: "right", font: { size: 10 } }],
  });
  return globalThis.Plotly.react(div, traces, layout, PLOT_CONFIG);
}

/** Each series' value per time step as a table. */
export function gradTimeTable(series, step) {
  const steps = series[0]?.data.length ?? 0;
  return {
    caption: `‖∂L/∂hₜ‖ at each time step, step ${step} (0: the truncation cuts the path)`,
    head: ["t", ...series.map((s) => s.name)],
    rows: Array.from({ length: steps }, (_, t) => [String(t + 1), ...series.map((s) => g3(s.data[t]))]),
  };
}

/** A gate map's colour: sigmoid gates 0…1 white → blue, candidates −1…1 on the diverging scale. */
export const gateColor = (name) => (name === "candidate" ? diverging : sequential);

/**
 * Paint titled blocks one under the other, each [h, w] (rows × time steps), on `canvas`;
 * blocks: [{title, data, h, w, color(value)}]. Returns the canvas height used.
 */
export function drawBlocks(canvas, blocks) {
  const heights = blocks.map((b) => Math.max(28, Math.min(150, b.h * 4)));
  const total = heights.reduce((a, h) => a + h + 18, 0) + 14;
  const [width] = fit(canvas, Math.max(60, total));
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, width, Math.max(60, total));
  ctx.font = `600 11px ${FONT.family}`;
  let y = 0;
  blocks.forEach((block, k) => {
    ctx.fillStyle = FONT.color;
    ctx.fillText(block.title, 0, y + 12);
    paint(ctx, block.data, block.h, block.w, 0, y + 16, width, heights[k], block.color);
    ctx.strokeStyle = "#c9d1da";
    ctx.strokeRect(0.5, y + 16.5, width - 1, heights[k] - 1);
    y += heights[k] + 18;
  });
  if (blocks.length) {
    ctx.font = `11px ${FONT.family}`;
    ctx.fillStyle = FONT.color;
    ctx.fillText("t = 1", 0, y + 8);
    const last = `t = ${blocks[0].w}`;
    ctx.fillText(last, width - ctx.measureText(last).width, y + 8);
  }
  return total;
}

/** A [h, w] array as a block scaled to its largest |value| on the diverging scale. */
export function signedBlock(title, array) {
  const data = values(array);
  const top = maxAbsOf(data);
  const [h, w] = array.shape;
  return { title: `${title} (±${g3(top)})`, data, h, w, color: (v) => diverging(v / top) };
}

/** The input [T, D] as a block of D rows (one per channel) × T steps, white → blue. */
export function inputBlock(array) {
  const [steps, channels] = array.shape;
  const v = values(array);
  const data = new Float32Array(steps * channels);
  for (let t = 0; t < steps; t++) for (let c = 0; c < channels; c++) data[c * steps + t] = v[t * channels + c];
  return { title: `input: ${channels} channels × ${steps} steps`, data, h: channels, w: steps,
    color: sequential };
}

/** Rows "<label> <row>" × columns t of a [h, w] array. */
export function mapRows(label, array) {
  const data = values(array);
  const [h, w] = array.shape;
  return Array.from({ length: h }, (_, r) => [`${label} ${r}`,
    ...Array.from(data.slice(r * w, (r + 1) * w), g3)]);
}

/** Per-step histories by model: the clipping norms and the train loss. */
export class StepHistory {
  constructor(limit = 2000) {
    this.limit = limit;
    this.clear();
  }

  clear() {
    this.series = new Map(); // model → {steps, a, b}
    this.revision = 0;
  }

  /** Append rows [step, a, b] newer than what `model` holds (an older step starts over). */
  add(model, rows) {
    if (!this.series.has(model)) this.series.set(model, { steps: [], a: [], b: [] });
    const s = this.series.get(model);
    for (const [step, a, b] of rows) {
      const last = s.steps.at(-1);
      if (last !== undefined && step < last) {
        s.steps.length = 0;
        s.a.length = 0;
        s.b.length = 0;
      } else if (last !== undefined && step === last) {
        continue;
      }
      s.steps.push(step);
      s.a.push(a);
      s.b.push(b);
    }
    if (s.steps.length > this.limit) {
      for (const key of ["steps", "a", "b"]) s[key] = s[key].slice(-this.limit);
    }
    this.revision += 1;
  }
}

/** Before-clipping dots and after-clipping lines per model, on a log axis. */
export function drawClip(div, history) {
  const traces = [];
  [...history.series.entries()].forEach(([model, s], k) => {
    const style = LINES[k % LINES.length];
    traces.push({ type: "scatter", mode: "markers", name: `${model} before`, x: s.steps,
      y: s.a.map(positive), marker: { color: style.color, size: 4, opacity: 0.55,
        symbol: style.symbol },
      hovertemplate: `${model} before clipping: %{y:.3g} at step %{x}<extra></extra>` });
    traces.push({ type: "scatter", mode: "lines", name: `${model} after`, x: s.steps,
      y: s.b.map(positive), line: { color: style.color, dash: style.dash, width: 2 },
      hovertemplate: `${model} after clipping: %{y:.3g} at step %{x}<extra></extra>` });
  });
  const layout = baseLayout({
    datarevision: history.revision,
    margin: { l: 60, r: 10, t: 24, b: 36 },
    xaxis: { title: { text: "step", standoff: 2 }, gridcolor: "#e3e7ec", zeroline: false },
    yaxis: logAxis("global ‖∇‖", traces.flatMap((t) => t.y)),
  });
  return globalThis.Plotly.react(div, traces, layout, PLOT_CONFIG);
}

/** The last `n` steps of each model's history as rows. */
export function historyTable(history, caption, names, n = 50) {
  const rows = [];
  for (const [model, s] of history.series) {
    const from = Math.max(0, s.steps.length - n);
    for (let i = from; i < s.steps.length; i++) {
      rows.push([`${model} step ${s.steps[i]}`, g3(s.a[i]), g3(s.b[i])]);
    }
  }
  return { caption, head: ["model and step", ...names], rows };
}

/** Each model's train loss (line) and test loss (dashed) against step, log scale. */
export function drawCells(div, history) {
  const traces = [];
  [...history.series.entries()].forEach(([model, s], k) => {
    const style = LINES[k % LINES.length];
    traces.push({ type: "scatter", mode: "lines", name: `${model} train`, x: s.steps,
      y: s.a.map(positive), line: { color: style.color, width: 2 },
      hovertemplate: `${model} train loss: %{y:.3g} at step %{x}<extra></extra>` });
    traces.push({ type: "scatter", mode: "lines", name: `${model} test`, x: s.steps,
      y: s.b.map(positive), line: { color: style.color, dash: "dot", width: 1.5 },
      hovertemplate: `${model} test loss: %{y:.3g} at step %{x}<extra></extra>` });
  });
  const layout = baseLayout({
    datarevision: history.revision,
    margin: { l: 60, r: 10, t: 24, b: 36 },
    xaxis: { title: { text: "step", standoff: 2 }, gridcolor: "#e3e7ec", zeroline: false },
    yaxis: logAxis("loss", traces.flatMap((t) => t.y)),
  });
  return globalThis.Plotly.react(div, traces, layout, PLOT_CONFIG);
}
