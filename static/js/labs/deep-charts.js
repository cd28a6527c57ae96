// The deep lab's charts: per-layer lines (activation spread, gradient norms, update ratios,
// Jacobian singular values) for config A and, in compare mode, config B; the activation
// histograms as a layers × bins heatmap; the sweep's size/accuracy scatter. Each chart has
// a table of its numbers. Pure drawing: frames in, Plotly traces and tables out.

import { values } from "../codec.js";
import { logTicks } from "../plots/norms.js";
import { fit } from "../plots/raster.js";
import { baseLayout, PALETTE, PLOT_CONFIG, sequential } from "../plots/theme.js";

// Config A: solid blue; config B: dashed orange (colour and dash both differ).
export const CONFIGS = [
  { key: "a", prefix: "", name: "A", color: PALETTE.blue, dash: "solid" },
  { key: "b", prefix: "b/", name: "B", color: PALETTE.orange, dash: "dash" },
];
const g = (v) => (Number.isFinite(v) ? Number(v).toPrecision(3) : "—");
const positive = (v) => (Number.isFinite(v) && v > 0 ? v : null); // log axes cannot show 0

/** The configs a frame carries: A, and B when its arrays are there. */
export function shown(frame) {
  return CONFIGS.filter((c) => frame.arrays[`${c.prefix}act_std`]);
}

/** The array `name` of config `c` as plain numbers ([] when missing). */
export function series(frame, c, name) {
  const array = frame.arrays[c.prefix + name];
  return array ? Array.from(values(array)) : [];
}

const layers = (n) => Array.from({ length: n }, (_, i) => i + 1);

/** Lines over the layers, one per config and per entry of `lines` ({name, label, dash?}). */
function layerTraces(frame, lines, transform = positive) {
  return shown(frame).flatMap((c) => lines.map((line, k) => {
    const y = series(frame, c, line.name).map(transform);
    return {
      type: "scatter",
      mode: "lines+markers",
      name: `${c.name}: ${line.label}`,
      x: layers(y.length),
      y,
      line: { color: c.color, dash: k === 0 ? c.dash : "dot", width: k === 0 ? 2 : 1.5 },
      marker: { size: 4, color: c.color },
      hovertemplate: `${c.name}, layer %{x}<br>${line.label} = %{y:.3g}<extra></extra>`,
    };
  }));
}

/** Ticks of a log axis: 1-2-5 ones over several decades, Plotly's own within one. */
function ticks(traces) {
  const ys = traces.flatMap((t) => t.y).filter((v) => v !== null);
  if (!ys.length || Math.max(...ys) / Math.min(...ys) < 10) return {};
  return logTicks(ys);
}

function layerLayout(title, traces) {
  return baseLayout({
    margin: { l: 52, r: 10, t: 26, b: 36 },
    xaxis: { title: { text: "layer" }, gridcolor: "#e3e7ec", zeroline: false },
    yaxis: { title: { text: title }, gridcolor: "#e3e7ec", type: "log", ...ticks(traces) },
  });
}

function react(div, traces, layout) {
  return globalThis.Plotly.react(div, traces, layout, PLOT_CONFIG);
}

/** Forward signal: each hidden layer's activation std (and |mean|, dotted). */
export function drawSignal(div, frame) {
  const traces = layerTraces(frame, [
    { name: "act_std", label: "std" },
    { name: "act_mean", label: "|mean|" },
  ], (v) => positive(Math.abs(v)));
  return react(div, traces, layerLayout("activation", traces));
}

/** Backward signal: ‖∂L/∂W‖ per layer (and ‖∂L/∂h‖ at its output, dotted). */
export function drawGradients(div, frame) {
  const traces = layerTraces(frame, [
    { name: "grad_norm", label: "‖∂L/∂W‖" },
    { name: "act_grad_norm", label: "‖∂L/∂h‖" },
  ]);
  return react(div, traces, layerLayout("gradient norm", traces));
}

/** ‖ΔW‖ / ‖W‖ of the last step, per layer (the last point is the head). */
export function drawUpdates(div, frame) {
  const traces = layerTraces(frame, [{ name: "update_ratio", label: "‖ΔW‖/‖W‖" }]);
  return react(div, traces, layerLayout("update / weight", traces));
}

/** Largest and smallest finite value of each row of a (rows, cols) array. */
export function rowExtremes(frame, c, name) {
  const array = frame.arrays[c.prefix + name];
  if (!array) return { max: [], min: [] };
  const [rows, cols] = array.shape;
  const v = values(array);
  const max = [];
  const min = [];
  for (let r = 0; r < rows; r++) {
    const row = Array.from(v.slice(r * cols, (r + 1) * cols)).filter(Number.isFinite);
    max.push(row.length ? Math.max(...row) : NaN);
    min.push(row.length ? Math.min(...row) : NaN);
  }
  return { max, min };
}

/** Singular values by depth: of each layer's Jacobian, and of the product up to it. */
export function jacobianTraces(frame) {
  return shown(frame).flatMap((c) => {
    const layer = rowExtremes(frame, c, "jacobian/layers");
    const chain = rowExtremes(frame, c, "jacobian/chain");
    const line = (y, label, dash, width) => ({
      type: "scatter", mode: "lines+markers", name: `${c.name}: ${label}`,
      x: layers(y.length), y: y.map(positive),
      line: { color: c.color, dash, width }, marker: { size: 4, color: c.color },
      hovertemplate: `${c.name}, layer %{x}<br>${label} = %{y:.3g}<extra></extra>`,
    });
    return [
      line(chain.max, "σmax of ∂h_l/∂x", c.dash, 2.5),
      line(chain.min, "σmin of ∂h_l/∂x", c.dash, 1),
      line(layer.max, "σmax of J_l", "dot", 1.5),
    ];
  });
}

export function drawJacobian(div, frame) {
  const traces = jacobianTraces(frame);
  return react(div, traces, layerLayout("singular value", traces));
}

/** Activation histograms: one row per layer, darker = more values in the bin (log scale, so
 * that a bin full of a ReLU's zeros does not wash out the rest of its row). */
export function drawHistograms(canvas, frame) {
  const configs = shown(frame);
  const [width, height] = fit(canvas);
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, width, height);
  const gap = 14;
  const panel = (width - gap * (configs.length - 1)) / configs.length;
  configs.forEach((c, k) => {
    const array = frame.arrays[`${c.prefix}act_hist`];
    const [rows, bins] = array.shape;
    const v = values(array);
    const x0 = k * (panel + gap);
    ctx.fillStyle = "#1f2933";
    ctx.font = "600 11px system-ui, sans-serif";
    ctx.fillText(`${c.name}: ${rows} layers`, x0, 11);
    const cellW = panel / bins;
    const cellH = (height - 16) / rows;
    for (let r = 0; r < rows; r++) {
      const row = v.slice(r * bins, (r + 1) * bins);
      const top = Math.max(...row) || 1;
      for (let b = 0; b < bins; b++) {
        const [R, G, B] = sequential(Math.log1p(row[b]) / Math.log1p(top));
        ctx.fillStyle = `rgb(${R},${G},${B})`;
        ctx.fillRect(x0 + b * cellW, 16 + r * cellH, Math.ceil(cellW), Math.ceil(cellH));
      }
    }
  });
  canvas.dataset.configs = configs.map((c) => c.name).join("");
}

/** Sweep results: [{depth, width, n_params, macs, test_acc, loss}] (test_acc NaN if pending). */
export function sweepRows(frame) {
  const array = frame?.arrays["sweep/results"];
  if (!array) return [];
  const [rows, cols] = array.shape;
  const v = values(array);
  return Array.from({ length: rows }, (_, r) => {
    const [depth, width, nParams, macs, acc, loss] = v.slice(r * cols, (r + 1) * cols);
    return { depth, width, n_params: nParams, macs, test_acc: acc, loss };
  });
}

/** Test accuracy against parameters or multiply-adds (`axis`), one marker per config. */
export function drawSweep(div, frame, axis = "n_params") {
  const done = sweepRows(frame).filter((r) => Number.isFinite(r.test_acc));
  const symbols = ["circle", "square", "diamond", "triangle-up", "x"];
  const depths = [...new Set(done.map((r) => r.depth))];
  const traces = depths.map((d, k) => {
    const rows = done.filter((r) => r.depth === d);
    return {
      type: "scatter", mode: "markers+text", name: `depth ${d}`,
      x: rows.map((r) => r[axis]), y: rows.map((r) => r.test_acc),
      text: rows.map((r) => `${r.depth}×${r.width}`), textposition: "top center",
      textfont: { size: 10 },
      marker: { size: 9, symbol: symbols[k % symbols.length],
        color: [PALETTE.blue, PALETTE.orange, PALETTE.green, PALETTE.vermillion][k % 4] },
      hovertemplate: "%{text}<br>%{x:,} → test accuracy %{y:.1%}<extra></extra>",
    };
  });
  const xs = done.map((r) => r[axis]).filter((v) => v > 0);
  return react(div, traces, baseLayout({
    margin: { l: 52, r: 10, t: 26, b: 40 },
    xaxis: { type: "log", title: { text: axis === "macs" ? "multiply-adds per example" :
      "parameters" }, gridcolor: "#e3e7ec", ...logTicks(xs.length ? xs : [1, 10]) },
    yaxis: { title: { text: "test accuracy" }, range: [0, 1.05], gridcolor: "#e3e7ec" },
  }));
}

/** Test accuracy of A and B over the steps (`history`: [{step, a, b}]). */
export function drawRace(div, history) {
  const traces = CONFIGS.map((c) => ({
    type: "scatter", mode: "lines", name: `${c.name}: test accuracy`,
    x: history.map((h) => h.step), y: history.map((h) => h[c.key]),
    line: { color: c.color, dash: c.dash, width: 2 },
    hovertemplate: `${c.name}, step %{x}<br>test accuracy %{y:.1%}<extra></extra>`,
  }));
  return react(div, traces, baseLayout({
    margin: { l: 52, r: 10, t: 26, b: 36 },
    xaxis: { title: { text: "step" }, gridcolor: "#e3e7ec", zeroline: false },
    yaxis: { title: { text: "test accuracy" }, range: [0, 1.02], tickformat: ".0%",
      gridcolor: "#e3e7ec" },
  }));
}

// -- tables --------------------------------------------------------------------------------

/** A per-layer table of `columns` ({name, label}): one row per layer of each shown config;
 * arrays one longer than the depth end with the head. */
export function layerTable(frame, caption, columns) {
  const rows = shown(frame).flatMap((c) => {
    const depth = series(frame, c, "act_std").length;
    const data = columns.map((col) => series(frame, c, col.name));
    const n = Math.max(...data.map((d) => d.length));
    return Array.from({ length: n }, (_, i) =>
      [`${c.name} ${i < depth ? `layer ${i + 1}` : "head"}`, ...data.map((d) => g(d[i]))]);
  });
  return { caption: `${caption} at step ${frame.step}`,
    head: ["layer", ...columns.map((col) => col.label)], rows };
}

export function histogramTable(frame) {
  const configs = shown(frame);
  const rows = configs.flatMap((c) => {
    const hist = frame.arrays[`${c.prefix}act_hist`];
    const [n, bins] = hist.shape;
    const counts = values(hist);
    const range = series(frame, c, "act_range");
    return Array.from({ length: n }, (_, l) => [`${c.name} layer ${l + 1}`,
      `${g(range[2 * l])} … ${g(range[2 * l + 1])}`,
      Array.from(counts.slice(l * bins, (l + 1) * bins)).join(" ")]);
  });
  return { caption: `Activation histograms at step ${frame.step}: ${
    frame.arrays.act_hist.shape[1]} equal bins between each layer's smallest and largest value`,
  head: ["layer", "range", "counts per bin"], rows };
}

export function jacobianTable(frame) {
  const configs = shown(frame);
  const rows = configs.flatMap((c) => {
    const layer = rowExtremes(frame, c, "jacobian/layers");
    const chain = rowExtremes(frame, c, "jacobian/chain");
    return layer.max.map((_, l) => [`${c.name} layer ${l + 1}`, g(layer.max[l]), g(layer.min[l]),
      g(chain.max[l]), g(chain.min[l])]);
  });
  const product = configs.map((c) => `${c.name}: ${series(frame, c, "jacobian/product")
    .map(g).join(", ")}`).join(" · ");
  return { caption: `Jacobian singular values at step ${frame.step}; end-to-end ${product}`,
    head: ["layer", "σmax J_l", "σmin J_l", "σmax ∂h_l/∂x", "σmin ∂h_l/∂x"], rows };
}

export function raceTable(history) {
  const rows = history.slice(-40).map((h) => [String(h.step),
    Number.isFinite(h.a) ? `${(100 * h.a).toFixed(1)}%` : "—",
    Number.isFinite(h.b) ? `${(100 * h.b).toFixed(1)}%` : "—"]);
  return { caption: "Test accuracy of A and B by step (the latest 40 frames)",
    head: ["step", "A", "B"], rows };
}

export function sweepTable(frame) {
  const rows = sweepRows(frame).map((r) => [`${r.depth} × ${r.width}`,
    Number(r.n_params).toLocaleString("en"), Number(r.macs).toLocaleString("en"),
    Number.isFinite(r.test_acc) ? `${(100 * r.test_acc).toFixed(1)}%` : "pending"]);
  return { caption: "Depth × width sweep: each configuration's size and test accuracy",
    head: ["depth × width", "parameters", "multiply-adds", "test accuracy"], rows };
}
