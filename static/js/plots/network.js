// The network as a picture (after TensorFlow Playground): one column per layer, each unit
// a thumbnail of what it computes over the input plane, and the weights as lines between
// them — blue positive, orange negative, thicker for larger |w|. Drawn on a canvas.

import { values } from "../codec.js";
import { diverging, FONT, probabilityColor } from "./theme.js";

const FEATURE_LABELS = { x: "x", y: "y", x2: "x²", y2: "y²", xy: "xy", sinx: "sin x",
  siny: "sin y" };
const FEATURE_FN = {
  x: (x) => x, y: (x, y) => y, x2: (x) => x * x, y2: (x, y) => y * y, xy: (x, y) => x * y,
  sinx: (x) => Math.sin(x), siny: (x, y) => Math.sin(y),
};

/** Where each unit's thumbnail goes: columns spread across, units centred in each column. */
export function networkLayout(widths, width, height) {
  const top = 38; // two lines of column titles
  const bottom = 30; // room for the colour key
  const tallest = Math.max(...widths);
  const gap = 6;
  const byHeight = (height - top - bottom - gap * (tallest - 1)) / tallest;
  const left = 40; // room for the input features' names
  const right = 20; // room for the output column's title
  const byWidth = (width - left - right) / (widths.length * 1.5);
  const size = Math.max(8, Math.min(56, byHeight, byWidth));
  const step = widths.length > 1 ? (width - left - right - size) / (widths.length - 1) : 0;
  return widths.map((units, c) => {
    const x = left + c * step;
    const span = units * size + (units - 1) * gap;
    const y0 = top + (height - top - bottom - span) / 2;
    return Array.from({ length: units }, (_, u) => ({ x, y: y0 + u * (size + gap), size }));
  });
}

/** The input columns' own pictures over the thumbnail grid, like the hidden units'. */
export function featureImages(features, grid) {
  const [lo, hi, m] = grid.x;
  const [ylo, yhi] = grid.y;
  return features.map((name) => {
    const out = new Float32Array(m * m);
    for (let i = 0; i < m; i++) {
      const y = ylo + ((yhi - ylo) * i) / (m - 1);
      for (let j = 0; j < m; j++) {
        out[i * m + j] = FEATURE_FN[name](lo + ((hi - lo) * j) / (m - 1), y);
      }
    }
    return out;
  });
}

function maxAbs(data) {
  let m = 0;
  for (const v of data) m = Math.max(m, Math.abs(v));
  return m || 1;
}

/** Draws the network into a canvas, reusing its small offscreen images between frames. */
export class NetworkPicture {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.tile = document.createElement("canvas");
    this.features = null;
  }

  resize() {
    const dpr = window.devicePixelRatio || 1;
    const { clientWidth: w, clientHeight: h } = this.canvas;
    if (this.canvas.width !== Math.round(w * dpr) || this.canvas.height !== Math.round(h * dpr)) {
      this.canvas.width = Math.round(w * dpr);
      this.canvas.height = Math.round(h * dpr);
    }
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    return [w, h];
  }

  /** Paint an m × m grid (row 0 at the lowest y) as a size × size image at (x, y). */
  paint(data, m, x, y, size, color) {
    if (this.tile.width !== m) {
      this.tile.width = m;
      this.tile.height = m;
    }
    const tctx = this.tile.getContext("2d");
    const image = tctx.createImageData(m, m);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        const [r, g, b] = color(data[i * m + j]);
        const o = 4 * ((m - 1 - i) * m + j); // flip: larger y is higher up
        image.data[o] = r;
        image.data[o + 1] = g;
        image.data[o + 2] = b;
        image.data[o + 3] = 255;
      }
    }
    tctx.putImageData(image, 0, 0);
    this.ctx.imageSmoothingEnabled = true;
    this.ctx.drawImage(this.tile, x, y, size, size);
    this.ctx.strokeStyle = "#9aa5b1";
    this.ctx.lineWidth = 1;
    this.ctx.strokeRect(x + 0.5, y + 0.5, size - 1, size - 1);
  }

  /** Draw one frame: `meta` from hello (layers, features, neuron_grid), `grid` the boundary's. */
  draw(frame, meta, grid) {
    const [w, h] = this.resize();
    const ctx = this.ctx;
    ctx.clearRect(0, 0, w, h);
    const widths = meta.layers;
    const layout = networkLayout(widths, w, h);
    const weights = widths.slice(1).map((_, k) => frame.arrays[`weights/${k}`]);
    const wmax = Math.max(...weights.map((a) => (a ? maxAbs(a.data) : 0)), 1e-6);

    for (let k = 0; k < weights.length; k++) {
      const W = weights[k]?.data;
      if (!W) continue;
      const [nOut, nIn] = weights[k].shape;
      for (let o = 0; o < nOut; o++) {
        for (let i = 0; i < nIn; i++) {
          const a = layout[k][i];
          const b = layout[k + 1][o];
          const v = W[o * nIn + i];
          const [r, g, bl] = diverging(v >= 0 ? 1 : -1);
          ctx.strokeStyle = `rgba(${r},${g},${bl},${0.35 + 0.6 * Math.abs(v) / wmax})`;
          ctx.lineWidth = 0.4 + 4.5 * Math.abs(v) / wmax;
          ctx.beginPath();
          ctx.moveTo(a.x + a.size, a.y + a.size / 2);
          ctx.lineTo(b.x, b.y + b.size / 2);
          ctx.stroke();
        }
      }
    }

    const m = meta.neuron_grid.x[2];
    const key = `${meta.features.join()}|${m}`;
    if (!this.features || this.features.key !== key) {
      this.features = { key, images: featureImages(meta.features, meta.neuron_grid) };
    }
    this.features.images.forEach((img, u) => {
      const scale = maxAbs(img);
      const p = layout[0][u];
      this.paint(img, m, p.x, p.y, p.size, (v) => diverging(v / scale));
    });
    for (let k = 0; k < widths.length - 2; k++) {
      const arr = frame.arrays[`neurons/${k}`];
      if (!arr) continue;
      const vals = values(arr);
      const scale = maxAbs(vals);
      const mm = arr.shape[1];
      layout[k + 1].forEach((p, u) => {
        this.paint(vals.subarray(u * mm * mm, (u + 1) * mm * mm), mm, p.x, p.y, p.size,
          (v) => diverging(v / scale));
      });
    }
    const boundary = frame.arrays.boundary;
    if (boundary) {
      const n = grid.x[2];
      const p = values(boundary);
      layout[widths.length - 1].forEach((pos, u) => {
        const flip = widths.at(-1) === 2 && u === 0; // softmax: unit 0 is P(class 0)
        this.paint(p, n, pos.x, pos.y, pos.size, (v) => probabilityColor(flip ? 1 - v : v));
      });
    }

    ctx.fillStyle = FONT.color;
    ctx.textAlign = "center";
    const spacing = layout.length > 1 ? layout[1][0].x - layout[0][0].x : w;
    const short = spacing < 62; // many layers: "h1 · 4" instead of "hidden 1 / 4 units"
    layout.forEach((column, c) => {
      const last = c === layout.length - 1;
      const x = column[0].x + column[0].size / 2;
      const name = c === 0 ? "input" : last ? "output" : `hidden ${c}`;
      ctx.font = `600 11px ${FONT.family}`;
      ctx.fillText(short ? (c === 0 ? "in" : last ? "out" : `h${c}`) : name, x, 13);
      ctx.font = `10px ${FONT.family}`;
      const units = short ? String(widths[c]) : `${widths[c]} unit${widths[c] === 1 ? "" : "s"}`;
      ctx.fillText(units, x, 27);
    });
    ctx.font = `11px ${FONT.family}`;
    ctx.textAlign = "right";
    layout[0].forEach((p, u) => {
      ctx.fillText(FEATURE_LABELS[meta.features[u]] ?? meta.features[u], p.x - 3,
        p.y + p.size / 2 + 4);
    });
    this.key(h);
  }

  /** The diverging scale under the picture: what orange, white and blue mean. */
  key(h) {
    const ctx = this.ctx;
    const x = 40;
    const y = h - 16;
    const width = 90;
    for (let i = 0; i < width; i++) {
      const [r, g, b] = diverging((2 * i) / (width - 1) - 1);
      ctx.fillStyle = `rgb(${r},${g},${b})`;
      ctx.fillRect(x + i, y - 8, 1, 10);
    }
    ctx.strokeStyle = "#9aa5b1";
    ctx.strokeRect(x + 0.5, y - 8.5, width - 1, 11);
    ctx.fillStyle = FONT.color;
    ctx.font = `11px ${FONT.family}`;
    ctx.textAlign = "right";
    ctx.fillText("−", x - 4, y + 1);
    ctx.textAlign = "left";
    ctx.fillText("+", x + width + 4, y + 1);
    ctx.fillStyle = "#52606d";
    ctx.fillText("weights and unit values", x + width + 16, y + 1);
  }
}

/** The picture's numbers: per Linear layer, its shape, weight range and norms. */
export function networkTable(frame, meta) {
  const rows = meta.layers.slice(1).map((units, k) => {
    const W = frame.arrays[`weights/${k}`]?.data ?? new Float32Array(0);
    const min = W.length ? Math.min(...W) : NaN;
    const max = W.length ? Math.max(...W) : NaN;
    const from = k === 0 ? "input" : `hidden ${k}`;
    const to = k === meta.layers.length - 2 ? "output" : `hidden ${k + 1}`;
    return [`${from} → ${to}`, `${units} × ${meta.layers[k]}`, min.toFixed(3), max.toFixed(3),
      maxAbs(W).toFixed(3)];
  });
  return {
    caption: "Weights between layers (lines in the picture)",
    head: ["layer", "shape (out × in)", "min w", "max w", "max |w|"],
    rows,
  };
}
