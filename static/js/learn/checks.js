// A lesson's checks: each asks the server for its presentation (a generated check gets a
// fresh variant issued to this learner), takes an answer and shows the verdict, the worked
// solution and what the attempt unlocked. Lab challenges name this page's live run; the
// server grades them from its own copy of that run, never from anything the page says.

import { typeset } from "./math.js";
import { answerInputs, api, el, problem, showVerdict } from "./ui.js";

const lesson = document.getElementById("lesson");
const lessonId = lesson.dataset.lessonId;
const signedIn = lesson.dataset.signedIn === "yes";
const unlockedBox = document.getElementById("unlocked");

function showUnlocked(unlocked) {
  if (!unlocked?.length) return;
  unlockedBox.replaceChildren(el("p", { class: "unlock-note" },
    el("strong", { text: "Unlocked: " }),
    unlocked.map((c) => c.title).join(", "), ". ",
    el("a", { href: "/map", text: "See it on the concept map" }), "."));
}

function showLevels(levels) {
  for (const [concept, level] of Object.entries(levels ?? {})) {
    const span = document.querySelector(`[data-level-of="${CSS.escape(concept)}"]`);
    if (span) span.textContent = level.replace(/_/g, " ");
  }
}

class CheckCard {
  constructor(item) {
    this.item = item;
    this.id = item.dataset.check;
    this.path = `/api/lessons/${encodeURIComponent(lessonId)}/checks/${encodeURIComponent(this.id)}`;
  }

  async load() {
    const result = await api(this.path);
    if (!result.ok) {
      this.item.replaceChildren(el("p", { class: "error", text: problem(result) }));
      return;
    }
    this.render(result.body);
  }

  render(check) {
    this.check = check;
    const key = `check-${this.id}`;
    const form = el("form", { class: "check-form", novalidate: true });
    const answer = el("div", { class: "answer" });
    this.verdict = el("div", { class: "result", "aria-live": "polite" });
    this.note = el("p", { class: "note", role: "status" });
    const best = this.item.dataset.best;
    const before = best === undefined ? null : el("p", { class: "before muted" },
      Number(best) >= 1 ? "You have answered this one right before; answer again to practise."
        : `Your best so far: ${Math.round(Number(best) * 100)}%.`);
    const prompt = el("div", { class: "prompt prose", html: check.prompt_html });
    // replaceChildren() would print a null as the text "null": leave the absent note out.
    this.item.replaceChildren(...[prompt, before, form, this.verdict].filter(Boolean));
    form.append(answer);
    if (check.kind === "lab") {
      answer.append(el("ul", { class: "requirement" },
        ...check.requirement.map((line) => el("li", { text: line }))));
      const query = this.item.dataset.presetQuery;
      if (query) {
        answer.append(el("p", {}, el("a", { href: `${location.pathname}${query}`, class: "load-preset", text: "Load the challenge's starting settings" })));
      }
      this.read = () => {
        const run = document.getElementById("lab")?.dataset.run;
        if (!run) throw new Error("Start the lab above first: the server checks its own run.");
        return { run };
      };
    } else {
      const read = answerInputs(answer, check, key);
      this.read = () => ({ response: read(), ...(check.variant ? { variant: check.variant } : {}) });
    }
    const label = check.kind === "lab" ? "Check my run" : "Submit";
    this.button = el("button", { type: "submit", class: "btn primary", text: label });
    form.append(el("div", { class: "actions" }, this.button, this.note));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    typeset(this.item);
  }

  async submit() {
    let body;
    try {
      body = this.read();
    } catch (error) {
      this.note.textContent = error.message;
      return;
    }
    this.note.textContent = "";
    this.button.disabled = true;
    const result = await api(`${this.path}/attempts`, { method: "POST", body });
    this.button.disabled = false;
    if (!result.ok) {
      if (result.status === 401 || !signedIn) {
        this.note.replaceChildren(el("a", { href: `/login?next=${encodeURIComponent(location.pathname)}`, text: "Log in" }), " to have your answers graded and saved.");
      } else {
        this.note.textContent = problem(result);
      }
      return;
    }
    this.item.dataset.score = String(result.body.score);
    this.item.dataset.best = String(Math.max(result.body.score, Number(this.item.dataset.best ?? 0)));
    showVerdict(this.verdict, result.body);
    showLevels(result.body.level);
    showUnlocked(result.body.unlocked);
    if (this.check.kind === "generated") {
      this.button.textContent = "New numbers";
      this.button.type = "button";
      this.button.addEventListener("click", () => this.load(), { once: true });
    }
  }
}

for (const item of document.querySelectorAll(".lesson-check[data-check]")) new CheckCard(item).load();
