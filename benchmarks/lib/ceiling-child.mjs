/**
 * The shared body of the compute ceilings (`tfjs-ceiling.mjs`, `ocr-ceiling.mjs`): worker
 * threads running the calling module, one model each, each calling `run` back to back on
 * one constant batch; the main thread answers the bench over IPC.
 *
 * - `{ type: 'measure', batch, seconds, ...shape }` answers `{ imagesPerSecond, runs }`,
 *   summed over the workers.
 * - `{ type: 'reference', ...shape }` answers the output for the batch-1 input as a plain
 *   array, from a model of the main thread, to check served answers against.
 */
import { isMainThread, parentPort } from 'node:worker_threads';
import { startSelfWorkers } from './self-workers.mjs';

/**
 * Runs the ceiling: call it from the ceiling module's top level, in every thread.
 *
 * @param {object} options
 * @param {URL} options.moduleUrl the calling module (`new URL(import.meta.url)`)
 * @param {number} options.workers worker threads to start
 * @param {() => Promise<{ run(data: Float32Array, shape: number[]): Promise<ArrayLike<number>> }>} options.load
 *   loads one model
 * @param {(message: object, batch: number) => { data: Float32Array, shape: number[] }} options.input
 *   the constant input of a batch for a message's shape fields
 */
export async function runCeilingChild({ moduleUrl, workers: count, load, input }) {
  if (!isMainThread) {
    const { run } = await load();
    parentPort.on('message', async (message) => {
      const { data, shape } = input(message, message.batch);
      await run(data, shape); // warm-up of this shape
      let runs = 0;
      const started = performance.now();
      while (performance.now() - started < message.seconds * 1000) {
        await run(data, shape);
        runs += 1;
      }
      const ms = performance.now() - started;
      parentPort.postMessage({ runs, images: runs * message.batch, ms });
    });
    parentPort.postMessage('ready');
    return;
  }
  const workers = await startSelfWorkers(moduleUrl, count);
  const reference = await load();
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
        const { data, shape } = input(message, 1);
        process.send({ type: 'reference', data: Array.from(await reference.run(data, shape)) });
      }
    } catch (error) {
      process.send({ type: message?.type, error: String(error?.stack ?? error) });
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ type: 'ready', port: 0 });
}
