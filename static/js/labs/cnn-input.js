// Choosing the CNN's input: a page of test images to click, and an 8 × 8 drawing pad
// (pointer, touch or keyboard) whose pixels go to the server as the `drawing` param.

import { values } from "../codec.js";
import { el } from "../dom.js";
import { paint } from "../plots/raster.js";
import { ink } from "../plots/theme.js";

const PAGE = 60; // divisible by the 10, 12 or 6 thumbnails a row holds on laptops and tablets

/** The test-image strip: pages of thumbnails; `onPick(i)` when one is chosen. */
export class TestPicker {
  constructor(root, onPick) {
    this.root = root;
    this.onPick = onPick;
    this.page = 0;
    this.images = null;
    this.labels = null;
    this.chosen = null;
    this.grid = root.querySelector(".picker-grid");
    this.label = root.querySelector(".picker-page");
    root.querySelector(".picker-prev").addEventListener("click", () => this.show(this.page - 1));
    root.querySelector(".picker-next").addEventListener("click", () => this.show(this.page + 1));
  }

  setDataset(dataset) {
    const images = dataset.arrays["test/images"];
    if (!images) return;
    this.images = { shape: images.shape, data: values(images) };
    this.labels = dataset.arrays["test/labels"]?.data ?? null;
    this.show(this.chosen === null ? this.page : Math.floor(this.chosen / PAGE));
  }

  /** Mark the example in force (null while a drawing is shown). */
  setChosen(index) {
    this.chosen = index;
    for (const b of this.grid.children) {
      b.setAttribute("aria-pressed", String(Number(b.dataset.index) === index));
    }
  }

  show(page) {
    if (!this.images) return;
    const [n, h, w] = this.images.shape;
    const pages = Math.ceil(n / PAGE);
    this.page = Math.max(0, Math.min(pages - 1, page));
    const first = this.page * PAGE;
    const last = Math.min(n, first + PAGE);
    this.label.textContent = `${first + 1}–${last} of ${n}`;
    this.root.querySelector(".picker-prev").disabled = this.page === 0;
    this.root.querySelector(".picker-next").disabled = this.page === pages - 1;
    const buttons = [];
    for (let i = first; i < last; i++) {
      const canvas = el("canvas", { width: w, height: h, "aria-hidden": "true" });
      paint(canvas.getContext("2d"), this.images.data.subarray(i * h * w, (i + 1) * h * w),
        h, w, 0, 0, w, h, ink);
      const digit = this.labels ? this.labels[i] : "?";
      const b = el("button", { type: "button", class: "thumb", "data-index": i,
        "aria-pressed": String(i === this.chosen),
        "aria-label": `Test image ${i}, a ${digit}`, title: `test image ${i} (a ${digit})` },
      canvas, el("span", { class: "thumb-label", text: String(digit), "aria-hidden": "true" }));
      b.addEventListener("click", () => {
        this.setChosen(i);
        this.onPick(i);
      });
      buttons.push(b);
    }
    this.grid.replaceChildren(...buttons);
  }
}

/** The drawing pad: 8 × 8 pixels in [0, 1]; `onDraw(pixels)` after each stroke. */
export class DrawingPad {
  constructor(root, onDraw, onClear) {
    this.canvas = root.querySelector("canvas");
    this.n = 8;
    this.pixels = new Float32Array(this.n * this.n);
    this.cursor = { y: 3, x: 3 };
    this.onDraw = onDraw;
    this.drawing = false;
    const c = this.canvas;
    c.addEventListener("pointerdown", (e) => {
      e.preventDefault();
      c.setPointerCapture(e.pointerId);
      this.drawing = true;
      this.brush(e);
    });
    c.addEventListener("pointermove", (e) => this.drawing && this.brush(e));
    const end = () => {
      if (!this.drawing) return;
      this.drawing = false;
      this.send();
    };
    c.addEventListener("pointerup", end);
    c.addEventListener("pointercancel", end);
    c.addEventListener("keydown", (e) => this.key(e));
    c.addEventListener("focus", () => this.render());
    c.addEventListener("blur", () => this.render());
    root.querySelector(".pad-clear").addEventListener("click", () => {
      this.pixels.fill(0);
      this.render();
      onClear();
    });
    this.render();
  }

  /** Ink the pixel under the pointer fully and its four neighbours lightly. */
  brush(event) {
    const box = this.canvas.getBoundingClientRect();
    const x = Math.floor(((event.clientX - box.left) / box.width) * this.n);
    const y = Math.floor(((event.clientY - box.top) / box.height) * this.n);
    if (x < 0 || y < 0 || x >= this.n || y >= this.n) return;
    this.cursor = { y, x };
    this.ink(y, x, 1);
    for (const [dy, dx] of [[0, 1], [0, -1], [1, 0], [-1, 0]]) this.ink(y + dy, x + dx, 0.35);
    this.render();
  }

  ink(y, x, v) {
    if (x < 0 || y < 0 || x >= this.n || y >= this.n) return;
    const i = y * this.n + x;
    this.pixels[i] = Math.max(this.pixels[i], v);
  }

  /** Arrows move the cursor; Space or Enter inks or clears its pixel. */
  key(event) {
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    const { y, x } = this.cursor;
    if (moves[event.key]) {
      const [dy, dx] = moves[event.key];
      this.cursor = { y: Math.max(0, Math.min(this.n - 1, y + dy)),
        x: Math.max(0, Math.min(this.n - 1, x + dx)) };
    } else if (event.key === " " || event.key === "Enter") {
      const i = y * this.n + x;
      this.pixels[i] = this.pixels[i] > 0.5 ? 0 : 1;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.send(), 250);
    } else {
      return;
    }
    event.preventDefault();
    this.render();
  }

  /** Show pixels that came from elsewhere (a shared link), unless a stroke is under way. */
  show(pixels) {
    if (this.drawing || pixels.length !== this.pixels.length) return;
    this.pixels.set(pixels);
    this.render();
  }

  send() {
    this.onDraw(Array.from(this.pixels, (v) => Math.round(v * 1000) / 1000));
  }

  render() {
    const ctx = this.canvas.getContext("2d");
    const n = this.n;
    paint(ctx, this.pixels, n, n, 0, 0, this.canvas.width, this.canvas.height, ink);
    const cell = this.canvas.width / n;
    ctx.strokeStyle = "rgba(82, 96, 109, 0.25)";
    ctx.lineWidth = 1;
    for (let k = 1; k < n; k++) {
      ctx.beginPath();
      ctx.moveTo(k * cell + 0.5, 0);
      ctx.lineTo(k * cell + 0.5, this.canvas.height);
      ctx.moveTo(0, k * cell + 0.5);
      ctx.lineTo(this.canvas.width, k * cell + 0.5);
      ctx.stroke();
    }
    if (document.activeElement === this.canvas) {
      ctx.strokeStyle = "#D55E00";
      ctx.lineWidth = 3;
      ctx.strokeRect(this.cursor.x * cell + 1.5, this.cursor.y * cell + 1.5, cell - 3, cell - 3);
    }
  }
}
