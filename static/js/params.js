// How each lab param is presented: its group, label, unit, slider scale and option names.
// Each lab has its own table; its order is the order on the page. Params not listed still
// get a control (from their JSON Schema) in the "training" group, labelled with its title.

export const GROUPS = [
  { id: "data", title: "Data" },
  { id: "model", title: "Model" },
  { id: "training", title: "Training" },
  { id: "display", title: "Display" },
];

// Training and display params that several labs share.
const TRAINING = {
  optimizer: { group: "training", label: "Optimiser" },
  learning_rate: { group: "training", label: "Learning rate", log: true, min: 1e-4 },
  momentum: { group: "training", label: "Momentum", unit: "β" },
  l2: { group: "training", label: "L2 penalty", unit: "λ", log: true, min: 1e-5 },
  weight_decay: { group: "training", label: "Weight decay", unit: "λ", log: true, min: 1e-5 },
  batch_size: { group: "training", label: "Batch size", unit: "examples", log: true },
};
const DISPLAY = {
  fps: { group: "display", label: "Frame rate", unit: "frames/s" },
  steps_per_frame: { group: "display", label: "Speed", unit: "steps/frame", log: true },
  precision: { group: "display", label: "Picture precision" },
};

/** Per lab: its params in page order (`hidden`: set by the stage, not by a control). */
export const LAB_PARAMS = {
  "two-moons": {
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
    ...TRAINING,
    batch_size: { ...TRAINING.batch_size, unit: "points" },
    ...DISPLAY,
    grid_n: { group: "display", label: "Boundary grid", unit: "points/axis" },
    neuron_grid: { group: "display", label: "Neuron grid", unit: "points/axis" },
  },
  cnn: {
    image_size: { group: "data", label: "Image size" },
    n_train: { group: "data", label: "Training images", log: true, min: 50 },
    seed: { group: "data", label: "Seed", slider: false },
    layers: { group: "model", label: "Layer stack" },
    batchnorm: { group: "model", label: "BatchNorm" },
    head: { group: "model", label: "Head" },
    ...TRAINING,
    batch_size: { ...TRAINING.batch_size, unit: "images" },
    ...DISPLAY,
    example: { hidden: true },
    drawing: { hidden: true },
  },
  upsampling: {
    n_train: { group: "data", label: "Training images", log: true, min: 50 },
    seed: { group: "data", label: "Seed", slider: false },
    upsample: { group: "model", label: "Up-sampling" },
    kernel: { group: "model", label: "Transposed kernel", unit: "px" },
    resize_mode: { group: "model", label: "Resize mode" },
    channels: { group: "model", label: "Hidden channels" },
    bottleneck: { group: "model", label: "Code channels", unit: "× 4 × 4" },
    ...TRAINING,
    batch_size: { ...TRAINING.batch_size, unit: "images" },
    ...DISPLAY,
    example: { hidden: true },
  },
};

/** The presentation table of a lab (an unknown lab gets the shared training/display ones). */
export function labParams(labId) {
  return LAB_PARAMS[labId] ?? { ...TRAINING, ...DISPLAY };
}

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
  global_avg: "global average pool",
  flatten: "flatten",
  conv: "conv",
  separable: "separable",
  bottleneck: "bottleneck",
  maxpool: "max pool",
  avgpool: "avg pool",
  transposed: "transposed convolution",
  resize_conv: "resize, then convolve",
  nearest: "nearest neighbour",
  x2: "x²",
  y2: "y²",
  sinx: "sin x",
  siny: "sin y",
};

/** Presentation of one param: the lab's entry over defaults drawn from its schema. */
export function presentation(name, schema, params = {}) {
  return { group: "training", label: schema.title ?? name, unit: "", ...params[name] };
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
export function sliderScale(ui, schema) {
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
