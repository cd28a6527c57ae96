// Visual constants shared by every picture: one colour-blind-safe palette (Okabe & Ito,
// "Color Universal Design", 2008), one diverging scale for signed values, fonts, and the
// Plotly layout/config every chart starts from.

export const PALETTE = {
  orange: "#E69F00",
  skyBlue: "#56B4E9",
  green: "#009E73",
  yellow: "#F0E442",
  blue: "#0072B2",
  vermillion: "#D55E00",
  purple: "#CC79A7",
  black: "#000000",
};

// Class 0 and class 1 of a binary task; the boundary's light tones sit under them.
export const CLASS_COLORS = [PALETTE.orange, PALETTE.blue];
export const CLASS_NAMES = ["class 0", "class 1"];

// P(class 1) from 0 to 1: light orange → near white → light blue, light enough that the
// saturated data points on top stay visible.
export const PROBABILITY_SCALE = [
  [0, "#F5C26B"],
  [0.5, "#F7F7F7"],
  [1, "#86BCE0"],
];

function hexToRgb(hex) {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

const PROBABILITY_STOPS = PROBABILITY_SCALE.map(([t, c]) => [t, hexToRgb(c)]);

/** RGB triple of a probability p in [0, 1] on PROBABILITY_SCALE. */
export function probabilityColor(p) {
  const t = Math.max(0, Math.min(1, Number.isFinite(p) ? p : 0.5));
  let k = 0;
  while (k < PROBABILITY_STOPS.length - 2 && t > PROBABILITY_STOPS[k + 1][0]) k++;
  const [t0, a] = PROBABILITY_STOPS[k];
  const [t1, b] = PROBABILITY_STOPS[k + 1];
  const f = (t - t0) / (t1 - t0);
  return a.map((v, i) => Math.round(v + (b[i] - v) * f));
}

// Signed values (weights, activations): negative orange, zero white, positive blue.
export const DIVERGING = {
  negative: [179, 88, 6], // #B35806
  zero: [247, 247, 247],
  positive: [10, 92, 153], // #0A5C99
};

/** RGB triple of a value t in [-1, 1] on the diverging scale. */
export function diverging(t) {
  const c = Math.max(-1, Math.min(1, Number.isFinite(t) ? t : 0));
  const end = c < 0 ? DIVERGING.negative : DIVERGING.positive;
  const k = Math.abs(c);
  return DIVERGING.zero.map((z, i) => Math.round(z + (end[i] - z) * k));
}

export const SERIES = {
  train: { color: PALETTE.blue, dash: "solid" },
  test: { color: PALETTE.vermillion, dash: "dash" },
  gradNorm: PALETTE.purple,
  weightNorm: PALETTE.green,
};

export const FONT = {
  family: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  size: 12,
  color: "#1f2933",
};

export const GRID_COLOR = "#e3e7ec";

/** The layout every Plotly chart starts from; `extra` is merged over it. */
export function baseLayout(extra = {}) {
  return {
    font: FONT,
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "#ffffff",
    margin: { l: 48, r: 12, t: 8, b: 40 },
    showlegend: true,
    legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom", font: { size: 11 } },
    xaxis: { gridcolor: GRID_COLOR, zeroline: false },
    yaxis: { gridcolor: GRID_COLOR, zeroline: false },
    ...extra,
  };
}

// No mode bar or logo: the page's own controls and tables cover what it would offer.
export const PLOT_CONFIG = { displayModeBar: false, responsive: true, displaylogo: false };

// Non-negative values (ReLU outputs, counts, |gradient|): white → Okabe–Ito blue, darker.
export const SEQUENTIAL = [[0, "#F7F7F7"], [0.5, "#56B4E9"], [1, "#08306B"]];
const SEQUENTIAL_STOPS = SEQUENTIAL.map(([t, c]) => [t, hexToRgb(c)]);

// Effective receptive field: white → orange → vermillion, apart from the blue maps.
export const HEAT = [[0, "#FFFFFF"], [0.4, "#F5C26B"], [1, "#A3400A"]];
const HEAT_STOPS = HEAT.map(([t, c]) => [t, hexToRgb(c)]);

function ramp(stops, t) {
  const c = Math.max(0, Math.min(1, Number.isFinite(t) ? t : 0));
  let k = 0;
  while (k < stops.length - 2 && c > stops[k + 1][0]) k++;
  const [t0, a] = stops[k];
  const [t1, b] = stops[k + 1];
  const f = (c - t0) / (t1 - t0);
  return a.map((v, i) => Math.round(v + (b[i] - v) * f));
}

/** RGB triple of t in [0, 1] on the sequential (blue) scale. */
export const sequential = (t) => ramp(SEQUENTIAL_STOPS, t);

/** RGB triple of t in [0, 1] on the heat (orange) scale. */
export const heat = (t) => ramp(HEAT_STOPS, t);

/** RGB triple of an image pixel in [0, 1]: ink (1) is dark on white paper (0). */
export const ink = (t) => {
  const v = Math.round(255 - 224 * Math.max(0, Math.min(1, Number.isFinite(t) ? t : 0)));
  return [v, v, Math.min(255, v + 8)];
};

// Lines that must be told apart (variants of a stack): colour and dash both differ.
export const LINES = [
  { color: PALETTE.blue, dash: "solid", symbol: "circle" },
  { color: PALETTE.orange, dash: "dash", symbol: "square" },
  { color: PALETTE.green, dash: "dot", symbol: "diamond" },
  { color: PALETTE.vermillion, dash: "dashdot", symbol: "triangle-up" },
  { color: PALETTE.purple, dash: "longdash", symbol: "x" },
];
