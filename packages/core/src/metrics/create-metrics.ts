import {
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  type Metric,
  Registry,
} from 'prom-client';
import type { BatchObservation, InferMetrics, RequestObservation } from './infer-metrics';

/** Options of `createMetrics()`. */
export interface CreateMetricsOptions {
  /**
   * The prom-client registry to register into, e.g. your app's own so one `/metrics`
   * shows both. Default: a new `Registry`.
   */
  registry?: Registry;
  /** Prefix of every metric name. Default `'infer_'`. */
  prefix?: string;
  /** Also collect prom-client's process metrics (CPU, heap, event loop). Default `false`. */
  defaultMetrics?: boolean;
  /** Buckets of the request latency histogram, in seconds. Default `DEFAULT_LATENCY_BUCKETS`. */
  latencyBuckets?: number[];
  /** Buckets of the batch size histogram, in rows. Default `DEFAULT_BATCH_SIZE_BUCKETS`. */
  batchSizeBuckets?: number[];
}

/**
 * Latency buckets in seconds: 1 ms to 60 s (past the default 30 s timeout, so the requests
 * that wait until it are not all in `+Inf` alone).
 */
export const DEFAULT_LATENCY_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60,
];

/** Batch size buckets in rows: powers of two up to 512. */
export const DEFAULT_BATCH_SIZE_BUCKETS: readonly number[] = [
  1, 2, 4, 8, 16, 32, 64, 128, 256, 512,
];

/** Model load time buckets in seconds: 10 ms to 5 min. */
const LOAD_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** The prom-client metrics behind `InferMetrics`, for users who want to read them directly. */
export interface PrometheusInferMetrics extends InferMetrics {
  /** The registry the metrics live in (the one passed in, or a new one). */
  readonly registry: Registry;
}

/**
 * Creates the Prometheus metrics of an inference server on prom-client: requests and their
 * latency per model/version/route/status, queue length, batch size, queue wait, batch run
 * time, workers and their restarts, model load time.
 *
 * Calling it twice with the same registry and prefix reuses the metrics already there.
 *
 * @example
 * const metrics = createMetrics({ registry: myRegistry });
 * const service = new InferenceService({ repository, metrics });
 * // GET /metrics -> await metrics.render()
 */
export function createMetrics(options: CreateMetricsOptions = {}): PrometheusInferMetrics {
  const prefix = options.prefix ?? 'infer_';
  if (typeof prefix !== 'string' || (prefix !== '' && !METRIC_NAME.test(prefix))) {
    throw new TypeError(
      `options.prefix must match ${METRIC_NAME} (letters, digits, '_' and ':'), got ${JSON.stringify(prefix)}`,
    );
  }
  const registry = options.registry ?? new Registry();
  if (
    typeof registry !== 'object' ||
    registry === null ||
    typeof (registry as Registry).registerMetric !== 'function' ||
    typeof (registry as Registry).metrics !== 'function'
  ) {
    throw new TypeError('options.registry must be a prom-client Registry');
  }
  const latencyBuckets = checkBuckets(
    options.latencyBuckets ?? DEFAULT_LATENCY_BUCKETS,
    'latencyBuckets',
  );
  const batchSizeBuckets = checkBuckets(
    options.batchSizeBuckets ?? DEFAULT_BATCH_SIZE_BUCKETS,
    'batchSizeBuckets',
  );

  const registers = [registry];
  const reuse = <M extends Metric<string>>(name: string, create: () => M): M =>
    (registry.getSingleMetric(name) as M | undefined) ?? create();

  const requests = reuse(
    `${prefix}requests_total`,
    () =>
      new Counter({
        name: `${prefix}requests_total`,
        help: 'Requests handled, by model, version, route and HTTP status.',
        labelNames: ['model', 'version', 'route', 'status'],
        registers,
      }),
  );
  const requestDuration = reuse(
    `${prefix}request_duration_seconds`,
    () =>
      new Histogram({
        name: `${prefix}request_duration_seconds`,
        help: 'Request latency in seconds, by model, version, route and HTTP status.',
        labelNames: ['model', 'version', 'route', 'status'],
        buckets: latencyBuckets,
        registers,
      }),
  );
  const queueLength = reuse(
    `${prefix}queue_length`,
    () =>
      new Gauge({
        name: `${prefix}queue_length`,
        help: 'Requests waiting in a model batcher queue.',
        labelNames: ['model', 'version'],
        registers,
      }),
  );
  const batchSize = reuse(
    `${prefix}batch_size`,
    () =>
      new Histogram({
        name: `${prefix}batch_size`,
        help: 'Rows per batch run by a model.',
        labelNames: ['model', 'version'],
        buckets: batchSizeBuckets,
        registers,
      }),
  );
  const queueWait = reuse(
    `${prefix}queue_wait_seconds`,
    () =>
      new Histogram({
        name: `${prefix}queue_wait_seconds`,
        help: 'Time the oldest request of a batch waited in the queue, in seconds.',
        labelNames: ['model', 'version'],
        buckets: latencyBuckets,
        registers,
      }),
  );
  const batchRun = reuse(
    `${prefix}batch_run_seconds`,
    () =>
      new Histogram({
        name: `${prefix}batch_run_seconds`,
        help: 'Time a model took to run one batch, in seconds.',
        labelNames: ['model', 'version'],
        buckets: latencyBuckets,
        registers,
      }),
  );
  const workers = reuse(
    `${prefix}workers`,
    () =>
      new Gauge({
        name: `${prefix}workers`,
        help: 'Worker threads serving a model.',
        labelNames: ['model', 'version'],
        registers,
      }),
  );
  const workerRestarts = reuse(
    `${prefix}worker_restarts_total`,
    () =>
      new Counter({
        name: `${prefix}worker_restarts_total`,
        help: 'Worker threads of a model restarted after a crash.',
        labelNames: ['model', 'version'],
        registers,
      }),
  );
  const modelLoad = reuse(
    `${prefix}model_load_seconds`,
    () =>
      new Histogram({
        name: `${prefix}model_load_seconds`,
        help: 'Time to load a model, in seconds, by model and result (ok or error).',
        labelNames: ['model', 'version', 'result'],
        buckets: LOAD_BUCKETS,
        registers,
      }),
  );

  if (
    options.defaultMetrics === true &&
    registry.getSingleMetric(`${prefix}process_cpu_seconds_total`) === undefined
  ) {
    collectDefaultMetrics({ register: registry, prefix });
  }

  return {
    registry,
    get contentType() {
      return registry.contentType;
    },
    render: () => registry.metrics(),
    observeRequest(observation: RequestObservation) {
      const labels = {
        model: observation.model ?? '',
        version: observation.version ?? '',
        route: observation.route,
        status: String(observation.status),
      };
      requests.inc(labels);
      requestDuration.observe(labels, seconds(observation.durationMs));
    },
    observeBatch(observation: BatchObservation) {
      const labels = { model: observation.model, version: observation.version ?? '' };
      batchSize.observe(labels, observation.size);
      queueWait.observe(labels, seconds(observation.queueWaitMs));
      batchRun.observe(labels, seconds(observation.runMs));
    },
    setQueueLength(model: string, length: number, version?: string) {
      queueLength.set({ model, version: version ?? '' }, length);
    },
    setWorkers(model: string, count: number, version?: string) {
      workers.set({ model, version: version ?? '' }, count);
    },
    incWorkerRestarts(model: string, version?: string) {
      workerRestarts.inc({ model, version: version ?? '' });
    },
    observeModelLoad(model: string, durationMs: number, ok: boolean, version?: string) {
      const labels = { model, version: version ?? '', result: ok ? 'ok' : 'error' };
      modelLoad.observe(labels, seconds(durationMs));
    },
  };
}

function seconds(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? ms / 1000 : 0;
}

function checkBuckets(buckets: readonly number[], name: string): number[] {
  if (
    !Array.isArray(buckets) ||
    buckets.length === 0 ||
    buckets.some((b, i) => !Number.isFinite(b) || b <= 0 || (i > 0 && b <= (buckets[i - 1] ?? 0)))
  ) {
    throw new TypeError(`options.${name} must be a non-empty increasing list of positive numbers`);
  }
  return [...buckets];
}
