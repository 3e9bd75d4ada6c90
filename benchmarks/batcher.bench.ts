/**
 * Question: what does `AdaptiveBatcher` cost per item, and does its policy keep batch-1
 * latency while finding the right batch size under load?
 *
 * Part 1 (mitata): submit→result overhead per item against calling `run` directly, at
 * batch 1 (one item in flight) and under load (64 items in flight), with a no-op model.
 * Part 2 (closed loop, real time): synthetic CPU-bound models (busy-wait for cost(b) ms),
 * 1 and 32 clients, batching off vs fixed 32 vs auto; throughput and p50/p99.
 * Imports the built package (`pnpm build` first; `pnpm bench batcher` does it).
 */
import { AdaptiveBatcher } from '@infer/batching';
import { bench, do_not_optimize, run, summary } from 'mitata';

const echo = async (items: number[]) => items;

// ---------------------------------------------------------------- part 1: overhead
const auto = new AdaptiveBatcher<number, number>({ run: echo });
const noTimeout = new AdaptiveBatcher<number, number>({ run: echo, timeoutMs: 0 });
const fixed64 = new AdaptiveBatcher<number, number>({ run: echo, maxBatchSize: 64 });
const LOAD = 64;
const indices = Array.from({ length: LOAD }, (_, i) => i);

summary(() => {
  bench('batch 1: direct run([x])', async () => do_not_optimize(await echo([1])));
  bench('batch 1: batcher.submit(x)', async () => do_not_optimize(await auto.submit(1)));
  bench('batch 1: batcher.submit(x), timeoutMs 0', async () =>
    do_not_optimize(await noTimeout.submit(1)),
  );
});
summary(() => {
  bench(`load ${LOAD}: direct ${LOAD} x run([x])`, async () =>
    do_not_optimize(await Promise.all(indices.map((i) => echo([i])))),
  );
  bench(`load ${LOAD}: direct run(${LOAD} items)`, async () =>
    do_not_optimize(await echo(indices)),
  );
  bench(`load ${LOAD}: ${LOAD} x batcher.submit(x)`, async () =>
    do_not_optimize(await Promise.all(indices.map((i) => fixed64.submit(i)))),
  );
});

const results = await run({ format: 'quiet' });
const avg = new Map<string, number>();
for (const trial of results.benchmarks) {
  for (const r of trial.runs) if (r.stats !== undefined) avg.set(r.name, r.stats.avg);
}
const ns = (name: string) => avg.get(name) ?? Number.NaN;
const row = (name: string, items: number, base: string) => {
  const perItem = ns(name) / items;
  const ratio = ns(name) / ns(base);
  console.log(
    `${name.padEnd(44)} ${(perItem / 1000).toFixed(3).padStart(8)} µs/item  ${ratio.toFixed(2).padStart(6)}x  (+${((ns(name) - ns(base)) / items / 1000).toFixed(3)} µs/item)`,
  );
};
console.log('\nPart 1: overhead per item (mitata avg), ratio to the first row of each group');
row('batch 1: direct run([x])', 1, 'batch 1: direct run([x])');
row('batch 1: batcher.submit(x)', 1, 'batch 1: direct run([x])');
row('batch 1: batcher.submit(x), timeoutMs 0', 1, 'batch 1: direct run([x])');
const d64 = `load ${LOAD}: direct ${LOAD} x run([x])`;
row(d64, LOAD, d64);
row(`load ${LOAD}: direct run(${LOAD} items)`, LOAD, d64);
row(`load ${LOAD}: ${LOAD} x batcher.submit(x)`, LOAD, d64);

// ---------------------------------------------------------------- part 2: policy
const busy = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin: a CPU-bound model on the event loop thread
  }
};
const models = {
  'batching pays (0.5 + 0.02 b ms)': (b: number) => 0.5 + 0.02 * b,
  'batching costs (0.1 b^1.12 ms)': (b: number) => 0.1 * b ** 1.12,
} as const;

type Setting = 'direct' | 'off' | 8 | 32 | 'auto';

async function closedLoop(
  cost: (b: number) => number,
  clients: number,
  setting: Setting,
  ms: number,
  warmupMs: number,
) {
  const model = async (items: number[]) => {
    busy(cost(items.length));
    return items;
  };
  const batcher =
    setting === 'direct'
      ? undefined
      : new AdaptiveBatcher<number, number>({
          run: model,
          maxBatchSize: setting === 'off' ? 1 : setting,
        });
  const call =
    batcher === undefined
      ? (x: number) => model([x]).then((r) => r[0]!)
      : (x: number) => batcher.submit(x);
  const latencies: number[] = [];
  const started = performance.now();
  const measureFrom = started + warmupMs;
  const end = measureFrom + ms;
  const client = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      await call(1);
      if (t0 >= measureFrom) latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  latencies.sort((a, b) => a - b);
  const q = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  return {
    throughput: latencies.length / (ms / 1000),
    p50: q(0.5),
    p99: q(0.99),
    size: batcher?.maxBatchSize ?? 1,
  };
}

const CELL_MS = 1500;
console.log(
  `\nPart 2: closed loop, ${CELL_MS} ms per cell after 500 ms warm-up; req/s, p50/p99 in ms`,
);
for (const [name, cost] of Object.entries(models)) {
  for (const clients of [1, 32]) {
    const settings: Setting[] = clients === 1 ? ['direct', 'off', 'auto'] : ['off', 8, 32, 'auto'];
    console.log(`${name}, ${clients} client(s):`);
    let off: { throughput: number; p50: number } | undefined;
    let best = 0;
    for (const setting of settings) {
      const r = await closedLoop(cost, clients, setting, CELL_MS, 500);
      if (setting === 'off') off = r;
      if (typeof setting === 'number' || setting === 'off') best = Math.max(best, r.throughput);
      const label = typeof setting === 'number' ? `fixed ${setting}` : setting;
      let line = `  ${label.padEnd(8)} ${r.throughput.toFixed(0).padStart(6)} req/s  p50 ${r.p50.toFixed(3)}  p99 ${r.p99.toFixed(3)}`;
      if (setting === 'auto') {
        line += `  settled ${r.size}`;
        if (clients === 1 && off !== undefined) {
          line += `  p50 vs off ${((r.p50 - off.p50) * 1000).toFixed(1)} µs`;
        } else if (best > 0) {
          line += `  ${((r.throughput / best) * 100).toFixed(0)}% of best fixed/off`;
        }
      }
      console.log(line);
    }
  }
}
