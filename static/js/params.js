// How each lab param is presented: its group, label, unit, slider scale and option names.
// The order here is the order on the page. Params not listed here still get a control
// (from their JSON Schema) in the "training" group, labelled with the schema's title.

export const GROUPS = [
  { id: "data", title: "Data" },
  { id: "model", title: "Model" },
  { id: "training", title: "Training" },
  { id: "display", title: "Display" },
];

export const PARAMS = {
  dataset: { group: "data", label: "Dataset" },
  features: { group: "data", label: "Input features" },
  noise: { group: "data", label: "Noise", unit: "σ" },
  n_samples: { group: "data", label: "Samples", unit: "points" },
  train_fraction: { group: "data", label: "Train share", unit: "of points" },
  seed: { group: "data", label: "Seed", slider: false },
  hidden: { group: "model", label: "Hidden layers" },
  activation: { group: "model", label: "Activation" },
  output: { group: "model", label: "Output" },
  init: { group: "model", label: "Initialisation" },
  optimizer: { group: "training", label: "Optimiser" },
  learning_rate: { group: "training", label: "Learning rate", log: true, min: 1e-4 },
  momentum: { group: "training", label: "Momentum", unit: "β" },
  l2: { group: "training", label: "L2 penalty", unit: "λ", log: true, min: 1e-5 },
  batch_size: { group: "training", label: "Batch size", unit: "points", log: true },
  fps: { group: "display", label: "Frame rate", unit: "frames/s" },
  steps_per_frame: { group: "display", label: "Speed", unit: "steps/frame", log: true },
  grid_n: { group: "display", label: "Boundary grid", unit: "points/axis" },
  neuron_grid: { group: "display", label: "Neuron grid", unit: "points/axis" },
  precision: { group: "display", label: "Picture precision" },
};

export const OPTION_LABELS = {
  relu: "ReLU",
  tanh: "tanh",
  sigmoid: "sigmoid",
  linear: "linear (none)",
  softmax: "softmax (2 logits)",
  xavier: "Xavier (Glorot)",
  he: "He (Kaiming)",
  sgd: "SGD",
  momentum: "SGD + momentum",
  adam: "Adam",
  uint8: "uint8 (small frames)",
  float32: "float32 (exact)",
  x2: "x²",
  y2: "y²",
  sinx: "sin x",
  siny: "sin y",
};

/** Presentation of one param: PARAMS' entry over defaults drawn from its schema. */
export function presentation(name, schema) {
  return { group: "training", label: schema.title ?? name, unit: "", ...PARAMS[name] };
}

/** The bounds of a numeric schema: [min, max], either possibly undefined. */
export function bounds(schema) {
  const min = schema.minimum ?? schema.exclusiveMinimum;
  const max = schema.maximum ?? schema.exclusiveMaximum;
  return [min, max];
}

/**
 * A slider's mapping between its position (0…1000) and the param's value: linear, or
 * logarithmic for params whose useful values span decades (a log slider keeps 0 at its
 * left end when the param allows 0).
 */
export function sliderScale(name, schema) {
  const ui = presentation(name, schema);
  const [min, max] = bounds(schema);
  const integer = schema.type === "integer";
  const snap = (v) => (integer ? Math.round(v) : Number(v.toPrecision(3)));
  if (ui.log) {
    const lo = Math.max(min || 0, ui.min ?? 1);
    const zero = (min ?? 0) === 0 && schema.exclusiveMinimum === undefined && lo > 0;
    const span = Math.log(max / lo);
    return {
      toValue: (pos) => (zero && pos === 0 ? 0 : snap(lo * Math.exp((span * pos) / 1000))),
      toPosition: (v) => (v <= 0 ? 0 : Math.round((1000 * Math.log(Math.max(v, lo) / lo)) / span)),
    };
  }
  return {
    toValue: (pos) => snap(min + ((max - min) * pos) / 1000),
    toPosition: (v) => Math.round((1000 * (v - min)) / (max - min)),
  };
}
