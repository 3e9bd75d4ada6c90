import type { Datatype, InferenceRequest, Parameters, Tensor } from '@infer/codecs';

/** Metadata of one input or output tensor; `-1` in `shape` marks a dynamic dimension. */
export interface TensorMetadata {
  name: string;
  datatype: Datatype;
  shape: number[];
  parameters?: Parameters;
}

/** What `GET /v2/models/{name}` returns (OIP `$metadata_model_response`). */
export interface ModelMetadataV1 {
  name: string;
  versions?: string[];
  platform: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
  parameters?: Parameters;
}

/** Options of one `predict()` call. */
export interface PredictOptions {
  /** Aborts the call: queued work is dropped, a running batch's result is discarded. */
  signal?: AbortSignal;
}

/**
 * What a model returns from `predict()`; the service adds model name, version and id. The
 * outputs are handed over: the server may send their memory as it is (a binary HTTP answer
 * is written to the socket from the tensors' own buffers, and a worker thread transfers
 * them), so a model must not change or reuse an output's buffer after returning it.
 */
export interface PredictResult {
  outputs: Tensor[];
  parameters?: Parameters;
}

/**
 * Serving knobs a model (or its settings) carries; core's `ServedModel` applies them.
 * Every field is optional; defaults live in core's `DEFAULT_SERVING_OPTIONS`.
 */
export interface ServingOptionsV1 {
  /** Batching: `false` turns it off; `maxBatchSize: 'auto'` (default) tunes the size online. */
  batching?:
    | undefined
    | false
    | {
        /** Largest batch in rows (dim 0), or `'auto'`. Default `'auto'`. */
        maxBatchSize?: number | 'auto' | undefined;
        /** Longest wait, in ms, to fill a batch when a runner is free. Default `0`. */
        maxBatchDelayMs?: number | undefined;
      };
  /** Largest number of queued requests before 503. Default `1024`. */
  maxQueueSize?: number | undefined;
  /** Per-request timeout in ms, queue wait included. Default `30000`. */
  timeoutMs?: number | undefined;
  /**
   * Replicas in worker threads; `0` runs in-process. Default `0`; a runtime's model may set
   * its own (an `OnnxModel` from a path, a `TfjsModel` on wasm or cpu: `1`, so inference
   * does not block the event loop).
   */
  workers?: number | undefined;
  /** Run one predict on zeros (or the given request) after load. Default `false`. */
  warmup?: boolean | InferenceRequest | undefined;
}

/**
 * How to rebuild a model inside a worker thread: a module (absolute path or package name
 * resolvable from `resolveFrom`) whose export `export` (default `'default'`) is a
 * `RuntimePluginV1`, and structured-cloneable settings for its `create()`.
 */
export interface WorkerSourceV1 {
  module: string;
  export?: string;
  settings: unknown;
  /** Directory module names resolve from. Default: `process.cwd()`. */
  resolveFrom?: string;
}

/**
 * What core tells {@link ModelV1.workerSource} about the pool it builds: a runtime that sizes
 * per-thread resources (ONNX Runtime's intra-op threads) splits the cores by `workers`, which
 * `loadModel()` or `repository.add()` options may have set after the model was made. A
 * model that wraps another (a pipeline) passes it on: `inner.workerSource(context)`.
 *
 * @example
 * model.workerSource?.({ workers: 4 }); // each of 4 workers gets cores / 4 intra-op threads
 */
export interface WorkerSourceContextV1 {
  /** Worker threads the pool runs for this model (>= 1). */
  workers: number;
}

/**
 * The model contract, version 1. Runtimes (ONNX, TF.js, third-party plugins) and user
 * models implement it; core adds batching, workers, metrics and HTTP around it.
 *
 * @example
 * const model: ModelV1 = defineModel({ name: 'echo', inputs: [...], outputs: [...], predict: (r) => ({ outputs: r.inputs }) });
 */
export interface ModelV1 {
  readonly specificationVersion: 'v1';
  readonly name: string;
  readonly version?: string | undefined;
  /** True between a successful `load()` and `unload()`. */
  readonly ready: boolean;
  load(): Promise<void>;
  unload(): Promise<void>;
  /** Valid once loaded (a runtime reads it from the model file). */
  metadata(): ModelMetadataV1;
  predict(request: InferenceRequest, options?: PredictOptions): Promise<PredictResult>;
  /**
   * Whether dim 0 of every input and output is a batch dim that may be concatenated.
   * Undefined: core infers it from metadata (every input and output has rank >= 1 and
   * `shape[0] === -1`).
   */
  readonly batchable?: boolean | undefined;
  /** Serving knobs chosen by the model's author or settings. */
  readonly serving?: ServingOptionsV1 | undefined;
  /**
   * How to rebuild this model in a worker thread; without it `workers > 0` is refused. Core
   * passes the pool's size; a caller of its own may leave it out (the model's own setting).
   */
  workerSource?(context?: WorkerSourceContextV1): WorkerSourceV1;
}
