/**
 * `raw_input_contents` / `raw_output_contents`: tensor data as little-endian bytes, as
 * Triton sends it, through codecs' one implementation of that layout (the binary tensor
 * extension uses the same). Fixed-size elements are read as a typed-array view over the
 * received message (a single copy only when misaligned); each BYTES element is a 4-byte
 * little-endian length followed by its bytes.
 */
import {
  type Datatype,
  type Tensor,
  type TensorData,
  tensorBytes,
  tensorDataFromBytes,
} from '@infer/codecs';

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
  return tensorDataFromBytes(datatype, bytes, count, { where, input });
}

/**
 * The raw bytes of a tensor's data as a Node `Buffer` over codecs' `tensorBytes` (no copy
 * for fixed-size data). A `Buffer` because protobufjs copies a `Buffer` with one `copy()`
 * but a plain `Uint8Array` byte by byte.
 *
 * @internal
 * @example
 * dataToRaw({ name: 'y', datatype: 'FP32', shape: [2], data: new Float32Array([1, 2]) }); // <Buffer 00 00 80 3f 00 00 00 40>
 */
export function dataToRaw(tensor: Tensor): Buffer {
  const bytes = tensorBytes(tensor);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * A `Buffer` view over bytes (no copy): protobufjs copies a `Buffer` at once but a plain
 * `Uint8Array` byte by byte.
 *
 * @internal
 * @example
 * asBuffer(new Uint8Array([1, 2])); // <Buffer 01 02>
 */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}
