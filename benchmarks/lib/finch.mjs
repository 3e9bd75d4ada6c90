/**
 * The benchmark image: `fixtures/finch.jpeg` as MobileNetV2 wants it (224x224 RGB, centre
 * crop, [0,1], ImageNet mean/std, CHW FP32) through @infer/codecs' `decodeImage` (sharp).
 * MobileNetV2 int8 must answer class 12 (house finch), logit ~17.1.
 */
import { readFile } from 'node:fs/promises';
import { decodeImage, encodeInferenceRequest } from '@infer/codecs';

/** ImageNet class the finch must get. */
export const FINCH_CLASS = 12;

/** The finch as a Float32Array of 3 * 224 * 224 values. */
export async function finchPixels() {
  const bytes = await readFile(new URL('../../fixtures/finch.jpeg', import.meta.url));
  const tensor = await decodeImage(bytes, {
    width: 224,
    height: 224,
    fit: 'cover',
    layout: 'CHW',
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
  });
  return tensor.data;
}

/**
 * One MobileNet request for the finch in the binary tensor extension, binary output asked:
 * `{ body, headers }` (0.57 MiB).
 */
export async function finchBinaryRequest() {
  return encodeInferenceRequest(
    {
      inputs: [
        { name: 'input', datatype: 'FP32', shape: [1, 3, 224, 224], data: await finchPixels() },
      ],
      parameters: { binary_data_output: true },
    },
    { binary: true },
  );
}

/** Index of the largest value. */
export function argmax(values) {
  let best = 0;
  for (let index = 1; index < values.length; index++)
    if (values[index] > values[best]) best = index;
  return best;
}
