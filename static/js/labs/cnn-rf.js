// The receptive field of one chosen unit: which unit (a click on a feature map, or the
// form), the `receptive_field` probe that asks the server for its box and its effective
// field, re-asked after drawn frames while training so the ERF follows the model, and the
// per-layer table of the recurrence (size, jump, start) beside each layer's settings.

import { el } from "../dom.js";

const FIELDS = ["channel", "y", "x"];

export class ReceptiveField {
  constructor(root, { socket, state, onChange }) {
    this.socket = socket;
    this.state = state;
    this.onChange = onChange; // redraw when the unit or its answer changes
    this.unit = null;
    this.answer = null; // the latest probe message
    this.pending = false;
    this.wanted = 0; // bumped for each new question; an answer to an older one is dropped
    this.asked = 0;
    this.form = root.querySelector(".unit-form");
    this.layer = this.form.querySelector("[name=layer]");
    this.inputs = Object.fromEntries(FIELDS.map((f) =>
      [f, this.form.querySelector(`[name=${f}]`)]));
    this.table = root.querySelector(".rf-table");
    this.summary = root.querySelector(".rf-summary");
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.choose({ layer: Number(this.layer.value),
        ...Object.fromEntries(FIELDS.map((f) => [f, Number(this.inputs[f].value)])) });
    });
  }

  /** The layer shapes [C, H, W] the meta promises. */
  shapes() {
    return (this.state.meta?.layers ?? []).map((l) => l.out_shape);
  }

  /** The model was rebuilt: new layer choices; a unit that no longer exists is dropped. */
  onMeta() {
    const layers = this.state.meta?.layers ?? [];
    const options = layers.map((l, i) => el("option", { value: i, text: `${i + 1}. ${l.name}` }));
    const keep = this.layer.value;
    this.layer.replaceChildren(...options);
    if (keep && Number(keep) < layers.length) this.layer.value = keep;
    if (this.unit) {
      const shape = this.shapes()[this.unit.layer];
      const fits = shape && this.unit.channel < shape[0] && this.unit.y < shape[1] &&
        this.unit.x < shape[2];
      if (!fits) {
        this.unit = null;
        this.answer = null;
      }
    }
    this.renderTable();
  }

  /** New weights (a reset or a rebuild): ask again for the chosen unit, if it still exists. */
  refresh() {
    this.onMeta();
    if (!this.unit) return;
    this.answer = null;
    this.wanted += 1;
    this.ask();
  }

  /** Choose a unit {layer, channel, y, x} and ask for its field. */
  choose(unit) {
    const shape = this.shapes()[unit.layer];
    if (!shape) return;
    const clamp = (v, n) => Math.max(0, Math.min(n - 1, Math.round(v) || 0));
    this.unit = { layer: unit.layer, channel: clamp(unit.channel, shape[0]),
      y: clamp(unit.y, shape[1]), x: clamp(unit.x, shape[2]) };
    this.layer.value = String(this.unit.layer);
    FIELDS.forEach((f) => { this.inputs[f].value = this.unit[f]; });
    this.answer = null;
    this.wanted += 1;
    this.ask();
    this.onChange();
  }

  ask() {
    if (!this.unit || this.pending) return;
    this.pending = this.socket.probe("receptive_field", this.unit);
    this.asked = this.wanted;
  }

  /** After a new frame is drawn while training: ask again so the ERF follows the weights. */
  afterFrame(frame) {
    if (this.state.status !== "running" || frame === this.frameAsked) return;
    if (this.unit && !this.pending) this.frameAsked = frame;
    this.ask();
  }

  onProbe(probe) {
    if (probe.extra.name !== "receptive_field") return false;
    this.pending = false;
    if (this.asked !== this.wanted) {
      this.ask(); // another unit was chosen, or the weights were replaced, meanwhile
      return true;
    }
    this.answer = probe;
    this.renderTable();
    this.onChange();
    return true;
  }

  onError(msg) {
    if (msg.code === "bad_probe" || msg.code === "not_ready" || msg.code === "unknown_probe") {
      this.pending = false;
    }
  }

  get box() {
    return this.answer?.extra.box ?? null;
  }

  get erf() {
    return this.answer?.arrays.erf ?? null;
  }

  /** The recurrence layer by layer, with each layer's kernel, stride, padding, dilation. */
  rows() {
    const meta = this.state.meta?.layers ?? [];
    const specs = this.state.params.layers ?? [];
    return meta.map((layer, i) => {
      const spec = specs[i] ?? {};
      const rf = layer.rf ?? {};
      return { name: layer.name, kernel: spec.kernel, stride: spec.stride,
        padding: spec.padding, dilation: spec.dilation, size: rf.size, jump: rf.jump,
        start: rf.start };
    });
  }

  renderTable() {
    const head = ["layer", "k", "s", "p", "d", "size", "jump", "start"];
    const thead = el("thead", {}, el("tr", {}, ...head.map((h) => el("th", { scope: "col",
      text: h }))));
    const chosen = this.unit?.layer;
    const body = el("tbody", {}, ...this.rows().map((r, i) => el("tr", {
      class: i === chosen ? "chosen" : null, "data-layer": i, "data-size": r.size,
      "data-jump": r.jump, "data-start": r.start,
    }, el("th", { scope: "row", text: `${i + 1}. ${r.name}`, class: "nowrap" }),
    ...[r.kernel, r.stride, r.padding, r.dilation, r.size, r.jump, r.start].map((v) =>
      el("td", { text: v === undefined ? "—" : String(v) })))));
    this.table.replaceChildren(el("caption", { text: "k kernel · s stride · p padding · " +
      "d dilation. Size grows by d(k − 1) × the previous jump; the jump is multiplied by s." }),
    thead, body);
    const u = this.unit;
    const box = this.box;
    this.summary.textContent = !u ? "No unit chosen yet: click a pixel of a feature map."
      : `Layer ${u.layer + 1}, channel ${u.channel}, unit (y ${u.y}, x ${u.x})` +
        (box ? ` sees input rows ${box[0]}–${box[2]} and columns ${box[1]}–${box[3]}.`
          : ": asking the model…");
  }
}

/** The ERF's numbers: |∂ unit / ∂ input| for every input pixel. */
export function erfTable(rf) {
  const erf = rf.erf;
  if (!erf) return null;
  const [h, w] = erf.shape;
  const rows = [];
  for (let i = 0; i < h; i++) {
    rows.push([`row ${i}`, ...Array.from(erf.data.subarray(i * w, (i + 1) * w),
      (v) => v.toExponential(1))]);
  }
  const box = rf.box;
  return {
    caption: `Effective receptive field of the chosen unit (mean |gradient| per input pixel)` +
      (box ? `; theoretical box rows ${box[0]}–${box[2]}, columns ${box[1]}–${box[3]}` : ""),
    head: ["", ...Array.from({ length: w }, (_, j) => `col ${j}`)],
    rows,
  };
}
