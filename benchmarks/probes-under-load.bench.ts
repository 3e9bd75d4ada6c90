/**
 * Question (issue 8, "hard to break"): does running the model on the main thread hurt the
 * requests around it? onnxruntime-node runs a session synchronously, so in-process every
 * batch blocks the event loop that reads request bodies, writes answers and answers health
 * probes. `OnnxModel` serves a model from a path in one worker thread by default since
 * 2026-11-27; this bench measures what that changed.
 *
 * Side by side, rounds alternating the order (`infer-server.mjs` kinds):
 *
 * - **serve-default**: `serve()` with an `OnnxModel` and no options (one worker thread, its
 *   session with intra-op threads = cores).
 * - **serve-inprocess**: the same with `workers: 0` (the session on the main thread).
 *
 * Load: wrk (one thread, keep-alive, the 0.6 MiB binary MobileNet request), 1, 32 and 128
 * connections, a warm-up run then a measured run: each measured run opens its connections
 * afresh, so a burst of new clients is part of it. Meanwhile a liveness probe
 * (`GET /v2/health/live`, one at a time, 50 ms apart, as a Kubernetes probe would but
 * denser) is timed; its samples from the warm-up are dropped.
 *
 * Needs `wrk` (Debian: `apt-get install wrk`). Run: `pnpm bench probes-under-load` (~3 min;
 * `PROBES_ROUNDS=n`, default 3; `PROBES_LEVELS=1,32,128`; `PROBES_DURATION_S=6`). Results:
 * `benchmarks/results/probes-under-load.json`.
 */
import { type ChildServer, startChildren } from './lib/child-process';
import { envInteger, envIntegers } from './lib/env';
import { finchBinaryRequest } from './lib/finch.mjs';
import { captureFinchAnswer } from './lib/finch-answer';
import { median, percentile, round } from './lib/latency';
import { describeMachine, machineInfo, watchLoad } from './lib/machine';
import { writeResults } from './lib/results';
import { requireWrk, type WrkResult, wrkLoad } from './lib/wrk-load';

const ROUNDS = envInteger('PROBES_ROUNDS', 3);
const LEVELS = envIntegers('PROBES_LEVELS', [1, 32, 128]);
const WARMUP_S = 2;
const DURATION_S = envInteger('PROBES_DURATION_S', 6, 2);
const PROBE_EVERY_MS = 50;
const PATH = '/v2/models/mobilenet/infer';
const SERVERS = ['serve-default', 'serve-inprocess'] as const;
type ServerName = (typeof SERVERS)[number];

interface Cell extends WrkResult {
  round: number;
  server: ServerName;
  serverMsPerRequest: number;
  /** Liveness probe round trips over the measured run, ms. */
  probe: { count: number; p50: number; p99: number; max: number };
}

/** Times `GET /v2/health/live` one at a time until stopped; keeps samples after `fromMs`. */
function probeLoop(port: number, fromMs: number): () => Promise<number[]> {
  const samples: number[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const started = performance.now();
      const response = await fetch(`http://127.0.0.1:${port}/v2/health/live`);
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`liveness probe answered ${response.status}`);
      if (started >= fromMs) samples.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, PROBE_EVERY_MS));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
    return samples;
  };
}

async function measure(
  server: ChildServer,
  name: ServerName,
  connections: number,
  index: number,
  request: { body: Uint8Array; headers: Record<string, string> },
): Promise<Cell> {
  const stopProbes = probeLoop(server.port, performance.now() + WARMUP_S * 1000 + 500);
  const result = await wrkLoad({
    url: `http://127.0.0.1:${server.port}${PATH}`,
    ...request,
    connections,
    durationS: DURATION_S,
    warmupS: WARMUP_S,
    serverPid: server.child.pid!,
  });
  const samples = await stopProbes();
  if (result.non2xx > 0 || result.socketErrors > 0) {
    throw new Error(
      `${name}: ${result.non2xx} non-2xx answers, ${result.socketErrors} socket errors`,
    );
  }
  return {
    round: index,
    server: name,
    ...result,
    serverMsPerRequest: round((1000 * result.serverCores) / result.rps, 3),
    probe: {
      count: samples.length,
      p50: round(percentile(samples, 50), 1),
      p99: round(percentile(samples, 99), 1),
      max: round(Math.max(...samples), 1),
    },
  };
}

async function main(): Promise<void> {
  requireWrk('probes-under-load');
  const machine = machineInfo();
  const stopLoad = watchLoad();
  const startedAt = performance.now();
  console.log(describeMachine(machine));
  const request = await finchBinaryRequest();
  const inferUrl = new URL('./infer-server.mjs', import.meta.url);
  const children = await startChildren(SERVERS.map((kind) => [kind, inferUrl, [kind]] as const));
  const servers = Object.fromEntries(SERVERS.map((kind, i) => [kind, children[i]!])) as Record<
    ServerName,
    ChildServer
  >;
  const cells: Cell[] = [];
  try {
    for (const server of children) {
      await captureFinchAnswer(server.port, PATH, request.body, request.headers);
    }
    console.log(`${SERVERS.join(', ')} answer class 12`);
    for (let index = 0; index < ROUNDS; index++) {
      for (const connections of LEVELS) {
        const order = index % 2 === 0 ? SERVERS : [...SERVERS].reverse();
        for (const name of order) {
          for (const server of children) await server.settle();
          const cell = await measure(servers[name], name, connections, index, request);
          cells.push(cell);
          console.log(
            `round ${index + 1} c=${connections} ${name}: ${cell.rps} req/s, p50 ${cell.p50} ms, ` +
              `p99 ${cell.p99} ms, ${cell.serverMsPerRequest} core-ms/req; liveness probe ` +
              `p50 ${cell.probe.p50} ms, p99 ${cell.probe.p99} ms, max ${cell.probe.max} ms (${cell.probe.count})`,
          );
        }
      }
    }
  } finally {
    await Promise.all(children.map((child) => child.stop()));
  }

  const summary = LEVELS.map((connections) => {
    const of = (name: ServerName) =>
      cells.filter((c) => c.connections === connections && c.server === name);
    const medianOf = (name: ServerName, pick: (c: Cell) => number) =>
      round(median(of(name).map(pick)), 1);
    const figures = (name: ServerName) => ({
      rps: medianOf(name, (c) => c.rps),
      p50: medianOf(name, (c) => c.p50),
      p99: medianOf(name, (c) => c.p99),
      probeP99: medianOf(name, (c) => c.probe.p99),
      probeMax: medianOf(name, (c) => c.probe.max),
    });
    const worker = figures('serve-default');
    const inProcess = figures('serve-inprocess');
    // Ratios per round (side by side), then their median.
    const perRound = (pick: (c: Cell) => number) =>
      round(
        median(
          of('serve-default').map((c) => {
            const other = of('serve-inprocess').find((o) => o.round === c.round)!;
            return pick(c) / pick(other);
          }),
        ),
        2,
      );
    return {
      connections,
      worker,
      inProcess,
      rpsRatio: perRound((c) => c.rps),
      p99Ratio: perRound((c) => c.p99),
      probeP99Ratio: perRound((c) => c.probe.p99),
    };
  });
  console.log(
    '\n| conns | server | req/s | p50 ms | p99 ms | probe p99 ms | probe max ms |\n|---:|---|---:|---:|---:|---:|---:|',
  );
  for (const s of summary) {
    for (const [name, f] of [
      ['serve-default (worker)', s.worker],
      ['serve-inprocess', s.inProcess],
    ] as const) {
      console.log(
        `| ${s.connections} | ${name} | ${f.rps} | ${f.p50} | ${f.p99} | ${f.probeP99} | ${f.probeMax} |`,
      );
    }
  }
  console.log('\nworker / in-process, median of the per-round ratios:');
  for (const s of summary) {
    console.log(
      `  c=${s.connections}: req/s ${s.rpsRatio}x, p99 ${s.p99Ratio}x, probe p99 ${s.probeP99Ratio}x`,
    );
  }
  const load = stopLoad();
  const seconds = round((performance.now() - startedAt) / 1000, 0);
  console.log(`\nload average during the run: min ${load.min}, mean ${load.mean}, max ${load.max}`);
  writeResults('probes-under-load', {
    machine,
    load,
    seconds,
    command: 'pnpm bench probes-under-load',
    rounds: ROUNDS,
    requestBytes: request.body.byteLength,
    cells,
    summary,
  });
  console.log(`total ${seconds} s`);
}

await main();
