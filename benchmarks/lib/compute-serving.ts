/**
 * The body of the compute-bound serving benches (`serving-tfjs.bench.ts`,
 * `serving-ocr.bench.ts`): one real model whose inference outweighs its transport, served
 * by `serve()` (`infer-server.mjs`) against its bare runtime's best batch (a
 * `lib/ceiling-child.mjs` child), with wrk as the load. Per round: the ceiling sampled at
 * each batch size, then 32 and 128 connections against the server. Before the load the
 * served answer is checked against the bare runtime's own on the same input, and the server
 * gets one unmeasured load (JIT, and the auto batcher's tuner, which keeps 10 s of samples).
 */
import { decodeInferenceResponse, encodeInferenceRequest, type Tensor } from '@infer/codecs';
import { bestSample, type CeilingSample, describeSamples, sampleCeiling } from './ceiling-sample';
import { type ChildServer, nodeArgsOf, startChildren } from './child-process';
import { median, round } from './latency';
import { describeMachine, machineInfo, watchLoad } from './machine';
import { writeResults } from './results';
import { requireWrk, type WrkResult, wrkLoad } from './wrk-load';

/** One compute-bound case. */
export interface ComputeCase {
  /** The bench's name: its results file, and what `requireWrk` names. */
  bench: string;
  /**
   * The served model's name (its infer route) and the `infer-server.mjs` kind serving it (a
   * `-v8heap` kind runs under `--initial-old-space-size=128`, see `nodeArgsOf`).
   */
  model: string;
  serverKind: string;
  /** The ceiling child and the shape fields of its messages (`{ side }`, `{ width }`). */
  ceiling: URL;
  shape: Record<string, number>;
  batches: readonly number[];
  /** The one input of a request (batch 1). */
  input: Tensor;
  /** The served output's expected shape, and the largest difference from the bare runtime's. */
  outputShape: readonly number[];
  tolerance: number;
  rounds: number;
  /** Seconds of the unmeasured load before round 1. */
  warmupS: number;
  /** More fields for the results file. */
  extra?: Record<string, unknown>;
}

const LEVELS = [32, 128];
const CEILING_S = 3;

interface Cell extends WrkResult {
  round: number;
  ceiling: number;
  ofCeilingPct: number;
  serverMsPerRequest: number;
}

/** The served answer for the case's input must match the bare runtime's within `tolerance`. */
async function checkAnswer(
  bench: ComputeCase,
  server: ChildServer,
  ceiling: ChildServer,
  request: { body: Uint8Array; headers: Record<string, string> },
): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${server.port}/v2/models/${bench.model}/infer`, {
    method: 'POST',
    headers: request.headers,
    body: Buffer.from(request.body),
  });
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (!response.ok) throw new Error(`${bench.serverKind}: HTTP ${response.status}`);
  const output = decodeInferenceResponse(bytes, {
    headerLength: response.headers.get('inference-header-content-length') ?? undefined,
  }).outputs[0]!;
  const { data: expected } = await ceiling.request<{ data: number[] }>(
    { type: 'reference', ...bench.shape },
    60_000,
  );
  const got = output.data as Float32Array;
  if (output.shape.join() !== bench.outputShape.join() || got.length !== expected.length) {
    throw new Error(`${bench.serverKind}: output shape [${output.shape}]`);
  }
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - expected[i]!));
  if (worst > bench.tolerance) {
    throw new Error(`${bench.serverKind}: output differs from the bare runtime by ${worst}`);
  }
  return worst;
}

/**
 * Runs one case and writes `benchmarks/results/<bench>.json`.
 *
 * @example
 * await runComputeServing({ bench: 'serving-ocr', model: 'ocr', serverKind: 'ocr-tuned', ... });
 */
export async function runComputeServing(bench: ComputeCase): Promise<void> {
  requireWrk(bench.bench);
  const machine = machineInfo();
  const stopLoad = watchLoad();
  const startedAt = performance.now();
  console.log(describeMachine(machine));
  const request = encodeInferenceRequest(
    { inputs: [bench.input], parameters: { binary_data_output: true } },
    { binary: true },
  );
  const [ceiling, server] = (await startChildren([
    ['ceiling', bench.ceiling],
    [
      bench.serverKind,
      new URL('../infer-server.mjs', import.meta.url),
      [bench.serverKind],
      nodeArgsOf(bench.serverKind),
    ],
  ])) as [ChildServer, ChildServer];
  const ceilings: { round: number; samples: CeilingSample[]; best: CeilingSample }[] = [];
  const cells: Cell[] = [];
  try {
    const worst = await checkAnswer(bench, server, ceiling, request);
    console.log(
      `${bench.serverKind} answers as the bare runtime does (largest difference ${worst})`,
    );
    const target = {
      url: `http://127.0.0.1:${server.port}/v2/models/${bench.model}/infer`,
      body: request.body,
      headers: request.headers,
      serverPid: server.child.pid!,
    };
    await wrkLoad({ ...target, connections: 32, durationS: bench.warmupS, warmupS: 0 });
    for (let index = 0; index < bench.rounds; index++) {
      await server.settle();
      const samples: CeilingSample[] = [];
      for (const batch of bench.batches) {
        samples.push(await sampleCeiling(ceiling, { ...bench.shape, batch, seconds: CEILING_S }));
      }
      const best = bestSample(samples);
      ceilings.push({ round: index, samples, best });
      console.log(`round ${index + 1}: ceiling ${describeSamples(samples)}`);
      for (const connections of LEVELS) {
        await server.settle();
        const result = await wrkLoad({ ...target, connections, durationS: 6, warmupS: 3 });
        if (result.non2xx > 0 || result.socketErrors > 0) {
          throw new Error(`${result.non2xx} non-2xx answers, ${result.socketErrors} socket errors`);
        }
        const cell: Cell = {
          round: index,
          ...result,
          ceiling: best.imagesPerSecond,
          ofCeilingPct: round((100 * result.rps) / best.imagesPerSecond, 1),
          serverMsPerRequest: round((1000 * result.serverCores) / result.rps, 3),
        };
        cells.push(cell);
        console.log(
          `  c=${connections}: ${result.rps} req/s = ${cell.ofCeilingPct}% of ${best.imagesPerSecond}, p50 ${round(result.p50)} ms, p99 ${round(result.p99)} ms; ` +
            `server ${cell.serverMsPerRequest} core-ms/request (${round(result.serverCores, 2)} cores), wrk ${round(result.wrkCores, 3)} cores`,
        );
      }
    }
  } finally {
    await Promise.all([ceiling.stop(), server.stop()]);
  }
  console.log('\n| conns | rounds: % of the ceiling | median | req/s (median) | p99 ms (median) |');
  console.log('|---:|---|---:|---:|---:|');
  const summary = LEVELS.map((connections) => {
    const mine = cells.filter((c) => c.connections === connections);
    const row = {
      connections,
      ofCeilingPct: mine.map((c) => c.ofCeilingPct),
      medianPct: round(median(mine.map((c) => c.ofCeilingPct)), 1),
      medianRps: round(median(mine.map((c) => c.rps)), 1),
      medianP99: round(median(mine.map((c) => c.p99)), 1),
    };
    console.log(
      `| ${connections} | ${row.ofCeilingPct.join(', ')} | ${row.medianPct}% | ${row.medianRps} | ${row.medianP99} |`,
    );
    return row;
  });
  const load = stopLoad();
  const seconds = round((performance.now() - startedAt) / 1000, 0);
  console.log(`\nload average during the run: min ${load.min}, mean ${load.mean}, max ${load.max}`);
  writeResults(bench.bench, {
    machine,
    load,
    seconds,
    ...bench.extra,
    ceilings,
    cells,
    summary,
  });
  console.log(`total ${seconds} s`);
}
