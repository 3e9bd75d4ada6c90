/**
 * `raw_output_contents` as Node `Buffer`s, over codecs' one implementation of the
 * little-endian layout (`tensorBytes`; the binary tensor extension uses the same; reading raw
 * contents is codecs' `decodeGrpcTensor`).
 */
import { type Tensor, tensorBytes } from '@infer/codecs';

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
