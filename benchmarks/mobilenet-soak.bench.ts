/**
 * Question (issue 8): does a real model's server hold its memory over 100k requests? The
 * identity soak in `serving.bench.ts` shows the serving path does not leak; this one runs
 * MobileNetV2 int8 (`serve()` with default settings, `infer-server.mjs serve-default`: one
 * worker thread since 2026-11-27, stop 30, an in-process session before; batching auto) for
 * 100k binary requests of the finch at 32 connections.
 *
 * Memory (RSS and V8 heap after two full GCs, worker threads included in RSS) is read at
 * rest (model loaded, no request), after a warm-up of 2,000 requests, and after each of four
 * legs of 25,000. ONNX Runtime's arena grows with the largest batch a session has run and
 * keeps that memory; under load the auto batcher reaches its largest batches within the
 * warm-up, so growth from then on is what a leak would show. Both figures are reported.
 *
 * Run: `pnpm bench mobilenet-soak` (about 7 minutes here; `SOAK_REQUESTS=n` for another
 * total, split in four legs). Results: `benchmarks/results/mobilenet-soak.json`.
 */
import { type ChildMemory, startChild } from './lib/child-process';
import { finchBinaryRequest } from './lib/finch.mjs';
import { sendRequests } from './lib/http-load';
import { round } from './lib/latency';
import { describeMachine, machineInfo, watchLoad } from './lib/machine';
import { writeResults } from './lib/results';

const REQUESTS = positiveInteger('SOAK_REQUESTS', 100_000);
const WARMUP_REQUESTS = 2_000;
const CONNECTIONS = 32;

function positiveInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 4) throw new Error(`${name} must be an integer >= 4`);
  return value;
}

const mib = (bytes: number) => round(bytes / 2 ** 20, 1);
const growthPct = (after: number, before: number) => round((100 * (after - before)) / before, 1);

async function main(): Promise<void> {
  const machine = machineInfo();
  const stopLoad = watchLoad();
  const startedAt = performance.now();
  console.log(describeMachine(machine));
  const { body, headers } = await finchBinaryRequest();
  const server = await startChild('serve-default', new URL('./infer-server.mjs', import.meta.url), [
    'serve-default',
  ]);
  const target = {
    url: `http://127.0.0.1:${server.port}/v2/models/mobilenet/infer`,
    body,
    headers,
    connections: CONNECTIONS,
  };
  const totals = { ok: 0, non2xx: 0, errors: 0, seconds: 0 };
  const add = (part: typeof totals) => {
    for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += part[key];
  };
  let rest: ChildMemory;
  let warm: ChildMemory;
  const checkpoints: ChildMemory[] = [];
  try {
    rest = await server.memory();
    add(await sendRequests(target, WARMUP_REQUESTS));
    warm = await server.memory();
    const show = (label: string, memory: ChildMemory) =>
      console.log(
        `${label}: ${memory.requests} requests, RSS ${mib(memory.rss)} MiB, heap ${mib(memory.heapUsed)} MiB`,
      );
    show('rest', rest);
    show('warm', warm);
    for (let leg = 0; leg < 4; leg++) {
      add(await sendRequests(target, REQUESTS / 4));
      checkpoints.push(await server.memory());
      show(`leg ${leg + 1}`, checkpoints[leg]!);
    }
  } finally {
    await server.stop();
  }
  const end = checkpoints[checkpoints.length - 1]!;
  const first = checkpoints[0]!;
  const summary = {
    requests: end.requests,
    ok: totals.ok,
    non2xx: totals.non2xx,
    errors: totals.errors,
    rps: round(totals.ok / totals.seconds, 1),
    rssMiB: { rest: mib(rest.rss), warm: mib(warm.rss), end: mib(end.rss) },
    heapMiB: { rest: mib(rest.heapUsed), warm: mib(warm.heapUsed), end: mib(end.heapUsed) },
    rssGrowthPct: {
      restToEnd: growthPct(end.rss, rest.rss),
      warmToEnd: growthPct(end.rss, warm.rss),
      lastThreeLegs: growthPct(end.rss, first.rss),
    },
    heapGrowthPct: {
      restToEnd: growthPct(end.heapUsed, rest.heapUsed),
      warmToEnd: growthPct(end.heapUsed, warm.heapUsed),
    },
  };
  console.log(
    `\n${summary.ok} ok, ${summary.non2xx} non-2xx, ${summary.errors} errors, ${summary.rps} req/s`,
  );
  console.log(
    `RSS MiB rest / warm / end: ${summary.rssMiB.rest} / ${summary.rssMiB.warm} / ${summary.rssMiB.end} ` +
      `(warm -> end ${summary.rssGrowthPct.warmToEnd}%, over the last three legs ${summary.rssGrowthPct.lastThreeLegs}%, rest -> end ${summary.rssGrowthPct.restToEnd}%)`,
  );
  console.log(
    `heap MiB rest / warm / end: ${summary.heapMiB.rest} / ${summary.heapMiB.warm} / ${summary.heapMiB.end} ` +
      `(warm -> end ${summary.heapGrowthPct.warmToEnd}%)`,
  );
  const load = stopLoad();
  const seconds = round((performance.now() - startedAt) / 1000, 0);
  console.log(`load average during the run: min ${load.min}, mean ${load.mean}, max ${load.max}`);
  writeResults('mobilenet-soak', {
    machine,
    load,
    seconds,
    summary,
    memory: { rest, warm, checkpoints },
  });
  console.log(`total ${seconds} s`);
}

await main();
