import type { Tensor } from '@infer/codecs';

/**
 * Bytes of the inputs' data in the binary tensor extension (BYTES: a 4-byte length per
 * element): a request goes binary, unless forced either way, from `binaryThreshold` bytes on.
 * (A small request that JSON cannot carry, such as NaN or BYTES that are not UTF-8, switches
 * to binary when its JSON encoding fails: see `HttpTransport`.)
 *
 * @internal
 */
export function binaryBytes(inputs: readonly Tensor[]): number {
  let bytes = 0;
  for (const { datatype, data } of inputs) {
    if (datatype !== 'BYTES') bytes += (data as ArrayBufferView).byteLength;
    else for (const item of data as Uint8Array[]) bytes += 4 + item.byteLength;
  }
  return bytes;
}
