/**
 * Question: do a served request's objects die young, as a bare route's do?
 *
 * A long-running server's V8 young generation grows to its largest size (16 MiB semi-spaces on
 * Node 20), so a scavenge comes only every 50 ms or so under load. Objects still reachable
 * at two scavenges in a row are promoted to the old generation: copied twice, then left for a
 * mark-compact. A request lives a few ms, so almost nothing of it should be promoted; when
 * something keeps request objects reachable longer (as V8 did for copies and entries that got
 * a property or closure after they were made, see docs/benchmarks.md "Requests that die
 * young"), promotion grows to about a kilobyte per request and scavenges take several times
 * longer.
 *
 * The same servers as `adapters.bench.ts` (`adapters-server.mjs`: bare Fastify, `serve()`
 * with batching on and off, the Fastify plugin; identity model on FP32 [1,16], OIP JSON),
 * each started alone under `--trace-gc-nvp --min-semi-space-size=16` (the young generation
 * a long run ends with, from the start), pinned to one physical core with autocannon on another (where
 * `taskset` allows). Each is loaded for a warm-up, then for a measured window; V8's GC trace
 * of that window gives the scavenges, their pause time, the bytes promoted and allocated,
 * per request. Run: `pnpm bench young-gen`. `YOUNG_GEN_SECONDS=n` sets the window.
 * Goal: each served kind promotes at most 3x the bytes per request of bare Fastify (which
 * promotes about 1 B per request; 16 B at least). Scavenge time per request follows the
 * bytes allocated per request, reported beside it.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
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

const CONNECTIONS = 32;
const WARMUP_S = 3;
const WINDOW_S = envInteger('YOUNG_GEN_SECONDS', 6);
const PIN = canPin();
const V8_FLAGS = ['--trace-gc-nvp', '--min-semi-space-size=16'];
const KINDS = ['fastify-bare', 'serve', 'serve-unbatched', 'fastify-plugin'] as const;
type Kind = (typeof KINDS)[number];

/** One GC of V8's `--trace-gc-nvp` trace: when (ms since start), kind and its numbers. */
interface GcEvent {
  ms: number;
  kind: string;
  pause: number;
  promoted: number;
  allocated: number;
}

interface Row {
  kind: Kind;
  requests: number;
  scavenges: number;
  scavengeUs: number;
  promotedB: number;
  allocatedB: number;
  fullGcs: number;
  cpuUs: number;
}

/** Parses the GC events of a `--trace-gc-nvp` trace (`[pid:isolate] 1234 ms: pause=... gc=s ...`). */
function parseGcTrace(text: string): GcEvent[] {
  const events: GcEvent[] = [];
  for (const line of text.split('\n')) {
    const at = /\]\s+(\d+) ms: (pause=.*)$/.exec(line);
    if (at === null) continue;
    const fields = new Map<string, string>();
    for (const pair of at[2]!.split(' ')) {
      const equals = pair.indexOf('=');
      if (equals > 0) fields.set(pair.slice(0, equals), pair.slice(equals + 1));
    }
    events.push({
      ms: Number(at[1]),
      kind: fields.get('gc') ?? '?',
      pause: Number(fields.get('pause') ?? 0),
      promoted: Number(fields.get('promoted') ?? 0),
      allocated: Number(fields.get('allocated') ?? 0),
    });
  }
  return events;
}

async function measure(
  autocannon: Autocannon,
  kind: Kind,
  dir: string,
  serverCpu: number | undefined,
): Promise<Row> {
  const tracePath = join(dir, `${kind}.gc.txt`);
  const trace = openSync(tracePath, 'w');
  let server: AdapterServer<Kind> | undefined;
  try {
    server = await startAdapterServer(kind, {
      execArgv: V8_FLAGS,
      stdio: ['ignore', trace, 'inherit', 'ipc'],
      cpu: serverCpu,
    });
    const { child, url } = server;
    const load = async (duration: number) =>
      (await loadIdentity(autocannon, url, kind, { connections: CONNECTIONS, duration })).requests
        .total;
    await load(WARMUP_S);
    const before = await serverClock(child);
    const requests = await load(WINDOW_S);
    const after = await serverClock(child);
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.send('exit');
    });
    const events = parseGcTrace(readFileSync(tracePath, 'utf8')).filter(
      (event) => event.ms >= before.ms && event.ms <= after.ms,
    );
    const scavenges = events.filter((event) => event.kind === 's');
    const sum = (list: GcEvent[], value: (event: GcEvent) => number) =>
      list.reduce((total, event) => total + value(event), 0);
    return {
      kind,
      requests,
      scavenges: scavenges.length,
      scavengeUs: (1000 * sum(scavenges, (event) => event.pause)) / requests,
      promotedB: sum(scavenges, (event) => event.promoted) / requests,
      allocatedB: sum(events, (event) => event.allocated) / requests,
      fullGcs: events.length - scavenges.length,
      cpuUs: (after.cpu - before.cpu) / requests,
    };
  } finally {
    server?.child.kill();
    closeSync(trace);
  }
}

async function main() {
  const autocannon = loadAutocannon();
  console.log(
    `node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, load ${loadavg()[0]?.toFixed(2)}; ` +
      `servers under ${V8_FLAGS.join(' ')}; autocannon -c ${CONNECTIONS}, ${WARMUP_S} s warm-up, ` +
      `${WINDOW_S} s measured; POST ${IDENTITY_PATH}, ${IDENTITY_BODY.length} B JSON`,
  );
  const serverCpu = pinLoadGenerator(PIN);
  const dir = mkdtempSync(join(tmpdir(), 'infer-young-gen-'));
  const rows: Row[] = [];
  try {
    for (const kind of KINDS) rows.push(await measure(autocannon, kind, dir, serverCpu));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const base = rows[0]!;
  console.log(
    '\n| server | requests | scavenges | scavenge us/req | vs bare Fastify | promoted B/req | allocated B/req | full GCs | CPU us/req |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) {
    console.log(
      `| ${row.kind} | ${row.requests} | ${row.scavenges} | ${row.scavengeUs.toFixed(2)} | ` +
        `${(row.scavengeUs / base.scavengeUs).toFixed(2)}x | ${row.promotedB.toFixed(1)} | ` +
        `${Math.round(row.allocatedB)} | ${row.fullGcs} | ${row.cpuUs.toFixed(1)} |`,
    );
  }
  for (const row of rows.slice(1)) {
    const ok = row.promotedB <= Math.max(3 * base.promotedB, 16);
    console.log(
      `${row.kind}: goal (promoted bytes per request <= 3x bare Fastify's, 16 B at least) ${ok ? 'met' : 'NOT met'}`,
    );
  }
}

await main();
