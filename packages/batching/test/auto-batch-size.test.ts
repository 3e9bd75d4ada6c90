import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AdaptiveBatcher,
  BatchSizeTuner,
  type BatchSizeTunerOptions,
  type BatchStats,
} from '../src/index';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/**
 * Runs `clients` closed-loop clients (submit, await, submit again) for `ms` of fake time
 * against a model whose batch of b rows takes `cost(b)` ms.
 */
async function simulate(options: {
  cost: (rows: number) => number;
  clients: number;
  ms: number;
  tuner?: BatchSizeTunerOptions;
  batcher?: AdaptiveBatcher<number, number>;
}) {
  let cost = options.cost;
  const stats: BatchStats[] = [];
  const batcher =
    options.batcher ??
    new AdaptiveBatcher<number, number>({
      run: (items) =>
        new Promise((resolve) => setTimeout(() => resolve(items), cost(items.length))),
      onStats: (s) => stats.push(s),
      ...(options.tuner === undefined ? {} : { tuner: options.tuner }),
    });
  let stop = false;
  let done = 0;
  const latencies: number[] = [];
  const client = async () => {
    while (!stop) {
      const start = performance.now();
      await batcher.submit(1);
      latencies.push(performance.now() - start);
      done += 1;
    }
  };
  const clients = Array.from({ length: options.clients }, client);
  await vi.advanceTimersByTimeAsync(options.ms);
  stop = true;
  await vi.advanceTimersByTimeAsync(10_000);
  await Promise.all(clients);
  return {
    batcher,
    stats,
    done,
    latencies,
    setCost: (next: (rows: number) => number) => {
      cost = next;
    },
  };
}

const tail = (stats: BatchStats[], n: number) => stats.slice(-n).map((s) => s.size);
const mode = (values: number[]) => {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]![0];
};

describe("maxBatchSize: 'auto'", () => {
  it('at 1 client behaves like batching off: batch 1, latency = run time', async () => {
    const { stats, latencies } = await simulate({ cost: (b) => 10 + 2 * b, clients: 1, ms: 2000 });
    expect(stats.every((s) => s.size === 1 && s.queueWaitMs === 0)).toBe(true);
    expect(new Set(latencies)).toEqual(new Set([12]));
  });

  it('asks the tuner for no limit while no limit could shape the batch (one row waiting)', async () => {
    const nextLimit = vi.spyOn(BatchSizeTuner.prototype, 'nextLimit');
    try {
      await simulate({ cost: (b) => 10 + 2 * b, clients: 1, ms: 500 });
      expect(nextLimit).not.toHaveBeenCalled();
      await simulate({ cost: (b) => 10 + 2 * b, clients: 8, ms: 500 });
      expect(nextLimit).toHaveBeenCalled();
    } finally {
      nextLimit.mockRestore();
    }
  });

  it('climbs to the cap when batching pays (cost 10 + 2b ms)', async () => {
    const { batcher, stats } = await simulate({ cost: (b) => 10 + 2 * b, clients: 128, ms: 5000 });
    expect(batcher.maxBatchSize).toBe(64);
    expect(mode(tail(stats, 50))).toBe(64);
    expect(new AdaptiveBatcher({ run: async () => [], maxBatchSize: 4 }).tunerSnapshot()).toBe(
      undefined,
    );
  });

  it('settles on the interior optimum of a cost with a sweet spot (10 + 2b + 0.1b² ms → 8)', async () => {
    const { batcher, stats } = await simulate({
      cost: (b) => Math.round(10 + 2 * b + 0.1 * b * b),
      clients: 64,
      ms: 10_000,
    });
    expect(batcher.maxBatchSize).toBe(8);
    expect(mode(tail(stats, 50))).toBe(8);
    const buckets = batcher.tunerSnapshot()!;
    const best = buckets.reduce((a, b) => (b.rowsPerSecond > a.rowsPerSecond ? b : a));
    expect(best.size).toBe(8);
    expect(best.medianRunMs).toBe(Math.round(10 + 2 * 8 + 0.1 * 64));
  });

  it('stays at 1 when batching does not pay (cost 10b ms)', async () => {
    const { batcher, stats } = await simulate({ cost: (b) => 10 * b, clients: 64, ms: 10_000 });
    expect(batcher.maxBatchSize).toBe(1);
    const sizes = tail(stats, 100);
    expect(sizes.filter((s) => s === 1).length).toBeGreaterThan(80); // probes aside
  });

  it('stays at 1 when batching costs throughput (cost 10 b^1.15 ms, MobileNet-like)', async () => {
    const { batcher } = await simulate({
      cost: (b) => Math.round(10 * b ** 1.15),
      clients: 64,
      ms: 10_000,
    });
    expect(batcher.maxBatchSize).toBe(1);
  });

  it('never settles on a size whose run time exceeds the latency budget', async () => {
    const { batcher, stats } = await simulate({
      cost: (b) => 10 + 2 * b,
      clients: 128,
      ms: 5000,
      tuner: { latencyBudgetMs: 50 }, // 10 + 2b <= 50 → b <= 20 → bucket 16
    });
    expect(batcher.maxBatchSize).toBe(16);
    expect(Math.max(...stats.map((s) => s.runMs))).toBeLessThanOrEqual(50);
  });

  it('probes below its size only now and then when the size above is over the budget', async () => {
    const { batcher, stats } = await simulate({
      cost: (b) => 5 + b,
      clients: 64,
      ms: 5000,
      tuner: { latencyBudgetMs: 20 }, // 16 rows take 21 ms: 8 is the largest that fits
    });
    expect(batcher.maxBatchSize).toBe(8);
    const limits = stats.slice(100).map((s) => s.maxBatchSize);
    const below = limits.filter((limit) => limit < 8).length;
    // A probe every `exploreEvery` (16) dispatches, not every other one.
    expect(below / limits.length).toBeLessThan(0.15);
  });

  it('re-checks as the cost changes: back down to 1 once batching stops paying', async () => {
    const first = await simulate({ cost: (b) => 10 + 2 * b, clients: 128, ms: 5000 });
    expect(first.batcher.maxBatchSize).toBe(64);
    first.setCost((b) => 10 * b);
    // Same batcher, new cost model.
    const { batcher } = await simulate({
      cost: () => 0,
      clients: 128,
      ms: 30_000,
      batcher: first.batcher,
    });
    expect(batcher.maxBatchSize).toBe(1);
  });
});
