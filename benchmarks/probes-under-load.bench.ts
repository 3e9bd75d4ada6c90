/**
 * Question (issue 8, "hard to break"): does running the model on the main thread hurt the
 * requests around it? onnxruntime-node runs a session synchronously, and so does TF.js on
 * its wasm and cpu backends, so in-process every batch blocks the event loop that reads
 * request bodies, writes answers and answers health probes. `OnnxModel` serves a model from
 * a path in one worker thread by default since 2026-11-27 (stop 30), and `TfjsModel` on wasm
 * or cpu since stop 31; this bench measures what that changed.
 *
 * Side by side, rounds alternating the order (`infer-server.mjs` kinds):
 *
 * - **serve-default**: `serve()` with an `OnnxModel` and no options (one worker thread, its
 *   session with intra-op threads = cores).
 * - **serve-inprocess**: the same with `workers: 0` (the session on the main thread).
 * - With `PROBES_MODEL=esrgan`: **esrgan-default** and **esrgan-inprocess**, the same pair
 *   for a `TfjsModel` of ESRGAN-slim x2 on wasm, fed a 1xSxSx3 tile (`PROBES_SIDE`, default
 *   64: about 50 ms a tile here).
 *
 * Load: wrk (one thread, keep-alive, the 0.6 MiB binary MobileNet request or the binary
 * ESRGAN tile), 1, 32 and 128 connections (ESRGAN: 1, 8 and 32), a warm-up run then a
 * measured run: each measured run opens its connections
 * afresh, so a burst of new clients is part of it. Meanwhile a liveness probe
 * (`GET /v2/health/live`, one at a time, 50 ms apart, as a Kubernetes probe would but
 * denser) is timed; its samples from the warm-up are dropped.
 *
 * Needs `wrk` (Debian: `apt-get install wrk`). Run: `pnpm bench probes-under-load` (~3 min;
 * `PROBES_ROUNDS=n`, default 3; `PROBES_LEVELS=1,32,128`; `PROBES_DURATION_S=6`;
 * `PROBES_MODEL=mobilenet|esrgan`; `PROBES_SIDE=64`). Results:
 * `benchmarks/results/probes-under-load.json` (`probes-under-load-esrgan.json`).
 */
import { encodeInferenceRequest } from '@infer/codecs';
import { type ChildServer, startChildren } from './lib/child-process';
import { envInteger, envIntegers, envList } from './lib/env';
import { esrganInput } from './lib/esrgan.mjs';
import { finchBinaryRequest } from './lib/finch.mjs';
import { captureFinchAnswer } from './lib/finch-answer';
import { median, percentile, round } from './lib/latency';
import { describeMachine, machineInfo, watchLoad } from './lib/machine';
import { writeResults } from './lib/results';
import { requireWrk, type WrkResult, wrkLoad } from './lib/wrk-load';

const MODEL = envList('PROBES_MODEL', ['mobilenet'])[0];
if (MODEL !== 'mobilenet' && MODEL !== 'esrgan') {
  throw new Error(`PROBES_MODEL must be mobilenet or esrgan, got ${JSON.stringify(MODEL)}`);
}
const ESRGAN = MODEL === 'esrgan';
const SIDE = envInteger('PROBES_SIDE', 64);
const ROUNDS = envInteger('PROBES_ROUNDS', 3);
const LEVELS = envIntegers('PROBES_LEVELS', ESRGAN ? [1, 8, 32] : [1, 32, 128]);
const WARMUP_S = 2;
const DURATION_S = envInteger('PROBES_DURATION_S', 6, 2);
const PROBE_EVERY_MS = 50;
const PATH = `/v2/models/${MODEL}/infer`;
/** The worker-thread default and the in-process server, as `infer-server.mjs` kinds. */
const WORKER = ESRGAN ? 'esrgan-default' : 'serve-default';
const IN_PROCESS = ESRGAN ? 'esrgan-inprocess' : 'serve-inprocess';
const SERVERS = [WORKER, IN_PROCESS] as const;
type ServerName = (typeof SERVERS)[number];

/** The binary request the load sends. */
async function requestOf(): Promise<{ body: Uint8Array; headers: Record<string, string> }> {
  if (!ESRGAN) return finchBinaryRequest();
  return encodeInferenceRequest(
    {
      inputs: [
        { name: 'LR', datatype: 'FP32', shape: [1, SIDE, SIDE, 3], data: esrganInput(SIDE) },
      ],
      parameters: { binary_data_output: true },
    },
    { binary: true },
  );
}

/** Checks that `port` answers the request with 200 (MobileNet: class 12, the finch). */
async function checkAnswer(
  port: number,
  request: { body: Uint8Array; headers: Record<string, string> },
): Promise<void> {
  if (!ESRGAN) {
    await captureFinchAnswer(port, PATH, request.body, request.headers);
    return;
  }
  const response = await fetch(`http://127.0.0.1:${port}${PATH}`, {
    method: 'POST',
    headers: request.headers,
    body: request.body,
  });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`esrgan answered ${response.status}`);
}

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
  const request = await requestOf();
  const inferUrl = new URL('./infer-server.mjs', import.meta.url);
  const children = await startChildren(SERVERS.map((kind) => [kind, inferUrl, [kind]] as const));
  const servers = Object.fromEntries(SERVERS.map((kind, i) => [kind, children[i]!])) as Record<
    ServerName,
    ChildServer
  >;
  const cells: Cell[] = [];
  try {
    for (const server of children) await checkAnswer(server.port, request);
    console.log(`${SERVERS.join(', ')} answer${ESRGAN ? ` a ${SIDE}x${SIDE} tile` : ' class 12'}`);
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
    const worker = figures(WORKER);
    const inProcess = figures(IN_PROCESS);
    // Ratios per round (side by side), then their median.
    const perRound = (pick: (c: Cell) => number) =>
      round(
        median(
          of(WORKER).map((c) => {
            const other = of(IN_PROCESS).find((o) => o.round === c.round)!;
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
      [`${WORKER} (worker)`, s.worker],
      [IN_PROCESS, s.inProcess],
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
  writeResults(ESRGAN ? 'probes-under-load-esrgan' : 'probes-under-load', {
    machine,
    load,
    seconds,
    command: `${ESRGAN ? `PROBES_MODEL=esrgan PROBES_SIDE=${SIDE} ` : ''}pnpm bench probes-under-load`,
    model: MODEL,
    rounds: ROUNDS,
    requestBytes: request.body.byteLength,
    cells,
    summary,
  });
  console.log(`total ${seconds} s`);
}

await main();
