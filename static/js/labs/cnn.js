// The CNN lab's stage: the input with its prediction, every layer's feature maps (click a
// unit to see its receptive field), the first layer's kernels, the test set's confusion
// matrix, the receptive field by depth, and what each configuration costs and scores.

import { fillTable } from "../alt.js";
import { drawConfusion, confusionTable, depthTable, drawDepth, drawRuns, runsTable }
  from "../plots/cnncharts.js";
import { drawInput, drawProbs, inputTable, probsTable } from "../plots/digits.js";
import { FeatureMapsPicture, mapsTable } from "../plots/featuremaps.js";
import { drawKernels, kernelsTable } from "../plots/kernels.js";
import { drawNorms, normsTable } from "../plots/norms.js";
import { renderDense, renderLayerTable, RunsStore, stackSummary } from "./cnn-efficiency.js";
import { DrawingPad, TestPicker } from "./cnn-input.js";
import { erfTable, ReceptiveField } from "./cnn-rf.js";

/** The weight tensors' state_dict names (the norms' axis shows W1, W2, …, hover the names). */
const weightNames = (meta) => meta?.weights ?? [];

/** The CNN stage (see labs/index.js for the interface). */
export function createCnnStage({ root, socket, state, configure }) {
  const $ = (id) => root.querySelector(`#${id}`);
  const maps = new FeatureMapsPicture($("maps-canvas"));
  const runs = new RunsStore();
  const plots = { probs: $("probs-plot"), confusion: $("confusion-plot"),
    depth: $("depth-plot"), runs: $("runs-plot"), norms: $("norms-plot") };
  const inputCanvas = $("input-canvas");
  const layerNames = () => (state.meta?.layers ?? []).map((l) => l.name);
  let scheduled = false;
  /** Redraw what shows the chosen unit (input, ERF, maps) — not the charts. */
  const redrawUnit = () => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      if (state.frame) drawUnitPictures(state.frame);
    });
  };

  const rf = new ReceptiveField($("fig-rf"), { socket, state, onChange: redrawUnit });
  const picker = new TestPicker($("picker"), (i) => configure({ example: i, drawing: null }));
  const pad = new DrawingPad($("pad"), (pixels) => configure({ drawing: pixels }),
    () => configure({ drawing: null }));

  function chooseAt(event) {
    const box = event.currentTarget.getBoundingClientRect();
    const unit = maps.unitAt(event.clientX - box.left, event.clientY - box.top);
    if (unit) rf.choose(unit);
  }
  $("maps-canvas").addEventListener("click", chooseAt);

  // Keyboard: arrows move the chosen unit, [ and ] change channel, PageUp/PageDown layer.
  const KEYS = { ArrowUp: ["y", -1], ArrowDown: ["y", 1], ArrowLeft: ["x", -1],
    ArrowRight: ["x", 1], "[": ["channel", -1], "]": ["channel", 1], PageUp: ["layer", -1],
    PageDown: ["layer", 1] };
  $("maps-canvas").addEventListener("keydown", (event) => {
    const move = KEYS[event.key];
    if (!move) return;
    event.preventDefault();
    const unit = { layer: 0, channel: 0, y: 0, x: 0, ...rf.unit };
    const [key, d] = move;
    const layers = state.meta?.layers?.length ?? 1;
    unit[key] += d;
    if (key === "layer") unit.layer = Math.max(0, Math.min(layers - 1, unit.layer));
    rf.choose(unit); // clamps channel, y and x to the layer's shape
  });

  function metaChanged() {
    rf.onMeta();
    renderLayerTable($("layers-table"), state.meta);
    renderDense($("dense"), state.meta);
  }

  function showInputChoice() {
    const drawing = Array.isArray(state.params.drawing);
    picker.setChosen(drawing ? null : state.params.example);
    if (drawing) pad.show(state.params.drawing);
    $("input-source").textContent = drawing ? "your drawing"
      : `test image ${state.params.example}`;
  }

  function drawCharts(frame) {
    const m = frame.metrics;
    const label = Number.isInteger(m.label) ? m.label : null;
    const predicted = Number.isInteger(m.predicted) ? m.predicted : null;
    drawProbs(plots.probs, frame.arrays.probs?.data, { label, predicted,
      classes: state.meta?.classes });
    const p = frame.arrays.probs?.data[predicted] ?? NaN;
    $("prediction").textContent = predicted === null ? "—"
      : `${predicted}${Number.isFinite(p) ? ` (${(100 * p).toFixed(0)} %)` : ""}`;
    $("truth").textContent = label === null ? "a drawing: no true digit" : `true digit ${label}`;
    if (frame.arrays.confusion) drawConfusion(plots.confusion, frame.arrays.confusion);
  }

  // A new model's first frame may come before the status that names its params (frames
  // take a faster lane), so between a dataset and the next status a frame is held back
  // from the record of runs and credited to the params that status brings.
  const record = { holding: false, frame: null };
  function recordRun(frame) {
    if (record.holding) record.frame = frame;
    else runs.record(state.params, state.meta, frame.metrics.test_acc);
  }

  const sideCharts = [
    { draw: () => drawNorms(plots.norms, state.frame, weightNames(state.meta)),
      version: () => state.frame },
    { draw: () => drawDepth(plots.depth, state.meta?.compare), version: () => state.meta },
    { draw: () => {
      drawRuns(plots.runs, runs.runs, stackSummary(state.params));
      const table = runsTable(runs.runs);
      if (table) fillTable($("runs-list"), table);
    },
      version: () => runs.revision },
  ];

  function drawUnitPictures(frame) {
    if (frame.arrays.input) {
      const geo = drawInput(inputCanvas, frame.arrays.input, { box: rf.box, erf: rf.erf });
      // The geometry drawn, for tests and anyone checking the picture against the numbers.
      inputCanvas.dataset.side = frame.arrays.input.shape[1];
      inputCanvas.dataset.origin = `${geo.input.x},${geo.input.y}`;
      inputCanvas.dataset.cell = geo.cell;
      inputCanvas.dataset.box = rf.box ? rf.box.join(",") : "";
      inputCanvas.dataset.rect = geo.rect ? [geo.rect.x, geo.rect.y, geo.rect.width,
        geo.rect.height].join(",") : "";
      inputCanvas.dataset.erf = rf.erf ? "shown" : "";
    }
    maps.draw(frame, layerNames(), rf.unit);
  }

  return {
    draw(frame) {
      drawUnitPictures(frame);
      drawKernels($("kernels-canvas"), frame.arrays.kernels);
      drawCharts(frame);
      rf.afterFrame(frame);
    },
    sideCharts,
    tables: {
      input: () => state.frame?.arrays.input && inputTable(state.frame.arrays.input, rf.answer),
      probs: () => state.frame && probsTable(state.frame.arrays.probs?.data, {
        label: state.frame.metrics.label ?? null, predicted: state.frame.metrics.predicted }),
      maps: () => state.frame && mapsTable(state.frame, layerNames()),
      rf: () => erfTable(rf),
      kernels: () => state.frame && kernelsTable(state.frame.arrays.kernels),
      confusion: () => state.frame?.arrays.confusion &&
        confusionTable(state.frame.arrays.confusion),
      depth: () => depthTable(state.meta?.compare),
      runs: () => runsTable(runs.runs),
      norms: () => state.frame && normsTable(state.frame, weightNames(state.meta)),
    },
    resizes: [$("maps-canvas"), inputCanvas],
    onHello() {
      rf.pending = false; // a new socket: an answer still owed by the old one never comes
      metaChanged();
      showInputChoice();
    },
    onStatus(msg) {
      if (msg.meta) metaChanged();
      if (record.holding && msg.meta) {
        record.holding = false;
        if (record.frame) recordRun(record.frame);
        record.frame = null;
      }
      showInputChoice();
    },
    onDataset(dataset) {
      record.holding = true;
      record.frame = null;
      picker.setDataset(dataset);
      rf.refresh();
      showInputChoice();
    },
    onFrame: recordRun,
    onProbe(probe) {
      rf.onProbe(probe);
    },
    onError(msg) {
      rf.onError(msg);
    },
    pad,
  };
}
