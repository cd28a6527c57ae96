// The recurrent lab's stage: the gradient through time, the shown test sequence with its
// answer, the hidden state and the gates as units × time maps, the global gradient norm
// before and after clipping, and (in compare mode) the three cells' losses side by side.
// In compare mode every model's arrays are named "<model>/…" and its metrics "<model>_…".

import { values } from "../codec.js";
import { drawNorms, normsTable } from "../plots/norms.js";
import {
  drawBlocks, drawCells, drawClip, drawGradTime, g3, gateColor, gradTimeTable, historyTable,
  inputBlock, mapRows, signedBlock, StepHistory,
} from "./rnn-draw.js";
import { examplePicker } from "./example-picker.js";

const CLASS_NAMES = {
  parity: ["even", "odd"],
  brackets: ["unbalanced", "balanced"],
};

/** The recurrent stage (see labs/index.js for the interface). */
export function createRnnStage({ root, state, configure }) {
  const $ = (id) => root.querySelector(`#${id}`);
  const canvases = { input: $("rnn-input-canvas"), hidden: $("rnn-hidden-canvas"),
    gates: $("rnn-gates-canvas") };
  const plots = { time: $("rnn-time-plot"), clip: $("rnn-clip-plot"), cells: $("rnn-cells-plot"),
    norms: $("norms-plot") };
  const clip = new StepHistory();
  const cells = new StepHistory();

  const meta = () => state.meta ?? {};
  const models = () => meta().models ?? [];
  const prefix = (model) => (meta().compare ? `${model}/` : "");
  const arrayOf = (frame, model, name) => frame.arrays[`${prefix(model)}${name}`];

  const picker = examplePicker($, state, configure);

  /** The lines of the gradient-through-time chart: layers of one model, or each model's top. */
  function gradSeries(frame) {
    if (meta().compare) {
      return models().map((model) => {
        const array = arrayOf(frame, model, "grad_time");
        const [layers, steps] = array.shape;
        return { name: model, data: values(array).slice((layers - 1) * steps) };
      });
    }
    const array = arrayOf(frame, models()[0], "grad_time");
    if (!array) return [];
    const [layers, steps] = array.shape;
    return Array.from({ length: layers }, (_, k) => ({
      name: layers > 1 ? `layer ${k + 1}` : models()[0],
      data: values(array).slice(k * steps, (k + 1) * steps),
    }));
  }

  /** "target … · answer …" for the shown sequence. */
  function answer(frame) {
    const m = frame.metrics;
    const task = meta().task;
    if (m.prediction === null || m.prediction === undefined) {
      return `target ${g3(m.target)} · ${meta().primary} has no finite answer (diverged)`;
    }
    if (meta().regression) {
      const right = Math.abs(m.prediction - m.target) < meta().tolerance;
      return `target ${g3(m.target)} · ${meta().primary} answers ${g3(m.prediction)} ` +
        `(${right ? "within" : "outside"} ±${meta().tolerance})`;
    }
    const name = (k) => (CLASS_NAMES[task]?.[k] ?? `symbol ${k}`);
    const right = m.prediction === m.target ? "right" : "wrong";
    return `target ${name(m.target)} · ${meta().primary} answers ${name(m.prediction)} (${right})`;
  }

  function hiddenBlocks(frame) {
    const blocks = [];
    for (const model of models()) {
      for (let k = 0; k < (meta().layers ?? 1); k++) {
        const array = arrayOf(frame, model, `hidden/${k}`);
        if (array) blocks.push(signedBlock(`${model} · layer ${k + 1} · ${array.shape[0]} units`, array));
      }
    }
    return blocks;
  }

  function gateBlocks(frame) {
    const blocks = [];
    for (const model of models()) {
      for (const gate of meta().gates?.[model] ?? []) {
        const array = arrayOf(frame, model, `gates/${gate}`);
        if (!array) continue;
        const [h, w] = array.shape;
        blocks.push({ title: `${model} · ${gate}`, data: values(array), h, w,
          color: gateColor(gate) });
      }
    }
    return blocks;
  }

  /** A frame of the primary model's norms, whatever the arrays' prefix. */
  function normsFrame(frame) {
    const model = meta().primary;
    return { step: frame.step, arrays: { grad_norm: arrayOf(frame, model, "grad_norm"),
      weight_norm: arrayOf(frame, model, "weight_norm") } };
  }

  return {
    onDataset() {
      clip.clear();
      cells.clear();
    },
    onFrame(frame) {
      if (!state.meta) return;
      for (const model of models()) {
        const array = arrayOf(frame, model, "clip_norms");
        if (!array) continue;
        const v = values(array);
        const rows = Array.from({ length: array.shape[0] }, (_, i) => [v[3 * i], v[3 * i + 1], v[3 * i + 2]]);
        clip.add(model, rows);
      }
      if (meta().compare) {
        for (const model of models()) {
          const m = frame.metrics;
          cells.add(model, [[frame.step, m[`${model}_loss`], m[`${model}_test_loss`]]]);
        }
      }
    },
    draw(frame) {
      drawGradTime(plots.time, gradSeries(frame), meta().truncation ?? 0);
      const ratio = frame.metrics.grad_ratio;
      $("rnn-ratio").textContent = ratio === null || ratio === undefined ? "—" : g3(ratio);
      $("rnn-truncation").textContent = meta().truncation
        ? `· gradients flow back ${meta().truncation} of ${meta().seq_len} steps` : "";
      drawBlocks(canvases.input, [inputBlock(frame.arrays.input)]);
      $("rnn-answer").textContent = answer(frame);
      drawBlocks(canvases.hidden, hiddenBlocks(frame));
      const gates = gateBlocks(frame);
      drawBlocks(canvases.gates, gates);
      canvases.gates.dataset.step = String(frame.step);
      canvases.gates.dataset.gates = String(gates.length);
      $("rnn-gates-note").textContent = gates.length ? ""
        : "A vanilla RNN has no gates: pick LSTM or GRU, or compare the cells.";
      drawClip(plots.clip, clip);
      const fig = $("fig-cells");
      if (meta().compare) {
        fig.dataset.compare = "";
        drawCells(plots.cells, cells);
      } else {
        delete fig.dataset.compare;
      }
      picker.sync();
    },
    sideCharts: [
      { draw: () => drawNorms(plots.norms, normsFrame(state.frame), meta().weights ?? []),
        version: () => state.frame },
    ],
    tables: {
      time: () => state.frame && gradTimeTable(gradSeries(state.frame), state.frame.step),
      sequence: () => {
        const frame = state.frame;
        if (!frame) return null;
        const input = frame.arrays.input;
        const [steps, channels] = input.shape;
        const v = values(input);
        return {
          caption: `Test sequence ${state.params.example}: ${answer(frame)}`,
          head: ["t", ...(meta().channels ?? [])],
          rows: Array.from({ length: steps }, (_, t) => [String(t + 1),
            ...Array.from(v.slice(t * channels, (t + 1) * channels), g3)]),
        };
      },
      hidden: () => {
        const frame = state.frame;
        if (!frame) return null;
        const rows = [];
        for (const model of models()) {
          for (let k = 0; k < (meta().layers ?? 1); k++) {
            const array = arrayOf(frame, model, `hidden/${k}`);
            if (array) rows.push(...mapRows(`${model} layer ${k + 1} unit`, array));
          }
        }
        const steps = meta().seq_len ?? 0;
        return { caption: "Hidden state per unit (rows) and time step (columns)",
          head: ["unit", ...Array.from({ length: steps }, (_, t) => `t ${t + 1}`)], rows };
      },
      gates: () => {
        const frame = state.frame;
        if (!frame) return null;
        const rows = [];
        for (const model of models()) {
          for (const gate of meta().gates?.[model] ?? []) {
            const array = arrayOf(frame, model, `gates/${gate}`);
            if (array) rows.push(...mapRows(`${model} ${gate} unit`, array));
          }
        }
        const steps = meta().seq_len ?? 0;
        return { caption: rows.length ? "Gate values of the top layer per unit and time step"
          : "A vanilla RNN has no gates",
        head: ["gate and unit", ...Array.from({ length: steps }, (_, t) => `t ${t + 1}`)], rows };
      },
      clip: () => state.frame && historyTable(clip,
        "Global gradient norm of the last 50 steps, before and after clipping",
        ["before", "after"]),
      cells: () => state.frame && {
        caption: meta().compare ? `Each cell at step ${state.frame.step}`
          : "Compare mode is off: only one cell trains",
        head: ["cell", "train loss", "test loss", "test accuracy", "test MSE", "grad ratio",
          "diverged"],
        rows: (meta().compare ? models() : []).map((model) => {
          const m = state.frame.metrics;
          return [model, g3(m[`${model}_loss`]), g3(m[`${model}_test_loss`]),
            g3(m[`${model}_test_acc`]), g3(m[`${model}_test_mse`]), g3(m[`${model}_grad_ratio`]),
            m[`${model}_diverged`] ? "yes" : "no"];
        }),
      },
      norms: () => state.frame && normsTable(normsFrame(state.frame), meta().weights ?? []),
    },
    resizes: [canvases.input, canvases.hidden, canvases.gates],
  };
}
