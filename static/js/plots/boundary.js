// The stage of a 2-D classifier: P(class 1) over the input plane as a coloured background,
// the decision boundary (p = 0.5) as a line, and the data on top — train points filled,
// test points hollow, coloured by class.
//
// Speed: Plotly recomputes and redraws every trace when any trace's data changes (~40 ms
// for the 400 points alone on a slow laptop; a heatmap and contour add ~50 ms), too much
// at 20 frames/s. So the traces (points, colour bar) stay the same objects from frame to
// frame, and what changes goes into the layout, which Plotly redraws cheaply: the
// background is painted here into an n × n image (one pixel per grid point, scaled up
// smoothly by the browser), and the p = 0.5 line, traced by marching squares, is a path.

import { values } from "../codec.js";
import {
  baseLayout, CLASS_COLORS, CLASS_NAMES, FONT, PLOT_CONFIG, PROBABILITY_SCALE, probabilityColor,
} from "./theme.js";

/** n evenly spaced numbers from lo to hi inclusive (numpy's linspace). */
export function linspace(lo, hi, n) {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = n === 1 ? lo : lo + ((hi - lo) * i) / (n - 1);
  return out;
}

/**
 * The level line of a field `p` (C order [ny, nx], row i at ys[i]) by marching squares:
 * {x, y} with null between segments.
 */
export function levelLine(p, xs, ys, level = 0.5) {
  const nx = xs.length;
  const x = [];
  const y = [];
  const cross = (i0, j0, i1, j1) => {
    const a = p[i0 * nx + j0] - level;
    const b = p[i1 * nx + j1] - level;
    if ((a < 0) === (b < 0)) return null;
    const t = a / (a - b);
    return [xs[j0] + (xs[j1] - xs[j0]) * t, ys[i0] + (ys[i1] - ys[i0]) * t];
  };
  for (let i = 0; i + 1 < ys.length; i++) {
    for (let j = 0; j + 1 < nx; j++) {
      // Edges: bottom, right, top, left; a cell has 0, 2 or (a saddle) 4 crossings.
      const hits = [cross(i, j, i, j + 1), cross(i, j + 1, i + 1, j + 1),
        cross(i + 1, j, i + 1, j + 1), cross(i, j, i + 1, j)].filter(Boolean);
      for (let k = 0; k + 1 < hits.length; k += 2) {
        x.push(hits[k][0], hits[k + 1][0], null);
        y.push(hits[k][1], hits[k + 1][1], null);
      }
    }
  }
  return { x, y };
}

let painter = null;

/** P(class 1) as a PNG data URL, one pixel per grid point, the top row at the largest y. */
export function probabilityImage(p, nx, ny) {
  painter ??= document.createElement("canvas");
  painter.width = nx;
  painter.height = ny;
  const ctx = painter.getContext("2d");
  const image = ctx.createImageData(nx, ny);
  for (let i = 0; i < ny; i++) {
    for (let j = 0; j < nx; j++) {
      const [r, g, b] = probabilityColor(p[i * nx + j]);
      const o = 4 * ((ny - 1 - i) * nx + j);
      image.data[o] = r;
      image.data[o + 1] = g;
      image.data[o + 2] = b;
      image.data[o + 3] = 255;
    }
  }
  ctx.putImageData(image, 0, 0);
  return painter.toDataURL("image/png");
}

const pointCache = new WeakMap();

/** Scatter traces of the dataset: train and test, one trace per class (cached per dataset). */
export function pointTraces(dataset) {
  if (!dataset) return [];
  if (pointCache.has(dataset)) return pointCache.get(dataset);
  const traces = [];
  for (const split of ["train", "test"]) {
    const xy = values(dataset.arrays[`${split}/x`]);
    const labels = dataset.arrays[`${split}/y`]?.data ?? new Int32Array(0);
    for (const cls of [0, 1]) {
      const x = [];
      const y = [];
      labels.forEach((label, i) => {
        if (label === cls) {
          x.push(xy[2 * i]);
          y.push(xy[2 * i + 1]);
        }
      });
      const train = split === "train";
      traces.push({
        type: "scatter",
        mode: "markers",
        name: `${split} · ${CLASS_NAMES[cls]}`,
        x,
        y,
        hovertemplate: `${split}, ${CLASS_NAMES[cls]}<br>(%{x:.2f}, %{y:.2f})<extra></extra>`,
        marker: train
          ? { size: 6, color: CLASS_COLORS[cls], line: { color: "#ffffff", width: 1 } }
          : { size: 7, symbol: "circle-open", color: CLASS_COLORS[cls], line: { width: 2 } },
      });
    }
  }
  pointCache.set(dataset, traces);
  return traces;
}

// An empty trace whose only job is the colour bar of the background image.
const SCALE_TRACE = {
  type: "scatter",
  mode: "markers",
  name: "P(class 1)",
  x: [null],
  y: [null],
  showlegend: false,
  hoverinfo: "skip",
  marker: {
    color: [0, 1],
    cmin: 0,
    cmax: 1,
    colorscale: PROBABILITY_SCALE,
    showscale: true,
    colorbar: {
      title: { text: "P(class 1)", side: "right", font: { size: 11 } },
      thickness: 10,
      len: 0.8,
      tickvals: [0, 0.5, 1],
      tickfont: { size: 10 },
      outlinewidth: 0,
    },
  },
};

/** The traces: the colour bar and the points (the same objects while the data stay). */
export function boundaryTraces(dataset) {
  return [SCALE_TRACE, ...pointTraces(dataset)];
}

/** An SVG path in data coordinates through the segments of a level line. */
export function linePath({ x, y }) {
  const parts = [];
  const at = (k) => `${x[k].toFixed(4)},${y[k].toFixed(4)}`;
  for (let k = 0; k + 1 < x.length; k += 3) parts.push(`M${at(k)}L${at(k + 1)}`);
  return parts.join("");
}

/** A square plot over the grid's extents, labelled axes, the probabilities underneath. */
export function boundaryLayout(frame, grid) {
  const [x0, x1, nx] = grid.x;
  const [y0, y1, ny] = grid.y;
  const dx = (x1 - x0) / (nx - 1) / 2; // grid points are pixel centres
  const dy = (y1 - y0) / (ny - 1) / 2;
  const p = values(frame.arrays.boundary);
  const path = linePath(levelLine(p, linspace(x0, x1, nx), linspace(y0, y1, ny)));
  return baseLayout({
    margin: { l: 40, r: 4, t: 6, b: 78 },
    uirevision: "boundary",
    // Two entries a row under the plot: the square plot is narrow beside its colour bar.
    legend: { orientation: "h", x: 0, y: -0.17, yanchor: "top", font: { size: 11 },
      entrywidth: 0.5, entrywidthmode: "fraction" },
    xaxis: { title: { text: "x" }, range: [x0 - dx, x1 + dx], constrain: "domain",
      zeroline: false, showgrid: false },
    yaxis: { title: { text: "y" }, range: [y0 - dy, y1 + dy], scaleanchor: "x",
      constrain: "domain", zeroline: false, showgrid: false },
    // The p = 0.5 line ("M0,0" keeps an empty path valid when the model has no boundary).
    shapes: [{ type: "path", path: path || "M0,0", xref: "x", yref: "y", name: "boundary",
      line: { color: FONT.color, width: 1.5 } }],
    images: [{
      source: probabilityImage(p, nx, ny),
      xref: "x", yref: "y", x: x0 - dx, y: y1 + dy, sizex: x1 - x0 + 2 * dx,
      sizey: y1 - y0 + 2 * dy, sizing: "stretch", layer: "below",
    }],
  });
}

/** Draw (or redraw) the boundary picture into `div`. */
export function drawBoundary(div, frame, dataset, grid) {
  return globalThis.Plotly.react(div, boundaryTraces(dataset), boundaryLayout(frame, grid),
    PLOT_CONFIG);
}

/** The picture's numbers: P(class 1) at a coarse 5 × 5 subset of the grid. */
export function boundaryTable(frame, grid, n = 5) {
  const [x0, x1, nx] = grid.x;
  const [y0, y1, ny] = grid.y;
  const p = values(frame.arrays.boundary);
  const cols = Array.from({ length: n }, (_, j) => Math.round((j * (nx - 1)) / (n - 1)));
  const xs = linspace(x0, x1, nx);
  const ys = linspace(y0, y1, ny);
  const head = ["y \\ x", ...cols.map((j) => xs[j].toFixed(1))];
  const body = [];
  for (let k = n - 1; k >= 0; k--) {
    const i = Math.round((k * (ny - 1)) / (n - 1));
    body.push([ys[i].toFixed(1), ...cols.map((j) => p[i * nx + j].toFixed(2))]);
  }
  return { caption: "P(class 1) on a coarse grid (top row: largest y)", head, rows: body };
}
