// The first layer's kernels: one small heatmap per (output channel, input channel) on the
// diverging scale (orange negative, white 0, blue positive), shared across all kernels so
// their strengths compare.

import { fit, maxAbsOf, paint } from "./raster.js";
import { diverging, FONT } from "./theme.js";

/** Draw `kernels` [C_out, C_in, k, k] into `canvas`; a note when the layer has none. */
export function drawKernels(canvas, kernels) {
  const width = canvas.clientWidth || 300;
  const ctx = canvas.getContext("2d");
  if (!kernels) {
    fit(canvas, 40);
    ctx.clearRect(0, 0, width, 40);
    ctx.fillStyle = "#5f6b7a";
    ctx.font = `12px ${FONT.family}`;
    ctx.fillText("The first layer is a pool: it has no kernels to learn.", 0, 20);
    return;
  }
  const [cOut, cIn, kh, kw] = kernels.shape;
  const n = cOut * cIn;
  const gap = 4;
  const across = n <= 8 ? 4 : 8; // few kernels: larger, in two rows
  const side = Math.max(18, Math.min(72, (width + gap) / Math.min(n, across) - gap));
  const perRow = Math.max(1, Math.floor((width + gap) / (side + gap)));
  const rows = Math.ceil(n / perRow);
  const height = rows * (side + gap) + 22;
  fit(canvas, height);
  ctx.clearRect(0, 0, width, height);
  const data = kernels.data;
  const scale = maxAbsOf(data);
  for (let i = 0; i < n; i++) {
    const x = (i % perRow) * (side + gap);
    const y = Math.floor(i / perRow) * (side + gap);
    paint(ctx, data.subarray(i * kh * kw, (i + 1) * kh * kw), kh, kw, x, y, side, side,
      (v) => diverging(v / scale));
    ctx.strokeStyle = "#c3cad2";
    ctx.strokeRect(x + 0.5, y + 0.5, side - 1, side - 1);
  }
  key(ctx, height - 8, scale);
}

function key(ctx, y, scale) {
  const label = scale.toPrecision(2);
  ctx.fillStyle = FONT.color;
  ctx.font = `11px ${FONT.family}`;
  ctx.fillText(`−${label}`, 0, y);
  const x0 = ctx.measureText(`−${label}`).width + 6;
  const width = 80;
  for (let i = 0; i < width; i++) {
    const [r, g, b] = diverging((2 * i) / (width - 1) - 1);
    ctx.fillStyle = `rgb(${r},${g},${b})`;
    ctx.fillRect(x0 + i, y - 9, 1, 10);
  }
  ctx.fillStyle = FONT.color;
  ctx.fillText(`+${label}`, x0 + width + 6, y);
}

/** The kernels' numbers: each kernel's weights, row by row. */
export function kernelsTable(kernels) {
  if (!kernels) return null;
  const [cOut, cIn, kh, kw] = kernels.shape;
  const rows = [];
  for (let o = 0; o < cOut; o++) {
    for (let i = 0; i < cIn; i++) {
      const base = (o * cIn + i) * kh * kw;
      for (let r = 0; r < kh; r++) {
        const cells = Array.from(kernels.data.subarray(base + r * kw, base + (r + 1) * kw),
          (v) => v.toFixed(3));
        rows.push([r === 0 ? `out ${o} · in ${i}` : "", ...cells]);
      }
    }
  }
  return {
    caption: `First-layer kernels (${cOut} × ${cIn}, each ${kh} × ${kw}), row by row`,
    head: ["kernel", ...Array.from({ length: kw }, (_, j) => `col ${j}`)],
    rows,
  };
}
