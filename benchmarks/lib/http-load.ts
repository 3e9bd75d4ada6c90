/**
 * The load generator of the end-to-end benchmarks: autocannon's programmatic API, run in
 * the benchmark's own process (the servers run in child processes), fixed connections and
 * duration, a warm-up first whose answers are not counted.
 *
 * Latencies come from autocannon's `response` event (float ms from `process.hrtime`), not
 * from its histogram, which stores whole milliseconds.
 */
import { createRequire } from 'node:module';
import { percentile, round } from './latency';

/** One autocannon run: what to send, how hard, how long. */
export interface LoadOptions {
  url: string;
  body: Uint8Array | string;
  headers: Record<string, string>;
  connections: number;
  /** Measured seconds. */
  durationS: number;
  /** Seconds of load before the measured window, not counted. Default `1`. */
  warmupS?: number;
  /** Per-request timeout in seconds. Default `30`. */
  timeoutS?: number;
}

/** Figures of one measured run. */
export interface LoadResult {
  connections: number;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  mean: number;
  non2xx: number;
  errors: number;
  durationS: number;
}

interface AutocannonInstance {
  on(
    event: 'response',
    listener: (client: unknown, status: number, bytes: number, ms: number) => void,
  ): void;
}
interface AutocannonResult {
  duration: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (
  options: Record<string, unknown>,
  done: (error: Error | null, result: AutocannonResult) => void,
) => AutocannonInstance;

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

function run(options: LoadOptions): Promise<LoadResult> {
  const warmupS = options.warmupS ?? 1;
  const totalS = warmupS + options.durationS;
  return new Promise((resolve, reject) => {
    // Completion time and latency of every 2xx answer; the window is cut afterwards.
    const done: number[] = [];
    const latencies: number[] = [];
    let non2xx = 0;
    const started = performance.now();
    const instance = autocannon(
      {
        url: options.url,
        method: 'POST',
        headers: options.headers,
        body: typeof options.body === 'string' ? options.body : Buffer.from(options.body),
        connections: options.connections,
        duration: totalS,
        timeout: options.timeoutS ?? 30,
      },
      (error, result) => {
        if (error) {
          reject(error);
          return;
        }
        const from = started + warmupS * 1000;
        const to = Math.min(performance.now(), started + totalS * 1000);
        const window: number[] = [];
        for (let index = 0; index < done.length; index++) {
          if (done[index]! >= from && done[index]! <= to) window.push(latencies[index]!);
        }
        const seconds = (to - from) / 1000;
        let sum = 0;
        for (const ms of window) sum += ms;
        resolve({
          connections: options.connections,
          requests: window.length,
          rps: round(window.length / seconds, 1),
          p50: round(percentile(window, 50), 2),
          p99: round(percentile(window, 99), 2),
          mean: round(sum / Math.max(1, window.length), 2),
          non2xx,
          errors: result.errors + result.timeouts,
          durationS: round(seconds, 2),
        });
      },
    );
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status >= 200 && status < 300) {
        done.push(performance.now());
        latencies.push(ms);
      } else {
        non2xx += 1;
      }
    });
  });
}

/**
 * One continuous autocannon run of `warmupS + durationS` seconds; only answers completed
 * in the last `durationS` seconds count (one run, so no request of the warm-up is left
 * queued in the server when the measured window starts).
 *
 * @example
 * const row = await measureLoad({ url, body, headers, connections: 32, durationS: 5 });
 * console.log(row.rps, row.p50, row.p99);
 */
export function measureLoad(options: LoadOptions): Promise<LoadResult> {
  return run(options);
}

/**
 * Sends exactly `amount` requests over `connections` connections as fast as the server
 * answers (a soak); resolves with the 2xx count, non-2xx and errors.
 *
 * @example
 * await sendRequests({ url, body, headers, connections: 32 }, 100_000);
 */
export function sendRequests(
  options: Pick<LoadOptions, 'url' | 'body' | 'headers' | 'connections'>,
  amount: number,
): Promise<{ ok: number; non2xx: number; errors: number; seconds: number }> {
  return new Promise((resolve, reject) => {
    let ok = 0;
    let non2xx = 0;
    const started = performance.now();
    const instance = autocannon(
      {
        url: options.url,
        method: 'POST',
        headers: options.headers,
        body: typeof options.body === 'string' ? options.body : Buffer.from(options.body),
        connections: options.connections,
        amount,
        timeout: 30,
      },
      (error, result) => {
        if (error) reject(error);
        else
          resolve({
            ok,
            non2xx,
            errors: result.errors + result.timeouts,
            seconds: (performance.now() - started) / 1000,
          });
      },
    );
    instance.on('response', (_client, status) => {
      if (status >= 200 && status < 300) ok += 1;
      else non2xx += 1;
    });
  });
}
