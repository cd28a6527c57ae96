// The transfer lab's stage: test accuracy and training loss of the fine-tuned network and of
// the one trained from scratch, side by side; each one's first-layer kernels; and the run's
// checkpoints, saved and resumed through the lab's probes.

import { values } from "../codec.js";
import { el } from "../dom.js";
import { drawNorms, normsTable } from "../plots/norms.js";
import { fit, maxOf, paint } from "../plots/raster.js";
import { baseLayout, diverging, FONT, LINES, PLOT_CONFIG } from "../plots/theme.js";

const NAMES = { model: "pretraining (0–4)", finetune: "fine-tuned", scratch: "from scratch" };
const STYLE = { model: LINES[0], finetune: LINES[0], scratch: LINES[1] };
const METRIC_PREFIX = (models, name) => (name === models[0] ? "" : `${name}_`);
const fmt = (v, digits = 3) => (typeof v === "number" && Number.isFinite(v)
  ? v.toFixed(digits) : "—");
const percent = (v) => (typeof v === "number" ? `${(100 * v).toFixed(1)} %` : "—");

/** Test accuracy and train loss per model, recorded as frames arrive. */
class Curves {
  constructor() {
    this.clear();
  }

  clear() {
    this.steps = [];
    this.series = {};
    this.revision = 0;
  }

  add(frame, models) {
    const last = this.steps.at(-1);
    if (last !== undefined && frame.step < last) this.clear();
    if (last !== undefined && frame.step === last) return;
    this.steps.push(frame.step);
    for (const name of models) {
      const prefix = METRIC_PREFIX(models, name);
      for (const key of ["test_acc", "loss"]) {
        const v = frame.metrics[`${prefix}${key}`];
        (this.series[`${name}/${key}`] ??= []).push(typeof v === "number" ? v : null);
      }
    }
    this.revision += 1;
  }
}

function drawCurves(div, curves, models, key, yaxis) {
  const traces = models.filter((name) => curves.series[`${name}/${key}`]).map((name) => ({
    type: "scatter", mode: "lines", name: NAMES[name], x: curves.steps,
    y: curves.series[`${name}/${key}`],
    line: { color: STYLE[name].color, dash: STYLE[name].dash, width: 2 },
    hovertemplate: `${NAMES[name]}: %{y:.3f} at step %{x}<extra></extra>`,
  }));
  div.dataset.points = String(curves.steps.length);
  return globalThis.Plotly.react(div, traces, baseLayout({
    datarevision: curves.revision, margin: { l: 48, r: 10, t: 8, b: 36 },
    xaxis: { title: { text: "step", standoff: 2 }, rangemode: "tozero", gridcolor: "#e3e7ec" },
    yaxis: { gridcolor: "#e3e7ec", ...yaxis },
  }), PLOT_CONFIG);
}

/** Each model's 16 first-layer 3 × 3 kernels in a row, on the diverging scale. */
function drawKernels(canvas, frame, models) {
  const [width, height] = fit(canvas);
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, width, height);
  ctx.font = `11px ${FONT.family}`;
  models.forEach((name, row) => {
    const array = frame.arrays[`kernels/${name}`];
    if (!array) return;
    const [n, h, w] = array.shape;
    const v = values(array);
    const top = Math.max(1e-9, maxOf(v.map(Math.abs)));
    const side = Math.max(8, Math.min(28, (width - 4 * n) / n));
    const y = row * (side + 22) + 14;
    ctx.fillStyle = FONT.color;
    ctx.fillText(NAMES[name], 0, y - 3);
    for (let k = 0; k < n; k++) {
      paint(ctx, v.subarray(k * h * w, (k + 1) * h * w), h, w, k * (side + 4), y, side, side,
        (t) => diverging(t / top));
    }
  });
}

/** The transfer stage (see labs/index.js for the interface). */
export function createTransferStage({ root, socket, state, messages }) {
  const $ = (id) => root.querySelector(`#${id}`);
  const plots = { acc: $("transfer-acc-plot"), loss: $("transfer-loss-plot") };
  const canvas = $("kernels-canvas");
  const list = $("checkpoint-list");
  const curves = new Curves();
  const models = () => state.meta?.models ?? [];
  let saved = [];

  const renderList = () => {
    list.replaceChildren(...saved.map((c) => {
      const button = el("button", { type: "button", class: "btn small",
        "aria-label": `Resume from step ${c.step}`, text: `Resume step ${c.step}` });
      button.addEventListener("click", () => socket.probe("resume", { name: c.name }));
      return el("li", {}, button);
    }));
    $("checkpoint-empty").hidden = saved.length > 0;
  };
  $("checkpoint-save").addEventListener("click", () => socket.probe("checkpoint", {}));

  const comparison = (frame) => {
    const m = frame.metrics;
    return models().map((name) => {
      const prefix = METRIC_PREFIX(models(), name);
      return [NAMES[name], percent(m[`${prefix}test_acc`]), percent(m[`${prefix}train_acc`]),
        fmt(m[`${prefix}loss`], 4)];
    });
  };

  return {
    draw(frame) {
      drawCurves(plots.acc, curves, models(), "test_acc",
        { title: { text: "test accuracy" }, range: [0, 1.02], tickformat: ".0%" });
      drawKernels(canvas, frame, models());
      const m = frame.metrics;
      $("trainable").textContent = String(m.trainable_params ?? "—");
      $("labels-used").textContent = String(m.labels_used ?? "—");
      $("checkpoint-last").textContent = m.checkpoint ?? "none yet";
      $("checkpoint-save").disabled = !m.checkpoints_enabled;
    },
    onHello: () => socket.probe("checkpoints", {}),
    onStatus: (msg) => { if (msg.params) socket.probe("checkpoints", {}); },
    onDataset: () => curves.clear(),
    onFrame: (frame) => curves.add(frame, models()),
    onProbe(probe) {
      if (!["checkpoint", "checkpoints", "resume"].includes(probe.extra.name)) return;
      saved = probe.extra.checkpoints ?? [];
      renderList();
      if (probe.extra.name === "checkpoint") {
        messages.show(`Saved ${probe.metrics.saved} at step ${probe.step}.`, "info");
      } else if (probe.extra.name === "resume") {
        messages.show(`Resumed from step ${probe.step}: play or step to continue.`, "info");
        $("fig-checkpoints").dataset.resumed = String(probe.step);
        socket.emit("frame", { ...probe, type: "frame" }); // it carries the resumed frame
      }
    },
    sideCharts: [
      { draw: () => drawCurves(plots.loss, curves, models(), "loss",
        { title: { text: "train loss" }, rangemode: "tozero" }), version: () => curves.revision },
      { draw: () => drawNorms($("norms-plot"), state.frame, state.meta?.weights ?? []),
        version: () => state.frame },
    ],
    tables: {
      norms: () => state.frame && normsTable(state.frame, state.meta?.weights ?? []),
      acc: () => state.frame && { caption: `Fine-tuned vs from scratch at step ${
        state.frame.step}`, head: ["network", "test accuracy", "train accuracy", "train loss"],
      rows: comparison(state.frame) },
      kernels: () => state.frame && {
        caption: "First-layer 3 × 3 kernels, row by row (9 weights each)",
        head: ["network", "kernel", ...Array.from({ length: 9 }, (_, i) => `w${i}`)],
        rows: models().flatMap((name) => {
          const array = state.frame.arrays[`kernels/${name}`];
          if (!array) return [];
          const v = values(array);
          return Array.from({ length: array.shape[0] }, (_, k) => [NAMES[name], String(k),
            ...Array.from(v.subarray(k * 9, (k + 1) * 9), (x) => x.toFixed(3))]);
        }),
      },
    },
    resizes: [plots.acc, canvas],
  };
}
