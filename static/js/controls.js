// The settings form, built from a lab's params JSON Schema: enum → select, bounded number →
// slider + number box, boolean → checkbox, array of enum → checkboxes, array of integers →
// a layer editor, array of objects → a layer-stack editor (layerstack.js).
// Every control shows its unit and a one-line hint, and has a slot for a refusal.

import { el, optionLabel, resolve, same } from "./dom.js";
import { layerStackControl } from "./layerstack.js";
import { GROUPS, presentation, sliderScale } from "./params.js";

let uid = 0;

/** Properties in presentation order (the lab's table in params.js), then the others. */
function ordered(properties, table) {
  const rank = (name) => {
    const i = Object.keys(table).indexOf(name);
    return i === -1 ? Infinity : i;
  };
  return Object.entries(properties).sort(([a], [b]) => rank(a) - rank(b));
}

/** The hint under a control: the schema's description and its unit. */
function hint(id, schema, ui) {
  const text = [schema.description, ui.unit ? `(${ui.unit})` : ""].filter(Boolean).join(" ");
  return el("p", { class: "hint", id, text });
}

function selectControl(name, schema, ui, ids, emit) {
  const select = el("select", { id: ids.input, name, "aria-describedby": ids.describedBy });
  for (const v of schema.enum) select.append(el("option", { value: v, text: optionLabel(v) }));
  select.addEventListener("change", () => emit(select.value));
  return {
    body: [el("label", { for: ids.input, text: ui.label }), select],
    set: (v) => { select.value = v; },
  };
}

function numberControl(name, schema, ui, ids, emit) {
  const integer = schema.type === "integer";
  const box = el("input", {
    id: ids.input, name, type: "number", inputmode: integer ? "numeric" : "decimal",
    step: integer ? "1" : "any", min: schema.minimum, max: schema.maximum,
    "aria-describedby": ids.describedBy,
  });
  const withSlider = ui.slider !== false && schema.maximum !== undefined &&
    (schema.minimum !== undefined || schema.exclusiveMinimum !== undefined);
  const parse = (text) => (integer ? Number.parseInt(text, 10) : Number.parseFloat(text));
  const body = [el("label", { for: ids.input, text: ui.label })];
  let slider = null;
  if (withSlider) {
    const scale = sliderScale(ui, schema);
    slider = el("input", { type: "range", min: 0, max: 1000, step: 1, "aria-label":
      `${ui.label} slider`, "aria-describedby": ids.describedBy, tabindex: "-1" });
    slider.addEventListener("input", () => { box.value = scale.toValue(Number(slider.value)); });
    slider.addEventListener("change", () => emit(scale.toValue(Number(slider.value))));
    slider.setPosition = (v) => { slider.value = scale.toPosition(v); };
    body.push(el("div", { class: "number-row" }, slider, box));
  } else {
    body.push(box);
  }
  // The server decides what is allowed: an out-of-range number is sent and refused there.
  box.addEventListener("change", () => {
    const v = parse(box.value);
    if (Number.isFinite(v)) emit(v);
  });
  return {
    body,
    set: (v) => {
      box.value = v;
      slider?.setPosition(v);
    },
  };
}

function booleanControl(name, schema, ui, ids, emit) {
  const box = el("input", { type: "checkbox", id: ids.input, name,
    "aria-describedby": ids.describedBy });
  box.addEventListener("change", () => emit(box.checked));
  return {
    body: [el("label", { class: "check single", for: ids.input }, box,
      document.createTextNode(ui.label))],
    set: (v) => { box.checked = Boolean(v); },
  };
}

function checkboxControl(name, schema, ui, ids, emit) {
  const boxes = schema.items.enum.map((v) => el("input", { type: "checkbox", value: v,
    name, id: `${ids.input}-${v}` }));
  const read = () => boxes.filter((b) => b.checked).map((b) => b.value);
  boxes.forEach((b) => b.addEventListener("change", () => emit(read())));
  const options = el("div", { class: "checks" }, ...boxes.map((b) =>
    el("label", { class: "check", for: b.id }, b, document.createTextNode(optionLabel(b.value)))));
  return {
    fieldset: true,
    body: [el("legend", { text: ui.label }), options],
    set: (v) => boxes.forEach((b) => { b.checked = v.includes(b.value); }),
  };
}

function layersControl(name, schema, ui, ids, emit) {
  const { minimum: lo = 1, maximum: hi = 64 } = schema.items;
  const maxLayers = schema.maxItems ?? 8;
  const minLayers = schema.minItems ?? 0;
  let layers = [];
  const propose = (next) => { // show the proposal at once; the server has the last word
    layers = next;
    render();
    emit(next);
  };
  const list = el("ol", { class: "layers", id: ids.input });
  const count = el("span", { class: "layer-count", "aria-live": "polite" });
  const button = (text, label, onClick) => {
    const b = el("button", { type: "button", class: "btn small", "aria-label": label, text });
    b.addEventListener("click", onClick);
    return b;
  };
  const addLayer = button("+", "Add a hidden layer", () =>
    propose([...layers, layers.at(-1) ?? Math.min(4, hi)]));
  const removeLayer = button("−", "Remove the last hidden layer", () =>
    propose(layers.slice(0, -1)));
  const change = (k, d) => propose(layers.map((u, i) => (i === k ? u + d : u)));
  const row = (k) => {
    const fewer = button("−", `Fewer units in layer ${k + 1}`, () => change(k, -1));
    const more = button("+", `More units in layer ${k + 1}`, () => change(k, +1));
    const units = el("output", { class: "units" });
    const li = el("li", { "data-layer": k },
      el("span", { class: "layer-name", text: `layer ${k + 1}` }), fewer, units, more);
    return { li, fewer, more, units };
  };
  const rows = [];
  const render = () => { // rows are kept, not rebuilt, so a focused button stays focused
    count.textContent = `${layers.length} layer${layers.length === 1 ? "" : "s"}`;
    addLayer.disabled = layers.length >= maxLayers;
    removeLayer.disabled = layers.length <= minLayers;
    while (rows.length < layers.length) {
      rows.push(row(rows.length));
      list.append(rows.at(-1).li);
    }
    while (rows.length > layers.length) rows.pop().li.remove();
    layers.forEach((n, k) => {
      rows[k].units.textContent = `${n} ${ui.unit || "units"}`;
      rows[k].fewer.disabled = n <= lo;
      rows[k].more.disabled = n >= hi;
    });
  };
  return {
    fieldset: true,
    body: [el("legend", { text: ui.label }),
      el("div", { class: "layer-bar" }, removeLayer, count, addLayer), list],
    set: (v) => {
      layers = [...v];
      render();
    },
  };
}

function kindOf(schema) {
  if (schema.enum) return selectControl;
  if (schema.type === "boolean") return booleanControl;
  if (schema.type === "number" || schema.type === "integer") return numberControl;
  if (schema.type === "array" && schema.items?.enum) return checkboxControl;
  if (schema.type === "array" && schema.items?.type === "integer") return layersControl;
  if (schema.type === "array" && schema.items?.type === "object") return layerStackControl;
  return null;
}

/**
 * The settings form. `onChange(name, value)` fires when the learner changes a control;
 * `place` maps a param name to a container outside the groups (e.g. speed in the top bar);
 * `presentation` is the lab's table of groups, labels and units (params.js).
 */
export class Controls {
  constructor(form, schema, { onChange, place = {}, presentation: table = {} }) {
    this.form = form;
    this.controls = {};
    const groups = Object.fromEntries(GROUPS.map((g) => [g.id,
      el("fieldset", { class: "group", "data-group": g.id }, el("legend", { text: g.title }))]));
    for (const [name, raw] of ordered(schema.properties ?? {}, table)) {
      const prop = resolve(schema, raw);
      const ui = presentation(name, prop, table);
      const make = ui.hidden ? null : kindOf(prop);
      if (!make) continue;
      const n = ++uid;
      const ids = { input: `param-${name}-${n}`, hint: `hint-${n}`, error: `error-${n}` };
      ids.describedBy = `${ids.hint} ${ids.error}`;
      const control = make(name, prop, ui, ids, (value) => {
        this.clearError(name);
        onChange(name, value);
      });
      const error = el("p", { class: "control-error", id: ids.error, role: "alert", hidden: true });
      const wrap = el(control.fieldset ? "fieldset" : "div",
        { class: "control", "data-param": name, "aria-describedby": control.fieldset ?
          ids.describedBy : null }, ...control.body, hint(ids.hint, prop, ui), error);
      (place[name] ?? groups[ui.group] ?? groups.training).append(wrap);
      this.controls[name] = { ...control, wrap, error };
    }
    form.replaceChildren(...Object.values(groups).filter((g) => g.children.length > 1));
  }

  /** Show `params`; controls that hold a refused value keep it until changed again. */
  set(params) {
    for (const [name, value] of Object.entries(params)) {
      const c = this.controls[name];
      if (c && !c.wrap.classList.contains("refused") && !same(c.value, value)) {
        c.set(value);
        c.value = value;
      }
    }
  }

  has(name) {
    return name in this.controls;
  }

  /** Show a refusal at a control, or at the part of it that `path` names (a layer row). */
  showError(name, message, path = []) {
    const c = this.controls[name];
    if (!c) return false;
    if (path.length && c.showError?.(path, message)) {
      c.wrap.classList.add("refused");
      c.value = undefined;
      return true;
    }
    c.error.textContent = message;
    c.error.hidden = false;
    c.wrap.classList.add("refused");
    c.value = undefined; // the next `set` restores the value in force once the error clears
    return true;
  }

  clearError(name) {
    const c = this.controls[name];
    if (!c) return;
    c.error.hidden = true;
    c.error.textContent = "";
    c.clearErrors?.();
    c.wrap.classList.remove("refused");
  }
}
