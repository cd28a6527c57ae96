// The LWF1 binary codec of protocol v1 (docs/protocol.md), the mirror of
// app/protocol/codec.py. Pure: no DOM, no socket, no Plotly; runs under node as well.

export const MAGIC = "LWF1";
const ALIGN = 8;
const DTYPES = { float32: Float32Array, uint8: Uint8Array, int32: Int32Array };
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** A binary message that does not follow the LWF1 layout. */
export class DecodeError extends Error {}

const pad = (n) => (ALIGN - (n % ALIGN)) % ALIGN;

function readArray(bytes, start, spec) {
  const Typed = DTYPES[spec.dtype];
  if (!Typed) throw new DecodeError(`array ${spec.name}: unknown dtype ${spec.dtype}`);
  const count = spec.shape.reduce((a, b) => a * b, 1);
  const begin = bytes.byteOffset + start + spec.offset;
  const size = count * Typed.BYTES_PER_ELEMENT;
  if (start + spec.offset + size > bytes.byteLength) {
    throw new DecodeError(`array ${spec.name} runs past the end of the message`);
  }
  if (LITTLE_ENDIAN && begin % Typed.BYTES_PER_ELEMENT === 0) {
    return new Typed(bytes.buffer, begin, count); // a view: no copy
  }
  // Unaligned (a view into a larger buffer) or a big-endian machine: read value by value.
  const view = new DataView(bytes.buffer, begin, size);
  const out = new Typed(count);
  for (let i = 0; i < count; i++) {
    if (spec.dtype === "float32") out[i] = view.getFloat32(4 * i, true);
    else if (spec.dtype === "int32") out[i] = view.getInt32(4 * i, true);
    else out[i] = view.getUint8(i);
  }
  return out;
}

/**
 * Decode one LWF1 message (ArrayBuffer or a view such as a node Buffer).
 * Returns {type, step, time, metrics, arrays: {name: {name, dtype, shape, scale, data}}, extra}.
 */
export function decode(message) {
  const bytes = message instanceof ArrayBuffer ? new Uint8Array(message) : new Uint8Array(
    message.buffer, message.byteOffset, message.byteLength);
  if (bytes.byteLength < 8 || String.fromCharCode(...bytes.subarray(0, 4)) !== MAGIC) {
    throw new DecodeError("not an LWF1 message");
  }
  const length = new DataView(bytes.buffer, bytes.byteOffset + 4, 4).getUint32(0, true);
  if (8 + length > bytes.byteLength) throw new DecodeError("header runs past the end");
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
  const start = 8 + length + pad(8 + length);
  const arrays = {};
  for (const spec of header.arrays || []) {
    arrays[spec.name] = {
      name: spec.name,
      dtype: spec.dtype,
      shape: spec.shape,
      scale: spec.scale || null,
      data: readArray(bytes, start, spec),
    };
  }
  const { type, step, time, metrics = {}, arrays: _specs, ...extra } = header;
  return { type, step, time, metrics, arrays, extra };
}

/** An array's real values as a Float32Array (undoes uint8 quantisation; ints become floats). */
export function values(array) {
  if (!array) return new Float32Array(0);
  if (array.dtype === "float32") return array.data;
  const out = new Float32Array(array.data.length);
  if (array.scale) {
    const [lo, hi] = array.scale;
    const k = (hi - lo) / 255;
    for (let i = 0; i < out.length; i++) out[i] = lo + k * array.data[i];
  } else {
    out.set(array.data);
  }
  return out;
}

/**
 * Encode one LWF1 message, the mirror of app/protocol/codec.py's encode.
 * `arrays`: [{name, dtype, shape, data (typed array), scale?}].
 */
export function encode({ type, step, time, metrics = {}, arrays = [], ...extra }) {
  const specs = [];
  let offset = 0;
  for (const a of arrays) {
    const Typed = DTYPES[a.dtype];
    if (!Typed || !(a.data instanceof Typed)) throw new TypeError(`array ${a.name}: bad dtype`);
    if ((a.dtype === "uint8") !== Boolean(a.scale)) {
      throw new TypeError(`array ${a.name}: a uint8 array needs a scale, others none`);
    }
    const spec = { name: a.name, dtype: a.dtype, shape: a.shape, offset };
    if (a.scale) spec.scale = a.scale;
    specs.push(spec);
    offset += a.data.byteLength + pad(a.data.byteLength);
  }
  const header = new TextEncoder().encode(
    JSON.stringify({ type, step, time, metrics, arrays: specs, ...extra }));
  const start = 8 + header.length + pad(8 + header.length);
  const out = new Uint8Array(start + offset); // zero-filled: the padding
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(4, header.length, true);
  out.set(header, 8);
  arrays.forEach((a, i) => {
    const raw = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
    out.set(raw, start + specs[i].offset); // little-endian hosts only, like every browser
  });
  return out.buffer;
}

