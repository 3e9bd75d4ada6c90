/**
 * The physical ceiling of `serving.bench.ts` and `batching-policy.bench.ts`: bare
 * onnxruntime-node on MobileNetV2 int8 in one process, no HTTP, no @infer, a closed loop
 * of `session.run` on one constant batch. Two layouts:
 *
 * - `1x2`: one session with 2 intra-op threads, one run at a time.
 * - `1x2-nospin`: the same with the pool's spin-wait off (`session.intra_op.allow_spinning:
 *   '0'`); its session is made on first use.
 * - `2x1`: two worker threads, each with its own session of 1 intra-op thread, each
 *   running back to back (what `workers: 2` does, minus the pool). `Nx1` is the same with N
 *   workers, for N up to the cores this process may use (at least 2 are started).
 *
 * As a child of the bench (IPC): `{ type: 'measure', layout, batch, seconds }` answers
 * `{ imagesPerSecond, runs, meanRunMs }`. As a worker thread of itself it runs one session.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort } from 'node:worker_threads';
import { finchPixels } from './lib/finch.mjs';
import { startSelfWorkers } from './lib/self-workers.mjs';
import { requireFrom } from './lib/server-child.mjs';

const ort = requireFrom('@infer/runtime-onnx', 'onnxruntime-node');
const MODEL = fileURLToPath(new URL('../models/mobilenet/model.onnx', import.meta.url));
const IMAGE = 3 * 224 * 224;

function createSession(threads, spinning = true) {
  return ort.InferenceSession.create(MODEL, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    ...(spinning ? {} : { extra: { session: { intra_op: { allow_spinning: '0' } } } }),
  });
}

/** Runs batches of `batch` back to back for `seconds`; images per second and runs. */
async function loop(session, pixels, batch, seconds) {
  const data = new Float32Array(IMAGE * batch);
  for (let row = 0; row < batch; row++) data.set(pixels, row * IMAGE);
  const feeds = { input: new ort.Tensor('float32', data, [batch, 3, 224, 224]) };
  await session.run(feeds); // warm-up of this batch size (allocations, kernels)
  let runs = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  while (performance.now() < until) {
    await session.run(feeds);
    runs += 1;
  }
  const ms = performance.now() - started;
  return { images: runs * batch, runs, ms };
}

if (!isMainThread) {
  const session = await createSession(1);
  parentPort.on('message', async ({ pixels, batch, seconds }) => {
    parentPort.postMessage(await loop(session, pixels, batch, seconds));
  });
  parentPort.postMessage('ready');
} else {
  const single = await createSession(2);
  const workers = await startSelfWorkers(
    new URL(import.meta.url),
    Math.max(2, availableParallelism()),
  );
  const input = await finchPixels();
  let noSpin;
  const measure = async ({ layout, batch, seconds }) => {
    if (layout === '1x2' || layout === '1x2-nospin') {
      if (layout === '1x2-nospin') noSpin ??= await createSession(2, false);
      const session = layout === '1x2' ? single : noSpin;
      const { images, runs, ms } = await loop(session, input, batch, seconds);
      return { imagesPerSecond: (images / ms) * 1000, runs, meanRunMs: ms / runs };
    }
    const count = Number(/^(\d+)x1$/.exec(layout)?.[1]);
    if (!(count >= 1 && count <= workers.length)) {
      throw new Error(`layout ${layout}: want 1x2, 1x2-nospin or Nx1 with N <= ${workers.length}`);
    }
    const results = await Promise.all(
      workers.slice(0, count).map(
        (worker) =>
          new Promise((resolve) => {
            worker.once('message', resolve);
            worker.postMessage({ pixels: input, batch, seconds });
          }),
      ),
    );
    const images = results.reduce((sum, result) => sum + result.images / result.ms, 0) * 1000;
    const runs = results.reduce((sum, result) => sum + result.runs, 0);
    const meanRunMs = results.reduce((sum, result) => sum + result.ms, 0) / runs;
    return { imagesPerSecond: images, runs, meanRunMs };
  };
  process.on('message', async (message) => {
    if (message?.type !== 'measure') return;
    try {
      process.send({ type: 'measure', ...(await measure(message)) });
    } catch (error) {
      process.send({ type: 'measure', error: String(error?.stack ?? error) });
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ type: 'ready', port: 0 });
}
