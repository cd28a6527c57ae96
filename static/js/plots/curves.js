// Learning curves: train and test loss, train and test accuracy, growing as frames arrive
// and starting over when the model is rebuilt (its step goes back).

import { baseLayout, PLOT_CONFIG, SERIES } from "./theme.js";

const SERIES_KEYS = { loss: "loss", testLoss: "test_loss", trainAcc: "train_acc",
  testAcc: "test_acc" };

const number = (v) => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** The metrics of every frame so far, thinned to at most `limit` points. */
export class History {
  constructor(limit = 2000) {
    this.limit = limit;
    this.clear();
  }

  clear() {
    this.steps = [];
    this.series = Object.fromEntries(Object.keys(SERIES_KEYS).map((k) => [k, []]));
    this.latest = null;
    this.revision = 0;
  }

  /** Record one frame; a frame at an earlier step means a new model, so start over. */
  add(frame) {
    const last = this.steps.at(-1);
    if (last !== undefined && frame.step < last) this.clear();
    if (last !== undefined && frame.step === this.steps.at(-1)) this.pop();
    this.steps.push(frame.step);
    for (const [key, metric] of Object.entries(SERIES_KEYS)) {
      this.series[key].push(number(frame.metrics[metric]));
    }
    this.latest = { step: frame.step, ...frame.metrics };
    if (this.steps.length > this.limit) this.thin();
    this.revision += 1;
  }

  pop() {
    this.steps.pop();
    for (const s of Object.values(this.series)) s.pop();
  }

  /** Keep every other point but the newest, so old and new stay evenly sampled. */
  thin() {
    const keep = (_, i, all) => i % 2 === 0 || i === all.length - 1;
    this.steps = this.steps.filter(keep);
    for (const key of Object.keys(this.series)) this.series[key] = this.series[key].filter(keep);
  }
}

function line(name, x, y, style) {
  return {
    type: "scatter",
    mode: "lines",
    name,
    x,
    y,
    line: { color: style.color, dash: style.dash, width: 2 },
    hovertemplate: `${name}: %{y:.3f} at step %{x}<extra></extra>`,
  };
}

/** Train and test loss against step. */
export function lossTraces(history) {
  return [
    line("train loss", history.steps, history.series.loss, SERIES.train),
    line("test loss", history.steps, history.series.testLoss, SERIES.test),
  ];
}

/** Train and test accuracy against step. */
export function accuracyTraces(history) {
  return [
    line("train accuracy", history.steps, history.series.trainAcc, SERIES.train),
    line("test accuracy", history.steps, history.series.testAcc, SERIES.test),
  ];
}

function curveLayout(title, yaxis, revision) {
  return baseLayout({
    datarevision: revision,
    showlegend: false, // the caption's key says which line is which
    margin: { l: 48, r: 10, t: 8, b: 32 },
    xaxis: { title: { text: "step", standoff: 2 }, gridcolor: "#e3e7ec", zeroline: false,
      rangemode: "tozero" },
    yaxis: { title: { text: title }, gridcolor: "#e3e7ec", zeroline: false, ...yaxis },
  });
}

/** Draw the loss chart into `div`. */
export function drawLoss(div, history) {
  return globalThis.Plotly.react(div, lossTraces(history),
    curveLayout("loss", { rangemode: "tozero" }, history.revision), PLOT_CONFIG);
}

/** Draw the accuracy chart into `div` (0–100 %). */
export function drawAccuracy(div, history) {
  return globalThis.Plotly.react(div, accuracyTraces(history),
    curveLayout("accuracy", { range: [0, 1.02], tickformat: ".0%" }, history.revision),
    PLOT_CONFIG);
}

const fixed = (v, digits = 4) => (typeof v === "number" ? v.toFixed(digits) : "—");
const percent = (v) => (typeof v === "number" ? `${(100 * v).toFixed(1)} %` : "—");

/** The loss chart's numbers: the latest frame's losses. */
export function lossTable(history) {
  const m = history.latest ?? {};
  return {
    caption: `Loss at step ${m.step ?? "—"} (${history.steps.length} points on the curve)`,
    head: ["loss", "value"],
    rows: [
      ["train (whole set)", fixed(m.loss)],
      ["test", fixed(m.test_loss)],
      ["last minibatch", fixed(m.batch_loss)],
    ],
  };
}

/** The accuracy chart's numbers: the latest frame's accuracies. */
export function accuracyTable(history) {
  const m = history.latest ?? {};
  return {
    caption: `Accuracy at step ${m.step ?? "—"}, epoch ${fixed(m.epoch, 2)}`,
    head: ["set", "accuracy"],
    rows: [["train", percent(m.train_acc)], ["test", percent(m.test_acc)]],
  };
}
