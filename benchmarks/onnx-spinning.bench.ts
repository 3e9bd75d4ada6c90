/**
 * Question (issues 5 and 8, tuning): ONNX Runtime's intra-op pool threads busy-wait between
 * operators (`session.intra_op.allow_spinning`, on in ORT's default; `@infer/runtime-onnx`
 * turns it off unless `intraOpSpinning: true`). In a server, those threads share the cores
 * with the HTTP thread and the garbage collector. Does spinning off pay for `serve()` with
 * its default single session of `cores` intra-op threads?
 *
 * Per round, side by side (all processes up, one under load at a time):
 *
 * - **bare**: `onnx-ceiling.mjs`, one 2-thread session at batch 1, spinning on (`1x2`) and
 *   off (`1x2-nospin`), nothing else running.
 * - **serve-default-spin** and **serve-default** (`infer-server.mjs`): `serve()` with
 *   MobileNet and default settings, with `intraOpSpinning: true` and without (off).
 *
 * Load: wrk (one thread, keep-alive, the binary finch request), 1 and 32 connections, a
 * 2 s warm-up run then 6 s measured, the two servers' order alternating per round. The
 * server's CPU per request comes from `/proc` over the measured window (`lib/wrk-load.ts`).
 *
 * Needs `wrk` (Debian: `apt-get install wrk`). Run: `pnpm bench onnx-spinning` (~4 min;
 * `SPIN_ROUNDS=n`, default 4). Results: `benchmarks/results/onnx-spinning.json`.
 */
import { type CeilingSample, sampleCeiling } from './lib/ceiling-sample';
import { type ChildServer, startChildren } from './lib/child-process';
import { envInteger } from './lib/env';
import { finchBinaryRequest } from './lib/finch.mjs';
import { captureFinchAnswer } from './lib/finch-answer';
import { median, round } from './lib/latency';
import { describeMachine, machineInfo, watchLoad } from './lib/machine';
import { writeResults } from './lib/results';
import { requireWrk, type WrkResult, wrkLoad } from './lib/wrk-load';

const ROUNDS = envInteger('SPIN_ROUNDS', 4);
const LEVELS = [1, 32];
const PATH = '/v2/models/mobilenet/infer';
const SERVERS = ['serve-default-spin', 'serve-default'] as const;
type ServerName = (typeof SERVERS)[number];

interface Cell extends WrkResult {
  round: number;
  server: ServerName;
  /** Core-milliseconds of the server process per request. */
  serverMsPerRequest: number;
}

interface BareRound {
  round: number;
  spinning: CeilingSample;
  noSpin: CeilingSample;
}

async function main(): Promise<void> {
  requireWrk('onnx-spinning');
  const machine = machineInfo();
  const stopLoad = watchLoad();
  const startedAt = performance.now();
  console.log(describeMachine(machine));
  const { body, headers } = await finchBinaryRequest();

  const [bare, spinning, noSpin] = await startChildren([
    ['bare', new URL('./onnx-ceiling.mjs', import.meta.url)],
    ['serve-default-spin', new URL('./infer-server.mjs', import.meta.url), ['serve-default-spin']],
    ['serve-default', new URL('./infer-server.mjs', import.meta.url), ['serve-default']],
  ]);
  const servers: Record<ServerName, ChildServer> = {
    'serve-default-spin': spinning!,
    'serve-default': noSpin!,
  };
  const cells: Cell[] = [];
  const bareRounds: BareRound[] = [];
  try {
    for (const server of Object.values(servers)) {
      await captureFinchAnswer(server.port, PATH, body, headers);
    }
    console.log('both servers answer class 12');
    for (let index = 0; index < ROUNDS; index++) {
      for (const server of Object.values(servers)) await server.settle();
      const on = await sampleCeiling(bare!, { layout: '1x2', batch: 1, seconds: 3 });
      const off = await sampleCeiling(bare!, { layout: '1x2-nospin', batch: 1, seconds: 3 });
      bareRounds.push({ round: index, spinning: on, noSpin: off });
      console.log(
        `round ${index + 1}: bare batch 1, spinning ${on.imagesPerSecond} img/s (${on.coreMsPerImage} core-ms/img), ` +
          `off ${off.imagesPerSecond} img/s (${off.coreMsPerImage} core-ms/img)`,
      );
      for (const connections of LEVELS) {
        const order = index % 2 === 0 ? SERVERS : [...SERVERS].reverse();
        for (const name of order) {
          for (const other of Object.values(servers)) await other.settle();
          const server = servers[name];
          const result = await wrkLoad({
            url: `http://127.0.0.1:${server.port}${PATH}`,
            body,
            headers,
            connections,
            durationS: 6,
            warmupS: 2,
            serverPid: server.child.pid!,
          });
          if (result.non2xx > 0 || result.socketErrors > 0) {
            throw new Error(
              `${name}: ${result.non2xx} non-2xx answers, ${result.socketErrors} socket errors`,
            );
          }
          const cell: Cell = {
            round: index,
            server: name,
            ...result,
            serverMsPerRequest: round((1000 * result.serverCores) / result.rps, 3),
          };
          cells.push(cell);
          console.log(
            `  c=${connections} ${name}: ${result.rps} req/s, p50 ${round(result.p50)} ms, ` +
              `p99 ${round(result.p99)} ms, server ${cell.serverMsPerRequest} core-ms/request`,
          );
        }
      }
    }
  } finally {
    await Promise.all([bare!, ...Object.values(servers)].map((child) => child.stop()));
  }

  // Per level: medians of each server, and the median of the per-round ratios off / on.
  const summary = LEVELS.map((connections) => {
    const of = (name: ServerName) =>
      cells.filter((c) => c.connections === connections && c.server === name);
    const ratio = (key: 'rps' | 'p50' | 'p99' | 'serverMsPerRequest') =>
      round(
        median(
          of('serve-default').map((off) => {
            const on = of('serve-default-spin').find((c) => c.round === off.round)!;
            return off[key] / on[key];
          }),
        ),
        2,
      );
    const medians = (name: ServerName) => ({
      rps: round(median(of(name).map((c) => c.rps)), 1),
      p50: round(median(of(name).map((c) => c.p50)), 2),
      p99: round(median(of(name).map((c) => c.p99)), 2),
      serverMsPerRequest: round(median(of(name).map((c) => c.serverMsPerRequest)), 3),
    });
    return {
      connections,
      spinning: medians('serve-default-spin'),
      noSpin: medians('serve-default'),
      offOverOn: {
        rps: ratio('rps'),
        p50: ratio('p50'),
        p99: ratio('p99'),
        serverMsPerRequest: ratio('serverMsPerRequest'),
      },
    };
  });
  const bareRatio = round(
    median(bareRounds.map((r) => r.noSpin.imagesPerSecond / r.spinning.imagesPerSecond)),
    2,
  );

  console.log(
    '\n| conns | spinning req/s | off req/s | off/on req/s | p50 ms on / off | p99 ms on / off | server core-ms/req on / off | off/on CPU per req |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of summary) {
    console.log(
      `| ${s.connections} | ${s.spinning.rps} | ${s.noSpin.rps} | ${s.offOverOn.rps}x | ${s.spinning.p50} / ${s.noSpin.p50} | ` +
        `${s.spinning.p99} / ${s.noSpin.p99} | ${s.spinning.serverMsPerRequest} / ${s.noSpin.serverMsPerRequest} | ${s.offOverOn.serverMsPerRequest}x |`,
    );
  }
  console.log(`bare batch 1, off / on img/s (median of rounds): ${bareRatio}x`);
  const load = stopLoad();
  const seconds = round((performance.now() - startedAt) / 1000, 0);
  console.log(`load average during the run: min ${load.min}, mean ${load.mean}, max ${load.max}`);
  writeResults('onnx-spinning', {
    machine,
    load,
    seconds,
    rounds: ROUNDS,
    bare: bareRounds,
    bareOffOverOn: bareRatio,
    cells,
    summary,
  });
  console.log(`total ${seconds} s`);
}

await main();
