/**
 * `raw_input_contents` / `raw_output_contents`: tensor data as little-endian bytes, as
 * Triton sends it. Fixed-size elements are read as a typed-array view over the received
 * message (a single copy only when the bytes are misaligned for the element size); each
 * BYTES element is a 4-byte little-endian length followed by its bytes.
 */
import {
  CodecError,
  DATATYPE_SIZES,
  type Datatype,
  type Tensor,
  type TensorData,
  typedArrayView,
} from '@infer/codecs';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function assertLittleEndian(): void {
  if (!LITTLE_ENDIAN) {
    throw new CodecError('raw tensor contents are only supported on little-endian hosts');
  }
}

/**
 * The typed data of one tensor from its raw bytes; `where` names it in messages. Throws
 * `CodecError` when the byte length does not fit `count` elements of `datatype`.
 *
 * @internal
 * @example
 * rawToData('FP32', bytes, 4, 'raw_input_contents[0] (input "x")'); // Float32Array(4), a view over bytes
 */
export function rawToData(
  datatype: Datatype,
  bytes: Uint8Array,
  count: number,
  where: string,
  input?: string,
): TensorData {
  const context = input === undefined ? {} : { input };
  if (datatype === 'BYTES') return readStrings(bytes, count, where, context);
  assertLittleEndian();
  const size = DATATYPE_SIZES[datatype];
  if (bytes.byteLength !== count * size) {
    throw new CodecError(
      `${where} has ${bytes.byteLength} bytes but ${count} ${datatype} elements need ${count * size}`,
      context,
    );
  }
  if (datatype === 'BOOL') {
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i]! > 1) {
        throw new CodecError(`${where}: BOOL element ${i} is ${bytes[i]}, must be 0 or 1`, {
          ...context,
          index: i,
        });
      }
    }
  }
  return typedArrayView(datatype, bytes, count);
}

function readStrings(
  bytes: Uint8Array,
  count: number,
  where: string,
  context: { input?: string },
): Uint8Array[] {
  if (count > bytes.length / 4) {
    throw new CodecError(
      `${where}: ${count} BYTES elements need at least ${count * 4} bytes (4-byte lengths) but it has ${bytes.length}`,
      context,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Array<Uint8Array>(count);
  let offset = 0;
  for (let i = 0; i < count; i++) {
    if (bytes.length - offset < 4) {
      throw new CodecError(
        `${where}: BYTES element ${i} needs a 4-byte length at offset ${offset} but only ${bytes.length - offset} bytes are left`,
        { ...context, index: i },
      );
    }
    const length = view.getUint32(offset, true);
    offset += 4;
    if (length > bytes.length - offset) {
      throw new CodecError(
        `${where}: BYTES element ${i} declares ${length} bytes but only ${bytes.length - offset} are left`,
        { ...context, index: i },
      );
    }
    out[i] = bytes.subarray(offset, offset + length);
    offset += length;
  }
  if (offset !== bytes.length) {
    throw new CodecError(
      `${where}: ${bytes.length - offset} bytes are left after the last of ${count} BYTES elements`,
      context,
    );
  }
  return out;
}

/**
 * The raw bytes of a tensor's data as a Node `Buffer`: a view over fixed-size data (no copy;
 * BOOL normalised to 0/1), or length-prefixed BYTES elements. A `Buffer` because protobufjs
 * copies a `Buffer` with one `copy()` but a plain `Uint8Array` byte by byte.
 *
 * @internal
 * @example
 * dataToRaw({ name: 'y', datatype: 'FP32', shape: [2], data: new Float32Array([1, 2]) }); // <Buffer 00 00 80 3f 00 00 00 40>
 */
export function dataToRaw(tensor: Tensor): Buffer {
  if (tensor.datatype === 'BYTES') {
    const elements = tensor.data as Uint8Array[];
    let total = 0;
    for (const element of elements) total += 4 + element.byteLength;
    const out = Buffer.allocUnsafe(total);
    let offset = 0;
    for (const element of elements) {
      out.writeUInt32LE(element.byteLength, offset);
      out.set(element, offset + 4);
      offset += 4 + element.byteLength;
    }
    return out;
  }
  assertLittleEndian();
  const data = tensor.data as Exclude<TensorData, Uint8Array[]>;
  if (tensor.datatype === 'BOOL' && (data as Uint8Array).some((value) => value > 1)) {
    return Buffer.from((data as Uint8Array).map((value) => (value ? 1 : 0)));
  }
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
