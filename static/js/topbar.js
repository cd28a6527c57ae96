// The lab frame's readouts: the run's status line, the transport buttons' states, the step
// counter and steps/s, the export links, and the message area.

const STATUS_TEXT = {
  connecting: () => "Connecting to the server…",
  queued: (d) =>
    `Queued: number ${d.position ?? "?"} in line. Training starts when a slot frees up.`,
  paused: () => "Paused. Press Play, or Step for one training step.",
  running: () => "Training on the server.",
  released: (d) => `Released by the server (${d.reason ?? "idle"}). Reload to start again.`,
  disconnected: (d) => `Disconnected from the server (${d.reason ?? "closed"}).`,
};

/** The numbers and states of the top bar and the exports. */
export class Readouts {
  constructor(root) {
    const q = (id) => root.querySelector(`#${id}`);
    this.el = {
      status: q("status"), play: q("play"), playLabel: q("play-label"), step: q("step"),
      reset: q("reset"), regenerate: q("regenerate"), reconnect: q("reconnect"),
      count: q("step-count"), rate: q("rate"), epoch: q("epoch"),
      weights: q("download-weights"), script: q("download-script"),
    };
    for (const link of [this.el.weights, this.el.script]) {
      link.addEventListener("click", (event) => {
        if (link.getAttribute("aria-disabled") === "true") event.preventDefault();
      });
    }
  }

  status(state, detail) {
    const e = this.el;
    e.status.textContent = (STATUS_TEXT[state] ?? (() => state))(detail);
    e.status.dataset.state = state;
    const live = state === "running" || state === "paused";
    e.playLabel.textContent = state === "running" ? "Pause" : "Play";
    e.play.setAttribute("aria-pressed", String(state === "running"));
    e.play.disabled = !live && state !== "queued";
    e.step.disabled = state !== "paused";
    e.reset.disabled = !live;
    e.regenerate.disabled = !live;
    e.reconnect.hidden = state !== "disconnected";
    for (const link of [e.weights, e.script]) link.setAttribute("aria-disabled", String(!live));
    if (state !== "running") e.rate.textContent = "—";
  }

  frame(frame, rate) {
    this.el.count.textContent = frame.step.toLocaleString("en");
    this.el.rate.textContent = rate === null ? "—" : Math.round(rate).toLocaleString("en");
    const epoch = frame.metrics.epoch;
    this.el.epoch.textContent = typeof epoch === "number" ? epoch.toFixed(1) : "—";
  }

  exports(run) {
    const base = `/api/runs/${encodeURIComponent(run)}`;
    this.el.weights.href = `${base}/weights.pt`;
    this.el.script.href = `${base}/script.py`;
  }
}

/** Messages for the learner (refusals, notices), newest first, at most three. */
export class Messages {
  constructor(container) {
    this.container = container;
  }

  show(text, kind = "info") {
    const item = document.createElement("div");
    item.className = `message ${kind}`;
    const body = document.createElement("p");
    body.textContent = text;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "btn small ghost";
    close.textContent = "×";
    close.setAttribute("aria-label", "Dismiss message");
    close.addEventListener("click", () => item.remove());
    item.append(body, close);
    this.container.prepend(item);
    while (this.container.children.length > 3) this.container.lastElementChild.remove();
    // Refusals also stay inline next to their control, so no message needs to linger.
    setTimeout(() => item.remove(), kind === "info" ? 6000 : 12000);
  }
}
