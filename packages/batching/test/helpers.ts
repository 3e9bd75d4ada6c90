/** Test helpers: a runner whose batches the test finishes by hand, and microtask flushing. */
import { vi } from 'vitest';

export interface PendingBatch<I, O> {
  items: I[];
  signal: AbortSignal;
  resolve(outputs: O[]): void;
  reject(error: unknown): void;
}

/** A `run` that records every batch and leaves it pending until the test settles it. */
export function manualRunner<I, O = I>() {
  const batches: PendingBatch<I, O>[] = [];
  const run = vi.fn((items: I[], signal: AbortSignal) => {
    return new Promise<O[]>((resolve, reject) => {
      batches.push({ items, signal, resolve, reject });
    });
  });
  return { run, batches };
}

/**
 * Lets pending promise callbacks, microtasks and `process.nextTick` callbacks run (the
 * batcher dispatches after a finished batch from a tick, once the microtasks ran dry).
 */
export async function flush(): Promise<void> {
  for (let index = 0; index < 4; index++) {
    for (let hop = 0; hop < 25; hop++) await Promise.resolve();
    await new Promise<void>((resolve) => process.nextTick(resolve));
  }
}

/** A promise's state without awaiting it. */
export function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown; count: number } = {
    settled: false,
    count: 0,
  };
  promise.then(
    (value) => {
      state.count += 1;
      state.settled = true;
      state.value = value;
    },
    (error: unknown) => {
      state.count += 1;
      state.settled = true;
      state.error = error;
    },
  );
  return state;
}
