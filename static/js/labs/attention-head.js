// Heatmaps of the attention lab: a matrix painted cell by cell, the scores with the causal
// mask greyed, and the chosen head taken apart step by step (Q, K, V → scores → softmax →
// weighted sum → output), each on its own colour scale.

import { values } from "../codec.js";
import { fit, maxAbsOf, paint } from "../plots/raster.js";
import { diverging, FONT, sequential } from "../plots/theme.js";

export const MASKED = [205, 210, 216]; // a key hidden by the causal mask
const TITLE_H = 16;

/** The [h, w] slice `index` of a [n, h, w] array, or the whole [h, w] array. */
export function matrix(array, index = null) {
  const v = values(array);
  const [h, w] = array.shape.slice(-2);
  return index === null ? { v, h, w } : { v: v.subarray(index * h * w, (index + 1) * h * w), h, w };
}

/** Scores with the keys after each query replaced by NaN when the mask hides them. */
export function maskedScores({ v, h, w }, causal) {
  if (!causal) return { v, h, w };
  const out = Float32Array.from(v);
  for (let i = 0; i < h; i++) for (let j = i + 1; j < w; j++) out[i * w + j] = Number.NaN;
  return { v: out, h, w };
}

/** A signed scale around 0 reaching ±max|v| (NaN: masked grey). */
export function signedColor(v) {
  const m = maxAbsOf(v.filter((x) => Number.isFinite(x)));
  return (x) => (Number.isNaN(x) ? MASKED : diverging(x / m));
}

/** Weights in [0, 1] on the sequential scale. */
export const weightColor = (x) => sequential(x);

/** Paint a titled matrix with cells of cw × ch at (x, y); returns its width. */
export function panel(ctx, { v, h, w }, x, y, cw, ch, color, title) {
  ctx.fillStyle = FONT.color;
  ctx.font = `600 11px ${FONT.family}`;
  ctx.fillText(title, x, y + 11);
  paint(ctx, v, h, w, x, y + TITLE_H, w * cw, h * ch, color);
  ctx.strokeStyle = "#c9d1da";
  ctx.strokeRect(x + 0.5, y + TITLE_H + 0.5, w * cw - 1, h * ch - 1);
  return w * cw;
}

export const STEPS = [
  ["q", "Q = h·W_q"],
  ["k", "K = h·W_k"],
  ["v", "V = h·W_v"],
  ["scores", "QKᵀ/√d"],
  ["weights", "softmax"],
  ["mixed", "weights·V"],
  ["output", "·W_o (output)"],
];

/** Row labels: each position's index and token, right-aligned left of x. */
export function rowLabels(ctx, labels, x, y, cell) {
  if (cell < 8) return;
  ctx.fillStyle = FONT.color;
  ctx.font = `${Math.min(11, cell - 1)}px ${FONT.family}`;
  ctx.textAlign = "right";
  labels.forEach((text, i) => ctx.fillText(text, x - 4, y + (i + 0.75) * cell));
  ctx.textAlign = "start";
}

/** The chosen head's seven steps side by side, rows aligned (one row per position). */
export function drawHeadSteps(canvas, frame, labels) {
  const parts = STEPS.map(([name, title]) => {
    const m = matrix(frame.arrays[`head/${name}`]);
    return { name, title, m: name === "scores" ? maskedScores(m, frame.causal) : m };
  });
  const gap = 14;
  const left = 34;
  const columns = parts.reduce((n, p) => n + p.m.w, 0);
  const rows = parts[0].m.h;
  const [width] = fit(canvas);
  const cell = Math.max(2, Math.min(16, (width - left - gap * (parts.length - 1)) / columns));
  const [, height] = fit(canvas, Math.ceil(TITLE_H + rows * cell + 4));
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, width, height);
  rowLabels(ctx, labels, left, TITLE_H, cell);
  let x = left;
  for (const { name, title, m } of parts) {
    const color = name === "weights" ? weightColor : signedColor(m.v);
    const drawn = panel(ctx, m, x, 0, cell, cell, color, title);
    x += Math.max(drawn, ctx.measureText(title).width + 4) + gap; // a title never overlaps
  }
  canvas.dataset.shown = `${frame.metrics.head_layer},${frame.metrics.head}`;
}

const f3 = (x) => (Number.isNaN(x) ? "masked" : Number.isFinite(x) ? x.toFixed(3) : String(x));

/** A matrix as a table: rows named by `rowName(i)`, columns by `colName(j)`. */
export function matrixTable(caption, { v, h, w }, rowName, colName) {
  return {
    caption,
    head: ["", ...Array.from({ length: w }, (_, j) => colName(j))],
    rows: Array.from({ length: h }, (_, i) =>
      [rowName(i), ...Array.from(v.subarray(i * w, (i + 1) * w), f3)]),
  };
}
