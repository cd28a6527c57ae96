// The CNN's efficiency panel: what each layer costs (parameters, multiply-adds) and sees
// (receptive field), the weight-sharing comparison with a dense layer, and a record of every
// configuration this browser has trained (kept in localStorage) for the size/accuracy chart.

import { el } from "../dom.js";

const KEY = "layerwise:cnn:runs";
const MAX_RUNS = 40;
const n = (v) => (Number.isFinite(v) ? v.toLocaleString("en") : "—");

/** A short name of a layer stack and its head: "conv3 ×8 → maxpool2 → … · avg". */
export function stackSummary(params) {
  const layers = (params.layers ?? []).map((l) => {
    const extra = [l.stride > 1 ? `s${l.stride}` : "", l.dilation > 1 ? `d${l.dilation}` : ""]
      .filter(Boolean).join(" ");
    const pool = l.kind === "maxpool" || l.kind === "avgpool";
    const body = `${l.kind}${l.kernel}${extra ? ` ${extra}` : ""}`;
    return pool ? body : `${body} ×${l.channels}`;
  });
  const head = params.head === "flatten" ? "flatten" : "avg";
  return `${layers.join(" → ")} · ${head}${params.batchnorm ? " · BN" : ""} · ` +
    `${params.image_size}px · ${params.n_train} imgs`;
}

/** The configurations trained here: {key, summary, total_params, total_macs, best_acc}. */
export class RunsStore {
  constructor(storage = globalThis.localStorage) {
    this.storage = storage;
    this.runs = this.load();
    this.revision = 0;
  }

  load() {
    try {
      const runs = JSON.parse(this.storage?.getItem(KEY) ?? "[]");
      return Array.isArray(runs) ? runs.filter((r) => r && Number.isFinite(r.best_acc)) : [];
    } catch {
      return [];
    }
  }

  /** Note a test accuracy of the configuration `params` (meta gives its size). */
  record(params, meta, acc) {
    if (!Number.isFinite(acc) || !meta) return false;
    const key = stackSummary(params);
    let run = this.runs.find((r) => r.key === key);
    if (run && run.best_acc >= acc) return false;
    if (!run) {
      run = { key, summary: key, total_params: meta.total_params, total_macs: meta.total_macs,
        best_acc: acc };
      this.runs.push(run);
      if (this.runs.length > MAX_RUNS) this.runs.shift();
    }
    run.best_acc = acc;
    this.revision += 1;
    try {
      this.storage?.setItem(KEY, JSON.stringify(this.runs));
    } catch {
      // Storage can be full or disabled; the chart still shows this page's runs.
    }
    return true;
  }
}

/** Fill the per-layer table: name, output shape, parameters, multiply-adds, field. */
export function renderLayerTable(table, meta) {
  const head = ["layer", "output C×H×W", "parameters", "multiply-adds", "field"];
  const rows = (meta?.layers ?? []).map((l, i) => [`${i + 1}. ${l.name}`,
    l.out_shape.join("×"), n(l.params), n(l.macs), l.rf ? `${l.rf.size} px` : "—"]);
  if (meta?.head) {
    rows.push(["head (linear → 10)", "10", n(meta.head.params), n(meta.head.macs), ""]);
  }
  const cell = (text, i, tag) => el(i === 0 ? "th" : tag, { text, scope: i === 0 ? "row" : null });
  table.replaceChildren(
    el("caption", { text: "What each layer costs for one image" +
      `${meta?.input ? ` (input ${meta.input.join("×")})` : ""}, and how much input it sees` }),
    el("thead", {}, el("tr", {}, ...head.map((h) => el("th", { scope: "col", text: h })))),
    el("tbody", {}, ...rows.map((r) => el("tr", {}, ...r.map((t, i) => cell(t, i, "td"))))),
    el("tfoot", {}, el("tr", {}, el("th", { scope: "row", text: "total" }), el("td"),
      el("td", { text: n(meta?.total_params) }), el("td", { text: n(meta?.total_macs) }),
      el("td"))),
  );
}

/** The weight-sharing comparison in words, from meta.dense. */
export function renderDense(container, meta) {
  const dense = meta?.dense;
  if (!dense) {
    container.replaceChildren();
    return;
  }
  const ratio = (r) => (r >= 10 ? Math.round(r).toLocaleString("en") : r.toFixed(1));
  const line = (what, d) => el("p", {}, el("strong", { text: what }), document.createTextNode(
    !d || !Number.isFinite(d.ratio) || !d.conv
      ? " the first layer is a pool: it has no weights to share."
      : ` a dense layer needs ${n(d.dense)} weights; the convolution needs ${n(d.conv)} — ` +
        `${ratio(d.ratio)}× fewer.`));
  container.replaceChildren(
    line("A 32 × 32 × 3 image into 100 units:", dense.card),
    line("This lab's input into its first layer's outputs:", dense.input),
  );
}
