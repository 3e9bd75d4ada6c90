/**
 * Question: end to end on a real model (MobileNetV2 int8, one [1,3,224,224] FP32 image per
 * request), how close does @infer come to the physical ceiling of this machine, and how
 * does it compare with a hand-written Express route?
 *
 * - Ceiling: bare onnxruntime-node in one process (`onnx-ceiling.mjs`), batch 1/4/8, one
 *   session x 2 intra-op threads and 2 worker threads x 1 (the 2-core box's cores; on a
 *   bigger machine pin it, as serving-floor does); the best images/s. The best
 *   layout is re-measured next to every connection level, so each level's ratio compares
 *   figures taken a few seconds apart.
 * - Naive: `naive-express-server.mjs` (express.json + session.run per request, intra-op 2;
 *   `naive-ort-defaults`: the same with ONNX Runtime's default threads).
 * - @infer (`infer-server.mjs`): `serve()`, the Express and Fastify adapters with default
 *   settings, and `serve()` tuned (one worker per core x 1 thread, batching auto; and
 *   `serve-tuned-v8heap`, the same in a Node started with `--initial-old-space-size=128`, as
 *   `infer serve` and the Dockerfile run). They get the
 *   binary tensor extension (request and response); `serve-default-json` is `serve()` with
 *   the same request as JSON (the naive route's format); `serve-inprocess` is `serve()` with
 *   `workers: 0`, the session on the main thread (the default before 2026-11-27).
 * - Memory: every server's RSS and heap (after GC) at rest, after the 1-connection level
 *   and at the end; an identity model's `serve()` before and after 100k requests.
 *
 * Every server runs in its own `node` child process on the built packages; autocannon runs
 * here, fixed connections, one continuous run per cell whose first seconds (warm-up,
 * longer at high concurrency so the queue reaches steady state) are not counted. Cells of
 * one level run back to back, rotating the order; before each cell the previous server
 * must be idle (a naive server finishes abandoned requests). Goals (issue 8): >= 85% of
 * the ceiling at 32+ connections; >= 3x naive throughput at 32 connections with p99 no
 * worse; at 1 connection p50 within 10% of naive.
 *
 * Run: `pnpm bench serving` (about 6 minutes on the loaded 2-core VM: 351-372 s; the
 * adaptive warm-up stretches cells of slow servers), `QUICK=1 pnpm bench serving` (1 and 32
 * connections, short cells, 10k soak: about a minute and a half on the loaded machine;
 * `SERIES=serve-default,serve-tuned` keeps only some servers, for development). Results:
 * `benchmarks/results/serving.json`, charts in `docs/charts/serving-*.svg`.
 */
import { decodeInferenceResponse, encodeInferenceRequest } from '@infer/codecs';
import type { ChartSpec } from './lib/chart';
import {
  type ChildMemory,
  type ChildServer,
  nodeArgsOf,
  startChild,
  startChildren,
} from './lib/child-process';
import { argmax, FINCH_CLASS, finchPixels } from './lib/finch.mjs';
import { type LoadResult, measureLoad, sendRequests } from './lib/http-load';
import { round } from './lib/latency';
import { describeMachine, machineInfo, watchLoad } from './lib/machine';
import { writeResults } from './lib/results';

const QUICK = process.env.QUICK === '1';
const LEVELS = QUICK ? [1, 32] : [1, 8, 32, 128];
const DURATION_S = QUICK ? 2 : 4;
const WARMUP_S = QUICK ? 1 : 1.5;
/** Cap of the adaptive warm-up and window at high concurrency. */
const MAX_WARMUP_S = QUICK ? 4 : 6;
const MAX_DURATION_S = QUICK ? 5 : 8;
const CEILING_S = QUICK ? 1 : 1.5;
/** The ceiling sample taken between cells. */
const CEILING_SAMPLE_S = 1;
const CEILING_BATCHES = [1, 4, 8];
const SOAK_REQUESTS = QUICK ? 10_000 : 100_000;
const PATH = '/v2/models/mobilenet/infer';

type Format = 'json' | 'binary';
interface Contender {
  series: string;
  process: string;
  script: 'naive' | 'infer';
  args: string[];
  format: Format;
  /** Connection levels (default: all). */
  levels?: number[];
}

const ALL_CONTENDERS: Contender[] = [
  { series: 'naive-express', process: 'naive', script: 'naive', args: [], format: 'json' },
  {
    series: 'naive-ort-defaults',
    process: 'naive-ort-defaults',
    script: 'naive',
    args: ['--ort-defaults'],
    format: 'json',
    levels: [32],
  },
  {
    series: 'serve-default',
    process: 'serve-default',
    script: 'infer',
    args: ['serve-default'],
    format: 'binary',
  },
  {
    series: 'serve-inprocess',
    process: 'serve-inprocess',
    script: 'infer',
    args: ['serve-inprocess'],
    format: 'binary',
  },
  {
    series: 'serve-default-json',
    process: 'serve-default',
    script: 'infer',
    args: ['serve-default'],
    format: 'json',
    levels: [1, 32],
  },
  {
    series: 'express-default',
    process: 'express-default',
    script: 'infer',
    args: ['express-default'],
    format: 'binary',
  },
  {
    series: 'fastify-default',
    process: 'fastify-default',
    script: 'infer',
    args: ['fastify-default'],
    format: 'binary',
  },
  {
    series: 'serve-tuned',
    process: 'serve-tuned',
    script: 'infer',
    args: ['serve-tuned'],
    format: 'binary',
  },
  {
    series: 'serve-tuned-v8heap',
    process: 'serve-tuned-v8heap',
    script: 'infer',
    args: ['serve-tuned-v8heap'],
    format: 'binary',
  },
];
/** `SERIES=a,b` (development) keeps only those series. */
const ONLY = process.env.SERIES?.split(',');
const CONTENDERS = ALL_CONTENDERS.filter((c) => ONLY === undefined || ONLY.includes(c.series));
const INFER_SERIES = [
  'serve-default',
  'serve-inprocess',
  'express-default',
  'fastify-default',
  'serve-tuned',
  'serve-tuned-v8heap',
];

const SCRIPTS = {
  naive: new URL('./naive-express-server.mjs', import.meta.url),
  infer: new URL('./infer-server.mjs', import.meta.url),
  ceiling: new URL('./onnx-ceiling.mjs', import.meta.url),
};

interface Body {
  body: Uint8Array;
  headers: Record<string, string>;
}

function bodies(pixels: Float32Array): Record<Format, Body> {
  const tensor = {
    name: 'input',
    datatype: 'FP32' as const,
    shape: [1, 3, 224, 224],
    data: pixels,
  };
  // JSON as any client writes it (numbers in full double precision, like numpy's tolist()).
  const json = encodeInferenceRequest({ inputs: [tensor] });
  const binary = encodeInferenceRequest(
    { inputs: [tensor], parameters: { binary_data_output: true } },
    { binary: true },
  );
  return {
    json: { body: json.body, headers: json.headers },
    binary: { body: binary.body, headers: binary.headers },
  };
}

/** One request; checks the answer is the finch (class 12). */
async function checkAnswer(port: number, body: Body, label: string): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${port}${PATH}`, {
    method: 'POST',
    headers: body.headers,
    body: Buffer.from(body.body),
  });
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (!response.ok)
    throw new Error(
      `${label}: HTTP ${response.status} ${new TextDecoder().decode(bytes).slice(0, 300)}`,
    );
  const headerLength = response.headers.get('inference-header-content-length');
  const decoded = decodeInferenceResponse(
    bytes,
    headerLength === null ? {} : { headerLength: Number(headerLength) },
  );
  const top = argmax(decoded.outputs[0]!.data as ArrayLike<number>);
  if (top !== FINCH_CLASS) throw new Error(`${label}: top-1 class ${top}, expected ${FINCH_CLASS}`);
}

interface CeilingPoint {
  layout: '1x2' | '2x1';
  batch: number;
  imagesPerSecond: number;
  meanRunMs: number;
}

async function ceiling(child: ChildServer, layout: '1x2' | '2x1', batch: number, seconds: number) {
  const result = await child.request<{ imagesPerSecond: number; meanRunMs: number }>({
    type: 'measure',
    layout,
    batch,
    seconds,
  });
  return {
    layout,
    batch,
    imagesPerSecond: round(result.imagesPerSecond, 1),
    meanRunMs: round(result.meanRunMs, 2),
  } satisfies CeilingPoint;
}

interface Row extends LoadResult {
  series: string;
  format: Format;
  warmupS: number;
  /** Bare ORT img/s (best layout and batch), mean of the samples just before and after. */
  ceiling: number;
  ofCeilingPct: number;
}

const mib = (bytes: number) => round(bytes / 2 ** 20, 1);
const pct = (after: number, before: number) => round((100 * (after - before)) / before, 1);

function memoryRow(label: string, memory: ChildMemory) {
  return {
    label,
    requests: memory.requests,
    rssMiB: mib(memory.rss),
    heapUsedMiB: mib(memory.heapUsed),
    externalMiB: mib(memory.external),
  };
}

async function main(): Promise<void> {
  const machine = machineInfo();
  const stopLoad = watchLoad();
  const startedAt = performance.now();
  console.log(`${describeMachine(machine)}${QUICK ? ' (QUICK)' : ''}`);
  const pixels = await finchPixels();
  const body = bodies(pixels);
  console.log(
    `request: JSON ${mib(body.json.body.byteLength)} MiB, binary ${mib(body.binary.body.byteLength)} MiB`,
  );

  // Every process up at once (idle while another is measured).
  const processes = new Map<string, ChildServer>();
  const unique = [...new Map(CONTENDERS.map((c) => [c.process, c])).values()];
  const [ceilingChild, ...servers] = await startChildren([
    ['ceiling', SCRIPTS.ceiling],
    ...unique.map((c) => [c.process, SCRIPTS[c.script], c.args, nodeArgsOf(c.process)] as const),
  ]);
  for (const [index, c] of unique.entries()) processes.set(c.process, servers[index]!);
  const memory: Record<string, { rest: ChildMemory; warm?: ChildMemory; end?: ChildMemory }> = {};
  try {
    for (const [name, server] of processes) memory[name] = { rest: await server.memory() };
    for (const contender of CONTENDERS) {
      const server = processes.get(contender.process)!;
      await checkAnswer(server.port, body[contender.format], contender.series);
    }
    console.log('every server answers class 12 for the finch');

    // Ceiling sweep.
    const sweep: CeilingPoint[] = [];
    for (const layout of ['1x2', '2x1'] as const) {
      for (const batch of CEILING_BATCHES) {
        const point = await ceiling(ceilingChild!, layout, batch, CEILING_S);
        sweep.push(point);
        console.log(
          `ceiling ${layout} batch ${batch}: ${point.imagesPerSecond} img/s (${point.meanRunMs} ms/run)`,
        );
      }
    }
    const best = sweep.reduce((a, b) => (b.imagesPerSecond > a.imagesPerSecond ? b : a));
    console.log(`best: ${best.layout} batch ${best.batch}`);

    // Load. A short ceiling sample precedes every cell and follows the last one: a cell's
    // ceiling is the mean of the samples just before and after it (the load on this shared
    // machine swings by several times within a minute).
    const rows: Row[] = [];
    const ceilingAt: Record<number, number> = {};
    const lastRps = new Map<string, number>();
    const sampleCeiling = async () =>
      (await ceiling(ceilingChild!, best.layout, best.batch, CEILING_SAMPLE_S)).imagesPerSecond;
    let before = await sampleCeiling();
    for (const [levelIndex, connections] of LEVELS.entries()) {
      const cells = CONTENDERS.filter((c) => (c.levels ?? LEVELS).includes(connections));
      const rotated = cells.map((_, i) => cells[(i + levelIndex) % cells.length]!);
      for (const contender of rotated) {
        const server = processes.get(contender.process)!;
        for (const other of processes.values()) await other.settle();
        // At high concurrency a request waits ~connections / rps: warm up and measure for a
        // few such periods so the queue is in steady state.
        // A series without a previous level: the slowest of the previous level (safe side).
        const previous =
          lastRps.get(contender.series) ??
          (lastRps.size > 0 ? Math.min(...lastRps.values()) : undefined);
        const period = previous === undefined ? 0 : connections / previous;
        const warmupS = round(Math.min(MAX_WARMUP_S, Math.max(WARMUP_S, 1.5 * period)), 1);
        const durationS = round(Math.min(MAX_DURATION_S, Math.max(DURATION_S, 2.5 * period)), 1);
        const result = await measureLoad({
          url: `http://127.0.0.1:${server.port}${PATH}`,
          ...body[contender.format],
          connections,
          durationS,
          warmupS,
        });
        if (result.non2xx > 0)
          console.warn(`${contender.series}: ${result.non2xx} non-2xx answers`);
        lastRps.set(contender.series, result.rps);
        const after = await sampleCeiling();
        const cellCeiling = round((before + after) / 2, 1);
        before = after;
        rows.push({
          series: contender.series,
          format: contender.format,
          warmupS,
          ceiling: cellCeiling,
          ofCeilingPct: round((100 * result.rps) / cellCeiling, 0),
          ...result,
        });
        console.log(
          `c=${connections} ${contender.series} (${contender.format}): ${result.rps} req/s, ` +
            `p50 ${result.p50} ms, p99 ${result.p99} ms (${result.requests} answers in ${result.durationS} s; ` +
            `ceiling ${cellCeiling} img/s around it)`,
        );
      }
      const atLevel = rows.filter((r) => r.connections === connections);
      ceilingAt[connections] = round(
        atLevel.reduce((sum, r) => sum + r.ceiling, 0) / atLevel.length,
        1,
      );
      if (levelIndex === 0) {
        for (const [name, server] of processes) {
          await server.settle();
          memory[name]!.warm = await server.memory();
        }
      }
    }
    for (const [name, server] of processes) {
      await server.settle();
      memory[name]!.end = await server.memory();
    }
    for (const server of processes.values()) await server.stop();
    await ceilingChild!.stop();

    // Memory soak on the identity model.
    const identity = await startChild('identity', SCRIPTS.infer, ['identity']);
    const identityBody = encodeInferenceRequest({
      inputs: [
        {
          name: 'x',
          datatype: 'FP32',
          shape: [1, 16],
          data: Float32Array.from({ length: 16 }, (_, i) => i / 16),
        },
      ],
    });
    const soakTarget = {
      url: `http://127.0.0.1:${identity.port}/v2/models/identity/infer`,
      body: identityBody.body,
      headers: identityBody.headers,
      connections: 32,
    };
    const identityRest = await identity.memory();
    await sendRequests(soakTarget, 2000);
    const identityWarm = await identity.memory();
    // Four legs, memory after each: a leak grows leg after leg, a warm-up step does not.
    const soak = { ok: 0, non2xx: 0, errors: 0, seconds: 0 };
    const checkpoints: ChildMemory[] = [];
    for (let leg = 0; leg < 4; leg++) {
      const part = await sendRequests(soakTarget, SOAK_REQUESTS / 4);
      soak.ok += part.ok;
      soak.non2xx += part.non2xx;
      soak.errors += part.errors;
      soak.seconds += part.seconds;
      checkpoints.push(await identity.memory());
    }
    const identityEnd = checkpoints[checkpoints.length - 1]!;
    await identity.stop();
    console.log(
      `identity soak: ${soak.ok} ok, ${soak.non2xx} non-2xx, ${soak.errors} errors in ${round(soak.seconds, 1)} s`,
    );
    const load = stopLoad();

    report({
      machine,
      load,
      best,
      sweep,
      ceilingAt,
      rows,
      memory,
      identityRest,
      identityWarm,
      identityEnd,
      checkpoints,
      soak,
      startedAt,
    });
  } finally {
    for (const server of processes.values()) await server.stop();
    await ceilingChild?.stop();
  }
}

function report(input: {
  machine: ReturnType<typeof machineInfo>;
  load: { min: number; max: number; mean: number };
  best: CeilingPoint;
  sweep: CeilingPoint[];
  ceilingAt: Record<number, number>;
  rows: Row[];
  memory: Record<string, { rest: ChildMemory; warm?: ChildMemory; end?: ChildMemory }>;
  identityRest: ChildMemory;
  identityWarm: ChildMemory;
  identityEnd: ChildMemory;
  checkpoints: ChildMemory[];
  soak: { ok: number; non2xx: number; errors: number; seconds: number };
  startedAt: number;
}): void {
  const { rows, ceilingAt, best } = input;
  const row = (series: string, connections: number) =>
    rows.find((r) => r.series === series && r.connections === connections);
  const naiveAt = (c: number) => row('naive-express', c);

  console.log(
    `\nload average during the run: min ${input.load.min}, mean ${input.load.mean}, max ${input.load.max}`,
  );
  console.log(
    `ceiling sweep (img/s): ${input.sweep.map((p) => `${p.layout}/b${p.batch} ${p.imagesPerSecond}`).join(', ')}`,
  );
  console.log(
    '\n| server | body | conns | req/s | p50 ms | p99 ms | vs naive req/s | vs ceiling |',
  );
  console.log('|---|---|---:|---:|---:|---:|---:|---:|');
  for (const connections of LEVELS) {
    for (const r of rows.filter((x) => x.connections === connections)) {
      const naive = naiveAt(connections);
      console.log(
        `| ${r.series} | ${r.format} | ${connections} | ${r.rps} | ${r.p50} | ${r.p99} | ` +
          `${naive ? `${round(r.rps / naive.rps, 2)}x` : ''} | ${r.ofCeilingPct}% of ${r.ceiling} |`,
      );
    }
    console.log(
      `| ceiling (${best.layout}, batch ${best.batch}), mean of the level | | ${connections} | ${ceilingAt[connections]} | | | | |`,
    );
  }

  const goals: Array<{ goal: string; series: string; value: string; met: boolean }> = [];
  for (const series of INFER_SERIES) {
    for (const c of LEVELS.filter((level) => level >= 32)) {
      const r = row(series, c);
      if (!r) continue;
      const ratio = r.rps / r.ceiling;
      goals.push({
        goal: `>= 85% of ceiling at ${c}`,
        series,
        value: `${round(100 * ratio, 0)}% (${r.rps} vs ${r.ceiling} img/s)`,
        met: ratio >= 0.85,
      });
    }
    const r32 = row(series, 32);
    const n32 = naiveAt(32);
    if (r32 && n32) {
      const ratio = r32.rps / n32.rps;
      goals.push({
        goal: '>= 3x naive req/s at 32, p99 no worse',
        series,
        value: `${round(ratio, 2)}x, p99 ${r32.p99} vs ${n32.p99} ms`,
        met: ratio >= 3 && r32.p99 <= n32.p99,
      });
    }
    const r1 = row(series, 1);
    const n1 = naiveAt(1);
    if (r1 && n1) {
      goals.push({
        goal: 'p50 within 10% of naive at 1',
        series,
        value: `${r1.p50} vs ${n1.p50} ms (${pct(r1.p50, n1.p50)}%)`,
        met: r1.p50 <= n1.p50 * 1.1,
      });
    }
  }
  // The physical bound of "3x naive": the ceiling over naive at 32.
  const n32 = naiveAt(32);
  const bound = n32 ? round(ceilingAt[32]! / n32.rps, 2) : undefined;
  console.log('\n| goal | server | value | met |');
  console.log('|---|---|---|---|');
  for (const g of goals)
    console.log(`| ${g.goal} | ${g.series} | ${g.value} | ${g.met ? 'yes' : 'no'} |`);
  if (bound !== undefined)
    console.log(`ceiling / naive at 32 connections: ${bound}x (the most any server could reach)`);

  const jsonVsBinary = [1, 32].flatMap((c) => {
    const json = row('serve-default-json', c);
    const binary = row('serve-default', c);
    if (!json || !binary) return [];
    return [
      {
        connections: c,
        jsonRps: json.rps,
        binaryRps: binary.rps,
        rpsRatio: round(binary.rps / json.rps, 2),
        jsonP50: json.p50,
        binaryP50: binary.p50,
      },
    ];
  });
  console.log('\nJSON vs binary (serve-default):');
  for (const j of jsonVsBinary) {
    console.log(
      `  c=${j.connections}: binary ${j.binaryRps} req/s p50 ${j.binaryP50} ms, JSON ${j.jsonRps} req/s p50 ${j.jsonP50} ms: binary ${j.rpsRatio}x`,
    );
  }

  const memoryRows = Object.entries(input.memory).map(([name, m]) => ({
    server: name,
    rest: memoryRow('rest', m.rest),
    warm: m.warm ? memoryRow('warm', m.warm) : undefined,
    end: m.end ? memoryRow('end', m.end) : undefined,
    rssGrowthFromRestPct: m.end ? pct(m.end.rss, m.rest.rss) : undefined,
    rssGrowthFromWarmPct: m.end && m.warm ? pct(m.end.rss, m.warm.rss) : undefined,
    heapGrowthFromWarmPct: m.end && m.warm ? pct(m.end.heapUsed, m.warm.heapUsed) : undefined,
  }));
  console.log(
    '\n| server | requests | RSS rest MiB | RSS warm | RSS end | heap rest | heap warm | heap end | RSS end vs warm |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const m of memoryRows) {
    console.log(
      `| ${m.server} | ${m.end?.requests} | ${m.rest.rssMiB} | ${m.warm?.rssMiB} | ${m.end?.rssMiB} | ` +
        `${m.rest.heapUsedMiB} | ${m.warm?.heapUsedMiB} | ${m.end?.heapUsedMiB} | ${m.rssGrowthFromWarmPct}% |`,
    );
  }
  const identity = {
    requests: input.soak.ok,
    seconds: round(input.soak.seconds, 1),
    rest: memoryRow('rest', input.identityRest),
    warm: memoryRow('warm (2k requests)', input.identityWarm),
    end: memoryRow('end', input.identityEnd),
    rssGrowthFromWarmPct: pct(input.identityEnd.rss, input.identityWarm.rss),
    heapGrowthFromWarmPct: pct(input.identityEnd.heapUsed, input.identityWarm.heapUsed),
    rssGrowthFromRestPct: pct(input.identityEnd.rss, input.identityRest.rss),
    /** Memory after each quarter of the soak. */
    checkpoints: input.checkpoints.map((m) => memoryRow(`after ${m.requests}`, m)),
    rssGrowthOverLastThreeQuartersPct: pct(input.identityEnd.rss, input.checkpoints[0]!.rss),
  };
  console.log(
    `identity soak ${identity.requests} requests: RSS ${identity.rest.rssMiB} -> ${identity.warm.rssMiB} -> ${identity.end.rssMiB} MiB ` +
      `(${identity.rssGrowthFromWarmPct}% from warm), heap ${identity.rest.heapUsedMiB} -> ${identity.warm.heapUsedMiB} -> ${identity.end.heapUsedMiB} MiB (${identity.heapGrowthFromWarmPct}%)`,
  );
  console.log(
    `  checkpoints (requests: RSS / heap MiB): ${identity.checkpoints.map((c) => `${c.requests}: ${c.rssMiB} / ${c.heapUsedMiB}`).join(', ')}; ` +
      `RSS over the last three quarters ${identity.rssGrowthOverLastThreeQuartersPct}%`,
  );

  const subtitle = `MobileNetV2 int8, 1 image/request, ${input.machine.nproc} x ${input.machine.cpuModel}, load avg ${input.load.mean}${QUICK ? ', QUICK' : ''}`;
  const seriesNames = ['naive-express', ...INFER_SERIES];
  const charts: ChartSpec[] = [
    {
      file: 'serving-throughput.svg',
      title: 'Throughput vs connections (higher is better)',
      subtitle,
      xLabel: 'connections',
      yLabel: 'requests/s',
      series: [
        ...seriesNames.map((name) => ({
          name,
          points: rows
            .filter((r) => r.series === name)
            .map((r): [number, number] => [r.connections, r.rps]),
        })),
        {
          name: 'ceiling (bare ORT)',
          dashed: true,
          points: LEVELS.map((c): [number, number] => [c, ceilingAt[c]!]),
        },
      ],
    },
    {
      file: 'serving-p99.svg',
      title: 'p99 latency vs connections (lower is better)',
      subtitle,
      xLabel: 'connections',
      yLabel: 'p99 ms',
      logY: true,
      series: seriesNames.map((name) => ({
        name,
        points: rows
          .filter((r) => r.series === name)
          .map((r): [number, number] => [r.connections, r.p99]),
      })),
    },
  ];
  writeResults(QUICK ? 'serving-quick' : 'serving', {
    bench: 'serving',
    command: QUICK ? 'QUICK=1 pnpm bench serving' : 'pnpm bench serving',
    date: new Date().toISOString(),
    quick: QUICK,
    machine: input.machine,
    loadDuringRun: input.load,
    totalSeconds: round((performance.now() - input.startedAt) / 1000, 0),
    ceiling: { sweep: input.sweep, best: input.best, perLevel: ceilingAt },
    rows,
    goals,
    ceilingOverNaiveAt32: bound,
    jsonVsBinary,
    memory: memoryRows,
    identitySoak: identity,
    charts: QUICK
      ? charts.map((chart) => ({ ...chart, file: chart.file.replace('.svg', '-quick.svg') }))
      : charts,
  });
  console.log(`total ${round((performance.now() - input.startedAt) / 1000, 0)} s`);
}

await main();
process.exit(0);
