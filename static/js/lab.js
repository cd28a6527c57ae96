// The lab page's controller, shared by every lab: the socket, the settings, the share URL,
// the top bar's readouts, the keyboard, the loss and accuracy curves, the exports, messages,
// text alternatives and redraw scheduling. What a lab draws on its stage (and any curves of
// its own) comes from its stage module in ./labs/, chosen by the page's lab id.
// Frames are recorded as they arrive and drawn at most once per animation frame (only the
// latest), so the page keeps up at 20 frames/s; the server's word on params is final.

import { TextAlternatives } from "./alt.js";
import { Controls } from "./controls.js";
import { STAGES } from "./labs/index.js";
import { RateMeter } from "./meter.js";
import { labParams } from "./params.js";
import { accuracyTable, drawAccuracy, drawLoss, History, lossTable } from "./plots/curves.js";
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
const state = {
  hello: null, meta: null, grid: null, run: null, status: "connecting",
  params: { ...defaults }, dataset: null, frame: null, drawnFrame: null, lastChange: [],
  tablesAt: 0,
};

const controls = new Controls($("controls"), schema, {
  presentation: labParams(labId),
  place: { steps_per_frame: $("speed-slot") },
  onChange(name, value) {
    state.lastChange = [name];
    socket.configure({ [name]: value });
  },
});

/** Ask the server for new params on the learner's behalf (e.g. the stage's input picker). */
function configure(params) {
  state.lastChange = Object.keys(params);
  return socket.configure(params);
}

const stage = (STAGES[labId] ?? STAGES.none)({
  root, socket, state, messages, configure, requestDraw: () => requestDraw(),
});

// -- drawing ------------------------------------------------------------------------------

const plots = { loss: $("loss-plot"), accuracy: $("accuracy-plot") };

// The side charts take turns, one per drawn frame: each costs about as much as the whole
// stage, and curves that grow at a third of the frame rate still look continuous.
// A lab whose frames carry no accuracy (an autoencoder) has no accuracy chart on its page.
const sideCharts = [
  { draw: () => drawLoss(plots.loss, curves), version: () => curves.revision },
  ...(plots.accuracy
    ? [{ draw: () => drawAccuracy(plots.accuracy, curves), version: () => curves.revision }]
    : []),
  ...(stage.sideCharts ?? []),
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
  if (state.drawnFrame !== frame) {
    state.drawnFrame = frame;
    stage.draw(frame);
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
  loss: () => curves.latest && lossTable(curves),
  ...(plots.accuracy ? { accuracy: () => curves.latest && accuracyTable(curves) } : {}),
  ...stage.tables,
});
for (const element of stage.resizes ?? []) new ResizeObserver(redrawAll).observe(element);

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
  state.meta = hello.meta ?? null;
  state.grid = hello.grid ?? null;
  state.run = hello.run;
  root.dataset.run = hello.run;
  readouts.exports(hello.run);
  applyParams(hello.params);
  stage.onHello?.(hello);
});

socket.on("status", (msg) => {
  if (msg.run) state.run = msg.run;
  if (msg.meta) state.meta = msg.meta;
  if (msg.grid) state.grid = msg.grid;
  if (msg.params) applyParams(msg.params);
  setStatus(msg.state, msg);
  stage.onStatus?.(msg);
  if (msg.params) redrawAll(); // names and sizes come from the params in force
});

const REFUSALS = new Set(["invalid_params", "over_budget"]);

/**
 * [{param, path, reason}] of a refusal: invalid_params names its params in `detail`
 * ("hidden.2" is the hidden control, its path [2]); over_budget names its params in
 * `detail.params`, or none, and then it falls on what the learner just changed.
 */
function refusedParams(msg) {
  const named = [];
  const detail = Array.isArray(msg.detail) ? msg.detail : [];
  for (const d of detail) {
    const [name, ...path] = String(d.param ?? "").split(".");
    if (controls.has(name)) named.push({ param: name, path, reason: d.msg });
  }
  if (named.length) return named;
  const changed = state.lastChange.filter((name) => controls.has(name));
  return changed.map((name) => ({ param: name, path: [], reason: msg.message }));
}

socket.on("error", (msg) => {
  if (REFUSALS.has(msg.code)) {
    const shown = new Set();
    for (const { param, path, reason: raw } of refusedParams(msg)) {
      const reason = String(raw).replace(/^Value error, /, ""); // pydantic's prefix
      const kept = JSON.stringify(state.params[param]);
      const key = `${param}.${path.join(".")}`;
      if (shown.has(key)) continue;
      shown.add(key);
      const part = path.slice(1).join(".");
      const text = path.length ? `Refused${part ? ` (${part})` : ""}: ${reason}.`
        : `Refused: ${reason}. Still using ${kept}.`;
      controls.showError(param, text, path);
    }
  }
  stage.onError?.(msg);
  messages.show(msg.message, "error");
});

socket.on("dataset", (dataset) => {
  state.dataset = dataset;
  curves.clear();
  meter.clear();
  stage.onDataset?.(dataset);
});

socket.on("frame", (frame) => {
  curves.add(frame);
  meter.add(frame.step, frame.time);
  state.frame = frame;
  root.dataset.step = frame.step;
  stage.onFrame?.(frame);
  requestDraw();
});

socket.on("probe", (probe) => stage.onProbe?.(probe));

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
    target.isContentEditable || target.closest?.("[data-own-keys]")) return;
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
