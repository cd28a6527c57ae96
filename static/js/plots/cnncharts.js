// The CNN lab's Plotly charts: the test set's confusion matrix, the receptive field's size
// layer by layer for variants of the stack, and parameters against test accuracy over the
// configurations this browser has trained.

import { baseLayout, FONT, LINES, PLOT_CONFIG, SEQUENTIAL } from "./theme.js";

const DIGITS = Array.from({ length: 10 }, (_, i) => String(i));

/** The 10 × 10 counts (row = true digit, column = predicted), each count written in. */
export function drawConfusion(div, confusion, classes = DIGITS) {
  const [n, m] = confusion.shape;
  const z = Array.from({ length: n }, (_, i) => Array.from(confusion.data.subarray(i * m,
    (i + 1) * m)));
  const top = Math.max(1, ...confusion.data);
  const annotations = [];
  z.forEach((row, i) => row.forEach((v, j) => {
    if (v === 0) return;
    annotations.push({ x: classes[j], y: classes[i], text: String(v), showarrow: false,
      font: { size: 10, color: v / top > 0.55 ? "#ffffff" : FONT.color } });
  }));
  const trace = {
    type: "heatmap", z, x: classes, y: classes, colorscale: SEQUENTIAL, zmin: 0, zmax: top,
    xgap: 1, ygap: 1, showscale: false,
    hovertemplate: "true %{y}, predicted %{x}: %{z}<extra></extra>",
  };
  const layout = baseLayout({
    showlegend: false, annotations, margin: { l: 44, r: 6, t: 6, b: 40 },
    xaxis: { type: "category", title: { text: "predicted", standoff: 4 }, showgrid: false },
    yaxis: { type: "category", title: { text: "true digit", standoff: 4 }, autorange: "reversed",
      showgrid: false, scaleanchor: "x", constrain: "domain" },
  });
  return globalThis.Plotly.react(div, [trace], layout, PLOT_CONFIG);
}

/** The matrix's numbers, with each row's accuracy. */
export function confusionTable(confusion, classes = DIGITS) {
  const [n, m] = confusion.shape;
  const rows = [];
  for (let i = 0; i < n; i++) {
    const row = Array.from(confusion.data.subarray(i * m, (i + 1) * m));
    const total = row.reduce((a, b) => a + b, 0);
    rows.push([classes[i], ...row.map(String),
      total ? `${((100 * row[i]) / total).toFixed(0)} %` : "—"]);
  }
  return {
    caption: "Test-set counts: row = true digit, column = predicted",
    head: ["true \\ predicted", ...classes, "right"],
    rows,
  };
}

/** One line per variant of meta.compare: receptive-field size after each layer. */
export function drawDepth(div, compare) {
  const traces = (compare ?? []).map((variant, k) => {
    const style = LINES[k % LINES.length];
    return {
      type: "scatter", mode: "lines+markers", name: variant.name,
      x: variant.rf.map((_, l) => l + 1), y: variant.rf,
      // Variants often coincide: earlier lines are wider, so a line on top leaves them seen.
      line: { color: style.color, dash: style.dash, width: Math.max(1.5, 5 - 1.2 * k) },
      marker: { symbol: style.symbol, size: Math.max(6, 12 - 2 * k), color: style.color },
      hovertemplate: `${variant.name}: %{y} px after layer %{x}<extra></extra>`,
    };
  });
  const layout = baseLayout({
    margin: { l: 44, r: 8, t: 8, b: 36 },
    legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom", font: { size: 11 } },
    xaxis: { title: { text: "layer", standoff: 4 }, dtick: 1, gridcolor: "#e3e7ec" },
    yaxis: { title: { text: "field (px)" }, rangemode: "tozero", gridcolor: "#e3e7ec" },
  });
  return globalThis.Plotly.react(div, traces, layout, PLOT_CONFIG);
}

/** The chart's numbers: sizes per layer, one column per variant. */
export function depthTable(compare) {
  if (!compare?.length) return null;
  const depth = Math.max(...compare.map((v) => v.rf.length));
  return {
    caption: "Receptive-field side (input pixels) after each layer, per variant of the stack",
    head: ["layer", ...compare.map((v) => v.name)],
    rows: Array.from({ length: depth }, (_, l) => [String(l + 1),
      ...compare.map((v) => String(v.rf[l] ?? "—"))]),
  };
}

/** A log axis around `values` with ticks at 1, 2 and 5 times the powers of ten inside it. */
export function logAxis(values) {
  const shown = values.filter((v) => v > 0 && Number.isFinite(v));
  if (!shown.length) return {};
  const lo = Math.log10(Math.min(...shown)) - 0.3;
  const hi = Math.log10(Math.max(...shown)) + 0.3;
  const tickvals = [];
  for (let k = Math.floor(lo); k <= Math.ceil(hi); k++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** k;
      if (Math.log10(v) >= lo && Math.log10(v) <= hi) tickvals.push(v);
    }
  }
  return { range: [lo, hi], tickvals, ticktext: tickvals.map((v) => v.toLocaleString("en")) };
}

const pct = (v) => (Number.isFinite(v) ? `${(100 * v).toFixed(1)} %` : "—");

/** Parameters (log x) against the best test accuracy of each configuration tried. */
export function drawRuns(div, runs, current = null) {
  const trace = (list, name, style) => ({
    type: "scatter", mode: "markers", name,
    x: list.map((r) => r.total_params), y: list.map((r) => r.best_acc),
    text: list.map((r) => r.summary),
    marker: { size: 10, ...style },
    hovertemplate: "%{text}<br>%{x:,} parameters · %{y:.1%}<extra></extra>",
  });
  const others = runs.filter((r) => r.key !== current);
  const mine = runs.filter((r) => r.key === current);
  const layout = baseLayout({
    margin: { l: 48, r: 10, t: 8, b: 40 },
    legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom", font: { size: 11 } },
    xaxis: { type: "log", title: { text: "parameters (log scale)", standoff: 4 },
      gridcolor: "#e3e7ec", ...logAxis(runs.map((r) => r.total_params)) },
    yaxis: { title: { text: "best test accuracy" }, range: [0, 1.02], tickformat: ".0%",
      gridcolor: "#e3e7ec" },
  });
  return globalThis.Plotly.react(div, [
    trace(others, "earlier configurations", { color: "#56B4E9", symbol: "circle" }),
    trace(mine, "this configuration", { color: "#D55E00", symbol: "diamond", size: 13 }),
  ], layout, PLOT_CONFIG);
}

/** The scatter's numbers: every configuration tried, best first. */
export function runsTable(runs) {
  if (!runs.length) return null;
  return {
    caption: "Configurations trained in this browser: size, work and best test accuracy",
    head: ["layers", "parameters", "multiply-adds", "best test accuracy"],
    rows: [...runs].sort((a, b) => b.best_acc - a.best_acc).map((r) => [r.summary,
      r.total_params.toLocaleString("en"), r.total_macs.toLocaleString("en"), pct(r.best_acc)]),
  };
}
