// The stage of a 2-D classifier: P(class 1) over the input plane as a heatmap, the
// decision boundary (p = 0.5) as a line, and the data on top — train points filled, test
// points hollow, coloured by class.

import { values } from "../codec.js";
import {
  baseLayout, CLASS_COLORS, CLASS_NAMES, FONT, PLOT_CONFIG, PROBABILITY_SCALE,
} from "./theme.js";

/** n evenly spaced numbers from lo to hi inclusive (numpy's linspace). */
export function linspace(lo, hi, n) {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = n === 1 ? lo : lo + ((hi - lo) * i) / (n - 1);
  return out;
}

/** Rows of a C-order [rows, cols] array as views (what Plotly's 2-D `z` expects). */
export function rows(flat, nRows, nCols) {
  return Array.from({ length: nRows }, (_, i) => flat.subarray(i * nCols, (i + 1) * nCols));
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

/** Heatmap, boundary line and points for one frame on the hello's `grid`. */
export function boundaryTraces(frame, dataset, grid) {
  const [x0, x1, nx] = grid.x;
  const [y0, y1, ny] = grid.y;
  const z = rows(values(frame.arrays.boundary), ny, nx);
  const x = linspace(x0, x1, nx);
  const y = linspace(y0, y1, ny);
  return [
    {
      type: "heatmap",
      name: "P(class 1)",
      x,
      y,
      z,
      zmin: 0,
      zmax: 1,
      colorscale: PROBABILITY_SCALE,
      showlegend: false,
      colorbar: {
        title: { text: "P(class 1)", side: "right", font: { size: 11 } },
        thickness: 10,
        len: 0.8,
        tickvals: [0, 0.5, 1],
        tickfont: { size: 10 },
      },
      hovertemplate: "(%{x:.2f}, %{y:.2f})<br>P(class 1) = %{z:.2f}<extra></extra>",
    },
    {
      type: "contour",
      name: "boundary, p = 0.5",
      x,
      y,
      z,
      showscale: false,
      showlegend: false, // the caption's key names the line
      hoverinfo: "skip",
      contours: { coloring: "none", start: 0.5, end: 0.5, size: 1 },
      line: { color: FONT.color, width: 1.5 },
    },
    ...pointTraces(dataset),
  ];
}

/** A square plot over the grid's extents with labelled axes. */
export function boundaryLayout(grid) {
  return baseLayout({
    margin: { l: 40, r: 4, t: 6, b: 78 },
    uirevision: "boundary",
    // Two entries a row under the plot: the square plot is narrow beside its colour bar.
    legend: { orientation: "h", x: 0, y: -0.17, yanchor: "top", font: { size: 11 },
      entrywidth: 0.5, entrywidthmode: "fraction" },
    xaxis: { title: { text: "x" }, range: grid.x.slice(0, 2), constrain: "domain",
      zeroline: false, showgrid: false },
    yaxis: { title: { text: "y" }, range: grid.y.slice(0, 2), scaleanchor: "x",
      constrain: "domain", zeroline: false, showgrid: false },
  });
}

/** Draw (or redraw) the boundary picture into `div`. */
export function drawBoundary(div, frame, dataset, grid) {
  return globalThis.Plotly.react(div, boundaryTraces(frame, dataset, grid),
    boundaryLayout(grid), PLOT_CONFIG);
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
