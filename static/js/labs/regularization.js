// The regularization lab's stage: train and test accuracy over the run with the gap between
// them shaded and the early-stopping point marked, the three losses, and the first training
// images as the augmentation currently draws them.

import { values } from "../codec.js";
import { drawNorms, normsTable } from "../plots/norms.js";
import { fit, paint } from "../plots/raster.js";
import { baseLayout, FONT, ink, PALETTE, PLOT_CONFIG, SERIES } from "../plots/theme.js";

const GAP_FILL = "rgba(213, 94, 0, 0.16)"; // vermillion, light: the generalisation gap
const fmt = (v, digits = 3) => (typeof v === "number" && Number.isFinite(v)
  ? v.toFixed(digits) : "—");
const percent = (v) => (typeof v === "number" ? `${(100 * v).toFixed(1)} %` : "—");

function series(frame, key) {
  return Array.from(values(frame.arrays[`history/${key}`]));
}

/** Vertical marker lines (best step, stop) as layout shapes with their labels. */
function markers(frame) {
  const m = frame.metrics;
  const shapes = [];
  const annotations = [];
  const mark = (step, color, dash, text, y) => {
    shapes.push({ type: "line", xref: "x", yref: "paper", x0: step, x1: step, y0: 0, y1: 1,
      line: { color, dash, width: 1.5 } });
    annotations.push({ x: step, y, xref: "x", yref: "paper", text, showarrow: false,
      xanchor: "left", font: { size: 10, color }, bgcolor: "rgba(255,255,255,0.8)" });
  };
  if (typeof m.best_step === "number") mark(m.best_step, PALETTE.green, "dash", "best", 0.08);
  if (m.stopped) mark(frame.step, FONT.color, "dot", "stopped", 0.2);
  return { shapes, annotations };
}

function drawGap(div, frame) {
  const steps = series(frame, "step");
  const train = series(frame, "train_acc");
  const test = series(frame, "test_acc");
  const traces = [
    { type: "scatter", mode: "lines", name: "test accuracy", x: steps, y: test,
      line: { color: SERIES.test.color, dash: SERIES.test.dash, width: 2 },
      hovertemplate: "test %{y:.1%} at step %{x}<extra></extra>" },
    { type: "scatter", mode: "lines", name: "train accuracy (gap shaded)", x: steps, y: train,
      fill: "tonexty", fillcolor: GAP_FILL,
      line: { color: SERIES.train.color, dash: SERIES.train.dash, width: 2 },
      hovertemplate: "train %{y:.1%} at step %{x}<extra></extra>" },
    { type: "scatter", mode: "lines", name: "validation accuracy", x: steps,
      y: series(frame, "val_acc"), line: { color: PALETTE.green, dash: "dot", width: 1.5 },
      hovertemplate: "validation %{y:.1%} at step %{x}<extra></extra>" },
  ];
  div.dataset.points = String(steps.length);
  div.dataset.step = String(frame.step);
  return globalThis.Plotly.react(div, traces, baseLayout({
    ...markers(frame), margin: { l: 48, r: 12, t: 8, b: 36 },
    xaxis: { title: { text: "step", standoff: 2 }, rangemode: "tozero", gridcolor: "#e3e7ec" },
    yaxis: { title: { text: "accuracy" }, range: [0, 1.02], tickformat: ".0%",
      gridcolor: "#e3e7ec" },
  }), PLOT_CONFIG);
}

function drawLosses(div, frame) {
  const steps = series(frame, "step");
  const line = (name, key, color, dash) => ({ type: "scatter", mode: "lines", name, x: steps,
    y: series(frame, key), line: { color, dash, width: 2 },
    hovertemplate: `${name} %{y:.3f} at step %{x}<extra></extra>` });
  return globalThis.Plotly.react(div, [
    line("train", "loss", SERIES.train.color, SERIES.train.dash),
    line("validation", "val_loss", PALETTE.green, "dot"),
    line("test", "test_loss", SERIES.test.color, SERIES.test.dash),
  ], baseLayout({
    ...markers(frame), margin: { l: 48, r: 12, t: 8, b: 36 },
    xaxis: { title: { text: "step", standoff: 2 }, rangemode: "tozero", gridcolor: "#e3e7ec" },
    yaxis: { title: { text: "cross-entropy" }, rangemode: "tozero", gridcolor: "#e3e7ec" },
  }), PLOT_CONFIG);
}

function drawAugmented(canvas, frame, labels) {
  const array = frame.arrays.augmented;
  if (!array) return;
  const [width, height] = fit(canvas);
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, width, height);
  const [n, h, w] = array.shape;
  const v = values(array);
  const gap = 8;
  const side = Math.max(16, Math.min((width - gap * (n - 1)) / n, canvas.clientHeight - 16));
  ctx.font = `11px ${FONT.family}`;
  ctx.fillStyle = FONT.color;
  for (let k = 0; k < n; k++) {
    const x = k * (side + gap);
    paint(ctx, v.subarray(k * h * w, (k + 1) * h * w), h, w, x, 0, side, side, ink);
    ctx.strokeStyle = "#c9d1da";
    ctx.strokeRect(x + 0.5, 0.5, side - 1, side - 1);
    if (labels) ctx.fillText(String(labels[k]), x + side / 2 - 3, side + 12);
  }
}

/** The regularization stage (see labs/index.js for the interface). */
export function createRegularizationStage({ root, state }) {
  const $ = (id) => root.querySelector(`#${id}`);
  const plots = { gap: $("gap-plot"), losses: $("losses-plot") };
  const canvas = $("augmented-canvas");
  const weightNames = () => state.meta?.weights ?? [];
  const labels = () => (state.dataset ? Array.from(state.dataset.arrays["train/labels"].data)
    : null);

  const historyTable = (caption, keys) => {
    const f = state.frame;
    if (!f) return null;
    const steps = series(f, "step");
    const columns = keys.map(([, key]) => series(f, key));
    return { caption, head: ["step", ...keys.map(([name]) => name)],
      rows: steps.map((s, i) => [String(s), ...columns.map((c) => fmt(c[i]))]) };
  };

  return {
    draw(frame) {
      drawGap(plots.gap, frame);
      drawAugmented(canvas, frame, labels());
      const m = frame.metrics;
      $("gap-value").textContent = percent(m.gap);
      $("best-line").textContent = typeof m.best_step === "number"
        ? `best validation loss at step ${m.best_step} (test accuracy there ${percent(
          m.best_test_acc)})` : "—";
      $("stop-line").textContent = m.stopped
        ? `stopped at step ${frame.step}${m.restored ? ", best weights restored" : ""}`
        : (state.params.early_stopping ? "training" : "early stopping off");
      root.querySelector("#fig-gap").dataset.stopped = String(Boolean(m.stopped));
    },
    sideCharts: [
      { draw: () => state.frame && drawLosses(plots.losses, state.frame),
        version: () => state.frame },
      { draw: () => drawNorms($("norms-plot"), state.frame, weightNames()),
        version: () => state.frame },
    ],
    tables: {
      norms: () => state.frame && normsTable(state.frame, weightNames()),
      gap: () => historyTable("Accuracy at each evaluation (every 10 steps)",
        [["train", "train_acc"], ["validation", "val_acc"], ["test", "test_acc"]]),
      losses: () => historyTable("Loss at each evaluation (every 10 steps)",
        [["train", "loss"], ["validation", "val_loss"], ["test", "test_loss"]]),
      augmented: () => state.frame && {
        caption: "The first training images as augmented now, pixel by pixel (0 paper, 1 ink)",
        head: ["image", "label", ...Array.from({ length: 64 }, (_, i) => `p${i}`)],
        rows: Array.from({ length: state.frame.arrays.augmented.shape[0] }, (_, k) => [
          String(k), String(labels()?.[k] ?? "—"),
          ...Array.from(values(state.frame.arrays.augmented).subarray(k * 64, (k + 1) * 64),
            (v) => v.toFixed(2))]),
      },
    },
    resizes: [plots.gap, canvas],
  };
}
