import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AdaptiveBatcher, type BatchStats } from '../src/index';
import { flush, manualRunner } from './helpers';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('stats hook', () => {
  it('reports size in rows, items, queue waits, run time and queue length per batch', async () => {
    const { run, batches } = manualRunner<number>();
    const stats: BatchStats[] = [];
    const batcher = new AdaptiveBatcher<number, number>({
      run,
      maxBatchSize: 8,
      rows: (n) => n,
      onStats: (s) => stats.push(s),
    });
    batcher.submit(1);
    await flush();
    const failing = [batcher.submit(2), batcher.submit(3)].map((p) => p.catch(() => 'failed'));
    await vi.advanceTimersByTimeAsync(3);
    batcher.submit(9);
    await vi.advanceTimersByTimeAsync(2);
    batches[0]!.resolve([1]);
    await flush();
    expect(stats[0]).toEqual({
      key: '',
      size: 1,
      items: 1,
      queueWaitMs: 0,
      queueWaitsMs: [0],
      runMs: 5,
      queueLength: 3, // items 2, 3 and 9 wait; the next batch leaves in a microtask
      maxBatchSize: 8,
      ok: true,
    });
    await vi.advanceTimersByTimeAsync(4);
    batches[1]!.reject(new Error('x'));
    await flush();
    expect(stats[1]).toMatchObject({
      size: 5,
      items: 2,
      queueWaitMs: 5,
      queueWaitsMs: [5, 5],
      runMs: 4,
      ok: false,
    });
    expect(await Promise.all(failing)).toEqual(['failed', 'failed']);
  });

  it("counts run time from run()'s started() call, and the wait before it as queue wait", async () => {
    const stats: BatchStats[] = [];
    const batcher = new AdaptiveBatcher<number, number>({
      // Waits 30 ms for a worker (say), then works 10 ms; calls started() twice.
      run: async (xs, _signal, _live, started) => {
        await new Promise((resolve) => setTimeout(resolve, 30));
        started();
        started();
        await new Promise((resolve) => setTimeout(resolve, 10));
        return xs;
      },
      maxBatchSize: 4,
      onStats: (s) => stats.push(s),
    });
    const done = Promise.all([batcher.submit(1), batcher.submit(2)]);
    await vi.advanceTimersByTimeAsync(40);
    expect(await done).toEqual([1, 2]);
    expect(stats[0]).toMatchObject({
      items: 2,
      runMs: 10,
      queueWaitMs: 30,
      queueWaitsMs: [30, 30],
    });
    // A run that never calls it: timed from its dispatch, as before.
    const plain = new AdaptiveBatcher<number, number>({
      run: async (xs) => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        return xs;
      },
      onStats: (s) => stats.push(s),
    });
    const one = plain.submit(3);
    await vi.advanceTimersByTimeAsync(10);
    await one;
    expect(stats[1]).toMatchObject({ runMs: 10, queueWaitMs: 0 });
  });

  it('ignores a throwing hook', async () => {
    const batcher = new AdaptiveBatcher<number, number>({
      run: async (xs) => xs,
      onStats: () => {
        throw new Error('metrics down');
      },
    });
    await expect(batcher.submit(1)).resolves.toBe(1);
    await expect(batcher.submit(2)).resolves.toBe(2);
  });

  it('exposes the measured throughput', async () => {
    const batcher = new AdaptiveBatcher<number, number>({
      maxBatchSize: 4,
      run: (xs) => new Promise((resolve) => setTimeout(() => resolve(xs), 10)),
    });
    expect(batcher.rowsPerSecond).toBeUndefined();
    const done = Promise.all([1, 2, 3, 4].map((x) => batcher.submit(x)));
    await vi.advanceTimersByTimeAsync(10);
    await done;
    expect(batcher.rowsPerSecond).toBeCloseTo(400);
  });

  it('reports a batch of 130k items (no spread of its waits into Math.max)', async () => {
    const stats: BatchStats[] = [];
    const batcher = new AdaptiveBatcher<number, number>({
      run: async (items) => items,
      maxBatchSize: 200_000,
      maxQueueSize: 200_000,
      timeoutMs: 0,
      onStats: (s) => stats.push(s),
    });
    const results = Array.from({ length: 130_000 }, (_, index) => batcher.submit(index));
    await flush();
    expect((await Promise.all(results)).length).toBe(130_000);
    expect(stats[0]).toMatchObject({ items: 130_000, queueWaitMs: expect.any(Number) });
    await batcher.close();
  });

  it('tells onQueueLength each change: an item queued, a batch taking items, an item given up', async () => {
    const { run, batches } = manualRunner<number>();
    const lengths: number[] = [];
    const batcher = new AdaptiveBatcher<number, number>({
      run,
      maxBatchSize: 2,
      concurrency: 1,
      timeoutMs: 0,
      onQueueLength: (length) => lengths.push(length),
    });
    const first = batcher.submit(1); // queued (1), then taken (0)
    await flush();
    const waiting = [batcher.submit(2), batcher.submit(3)]; // 1, 2: the runner is busy
    const controller = new AbortController();
    const gone = batcher.submit(4, { signal: controller.signal }); // 3
    controller.abort(); // given up while queued: 2
    await expect(gone).rejects.toMatchObject({ name: 'AbortError' });
    expect(lengths).toEqual([1, 0, 1, 2, 3, 2]);
    batches[0]!.resolve([1]);
    await flush();
    expect(lengths.at(-1)).toBe(0); // 2 and 3 taken into the next batch
    batches[1]!.resolve([2, 3]);
    await Promise.all([first, ...waiting]);
    // A hook that throws changes nothing.
    const quiet = new AdaptiveBatcher<number, number>({
      run: async (xs) => xs,
      onQueueLength: () => {
        throw new Error('metrics down');
      },
    });
    expect(await quiet.submit(7)).toBe(7);
  });
});
