// The optimizers lab's stage: every chosen optimiser's path over the loss surface's contours,
// a table of where each stands, the small network's loss under each optimiser (one line
// each, in the curves column), and a histogram of Adam's per-parameter step sizes.

import { values } from "../codec.js";
import { baseLayout, FONT, LINES, PALETTE, PLOT_CONFIG } from "../plots/theme.js";

export const NAMES = {
  sgd: "SGD", momentum: "Momentum", nesterov: "Nesterov", rmsprop: "RMSProp", adam: "Adam",
  adamw: "AdamW",
};
const ORDER = Object.keys(NAMES);
// One style per optimiser, the same in every picture: colour, dash and marker all differ.
const STYLES = Object.fromEntries(ORDER.map((id, k) => [id, LINES[k] ??
  { color: PALETTE.black, dash: "dot", symbol: "cross" }]));
const CONTOUR_SCALE = [[0, "#FFFFFF"], [1, "#AEB6BF"]];

const fmt = (v, digits = 3) => (typeof v === "number" && Number.isFinite(v)
  ? (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2)
    : v.toFixed(digits)) : "—");

/** Rows of a flat (n, 2) array as [x, y] pairs. */
function pairs(array) {
  const v = values(array);
  const xs = [];
  const ys = [];
  for (let i = 0; i < v.length; i += 2) {
    xs.push(v[i]);
    ys.push(v[i + 1]);
  }
  return [xs, ys];
}

/** The surface's values squeezed for colouring: asinh(f / s), signed, log-like far from 0. */
function squeeze(dataset) {
  const grid = dataset.arrays.surface;
  const v = values(grid);
  const [n, m] = grid.shape;
  let top = 0;
  for (const a of v) top = Math.max(top, Math.abs(a));
  const s = Math.max(1e-12, top * 1e-3);
  return Array.from({ length: n }, (_, i) =>
    Array.from(v.subarray(i * m, (i + 1) * m), (a) => Math.asinh(a / s)));
}

function drawPaths(div, state, frame) {
  const meta = state.meta ?? {};
  const data = state.dataset;
  const traces = [];
  if (data?.arrays.surface) {
    traces.push({
      type: "contour", x: Array.from(values(data.arrays["surface/x"])),
      y: Array.from(values(data.arrays["surface/y"])), z: squeeze(data), ncontours: 24,
      colorscale: CONTOUR_SCALE, showscale: false, hoverinfo: "skip",
      contours: { coloring: "fill" }, line: { color: "#ffffff", width: 0.6 },
    });
  }
  for (const id of meta.optimizers ?? []) {
    const path = frame.arrays[`path/${id}`];
    if (!path) continue;
    const [xs, ys] = pairs(path);
    const style = STYLES[id];
    traces.push({
      type: "scatter", mode: "lines", name: NAMES[id], x: xs, y: ys, legendgroup: id,
      line: { color: style.color, dash: style.dash, width: 2 },
      hovertemplate: `${NAMES[id]}: (%{x:.3f}, %{y:.3f})<extra></extra>`,
    });
    traces.push({
      type: "scatter", mode: "markers", x: [xs.at(-1)], y: [ys.at(-1)], showlegend: false,
      legendgroup: id, marker: { color: style.color, symbol: style.symbol, size: 10,
        line: { color: "#ffffff", width: 1 } }, hoverinfo: "skip",
    });
  }
  const p = state.params;
  traces.push({
    type: "scatter", mode: "markers", name: "start", x: [p.start_x], y: [p.start_y],
    marker: { color: FONT.color, symbol: "circle-open", size: 11, line: { width: 2 } },
    hovertemplate: "start (%{x}, %{y})<extra></extra>",
  });
  if (meta.minimum) {
    traces.push({
      type: "scatter", mode: "markers", name: "minimum", x: [meta.minimum[0]],
      y: [meta.minimum[1]], marker: { color: FONT.color, symbol: "star", size: 13 },
      hovertemplate: "minimum (%{x}, %{y})<extra></extra>",
    });
  }
  const layout = baseLayout({
    margin: { l: 40, r: 10, t: 6, b: 36 },
    xaxis: { range: meta.x_range, title: { text: "x", standoff: 2 }, zeroline: false,
      showgrid: false, constrain: "domain" },
    yaxis: { range: meta.y_range, title: { text: "y", standoff: 2 }, zeroline: false,
      showgrid: false, scaleanchor: "x", constrain: "domain" },
    legend: { orientation: "h", x: 0, y: -0.12, yanchor: "top", font: { size: 11 } },
  });
  div.dataset.points = String(traces.filter((t) => t.mode === "lines")
    .reduce((n, t) => n + t.x.length, 0));
  div.dataset.step = String(frame.step);
  return globalThis.Plotly.react(div, traces, layout, PLOT_CONFIG);
}

/** The network's loss per optimiser against step, kept by the stage as frames arrive. */
class NetHistory {
  constructor() {
    this.clear();
  }

  clear() {
    this.steps = [];
    this.loss = {};
    this.revision = 0;
  }

  add(frame, ids) {
    const last = this.steps.at(-1);
    if (last !== undefined && frame.step < last) this.clear();
    if (last !== undefined && frame.step === last) return;
    this.steps.push(frame.step);
    for (const id of ids) {
      const v = frame.metrics[`net_loss_${id}`];
      (this.loss[id] ??= []).push(typeof v === "number" ? v : null);
    }
    if (this.steps.length > 2000) {
      const keep = (_, i, all) => i % 2 === 0 || i === all.length - 1;
      this.steps = this.steps.filter(keep);
      for (const id of Object.keys(this.loss)) this.loss[id] = this.loss[id].filter(keep);
    }
    this.revision += 1;
  }
}

function drawNetLoss(div, history, ids) {
  const traces = ids.filter((id) => history.loss[id]).map((id) => ({
    type: "scatter", mode: "lines", name: NAMES[id], x: history.steps, y: history.loss[id],
    line: { color: STYLES[id].color, dash: STYLES[id].dash, width: 2 },
    hovertemplate: `${NAMES[id]}: %{y:.4f} at step %{x}<extra></extra>`,
  }));
  return globalThis.Plotly.react(div, traces, baseLayout({
    datarevision: history.revision, margin: { l: 48, r: 10, t: 8, b: 32 },
    legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom", font: { size: 10 } },
    xaxis: { title: { text: "step", standoff: 2 }, rangemode: "tozero", gridcolor: "#e3e7ec" },
    yaxis: { title: { text: "train loss" }, rangemode: "tozero", gridcolor: "#e3e7ec" },
  }), PLOT_CONFIG);
}

/** log10 of each non-zero |step| of Adam-like optimisers, one histogram each. */
function stepLogs(frame, id) {
  const v = values(frame.arrays[`effective_step/${id}`]);
  const out = [];
  for (const a of v) if (a !== 0 && Number.isFinite(a)) out.push(Math.log10(Math.abs(a)));
  return out;
}

const ADAMS = ["adam", "adamw"];

function drawSteps(div, frame, ids) {
  const traces = ADAMS.filter((id) => ids.includes(id) && frame.arrays[`effective_step/${id}`])
    .map((id) => ({
      type: "histogram", name: NAMES[id], x: stepLogs(frame, id), opacity: 0.65,
      xbins: { size: 0.1 }, marker: { color: STYLES[id].color },
      hovertemplate: `${NAMES[id]}: %{y} parameters near 10^%{x:.1f}<extra></extra>`,
    }));
  div.dataset.count = String(traces.reduce((n, t) => n + t.x.length, 0));
  return globalThis.Plotly.react(div, traces, baseLayout({
    barmode: "overlay", margin: { l: 44, r: 10, t: 8, b: 36 },
    xaxis: { title: { text: "log₁₀ |lr · m̂ / (√v̂ + ε)|", standoff: 2 }, gridcolor: "#e3e7ec" },
    yaxis: { title: { text: "parameters" }, gridcolor: "#e3e7ec", rangemode: "tozero" },
  }), PLOT_CONFIG);
}

function quantiles(list) {
  if (!list.length) return ["—", "—", "—"];
  const s = [...list].sort((a, b) => a - b);
  const at = (q) => 10 ** s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return [fmt(10 ** s[0]), fmt(at(0.5)), fmt(10 ** s.at(-1))];
}

/** The optimizers stage (see labs/index.js for the interface). */
export function createOptimizersStage({ root, state }) {
  const $ = (id) => root.querySelector(`#${id}`);
  const plots = { paths: $("paths-plot"), net: $("netloss-plot"), steps: $("steps-plot") };
  const history = new NetHistory();
  // The network's loss goes where the learning curves live: the right column.
  root.querySelector(".lab-curves")?.prepend($("fig-netloss"));
  const ids = () => state.meta?.optimizers ?? [];

  const standings = (frame) => ids().map((id) => {
    const m = frame.metrics;
    return [NAMES[id], fmt(m[`x_${id}`]), fmt(m[`y_${id}`]), fmt(m[`value_${id}`], 4),
      m[`dist_${id}`] === null ? "no minimum" : fmt(m[`dist_${id}`]),
      m[`escaped_${id}`] ? "left the window" : "", fmt(m[`lr_${id}`], 4),
      fmt(m[`net_loss_${id}`], 4)];
  });
  const HEAD = ["optimiser", "x", "y", "f(x, y)", "distance to minimum", "", "lr now",
    "network loss"];

  const fillStandings = (frame) => {
    const body = $("standings-body");
    body.replaceChildren(...standings(frame).map((cells) => {
      const tr = document.createElement("tr");
      cells.forEach((text, i) => {
        const cell = document.createElement(i === 0 ? "th" : "td");
        if (i === 0) cell.scope = "row";
        cell.textContent = text;
        tr.append(cell);
      });
      return tr;
    }));
  };

  return {
    draw(frame) {
      drawPaths(plots.paths, state, frame);
      fillStandings(frame);
      const meta = state.meta ?? {};
      $("surface-formula").textContent = meta.formula ? `f(x, y) = ${meta.formula}` : "";
      const best = frame.metrics.min_dist;
      $("min-dist").textContent = typeof best === "number" ? fmt(best) : "— (no minimum)";
    },
    onDataset: () => history.clear(),
    onFrame: (frame) => history.add(frame, ids()),
    sideCharts: [
      { draw: () => drawNetLoss(plots.net, history, ids()), version: () => history.revision },
      { draw: () => state.frame && drawSteps(plots.steps, state.frame, ids()),
        version: () => state.frame },
    ],
    tables: {
      paths: () => state.frame && { caption: `Where each optimiser stands at step ${
        state.frame.step}`, head: HEAD, rows: standings(state.frame) },
      netloss: () => history.steps.length && {
        caption: `Network training loss at step ${history.steps.at(-1)}`,
        head: ["optimiser", "train loss", "test accuracy"],
        rows: ids().filter((id) => history.loss[id]).map((id) => [NAMES[id],
          fmt(history.loss[id].at(-1), 4),
          fmt(state.frame?.metrics[`net_acc_${id}`], 3)]),
      },
      steps: () => state.frame && {
        caption: "Adam's step per network parameter at the last update (smallest, median, " +
          "largest)",
        head: ["optimiser", "smallest", "median", "largest"],
        rows: ADAMS.filter((id) => ids().includes(id)).map((id) =>
          [NAMES[id], ...quantiles(stepLogs(state.frame, id))]),
      },
    },
    resizes: [plots.paths],
  };
}
