/**
 * The ceiling of `serving-tfjs.bench.ts`: bare TF.js (the wasm backend, as @infer/runtime-tfjs
 * picks it here) running ESRGAN-slim x2 in two worker threads, one model each, each calling
 * `model.predict` back to back on one constant batch and awaiting `data()`. No HTTP, no
 * @infer: the loading is what a user would write (`tf.io.fromMemory` over the files).
 *
 * As a child of the bench (IPC): `{ type: 'measure', side, batch, seconds }` answers
 * `{ imagesPerSecond, runs }`; `{ type: 'reference', side }` answers the output for
 * `esrganInput(side)` as a plain array, to check the served answers against.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread, parentPort } from 'node:worker_threads';
import { esrganDir, esrganInput, requireFromRuntime } from './lib/esrgan.mjs';
import { startSelfWorkers } from './lib/self-workers.mjs';

const WORKERS = 2;

async function loadModel() {
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

if (!isMainThread) {
  const { run } = await loadModel();
  parentPort.on('message', async ({ side, batch, seconds }) => {
    const data = esrganInput(side, batch);
    const shape = [batch, side, side, 3];
    await run(data, shape); // warm-up of this shape
    let runs = 0;
    const started = performance.now();
    while (performance.now() - started < seconds * 1000) {
      await run(data, shape);
      runs += 1;
    }
    parentPort.postMessage({ runs, images: runs * batch, ms: performance.now() - started });
  });
  parentPort.postMessage('ready');
} else {
  const workers = await startSelfWorkers(new URL(import.meta.url), WORKERS);
  const reference = await loadModel();
  process.on('message', async (message) => {
    try {
      if (message?.type === 'measure') {
        const results = await Promise.all(
          workers.map(
            (worker) =>
              new Promise((resolve) => {
                worker.once('message', resolve);
                worker.postMessage(message);
              }),
          ),
        );
        const imagesPerSecond = results.reduce((sum, r) => sum + (r.images / r.ms) * 1000, 0);
        const runs = results.reduce((sum, r) => sum + r.runs, 0);
        process.send({ type: 'measure', imagesPerSecond, runs });
      } else if (message?.type === 'reference') {
        const out = await reference.run(esrganInput(message.side), [
          1,
          message.side,
          message.side,
          3,
        ]);
        process.send({ type: 'reference', data: Array.from(out) });
      }
    } catch (error) {
      process.send({ type: message?.type, error: String(error?.stack ?? error) });
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ type: 'ready', port: 0 });
}
