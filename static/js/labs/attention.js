// The attention lab's stage: the example and the model's answer, every head's attention map
// (click one to take it apart), that head step by step, logits → probabilities, softmax
// naive vs log-sum-exp, and the positional encodings.

import { drawNorms, normsTable } from "../plots/norms.js";
import { fit, paint } from "../plots/raster.js";
import { diverging } from "../plots/theme.js";
import { drawHeadSteps, maskedScores, matrix, matrixTable, panel, rowLabels, signedColor,
  weightColor } from "./attention-head.js";
import { drawProbs, probsTable, SoftmaxPanel, softmaxTable } from "./attention-softmax.js";
import { examplePicker } from "./example-picker.js";

const SHORT = (name) => (name === "embedding" ? "emb" : name.replace("layer ", "L"));

/** The example as rows of tokens: input, then the right answer and the model's. */
function renderSequence(box, frame, meta) {
  const names = meta.tokens;
  const classes = meta.classes;
  const row = (label, items) => {
    const div = document.createElement("div");
    div.className = "att-row";
    const name = document.createElement("span");
    name.className = "att-row-name";
    name.textContent = label;
    div.append(name, ...items.map(([text, cls]) => {
      const span = document.createElement("span");
      span.className = `att-token ${cls}`;
      span.textContent = text;
      return span;
    }));
    return div;
  };
  const tokens = Array.from(frame.arrays.tokens.data);
  const target = Array.from(frame.arrays.target.data);
  const predicted = Array.from(frame.arrays.predicted.data);
  box.replaceChildren(
    row("reads", tokens.map((t) => [names[t] ?? t, t === names.length - 1 ? "blank" : ""])),
    row("right answer", target.map((t) => [classes[t] ?? t, ""])),
    row("model wrote", predicted.map((t, i) => [classes[t] ?? t,
      t === target[i] ? "right" : "wrong"])),
  );
}

/** The attention stage (see labs/index.js for the interface). */
export function createAttentionStage({ root, state, configure }) {
  const $ = (id) => root.querySelector(`#${id}`);
  const heads = $("att-heads");
  const view = $("maps-view");
  const canvases = { head: $("head-canvas"), probs: $("probs-canvas"),
    positional: $("positional-canvas") };
  const softmax = new SoftmaxPanel(root, { state, configure });
  const meta = () => state.meta ?? {};
  const classes = () => meta().classes ?? [];
  let grid = ""; // the layers × heads × length the buttons were made for
  let shown = null; // the frame drawn last

  const picker = examplePicker($, state, configure);
  view.addEventListener("change", () => shown && drawMaps(shown));

  // Arrow keys move the choice between heads (left/right) and layers (up/down).
  const MOVES = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
  heads.addEventListener("keydown", (event) => {
    const button = event.target.closest?.(".att-head-button");
    const move = MOVES[event.key];
    if (!button || !move) return;
    event.preventDefault();
    const layer = Number(button.dataset.layer) + move[0];
    const head = Number(button.dataset.head) + move[1];
    const next = heads.querySelector(`[data-layer="${layer}"][data-head="${head}"]`);
    if (next) {
      next.focus();
      next.click();
    }
  });

  /** One button per head, each holding a canvas of its map, rebuilt when the shape changes. */
  function buildHeads(layers, nh, length) {
    const key = `${layers}×${nh}×${length}`;
    if (key === grid) return;
    grid = key;
    heads.replaceChildren(...Array.from({ length: layers }, (_, l) => {
      const row = document.createElement("div");
      row.className = "att-layer";
      const name = document.createElement("span");
      name.className = "att-layer-name";
      name.textContent = `layer ${l + 1}`;
      row.append(name);
      for (let h = 0; h < nh; h++) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "att-head-button";
        Object.assign(button.dataset, { layer: String(l), head: String(h) });
        button.setAttribute("aria-label", `Layer ${l + 1}, head ${h + 1}: show it step by step`);
        button.setAttribute("aria-pressed", "false");
        const canvas = document.createElement("canvas");
        canvas.width = length;
        canvas.height = length;
        const label = document.createElement("span");
        label.textContent = `head ${h + 1}`;
        button.append(canvas, label);
        button.addEventListener("click", () => {
          markChosen(l, h);
          configure({ head_layer: l, head: h });
        });
        row.append(button);
      }
      return row;
    }));
  }

  function markChosen(layer, head) {
    for (const b of heads.querySelectorAll(".att-head-button")) {
      const on = Number(b.dataset.layer) === layer && Number(b.dataset.head) === head;
      b.setAttribute("aria-pressed", String(on));
    }
  }

  function drawMaps(frame) {
    const { layers = 0, heads: nh = 0, length = 0, causal = false } = meta();
    buildHeads(layers, nh, length);
    const scores = view.value === "scores";
    for (const button of heads.querySelectorAll(".att-head-button")) {
      const l = Number(button.dataset.layer);
      const h = Number(button.dataset.head);
      const array = frame.arrays[`${scores ? "scores" : "attention"}/${l}`];
      if (!array) continue;
      let m = matrix(array, h);
      if (scores) m = maskedScores(m, causal);
      const ctx = button.querySelector("canvas").getContext("2d");
      paint(ctx, m.v, m.h, m.w, 0, 0, m.w, m.h, scores ? signedColor(m.v) : weightColor);
    }
    markChosen(state.params.head_layer, state.params.head);
  }

  function drawPositional(frame) {
    const pe = matrix(frame.arrays.positional);
    const sim = matrix(frame.arrays.positional_similarity);
    const gap = 18;
    const left = 22;
    const [width] = fit(canvases.positional);
    const cell = Math.max(2, Math.min(14, (width - left - gap) / (pe.w + sim.w)));
    const [, height] = fit(canvases.positional, Math.ceil(16 + pe.h * cell + 4));
    const ctx = canvases.positional.getContext("2d");
    ctx.clearRect(0, 0, width, height);
    rowLabels(ctx, Array.from({ length: pe.h }, (_, i) => String(i)), left, 16, cell);
    const drawn = panel(ctx, pe, left, 0, cell, cell, signedColor(pe.v), "encoding (position × d)");
    panel(ctx, sim, left + Math.max(drawn, 150) + gap, 0, cell, cell, (x) => diverging(x),
      "cosine similarity");
  }

  /** "0 3", "1 7", … "11 _": each position and the example's token there. */
  const positionLabels = () => Array.from(shown?.arrays.tokens.data ?? [],
    (t, i) => `${i} ${meta().tokens?.[t] ?? ""}`);

  const slot = (i) => `slot ${i}`;
  const at = (i) => `${i} ${meta().tokens?.[shown?.arrays.tokens.data[i]] ?? ""}`;

  return {
    draw(frame) {
      shown = frame;
      const m = frame.metrics;
      renderSequence($("att-sequence"), frame, meta());
      const pct = (x) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)} %` : "—");
      $("example-verdict").textContent = `${m.example_right ? "all right" : "some slots wrong"}` +
        ` · test set: ${pct(m.test_acc)} of tokens, ${pct(m.test_seq_acc)} of whole sequences`;
      picker.sync();
      drawMaps(frame);
      drawHeadSteps(canvases.head, { ...frame, causal: meta().causal }, positionLabels());
      $("head-name").textContent = `layer ${m.head_layer + 1}, head ${m.head + 1}`;
      $("head-focus").textContent = meta().causal ? "Grey: keys the causal mask hides." : "";
      drawProbs(canvases.probs, frame, classes());
      softmax.draw(frame, classes());
      drawPositional(frame);
    },
    sideCharts: [
      { draw: () => drawNorms($("norms-plot"), state.frame, meta().weights ?? [],
        (meta().weights ?? []).map(SHORT)), version: () => state.frame },
    ],
    tables: {
      sequence: () => shown && {
        caption: `Test sequence ${state.params.example}: each answer slot`,
        head: ["slot", "right answer", "model wrote"],
        rows: Array.from(shown.arrays.target.data, (t, i) => [slot(i), classes()[t],
          classes()[shown.arrays.predicted.data[i]]]),
      },
      maps: () => shown && (() => {
        const { layer, head } = { layer: state.params.head_layer, head: state.params.head };
        const name = view.value === "scores" ? "scores" : "attention";
        const array = shown.arrays[`${name}/${layer}`];
        if (!array) return null;
        const m = name === "scores" ? maskedScores(matrix(array, head), meta().causal)
          : matrix(array, head);
        return matrixTable(`${name === "scores" ? "Scores" : "Attention weights"} of layer ` +
          `${layer + 1}, head ${head + 1} (row: query, column: key)`, m, at, at);
      })(),
      head: () => shown && matrixTable(`Layer ${shown.metrics.head_layer + 1}, head ` +
        `${shown.metrics.head + 1}: softmax weights (row: query, column: key; rows sum to 1)`,
        matrix(shown.arrays["head/weights"]), at, at),
      probs: () => shown && probsTable(shown, classes()),
      softmax: () => shown && softmaxTable(shown, classes(), state.params.logit_scale),
      positional: () => shown && matrixTable("Cosine similarity of the positional encodings",
        matrix(shown.arrays.positional_similarity), (i) => `pos ${i}`, (j) => `pos ${j}`),
      norms: () => state.frame && normsTable(state.frame, meta().weights ?? [],
        (meta().weights ?? []).map(SHORT)),
    },
    resizes: [canvases.head, canvases.probs, canvases.positional],
  };
}
