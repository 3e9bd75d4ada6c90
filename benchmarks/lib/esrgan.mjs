/**
 * ESRGAN-slim x2 (npm `@upscalerjs/esrgan-slim`, MIT; listed in the shared MODELS.md), a
 * TF.js layers super-resolution model: NHWC FP32 in [0,1], any size, twice the size out.
 * It is a dependency of @infer/runtime-tfjs's tests, so it is found from there.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const fromRuntime = createRequire(
  createRequire(import.meta.url).resolve('@infer/runtime-tfjs/package.json'),
);

/** The model directory (`model.json` and its weight shard). */
export function esrganDir() {
  let dir = dirname(fromRuntime.resolve('@upscalerjs/esrgan-slim'));
  while (dir !== dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      JSON.parse(readFileSync(manifest, 'utf8')).name === '@upscalerjs/esrgan-slim'
    ) {
      return join(dir, 'models', 'x2');
    }
    dir = dirname(dir);
  }
  throw new Error(
    '@upscalerjs/esrgan-slim is not installed (a devDependency of @infer/runtime-tfjs)',
  );
}

/** `require` as @infer/runtime-tfjs sees it (its TF.js copy and backends). */
export const requireFromRuntime = fromRuntime;

/** A deterministic [batch, side, side, 3] input in [0, 1). */
export function esrganInput(side, batch = 1) {
  return Float32Array.from({ length: batch * side * side * 3 }, (_, i) => (i % 97) / 97);
}
