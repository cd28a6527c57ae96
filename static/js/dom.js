// Small helpers of the settings form: building elements, option names, JSON Schema
// references ($ref into $defs, as pydantic writes them) and value comparison.

import { OPTION_LABELS } from "./params.js";
import { stableJson } from "./share.js";

/**
 * An element with attributes (`text`, `class`, `html`, others as attributes) and children;
 * falsy children (null, undefined, false, "") are left out. `html` is only ever given HTML the
 * server rendered from Markdown with raw HTML disabled.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") node.textContent = v;
    else if (k === "html") node.innerHTML = v;
    else if (k === "class") node.className = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  node.append(...children.filter(Boolean));
  return node;
}

export const optionLabel = (v) => OPTION_LABELS[v] ?? String(v);
export const same = (a, b) => stableJson(a) === stableJson(b);

/**
 * A property's schema with references resolved against the root `schema`: `$ref`, a lone
 * `allOf` entry, and (inside arrays) the item schema; keywords beside a `$ref` win.
 */
export function resolve(schema, prop) {
  if (!prop || typeof prop !== "object") return prop;
  let out = prop;
  if (out.allOf?.length === 1) {
    const { allOf, ...rest } = out;
    out = { ...resolve(schema, allOf[0]), ...rest };
  }
  if (out.$ref) {
    const { $ref, ...rest } = out;
    const target = $ref.replace(/^#\//, "").split("/").reduce((o, k) => o?.[k], schema);
    out = { ...resolve(schema, target ?? {}), ...rest };
  }
  if (out.items) out = { ...out, items: resolve(schema, out.items) };
  if (out.properties) {
    out = { ...out, properties: Object.fromEntries(Object.entries(out.properties)
      .map(([k, v]) => [k, resolve(schema, v)])) };
  }
  return out;
}
