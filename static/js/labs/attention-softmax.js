// Softmax where it lives: the example's logits turned into probabilities for every answer
// slot, and one slot's logits scaled up until exp overflows float32 — the naive softmax
// (exp ÷ sum of exp) breaks into inf and NaN, the log-sum-exp form does not.

import { values } from "../codec.js";
import { fit, paint } from "../plots/raster.js";
import { FONT, PALETTE, sequential } from "../plots/theme.js";

const MAX_SCALE = 1000;

/** Slider position 0…1000 ↔ logit scale 1…1000 on a log axis, three significant digits. */
export const scaleAt = (pos) => Number((MAX_SCALE ** (pos / 1000)).toPrecision(3));
export const positionOf = (scale) => Math.round((1000 * Math.log(scale)) / Math.log(MAX_SCALE));

/** Probabilities (slots × classes), a ring on each slot's right class, class names on top. */
export function drawProbs(canvas, frame, classes) {
  const [width, height] = fit(canvas);
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, width, height);
  const [t, c] = frame.arrays.probs.shape;
  const left = 48;
  const top = 16;
  const cell = Math.max(4, Math.min((width - left) / c, (height - top) / t));
  paint(ctx, values(frame.arrays.probs), t, c, left, top, c * cell, t * cell, sequential);
  ctx.font = `${Math.min(12, Math.max(8, cell * 0.55))}px ${FONT.family}`;
  ctx.fillStyle = FONT.color;
  ctx.textAlign = "center";
  for (let j = 0; j < c; j++) ctx.fillText(classes[j] ?? String(j), left + (j + 0.5) * cell, 11);
  ctx.textAlign = "right";
  const target = frame.arrays.target.data;
  for (let i = 0; i < t; i++) {
    ctx.fillStyle = FONT.color;
    ctx.fillText(`slot ${i}`, left - 6, top + (i + 0.65) * cell);
    ctx.strokeStyle = PALETTE.vermillion;
    ctx.lineWidth = 2;
    ctx.strokeRect(left + target[i] * cell + 1, top + i * cell + 1, cell - 2, cell - 2);
  }
  ctx.textAlign = "start";
  ctx.lineWidth = 1;
}

export function probsTable(frame, classes) {
  const [t, c] = frame.arrays.probs.shape;
  const p = values(frame.arrays.probs);
  const target = frame.arrays.target.data;
  const predicted = frame.arrays.predicted.data;
  return {
    caption: "Probability of each class in each answer slot (softmax of the logits)",
    head: ["slot", "right", "predicted", ...Array.from({ length: c }, (_, j) => classes[j] ?? j)],
    rows: Array.from({ length: t }, (_, i) => [`slot ${i}`, classes[target[i]],
      classes[predicted[i]], ...Array.from(p.subarray(i * c, (i + 1) * c), (x) => x.toFixed(3))]),
  };
}

const show = (x) => {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "−inf";
  return Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(2) : x.toFixed(4);
};

/** Rows of the softmax demo: class, z, exp(z), naive p, log-sum-exp p. */
export function softmaxRows(frame, classes) {
  const [z, e, naive, lse] = ["logits", "exp", "naive", "lse"]
    .map((k) => values(frame.arrays[`softmax/${k}`]));
  return Array.from(z, (_, j) => [classes[j] ?? String(j), z[j], e[j], naive[j], lse[j]]);
}

export function softmaxTable(frame, classes, scale) {
  return {
    caption: `Softmax of answer slot ${frame.metrics.position}'s logits × ${scale}, in float32`,
    head: ["class", "z", "exp(z)", "naive p", "log-sum-exp p"],
    rows: softmaxRows(frame, classes).map(([name, ...xs]) => [name, ...xs.map(show)]),
  };
}

/** The softmax panel: its slider and slot picker configure the run; draw() fills it in. */
export class SoftmaxPanel {
  constructor(root, { state, configure }) {
    this.state = state;
    const $ = (id) => root.querySelector(`#${id}`);
    this.slider = $("logit-scale");
    this.readout = $("logit-scale-value");
    this.slot = $("softmax-position");
    this.body = $("softmax-table").tBodies[0];
    this.naive = $("naive-verdict");
    this.lse = $("lse-verdict");
    this.max = $("max-logit");
    this.loss = $("softmax-loss");
    this.slider.addEventListener("input", () => {
      this.readout.textContent = `×${scaleAt(Number(this.slider.value))}`;
    });
    this.slider.addEventListener("change", () =>
      configure({ logit_scale: scaleAt(Number(this.slider.value)) }));
    this.slot.addEventListener("change", () => configure({ position: Number(this.slot.value) }));
  }

  draw(frame, classes) {
    const p = this.state.params;
    if (document.activeElement !== this.slider) {
      this.slider.value = String(positionOf(p.logit_scale));
      this.readout.textContent = `×${p.logit_scale}`;
    }
    const slots = frame.arrays.target.shape[0];
    if (this.slot.options.length !== slots) {
      this.slot.replaceChildren(...Array.from({ length: slots }, (_, i) => new Option(`${i}`, i)));
    }
    this.slot.value = String(frame.metrics.position);
    const m = frame.metrics;
    this.naive.dataset.ok = String(m.naive_softmax_ok);
    this.naive.textContent = m.naive_softmax_ok ? "naive: finite" : "naive: overflow (inf/NaN)";
    this.lse.dataset.ok = String(m.lse_softmax_ok);
    this.lse.textContent = m.lse_softmax_ok ? "log-sum-exp: finite" : "log-sum-exp: broken";
    this.max.textContent = `largest z ${m.max_logit === null ? "—" : show(m.max_logit)} ` +
      "(exp overflows float32 above 88.7)";
    const ce = (x) => (x === null ? "inf or NaN" : show(x));
    this.loss.textContent = "cross-entropy −log p of the right class: naive " +
      `${ce(m.naive_loss)}, log-sum-exp ${ce(m.lse_loss)}`;
    const target = frame.arrays.target.data[m.position];
    const rows = softmaxRows(frame, classes).map(([name, ...xs], j) => {
      const tr = document.createElement("tr");
      if (j === target) tr.className = "target";
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = j === target ? `${name} (right)` : name;
      tr.append(th);
      for (const x of xs) {
        const td = document.createElement("td");
        td.textContent = show(x);
        if (!Number.isFinite(x)) td.className = "broken";
        tr.append(td);
      }
      return tr;
    });
    this.body.replaceChildren(...rows);
  }
}
