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
  rnn: {
    task: { group: "data", label: "Task" },
    seq_len: { group: "data", label: "Sequence length", unit: "steps", log: true, min: 5 },
    seed: { group: "data", label: "Seed", slider: false },
    cell: { group: "model", label: "Cell" },
    hidden: { group: "model", label: "Hidden units", unit: "per layer", log: true, min: 4 },
    layers: { group: "model", label: "Layers" },
    init: { group: "model", label: "Recurrent init" },
    init_scale: { group: "model", label: "Init scale", unit: "× I or × orthogonal" },
    forget_bias: { group: "model", label: "Forget-gate bias", unit: "LSTM" },
    compare: { group: "model", label: "Compare RNN, LSTM, GRU" },
    tbptt: { group: "training", label: "Truncated BPTT", unit: "steps (0: full)" },
    clip: { group: "training", label: "Gradient clipping" },
    clip_threshold: { group: "training", label: "Clip threshold", log: true, min: 1e-3 },
    ...TRAINING,
    batch_size: { ...TRAINING.batch_size, unit: "sequences" },
    ...DISPLAY,
    example: { group: "display", label: "Shown example", slider: false },
  },
  attention: {
    task: { group: "data", label: "Task" },
    seq_len: { group: "data", label: "Sequence length", unit: "tokens" },
    vocab: { group: "data", label: "Symbols", unit: "tokens" },
    seed: { group: "data", label: "Seed", slider: false },
    layers: { group: "model", label: "Layers" },
    heads: { group: "model", label: "Heads per layer" },
    d_model: { group: "model", label: "Model width", unit: "d_model" },
    mlp: { group: "model", label: "MLP width", unit: "0: none" },
    pos_encoding: { group: "model", label: "Positional encoding" },
    causal: { group: "model", label: "Causal mask" },
    norm: { group: "model", label: "LayerNorm" },
    residual: { group: "model", label: "Residual connections" },
    ...TRAINING,
    batch_size: { ...TRAINING.batch_size, unit: "sequences" },
    ...DISPLAY,
    example: { hidden: true },
    head_layer: { hidden: true },
    head: { hidden: true },
    position: { hidden: true },
    logit_scale: { hidden: true },
  },
  deep: {
    dataset: { group: "data", label: "Dataset" },
    seed: { group: "data", label: "Seed", slider: false },
    depth: { group: "model", label: "Depth", unit: "hidden layers" },
    width: { group: "model", label: "Width", unit: "units", log: true, min: 4 },
    activation: { group: "model", label: "Activation" },
    init: { group: "model", label: "Initialisation" },
    init_std: { group: "model", label: "Init σ", unit: "normal init", log: true, min: 1e-3 },
    norm: { group: "model", label: "Normalisation" },
    residual: { group: "model", label: "Residual connections" },
    compare: { group: "model", label: "Compare with B" },
    b: { hidden: true },
    ...TRAINING,
    sweep: { group: "training", label: "Depth × width sweep" },
    ...DISPLAY,
  },  optimizers: {
    surface: { group: "data", label: "Loss surface" },
    start_x: { group: "data", label: "Start x" },
    start_y: { group: "data", label: "Start y" },
    seed: { group: "data", label: "Seed", slider: false },
    optimizers: { group: "model", label: "Optimisers racing" },
    lr_sgd: { group: "training", label: "SGD learning rate", log: true, min: 1e-4 },
    lr_momentum: { group: "training", label: "Momentum learning rate", log: true, min: 1e-4 },
    lr_nesterov: { group: "training", label: "Nesterov learning rate", log: true, min: 1e-4 },
    lr_rmsprop: { group: "training", label: "RMSProp learning rate", log: true, min: 1e-4 },
    lr_adam: { group: "training", label: "Adam learning rate", log: true, min: 1e-4 },
    lr_adamw: { group: "training", label: "AdamW learning rate", log: true, min: 1e-4 },
    momentum: { group: "training", label: "Momentum", unit: "β" },
    rms_alpha: { group: "training", label: "RMSProp decay", unit: "α" },
    eps: { group: "training", label: "ε", log: true, min: 1e-10 },
    adamw_decay: { group: "training", label: "AdamW decay", unit: "λ", log: true, min: 1e-5 },
    schedule: { group: "training", label: "Schedule" },
    schedule_steps: { group: "training", label: "Schedule length", unit: "steps", log: true },
    step_gamma: { group: "training", label: "Step decay", unit: "×" },
    network: { group: "training", label: "Also train a network" },
    batch_size: { ...TRAINING.batch_size, unit: "points" },
    ...DISPLAY,
    grid_n: { group: "display", label: "Contour grid", unit: "points/axis" },
  },
  regularization: {
    train_size: { group: "data", label: "Training images", log: true, min: 10 },
    augment_shift: { group: "data", label: "Random shift", unit: "px" },
    augment_rotate: { group: "data", label: "Random rotation", unit: "°" },
    augment_noise: { group: "data", label: "Input noise", unit: "σ" },
    seed: { group: "data", label: "Seed", slider: false },
    width: { group: "model", label: "Width", unit: "units", log: true, min: 16 },
    blocks: { group: "model", label: "Residual blocks" },
    dropout: { group: "model", label: "Dropout", unit: "p" },
    stochastic_depth: { group: "model", label: "Stochastic depth", unit: "drop p" },
    ...TRAINING,
    decay_mode: { group: "training", label: "Decay applied as" },
    label_smoothing: { group: "training", label: "Label smoothing", unit: "ε" },
    early_stopping: { group: "training", label: "Early stopping" },
    patience: { group: "training", label: "Patience", unit: "evaluations" },
    restore_best: { group: "training", label: "Restore best weights" },
    batch_size: { ...TRAINING.batch_size, unit: "images" },
    ...DISPLAY,
  },
  transfer: {
    labels: { group: "data", label: "Labels per class", unit: "images" },
    seed: { group: "data", label: "Seed", slider: false },
    mode: { group: "model", label: "Mode" },
    freeze: { group: "model", label: "Trainable layers" },
    pretrain_steps: { group: "training", label: "Pretraining", unit: "steps" },
    ...TRAINING,
    checkpoint_every: { group: "training", label: "Checkpoint every", unit: "steps (0: off)" },
    batch_size: { ...TRAINING.batch_size, unit: "images" },
    ...DISPLAY,
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
  rnn_tanh: "RNN (tanh)",
  rnn_relu: "RNN (ReLU)",
  lstm: "LSTM",
  gru: "GRU",
  orthogonal: "orthogonal",
  identity: "identity",
  scaled: "scaled normal",
  off: "off",
  norm: "by norm",
  value: "by value",
  sinusoidal: "sinusoidal",
  learned: "learned",
  pre: "pre-norm",
  post: "post-norm",
  none: "none",
  xavier_uniform: "Xavier uniform",
  xavier_normal: "Xavier normal",
  he_normal: "He normal",
  he_uniform: "He uniform",
  normal: "normal (σ)",
  batch: "BatchNorm",
  layer: "LayerNorm",
  group: "GroupNorm",
  rms: "RMSNorm",
  gelu: "GELU",
  nesterov: "Nesterov",
  rmsprop: "RMSProp",
  adamw: "AdamW",
  rosenbrock: "Rosenbrock",
  saddle: "saddle",
  bowl: "ill-conditioned bowl",
  constant: "constant",
  step: "step decay",
  cosine: "cosine",
  warmup: "linear warm-up",
  l2: "L2 in the loss",
  decoupled: "decoupled (AdamW)",
  pretrain: "pretrain on 0–4",
  finetune: "fine-tune on 5–9",
  scratch: "from scratch on 5–9",
  compare: "fine-tune vs scratch",
  head: "head only",
  partial: "head + last block",
  adding: "adding",
  copy: "copy (recall)",
  parity: "parity",
  brackets: "balanced brackets",
  reverse: "reverse",
  sort: "sort",
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
