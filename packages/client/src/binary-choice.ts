import type { Tensor } from '@infer/codecs';

/**
 * Whether a request goes with the binary tensor extension: as forced, else when its data
 * holds at least `threshold` bytes. (A small request that JSON cannot carry, such as NaN or
 * BYTES that are not UTF-8, switches to binary when its JSON encoding fails: see
 * `HttpTransport`.)
 *
 * @internal
 */
export function chooseBinary(
  inputs: readonly Tensor[],
  forced: boolean | undefined,
  threshold: number,
): boolean {
  if (forced !== undefined) return forced;
  let bytes = 0;
  for (const tensor of inputs) bytes += dataBytes(tensor);
  return bytes >= threshold;
}

/** Bytes of a tensor's data in the binary extension (BYTES: 4-byte length per element). */
function dataBytes(tensor: Tensor): number {
  if (tensor.datatype !== 'BYTES') return (tensor.data as ArrayBufferView).byteLength;
  let total = 0;
  for (const item of tensor.data as Uint8Array[]) total += 4 + item.byteLength;
  return total;
}
