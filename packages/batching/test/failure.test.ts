import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AdaptiveBatcher, BatchAssemblyError } from '../src/index';
import { flush, manualRunner, track } from './helpers';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

class ModelError extends Error {
  readonly code = 'INFER_ERR_MODEL_FAILED';
}

describe('failure isolation', () => {
  it('rejects every item of a failing batch with the error as-is and keeps serving', async () => {
    const { run, batches } = manualRunner<number>();
    const batcher = new AdaptiveBatcher<number, number>({ run, maxBatchSize: 2 });
    batcher.submit(0);
    await flush();
    const failing = [track(batcher.submit(1)), track(batcher.submit(2))];
    const next = track(batcher.submit(3));
    batches[0]!.resolve([0]);
    await flush();
    const error = new ModelError('boom');
    batches[1]!.reject(error);
    await flush();
    expect(failing.map((r) => r.error)).toEqual([error, error]);
    expect((failing[0]!.error as ModelError).code).toBe('INFER_ERR_MODEL_FAILED');
    expect(batches[2]!.items).toEqual([3]);
    batches[2]!.resolve([30]);
    await flush();
    expect(next.value).toBe(30);
  });

  it('rejects the batch with BatchAssemblyError when run() returns the wrong count', async () => {
    const { run, batches } = manualRunner<number>();
    const batcher = new AdaptiveBatcher<number, number>({ run, maxBatchSize: 2 });
    const results = [track(batcher.submit(1)), track(batcher.submit(2))];
    await flush();
    batches[0]!.resolve([1]);
    await flush();
    expect(results[0]!.error).toBeInstanceOf(BatchAssemblyError);
    expect((results[0]!.error as Error).message).toBe(
      'run() must return one result per item: got 1 results for 2 items',
    );
    expect(results[1]!.error).toBe(results[0]!.error);
  });

  it('a run rejecting with undefined still rejects its items', async () => {
    const { run, batches } = manualRunner<number>();
    const batcher = new AdaptiveBatcher<number, number>({ run });
    const result = track(batcher.submit(1));
    await flush();
    batches[0]!.reject(undefined);
    await flush();
    expect(result.settled).toBe(true);
    expect(result.value).toBeUndefined();
    expect(result.error).toBeNull();
  });
});
