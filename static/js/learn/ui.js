// Small helpers the lesson and review pages share: elements, JSON calls, the answer inputs
// of a check (choices or number fields) and the verdict shown after an attempt.

import { el } from "../dom.js";
import { typeset } from "./math.js";

export { el };

/** fetch() JSON both ways; resolves to {ok, status, body} and never throws on HTTP errors. */
export async function api(path, { method = "GET", body } = {}) {
  const options = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch {
    return { ok: false, status: 0, body: { detail: "The server cannot be reached; try again." } };
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = { detail: `The server answered ${response.status}.` };
  }
  return { ok: response.ok, status: response.status, body: data };
}

/** The error text of a failed call (FastAPI's detail may be a string or a list). */
export function problem(result) {
  const detail = result.body?.detail;
  if (Array.isArray(detail)) return detail.map((d) => d.msg ?? String(d)).join("; ");
  return detail ? String(detail) : `The server answered ${result.status}.`;
}

/**
 * The inputs that answer a choice, numeric or generated check, appended to `parent`.
 * Returns read(): the response object, or throws an Error naming what is missing.
 */
export function answerInputs(parent, check, key) {
  if (check.kind === "choice") {
    const group = el("fieldset", { class: "choices" }, el("legend", { class: "visually-hidden", text: "Your answer" }));
    check.choices_html.forEach((html, index) => {
      const id = `${key}-choice-${index}`;
      group.append(el("div", { class: "choice" },
        el("input", { type: "radio", name: `${key}-choice`, id, value: String(index) }),
        el("label", { for: id, html })));
    });
    parent.append(group);
    return () => {
      const picked = group.querySelector("input:checked");
      if (!picked) throw new Error("Pick one of the answers first.");
      return { choice: Number(picked.value) };
    };
  }
  const inputs = check.fields.map((field, index) => {
    const id = `${key}-field-${index}`;
    const input = el("input", { type: "text", inputmode: "decimal", id, name: field.name, autocomplete: "off", "data-field": field.name });
    parent.append(el("div", { class: "field" },
      field.label_html ? el("label", { for: id, html: field.label_html })
        : el("label", { for: id, text: "Your answer" }), input,
      field.unit ? el("span", { class: "unit", text: field.unit }) : null));
    return { field, input };
  });
  return () => {
    const values = {};
    for (const { field, input } of inputs) {
      const text = input.value.trim().replace(/\u2212/g, "-");
      const value = Number(text);
      if (text === "" || !Number.isFinite(value)) {
        input.focus();
        throw new Error(`Type a number for ${field.label || "the answer"}.`);
      }
      values[field.name] = value;
    }
    return check.kind === "numeric" ? { value: values.value } : { values };
  };
}

/** Show a graded attempt's verdict and worked solution in `box`. */
export function showVerdict(box, result) {
  const verdict = el("p", { class: `verdict ${result.correct ? "right" : "wrong"}`, "data-correct": String(result.correct) },
    el("strong", { text: result.correct ? "Correct. " : `Score ${Math.round(result.score * 100)}%. ` }),
    result.feedback);
  const solution = result.solution_html ? el("div", { class: "solution prose" },
    el("h4", { text: "Worked solution" }), el("div", { html: result.solution_html })) : null;
  box.replaceChildren(...[verdict, solution].filter(Boolean)); // a null would print "null"
  typeset(box);
}
