// The layer-stack editor: a param that is an array of layer objects (e.g. the CNN's
// `layers`), one row per layer — a select for each enum field, a number box for each
// integer field — with add, remove and move up/down. Built from the item's JSON Schema;
// a refusal that names a row ("layers.2.padding") shows inline at that row.

import { el, optionLabel } from "./dom.js";

// Short labels of the usual layer fields (others use their schema title or name).
const FIELD_LABELS = {
  kernel: ["k", "kernel size"], stride: ["s", "stride"], padding: ["p", "padding"],
  dilation: ["d", "dilation"], channels: ["ch", "output channels"],
};

function button(text, label, onClick) {
  const b = el("button", { type: "button", class: "btn small", "aria-label": label, text,
    title: label });
  b.addEventListener("click", onClick);
  return b;
}

// The order of a layer's fields in a row (JSON keys arrive sorted); others follow.
const FIELD_ORDER = ["kind", "kernel", "stride", "padding", "dilation", "channels"];
const rank = (key) => (FIELD_ORDER.includes(key) ? FIELD_ORDER.indexOf(key) : FIELD_ORDER.length);

/** A fresh layer: the schema's defaults, else each enum's first value and each minimum. */
function freshLayer(item) {
  return Object.fromEntries(Object.entries(item.properties ?? {}).map(([k, p]) => [k,
    p.default ?? p.enum?.[0] ?? p.minimum ?? 1]));
}

/** One row's widgets: its fields, move/remove buttons, and an inline error. */
function makeRow(k, item, ids, onField, onMove, onRemove) {
  const fields = {};
  const title = el("span", { class: "stack-name", text: `${k + 1}` });
  const head = el("div", { class: "stack-head" }, title);
  const grid = el("div", { class: "stack-fields" });
  const props = Object.entries(item.properties ?? {}).sort(([a], [b]) => rank(a) - rank(b));
  for (const [key, p] of props) {
    const id = `${ids.input}-${k}-${key}`;
    const [short, long] = FIELD_LABELS[key] ?? [p.title ?? key, p.title ?? key];
    let input;
    if (p.enum) {
      input = el("select", { id, "aria-label": `Layer ${k + 1} ${long}` });
      for (const v of p.enum) input.append(el("option", { value: v, text: optionLabel(v) }));
      input.addEventListener("change", () => onField(key, input.value));
      head.append(input);
    } else {
      input = el("input", { id, type: "number", inputmode: "numeric", step: "1",
        min: p.minimum, max: p.maximum, "aria-label": `Layer ${k + 1} ${long}`, title: long });
      input.addEventListener("change", () => {
        const v = Number.parseInt(input.value, 10);
        if (Number.isFinite(v)) onField(key, v);
      });
      grid.append(el("label", { class: "stack-field", for: id },
        el("span", { text: short, "aria-hidden": "true" }), input));
    }
    fields[key] = input;
  }
  const up = button("↑", `Move layer ${k + 1} up`, () => onMove(k, -1));
  const down = button("↓", `Move layer ${k + 1} down`, () => onMove(k, +1));
  const remove = button("×", `Remove layer ${k + 1}`, () => onRemove(k));
  head.append(el("span", { class: "stack-buttons" }, up, down, remove));
  const error = el("p", { class: "control-error", id: `${ids.input}-${k}-error`,
    role: "alert", hidden: true });
  Object.values(fields).forEach((f) => f.setAttribute("aria-describedby", error.id));
  const li = el("li", { "data-layer": k, class: "stack-row" }, head, grid, error);
  return { li, fields, up, down, remove, error };
}

/** The control (see controls.js): body, set(value), showError(path, message), clearErrors. */
export function layerStackControl(name, schema, ui, ids, emit) {
  const item = schema.items;
  const maxLayers = schema.maxItems ?? 8;
  const minLayers = schema.minItems ?? 1;
  let layers = [];
  const propose = (next) => { // show the proposal at once; the server has the last word
    layers = next;
    render();
    emit(next);
  };
  const onField = (k, key, v) => propose(layers.map((l, i) => (i === k ? { ...l, [key]: v } : l)));
  const onMove = (k, d) => {
    const next = [...layers];
    [next[k], next[k + d]] = [next[k + d], next[k]];
    propose(next);
    rows[k + d]?.[d < 0 ? "up" : "down"].focus();
  };
  const onRemove = (k) => propose(layers.filter((_, i) => i !== k));
  const list = el("ol", { class: "stack", id: ids.input });
  const count = el("span", { class: "layer-count", "aria-live": "polite" });
  const add = button("+ layer", "Add a layer at the end", () =>
    propose([...layers, layers.length ? { ...layers.at(-1) } : freshLayer(item)]));
  const rows = [];
  const render = () => { // rows are kept, not rebuilt, so a focused field stays focused
    count.textContent = `${layers.length} layer${layers.length === 1 ? "" : "s"}`;
    add.disabled = layers.length >= maxLayers;
    while (rows.length < layers.length) {
      const k = rows.length;
      rows.push(makeRow(k, item, ids, (key, v) => onField(k, key, v), onMove, onRemove));
      list.append(rows[k].li);
    }
    while (rows.length > layers.length) rows.pop().li.remove();
    layers.forEach((layer, k) => {
      const row = rows[k];
      for (const [key, input] of Object.entries(row.fields)) {
        if (String(input.value) !== String(layer[key])) input.value = layer[key];
      }
      row.li.dataset.kind = layer.kind ?? "";
      row.up.disabled = k === 0;
      row.down.disabled = k === layers.length - 1;
      row.remove.disabled = layers.length <= minLayers;
    });
  };
  const clearErrors = () => rows.forEach((row) => {
    row.error.hidden = true;
    row.error.textContent = "";
    row.li.classList.remove("refused");
    Object.values(row.fields).forEach((f) => f.removeAttribute("aria-invalid"));
  });
  return {
    fieldset: true,
    body: [el("legend", { text: ui.label }),
      el("div", { class: "layer-bar" }, count, add), list],
    set: (v) => {
      layers = v.map((l) => ({ ...l }));
      render();
    },
    showError: ([index, field], message) => {
      const row = rows[Number(index)];
      if (!row) return false;
      row.error.textContent = message;
      row.error.hidden = false;
      row.li.classList.add("refused");
      // A check across fields names none: mark those its message mentions.
      const named = field ? [field] : Object.keys(row.fields).filter((k) => message.includes(k));
      named.forEach((k) => row.fields[k]?.setAttribute("aria-invalid", "true"));
      return true;
    },
    clearErrors,
  };
}
