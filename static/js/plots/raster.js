// Small arrays painted pixel by pixel onto a canvas: one offscreen tile per size, scaled up
// without smoothing so each value stays a crisp square (a unit, a pixel, a weight).

const tiles = new Map();

function tile(h, w) {
  const key = `${h}x${w}`;
  if (!tiles.has(key)) {
    const canvas = document.createElement("canvas");
    canvas.width = w;
    canvas.height = h;
    tiles.set(key, canvas);
  }
  return tiles.get(key);
}

/** Paint `data` (C order [h, w], row 0 on top) at (x, y) as a width × height image. */
export function paint(ctx, data, h, w, x, y, width, height, color) {
  const t = tile(h, w);
  const tctx = t.getContext("2d");
  const image = tctx.createImageData(w, h);
  for (let i = 0; i < h * w; i++) {
    const [r, g, b] = color(data[i]);
    image.data[4 * i] = r;
    image.data[4 * i + 1] = g;
    image.data[4 * i + 2] = b;
    image.data[4 * i + 3] = 255;
  }
  tctx.putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(t, x, y, width, height);
}

/** Size a canvas's backing store to its CSS box (times the pixel ratio); returns [w, h]. */
export function fit(canvas, height = null) {
  const dpr = window.devicePixelRatio || 1;
  if (height !== null) canvas.style.height = `${height}px`;
  const w = canvas.clientWidth;
  const h = height ?? canvas.clientHeight;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return [w, h];
}

/** The largest value of an array (1 when all are ≤ 0, so a blank map stays blank). */
export function maxOf(data) {
  let m = 0;
  for (const v of data) if (v > m) m = v;
  return m || 1;
}

/** The largest |value| of an array (1 when all are 0). */
export function maxAbsOf(data) {
  let m = 0;
  for (const v of data) m = Math.max(m, Math.abs(v));
  return m || 1;
}
