import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AdaptiveBatcher, BatcherClosedError } from '../src/index';
import { flush, manualRunner, track } from './helpers';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('drain and close', () => {
  it('drain() resolves once queued and running items are finished', async () => {
    const { run, batches } = manualRunner<number>();
    const batcher = new AdaptiveBatcher<number, number>({ run, maxBatchSize: 1 });
    const results = [1, 2].map((x) => track(batcher.submit(x)));
    const drained = track(batcher.drain());
    await flush();
    batches[0]!.resolve([1]);
    await flush();
    expect(drained.settled).toBe(false);
    batches[1]!.resolve([2]);
    await flush();
    expect(drained.settled).toBe(true);
    expect(results.map((r) => r.value)).toEqual([1, 2]);
    await expect(batcher.drain()).resolves.toBeUndefined(); // idle: at once
  });

  it('drain() does not hold back a partial batch for maxBatchDelayMs', async () => {
    const { run, batches } = manualRunner<number>();
    const batcher = new AdaptiveBatcher<number, number>({
      run,
      maxBatchSize: 8,
      maxBatchDelayMs: 1000,
    });
    batcher.submit(1);
    await flush();
    expect(batches).toHaveLength(0);
    const drained = track(batcher.drain());
    await flush();
    expect(batches[0]!.items).toEqual([1]);
    batches[0]!.resolve([1]);
    await flush();
    expect(drained.settled).toBe(true);
    expect(vi.getTimerCount()).toBe(0); // the item's timeout and the delay timer are cleared
  });

  it('close() refuses new items with BatcherClosedError and finishes the queued ones', async () => {
    const { run, batches } = manualRunner<number>();
    const batcher = new AdaptiveBatcher<number, number>({ run, maxBatchSize: 1 });
    const queued = track(batcher.submit(1));
    const closed = track(batcher.close());
    const refused = await batcher.submit(2).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BatcherClosedError);
    expect(refused).toMatchObject({ code: 'INFER_ERR_SHUTTING_DOWN', status: 503 });
    expect(batcher.closed).toBe(true);
    await flush();
    expect(closed.settled).toBe(false);
    batches[0]!.resolve([1]);
    await flush();
    expect(queued.value).toBe(1);
    expect(closed.settled).toBe(true);
    await expect(batcher.close()).resolves.toBeUndefined();
  });

  it('drain() resolves when the last queued item is aborted', async () => {
    const { run, batches } = manualRunner<number>();
    const batcher = new AdaptiveBatcher<number, number>({ run, maxBatchSize: 1 });
    batcher.submit(1);
    await flush();
    const controller = new AbortController();
    batcher.submit(2, { signal: controller.signal }).catch(() => {});
    const drained = track(batcher.drain());
    batches[0]!.resolve([1]);
    controller.abort();
    await flush();
    expect(drained.settled).toBe(true);
    expect(batches).toHaveLength(1);
  });
});
