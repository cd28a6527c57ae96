// The upsampling lab's stage: a test image beside its reconstruction, the decoder's answer to a
// flat grey code (where uneven overlap paints a checkerboard), and how many kernel taps of the
// last up-sampling layer land on each output pixel, with the numbers written in.

import { values } from "../codec.js";
import { drawNorms, normsTable } from "../plots/norms.js";
import { fit, maxOf, paint } from "../plots/raster.js";
import { diverging, FONT, ink, sequential } from "../plots/theme.js";
import { examplePicker } from "./example-picker.js";

const fmt = (v) => (Number.isFinite(v) ? v.toFixed(3) : "—");

/** Paint one [h, w] array as a titled square at x; returns the square's side. */
function square(ctx, array, x, side, title, color) {
  const [h, w] = array.shape;
  ctx.fillStyle = FONT.color;
  ctx.font = `600 11px ${FONT.family}`;
  ctx.fillText(title, x, 12);
  paint(ctx, values(array), h, w, x, 18, side, (side * h) / w, color);
  ctx.strokeStyle = "#c9d1da";
  ctx.strokeRect(x + 0.5, 18.5, side - 1, (side * h) / w - 1);
}

/** Input and reconstruction side by side, dark ink on white. */
function drawPair(canvas, frame) {
  const [width] = fit(canvas);
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, width, canvas.clientHeight);
  const gap = 18;
  const side = Math.max(40, Math.min((width - gap) / 2, canvas.clientHeight - 22));
  square(ctx, frame.arrays.input, 0, side, "input 16×16", ink);
  square(ctx, frame.arrays.output, side + gap, side, "reconstruction", ink);
}

/** The constant-code response on a diverging scale around its mean (0 here: it is centred). */
function drawBoard(canvas, frame) {
  const [width, height] = fit(canvas);
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, width, height);
  square(ctx, frame.arrays.checkerboard, 0, Math.min(width, height - 22),
    "decoder output − its mean", diverging);
}

/** The overlap counts, white → blue, each cell labelled with its count. */
function drawOverlap(canvas, frame) {
  const [width, height] = fit(canvas);
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, width, height);
  const array = frame.arrays.overlap;
  const v = values(array);
  const top = maxOf(v);
  const [h, w] = array.shape;
  const side = Math.min(width, height - 22);
  square(ctx, array, 0, side, "taps per output pixel", (x) => sequential(x / top));
  const cell = side / w;
  ctx.font = `${Math.max(7, Math.round(cell * 0.5))}px ${FONT.family}`;
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const c = v[y * w + x];
      ctx.fillStyle = c / top > 0.6 ? "#ffffff" : FONT.color;
      ctx.fillText(String(c), (x + 0.5) * cell, 18 + (y + 0.5) * cell);
    }
  }
  ctx.textAlign = "start";
  ctx.textBaseline = "alphabetic";
  canvas.dataset.distinct = String(new Set(v).size);
}

/** A [16, 16] array as a table: one row per image row. */
function gridTable(caption, array, digits = 2) {
  const v = values(array);
  const [h, w] = array.shape;
  const head = ["row", ...Array.from({ length: w }, (_, x) => `x ${x}`)];
  const rows = Array.from({ length: h }, (_, y) =>
    [`y ${y}`, ...Array.from(v.slice(y * w, (y + 1) * w), (c) => c.toFixed(digits))]);
  return { caption, head, rows };
}

/** The upsampling stage (see labs/index.js for the interface). */
export function createUpsamplingStage({ root, state, configure }) {
  const $ = (id) => root.querySelector(`#${id}`);
  const canvases = { pair: $("pair-canvas"), board: $("board-canvas"), overlap: $("overlap-canvas") };
  const weightNames = () => state.meta?.weights ?? [];

  const picker = examplePicker($, state, configure);

  const describeLast = () => {
    const last = state.meta?.last_layer;
    if (!last) return "";
    return state.meta.upsample === "transposed"
      ? `transposed convolution, kernel ${last.kernel}, stride ${last.stride}, padding ${last.padding}`
      : `resize ×2, then a ${last.kernel}×${last.kernel} convolution, stride 1`;
  };

  return {
    draw(frame) {
      drawPair(canvases.pair, frame);
      drawBoard(canvases.board, frame);
      drawOverlap(canvases.overlap, frame);
      const m = frame.metrics;
      $("example-label").textContent = `digit ${m.label ?? "—"} · test error ${fmt(m.test_loss)}`;
      $("last-layer").textContent = describeLast();
      picker.sync();
    },
    sideCharts: [
      { draw: () => drawNorms($("norms-plot"), state.frame, weightNames()),
        version: () => state.frame },
    ],
    tables: {
      pair: () => state.frame && {
        ...gridTable("Reconstruction, pixel by pixel (0 paper, 1 ink)", state.frame.arrays.output),
        caption: `Test image ${state.params.example}: its reconstruction, 0 paper to 1 ink`,
      },
      board: () => state.frame && gridTable("Decoder output for a flat code, centred on its mean " +
        "and scaled to −1…1", state.frame.arrays.checkerboard),
      overlap: () => state.frame && gridTable(`Kernel taps per output pixel (${describeLast()})`,
        state.frame.arrays.overlap, 0),
      norms: () => state.frame && normsTable(state.frame, weightNames()),
    },
    resizes: [canvases.pair, canvases.board, canvases.overlap],
  };
}
