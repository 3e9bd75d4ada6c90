/**
 * The hooks the service, the batcher and the worker pool call to report what they do.
 * `createMetrics()` implements them on prom-client; any object with these methods works
 * (e.g. to forward to OpenTelemetry).
 */

/** One finished HTTP (or in-process) request. */
export interface RequestObservation {
  /** Model name; empty or absent for server routes such as `/v2/health/ready`. */
  model?: string | undefined;
  /** Model version; empty or absent when the request named none. */
  version?: string | undefined;
  /** Route template, e.g. `infer`, `model_metadata`, `health_ready`. */
  route: string;
  /** HTTP status sent (499 when the client went away). */
  status: number;
  /** Time from receipt to the last byte handed to the transport, in milliseconds. */
  durationMs: number;
}

/** One batch run by a model. */
export interface BatchObservation {
  model: string;
  /** Model version; empty or absent for a model without one. */
  version?: string | undefined;
  /** Rows (dim 0) in the batch. */
  size: number;
  /** How long the oldest request of the batch waited in the queue, in milliseconds. */
  queueWaitMs: number;
  /** How long `predict()` (or the worker) took for the batch, in milliseconds. */
  runMs: number;
}

/**
 * Metric hooks plus the Prometheus rendering the `/metrics` route serves.
 *
 * @example
 * const metrics: InferMetrics = createMetrics();
 * metrics.observeRequest({ model: 'm', route: 'infer', status: 200, durationMs: 3 });
 */
export interface InferMetrics {
  observeRequest(observation: RequestObservation): void;
  observeBatch(observation: BatchObservation): void;
  /** Requests waiting in a model (version)'s queue. */
  setQueueLength(model: string, length: number, version?: string): void;
  /** Worker threads serving a model (version). */
  setWorkers(model: string, workers: number, version?: string): void;
  /** A worker thread of a model (version) was replaced after it died. */
  incWorkerRestarts(model: string, version?: string): void;
  /** A model (version) load (or reload) that took `durationMs` and succeeded or not. */
  observeModelLoad(model: string, durationMs: number, ok: boolean, version?: string): void;
  /** The `Content-Type` of `render()`'s text. */
  readonly contentType: string;
  /** The Prometheus text exposition of every metric in the registry. */
  render(): Promise<string>;
}
