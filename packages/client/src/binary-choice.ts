import type { Tensor } from '@infer/codecs';

const strictDecoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Whether a request goes with the binary tensor extension: as forced, else when its data
 * holds at least `threshold` bytes, or holds what JSON cannot carry (BYTES that are not
 * UTF-8, such as encoded images; NaN or Infinity).
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
  if (bytes >= threshold) return true;
  return inputs.some(needsBinary);
}

/** Bytes of a tensor's data in the binary extension (BYTES: 4-byte length per element). */
function dataBytes(tensor: Tensor): number {
  if (tensor.datatype !== 'BYTES') return (tensor.data as ArrayBufferView).byteLength;
  let total = 0;
  for (const item of tensor.data as Uint8Array[]) total += 4 + item.byteLength;
  return total;
}

/** True when JSON cannot carry the tensor's data. Only called below the threshold (small data). */
function needsBinary(tensor: Tensor): boolean {
  switch (tensor.datatype) {
    case 'BYTES':
      return (tensor.data as Uint8Array[]).some((item) => !isUtf8(item));
    case 'FP32':
    case 'FP64':
      return (tensor.data as Float32Array | Float64Array).some((value) => !Number.isFinite(value));
    case 'FP16':
      // Exponent bits all ones: Infinity or NaN.
      return (tensor.data as Uint16Array).some((half) => (half & 0x7c00) === 0x7c00);
    case 'BF16':
      return (tensor.data as Uint16Array).some((bits) => (bits & 0x7f80) === 0x7f80);
    default:
      return false;
  }
}

function isUtf8(bytes: Uint8Array): boolean {
  try {
    strictDecoder.decode(bytes);
    return true;
  } catch {
    return false;
  }
}
