import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** Root directory of an installed package, found from its main entry (exports may hide package.json). */
export function packageDir(name: string): string {
  let dir = dirname(require.resolve(name));
  while (dir !== dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === name)
      return dir;
    dir = dirname(dir);
  }
  throw new Error(`package ${name} not found`);
}

/** ESRGAN-slim x2 super-resolution, a Keras layers model (npm @upscalerjs/esrgan-slim, MIT). */
export const ESRGAN_X2 = join(packageDir('@upscalerjs/esrgan-slim'), 'models', 'x2');

/** The repo's real test photo of a house finch. */
export const FINCH_JPEG = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'finch.jpeg');

/** Models shipped in npm @vladmandic/human (MIT): TF.js graph models. */
export const HUMAN_MODELS = join(packageDir('@vladmandic/human'), 'models');

/** CenterNet (MobileNetV3) COCO object detector, a graph model: 512x512 RGB 0-255 in, `[1,100,6]` detections out. */
export const CENTERNET = join(HUMAN_MODELS, 'centernet.json');

/** A real photo of a group of people, shipped with @vladmandic/human. */
export const PEOPLE_JPEG = join(packageDir('@vladmandic/human'), 'assets', 'samples.jpg');

/**
 * Hand detector (SSD with TF's NonMaxSuppression post-processing), a graph model whose
 * graph holds dynamic ops (`Where`, `NonMaxSuppressionV5`, TensorList loops), so TF.js runs
 * it only through `executeAsync`: INT32 `[1, 320, 320, 3]` in, eight FP32 outputs.
 */
export const HANDTRACK = join(HUMAN_MODELS, 'handtrack.json');
