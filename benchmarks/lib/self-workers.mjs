/**
 * Worker threads running the calling module itself (its `isMainThread === false` branch),
 * for the ceiling scripts: each worker posts one message once its model is loaded.
 */
import { Worker } from 'node:worker_threads';

/**
 * Starts `count` workers on `moduleUrl` and resolves once each has posted its first message
 * (rejects on a worker's error).
 *
 * @example
 * const workers = await startSelfWorkers(new URL(import.meta.url), 2);
 */
export function startSelfWorkers(moduleUrl, count) {
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise((resolve, reject) => {
          const worker = new Worker(moduleUrl);
          worker.once('message', () => resolve(worker));
          worker.once('error', reject);
        }),
    ),
  );
}
