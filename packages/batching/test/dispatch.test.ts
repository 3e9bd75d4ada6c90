import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AdaptiveBatcher } from '../src/index';
import { flush, manualRunner, track } from './helpers';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('dispatch policy', () => {
  it('dispatches at once when a runner is free (no timer)', async () => {
    const { run, batches } = manualRunner<number>();
    const batcher = new AdaptiveBatcher<number, number>({ run, maxBatchSize: 8 });
    const result = track(batcher.submit(1));
    await flush(); // microtasks only: no fake time passes
    expect(run).toHaveBeenCalledTimes(1);
    expect(batches[0]!.items).toEqual([1]);
    expect(vi.getTimerCount()).toBe(1); // only the item's timeout timer
    batches[0]!.resolve([10]);
    await flush();
    expect(result.value).toBe(10);
  });

  it('puts items submitted in the same tick into one batch', async () => {
    const { run, batches } = manualRunner<number>();
    const batcher = new AdaptiveBatcher<number, number>({ run, maxBatchSize: 8 });
    const results = [1, 2, 3].map((x) => batcher.submit(x));
    await flush();
    expect(batches.map((b) => b.items)).toEqual([[1, 2, 3]]);
    batches[0]!.resolve([10, 20, 30]);
    expect(await Promise.all(results)).toEqual([10, 20, 30]);
  });

  it('grows batches while the runner is busy, up to maxBatchSize', async () => {
    const { run, batches } = manualRunner<number>();
    const batcher = new AdaptiveBatcher<number, number>({ run, maxBatchSize: 4 });
    const first = batcher.submit(0);
    await flush();
    const rest = [1, 2, 3, 4, 5, 6].map((x) => batcher.submit(x));
    await flush();
    expect(batches).toHaveLength(1); // the runner is busy: the rest waits
    expect(batcher.queueLength).toBe(6);
    batches[0]!.resolve([0]);
    await flush();
    expect(batches[1]!.items).toEqual([1, 2, 3, 4]);
    batches[1]!.resolve([1, 2, 3, 4]);
    await flush();
    expect(batches[2]!.items).toEqual([5, 6]);
    batches[2]!.resolve([5, 6]);
    expect(await Promise.all([first, ...rest])).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(batcher.queueLength).toBe(0);
  });

  it('lets a caller that resubmits straight from its result join the next batch', async () => {
    const { run, batches } = manualRunner<number>();
    const batcher = new AdaptiveBatcher<number, number>({ run, maxBatchSize: 8 });
    const again = batcher.submit(1).then(() => batcher.submit(4));
    await flush();
    batcher.submit(2);
    batcher.submit(3);
    batches[0]!.resolve([1]);
    await flush();
    expect(batches[1]!.items).toEqual([2, 3, 4]); // cohorts merge instead of alternating
    batches[1]!.resolve([2, 3, 4]);
    expect(await again).toBe(4);
  });

  it('schedules a tick after a batch only when callers could join the next one', async () => {
    const { run, batches } = manualRunner<number>();
    const batcher = new AdaptiveBatcher<number, number>({ run, maxBatchSize: 8 });
    // After a flush: vitest puts back the process.nextTick it saw around its own calls (in a
    // tick of their own), which would undo a spy made at the test's start.
    await flush();
    const tick = vi.spyOn(process, 'nextTick');
    try {
      // A lone item with nothing queued (a light-load server request): no tick. Its caller
      // going again gets the same batch of one from submit's own microtask.
      const lone = batcher.submit(1);
      await flush();
      tick.mockClear();
      batches[0]!.resolve([1]);
      expect(await lone).toBe(1);
      expect(tick).not.toHaveBeenCalled();
      // Two items: their callers may both go again, so the next pump waits for a tick.
      const pair = [batcher.submit(2), batcher.submit(3)];
      await flush();
      tick.mockClear();
      batches[1]!.resolve([2, 3]);
      await Promise.all(pair);
      expect(tick).toHaveBeenCalledTimes(1);
    } finally {
      tick.mockRestore();
    }
  });

  it('keeps closed-loop callers together when they await a few times before resubmitting', async () => {
    const { run, batches } = manualRunner<number>();
    const batcher = new AdaptiveBatcher<number, number>({ run, maxBatchSize: 8 });
    // Eight clients, each going through awaits of its own (as ServedModel and the service
    // do; 0 to 70 here) between a result and its next request.
    const client = async (id: number) => {
      for (let round = 0; round < 3; round++) {
        await batcher.submit(id);
        for (let hop = 0; hop < id * 10; hop++) await null;
      }
    };
    const clients = Array.from({ length: 8 }, (_, id) => client(id));
    for (let index = 0; index < 3; index++) {
      await flush();
      const batch = batches[index]!;
      expect(batch.items).toHaveLength(8); // not split into a half-empty batch and the rest
      batch.resolve(batch.items);
    }
    await Promise.all(clients);
    expect(batches).toHaveLength(3);
  });

  it('maxBatchDelayMs holds a partial batch while a runner is free, until full or the delay', async () => {
    const { run, batches } = manualRunner<number>();
    const batcher = new AdaptiveBatcher<number, number>({
      run,
      maxBatchSize: 3,
      maxBatchDelayMs: 10,
    });
    batcher.submit(1);
    await flush();
    expect(batches).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(4);
    batcher.submit(2);
    await flush();
    expect(batches).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(5); // 9 ms after the first item
    expect(batches).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1); // 10 ms: the delay bounds the wait
    expect(batches.map((b) => b.items)).toEqual([[1, 2]]);
    batches[0]!.resolve([1, 2]);
    await flush();

    [3, 4, 5].forEach((x) => {
      batcher.submit(x);
    }); // a full batch goes at once
    await flush();
    expect(batches[1]!.items).toEqual([3, 4, 5]);
  });

  it('never mixes keys in a batch and serves the oldest key group first', async () => {
    const { run, batches } = manualRunner<string>();
    const batcher = new AdaptiveBatcher<string, string>({
      run,
      maxBatchSize: 8,
      key: (item) => item[0]!,
    });
    const blocker = batcher.submit('z0');
    await flush();
    const results = ['a1', 'b1', 'a2', 'b2', 'a3'].map((x) => batcher.submit(x));
    await flush();
    batches[0]!.resolve(['z0']);
    await flush();
    expect(batches[1]!.items).toEqual(['a1', 'a2', 'a3']);
    batches[1]!.resolve(['A1', 'A2', 'A3']);
    await flush();
    expect(batches[2]!.items).toEqual(['b1', 'b2']);
    batches[2]!.resolve(['B1', 'B2']);
    expect(await Promise.all([blocker, ...results])).toEqual(['z0', 'A1', 'B1', 'A2', 'B2', 'A3']);
  });

  it('counts rows toward maxBatchSize; an item larger than the limit runs alone', async () => {
    const { run, batches } = manualRunner<number>();
    const batcher = new AdaptiveBatcher<number, number>({ run, maxBatchSize: 4, rows: (n) => n });
    batcher.submit(1);
    await flush();
    [2, 2, 1, 6, 3].forEach((n) => {
      batcher.submit(n);
    });
    await flush();
    batches[0]!.resolve([1]);
    await flush();
    expect(batches[1]!.items).toEqual([2, 2]); // 4 rows: full
    batches[1]!.resolve([2, 2]);
    await flush();
    expect(batches[2]!.items).toEqual([1]); // 1 + 6 would exceed 4: FIFO, stop
    batches[2]!.resolve([1]);
    await flush();
    expect(batches[3]!.items).toEqual([6]); // larger than the limit: alone
    batches[3]!.resolve([6]);
    await flush();
    expect(batches[4]!.items).toEqual([3]);
  });

  it('serves higher priority first', async () => {
    const { run, batches } = manualRunner<string>();
    const batcher = new AdaptiveBatcher<string, string>({ run, maxBatchSize: 2 });
    batcher.submit('first');
    await flush();
    batcher.submit('low1');
    batcher.submit('low2');
    batcher.submit('high', { priority: 5 });
    batcher.submit('mid', { priority: 1 });
    await flush();
    batches[0]!.resolve(['first']);
    await flush();
    expect(batches[1]!.items).toEqual(['high', 'mid']);
    batches[1]!.resolve(['high', 'mid']);
    await flush();
    expect(batches[2]!.items).toEqual(['low1', 'low2']);
  });

  it('runs up to `concurrency` batches at once', async () => {
    const { run, batches } = manualRunner<number>();
    const batcher = new AdaptiveBatcher<number, number>({ run, maxBatchSize: 2, concurrency: 2 });
    batcher.submit(1);
    await flush();
    batcher.submit(2);
    await flush();
    expect(batches.map((b) => b.items)).toEqual([[1], [2]]);
    expect(batcher.running).toBe(2);
    [3, 4, 5].forEach((x) => {
      batcher.submit(x);
    });
    await flush();
    expect(batches).toHaveLength(2);
    batches[1]!.resolve([2]);
    await flush();
    expect(batches[2]!.items).toEqual([3, 4]);
    expect(batcher.running).toBe(2);
  });

  it('turns a synchronous throw of run() into a rejected batch', async () => {
    const boom = new Error('sync');
    const batcher = new AdaptiveBatcher<number, number>({
      run: () => {
        throw boom;
      },
    });
    await expect(batcher.submit(1)).rejects.toBe(boom);
    expect(batcher.running).toBe(0);
  });
});
