// The stage module of each lab, by lab id. A stage is made by
// `create({root, socket, state, messages, configure, requestDraw})` and returns:
//   draw(frame)        draw the stage for a new frame (at most once per animation frame)
//   sideCharts         [{draw(), version()}] extra charts of the right column, drawn in turn
//   tables             {name: () => table | null}, the text alternatives of its pictures
//   resizes            elements whose resizing should redraw everything
//   onHello, onStatus, onDataset, onFrame, onProbe, onError   (optional) the server's messages
// `state` is the controller's: hello, meta, grid, params, dataset, frame, status.

import { createAttentionStage } from "./attention.js";
import { createCnnStage } from "./cnn.js";
import { createDeepStage } from "./deep.js";
import { createOptimizersStage } from "./optimizers.js";
import { createRegularizationStage } from "./regularization.js";
import { createRnnStage } from "./rnn.js";
import { createTransferStage } from "./transfer.js";
import { createTwoMoonsStage } from "./two-moons.js";
import { createUpsamplingStage } from "./upsampling.js";

/** A lab without a stage module of its own: only the shared frame and curves. */
function createEmptyStage() {
  return { draw() {}, tables: {} };
}

export const STAGES = {
  "two-moons": createTwoMoonsStage,
  cnn: createCnnStage,
  deep: createDeepStage,
  attention: createAttentionStage,
  upsampling: createUpsamplingStage,
  optimizers: createOptimizersStage,
  regularization: createRegularizationStage,
  transfer: createTransferStage,
  rnn: createRnnStage,
  none: createEmptyStage,
};
