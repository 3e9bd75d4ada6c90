/**
 * `infer serve --processes N`: N server processes under `node:cluster`, sharing the ports.
 *
 * One process's event loop reads every request body, encodes every answer and moves every
 * batch to and from its worker threads; on a machine with many cores that thread becomes the
 * limit before the cores do (MobileNet on 12 cores: 2 processes served 1.19-1.24x one,
 * docs/benchmarks.md). The primary loads no model: it forks the processes, gives each
 * `floor(cores / N)` cores (`INFER_CORES`), passes signals on, replaces a process that dies,
 * and answers the processes' requests for the metrics of all of them (prom-client's
 * `AggregatorRegistry`), so a scrape of any one process reports the whole server.
 *
 * @internal
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import { availableCores, CORES_VARIABLE } from '../cores';
import type { PrometheusInferMetrics } from '../metrics/create-metrics';
import type { InferMetrics } from '../metrics/infer-metrics';
import { VERSION } from '../version';
import type { CliIO } from './output';

/** Set in each server process: its index, 0 to N - 1 (0 prints the banner). */
export const PROCESS_INDEX_VARIABLE = 'INFER_PROCESS_INDEX';
/** Unexpected exits within {@link CRASH_WINDOW_MS} after which the primary gives up. */
export const MAX_CRASHES = 5;
export const CRASH_WINDOW_MS = 60_000;
/** How long a process waits for the primary's metrics of all processes. */
const METRICS_TIMEOUT_MS = 10_000;
const METRICS_MESSAGE = 'infer:cluster-metrics';
/** A server process's word that it serves: models loaded, every port listening. */
const READY_MESSAGE = 'infer:cluster-ready';

interface MetricsRequest {
  type: typeof METRICS_MESSAGE;
  id: number;
}
interface MetricsAnswer extends MetricsRequest {
  text?: string;
  error?: string;
}

/**
 * The cores each of `processes` gets out of `cores`: `floor(cores / processes)`, at least 1.
 *
 * @example
 * coresPerProcess(16, 3); // 5
 */
export function coresPerProcess(cores: number, processes: number): number {
  return Math.max(1, Math.floor(cores / processes));
}

/** Whether this process is one of the server processes a primary started. */
export function isServerProcess(env: Record<string, string | undefined>): boolean {
  return cluster.isWorker && env[PROCESS_INDEX_VARIABLE] !== undefined;
}

/**
 * The primary: forks `processes` server processes running `infer serve ...args`, and
 * resolves with the exit code once they have all ended: 0 after SIGTERM/SIGINT drained
 * them, 1 when one could not start or they kept dying.
 */
export function runServerProcesses(
  processes: number,
  args: readonly string[],
  io: CliIO,
): Promise<number> {
  const cores = availableCores(io.env);
  const each = coresPerProcess(cores, processes);
  const out = (line: string) => io.stdout.write(`${line}\n`);
  const err = (line: string) => io.stderr.write(`infer: ${line}\n`);
  out(
    `infer ${VERSION}: ${processes} server processes sharing the ports (node:cluster), ${each} of ${cores} cores each`,
  );
  if (processes > cores) {
    err(`${processes} processes on ${cores} cores: each gets 1 core and they share them`);
  }

  cluster.setupPrimary({ exec: process.argv[1] ?? '', args: ['serve', ...args] });
  const aggregator = new AggregatorRegistry();
  const live = new Set<Worker>();
  const ready = new Set<Worker>();
  const crashes: number[] = [];
  let started = false;
  let stopping: NodeJS.Signals | undefined;
  let failed = false;

  const fork = (index: number) => {
    const worker = cluster.fork({
      ...io.env,
      [CORES_VARIABLE]: String(each),
      [PROCESS_INDEX_VARIABLE]: String(index),
    });
    live.add(worker);
    // A channel that broke as the process died: its 'exit' follows.
    worker.on('error', () => {});
    worker.on('message', (message: MetricsRequest | { type: typeof READY_MESSAGE }) => {
      if (message?.type === READY_MESSAGE) {
        ready.add(worker);
        if (!started && ready.size === processes) {
          started = true;
          out(`${processes} server processes ready`);
        }
        return;
      }
      if (message?.type !== METRICS_MESSAGE) return;
      const reply = (answer: Omit<MetricsAnswer, 'type' | 'id'>) => {
        if (worker.isConnected()) worker.send({ type: METRICS_MESSAGE, id: message.id, ...answer });
      };
      aggregator.clusterMetrics().then(
        (text) => reply({ text }),
        (error: unknown) => reply({ error: (error as Error).message }),
      );
    });
    worker.on('exit', (code, signal) => {
      live.delete(worker);
      ready.delete(worker);
      const clean = code === 0 && signal === null;
      if (stopping !== undefined) {
        if (!clean) failed = true;
      } else if (!started) {
        err(`a server process exited (${signal ?? code}) before it was ready; stopping`);
        stopAll('SIGTERM', true);
      } else {
        const now = performance.now();
        crashes.push(now);
        while (crashes.length > 0 && now - (crashes[0] ?? now) > CRASH_WINDOW_MS) crashes.shift();
        if (crashes.length >= MAX_CRASHES) {
          err(
            `${crashes.length} server processes died within ${CRASH_WINDOW_MS / 1000} s; stopping`,
          );
          stopAll('SIGTERM', true);
        } else {
          err(`server process ${worker.process.pid} exited (${signal ?? code}); starting another`);
          fork(index);
        }
      }
      if (live.size === 0) finish();
    });
  };

  let finish = () => {};
  const stopAll = (signal: NodeJS.Signals, failure = false) => {
    if (failure) failed = true;
    stopping ??= signal;
    for (const worker of live) worker.process.kill(signal);
  };
  const onSignal = (signal: NodeJS.Signals) => stopAll(signal);

  return new Promise<number>((resolve) => {
    finish = () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve(failed ? 1 : 0);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    for (let index = 0; index < processes; index += 1) fork(index);
  });
}

/** In a server process: tells the primary that it serves (models loaded, ports listening). */
export function reportServerProcessReady(): void {
  process.send?.({ type: READY_MESSAGE });
}

/**
 * In a server process: `metrics`, whose `render()` answers the metrics of all the server
 * processes (summed by prom-client's aggregators) instead of this one's.
 */
export function clusterMetrics(metrics: PrometheusInferMetrics): InferMetrics {
  // Answers the primary's requests for this process's metrics.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([metrics.registry]);
  let next = 0;
  const pending = new Map<number, (answer: MetricsAnswer) => void>();
  process.on('message', (message: MetricsAnswer) => {
    if (message?.type !== METRICS_MESSAGE) return;
    pending.get(message.id)?.(message);
  });
  const render = () =>
    new Promise<string>((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error('the primary did not answer with the metrics in time'));
      }, METRICS_TIMEOUT_MS);
      pending.set(id, (answer) => {
        clearTimeout(timer);
        pending.delete(id);
        if (answer.text !== undefined) resolve(answer.text);
        else reject(new Error(answer.error ?? 'no metrics'));
      });
      process.send?.({ type: METRICS_MESSAGE, id } satisfies MetricsRequest);
    });
  return Object.create(metrics, { render: { value: render } }) as InferMetrics;
}
