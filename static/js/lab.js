// The lab page's controller: the only module that knows both the socket and the pictures.
// Frames are recorded as they arrive and drawn at most once per animation frame (only the
// latest), so the page keeps up at 20 frames/s; the server's word on params is final.

import { TextAlternatives } from "./alt.js";
import { Controls } from "./controls.js";
import { RateMeter } from "./meter.js";
import { boundaryTable, drawBoundary } from "./plots/boundary.js";
import { accuracyTable, drawAccuracy, drawLoss, History, lossTable } from "./plots/curves.js";
import { NetworkPicture, networkTable } from "./plots/network.js";
import { drawNorms, normsTable } from "./plots/norms.js";
import { changedParams, readParams, rememberedRun, rememberRun, updateUrl } from "./share.js";
import { LabSocket } from "./socket.js";
import { Messages, Readouts } from "./topbar.js";

const $ = (id) => document.getElementById(id);
const root = $("lab");
const labId = root.dataset.labId;
const defaults = JSON.parse(root.dataset.defaults);
const schema = JSON.parse(root.dataset.schema);

const socket = new LabSocket(labId);
const curves = new History();
const meter = new RateMeter();
const messages = new Messages($("messages"));
const readouts = new Readouts(root);
const network = new NetworkPicture($("network-canvas"));
const state = {
  hello: null, run: null, status: "connecting", params: { ...defaults }, dataset: null,
  frame: null, drawnFrame: null, lastChange: [], tablesAt: 0,
};

const controls = new Controls($("controls"), schema, {
  place: { steps_per_frame: $("speed-slot") },
  onChange(name, value) {
    state.lastChange = [name];
    socket.configure({ [name]: value });
  },
});

// -- drawing ------------------------------------------------------------------------------

/** Sizes of what the frame holds (they change when the learner rebuilds the model). */
function geometry(frame) {
  const layers = [];
  for (let k = 0; frame.arrays[`weights/${k}`]; k++) {
    const [out, inp] = frame.arrays[`weights/${k}`].shape;
    if (k === 0) layers.push(inp);
    layers.push(out);
  }
  // hello's extents stay; the point counts are read from the arrays themselves.
  const { grid: extents, meta } = state.hello;
  const [ny, nx] = frame.arrays.boundary?.shape ?? [extents.y[2], extents.x[2]];
  const grid = { x: [extents.x[0], extents.x[1], nx], y: [extents.y[0], extents.y[1], ny] };
  const m = frame.arrays["neurons/0"]?.shape[1] ?? state.params.neuron_grid;
  const { x: mx, y: my } = meta.neuron_grid;
  const features = state.params.features?.length === layers[0] ? state.params.features
    : Array.from({ length: layers[0] }, (_, i) => `in ${i + 1}`);
  const neuronGrid = { x: [mx[0], mx[1], m], y: [my[0], my[1], m] };
  return { grid, layers, meta: { layers, features, neuron_grid: neuronGrid } };
}

const plots = {
  boundary: $("boundary-plot"), loss: $("loss-plot"), accuracy: $("accuracy-plot"),
  norms: $("norms-plot"),
};

// The side charts take turns, one per drawn frame: each costs about as much as the whole
// stage, and curves that grow at a third of the frame rate still look continuous.
const sideCharts = [
  { draw: () => drawLoss(plots.loss, curves), version: () => curves.revision },
  { draw: () => drawAccuracy(plots.accuracy, curves), version: () => curves.revision },
  { draw: () => drawNorms(plots.norms, state.frame, geometry(state.frame).layers),
    version: () => state.frame },
];
let sideTurn = 0;

function drawSideChart() {
  for (let tries = 0; tries < sideCharts.length; tries++) {
    const chart = sideCharts[sideTurn];
    sideTurn = (sideTurn + 1) % sideCharts.length;
    if (chart.drawn !== chart.version()) {
      chart.drawn = chart.version();
      chart.draw();
      return true;
    }
  }
  return false;
}

function draw() {
  state.scheduled = false;
  const frame = state.frame;
  if (!frame || !state.hello) return;
  const geo = geometry(frame);
  if (state.drawnFrame !== frame) {
    state.drawnFrame = frame;
    drawBoundary(plots.boundary, frame, state.dataset, geo.grid);
    network.draw(frame, geo.meta, geo.grid);
  }
  if (drawSideChart()) requestDraw(); // until every chart shows the latest numbers
  readouts.frame(frame, state.status === "running" ? meter.rate : null);
  if (performance.now() - state.tablesAt > 250) { // tables: a few times a second is plenty
    state.tablesAt = performance.now();
    alternatives.update();
  }
}

function requestDraw() {
  if (!state.scheduled) {
    state.scheduled = true;
    requestAnimationFrame(draw);
  }
}

/** Draw everything again, even what shows the latest frame already (new sizes, names). */
function redrawAll() {
  state.drawnFrame = null;
  sideCharts.forEach((chart) => { chart.drawn = undefined; });
  requestDraw();
}

const alternatives = new TextAlternatives(root, {
  boundary: () => state.frame && boundaryTable(state.frame, geometry(state.frame).grid),
  network: () => state.frame && networkTable(state.frame, geometry(state.frame).meta),
  loss: () => curves.latest && lossTable(curves),
  accuracy: () => curves.latest && accuracyTable(curves),
  norms: () => state.frame && normsTable(state.frame, geometry(state.frame).layers),
});
new ResizeObserver(redrawAll).observe($("network-canvas"));

// -- what the server says -----------------------------------------------------------------

function applyParams(params) {
  state.params = params;
  controls.set(params);
  updateUrl(params, defaults);
  rememberRun(labId, state.run); // with the URL: a reload of this very URL takes the run over
}

function setStatus(status, detail = {}) {
  state.status = status;
  root.dataset.state = status;
  readouts.status(status, detail);
  if (status !== "running") meter.clear();
}

socket.on("hello", (hello) => {
  state.hello = hello;
  state.run = hello.run;
  root.dataset.run = hello.run;
  readouts.exports(hello.run);
  applyParams(hello.params);
});

socket.on("status", (msg) => {
  if (msg.run) state.run = msg.run;
  if (msg.params) applyParams(msg.params);
  setStatus(msg.state, msg);
  if (msg.params) redrawAll(); // feature names and sizes come from the params in force
});

const REFUSALS = new Set(["invalid_params", "over_budget"]);

/**
 * {param: reason} of a refusal: invalid_params names its params in `detail` ("hidden.2" is
 * the hidden control); over_budget names none, so it falls on what the learner just changed.
 */
function refusedParams(msg) {
  const detail = Array.isArray(msg.detail) ? msg.detail : [];
  const named = {};
  for (const d of detail) {
    const name = String(d.param ?? "").split(".")[0];
    if (controls.has(name)) named[name] ??= d.msg;
  }
  if (Object.keys(named).length) return named;
  const changed = state.lastChange.filter((name) => controls.has(name));
  return Object.fromEntries(changed.map((name) => [name, msg.message]));
}

socket.on("error", (msg) => {
  if (REFUSALS.has(msg.code)) {
    for (const [name, reason] of Object.entries(refusedParams(msg))) {
      const kept = JSON.stringify(state.params[name]);
      controls.showError(name, `Refused: ${reason}. Still using ${kept}.`);
    }
  }
  messages.show(msg.message, "error");
});

socket.on("dataset", (dataset) => {
  state.dataset = dataset;
  curves.clear();
  meter.clear();
});

socket.on("frame", (frame) => {
  curves.add(frame);
  meter.add(frame.step, frame.time);
  state.frame = frame;
  root.dataset.step = frame.step;
  requestDraw();
});

socket.on("close", ({ code, reason }) => {
  if (state.status === "released") return;
  setStatus("disconnected", { reason: reason || `code ${code}` });
});

// -- what the learner does ----------------------------------------------------------------

const randomSeed = () => crypto.getRandomValues(new Uint32Array(1))[0] % 2 ** 31;
const actions = {
  play: () => (state.status === "running" ? socket.pause() : socket.play()),
  step: () => state.status === "paused" && socket.step(1),
  reset: () => socket.reset(),
  regenerate: () => socket.reset(randomSeed()),
  reconnect: () => connect(),
  share: async () => {
    try {
      await navigator.clipboard.writeText(location.href);
      messages.show("Link copied: it opens this lab with these settings.", "info");
    } catch {
      messages.show(`Share this link: ${location.href}`, "info");
    }
  },
};
for (const [name, act] of Object.entries(actions)) $(name)?.addEventListener("click", act);

const TYPING = new Set(["INPUT", "SELECT", "TEXTAREA", "OUTPUT"]);
document.addEventListener("keydown", (event) => {
  const target = event.target;
  if (event.ctrlKey || event.metaKey || event.altKey || TYPING.has(target.tagName) ||
    target.isContentEditable) return;
  if (event.key === " " && !["BUTTON", "A", "SUMMARY"].includes(target.tagName)) {
    event.preventDefault();
    actions.play();
  } else if (event.key === ".") {
    actions.step();
  } else if (event.key === "r" || event.key === "R") {
    actions.reset();
  }
});

function connect() {
  setStatus("connecting");
  socket.connect({ params: changedParams(state.params, defaults), run: state.run });
}

const shared = readParams(location.search);
if (shared === null) {
  messages.show("The link's params are not readable JSON; using the defaults.", "error");
}
state.params = { ...defaults, ...(shared ?? {}) };
state.lastChange = Object.keys(shared ?? {});
state.run = rememberedRun(labId);
controls.set(state.params);
connect();
