// The two-moons lab's stage: the decision boundary over the input plane, the network as
// a picture of thumbnails and weight lines, and the per-layer gradient and weight norms.

import { boundaryTable, drawBoundary } from "../plots/boundary.js";
import { NetworkPicture, networkTable } from "../plots/network.js";
import { drawNorms, layerNames, normsTable } from "../plots/norms.js";

/** The two-moons stage (see labs/index.js for the interface). */
export function createTwoMoonsStage({ root, state }) {
  const $ = (id) => root.querySelector(`#${id}`);
  const network = new NetworkPicture($("network-canvas"));
  const plots = { boundary: $("boundary-plot"), norms: $("norms-plot") };

  /** Sizes of what the frame holds (they change when the learner rebuilds the model). */
  function geometry(frame) {
    const layers = [];
    for (let k = 0; frame.arrays[`weights/${k}`]; k++) {
      const [out, inp] = frame.arrays[`weights/${k}`].shape;
      if (k === 0) layers.push(inp);
      layers.push(out);
    }
    // The extents stay; the point counts are read from the arrays themselves.
    const { grid: extents, meta } = state;
    const [ny, nx] = frame.arrays.boundary?.shape ?? [extents.y[2], extents.x[2]];
    const grid = { x: [extents.x[0], extents.x[1], nx], y: [extents.y[0], extents.y[1], ny] };
    const m = frame.arrays["neurons/0"]?.shape[1] ?? state.params.neuron_grid;
    const { x: mx, y: my } = meta.neuron_grid;
    const features = state.params.features?.length === layers[0] ? state.params.features
      : Array.from({ length: layers[0] }, (_, i) => `in ${i + 1}`);
    const neuronGrid = { x: [mx[0], mx[1], m], y: [my[0], my[1], m] };
    return { grid, layers, meta: { layers, features, neuron_grid: neuronGrid } };
  }

  const names = () => layerNames(geometry(state.frame).layers);
  return {
    draw(frame) {
      const geo = geometry(frame);
      drawBoundary(plots.boundary, frame, state.dataset, geo.grid);
      network.draw(frame, geo.meta, geo.grid);
    },
    sideCharts: [
      { draw: () => drawNorms(plots.norms, state.frame, names()), version: () => state.frame },
    ],
    tables: {
      boundary: () => state.frame && boundaryTable(state.frame, geometry(state.frame).grid),
      network: () => state.frame && networkTable(state.frame, geometry(state.frame).meta),
      norms: () => state.frame && normsTable(state.frame, names()),
    },
    resizes: [$("network-canvas")],
  };
}
