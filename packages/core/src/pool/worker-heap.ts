/**
 * V8's initial old-generation size for the worker threads' isolates.
 *
 * Why: a worker receives each batch as a transferred buffer (0.6 MB per MobileNet image) and
 * drops it after the run. V8 counts such external memory against an old-generation limit
 * that, for a heap of a few MiB, is only tens of MiB: it started a full garbage collection
 * every 20-30 batches, and the collector's helper threads took CPU from inference on the
 * same cores. With the limit starting at 128 MiB the workers ran no full GC at all under
 * load, at no cost in RSS ("V8's old-generation limit" in docs/benchmarks.md).
 *
 * `--initial-old-space-size` is read when an isolate is made, so setting it before the pool
 * starts its threads reaches them (and any isolate made later in the process) and not the
 * main thread, whose heap exists already: for that one, start Node with the flag.
 *
 * @internal
 */
import { setFlagsFromString } from 'node:v8';

/** MiB of old generation (external memory included) before V8's first full GC in a worker. */
export const WORKER_INITIAL_OLD_SPACE_MB = 128;

const FLAGS = /^--(initial[-_]old[-_]space[-_]size|initial[-_]heap[-_]size)(=|$)/;

/** Whether the process was started with its own initial heap size (then it stays as given). */
export function setsInitialHeap(execArgv: readonly string[]): boolean {
  return execArgv.some((argument) => FLAGS.test(argument));
}

/**
 * Raises V8's initial old-generation size to {@link WORKER_INITIAL_OLD_SPACE_MB} for the
 * isolates made from now on, unless the process set an initial heap size itself. Returns
 * whether it set the flag.
 *
 * @example
 * raiseWorkerInitialOldSpace(); // before `new Piscina(...)`
 */
export function raiseWorkerInitialOldSpace(
  execArgv: readonly string[] = process.execArgv,
): boolean {
  if (setsInitialHeap(execArgv)) return false;
  setFlagsFromString(`--initial-old-space-size=${WORKER_INITIAL_OLD_SPACE_MB}`);
  return true;
}
