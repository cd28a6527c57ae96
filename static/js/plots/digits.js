// The CNN's input and output: the shown image (dark ink on white) with the theoretical
// receptive field of the chosen unit as a rectangle, the effective receptive field as a
// heatmap beside it, and the ten class probabilities as bars with the true digit marked.

import { values } from "../codec.js";
import { fit, maxOf, paint } from "./raster.js";
import { baseLayout, FONT, heat, ink, PALETTE, PLOT_CONFIG } from "./theme.js";

const BOX_COLOR = PALETTE.vermillion;

/**
 * Draw the input [H, W] and, when given, the ERF [H, W] beside it, each as a square of
 * side `cell` × W; `box` [y0, x0, y1, x1] (inclusive pixels) outlined on both.
 * Returns the geometry drawn: {cell, input: {x, y, size}, erf, rect: {x, y, width, height}}.
 */
export function drawInput(canvas, input, { box = null, erf = null } = {}) {
  const [h, w] = input.shape;
  const [width] = fit(canvas, canvas.clientWidth ? null : 240);
  const height = canvas.clientHeight;
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, width, height);
  const gap = 18;
  const top = 18;
  const side = Math.max(40, Math.min((width - gap) / 2, height - top - 4));
  const cell = side / w;
  const at = { x: 0, y: top, size: side };
  const erfAt = { x: side + gap, y: top, size: side };
  ctx.font = `600 11px ${FONT.family}`;
  ctx.fillStyle = FONT.color;
  ctx.fillText(`input ${h}×${w}`, at.x, 12);
  paint(ctx, values(input), h, w, at.x, at.y, side, (side * h) / w, ink);
  frame(ctx, at, (side * h) / w);
  let rect = null;
  if (erf) {
    const v = values(erf);
    const top1 = maxOf(v);
    ctx.fillStyle = FONT.color;
    ctx.fillText("effective receptive field", erfAt.x, 12);
    paint(ctx, v, h, w, erfAt.x, erfAt.y, side, (side * h) / w, (x) => heat(x / top1));
    frame(ctx, erfAt, (side * h) / w);
  } else {
    ctx.fillStyle = "#5f6b7a";
    ctx.font = `11px ${FONT.family}`;
    wrapText(ctx, "Click a unit of a feature map to see what part of the input it sees.",
      erfAt.x, erfAt.y + 16, side);
  }
  if (box) {
    const [y0, x0, y1, x1] = box;
    rect = { x: at.x + x0 * cell, y: at.y + y0 * cell, width: (x1 - x0 + 1) * cell,
      height: (y1 - y0 + 1) * cell };
    for (const origin of erf ? [at, erfAt] : [at]) {
      ctx.strokeStyle = BOX_COLOR;
      ctx.lineWidth = 2.5;
      ctx.setLineDash([]);
      ctx.strokeRect(origin.x + rect.x - at.x + 1.25, origin.y + rect.y - at.y + 1.25,
        rect.width - 2.5, rect.height - 2.5);
    }
  }
  return { cell, input: at, erf: erf ? erfAt : null, rect };
}

function frame(ctx, at, height) {
  ctx.strokeStyle = "#9aa5b1";
  ctx.lineWidth = 1;
  ctx.strokeRect(at.x + 0.5, at.y + 0.5, at.size - 1, height - 1);
}

function wrapText(ctx, text, x, y, width) {
  let line = "";
  for (const word of text.split(" ")) {
    const next = line ? `${line} ${word}` : word;
    if (ctx.measureText(next).width > width && line) {
      ctx.fillText(line, x, y);
      line = word;
      y += 15;
    } else {
      line = next;
    }
  }
  ctx.fillText(line, x, y);
}

/** The ten probabilities as bars; the predicted digit darker, the true digit outlined. */
export function drawProbs(div, probs, { label = null, predicted = null, classes } = {}) {
  const p = Array.from(probs ?? []);
  const names = classes ?? p.map((_, i) => String(i));
  const colors = p.map((_, i) => (i === predicted ? PALETTE.blue : "#9cc8e6"));
  const lines = p.map((_, i) => (i === label ? 2.5 : 0));
  const trace = {
    type: "bar", x: names, y: p, marker: { color: colors,
      line: { color: PALETTE.vermillion, width: lines } },
    hovertemplate: "digit %{x}: %{y:.1%}<extra></extra>",
  };
  const annotations = label === null ? [] : [{
    x: names[label], y: Math.min(1, (p[label] ?? 0)) , yanchor: "bottom", text: "true",
    showarrow: false, font: { size: 11, color: PALETTE.vermillion },
  }];
  const layout = baseLayout({
    showlegend: false, bargap: 0.2, margin: { l: 40, r: 6, t: 14, b: 30 }, annotations,
    xaxis: { type: "category", title: { text: "digit", standoff: 4 } },
    yaxis: { range: [0, 1.08], tickformat: ".0%", gridcolor: "#e3e7ec", zeroline: false },
  });
  return globalThis.Plotly.react(div, [trace], layout, PLOT_CONFIG);
}

const pct = (v) => (Number.isFinite(v) ? `${(100 * v).toFixed(1)} %` : "—");

/** The bars' numbers. */
export function probsTable(probs, { label = null, predicted = null } = {}) {
  const p = Array.from(probs ?? []);
  return {
    caption: `Class probabilities for the shown input (predicted ${predicted ?? "—"}, ` +
      `true ${label ?? "unknown: a drawing"})`,
    head: ["digit", "probability", "note"],
    rows: p.map((v, i) => [String(i), pct(v),
      [i === predicted ? "predicted" : "", i === label ? "true" : ""].filter(Boolean).join(", ")]),
  };
}

/** The input picture's numbers: its pixels, the box and the ERF's largest cells. */
export function inputTable(input, probe) {
  const [h, w] = input.shape;
  const v = values(input);
  const rows = [];
  for (let i = 0; i < h; i++) {
    rows.push([`row ${i}`, ...Array.from(v.subarray(i * w, (i + 1) * w), (x) => x.toFixed(2))]);
  }
  const box = probe?.extra.box;
  const where = box ? ` · receptive field of the chosen unit: rows ${box[0]}–${box[2]}, ` +
    `columns ${box[1]}–${box[3]}` : "";
  return {
    caption: `Input pixels (0 white … 1 ink)${where}`,
    head: ["", ...Array.from({ length: w }, (_, j) => `col ${j}`)],
    rows,
  };
}
