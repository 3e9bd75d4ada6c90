/**
 * The binary tensor data extension, as Triton and KServe implement it: the body is a JSON
 * header of `Inference-Header-Content-Length` bytes followed by the raw tensors, in the
 * order of the tensors that carry `parameters.binary_data_size`. Fixed-size elements are
 * little-endian; each BYTES element is a 4-byte little-endian length and its bytes.
 */
import { DATATYPE_SIZES, type FixedSizeDatatype, typedArrayConstructor } from './datatypes';
import { type ElementContext, elementError } from './decode-json-elements';
import { describeValue } from './describe-value';
import { CodecError } from './errors';
import type { Datatype, Tensor, TensorData } from './types';

/**
 * The HTTP header (lower-case) that gives the length of the JSON part of a binary body.
 *
 * @example
 * headers[BINARY_HEADER] = String(jsonLength);
 */
export const BINARY_HEADER = 'inference-header-content-length';

/**
 * Content type of a body that uses the binary extension.
 *
 * @example
 * if (headers['content-type'] === BINARY_CONTENT_TYPE) console.log('binary');
 */
export const BINARY_CONTENT_TYPE = 'application/octet-stream';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Checks an `Inference-Header-Content-Length` value (number or decimal string) against the
 * body and returns it.
 *
 * @internal
 */
export function parseHeaderLength(value: unknown, bodyLength: number): number {
  const length =
    typeof value === 'string' && /^\d{1,15}$/.test(value.trim()) ? Number(value.trim()) : value;
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) {
    throw new CodecError(
      `Inference-Header-Content-Length must be a non-negative integer, got ${describeValue(value)}`,
    );
  }
  if (length > bodyLength) {
    throw new CodecError(
      `Inference-Header-Content-Length is ${length} but the body has only ${bodyLength} bytes`,
    );
  }
  return length;
}

/**
 * Typed data of one tensor from its slice of a binary body: a view over the body (no copy)
 * when the slice is aligned for the element size, a copy otherwise. Sizes are checked
 * against the shape before anything is read.
 *
 * @internal
 */
export function readBinaryTensor(
  datatype: Datatype,
  bytes: Uint8Array,
  count: number,
  context: ElementContext,
): TensorData {
  if (datatype === 'BYTES') return readBinaryStrings(bytes, count, context);
  if (!LITTLE_ENDIAN) {
    throw new CodecError('the binary tensor extension is only supported on little-endian hosts');
  }
  const size = DATATYPE_SIZES[datatype];
  if (bytes.byteLength !== count * size) {
    throw new CodecError(
      `${context.where}: parameters.binary_data_size is ${bytes.byteLength} bytes but ${count} ${datatype} elements need ${count * size}`,
      { input: context.input },
    );
  }
  if (datatype === 'BOOL') {
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i]! > 1) throw elementError(context, i, '0 or 1 (BOOL)', bytes[i]);
    }
  }
  return typedArrayView(datatype, bytes, count);
}

/**
 * A typed array of `count` elements of `datatype` over `bytes` (little-endian): a view, no
 * copy, when `bytes` is aligned for the element size; else one copy into a fresh buffer.
 * Shared by the binary extension and gRPC's raw contents.
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

function readBinaryStrings(
  bytes: Uint8Array,
  count: number,
  context: ElementContext,
): Uint8Array[] {
  // Every element takes at least its 4-byte length: reject a huge declared count up front.
  if (count > bytes.length / 4) {
    throw new CodecError(
      `${context.where}: ${count} BYTES elements need at least ${count * 4} bytes but parameters.binary_data_size is ${bytes.length}`,
      { input: context.input },
    );
  }
  const out = new Array<Uint8Array>(count);
  let offset = 0;
  for (let i = 0; i < count; i++) {
    if (bytes.length - offset < 4) {
      throw new CodecError(
        `${context.where}: BYTES element ${i} needs a 4-byte length at offset ${offset} but only ${bytes.length - offset} bytes are left`,
        { input: context.input, index: i },
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
        `${context.where}: BYTES element ${i} declares ${length} bytes but only ${bytes.length - offset} are left in its binary data`,
        { input: context.input, index: i },
      );
    }
    out[i] = bytes.subarray(offset, offset + length);
    offset += length;
  }
  if (offset !== bytes.length) {
    throw new CodecError(
      `${context.where}: ${bytes.length - offset} bytes are left after the last BYTES element (binary_data_size ${bytes.length})`,
      { input: context.input },
    );
  }
  return out;
}

/**
 * The binary form of a tensor's data: a view over fixed-size data (no copy; BOOL is
 * normalised to 0/1), or length-prefixed elements for BYTES.
 *
 * @internal
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
  if (!LITTLE_ENDIAN) {
    throw new CodecError('the binary tensor extension is only supported on little-endian hosts');
  }
  const data = tensor.data as Exclude<TensorData, Uint8Array[]>;
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (tensor.datatype === 'BOOL' && view.some((value) => value > 1)) {
    return view.map((value) => (value === 0 ? 0 : 1));
  }
  return view;
}

/**
 * One body from the JSON header and the binary chunks that follow it. The header is padded
 * with spaces (valid trailing JSON whitespace) to a multiple of 8 bytes, so the first
 * tensor starts aligned and the receiver can view it without a copy.
 *
 * @internal
 */
export function joinBinaryBody(
  json: Uint8Array,
  chunks: readonly Uint8Array[],
): { body: Uint8Array; headerLength: number } {
  const headerLength = Math.ceil(json.byteLength / 8) * 8;
  let total = headerLength;
  for (const chunk of chunks) total += chunk.byteLength;
  const body = new Uint8Array(total);
  body.set(json, 0);
  body.fill(0x20, json.byteLength, headerLength);
  let offset = headerLength;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { body, headerLength };
}
