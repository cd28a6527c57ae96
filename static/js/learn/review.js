// The mixed review: draws a batch of fresh items from the learner's due concepts, takes
// every answer, sends them together and shows each item's verdict and each concept's outcome.

import { typeset } from "./math.js";
import { answerInputs, api, el, problem, showVerdict } from "./ui.js";

const form = document.getElementById("review");
const resultBox = document.getElementById("review-result");

async function start() {
  const result = await api("/api/review");
  if (!result.ok) {
    form.replaceChildren(el("p", { class: "error", text: problem(result) }));
    return;
  }
  const { batch, items, next_due: nextDue } = result.body;
  if (!items.length) {
    const when = nextDue ? ` The next one is due ${new Date(nextDue).toLocaleString()}.` : "";
    form.replaceChildren(el("p", { class: "muted", text: `Nothing is due for review.${when}` }),
      el("p", {}, el("a", { href: "/map", text: "Back to the concept map" })));
    return;
  }
  const readers = [];
  const verdicts = new Map();
  const list = el("ol", { class: "check-list" });
  for (const item of items) {
    const li = el("li", { class: "lesson-check", "data-variant": String(item.variant) },
      el("p", { class: "concept-name muted", text: item.concept.title }),
      el("div", { class: "prompt prose", html: item.prompt_html }));
    const answer = el("div", { class: "answer" });
    li.append(answer);
    readers.push([item.variant, answerInputs(answer, item, `item-${item.variant}`)]);
    const verdict = el("div", { class: "result", "aria-live": "polite" });
    li.append(verdict);
    verdicts.set(item.variant, verdict);
    list.append(li);
  }
  const note = el("p", { class: "note", role: "status" });
  const button = el("button", { type: "submit", class: "btn primary", text: "Submit the review" });
  form.replaceChildren(list, el("div", { class: "actions" }, button, note));
  typeset(form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const answers = {};
    try {
      for (const [variant, read] of readers) answers[String(variant)] = read();
    } catch (error) {
      note.textContent = error.message;
      return;
    }
    button.disabled = true;
    const sent = await api("/api/review", { method: "POST", body: { batch, answers } });
    if (!sent.ok) {
      button.disabled = false;
      note.textContent = problem(sent);
      return;
    }
    note.textContent = "";
    for (const item of sent.body.items) showVerdict(verdicts.get(item.variant), item);
    resultBox.replaceChildren(
      el("h2", { text: `Review score ${Math.round(sent.body.score * 100)}%` }),
      el("ul", { class: "plain" }, ...sent.body.concepts.map((c) => el("li", { "data-concept": c.id },
        `${c.title}: ${Math.round(c.score * 100)}% — ${c.passed ? "passed" : "not passed"}; now ${c.level.replace(/_/g, " ")}.`))),
      el("p", {}, el("a", { href: "/progress", text: "See your progress" })));
  });
}

start();
