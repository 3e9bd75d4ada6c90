/**
 * Question: what do `serve()` (node:http) and the Fastify adapter cost over a bare route?
 *
 * One OIP infer round trip on an in-process identity model (FP32 [1,16], default serving
 * options, so the adaptive batcher is on) served by `serve()` and by `inferPlugin` on
 * Fastify, against a bare Fastify route and a bare node:http handler that parse the same
 * JSON body and echo it back in the OIP response shape; `serve-unbatched` is `serve()` with
 * `batching: false`, to show the batcher's share; `node-adapter-echo` is `createNodeHandler`
 * over a stub service doing the bare routes' echo, the adapter's own cost. Each server runs in a child
 * process (`adapters-server.mjs`, plain `node` on the built packages, as users run them; all
 * started, but only one under load at a time); the load generator, autocannon,
 * runs here with fixed flags: 32 connections, 4 s warm-up per server, then 5 rounds of 3 s
 * per server interleaved, loopback. Each round's req/s and p99 are divided by bare
 * Fastify's in the same round, and the medians of those ratios are reported (one bad round
 * for one server cannot make or break a goal); each row also gives the server process's CPU
 * time per request (user + system, median of the rounds). On Linux with `taskset`, every
 * server child runs on one physical core and this process (autocannon) on another
 * (`lib/cpu-pinning.ts`); `ADAPTERS_PIN=0` turns that off, `ADAPTERS_ROUNDS=n` sets the
 * rounds. Goal: >= 80% of the bare Fastify route's req/s, p99 within 1.5x.
 * Run: `pnpm bench adapters`.
 */
import { cpus, loadavg } from 'node:os';
import {
  type AdapterServer,
  type Autocannon,
  IDENTITY_BODY,
  IDENTITY_PATH,
  loadAutocannon,
  loadIdentity,
  pinLoadGenerator,
  serverClock,
  startAdapterServer,
} from './lib/adapter-servers';
import { canPin } from './lib/cpu-pinning';
import { envInteger } from './lib/env';
import { median } from './lib/latency';

const CONNECTIONS = 32;
const WARMUP_S = 4;
const DURATION_S = 3;
const ROUNDS = envInteger('ADAPTERS_ROUNDS', 5);
/** Servers on one physical core, autocannon (this process) on another, where `taskset` allows it. */
const PIN = envInteger('ADAPTERS_PIN', 1, 0) !== 0 && canPin();
const KINDS = [
  'fastify-bare',
  'node-bare',
  'serve',
  'fastify-plugin',
  'serve-unbatched',
  'node-adapter-echo',
] as const;
type Kind = (typeof KINDS)[number];

interface Row {
  kind: Kind;
  rps: number;
  p50: number;
  p99: number;
  /** Server process CPU time (user + system) per request, µs: steadier than req/s on a busy box. */
  cpuUs: number;
}

async function load(
  autocannon: Autocannon,
  { kind, url, child }: AdapterServer<Kind>,
  duration: number,
): Promise<Row> {
  const before = await serverClock(child);
  const result = await loadIdentity(autocannon, url, kind, { connections: CONNECTIONS, duration });
  const cpuUs = (await serverClock(child)).cpu - before.cpu;
  return {
    kind,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuUs: cpuUs / Math.max(1, result.requests.total),
  };
}

async function main() {
  const autocannon = loadAutocannon();
  console.log(
    `node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, load ${loadavg()[0]?.toFixed(2)}; ` +
      `autocannon -c ${CONNECTIONS} -d ${DURATION_S} x ${ROUNDS} rounds (after ${WARMUP_S} s warm-up), ` +
      `POST ${IDENTITY_PATH}, ${IDENTITY_BODY.length} B JSON`,
  );
  // Every server is up (idle) at once; rounds interleave them so background load on the
  // shared machine hits all alike, and each round is compared within itself.
  const serverCpu = pinLoadGenerator(PIN);
  const servers = await Promise.all(
    KINDS.map((kind) => startAdapterServer(kind, { cpu: serverCpu })),
  );
  try {
    for (const server of servers) await load(autocannon, server, WARMUP_S);
    const rounds: Map<Kind, Row>[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const rows = new Map<Kind, Row>();
      for (const server of servers)
        rows.set(server.kind, await load(autocannon, server, DURATION_S));
      rounds.push(rows);
      const base = rows.get('fastify-bare')!;
      console.log(
        `round ${round + 1}: ` +
          KINDS.map(
            (kind) => `${kind} ${((100 * rows.get(kind)!.rps) / base.rps).toFixed(0)}%`,
          ).join(', '),
      );
    }
    const of = (kind: Kind, value: (row: Row, base: Row) => number) =>
      median(rounds.map((rows) => value(rows.get(kind)!, rows.get('fastify-bare')!)));
    console.log(
      '\n| server | req/s | p50 ms | p99 ms | req/s vs bare Fastify | p99 vs bare Fastify | server CPU us/req | CPU vs bare Fastify |',
    );
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
    const ratios = new Map<Kind, { rps: number; p99: number }>();
    for (const kind of KINDS) {
      const rps = of(kind, (row, base) => row.rps / base.rps);
      const p99 = of(kind, (row, base) => row.p99 / base.p99);
      ratios.set(kind, { rps, p99 });
      console.log(
        `| ${kind} | ${Math.round(of(kind, (row) => row.rps))} | ${of(kind, (row) => row.p50)} | ` +
          `${of(kind, (row) => row.p99)} | ${(100 * rps).toFixed(0)}% | ${p99.toFixed(2)}x | ` +
          `${of(kind, (row) => row.cpuUs).toFixed(1)} | ${of(kind, (row, base) => row.cpuUs / base.cpuUs).toFixed(2)}x |`,
      );
    }
    console.log(`(medians over ${ROUNDS} rounds; ratios are taken within each round)`);
    for (const kind of ['serve', 'fastify-plugin'] as const) {
      const { rps, p99 } = ratios.get(kind)!;
      const ok = rps >= 0.8 && p99 <= 1.5;
      console.log(`${kind}: goal (>= 80% req/s, p99 <= 1.5x) ${ok ? 'met' : 'NOT met'}`);
    }
  } finally {
    for (const { child } of servers) child.kill();
  }
}

await main();
