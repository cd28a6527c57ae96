// The class dashboard's heatmap: learners × concepts, coloured by mastery level on the
// shared sequential (colour-blind-safe) blue scale, one step per level. The data comes from
// the page's <script type="application/json" id="heatmap-data"> block (the same numbers as
// the table beside it); clicking a cell opens that learner's page. Plotly is loaded before
// this module as /static/vendor/plotly.min.js.

import { baseLayout, PLOT_CONFIG, sequential } from "../plots/theme.js";

const ROW_PX = 28;

/** One CSS colour per level, lightest for "not started", darkest for "mastered". */
function levelColors(count) {
  return Array.from({ length: count }, (_, k) => {
    const [r, g, b] = sequential(count > 1 ? k / (count - 1) : 0);
    return `rgb(${r}, ${g}, ${b})`;
  });
}

/** A stepped Plotly colour scale: level k fills [k/n, (k+1)/n) of the range. */
function steppedScale(colors) {
  const n = colors.length;
  return colors.flatMap((c, k) => [
    [k / n, c],
    [(k + 1) / n, c],
  ]);
}

function draw(container, data) {
  const Plotly = window.Plotly;
  const colors = levelColors(data.levels.length);
  const text = data.level.map((row, i) =>
    row.map((level, j) => {
      const score = Math.round(data.score[i][j] * 100);
      return `${data.learners[i].name}<br>${data.concepts[j].title}<br>${level.replace("_", " ")} · score ${score}%`;
    }),
  );
  const rows = data.learners.length;
  const trace = {
    type: "heatmap",
    z: data.z,
    x: data.concepts.map((c) => c.title),
    y: data.learners.map((_, i) => i),
    text,
    hovertemplate: "%{text}<extra></extra>",
    zmin: -0.5,
    zmax: data.levels.length - 0.5,
    colorscale: steppedScale(colors),
    xgap: 2,
    ygap: 2,
    showscale: false, // the page's key names the levels
  };
  const layout = baseLayout({
    showlegend: false,
    height: 220 + ROW_PX * rows,
    // Room below and to the left for the concepts' slanted names.
    margin: { l: 200, r: 20, t: 10, b: 200 },
    xaxis: { tickangle: -45, automargin: true, fixedrange: true },
    yaxis: {
      tickvals: data.learners.map((_, i) => i),
      ticktext: data.learners.map((l) => l.name),
      autorange: "reversed",
      automargin: true,
      fixedrange: true,
    },
  });
  Plotly.newPlot(container, [trace], layout, PLOT_CONFIG).then(() => {
    container.on("plotly_click", (event) => {
      const point = event.points?.[0];
      const learner = point ? data.learners[point.y] : null;
      if (learner) window.location.assign(learner.url);
    });
  });
  for (const [k, swatch] of document.querySelectorAll(".level-key .swatch").entries()) {
    swatch.style.backgroundColor = colors[k] ?? "";
  }
}

const container = document.getElementById("heatmap");
const source = document.getElementById("heatmap-data");
if (container && source && window.Plotly) {
  draw(container, JSON.parse(source.textContent));
}
