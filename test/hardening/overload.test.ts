/**
 * Overload: a model with a bounded capacity (50 ms per request, one at a time, at most 4
 * queued: ~20 requests/s sustainable) driven open-loop at 10x that rate for 3 s. Beyond
 * capacity the server answers 503 with Retry-After at once; every request it accepted is
 * answered 200 with its own result; RSS stays bounded; once the load stops, latency and
 * throughput are back to what they were before.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { InferServer } from '@infer/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient, ROOT, slowModel, startServer, xBody } from './helpers';

const DELAY_MS = 50;
const SUSTAINABLE_RPS = 1000 / DELAY_MS;
const OFFERED_RPS = 10 * SUSTAINABLE_RPS;
const DURATION_MS = 3_000;
const MAX_QUEUE = 4;

let server: InferServer;
let client: HttpClient;

beforeAll(async () => {
  server = await startServer({
    models: [
      slowModel('bounded', { delayMs: DELAY_MS, maxQueueSize: MAX_QUEUE, timeoutMs: 10_000 }),
    ],
  });
  client = new HttpClient(server.url, { maxSockets: 64, deadlineMs: 15_000 });
}, 30_000);

afterAll(async () => {
  client?.close();
  await server?.close();
}, 30_000);

interface LoadSummary {
  sent: number;
  statuses: Record<string, number>;
  wrongEcho: number;
  badErrorBody: number;
  badRetryAfter: number;
  errors: string[];
  elapsedMs: number;
  p50Ms: number;
  p99Ms: number;
}

/** Runs test/fixtures/load-generator.mjs against `url` and returns its summary. */
function runLoadGenerator(url: string, rps: number, durationMs: number): Promise<LoadSummary> {
  const script = join(ROOT, 'test', 'fixtures', 'load-generator.mjs');
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [script, url, String(rps), String(durationMs), '64'],
      { timeout: durationMs + 30_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`load generator failed: ${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as LoadSummary);
      },
    );
  });
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function sequentialLatencies(count: number, tag: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let k = 0; k < count; k++) {
    const answer = await client.post('/v2/models/bounded/infer', xBody([tag, k]));
    expect(answer.status).toBe(200);
    latencies.push(answer.ms);
  }
  return latencies;
}

/** Requests/s achieved by `concurrency` closed-loop clients for `ms`; every answer must be 200. */
async function closedLoopRate(concurrency: number, ms: number): Promise<number> {
  const end = performance.now() + ms;
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, lane) => {
      while (performance.now() < end) {
        const answer = await client.post('/v2/models/bounded/infer', xBody([lane]));
        expect(answer.status).toBe(200);
        done++;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

describe('overload at 10x the sustainable rate', () => {
  it('sheds with 503 + Retry-After, answers every accepted request, stays bounded, recovers', async () => {
    // Warm up and measure the normal latency and throughput first.
    await sequentialLatencies(5, -1);
    const normalLatency = median(await sequentialLatencies(15, -2));
    const normalRate = await closedLoopRate(MAX_QUEUE, 1_000);

    const rssBefore = process.memoryUsage().rss;
    const cpuBefore = process.cpuUsage();
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }, 25);

    // Open loop from another process, so the load generator does not share our event loop.
    const summary = await runLoadGenerator(
      `${server.url}/v2/models/bounded/infer`,
      OFFERED_RPS,
      DURATION_MS,
    );
    clearInterval(sampler);
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMsPerRequest = (cpu.user + cpu.system) / 1000 / summary.sent;
    const accepted = summary.statuses['200'] ?? 0;
    const shed = summary.statuses['503'] ?? 0;
    const rssGrowthMiB = (rssPeak - rssBefore) / 2 ** 20;
    console.info(
      `overload: offered ${summary.sent} in ${DURATION_MS / 1000} s, answered within ` +
        `${(summary.elapsedMs / 1000).toFixed(1)} s (p50 ${summary.p50Ms} ms, p99 ${summary.p99Ms} ms): ` +
        `accepted ${accepted} (${Math.round(accepted / (DURATION_MS / 1000))}/s), shed ${shed}; ` +
        `normal ${normalRate.toFixed(0)}/s, p50 ${normalLatency.toFixed(1)} ms; ` +
        `RSS +${rssGrowthMiB.toFixed(1)} MiB; server CPU ${cpuMsPerRequest.toFixed(2)} ms/request`,
    );
    // Every request answered: 200 with its own result, or 503 + Retry-After + JSON error.
    expect(summary.errors).toEqual([]);
    expect(accepted + shed).toBe(summary.sent);
    expect(summary.wrongEcho).toBe(0);
    expect(summary.badErrorBody).toBe(0);
    expect(summary.badRetryAfter).toBe(0);
    expect(summary.sent).toBeGreaterThan(0.6 * OFFERED_RPS * (DURATION_MS / 1000));
    expect(shed).toBeGreaterThan(summary.sent / 2);
    // The model kept working near its capacity the whole time.
    expect(accepted).toBeGreaterThan(0.5 * normalRate * (DURATION_MS / 1000));
    expect(rssGrowthMiB).toBeLessThan(96);

    // Recovery: nothing left queued, latency and throughput as before.
    expect(server.repository.get('bounded').queueLength).toBe(0);
    const after = await sequentialLatencies(15, -3);
    expect(median(after)).toBeLessThan(normalLatency * 3 + 50);
    const recoveredRate = await closedLoopRate(MAX_QUEUE, 1_000);
    expect(recoveredRate).toBeGreaterThan(normalRate * 0.5);
  }, 60_000);
});
