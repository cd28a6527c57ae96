// Per-layer norms on a log scale: how large each weight tensor is (‖W‖) and how strongly
// the last training step pushed on it (‖∇W‖) — vanishing or exploding gradients show here.

import { baseLayout, PLOT_CONFIG, SERIES } from "./theme.js";

/** "input → hidden 1" … "hidden n → output" for each Linear layer of `layers` widths. */
export function layerNames(layers) {
  return layers.slice(1).map((_, k) => {
    const from = k === 0 ? "input" : `hidden ${k}`;
    const to = k === layers.length - 2 ? "output" : `hidden ${k + 1}`;
    return `${from} → ${to}`;
  });
}

const positive = (v) => (v > 0 && Number.isFinite(v) ? v : null); // log axes cannot show 0

const defaultLabels = (names) => names.map((_, k) => `W${k + 1}`);

/**
 * Grouped bars: ‖∇W‖ and ‖W‖ per weight tensor; `names` say what each is (hover, table),
 * `labels` are the short axis labels (W1, W2, … by default).
 */
export function normTraces(frame, names, labels = defaultLabels(names)) {
  const grad = Array.from(frame.arrays.grad_norm?.data ?? [], positive);
  const weight = Array.from(frame.arrays.weight_norm?.data ?? [], positive);
  return [
    {
      type: "bar",
      name: "‖∇W‖",
      x: labels,
      y: grad,
      customdata: names,
      marker: { color: SERIES.gradNorm },
      hovertemplate: "%{customdata}<br>‖∇W‖ = %{y:.3g}<extra></extra>",
    },
    {
      type: "bar",
      name: "‖W‖",
      x: labels,
      y: weight,
      customdata: names,
      marker: { color: SERIES.weightNorm },
      hovertemplate: "%{customdata}<br>‖W‖ = %{y:.3g}<extra></extra>",
    },
  ];
}

/** Ticks at 1, 2 and 5 times each power of ten that the values span. */
export function logTicks(values) {
  const shown = values.filter((v) => v !== null);
  if (!shown.length) return {};
  const lo = Math.floor(Math.log10(Math.min(...shown)));
  const hi = Math.ceil(Math.log10(Math.max(...shown)));
  const tickvals = [];
  const steps = hi - lo > 2 ? [1] : [1, 3]; // few labels: the chart is short
  for (let k = lo; k <= hi; k++) for (const m of steps) tickvals.push(m * 10 ** k);
  return { tickvals, ticktext: tickvals.map((v) => String(Number(v.toPrecision(1)))) };
}

/** Draw the norms chart into `div` (`names`, `labels` as for normTraces). */
export function drawNorms(div, frame, names, labels) {
  const traces = normTraces(frame, names, labels);
  const layout = baseLayout({
    barmode: "group",
    bargap: 0.25,
    margin: { l: 48, r: 10, t: 24, b: 22 },
    legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom", font: { size: 11 } },
    yaxis: { type: "log", title: { text: "norm" }, gridcolor: "#e3e7ec",
      ...logTicks(traces.flatMap((t) => t.y)) },
    xaxis: { title: { text: "" } },
  });
  return globalThis.Plotly.react(div, traces, layout, PLOT_CONFIG);
}

const g = (v) => (Number.isFinite(v) ? v.toPrecision(3) : "—");

/** The chart's numbers: both norms for every weight tensor. */
export function normsTable(frame, names, labels = defaultLabels(names)) {
  const grad = frame.arrays.grad_norm?.data ?? [];
  const weight = frame.arrays.weight_norm?.data ?? [];
  return {
    caption: `Norms per layer at step ${frame.step} (‖∇W‖ is 0 before the first step)`,
    head: ["layer", "weights", "‖∇W‖", "‖W‖"],
    rows: names.map((name, k) => [name, labels[k], g(grad[k]), g(weight[k])]),
  };
}
