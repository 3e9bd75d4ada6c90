/**
 * Question (issues 5 and 8): the goal is that the served model reaches >= 85% of the bare
 * runtime's in-process throughput (the ceiling) at 32+ connections. On a machine where the
 * load generator and the server share the cores, how much of the ceiling can any HTTP
 * server reach at all, and how far is `serve()` from that?
 *
 * Per round, side by side (all processes up, one under load at a time):
 *
 * - **ceiling**: bare onnxruntime-node (`onnx-ceiling.mjs`), one worker thread per core with
 *   a 1-thread session each (the best layout in `serving.bench.ts`; two on the dev box),
 *   batch 1, 4 and 8 (`FLOOR_CEILING_BATCHES`); the best of them.
 * - **http-floor** (`http-floor-server.mjs`): a bare `node:http` server that reads the same
 *   0.6 MiB binary request and answers the bytes `serve()` answered for it; nothing else.
 * - **least-server** (`least-server.mjs`): the simplest Node server that does the job: it
 *   reads the body into a reused buffer, runs MobileNet on it (batch 1, a 1-thread session,
 *   one process per core) and answers the output; nothing else. Its share of the ceiling is
 *   measured where the bound below is estimated. It runs under `--initial-old-space-size=128`,
 *   as the `-v8heap` kinds do.
 * - **serve-tuned** and **serve-default** (`infer-server.mjs`): as in `serving.bench.ts`
 *   (a `-v8heap` kind, e.g. `serve-tuned-v8heap`, is started with `--initial-old-space-size=128`);
 *   (`FLOOR_SERVERS=serve-tuned,serve-default-spin,...` picks other kinds of that file).
 *
 * Load: wrk (one thread, keep-alive, a Lua script POSTing the body), 32 and 128
 * connections, a warm-up run then a measured run. CPU per request is measured for the
 * server process, for wrk and for the whole box (`lib/wrk-load.ts`).
 *
 * The bound: one request costs at least the ceiling's inference (core-ms per image, from
 * the ceiling process's CPU) plus the floor's transport (server + wrk core-ms per request
 * of `http-floor`). A server with no other cost would reach n x 1000 / (inference +
 * transport) requests a second on n cores; the bound is that as a fraction of the ceiling.
 * Which way each assumption leans is in docs/benchmarks.md ("The bound").
 *
 * Pinned (`FLOOR_CORES=n`, on a machine with at least n + 1 physical cores): the ceiling and
 * the servers are confined to the first n physical cores from their start (`taskset`, one
 * logical CPU per core; inside them `os.availableParallelism()` is n, so serve-tuned runs n
 * workers and the ceiling n x 1), and wrk runs on up to n other physical cores (as many
 * threads), so the load generator takes nothing from the cores under test. The bound is then n x 1000 / (inference + the floor server's
 * own core-ms): wrk's cost is off those cores.
 *
 * Needs `wrk` (Debian: `apt-get install wrk`); without it the bench says so and exits 1.
 * Run: `pnpm bench serving-floor` (~3 min; `FLOOR_ROUNDS=n`, default 3; `FLOOR_CORES=n`;
 * `FLOOR_LEVELS=32,128`; `FLOOR_DURATION_S=6`; `FLOOR_SERVERS`; `FLOOR_CEILING_BATCHES=1,4,8`). Results:
 * `benchmarks/results/serving-floor.json` (`serving-floor-<n>cores.json` when pinned).
 */
import {
  bestSample,
  type CeilingSample,
  describeSamples,
  sampleCeiling,
} from './lib/ceiling-sample';
import { type ChildServer, nodeArgsOf, startChildren } from './lib/child-process';
import { canPin, coreCpus, cpuList } from './lib/cpu-pinning';
import { envInteger, envIntegers, envList } from './lib/env';
import { finchBinaryRequest } from './lib/finch.mjs';
import { captureFinchAnswer } from './lib/finch-answer';
import { floorChart } from './lib/floor-chart';
import { median, round } from './lib/latency';
import { describeMachine, machineInfo, watchLoad } from './lib/machine';
import { writeResults } from './lib/results';
import { requireWrk, type WrkResult, wrkLoad } from './lib/wrk-load';

const ROUNDS = envInteger('FLOOR_ROUNDS', 3);
/** Cores for the ceiling and the servers when pinned; 0: not pinned. */
const CORES = envInteger('FLOOR_CORES', 0, 0);
const LEVELS = envIntegers('FLOOR_LEVELS', [32, 128]);
const WARMUP_S = 2;
const DURATION_S = envInteger('FLOOR_DURATION_S', 6, 2);
const CEILING_S = 3;
/** Batch sizes the ceiling is measured at; the best one counts. */
const CEILING_BATCHES = envIntegers('FLOOR_CEILING_BATCHES', [1, 4, 8]);
const PATH = '/v2/models/mobilenet/infer';
/** The @infer servers (`infer-server.mjs` kinds) measured beside the floor. */
const INFER_SERVERS = envList('FLOOR_SERVERS', ['serve-tuned', 'serve-default']);
const SERVERS = ['http-floor', 'least-server', ...INFER_SERVERS];
type ServerName = string;

interface Cell extends WrkResult {
  round: number;
  server: ServerName;
  /** Core-milliseconds per request: the server process, wrk, the whole box. */
  serverMsPerRequest: number;
  wrkMsPerRequest: number;
  boxMsPerRequest: number;
}

interface RoundCeiling {
  round: number;
  samples: CeilingSample[];
  best: CeilingSample;
}

/**
 * Where each side runs: the cores under test and wrk's (whole physical cores, no two sharing
 * one: `coreCpus()`), or nothing pinned.
 */
function placement(nproc: number) {
  if (CORES === 0) {
    // serve-tuned runs one worker per core, so the ceiling runs one session per core too.
    return {
      cores: nproc,
      layout: `${nproc}x1`,
      servers: undefined,
      wrk: undefined,
      wrkThreads: 1,
    };
  }
  const cores = canPin() ? coreCpus() : [];
  if (cores.length < CORES + 1) {
    throw new Error(
      `FLOOR_CORES=${CORES} needs taskset and at least ${CORES + 1} physical cores (${cores.length} here)`,
    );
  }
  const wrk = cores.slice(CORES, 2 * CORES);
  return {
    cores: CORES,
    layout: `${CORES}x1`,
    servers: cpuList(cores.slice(0, CORES)),
    wrk: cpuList(wrk),
    wrkThreads: wrk.length,
  };
}

async function main(): Promise<void> {
  requireWrk('serving-floor');
  const machine = machineInfo();
  const place = placement(machine.nproc);
  const stopLoad = watchLoad();
  const startedAt = performance.now();
  console.log(describeMachine(machine));
  console.log(
    place.servers === undefined
      ? 'not pinned: ceiling, servers and wrk share every core'
      : `ceiling and servers on cores ${place.servers}, wrk (${place.wrkThreads} threads) on ${place.wrk}`,
  );
  const { body, headers } = await finchBinaryRequest();
  console.log(`request: ${round(body.byteLength / 2 ** 20, 2)} MiB binary`);

  const ceilingUrl = new URL('./onnx-ceiling.mjs', import.meta.url);
  const inferUrl = new URL('./infer-server.mjs', import.meta.url);
  const floorUrl = new URL('./http-floor-server.mjs', import.meta.url);
  const leastUrl = new URL('./least-server.mjs', import.meta.url);
  const [ceilingChild, floor, least, ...infer] = await startChildren(
    [
      ['ceiling', ceilingUrl],
      ['http-floor', floorUrl],
      // Under the V8 flag the @infer kinds run with (`-v8heap`), so it is no handicap.
      ['least-server', leastUrl, [], nodeArgsOf('least-server-v8heap')],
      ...INFER_SERVERS.map((kind): [string, URL, string[], readonly string[]] => [
        kind,
        inferUrl,
        [kind],
        nodeArgsOf(kind),
      ]),
    ],
    { cpus: place.servers },
  );
  const servers: Record<ServerName, ChildServer> = {
    'http-floor': floor!,
    'least-server': least!,
  };
  INFER_SERVERS.forEach((kind, i) => {
    servers[kind] = infer[i]!;
  });
  const cells: Cell[] = [];
  const ceilings: RoundCeiling[] = [];
  try {
    // As many requests at once as the server may have processes (`-p<N>` kinds, least-server on
    // several cores): concurrent, so on connections of their own, which node:cluster hands to
    // its processes round-robin.
    const checkAll = (port: number) =>
      Promise.all(
        Array.from({ length: place.cores }, () => captureFinchAnswer(port, PATH, body, headers)),
      );
    let answer: Awaited<ReturnType<typeof captureFinchAnswer>> | undefined;
    for (const server of infer) [answer] = await checkAll(server.port);
    await floor!.request({ type: 'answer', ...answer });
    await checkAll(least!.port);
    console.log(
      `${INFER_SERVERS.join(', ')} and least-server answer class 12; http-floor answers the same bytes`,
    );

    for (let index = 0; index < ROUNDS; index++) {
      for (const server of Object.values(servers)) await server.settle();
      const samples: CeilingSample[] = [];
      for (const batch of CEILING_BATCHES) {
        samples.push(
          await sampleCeiling(ceilingChild!, { layout: place.layout, batch, seconds: CEILING_S }),
        );
      }
      const best = bestSample(samples);
      ceilings.push({ round: index, samples, best });
      console.log(`round ${index + 1}: ceiling ${describeSamples(samples)}`);
      for (const connections of LEVELS) {
        // Rotate the order per round and level.
        const order = SERVERS.map((_, i) => SERVERS[(i + index + connections) % SERVERS.length]!);
        for (const name of order) {
          const server = servers[name]!;
          for (const other of Object.values(servers)) await other.settle();
          const result = await wrkLoad({
            url: `http://127.0.0.1:${server.port}${PATH}`,
            body,
            headers,
            connections,
            durationS: DURATION_S,
            warmupS: WARMUP_S,
            serverPid: server.child.pid!,
            threads: place.wrkThreads,
            cpus: place.wrk,
          });
          if (result.non2xx > 0 || result.socketErrors > 0) {
            throw new Error(
              `${name}: ${result.non2xx} non-2xx answers, ${result.socketErrors} socket errors`,
            );
          }
          const perRequest = (cores: number) => round((1000 * cores) / result.rps, 3);
          const cell: Cell = {
            round: index,
            server: name,
            ...result,
            serverMsPerRequest: perRequest(result.serverCores),
            wrkMsPerRequest: perRequest(result.wrkCores),
            boxMsPerRequest: perRequest(result.boxCores),
          };
          cells.push(cell);
          console.log(
            `  c=${connections} ${name}: ${result.rps} req/s, p50 ${round(result.p50)} ms, p99 ${round(result.p99)} ms; ` +
              `CPU ms/request server ${cell.serverMsPerRequest}, wrk ${cell.wrkMsPerRequest}, box ${cell.boxMsPerRequest}`,
          );
        }
      }
    }
  } finally {
    await Promise.all([...Object.values(servers), ceilingChild!].map((child) => child.stop()));
  }

  // Per round and level: the bound and each server's fraction of that round's ceiling.
  const summary = LEVELS.flatMap((connections) =>
    ceilings.map(({ round: index, best }) => {
      const at = (name: ServerName) =>
        cells.find((c) => c.round === index && c.connections === connections && c.server === name)!;
      const floorCell = at('http-floor');
      // Pinned, wrk runs on cores of its own: only the floor server's cost is on the n cores.
      const transportMs =
        floorCell.serverMsPerRequest + (place.wrk === undefined ? floorCell.wrkMsPerRequest : 0);
      // A server with no other cost: n cores / (inference + transport) requests per core-ms.
      const inferenceMs = best.coreMsPerImage;
      const boundRps = (1000 * place.cores) / (inferenceMs + transportMs);
      // The same if the ceiling had kept all n cores busy (cores / ceiling per image).
      const allCoresMs = (1000 * place.cores) / best.imagesPerSecond;
      return {
        round: index,
        connections,
        ceiling: best.imagesPerSecond,
        ceilingCores: best.cores,
        inferenceMsPerImage: inferenceMs,
        transportMsPerRequest: round(transportMs, 3),
        boundPct: round((100 * boundRps) / best.imagesPerSecond, 1),
        boundAllCoresPct: round((100 * allCoresMs) / (allCoresMs + transportMs), 1),
        floorRps: floorCell.rps,
        /** The least server's req/s as a percentage of the ceiling (what the bound estimates). */
        leastPct: round((100 * at('least-server').rps) / best.imagesPerSecond, 1),
        /** Each @infer server's req/s as a percentage of the least server's. */
        ofLeastPct: Object.fromEntries(
          INFER_SERVERS.map((kind) => [
            kind,
            round((100 * at(kind).rps) / at('least-server').rps, 1),
          ]),
        ),
        /** Each @infer server's req/s as a percentage of the ceiling. */
        servedPct: Object.fromEntries(
          INFER_SERVERS.map((kind) => [
            kind,
            round((100 * at(kind).rps) / best.imagesPerSecond, 1),
          ]),
        ),
      };
    }),
  );

  console.log(
    `\n| conns | round | ceiling img/s (cores) | inference core-ms/img | transport core-ms/req (floor: ${place.wrk === undefined ? 'server + wrk' : 'server'}) | bound | bound if the ceiling used all cores | least-server | ${INFER_SERVERS.join(' | ')} |`,
  );
  console.log(
    `|---:|---:|---:|---:|---:|---:|---:|---:|${INFER_SERVERS.map(() => '---:|').join('')}`,
  );
  for (const s of summary) {
    console.log(
      `| ${s.connections} | ${s.round + 1} | ${s.ceiling} (${s.ceilingCores}) | ${s.inferenceMsPerImage} | ${s.transportMsPerRequest} | ${s.boundPct}% | ${s.boundAllCoresPct}% | ${s.leastPct}% | ${INFER_SERVERS.map((kind) => `${s.servedPct[kind]}% (${s.ofLeastPct[kind]}% of least)`).join(' | ')} |`,
    );
  }
  console.log(
    '\nCPU per request, median of the rounds (core-ms: server process / wrk / whole box):',
  );
  for (const connections of LEVELS) {
    for (const name of SERVERS) {
      const mine = cells.filter((c) => c.connections === connections && c.server === name);
      console.log(
        `  c=${connections} ${name}: ${round(median(mine.map((c) => c.rps)), 1)} req/s, ` +
          `${round(median(mine.map((c) => c.serverMsPerRequest)), 3)} / ${round(median(mine.map((c) => c.wrkMsPerRequest)), 3)} / ${round(median(mine.map((c) => c.boxMsPerRequest)), 3)}`,
      );
    }
  }
  const load = stopLoad();
  const seconds = round((performance.now() - startedAt) / 1000, 0);
  console.log(`\nload average during the run: min ${load.min}, mean ${load.mean}, max ${load.max}`);
  const name = CORES === 0 ? 'serving-floor' : `serving-floor-${CORES}cores`;
  const layout =
    place.servers === undefined
      ? `${place.cores} cores shared with wrk`
      : `${place.cores} core${place.cores === 1 ? '' : 's'}, wrk on others`;
  writeResults(name, {
    machine,
    placement: place,
    load,
    seconds,
    rounds: ROUNDS,
    requestBytes: body.byteLength,
    ceilings,
    cells,
    summary,
    charts: [
      floorChart(summary, INFER_SERVERS, {
        file: `${name}.svg`,
        subtitle: `MobileNetV2 int8, ${layout}, ${machine.cpuModel}, load avg ${load.mean}`,
      }),
    ],
  });
  console.log(`total ${seconds} s`);
}

await main();
