import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AbortError, AdaptiveBatcher } from '../src/index';
import { flush, manualRunner, track } from './helpers';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('abort', () => {
  it('rejects at once for an already-aborted signal, without queueing', async () => {
    const { run } = manualRunner<number>();
    const batcher = new AdaptiveBatcher<number, number>({ run });
    const error = await batcher
      .submit(1, { signal: AbortSignal.abort('gone') })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect(error).toMatchObject({ code: 'INFER_ERR_ABORTED', status: 499, cause: 'gone' });
    await flush();
    expect(run).not.toHaveBeenCalled();
  });

  it('removes a cancelled queued item from the queue: no work for it', async () => {
    const { run, batches } = manualRunner<number>();
    const batcher = new AdaptiveBatcher<number, number>({ run, maxBatchSize: 4 });
    batcher.submit(0);
    await flush();
    const controller = new AbortController();
    const cancelled = track(batcher.submit(1, { signal: controller.signal }));
    const kept = batcher.submit(2);
    expect(batcher.queueLength).toBe(2);
    const reason = new Error('client closed');
    controller.abort(reason);
    await flush();
    expect(cancelled.error).toBeInstanceOf(AbortError);
    expect((cancelled.error as AbortError).cause).toBe(reason);
    expect(batcher.queueLength).toBe(1);
    batches[0]!.resolve([0]);
    await flush();
    expect(batches[1]!.items).toEqual([2]);
    batches[1]!.resolve([2]);
    expect(await kept).toBe(2);
  });

  it('discards the result of an item aborted inside a running batch', async () => {
    const { run, batches } = manualRunner<number>();
    const batcher = new AdaptiveBatcher<number, number>({ run, maxBatchSize: 4 });
    const controller = new AbortController();
    const aborted = track(batcher.submit(1, { signal: controller.signal }));
    const kept = track(batcher.submit(2));
    await flush();
    controller.abort();
    await flush();
    expect(aborted.error).toBeInstanceOf(AbortError);
    expect(batches[0]!.signal.aborted).toBe(false);
    batches[0]!.resolve([10, 20]);
    await flush();
    expect(kept.value).toBe(20);
    expect(aborted.count).toBe(1);
  });

  it("aborts run()'s signal when every item of the batch is abandoned", async () => {
    const { run, batches } = manualRunner<number>();
    const batcher = new AdaptiveBatcher<number, number>({ run, maxBatchSize: 4 });
    const a = new AbortController();
    const b = new AbortController();
    batcher.submit(1, { signal: a.signal }).catch(() => {});
    batcher.submit(2, { signal: b.signal }).catch(() => {});
    await flush();
    a.abort();
    expect(batches[0]!.signal.aborted).toBe(false);
    b.abort('last');
    expect(batches[0]!.signal.aborted).toBe(true);
    expect((batches[0]!.signal.reason as AbortError).cause).toBe('last');
  });

  it('removes its abort listener once settled', async () => {
    const { run, batches } = manualRunner<number>();
    const batcher = new AdaptiveBatcher<number, number>({ run });
    const controller = new AbortController();
    const remove = vi.spyOn(controller.signal, 'removeEventListener');
    const result = batcher.submit(1, { signal: controller.signal });
    await flush();
    batches[0]!.resolve([1]);
    await result;
    expect(remove).toHaveBeenCalledTimes(1);
    controller.abort(); // late abort: nothing happens
    await flush();
  });
});

describe("run()'s signal", () => {
  it('is reused only when it was not aborted and holds no listener', async () => {
    const { run, batches } = manualRunner<number>();
    const batcher = new AdaptiveBatcher<number, number>({ run, maxBatchSize: 1 });
    const next = async (finish: (batch: (typeof batches)[number]) => void) => {
      const result = batcher.submit(batches.length).catch(() => {});
      await flush();
      const batch = batches[batches.length - 1]!;
      finish(batch);
      await result;
      return batch.signal;
    };
    const first = await next((b) => b.resolve([0]));
    const second = await next((b) => {
      b.signal.addEventListener('abort', () => {}); // left behind
      b.resolve([1]);
    });
    expect(second).toBe(first); // clean: reused
    const third = await next((b) => b.resolve([2]));
    expect(third).not.toBe(second); // a listener stayed on it: never reused
    const controller = new AbortController();
    const aborted = batcher.submit(9, { signal: controller.signal }).catch(() => {});
    await flush();
    const abortedBatch = batches[batches.length - 1]!;
    controller.abort();
    abortedBatch.resolve([9]);
    await aborted;
    await flush();
    expect(abortedBatch.signal).toBe(third);
    const fourth = await next((b) => b.resolve([3]));
    expect(fourth.aborted).toBe(false);
    expect(fourth).not.toBe(third); // it was aborted: never reused
  });
});
