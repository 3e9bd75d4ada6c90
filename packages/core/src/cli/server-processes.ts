/**
 * `infer serve --processes N`: N server processes under `node:cluster`, sharing the ports.
 *
 * One process's event loop reads every request body, encodes every answer and moves every
 * batch to and from its worker threads; on a machine with many cores that thread becomes the
 * limit before the cores do (MobileNet on 12 cores: 2 processes served 1.19-1.24x one,
 * docs/benchmarks.md). The primary loads no model: it forks the processes, tells each it may
 * use `floor(cores / N)` cores (`INFER_CORES`, which sizes ONNX Runtime's default threads),
 * passes signals on, replaces a process that dies, and answers the processes' requests for
 * the metrics of all of them, so a scrape of any one process reports the whole server.
 *
 * @internal
 */
import cluster, { type Worker } from 'node:cluster';
import { constants } from 'node:os';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { availableCores, CORES_VARIABLE } from '../cores';
import type { PrometheusInferMetrics } from '../metrics/create-metrics';
import type { InferMetrics } from '../metrics/infer-metrics';
import { REPEATED_SIGNAL_MS } from '../serve';
import { VERSION } from '../version';
import type { CliIO } from './output';

/**
 * Set in each server process: its index, 0 to N - 1 for the first N and N, N + 1, ... for
 * replacements (0 prints the banner).
 */
export const PROCESS_INDEX_VARIABLE = 'INFER_PROCESS_INDEX';
/** Unexpected exits within {@link CRASH_WINDOW_MS} after which the primary gives up. */
export const MAX_CRASHES = 5;
export const CRASH_WINDOW_MS = 60_000;
/**
 * How long a scrape waits for each process's metrics; one that has not answered by then
 * counts with its last answer.
 */
export const SCRAPE_WAIT_MS = 1_000;
/** How long a process waits for the primary's metrics of all processes. */
const METRICS_TIMEOUT_MS = 10_000;
/** process -> primary: the metrics of all, please; primary -> process: here they are. */
const METRICS_MESSAGE = 'infer:cluster-metrics';
/** primary -> process: your metrics, please; process -> primary: here they are. */
const SNAPSHOT_MESSAGE = 'infer:cluster-snapshot';
/** A server process's word that it serves: models loaded (or failed), every port listening. */
const READY_MESSAGE = 'infer:cluster-ready';

type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;
/**
 * The kinds of metric a dead process leaves in the sums (prom-client's types say an enum; the
 * values are these strings).
 */
const CARRIED_TYPES = new Set(['counter', 'histogram']);

interface MetricsRequest {
  type: typeof METRICS_MESSAGE;
  id: number;
}
interface MetricsAnswer extends MetricsRequest {
  text?: string;
  error?: string;
}
interface SnapshotMessage {
  type: typeof SNAPSHOT_MESSAGE;
  id: number;
  metrics?: MetricsJson;
}
interface ReadyMessage {
  type: typeof READY_MESSAGE;
  /** The models that did not load, as `name` or `name@version`, sorted. */
  failed: string[];
}
type ServerProcessMessage = MetricsRequest | SnapshotMessage | ReadyMessage;

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
 * The primary's view of the processes' metrics: each live process's last answer, and the
 * counters and histograms of the processes that died (so sums never go down, which
 * Prometheus would read as a reset).
 */
export class ClusterMetrics {
  readonly #last = new Map<Worker, MetricsJson>();
  readonly #dead = new WeakSet<Worker>();
  #retired: MetricsJson[] = [];
  readonly #asks = new Map<number, (metrics: MetricsJson | undefined) => void>();
  #nextAsk = 0;

  /** A process's answer to {@link #ask}; one that came too late still counts from now on. */
  answer(worker: Worker, message: SnapshotMessage): void {
    const ask = this.#asks.get(message.id);
    if (ask !== undefined) ask(message.metrics);
    else if (message.metrics !== undefined && !this.#dead.has(worker)) {
      this.#last.set(worker, message.metrics);
    }
  }

  /** The metrics of all `live` processes, summed with those of the dead, as text. */
  async render(live: Iterable<Worker>): Promise<string> {
    const workers = [...live];
    const fresh = await Promise.all(workers.map((worker) => this.#ask(worker)));
    // A process that died meanwhile is in the retired sums already.
    const alive = workers.filter((worker) => !this.#dead.has(worker));
    workers.forEach((worker, index) => {
      const metrics = fresh[index];
      if (metrics !== undefined && !this.#dead.has(worker)) this.#last.set(worker, metrics);
    });
    if (this.#retired.length > 8) {
      this.#retired = [await AggregatorRegistry.aggregate(this.#retired).getMetricsAsJSON()];
    }
    const parts = alive.flatMap((worker) => this.#last.get(worker) ?? []);
    return AggregatorRegistry.aggregate([parts, ...this.#retired]).metrics();
  }

  /** A process ended: its counters and histograms, as last reported, stay in the sums. */
  retire(worker: Worker): void {
    this.#dead.add(worker);
    const last = this.#last.get(worker);
    this.#last.delete(worker);
    if (last === undefined) return;
    this.#retired.push(last.filter((m) => CARRIED_TYPES.has(String(m.type))));
  }

  #ask(worker: Worker): Promise<MetricsJson | undefined> {
    return new Promise((resolve) => {
      if (!worker.isConnected()) return resolve(undefined);
      const id = this.#nextAsk++;
      const timer = setTimeout(() => done(undefined), SCRAPE_WAIT_MS);
      const done = (metrics: MetricsJson | undefined) => {
        clearTimeout(timer);
        this.#asks.delete(id);
        resolve(metrics);
      };
      this.#asks.set(id, done);
      worker.send({ type: SNAPSHOT_MESSAGE, id } satisfies SnapshotMessage);
    });
  }
}

/**
 * The models that some of the processes failed to load and others did not, as
 * `name: failed in K of N processes`; empty when all failed the same ones.
 *
 * @example
 * unevenModels([['m'], []]); // ['m: failed in 1 of 2 processes']
 */
export function unevenModels(failedPerProcess: readonly (readonly string[])[]): string[] {
  const counts = new Map<string, number>();
  for (const failed of failedPerProcess) {
    for (const model of failed) counts.set(model, (counts.get(model) ?? 0) + 1);
  }
  const total = failedPerProcess.length;
  return [...counts]
    .filter(([, count]) => count < total)
    .map(([model, count]) => `${model}: failed in ${count} of ${total} processes`)
    .sort();
}

/**
 * The primary: forks `processes` server processes running `infer serve ...args`, and
 * resolves with the exit code once they have all ended: 0 after SIGTERM/SIGINT drained
 * them (128 + the signal's number when it came before they were all ready, as a single
 * process that a signal ends), 1 when one could not start, the first processes loaded
 * different models, or they kept dying. A replacement serves whatever it loaded.
 */
export function runServerProcesses(
  processes: number,
  args: readonly string[],
  io: CliIO,
  shutdownGraceMs: number,
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
  const metrics = new ClusterMetrics();
  const live = new Set<Worker>();
  const ready = new Set<Worker>();
  const crashes: number[] = [];
  let nextIndex = 0;
  let started = false;
  /** What the first processes failed to load, to compare: all must serve the same models. */
  const failedAtStart = new Map<Worker, readonly string[]>();
  let stopping: NodeJS.Signals | undefined;
  let signalledAt: number | undefined;
  let failed = false;

  const onReady = (worker: Worker, message: ReadyMessage) => {
    if (stopping !== undefined) return;
    ready.add(worker);
    if (started) {
      // A replacement serves whatever it loaded: stopping it would stop a working server.
      const expected = [...failedAtStart.values()][0] ?? [];
      if (message.failed.join() !== expected.join()) {
        err(
          `server process ${worker.process.pid} failed to load [${message.failed.join(', ')}] where the first processes failed to load [${expected.join(', ')}]; it serves what it loaded`,
        );
      }
      return;
    }
    failedAtStart.set(worker, message.failed);
    if (failedAtStart.size < processes) return;
    const uneven = unevenModels([...failedAtStart.values()]);
    if (uneven.length > 0) {
      err(`the server processes loaded different models (${uneven.join('; ')}); stopping`);
      stopAll('SIGTERM', true);
      return;
    }
    started = true;
    out(`${processes} server processes ready`);
  };

  const fork = () => {
    const worker = cluster.fork({
      ...io.env,
      [CORES_VARIABLE]: String(each),
      [PROCESS_INDEX_VARIABLE]: String(nextIndex++),
    });
    live.add(worker);
    // A channel that broke as the process died: its 'exit' follows.
    worker.on('error', () => {});
    worker.on('message', (message: ServerProcessMessage) => {
      if (message?.type === READY_MESSAGE) onReady(worker, message);
      else if (message?.type === SNAPSHOT_MESSAGE) metrics.answer(worker, message);
      else if (message?.type === METRICS_MESSAGE) {
        const reply = (answer: Omit<MetricsAnswer, 'type' | 'id'>) => {
          if (worker.isConnected()) {
            worker.send({ type: METRICS_MESSAGE, id: message.id, ...answer });
          }
        };
        metrics.render(ready).then(
          (text) => reply({ text }),
          (error: unknown) => reply({ error: (error as Error).message }),
        );
      }
    });
    worker.on('exit', (code, signal) => {
      const wasReady = ready.delete(worker);
      live.delete(worker);
      metrics.retire(worker);
      const clean = (code === 0 && signal === null) || (signal !== null && signal === stopping);
      if (stopping !== undefined) {
        if (!clean) failed = true;
      } else if (!started) {
        err(
          `a server process exited (${signal ?? code}) before all ${processes} were ready; stopping`,
        );
        stopAll('SIGTERM', true);
      } else if (wasReady && code === 0 && signal === null) {
        // It drained and ended (told to, e.g. a SIGTERM of its own): not a death.
        err(`server process ${worker.process.pid} ended (0); starting another`);
        fork();
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
          fork();
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
  const onSignal = (signal: NodeJS.Signals) => {
    const now = performance.now();
    if (signalledAt === undefined) {
      signalledAt = now;
      out(
        `${signal}: draining ${live.size} server processes (readiness is false; in-flight requests finish, up to ${shutdownGraceMs} ms)`,
      );
    } else if (now - signalledAt >= REPEATED_SIGNAL_MS) {
      // The processes take it as such too (a repeat within REPEATED_SIGNAL_MS is one signal).
      out(`${signal} again: closing connections now`);
    }
    stopAll(signal);
  };

  return new Promise<number>((resolve) => {
    finish = () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      if (failed) resolve(1);
      else if (!started && stopping !== undefined) resolve(128 + constants.signals[stopping]);
      else {
        out('drained; bye');
        resolve(0);
      }
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    for (let index = 0; index < processes; index += 1) fork();
  });
}

/**
 * In a server process: tells the primary that it serves (its ports listening), with the
 * models that failed to load (`name` or `name@version`).
 */
export function reportServerProcessReady(failed: readonly string[]): void {
  process.send?.({ type: READY_MESSAGE, failed: [...failed].sort() } satisfies ReadyMessage);
}

/**
 * In a server process: `metrics`, whose `render()` answers the metrics of all the server
 * processes (summed by prom-client's aggregators, through the primary) instead of this
 * one's; and the answers to the primary's requests for this process's own.
 */
export function clusterMetrics(metrics: PrometheusInferMetrics): InferMetrics {
  let next = 0;
  const pending = new Map<number, (answer: MetricsAnswer) => void>();
  process.on('message', (message: MetricsAnswer | SnapshotMessage) => {
    if (message?.type === SNAPSHOT_MESSAGE) {
      const { id } = message;
      metrics.registry.getMetricsAsJSON().then(
        (own) => process.send?.({ type: SNAPSHOT_MESSAGE, id, metrics: own }),
        () => process.send?.({ type: SNAPSHOT_MESSAGE, id }),
      );
    } else if (message?.type === METRICS_MESSAGE) {
      pending.get(message.id)?.(message);
    }
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
