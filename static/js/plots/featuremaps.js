// Every layer's feature maps for the shown input: one row of small heatmaps per layer
// (wrapping when a layer has many channels), one heatmap per channel, white → blue for
// 0 → the layer's largest value. Each pixel of a map is a unit; the picture tells which
// unit a point falls on, and outlines the chosen one.

import { values } from "../codec.js";
import { fit, maxOf, paint } from "./raster.js";
import { FONT, PALETTE, sequential } from "./theme.js";

const LABEL_H = 16;
const GAP = 6;
const ROW_GAP = 10;

/** The feature-map arrays of a frame in layer order: [{layer, array}]. */
export function featureMaps(frame) {
  const out = [];
  for (let l = 0; frame.arrays[`feature_maps/${l}`]; l++) {
    out.push({ layer: l, array: frame.arrays[`feature_maps/${l}`] });
  }
  return out;
}

/** Where each map goes in a picture `width` wide: per layer its tiles and its height. */
export function mapsLayout(maps, width) {
  let y = 0;
  return maps.map(({ layer, array }) => {
    const [c, h, w] = array.shape;
    // Large maps get room to click a unit; many channels share a row so the page stays short.
    const fitRow = (width + GAP) / Math.min(c, 16) - GAP;
    const side = Math.max(28, Math.min(96, 6 * Math.max(h, w), c > 8 ? fitRow : Infinity));
    const perRow = Math.max(1, Math.floor((width + GAP) / (side + GAP)));
    const size = Math.min(side, (width - GAP * (Math.min(c, perRow) - 1)) / Math.min(c, perRow));
    const top = y + LABEL_H;
    const tiles = Array.from({ length: c }, (_, k) => ({
      x: (k % perRow) * (size + GAP), y: top + Math.floor(k / perRow) * (size + GAP),
      width: size, height: (size * h) / w,
    }));
    const rows = Math.ceil(c / perRow);
    y = top + rows * ((size * h) / w) + (rows - 1) * GAP + ROW_GAP;
    return { layer, shape: [c, h, w], labelY: top - 4, tiles, bottom: y };
  });
}

/** Draws the maps into a canvas whose height follows its content. */
export class FeatureMapsPicture {
  constructor(canvas) {
    this.canvas = canvas;
    this.layout = [];
  }

  /** Draw `frame`'s maps; `names` label each layer; `chosen` {layer, channel, y, x}. */
  draw(frame, names, chosen = null) {
    const maps = featureMaps(frame);
    const width = this.canvas.clientWidth || 600;
    this.layout = mapsLayout(maps, width);
    const height = Math.max(60, this.layout.at(-1)?.bottom ?? 60);
    fit(this.canvas, height);
    const ctx = this.canvas.getContext("2d");
    ctx.clearRect(0, 0, width, height);
    maps.forEach(({ array }, i) => {
      const place = this.layout[i];
      const [c, h, w] = array.shape;
      const v = values(array);
      const top = maxOf(v);
      ctx.fillStyle = FONT.color;
      ctx.font = `600 11px ${FONT.family}`;
      const name = names?.[i] ?? `layer ${i + 1}`;
      const title = `${i + 1}. ${name}`;
      ctx.fillText(title, 0, place.labelY);
      const after = ctx.measureText(title).width + 12;
      ctx.font = `11px ${FONT.family}`;
      ctx.fillStyle = "#5f6b7a";
      ctx.fillText(`${c} × ${h} × ${w} · brightest ${top.toPrecision(3)}`, after, place.labelY);
      place.tiles.forEach((t, k) => {
        paint(ctx, v.subarray(k * h * w, (k + 1) * h * w), h, w, t.x, t.y, t.width, t.height,
          (x) => sequential(x / top));
        ctx.strokeStyle = "#c3cad2";
        ctx.lineWidth = 1;
        ctx.strokeRect(t.x + 0.5, t.y + 0.5, t.width - 1, t.height - 1);
      });
    });
    if (chosen) this.outline(chosen);
  }

  outline({ layer, channel, y, x }) {
    const place = this.layout[layer];
    const t = place?.tiles[channel];
    if (!t) return;
    const [, h, w] = place.shape;
    const ctx = this.canvas.getContext("2d");
    const cw = t.width / w;
    const ch = t.height / h;
    ctx.strokeStyle = PALETTE.vermillion;
    ctx.lineWidth = 2;
    ctx.strokeRect(t.x - 1, t.y - 1, t.width + 2, t.height + 2);
    ctx.strokeStyle = "#000000";
    ctx.lineWidth = 1.5;
    ctx.strokeRect(t.x + x * cw, t.y + y * ch, Math.max(cw, 2), Math.max(ch, 2));
  }

  /** The unit under a point in CSS pixels of the canvas, or null. */
  unitAt(px, py) {
    for (const place of this.layout) {
      const [, h, w] = place.shape;
      for (const [channel, t] of place.tiles.entries()) {
        if (px >= t.x && px < t.x + t.width && py >= t.y && py < t.y + t.height) {
          const x = Math.min(w - 1, Math.floor(((px - t.x) / t.width) * w));
          const y = Math.min(h - 1, Math.floor(((py - t.y) / t.height) * h));
          return { layer: place.layer, channel, y, x };
        }
      }
    }
    return null;
  }

  /** The centre of a unit in CSS pixels (for tests and focus rings), or null. */
  unitCentre({ layer, channel, y, x }) {
    const place = this.layout[layer];
    const t = place?.tiles[channel];
    if (!t) return null;
    const [, h, w] = place.shape;
    return { x: t.x + ((x + 0.5) * t.width) / w, y: t.y + ((y + 0.5) * t.height) / h };
  }
}

/** The picture's numbers: per layer and channel, the largest and the mean value. */
export function mapsTable(frame, names) {
  const rows = [];
  for (const { layer, array } of featureMaps(frame)) {
    const [c, h, w] = array.shape;
    const v = values(array);
    for (let k = 0; k < c; k++) {
      const part = v.subarray(k * h * w, (k + 1) * h * w);
      let sum = 0;
      let max = -Infinity;
      for (const x of part) {
        sum += x;
        max = Math.max(max, x);
      }
      rows.push([`${layer + 1}. ${names?.[layer] ?? "layer"}`, String(k), `${h} × ${w}`,
        max.toFixed(3), (sum / part.length).toFixed(3)]);
    }
  }
  return {
    caption: `Feature maps at step ${frame.step}: each channel's largest and mean value`,
    head: ["layer", "channel", "size", "max", "mean"],
    rows,
  };
}
