import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AdaptiveBatcher, OverloadedError } from '../src/index';
import { flush, manualRunner } from './helpers';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('full queue', () => {
  it('rejects at once with OverloadedError once maxQueueSize items wait', async () => {
    const { run, batches } = manualRunner<number>();
    const batcher = new AdaptiveBatcher<number, number>({ run, maxBatchSize: 1, maxQueueSize: 2 });
    const running = batcher.submit(0);
    await flush();
    const queued = [batcher.submit(1), batcher.submit(2)];
    const error = await batcher.submit(3).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OverloadedError);
    expect(error).toMatchObject({
      code: 'INFER_ERR_OVERLOADED',
      status: 503,
      retryAfterSeconds: 1,
    });
    expect(batcher.queueLength).toBe(2); // the refused item never entered
    batches[0]!.resolve([0]);
    await flush();
    expect(batcher.queueLength).toBe(1);
    const later = batcher.submit(4); // room again
    batches[1]!.resolve([1]);
    await flush();
    batches[2]!.resolve([2]);
    await flush();
    batches[3]!.resolve([4]);
    await expect(Promise.all([running, ...queued, later])).resolves.toEqual([0, 1, 2, 4]);
  });

  it('estimates retryAfterSeconds from the measured throughput', async () => {
    const batcher = new AdaptiveBatcher<number, number>({
      maxBatchSize: 1,
      maxQueueSize: 10,
      run: (items) => new Promise((resolve) => setTimeout(() => resolve(items), 1000)),
    });
    const first = batcher.submit(0); // measures 1 row per second
    await vi.advanceTimersByTimeAsync(1000);
    await first;
    const pending = Array.from({ length: 11 }, (_, i) => batcher.submit(i).catch(() => 0));
    const error = await batcher.submit(99).catch((e: unknown) => e);
    // 10 rows queued at 1 row/s: about 10 s.
    expect((error as OverloadedError).retryAfterSeconds).toBe(10);
    await vi.advanceTimersByTimeAsync(20_000);
    await Promise.all(pending);
  });

  it('counts only runners at work when run() waits for a free worker first (started())', async () => {
    // Two runners of which one batch at a time works (1 row/s); the other waits its turn.
    let free = Promise.resolve();
    const batcher = new AdaptiveBatcher<number, number>({
      maxBatchSize: 1,
      maxQueueSize: 10,
      concurrency: 2,
      run: (items, _signal, _live, started) => {
        const turn = free.then(async () => {
          started();
          await new Promise((resolve) => setTimeout(resolve, 1000));
          return items;
        });
        free = turn.then(() => undefined);
        return turn;
      },
    });
    const first = batcher.submit(0);
    await vi.advanceTimersByTimeAsync(1000);
    await first;
    const pending = Array.from({ length: 12 }, (_, i) => batcher.submit(i).catch(() => 0));
    const error = await batcher.submit(99).catch((e: unknown) => e);
    // 10 rows queued (two more run or wait) at 1 row/s on the one runner at work: 10 s, not 5.
    expect((error as OverloadedError).retryAfterSeconds).toBe(10);
    await vi.advanceTimersByTimeAsync(30_000);
    await Promise.all(pending);
  });

  it('gives 1 s, not Infinity, when every batch so far had no rows', async () => {
    const batcher = new AdaptiveBatcher<number, number>({
      maxBatchSize: 1,
      maxQueueSize: 2,
      rows: () => 0,
      run: (items) => new Promise((resolve) => setTimeout(() => resolve(items), 1000)),
    });
    const first = batcher.submit(0);
    await vi.advanceTimersByTimeAsync(1000);
    await first;
    const pending = Array.from({ length: 3 }, (_, i) => batcher.submit(i).catch(() => 0));
    const error = await batcher.submit(99).catch((e: unknown) => e);
    expect((error as OverloadedError).retryAfterSeconds).toBe(1);
    await vi.advanceTimersByTimeAsync(10_000);
    await Promise.all(pending);
  });

  it('overloadedError() says, without queueing, whether a submit() would be refused now', async () => {
    const { run, batches } = manualRunner<number>();
    const batcher = new AdaptiveBatcher<number, number>({ run, maxBatchSize: 1, maxQueueSize: 1 });
    expect(batcher.overloadedError()).toBeUndefined();
    const running = batcher.submit(0);
    await flush();
    expect(batcher.overloadedError()).toBeUndefined(); // the running item is out of the queue
    const queued = batcher.submit(1);
    const refusal = batcher.overloadedError();
    expect(refusal).toBeInstanceOf(OverloadedError);
    expect(refusal).toMatchObject({ maxQueueSize: 1, retryAfterSeconds: 1 });
    expect(batcher.queueLength).toBe(1); // asking queued nothing
    batches[0]!.resolve([0]);
    await flush();
    expect(batcher.overloadedError()).toBeUndefined();
    batches[1]!.resolve([1]);
    await expect(Promise.all([running, queued])).resolves.toEqual([0, 1]);
  });
});
