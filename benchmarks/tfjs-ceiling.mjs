/**
 * The ceiling of `serving-tfjs.bench.ts`: bare TF.js (the wasm backend, as @infer/runtime-tfjs
 * picks it here) running ESRGAN-slim x2 in two worker threads, one model each, each calling
 * `model.predict` back to back on one constant batch and awaiting `data()`. No HTTP, no
 * @infer: the loading is what a user would write (`tf.io.fromMemory` over the files).
 *
 * As a child of the bench (IPC, `lib/ceiling-child.mjs`): `{ type: 'measure', side, batch, seconds }` answers
 * `{ imagesPerSecond, runs }`; `{ type: 'reference', side }` answers the output for
 * `esrganInput(side)` as a plain array, to check the served answers against.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCeilingChild } from './lib/ceiling-child.mjs';
import { esrganDir, esrganInput, requireFromRuntime } from './lib/esrgan.mjs';

async function load() {
  const tf = requireFromRuntime('@tensorflow/tfjs');
  requireFromRuntime('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  await tf.ready();
  const dir = esrganDir();
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const shards = json.weightsManifest.flatMap((group) =>
    group.paths.map((path) => readFileSync(join(dir, path))),
  );
  const weights = Buffer.concat(shards);
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    }),
  );
  const run = async (data, shape) => {
    const x = tf.tensor(data, shape, 'float32');
    const y = model.predict(x);
    const out = await y.data();
    tf.dispose([x, y]);
    return out;
  };
  return { run };
}

await runCeilingChild({
  moduleUrl: new URL(import.meta.url),
  workers: 2,
  load,
  input: ({ side }, batch) => ({ data: esrganInput(side, batch), shape: [batch, side, side, 3] }),
});
