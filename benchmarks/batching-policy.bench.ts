/**
 * Question (issue 4): is batching adaptive in fact? At 1, 8, 32 and 128 concurrent
 * in-process clients (closed loop, `ServedModel.predict` via `loadModel`, no HTTP), what
 * throughput and p50/p99 do batching off, fixed `maxBatchSize` 4 / 8 / 32 and `'auto'`
 * (the default) give, on two models:
 *
 * - `mobilenet`: MobileNetV2 int8 on ONNX Runtime, in-process, 2 intra-op threads (the
 *   default on 2 cores). On this CPU a batch costs more per image than single runs, so
 *   batching should not pay.
 * - `synthetic`: a CPU-bound `defineModel` whose cost grows sub-linearly with the batch: a
 *   fixed 2 ms per call plus 0.05 ms per row, spent busy-waiting on the event loop thread
 *   (wall clock, so another process preempting it does not lengthen the model itself), so
 *   batching pays.
 *
 * Ceilings: each model's bare call in a loop at batch 1..64 (MobileNet: `session.run` on an
 * ORT tensor built once; synthetic: the same busy-wait function), measured in this run.
 * For `c` clients the ceiling is the best batch size <= min(c, 64) (64 = auto's largest),
 * since c clients can never fill a larger batch.
 *
 * At 1 client the settings are interleaved call by call (a fair p50 comparison on a shared
 * machine); at 8+ clients each cell is a closed loop of its own, cells rotated per level,
 * the first seconds (longer at high concurrency) not counted.
 *
 * Goals (issue 4): at 1 client, p50 with batching on within 5% (or 0.2 ms) of off; at 32+
 * clients auto >= 95% of the best fixed setting (off counts as fixed 1) on each model, and
 * >= 90% of the ceiling on the model where batching pays.
 *
 * Run: `pnpm bench batching-policy` (about 2 minutes); `QUICK=1` for 1 and 32 clients with
 * short cells. Results: `benchmarks/results/batching-policy.json`, charts
 * `docs/charts/batching-*.svg`.
 */
import { setMaxListeners } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { InferenceRequest } from '@infer/codecs';
import {
  defineModel,
  loadModel,
  type ServedModel,
  type ServedModelMetrics,
  type ServingOptionsV1,
} from '@infer/core';
import { OnnxModel, toOrtTensor } from '@infer/runtime-onnx';
import type { ChartSpec } from './lib/chart';
import { finchPixels } from './lib/finch.mjs';
import { percentile, round } from './lib/latency';
import { describeMachine, machineInfo, watchLoad } from './lib/machine';
import { writeResults } from './lib/results';

const QUICK = process.env.QUICK === '1';
const LEVELS = QUICK ? [1, 32] : [1, 8, 32, 128];
const MOBILENET = fileURLToPath(new URL('../models/mobilenet/model.onnx', import.meta.url));
const FIXED_COST_MS = 2;
const ROW_COST_MS = 0.05;
const ROW_WIDTH = 16;

type Setting = 'off' | 'fixed 4' | 'fixed 8' | 'fixed 32' | 'auto';
const SETTINGS: Setting[] = ['off', 'fixed 4', 'fixed 8', 'fixed 32', 'auto'];

function servingOf(setting: Setting): ServingOptionsV1 {
  if (setting === 'off') return { batching: false };
  if (setting === 'auto') return { batching: { maxBatchSize: 'auto' } };
  return { batching: { maxBatchSize: Number(setting.split(' ')[1]) } };
}

interface ModelCase {
  name: 'mobilenet' | 'synthetic';
  /** Seconds of a measured cell, and of its warm-up (before the adaptive stretch). */
  durationS: number;
  warmupS: number;
  maxDurationS: number;
  maxWarmupS: number;
  create(setting: Setting, metrics: ServedModelMetrics): Promise<ServedModel>;
  request(): InferenceRequest;
  /** Bare call at `batch` rows for `seconds`: rows per second. */
  bare(batch: number, seconds: number): Promise<number>;
  ceilingBatches: number[];
  ceilingS: number;
}

/** Busy-waits `ms` on this thread (wall clock). */
function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // burn
  }
}

function syntheticCost(rows: number): number {
  return FIXED_COST_MS + ROW_COST_MS * rows;
}

/** The synthetic model's own work: the cost, then one sum per row. */
function syntheticRun(data: Float32Array, rows: number): Float32Array {
  spin(syntheticCost(rows));
  const out = new Float32Array(rows);
  for (let row = 0; row < rows; row++) {
    let sum = 0;
    for (let i = 0; i < ROW_WIDTH; i++) sum += data[row * ROW_WIDTH + i]!;
    out[row] = sum;
  }
  return out;
}

async function mobilenetCase(): Promise<ModelCase> {
  const pixels = await finchPixels();
  const bareModel = new OnnxModel({ name: 'bare', path: MOBILENET });
  await bareModel.load();
  return {
    name: 'mobilenet',
    durationS: QUICK ? 1.5 : 2,
    warmupS: QUICK ? 0.5 : 0.75,
    maxDurationS: QUICK ? 3 : 4,
    maxWarmupS: QUICK ? 2 : 3,
    create: (setting, metrics) =>
      // In-process, as the bare ceiling (an OnnxModel from a path defaults to one worker).
      loadModel(
        new OnnxModel({ name: 'mobilenet', path: MOBILENET, workers: 0, ...servingOf(setting) }),
        { metrics },
      ),
    request: () => ({
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3, 224, 224], data: pixels }],
    }),
    bare: async (batch, seconds) => {
      const data = new Float32Array(pixels.length * batch);
      for (let row = 0; row < batch; row++) data.set(pixels, row * pixels.length);
      const feeds = {
        input: toOrtTensor({ name: 'input', datatype: 'FP32', shape: [batch, 3, 224, 224], data }),
      };
      const session = bareModel.session!;
      await session.run(feeds);
      let rows = 0;
      const started = performance.now();
      while (performance.now() - started < seconds * 1000) {
        await session.run(feeds);
        rows += batch;
      }
      return (rows / (performance.now() - started)) * 1000;
    },
    ceilingBatches: QUICK ? [1, 2, 4, 8] : [1, 2, 4, 8, 16, 32],
    ceilingS: QUICK ? 1 : 1.5,
  };
}

function syntheticCase(): ModelCase {
  const row = Float32Array.from({ length: ROW_WIDTH }, (_, i) => i / ROW_WIDTH);
  return {
    name: 'synthetic',
    durationS: QUICK ? 1 : 1.5,
    // Long enough for auto to climb from 1 (where 1 client left it) to 32: each step
    // needs 3 probes of the next size.
    warmupS: QUICK ? 1 : 1.5,
    maxDurationS: 3,
    maxWarmupS: 2,
    create: (setting, metrics) =>
      loadModel(
        defineModel({
          name: 'synthetic',
          inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, ROW_WIDTH] }],
          outputs: [{ name: 'y', datatype: 'FP32', shape: [-1] }],
          serving: servingOf(setting),
          predict: (request) => {
            const x = request.inputs[0]!;
            const rows = x.shape[0]!;
            return [
              {
                name: 'y',
                datatype: 'FP32',
                shape: [rows],
                data: syntheticRun(x.data as Float32Array, rows),
              },
            ];
          },
        }),
        { metrics },
      ),
    request: () => ({
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1, ROW_WIDTH], data: row }],
    }),
    bare: async (batch, seconds) => {
      const data = new Float32Array(ROW_WIDTH * batch);
      let rows = 0;
      const started = performance.now();
      while (performance.now() - started < seconds * 1000) {
        syntheticRun(data, batch);
        rows += batch;
        // Let the event loop breathe as the batcher does between batches.
        if (rows % (batch * 16) === 0) await Promise.resolve();
      }
      return (rows / (performance.now() - started)) * 1000;
    },
    ceilingBatches: [1, 2, 4, 8, 16, 32, 64],
    ceilingS: 0.4,
  };
}

interface Cell {
  model: string;
  setting: Setting;
  clients: number;
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  /** Mean rows per batch in the measured window (from the batcher's stats). */
  meanBatch: number;
}

/**
 * One client, the settings interleaved request by request (off, fixed 4, ..., auto, off,
 * ...), so load drifts on the shared machine hit every setting alike; per setting the
 * p50/p99 of its calls and req/s = 1000 / mean latency.
 */
async function measureOneClient(
  served: Map<Setting, ServedModel>,
  request: () => InferenceRequest,
  warmupS: number,
  durationS: number,
): Promise<Map<Setting, { rps: number; p50: number; p99: number; requests: number }>> {
  const latencies = new Map<Setting, number[]>(SETTINGS.map((setting) => [setting, []]));
  const started = performance.now();
  const from = started + warmupS * 1000;
  const until = from + durationS * SETTINGS.length * 1000;
  for (let turn = 0; performance.now() < until; turn++) {
    const setting = SETTINGS[turn % SETTINGS.length]!;
    const sent = performance.now();
    await served.get(setting)!.predict(request());
    if (sent >= from) latencies.get(setting)!.push(performance.now() - sent);
  }
  const result = new Map<Setting, { rps: number; p50: number; p99: number; requests: number }>();
  for (const [setting, values] of latencies) {
    const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
    result.set(setting, {
      rps: round(1000 / mean, 1),
      p50: round(percentile(values, 50), 3),
      p99: round(percentile(values, 99), 3),
      requests: values.length,
    });
  }
  return result;
}

/** `clients` closed-loop callers for warm-up + duration; stats over the measured part. */
async function measureCell(
  served: ServedModel,
  request: () => InferenceRequest,
  clients: number,
  warmupS: number,
  durationS: number,
  batches: { rows: number; count: number },
): Promise<Omit<Cell, 'model' | 'setting' | 'clients' | 'meanBatch'> & { meanBatch: number }> {
  const controller = new AbortController();
  // Every client's predict listens on this one signal (to stop at the end).
  setMaxListeners(0, controller.signal);
  const started = performance.now();
  const from = started + warmupS * 1000;
  const until = from + durationS * 1000;
  const latencies: number[] = [];
  let measuring = false;
  const client = async () => {
    while (performance.now() < until) {
      const sent = performance.now();
      try {
        await served.predict(request(), { signal: controller.signal });
      } catch (error) {
        if (controller.signal.aborted) return;
        throw error;
      }
      const now = performance.now();
      if (now >= from && now <= until) latencies.push(now - sent);
      if (!measuring && now >= from) {
        measuring = true;
        batches.rows = 0;
        batches.count = 0;
      }
    }
  };
  const timer = setTimeout(() => controller.abort(), (warmupS + durationS) * 1000 + 50);
  await Promise.all(Array.from({ length: clients }, client));
  clearTimeout(timer);
  const seconds = (Math.min(performance.now(), until) - from) / 1000;
  return {
    rps: round(latencies.length / seconds, 1),
    p50: round(percentile(latencies, 50), 3),
    p99: round(percentile(latencies, 99), 3),
    requests: latencies.length,
    meanBatch: batches.count > 0 ? round(batches.rows / batches.count, 1) : 0,
  };
}

async function runModel(modelCase: ModelCase) {
  // Ceiling first: bare calls at each batch size.
  const ceiling: Array<{ batch: number; rowsPerSecond: number }> = [];
  for (const batch of modelCase.ceilingBatches) {
    const rowsPerSecond = round(await modelCase.bare(batch, modelCase.ceilingS), 1);
    ceiling.push({ batch, rowsPerSecond });
    console.log(`${modelCase.name} ceiling batch ${batch}: ${rowsPerSecond} rows/s`);
  }
  const ceilingFor = (clients: number) =>
    ceiling
      .filter((point) => point.batch <= Math.min(clients, 64))
      .reduce((a, b) => (b.rowsPerSecond > a.rowsPerSecond ? b : a));

  // One served model per setting, all loaded at once; batch sizes come from the batcher
  // through the metrics hooks.
  const batchStats = new Map<Setting, { rows: number; count: number }>();
  const served = new Map<Setting, ServedModel>();
  for (const setting of SETTINGS) {
    const stats = { rows: 0, count: 0 };
    batchStats.set(setting, stats);
    const metrics: ServedModelMetrics = {
      observeBatch: ({ size }) => {
        stats.rows += size;
        stats.count += 1;
      },
      setQueueLength: () => undefined,
      setWorkers: () => undefined,
      incWorkerRestarts: () => undefined,
      observeModelLoad: () => undefined,
    };
    served.set(setting, await modelCase.create(setting, metrics));
  }
  const cells: Cell[] = [];
  const lastRps = new Map<Setting, number>();
  for (const [levelIndex, clients] of LEVELS.entries()) {
    if (clients === 1) {
      const one = await measureOneClient(
        served,
        modelCase.request,
        modelCase.warmupS,
        modelCase.durationS,
      );
      for (const setting of SETTINGS) {
        const result = one.get(setting)!;
        lastRps.set(setting, result.rps);
        cells.push({ model: modelCase.name, setting, clients, ...result, meanBatch: 1 });
        console.log(
          `${modelCase.name} c=1 ${setting} (interleaved): ${result.rps} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms`,
        );
      }
      continue;
    }
    const order = SETTINGS.map((_, i) => SETTINGS[(i + levelIndex) % SETTINGS.length]!);
    for (const setting of order) {
      const previous = lastRps.get(setting);
      const period = previous === undefined ? 0 : clients / previous;
      const warmupS = Math.min(modelCase.maxWarmupS, Math.max(modelCase.warmupS, 1.5 * period));
      const durationS = Math.min(
        modelCase.maxDurationS,
        Math.max(modelCase.durationS, 2.5 * period),
      );
      const result = await measureCell(
        served.get(setting)!,
        modelCase.request,
        clients,
        warmupS,
        durationS,
        batchStats.get(setting)!,
      );
      lastRps.set(setting, result.rps);
      cells.push({ model: modelCase.name, setting, clients, ...result });
      console.log(
        `${modelCase.name} c=${clients} ${setting}: ${result.rps} req/s, p50 ${result.p50} ms, ` +
          `p99 ${result.p99} ms, mean batch ${result.meanBatch}`,
      );
    }
  }
  for (const model of served.values()) await model.close();
  return { ceiling, ceilingFor, cells };
}

async function main(): Promise<void> {
  const machine = machineInfo();
  const stopLoad = watchLoad();
  const startedAt = performance.now();
  console.log(`${describeMachine(machine)}${QUICK ? ' (QUICK)' : ''}`);
  const cases = [syntheticCase(), await mobilenetCase()];
  const results = [];
  for (const modelCase of cases)
    results.push({ name: modelCase.name, ...(await runModel(modelCase)) });
  const load = stopLoad();

  const goals: Array<{ model: string; goal: string; value: string; met: boolean }> = [];
  const ceilingRows: Array<{
    model: string;
    clients: number;
    batch: number;
    rowsPerSecond: number;
  }> = [];
  console.log(`\nload average during the run: min ${load.min}, mean ${load.mean}, max ${load.max}`);
  console.log(
    '\n| model | clients | setting | req/s | p50 ms | p99 ms | vs off | vs best fixed | vs ceiling |',
  );
  console.log('|---|---:|---|---:|---:|---:|---:|---:|---:|');
  for (const result of results) {
    for (const clients of LEVELS) {
      const level = result.cells.filter((cell) => cell.clients === clients);
      const off = level.find((cell) => cell.setting === 'off')!;
      const fixed = level.filter((cell) => cell.setting !== 'auto');
      const bestFixed = fixed.reduce((a, b) => (b.rps > a.rps ? b : a));
      const ceiling = result.ceilingFor(clients);
      ceilingRows.push({ model: result.name, clients, ...ceiling });
      for (const cell of level) {
        console.log(
          `| ${result.name} | ${clients} | ${cell.setting} | ${cell.rps} | ${cell.p50} | ${cell.p99} | ` +
            `${round(cell.rps / off.rps, 2)}x | ${round((100 * cell.rps) / bestFixed.rps, 0)}% | ` +
            `${round((100 * cell.rps) / ceiling.rowsPerSecond, 0)}% |`,
        );
      }
      console.log(
        `| ${result.name} | ${clients} | ceiling (bare, batch ${ceiling.batch}) | ${ceiling.rowsPerSecond} | | | | | 100% |`,
      );
      const auto = level.find((cell) => cell.setting === 'auto')!;
      if (clients === 1) {
        for (const cell of level.filter((c) => c.setting !== 'off')) {
          const added = cell.p50 - off.p50;
          goals.push({
            model: result.name,
            goal: `1 client: p50 ${cell.setting} within 5% or 0.2 ms of off`,
            value: `${cell.p50} vs ${off.p50} ms (${added >= 0 ? '+' : ''}${round(added, 3)} ms, ${round((100 * added) / off.p50, 1)}%)`,
            met: added <= Math.max(0.2, 0.05 * off.p50),
          });
        }
      }
      if (clients >= 32) {
        goals.push({
          model: result.name,
          goal: `${clients} clients: auto >= 95% of best fixed (${bestFixed.setting})`,
          value: `${round((100 * auto.rps) / bestFixed.rps, 0)}% (${auto.rps} vs ${bestFixed.rps} req/s)`,
          met: auto.rps >= 0.95 * bestFixed.rps,
        });
        if (result.name === 'synthetic') {
          goals.push({
            model: result.name,
            goal: `${clients} clients: auto >= 90% of ceiling (batch ${ceiling.batch})`,
            value: `${round((100 * auto.rps) / ceiling.rowsPerSecond, 0)}% (${auto.rps} vs ${ceiling.rowsPerSecond})`,
            met: auto.rps >= 0.9 * ceiling.rowsPerSecond,
          });
        }
      }
    }
  }
  console.log('\n| model | goal | value | met |');
  console.log('|---|---|---|---|');
  for (const goal of goals)
    console.log(`| ${goal.model} | ${goal.goal} | ${goal.value} | ${goal.met ? 'yes' : 'no'} |`);

  const subtitle = `in-process closed loop, ${machine.nproc} x ${machine.cpuModel}, load avg ${load.mean}${QUICK ? ', QUICK' : ''}`;
  const charts: ChartSpec[] = results.flatMap((result) => {
    const series = SETTINGS.map((setting) => ({
      name: setting,
      points: result.cells
        .filter((cell) => cell.setting === setting)
        .map((cell): [number, number] => [cell.clients, cell.rps]),
    }));
    const ceilingSeries = {
      name: 'ceiling (bare, best batch)',
      dashed: true,
      points: LEVELS.map((clients): [number, number] => [
        clients,
        result.ceilingFor(clients).rowsPerSecond,
      ]),
    };
    const title =
      result.name === 'mobilenet' ? 'MobileNetV2 int8' : 'synthetic (2 ms + 0.05 ms/row)';
    return [
      {
        file: `batching-${result.name}-throughput.svg`,
        title: `${title}: throughput vs clients`,
        subtitle,
        xLabel: 'concurrent clients',
        yLabel: 'requests/s',
        series: [...series, ceilingSeries],
      },
      {
        file: `batching-${result.name}-p99.svg`,
        title: `${title}: p99 latency vs clients`,
        subtitle,
        xLabel: 'concurrent clients',
        yLabel: 'p99 ms',
        logY: true,
        series: SETTINGS.map((setting) => ({
          name: setting,
          points: result.cells
            .filter((cell) => cell.setting === setting)
            .map((cell): [number, number] => [cell.clients, cell.p99]),
        })),
      },
    ];
  });
  writeResults(QUICK ? 'batching-policy-quick' : 'batching-policy', {
    bench: 'batching-policy',
    command: QUICK ? 'QUICK=1 pnpm bench batching-policy' : 'pnpm bench batching-policy',
    date: new Date().toISOString(),
    quick: QUICK,
    machine,
    loadDuringRun: load,
    totalSeconds: round((performance.now() - startedAt) / 1000, 0),
    synthetic: { fixedCostMs: FIXED_COST_MS, rowCostMs: ROW_COST_MS },
    ceilings: results.map((result) => ({ model: result.name, sweep: result.ceiling })),
    ceilingPerLevel: ceilingRows,
    cells: results.flatMap((result) => result.cells),
    goals,
    charts: QUICK
      ? charts.map((chart) => ({ ...chart, file: chart.file.replace('.svg', '-quick.svg') }))
      : charts,
  });
  console.log(`total ${round((performance.now() - startedAt) / 1000, 0)} s`);
}

await main();
process.exit(0);
