#!/usr/bin/env node
/**
 * Worker-pool benchmark in plain Node (no tsx, no registry), shared by `pnpm bench pool`.
 *
 *   scaling  - a CPU-bound single-threaded JS model (pool-cpu-model.mjs, fixed float math per
 *              row) served by WorkerPool at each worker count, a fixed number of tasks with
 *              2 x workers in flight; throughput and the ratio to 1 worker, plus the same model
 *              in-process (no pool) as the single-thread ceiling.
 *   transfer - a 4 MiB FP32 tensor round trip main -> worker -> main: raw worker_threads
 *              structured clone vs transfer, a 4 MiB view over a 64 MiB body cloned vs
 *              copied-then-transferred, and WorkerPool moving vs copying.
 *
 * Run:
 *   node benchmarks/pool-scaling.mjs                   # in the repo, after `pnpm build`
 *   POOL_BENCH_WORKERS=1,2,4,8,16 node benchmarks/pool-scaling.mjs
 *   node benchmarks/pool-scaling.mjs --pack .carry/pool-scaling [--with-node]
 *       writes a self-contained copy (bundled pool + worker, piscina, the model, this script;
 *       node.gz too with --with-node) that runs with a bare `node` and no node_modules:
 *       node .carry/pool-scaling/pool-scaling.mjs
 *
 * Env: POOL_BENCH_WORKERS (default "1,2"), POOL_BENCH_TASKS (default 64 x the largest worker
 * count), POOL_BENCH_ROWS (rows per task, default 8), POOL_BENCH_ITERATIONS (float steps per
 * row, default 20000), POOL_BENCH_SECTIONS (default "scaling,transfer"), POOL_BENCH_CORE
 * (module exporting WorkerPool; default the packed bundle next to this file, else
 * ../packages/core/dist/index.js).
 */
import { cpSync, existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';

const HERE = dirname(fileURLToPath(import.meta.url));
const MODEL = join(HERE, 'pool-cpu-model.mjs');
const FEATURES = 16;
const MiB = 1024 * 1024;

/** Benchmark configuration from the environment. */
export function configFromEnv(env = process.env) {
  const workers = (env.POOL_BENCH_WORKERS ?? '1,2')
    .split(',')
    .map((w) => Number.parseInt(w.trim(), 10))
    .filter((w) => Number.isInteger(w) && w > 0);
  if (workers.length === 0) throw new Error('POOL_BENCH_WORKERS must list positive integers');
  const int = (name, fallback) => {
    const value = env[name] === undefined ? fallback : Number.parseInt(env[name], 10);
    if (!Number.isInteger(value) || value <= 0)
      throw new Error(`${name} must be a positive integer`);
    return value;
  };
  return {
    workers,
    tasks: int('POOL_BENCH_TASKS', 64 * Math.max(...workers)),
    rows: int('POOL_BENCH_ROWS', 8),
    iterations: int('POOL_BENCH_ITERATIONS', 20000),
    sections: (env.POOL_BENCH_SECTIONS ?? 'scaling,transfer').split(',').map((s) => s.trim()),
  };
}

function cpuRequest(rows) {
  const data = new Float32Array(rows * FEATURES);
  for (let i = 0; i < data.length; i += 1) data[i] = Math.random();
  return { inputs: [{ name: 'x', datatype: 'FP32', shape: [rows, FEATURES], data }] };
}

/** Runs `tasks` calls of `call()` with `concurrency` in flight; returns seconds taken. */
async function closedLoop(tasks, concurrency, call) {
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < tasks) {
      next += 1;
      await call();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks) }, lane));
  return (performance.now() - started) / 1000;
}

const fmt = (value, digits = 1) => value.toFixed(digits).padStart(9);

/** The scaling section: in-process ceiling, then each worker count. Returns the rows. */
export async function runScaling(WorkerPool, config, log = console.log) {
  const { tasks, rows, iterations } = config;
  const settings = { name: 'cpu', parameters: { kind: 'cpu', iterations } };
  const plugin = (await import(pathToFileURL(MODEL).href)).default;
  const local = plugin.create(settings);
  await local.load();
  for (let i = 0; i < 8; i += 1) await local.predict(cpuRequest(rows)); // JIT warm-up
  const localTasks = Math.max(16, Math.round(tasks / Math.max(...config.workers)) * 2);
  const localSeconds = await closedLoop(localTasks, 1, () => local.predict(cpuRequest(rows)));
  const inProcess = localTasks / localSeconds;

  log(
    `scaling: ${tasks} tasks x ${rows} rows x ${iterations} float steps/row, 2 x workers in flight`,
  );
  log(`  in-process (no pool, main thread): ${fmt(inProcess)} tasks/s (${localTasks} tasks)`);
  log('  workers   tasks/s    rows/s  vs 1 worker  vs in-process  mean ms/task');
  const results = [];
  for (const workers of config.workers) {
    const pool = new WorkerPool({ source: { module: MODEL, settings }, workers });
    await pool.start();
    const concurrency = 2 * workers;
    await closedLoop(4 * workers, concurrency, () => pool.run(cpuRequest(rows))); // warm-up
    let latency = 0;
    const seconds = await closedLoop(tasks, concurrency, async () => {
      const t0 = performance.now();
      await pool.run(cpuRequest(rows));
      latency += performance.now() - t0;
    });
    await pool.close();
    const throughput = tasks / seconds;
    const base = results.find((r) => r.workers === 1)?.throughput ?? throughput;
    results.push({ workers, throughput, seconds });
    log(
      `  ${String(workers).padStart(7)} ${fmt(throughput)} ${fmt(throughput * rows, 0)}` +
        `   ${fmt(throughput / base, 2)}x   ${fmt(throughput / inProcess, 2)}x    ${fmt(latency / tasks, 2)}`,
    );
  }
  return { inProcess, results };
}

/** A raw worker_threads echo: replies with what it got, transferring it back when asked. */
function echoWorker() {
  const source = `
    const { parentPort } = require('node:worker_threads');
    parentPort.on('message', ({ data, transfer }) => {
      parentPort.postMessage(data, transfer ? [data.buffer] : []);
    });`;
  return new Worker(source, { eval: true });
}

async function timeRoundTrips(count, roundTrip) {
  await roundTrip(0); // warm-up
  const started = performance.now();
  for (let i = 1; i <= count; i += 1) await roundTrip(i);
  return (performance.now() - started) / count;
}

/** The transfer section: per round-trip times of a 4 MiB tensor. Returns ms per variant. */
export async function runTransfer(WorkerPool, log = console.log) {
  const count = 40;
  const floats = (4 * MiB) / 4;
  const fresh = () => new Float32Array(floats).fill(1.5);
  const worker = echoWorker();
  const send = (data, transfer, list) =>
    new Promise((resolveReply) => {
      worker.once('message', resolveReply);
      worker.postMessage({ data, transfer }, list);
    });
  const results = {};
  const owned = Array.from({ length: count + 1 }, fresh);
  results['raw structured clone (4 MiB owned)'] = await timeRoundTrips(count, (i) =>
    send(owned[i], false, []),
  );
  results['raw transfer (4 MiB owned)'] = await timeRoundTrips(count, (i) =>
    send(owned[i], true, [owned[i].buffer]),
  );
  const body = new Float32Array((64 * MiB) / 4).fill(2);
  const view = body.subarray(floats, 2 * floats);
  results['raw clone of a 4 MiB view over 64 MiB'] = await timeRoundTrips(10, () =>
    send(view, false, []),
  );
  results['raw copy-then-transfer of that view'] = await timeRoundTrips(count, () => {
    const copy = view.slice();
    return send(copy, true, [copy.buffer]);
  });
  await worker.terminate();

  const source = (move) => ({
    source: { module: MODEL, settings: { name: 'echo', parameters: { kind: 'echo' } } },
    workers: 1,
    transferOutputs: move,
  });
  const request = (data) => ({
    inputs: [{ name: 'x', datatype: 'FP32', shape: [floats / FEATURES, FEATURES], data }],
  });
  const moving = new WorkerPool(source(true));
  await moving.start();
  const inputs = Array.from({ length: count + 1 }, fresh);
  results['WorkerPool move (default)'] = await timeRoundTrips(count, (i) =>
    moving.run(request(inputs[i])),
  );
  const detached = inputs[1].length === 0;
  await moving.close();
  const copying = new WorkerPool(source(false));
  await copying.start();
  const kept = fresh();
  results['WorkerPool copy (transfer: false, transferOutputs: false)'] = await timeRoundTrips(
    count,
    () => copying.run(request(kept), { transfer: false }),
  );
  await copying.close();

  log('transfer: one 4 MiB FP32 tensor, main -> worker -> main, mean ms per round trip');
  for (const [name, ms] of Object.entries(results)) {
    log(`  ${name.padEnd(58)} ${fmt(ms, 3)} ms  ${fmt((8 * MiB) / (ms / 1000) / 1e9, 2)} GB/s`);
  }
  log(`  WorkerPool move detached the caller's input buffer: ${detached}`);
  return results;
}

/** Machine and load, printed with every run. */
export function describeMachine() {
  const cpus = os.cpus();
  return `${cpus.length} x ${cpus[0]?.model ?? 'cpu'}, Node ${process.version}, loadavg ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
}

/** Runs the configured sections with the given WorkerPool class. */
export async function runPoolBench(WorkerPool, config = configFromEnv(), log = console.log) {
  log(`machine: ${describeMachine()}`);
  const out = {};
  if (config.sections.includes('scaling')) out.scaling = await runScaling(WorkerPool, config, log);
  if (config.sections.includes('transfer')) out.transfer = await runTransfer(WorkerPool, log);
  log(
    `after: loadavg ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  return out;
}

/** Writes a self-contained copy of this benchmark into `dir` (see the header). */
async function pack(dir, withNode) {
  const root = resolve(HERE, '..');
  const core = join(root, 'packages', 'core');
  const requireRoot = createRequire(join(root, 'package.json'));
  const esbuildPath = createRequire(requireRoot.resolve('tsup')).resolve('esbuild');
  const esbuild = createRequire(esbuildPath)(esbuildPath);
  const coreDir = join(dir, 'node_modules', '@infer', 'core');
  mkdirSync(join(coreDir, 'dist', 'pool'), { recursive: true });
  await esbuild.build({
    entryPoints: {
      pool: join(core, 'src/pool/index.ts'),
      worker: join(core, 'src/pool/worker.ts'),
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outdir: join(coreDir, 'dist', 'pool'),
    external: ['piscina'],
    alias: {
      '@infer/batching': join(root, 'packages/batching/src/index.ts'),
      '@infer/codecs': join(root, 'packages/codecs/src/index.ts'),
    },
    logLevel: 'warning',
  });
  writeFileSync(
    join(coreDir, 'package.json'),
    JSON.stringify({ name: '@infer/core', private: true, type: 'module' }, null, 2),
  );
  const piscina = realpathSync(join(core, 'node_modules', 'piscina'));
  cpSync(piscina, join(dir, 'node_modules', 'piscina'), { recursive: true, dereference: true });
  cpSync(fileURLToPath(import.meta.url), join(dir, 'pool-scaling.mjs'));
  cpSync(MODEL, join(dir, 'pool-cpu-model.mjs'));
  if (withNode)
    writeFileSync(join(dir, 'node.gz'), gzipSync(readFileSync(process.execPath), { level: 9 }));
  console.log(`packed into ${dir}; run: node ${join(dir, 'pool-scaling.mjs')}`);
}

async function loadWorkerPool(env = process.env) {
  const packed = join(HERE, 'node_modules', '@infer', 'core', 'dist', 'pool', 'pool.js');
  const fromRepo = resolve(HERE, '..', 'packages', 'core', 'dist', 'index.js');
  const file = env.POOL_BENCH_CORE ?? (existsSync(packed) ? packed : fromRepo);
  const module = await import(pathToFileURL(resolve(file)).href);
  if (typeof module.WorkerPool !== 'function') throw new Error(`${file} exports no WorkerPool`);
  return module.WorkerPool;
}

const isMain =
  process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const packAt = process.argv.indexOf('--pack');
  if (packAt >= 0) {
    await pack(
      resolve(process.argv[packAt + 1] ?? '.carry/pool-scaling'),
      process.argv.includes('--with-node'),
    );
  } else {
    await runPoolBench(await loadWorkerPool());
  }
}
