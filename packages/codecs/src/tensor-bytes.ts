/**
 * A tensor's data as little-endian bytes and back: the layout both the REST binary tensor
 * extension and gRPC's `raw_input_contents` / `raw_output_contents` use. Fixed-size elements
 * are little-endian; each BYTES element is a 4-byte little-endian length and its bytes (as
 * Triton sends it).
 */
import { DATATYPE_SIZES, type FixedSizeDatatype, typedArrayConstructor } from './datatypes';
import { elementError } from './decode-json-elements';
import { CodecError } from './errors';
import type { Datatype, Tensor, TensorData } from './types';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function assertLittleEndian(): void {
  if (!LITTLE_ENDIAN) {
    throw new CodecError('binary tensor data is only supported on little-endian hosts');
  }
}

/**
 * Names the bytes being read, for error messages: `where` places the tensor (e.g.
 * `inputs[0] "x"`; read only when an error is thrown), `input` is its name.
 */
export interface BytesPlace {
  readonly where: string;
  readonly input?: string | undefined;
}

/**
 * A typed array of `count` elements of `datatype` over `bytes` (little-endian): a view, no
 * copy, when `bytes` is aligned for the element size; else one copy into a fresh buffer.
 *
 * @example
 * typedArrayView('FP32', body.subarray(16, 32), 4); // Float32Array(4) over the body
 */
export function typedArrayView(
  datatype: FixedSizeDatatype,
  bytes: Uint8Array,
  count: number,
): TensorData {
  const Constructor = typedArrayConstructor(datatype);
  if (bytes.byteOffset % DATATYPE_SIZES[datatype] === 0) {
    return new Constructor(bytes.buffer as ArrayBuffer, bytes.byteOffset, count) as TensorData;
  }
  // Misaligned: copy into a fresh buffer. `Uint8Array.prototype.slice` because a Node
  // `Buffer`'s own `slice()` returns a view over the same memory, not a copy.
  const copy = Uint8Array.prototype.slice.call(bytes);
  return new Constructor(copy.buffer, 0, count) as TensorData;
}

/**
 * The typed data of `count` elements of `datatype` from their little-endian bytes: a view over
 * `bytes` for fixed-size datatypes (one copy only when misaligned), one `Uint8Array` view per
 * element for BYTES. Sizes are checked before anything is read; BOOL bytes must be 0 or 1.
 * Throws `CodecError` naming `place` when the bytes do not fit; `sizeName` names the byte
 * count in those messages (e.g. `parameters.binary_data_size` for the binary extension).
 *
 * @example
 * tensorDataFromBytes('FP32', bytes, 4, { where: 'raw_input_contents[0]' }); // Float32Array(4)
 */
export function tensorDataFromBytes(
  datatype: Datatype,
  bytes: Uint8Array,
  count: number,
  place: BytesPlace = { where: 'tensor' },
  sizeName = 'its data',
): TensorData {
  if (datatype === 'BYTES') return readStrings(bytes, count, place, sizeName);
  assertLittleEndian();
  const size = DATATYPE_SIZES[datatype];
  if (bytes.byteLength !== count * size) {
    throw new CodecError(
      `${place.where}: ${sizeName} is ${bytes.byteLength} bytes but ${count} ${datatype} elements need ${count * size}`,
      { input: place.input },
    );
  }
  if (datatype === 'BOOL') {
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i]! > 1) {
        throw elementError(
          { where: place.where, input: place.input ?? '' },
          i,
          '0 or 1 (BOOL)',
          bytes[i],
        );
      }
    }
  }
  return typedArrayView(datatype, bytes, count);
}

function readStrings(
  bytes: Uint8Array,
  count: number,
  place: BytesPlace,
  sizeName: string,
): Uint8Array[] {
  const { where, input } = place;
  // Every element takes at least its 4-byte length: reject a huge declared count up front.
  if (count > bytes.length / 4) {
    throw new CodecError(
      `${where}: ${count} BYTES elements need at least ${count * 4} bytes but ${sizeName} is ${bytes.length}`,
      { input },
    );
  }
  const out = new Array<Uint8Array>(count);
  let offset = 0;
  for (let i = 0; i < count; i++) {
    if (bytes.length - offset < 4) {
      throw new CodecError(
        `${where}: BYTES element ${i} needs a 4-byte length at offset ${offset} but only ${bytes.length - offset} bytes are left`,
        { input, index: i },
      );
    }
    const length =
      (bytes[offset]! |
        (bytes[offset + 1]! << 8) |
        (bytes[offset + 2]! << 16) |
        (bytes[offset + 3]! << 24)) >>>
      0;
    offset += 4;
    if (length > bytes.length - offset) {
      throw new CodecError(
        `${where}: BYTES element ${i} declares ${length} bytes but only ${bytes.length - offset} are left`,
        { input, index: i },
      );
    }
    out[i] = bytes.subarray(offset, offset + length);
    offset += length;
  }
  if (offset !== bytes.length) {
    throw new CodecError(
      `${where}: ${bytes.length - offset} bytes are left after the last of ${count} BYTES elements (${sizeName} is ${bytes.length})`,
      { input },
    );
  }
  return out;
}

/**
 * The little-endian bytes of a tensor's data: a view over fixed-size data (no copy; BOOL is
 * normalised to 0/1 with a copy only when needed), or length-prefixed elements for BYTES.
 *
 * @example
 * tensorBytes({ name: 'y', datatype: 'FP32', shape: [2], data: new Float32Array([1, 2]) });
 * // Uint8Array [0, 0, 128, 63, 0, 0, 0, 64]
 */
export function tensorBytes(tensor: Tensor): Uint8Array {
  if (tensor.datatype === 'BYTES') {
    const items = tensor.data as Uint8Array[];
    let total = 0;
    for (const item of items) total += 4 + item.byteLength;
    const out = new Uint8Array(total);
    let offset = 0;
    for (const item of items) {
      const length = item.byteLength;
      out[offset] = length & 0xff;
      out[offset + 1] = (length >>> 8) & 0xff;
      out[offset + 2] = (length >>> 16) & 0xff;
      out[offset + 3] = (length >>> 24) & 0xff;
      out.set(item, offset + 4);
      offset += 4 + length;
    }
    return out;
  }
  assertLittleEndian();
  const data = tensor.data as Exclude<TensorData, Uint8Array[]>;
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (tensor.datatype === 'BOOL' && view.some((value) => value > 1)) {
    return view.map((value) => (value === 0 ? 0 : 1));
  }
  return view;
}
