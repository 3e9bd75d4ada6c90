import { describe, expect, it } from 'vitest';
import { AdaptiveBatcher, type AdaptiveBatcherOptions } from '../src/index';

const run = async (items: number[]) => items;
const make = (options: Partial<AdaptiveBatcherOptions<number, number>>) =>
  new AdaptiveBatcher<number, number>({ run, ...options } as AdaptiveBatcherOptions<
    number,
    number
  >);

describe('options validation', () => {
  it.each([
    [{ run: 3 }, 'options.run must be a function'],
    [{ maxBatchSize: 0 }, "options.maxBatchSize must be a positive integer or 'auto'"],
    [{ maxBatchSize: 1.5 }, "options.maxBatchSize must be a positive integer or 'auto'"],
    [{ maxBatchDelayMs: -1 }, 'options.maxBatchDelayMs must be a non-negative number of ms'],
    [{ maxQueueSize: 0 }, 'options.maxQueueSize must be a positive integer'],
    [{ timeoutMs: Number.NaN }, 'options.timeoutMs must be a non-negative number of ms (0 = none)'],
    [{ concurrency: 0 }, 'options.concurrency must be a positive integer'],
    [{ rows: 1 }, 'options.rows must be a function'],
    [{ key: 'k' }, 'options.key must be a function'],
    [{ onStats: {} }, 'options.onStats must be a function'],
    [{ onQueueLength: 1 }, 'options.onQueueLength must be a function'],
    [{ tuner: 5 }, 'options.tuner must be an object'],
    [{ tuner: { maxSize: 0 } }, 'options.tuner.maxSize must be a positive integer'],
    [
      { tuner: { latencyBudgetMs: 0 } },
      'options.tuner.latencyBudgetMs must be a positive number of ms',
    ],
    [
      { tuner: { sampleLifetimeMs: -5 } },
      'options.tuner.sampleLifetimeMs must be a positive number of ms',
    ],
    [{ tuner: { exploreEvery: 1 } }, 'options.tuner.exploreEvery must be an integer >= 2'],
  ])('%o is refused with one message naming the path', (options, message) => {
    expect(() => make(options as never)).toThrow(new TypeError(message));
  });

  it('lists every bad option in one error', () => {
    expect(() => make({ maxQueueSize: -1, concurrency: 0 })).toThrow(
      'options.maxQueueSize must be a positive integer; options.concurrency must be a positive integer',
    );
  });

  it('refuses a non-object', () => {
    expect(() => new AdaptiveBatcher(null as never)).toThrow(
      new TypeError('options must be an object'),
    );
  });

  it('refuses tuner options with a fixed maxBatchSize (conflict: RangeError)', () => {
    expect(() => make({ maxBatchSize: 8, tuner: { maxSize: 16 } })).toThrow(
      new RangeError("options.tuner applies only when options.maxBatchSize is 'auto'"),
    );
  });

  it('applies the documented defaults', () => {
    const batcher = make({});
    expect(batcher.maxBatchSize).toBe(1); // auto starts at 1
    expect(batcher.queueLength).toBe(0);
    expect(batcher.running).toBe(0);
    expect(make({ maxBatchSize: 8 }).maxBatchSize).toBe(8);
  });

  it('rejects (never throws) bad per-submit options', async () => {
    const batcher = make({});
    await expect(batcher.submit(1, { timeoutMs: -1 })).rejects.toThrow(
      'options.timeoutMs must be a non-negative number',
    );
    await expect(batcher.submit(1, { priority: Number.NaN })).rejects.toThrow(
      'options.priority must be a finite number',
    );
    const badRows = make({ rows: () => -1 });
    await expect(badRows.submit(1)).rejects.toThrow(
      'options.rows(item) must return a non-negative integer, got -1',
    );
    const boom = new Error('key failed');
    const badKey = make({
      key: () => {
        throw boom;
      },
    });
    await expect(badKey.submit(1)).rejects.toBe(boom);
  });
});
