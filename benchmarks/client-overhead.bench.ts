/**
 * Question (issue 11): what does `@infer/client` cost over a hand-written `fetch` +
 * `JSON.stringify` call for the same request? Goals: within 5% for small tensors, faster for
 * 1 MiB (where the client goes binary on its own).
 *
 * One server in a child process (`client-overhead-server.mjs`: built `serve()` on
 * 127.0.0.1 port 0, FP32 identity model, batching off), so this process holds the client
 * side only and its CPU time per request is the client's own cost (fetch/undici included).
 * Variants, all on the built packages:
 *
 * - `hand`: `fetch(url, { body: JSON.stringify({ inputs: [{ name, shape, datatype, data:
 *   Array.from(f32) }] }) })`, `response.json()`, output taken as `new Float32Array(data)`.
 * - `client`: `createClient({ baseUrl }).model('identity').infer({ x: { data: f32, shape } })`,
 *   its automatic choice (JSON under 1 KiB of input, binary from there on), as Node loads it
 *   (the `node` export condition: requests on `node:http` with keep-alive connections).
 * - `client-fetch`: the same client on `globalThis.fetch` (`fetch: globalThis.fetch`): the
 *   transport it has in browsers and edge runtimes, and the same `fetch` as `hand`.
 * - `client-json`: `client` with `binary: false` (1 MiB only, where auto goes binary).
 *
 * Cases: FP32 [1, 16] (64 B, JSON for both) at 1 and 8 in flight, FP32 [1, 512] (2 KiB: the
 * client goes binary) at 1, FP32 [1, 262144] (1 MiB) at 1. Each case runs in rounds; in a
 * round every variant runs its share of calls (closed loop at the given concurrency), the
 * order rotating per round, so load drifts on the shared machine hit all variants alike.
 * Printed per variant: req/s (calls / the variant's own wall time), mean and p50 latency,
 * this process's CPU per call, and the ratios to hand. Then the small cases again as paired
 * blocks (see `paired`), which measure each client's added time per call directly.
 * Run: `pnpm bench client-overhead` (~90 s; `CLIENT_OVERHEAD_ROUNDS=n` sets the paired rounds).
 */
import { createClient } from '@infer/client';
import { startChild } from './lib/child-process';
import { envInteger } from './lib/env';
import { percentile, round } from './lib/latency';
import { describeMachine, machineInfo, watchLoad } from './lib/machine';
import { writeResults } from './lib/results';

type Variant = 'hand' | 'client' | 'client-fetch' | 'client-json';

interface Case {
  name: string;
  floats: number;
  concurrency: number;
  rounds: number;
  /** Calls per variant per round. */
  calls: Partial<Record<Variant, number>>;
}

const CASES: Case[] = [
  {
    name: 'FP32 [1,16]',
    floats: 16,
    concurrency: 1,
    rounds: 8,
    calls: { hand: 150, client: 150, 'client-fetch': 150 },
  },
  {
    name: 'FP32 [1,16]',
    floats: 16,
    concurrency: 8,
    rounds: 8,
    calls: { hand: 300, client: 300, 'client-fetch': 300 },
  },
  {
    name: 'FP32 [1,512]',
    floats: 512,
    concurrency: 1,
    rounds: 6,
    calls: { hand: 80, client: 80, 'client-fetch': 80 },
  },
  {
    name: 'FP32 [1,262144] (1 MiB)',
    floats: 262_144,
    concurrency: 1,
    rounds: 3,
    calls: { hand: 2, client: 8, 'client-fetch': 8, 'client-json': 2 },
  },
];

const machine = machineInfo();
console.log(describeMachine(machine));
const load = watchLoad();

const server = await startChild(
  'identity',
  new URL('./client-overhead-server.mjs', import.meta.url),
);
const baseUrl = `http://127.0.0.1:${server.port}`;
const url = `${baseUrl}/v2/models/identity/infer`;
const model = createClient({ baseUrl }).model('identity');
const modelOnFetch = createClient({ baseUrl, fetch: globalThis.fetch }).model('identity');

/** The hand-written call: what an app would write without the client. */
async function hand(x: Float32Array, shape: number[]): Promise<Float32Array> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ inputs: [{ name: 'x', shape, datatype: 'FP32', data: Array.from(x) }] }),
  });
  if (!response.ok) throw new Error(`server answered ${response.status}`);
  const body = (await response.json()) as { outputs: Array<{ data: number[] }> };
  return new Float32Array(body.outputs[0]!.data);
}

async function viaClient(
  client: typeof model,
  x: Float32Array,
  shape: number[],
  binary?: boolean,
): Promise<Float32Array> {
  const result = await client.infer(
    { x: { data: x, shape } },
    binary === undefined ? {} : { binary },
  );
  return result.outputs['y']!.data as Float32Array;
}

function call(variant: Variant, x: Float32Array, shape: number[]): Promise<Float32Array> {
  if (variant === 'hand') return hand(x, shape);
  if (variant === 'client-fetch') return viaClient(modelOnFetch, x, shape);
  return viaClient(model, x, shape, variant === 'client-json' ? false : undefined);
}

const mean = (values: readonly number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;

interface Totals {
  latencies: number[];
  wallMs: number;
  cpuMs: number;
}

/** `calls` calls of `variant`, `concurrency` at a time; adds latencies, wall and CPU time. */
async function runRound(
  variant: Variant,
  x: Float32Array,
  shape: number[],
  calls: number,
  concurrency: number,
  totals: Totals,
): Promise<void> {
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const loop = async () => {
    while (next < calls) {
      next += 1;
      const t0 = performance.now();
      const y = await call(variant, x, shape);
      totals.latencies.push(performance.now() - t0);
      if (y.length !== x.length || y[x.length - 1] !== x[x.length - 1]) {
        throw new Error(`${variant}: the identity model's answer differs from the input`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, calls) }, loop));
  totals.wallMs += performance.now() - started;
  const used = process.cpuUsage(cpu);
  totals.cpuMs += (used.user + used.system) / 1000;
}

interface Row {
  case: string;
  concurrency: number;
  variant: Variant;
  calls: number;
  reqPerS: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  cpuMsPerCall: number;
}

const rows: Row[] = [];
for (const testCase of CASES) {
  const x = Float32Array.from({ length: testCase.floats }, (_, i) => Math.sin(i) * 100);
  const shape = [1, testCase.floats];
  const variants = Object.keys(testCase.calls) as Variant[];
  // Warm-up (JIT, connections): not counted.
  for (const variant of variants) {
    const totals: Totals = { latencies: [], wallMs: 0, cpuMs: 0 };
    const warm = Math.min(testCase.calls[variant]!, 50);
    await runRound(variant, x, shape, warm, testCase.concurrency, totals);
  }
  const totals = new Map<Variant, Totals>(
    variants.map((variant) => [variant, { latencies: [], wallMs: 0, cpuMs: 0 }]),
  );
  for (let r = 0; r < testCase.rounds; r++) {
    const order = variants.map((_, i) => variants[(i + r) % variants.length]!);
    for (const variant of order) {
      await runRound(
        variant,
        x,
        shape,
        testCase.calls[variant]!,
        testCase.concurrency,
        totals.get(variant)!,
      );
    }
  }
  console.log(`\n${testCase.name}, ${testCase.concurrency} in flight`);
  console.log('variant       calls    req/s  mean ms   p50 ms   p99 ms  client CPU ms/call');
  for (const variant of variants) {
    const t = totals.get(variant)!;
    const row: Row = {
      case: testCase.name,
      concurrency: testCase.concurrency,
      variant,
      calls: t.latencies.length,
      reqPerS: round((t.latencies.length / t.wallMs) * 1000, 1),
      meanMs: round(mean(t.latencies), 3),
      p50Ms: round(percentile(t.latencies, 50), 3),
      p99Ms: round(percentile(t.latencies, 99), 3),
      cpuMsPerCall: round(t.cpuMs / t.latencies.length, 3),
    };
    rows.push(row);
    console.log(
      `${variant.padEnd(12)} ${String(row.calls).padStart(6)} ${String(row.reqPerS).padStart(8)} ${row.meanMs.toFixed(3).padStart(8)} ${row.p50Ms.toFixed(3).padStart(8)} ${row.p99Ms.toFixed(3).padStart(8)} ${row.cpuMsPerCall.toFixed(3).padStart(19)}`,
    );
  }
  const handRow = rows.find(
    (r) =>
      r.case === testCase.name && r.concurrency === testCase.concurrency && r.variant === 'hand',
  )!;
  for (const variant of variants.filter((v) => v !== 'hand')) {
    const row = rows.find(
      (r) =>
        r.case === testCase.name && r.concurrency === testCase.concurrency && r.variant === variant,
    )!;
    console.log(
      `${variant} / hand: req/s ${(row.reqPerS / handRow.reqPerS).toFixed(3)}, mean ${(row.meanMs / handRow.meanMs).toFixed(3)}, p50 ${(row.p50Ms / handRow.p50Ms).toFixed(3)}, CPU/call ${(row.cpuMsPerCall / handRow.cpuMsPerCall).toFixed(3)}`,
    );
  }
}

/**
 * Paired small-tensor blocks, one call in flight: each round runs a block of calls of the
 * hand-written call, of the client (node:http), of the client on fetch, and of the
 * hand-written call again (`control`), in a seeded random order, and compares the blocks' mean latencies within the round. Blocks
 * rather than single calls, because a call leaves garbage that the next call's GC pays for:
 * with single calls in a fixed rotation that debt lands on whichever arm comes next. Rounds
 * are short (~0.1 s), so drift on the shared machine hits the three blocks of a round alike.
 * The control arm is an A/A test: its difference from `hand` is the measurement's own noise.
 * Differences are reported as a mean with its 95% interval (normal approximation) and as a
 * 10%-trimmed mean with a bootstrap 95% interval (robust to rounds hit by a pause), relative
 * to the hand-written call's mean latency.
 */
interface Difference {
  meanUs: number;
  meanCi95Us: [number, number];
  meanPct: number;
  meanCi95Pct: [number, number];
  trimmedUs: number;
  trimmedCi95Us: [number, number];
  trimmedPct: number;
  trimmedCi95Pct: [number, number];
  medianUs: number;
}

interface PairedResult {
  case: string;
  rounds: number;
  handMeanMs: number;
  handP50Ms: number;
  clientMeanMs: number;
  clientP50Ms: number;
  clientFetchMeanMs: number;
  handCpuUsPerCall: number;
  clientCpuUsPerCall: number;
  clientFetchCpuUsPerCall: number;
  clientMinusHand: Difference;
  clientFetchMinusHand: Difference;
  controlMinusHand: Difference;
}

/** `a - b` per round, in us, summarised relative to `baseUs`. */
function difference(a: readonly number[], b: readonly number[], baseUs: number): Difference {
  const diffs = a.map((ms, i) => (ms - b[i]!) * 1000);
  const m = mean(diffs);
  const sd = Math.sqrt(diffs.reduce((sum, d) => sum + (d - m) ** 2, 0) / (diffs.length - 1));
  const half = (1.96 * sd) / Math.sqrt(diffs.length);
  const trimmed = trimmedMean(diffs);
  const [low, high] = bootstrapCi(diffs, trimmedMean);
  const pct = (us: number) => round((us / baseUs) * 100, 2);
  return {
    meanUs: round(m, 1),
    meanCi95Us: [round(m - half, 1), round(m + half, 1)],
    meanPct: pct(m),
    meanCi95Pct: [pct(m - half), pct(m + half)],
    trimmedUs: round(trimmed, 1),
    trimmedCi95Us: [round(low, 1), round(high, 1)],
    trimmedPct: pct(trimmed),
    trimmedCi95Pct: [pct(low), pct(high)],
    medianUs: round(percentile(diffs, 50), 1),
  };
}

async function paired(floats: number, rounds: number, block: number): Promise<PairedResult> {
  const x = Float32Array.from({ length: floats }, (_, i) => Math.sin(i) * 100);
  const shape = [1, floats];
  type Arm = 'hand' | 'client' | 'client-fetch' | 'control';
  const arms: Arm[] = ['hand', 'client', 'client-fetch', 'control'];
  const blockMs: Record<Arm, number[]> = { hand: [], client: [], 'client-fetch': [], control: [] };
  const cpu: Record<Arm, number> = { hand: 0, client: 0, 'client-fetch': 0, control: 0 };
  const random = seededRandom(7);
  const runBlock = async (arm: Arm, calls: number) => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) {
      const y = await call(arm === 'control' ? 'hand' : arm, x, shape);
      if (y[floats - 1] !== x[floats - 1]) throw new Error(`${arm}: wrong answer`);
    }
    const used = process.cpuUsage(cpu0);
    return { ms: (performance.now() - t0) / calls, cpuUs: used.user + used.system };
  };
  for (const arm of arms) await runBlock(arm, 300);
  for (let r = 0; r < rounds; r++) {
    const order = [...arms];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const arm of order) {
      const { ms, cpuUs } = await runBlock(arm, block);
      blockMs[arm].push(ms);
      cpu[arm] += cpuUs;
    }
  }
  const handMeanUs = mean(blockMs.hand) * 1000;
  const calls = rounds * block;
  return {
    case: `FP32 [1,${floats}], 1 in flight, paired blocks of ${block}`,
    rounds,
    handMeanMs: round(handMeanUs / 1000, 4),
    handP50Ms: round(percentile(blockMs.hand, 50), 4),
    clientMeanMs: round(mean(blockMs.client), 4),
    clientP50Ms: round(percentile(blockMs.client, 50), 4),
    clientFetchMeanMs: round(mean(blockMs['client-fetch']), 4),
    handCpuUsPerCall: round(cpu.hand / calls, 1),
    clientCpuUsPerCall: round(cpu.client / calls, 1),
    clientFetchCpuUsPerCall: round(cpu['client-fetch'] / calls, 1),
    clientMinusHand: difference(blockMs.client, blockMs.hand, handMeanUs),
    clientFetchMinusHand: difference(blockMs['client-fetch'], blockMs.hand, handMeanUs),
    controlMinusHand: difference(blockMs.control, blockMs.hand, handMeanUs),
  };
}

/** mulberry32: a seeded 32-bit generator (integer math stays exact, unlike a float LCG). */
function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Mean of the middle 80% (10% cut from each end). */
function trimmedMean(values: readonly number[]): number {
  const sorted = Float64Array.from(values).sort();
  const cut = Math.floor(sorted.length * 0.1);
  let sum = 0;
  for (let i = cut; i < sorted.length - cut; i++) sum += sorted[i]!;
  return sum / (sorted.length - 2 * cut);
}

/** 95% percentile-bootstrap interval of `statistic` (1,000 resamples, seeded). */
function bootstrapCi(
  values: readonly number[],
  statistic: (sample: readonly number[]) => number,
): [number, number] {
  const random = seededRandom(42);
  const estimates: number[] = [];
  const sample = new Array<number>(values.length);
  for (let b = 0; b < 1000; b++) {
    for (let i = 0; i < values.length; i++) {
      sample[i] = values[Math.floor(random() * values.length)]!;
    }
    estimates.push(statistic(sample));
  }
  return [percentile(estimates, 2.5), percentile(estimates, 97.5)];
}

/** Rounds of the paired blocks (`CLIENT_OVERHEAD_ROUNDS`; 160 by default, ~15 s per case). */
const PAIRED_ROUNDS = envInteger('CLIENT_OVERHEAD_ROUNDS', 160, 10);
const pairedResults: PairedResult[] = [];
const describeDifference = (d: Difference) =>
  `mean ${d.meanUs} us [${d.meanCi95Us.join(', ')}] = ${d.meanPct}% [${d.meanCi95Pct.join(', ')}%]; 10%-trimmed ${d.trimmedUs} us [${d.trimmedCi95Us.join(', ')}] = ${d.trimmedPct}% [${d.trimmedCi95Pct.join(', ')}%]; median ${d.medianUs} us`;
for (const floats of [16, 128]) {
  const result = await paired(floats, PAIRED_ROUNDS, 50);
  pairedResults.push(result);
  console.log(`\n${result.case} (${result.rounds} rounds)`);
  console.log(
    `hand mean ${result.handMeanMs} ms (median block ${result.handP50Ms}), client mean ${result.clientMeanMs} ms (median block ${result.clientP50Ms}), client on fetch mean ${result.clientFetchMeanMs} ms; CPU per call: client ${result.clientCpuUsPerCall}, on fetch ${result.clientFetchCpuUsPerCall}, hand ${result.handCpuUsPerCall} us`,
  );
  console.log(`client - hand:  ${describeDifference(result.clientMinusHand)}`);
  console.log(`client-fetch - hand: ${describeDifference(result.clientFetchMinusHand)}`);
  console.log(`control - hand: ${describeDifference(result.controlMinusHand)} (A/A: the noise)`);
}

await server.stop();
const loadDuring = load();
console.log(
  `\nload average during the run: min ${loadDuring.min}, mean ${loadDuring.mean}, max ${loadDuring.max}`,
);
writeResults('client-overhead', { machine, load: loadDuring, rows, paired: pairedResults });
