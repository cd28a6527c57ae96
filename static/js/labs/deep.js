// The deep lab's stage: how the signal fares through many layers — activation spread and
// histograms (forward), gradient norms (backward), update ratios, the Jacobian spectra — for
// config A and, in compare mode, config B side by side; and the depth × width sweep.

import { el } from "../dom.js";
import { drawNorms, normsTable } from "../plots/norms.js";
import {
  drawGradients, drawHistograms, drawJacobian, drawRace, drawSignal, drawSweep, drawUpdates,
  histogramTable, jacobianTable, layerTable, raceTable, sweepRows, sweepTable,
} from "./deep-charts.js";

const MAX_HISTORY = 2000; // frames of A-against-B accuracy kept (older ones thinned out)
const OVERRIDES = ["depth", "width", "activation", "init", "norm", "residual"];
const fmt = (v, digits = 3) => (Number.isFinite(v) ? Number(v).toPrecision(digits) : "—");
const pct = (v) => (Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : "—");

/** "16 × 64 relu, he_normal, no norm, residual" of a meta config. */
function describe(c) {
  if (!c) return "—";
  const norm = c.norm === "none" ? "no norm" : `${c.norm} norm`;
  return `${c.depth} × ${c.width} ${c.activation}, ${c.init}, ${norm}` +
    `${c.residual ? ", residual" : ""} · ${Number(c.n_params).toLocaleString("en")} parameters`;
}

/** The compare panel's form: a "same as A" choice for every field B may override. */
function overrideForm(form, schema) {
  const fields = {};
  for (const name of OVERRIDES) {
    const input = form.elements[name];
    fields[name] = input;
    if (input.tagName !== "SELECT") continue;
    const options = name === "residual" ? [true, false]
      : (schema?.$defs?.ModelOverrides?.properties?.[name]?.anyOf?.[0]?.enum ?? []);
    input.replaceChildren(el("option", { value: "", text: "same as A" }),
      ...options.map((v) => el("option", { value: String(v), text: name === "residual" ?
        (v ? "on" : "off") : String(v) })));
  }
  return {
    read() {
      const b = {};
      for (const [name, input] of Object.entries(fields)) {
        if (input.value === "") continue;
        if (name === "residual") b[name] = input.value === "true";
        else if (input.type === "number") b[name] = Number.parseInt(input.value, 10);
        else b[name] = input.value;
      }
      return b;
    },
    show(b = {}) {
      for (const [name, input] of Object.entries(fields)) {
        if (document.activeElement === input) continue;
        input.value = b[name] === null || b[name] === undefined ? "" : String(b[name]);
      }
    },
  };
}

/** The deep stage (see labs/index.js for the interface). */
export function createDeepStage({ root, state, configure }) {
  const $ = (id) => root.querySelector(`#${id}`);
  const schema = JSON.parse(root.dataset.schema);
  const panel = $("deep-compare");
  const form = overrideForm($("b-form"), schema);
  const plots = {
    signal: $("signal-plot"), gradients: $("gradients-plot"), updates: $("updates-plot"),
    jacobian: $("jacobian-plot"), sweep: $("sweep-plot"),
  };
  const histCanvas = $("hist-canvas");
  let sweepAxis = "n_params";
  let history = []; // [{step, a, b}]: test accuracy of A and B, one entry per frame
  let historyRevision = 0;

  $("b-form").addEventListener("submit", (event) => {
    event.preventDefault();
    configure({ b: form.read(), compare: true });
  });
  $("compare-toggle").addEventListener("click", () => configure({ compare: !state.params.compare }));
  $("sweep-toggle").addEventListener("click", () => configure({ sweep: !state.params.sweep }));
  $("sweep-axis").addEventListener("change", (event) => {
    sweepAxis = event.target.value;
    if (state.frame) drawSweep(plots.sweep, state.frame, sweepAxis);
  });

  function showParams() {
    const p = state.params;
    panel.dataset.compare = p.compare ? "on" : "off";
    $("compare-toggle").textContent = p.compare ? "Stop comparing" : "Compare with B";
    $("compare-toggle").setAttribute("aria-pressed", String(Boolean(p.compare)));
    $("sweep-toggle").textContent = p.sweep ? "Stop the sweep" : "Run the sweep";
    $("sweep-toggle").setAttribute("aria-pressed", String(Boolean(p.sweep)));
    form.show(p.b);
    const configs = state.meta?.configs ?? {};
    $("config-a").textContent = describe(configs.a);
    $("config-b").textContent = p.compare ? describe(configs.b) : "off";
  }

  function abTable(frame) {
    const m = frame.metrics;
    const both = state.params.compare && "b_loss" in m;
    const rows = [
      ["test accuracy", pct(m.test_acc), both ? pct(m.b_test_acc) : "—"],
      ["training loss", fmt(m.loss), both ? fmt(m.b_loss) : "—"],
      ["activation std, last ÷ first layer", fmt(m.act_std_ratio), both ? fmt(m.b_act_std_ratio) : "—"],
      ["‖∂L/∂W‖, first ÷ last layer", fmt(m.grad_ratio), both ? fmt(m.b_grad_ratio) : "—"],
    ];
    const table = $("ab-table");
    table.replaceChildren(
      el("caption", { text: `Config A and config B at step ${frame.step}` }),
      el("thead", {}, el("tr", {}, ...["", "A", "B"].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, ...rows.map(([name, a, b]) => el("tr", {},
        el("th", { scope: "row", text: name }), el("td", { text: a, "data-config": "a" }),
        el("td", { text: b, "data-config": "b" })))),
    );
  }

  function showSweep(frame) {
    const m = frame.metrics;
    const bar = $("sweep-progress");
    const on = Number.isFinite(m.sweep_total);
    bar.value = on ? m.sweep_progress : 0;
    $("sweep-status").textContent = on
      ? `${m.sweep_done} of ${m.sweep_total} configurations trained`
      : "Not running: press Run the sweep, then Play.";
    $("fig-sweep").dataset.done = on ? String(m.sweep_done) : "";
    if (sweepRows(frame).length) drawSweep(plots.sweep, frame, sweepAxis);
  }

  // Config A's weight tensors: each hidden layer's, then the head's.
  const normNames = () => {
    const depth = state.frame?.arrays.act_std?.shape[0] ?? 0;
    return [...Array.from({ length: depth }, (_, i) => `layer ${i + 1}`), "head"];
  };
  const normLabels = () => normNames().map((n) => n.replace("layer ", ""));

  return {
    draw(frame) {
      showParams();
      abTable(frame);
      drawSignal(plots.signal, frame);
      drawHistograms(histCanvas, frame);
      drawGradients(plots.gradients, frame);
      drawUpdates(plots.updates, frame);
      drawJacobian(plots.jacobian, frame);
      showSweep(frame);
      const probed = frame.metrics.probe_step;
      $("probe-note").textContent = Number.isFinite(probed) && probed !== frame.step
        ? `Per-layer pictures measured at step ${probed} (large networks are probed every ` +
          `${state.meta?.probe_every ?? "few"} frames).` : "";
    },
    sideCharts: [
      { draw: () => drawRace($("race-plot"), history), version: () => historyRevision },
      { draw: () => drawNorms($("norms-plot"), state.frame, normNames(), normLabels()),
        version: () => state.frame },
    ],
    onFrame(frame) {
      const m = frame.metrics;
      if (!("b_test_acc" in m)) return;
      if (history.length && history[history.length - 1].step >= frame.step) return;
      history.push({ step: frame.step, a: m.test_acc, b: m.b_test_acc });
      if (history.length > MAX_HISTORY) history = history.filter((_, i) => i % 2 === 0);
      historyRevision += 1;
    },
    onDataset() {
      history = [];
      historyRevision += 1;
    },
    onError(msg) {
      const named = Array.isArray(msg.detail) ? msg.detail : [];
      const b = named.filter((d) => String(d.param ?? "").startsWith("b."));
      const text = b.map((d) => `${String(d.param).slice(2)}: ${String(d.msg)
        .replace(/^Value error, /, "")}`).join("; ");
      $("b-error").textContent = text ? `Config B refused — ${text}.` : "";
      $("b-error").hidden = !text;
    },
    onStatus(msg) {
      if (msg.params) {
        $("b-error").textContent = "";
        $("b-error").hidden = true;
      }
      showParams();
    },
    onHello: showParams,
    tables: {
      signal: () => state.frame && layerTable(state.frame, "Activation mean and std per layer",
        [{ name: "act_mean", label: "mean" }, { name: "act_std", label: "std" }]),
      histograms: () => state.frame && histogramTable(state.frame),
      gradients: () => state.frame && layerTable(state.frame, "Gradient norms per layer",
        [{ name: "grad_norm", label: "‖∂L/∂W‖" }, { name: "act_grad_norm", label: "‖∂L/∂h‖" }]),
      updates: () => state.frame && layerTable(state.frame, "Update-to-weight ratio per layer",
        [{ name: "update_ratio", label: "‖ΔW‖/‖W‖" }, { name: "weight_norm", label: "‖W‖" }]),
      jacobian: () => state.frame && jacobianTable(state.frame),
      sweep: () => state.frame && sweepTable(state.frame),
      norms: () => state.frame && normsTable(state.frame, normNames(), normLabels()),
      race: () => (history.length ? raceTable(history) : null),
    },
    resizes: [histCanvas],
  };
}
