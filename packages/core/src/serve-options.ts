import type { CompressionOptions } from './adapters/content-coding';
import type { GrpcTransport } from './grpc/grpc-server-options';
import type { RepositoryLoader } from './inference-service';
import type { Logger } from './logger';
import type { InferMetrics } from './metrics/infer-metrics';
import type { ModelRepository } from './model-repository';
import type { ServerSettingsInput } from './settings';
import type { ModelV1 } from './spec';

/** Where {@link serve} also serves OIP over gRPC (`options.grpc`). */
export interface ServeGrpcEndpoint {
  /** gRPC port; `0` picks a free one. Default `settings.grpc.port` (`8081`). */
  port?: number;
  /** Interface to listen on. Default: the REST `host`. */
  host?: string;
  /** Largest gRPC message received or sent, in bytes. Default `67108864` (64 MiB). */
  maxMessageBytes?: number;
  /**
   * The HTTP/2 server under gRPC: `'h2c'` (@infer's own) or `'grpc-js'` (Node's `http2`).
   * Default `settings.grpc.transport` (`'h2c'`). See `ServeGrpcOptions.transport`.
   */
  transport?: GrpcTransport;
  /**
   * Keepalive PINGs on silent connections: `{ timeMs, timeoutMs }`. Default
   * `settings.grpc.keepaliveTimeMs` / `keepaliveTimeoutMs` (2 h, 20 s). See
   * `ServeGrpcOptions.keepalive`.
   */
  keepalive?: { timeMs?: number; timeoutMs?: number };
  /**
   * h2c only: answer bytes that may wait for one connection's flow-control windows before
   * new calls on it are refused. Default `settings.grpc.maxQueuedBytes` (64 MiB). See
   * `ServeGrpcOptions.maxQueuedBytes`.
   */
  maxQueuedBytes?: number;
  /**
   * h2c only: closes a connection whose client took under 16 KiB of waiting answers in this
   * many ms; `0`: never. Default `settings.grpc.sendStallMs` (60 s). See
   * `ServeGrpcOptions.sendStallMs`.
   */
  sendStallMs?: number;
}

/**
 * Options of {@link serve}. An interface (not a closed type) so settings-driven callers
 * (the CLI, file-based settings) can extend it.
 */
export interface ServeOptions {
  /** Models to register and load (any `ModelV1`: `defineModel`, a runtime's model). Default `[]`. */
  models?: readonly ModelV1[];
  /** Serve this repository instead of a new one; `models` are added to it. Default: a new one. */
  repository?: ModelRepository;
  /**
   * Programmatic server settings, the same object `settings.json` holds (`host`, `port`,
   * `bodyLimit`, `shutdownGraceMs`, `repositoryApi`, ...); explicit options below win.
   * Default `{}`.
   */
  settings?: ServerSettingsInput;
  /** TCP port; `0` picks a free one. Default `8080`. */
  port?: number;
  /** Interface to listen on. Default `'127.0.0.1'` (loopback only; `'0.0.0.0'` for containers). */
  host?: string;
  /** Mount path of the routes, e.g. `'/ml'`. Default `''`. */
  prefix?: string;
  /** Largest request body in bytes; larger ones get 413 at once. Default `67108864` (64 MiB). */
  maxBodySize?: number;
  /**
   * Read bodies of 64 KiB and more into buffers reused from request to request, when a worker
   * pool serves them (see `reuseBodyBuffers` of the adapters). Default `true`.
   */
  reuseBodyBuffers?: boolean;
  /**
   * Compress answers of at least `threshold` bytes (default 1024) with gzip or deflate for
   * clients that send `Accept-Encoding`. Tensors compress poorly and cost CPU on both sides:
   * worth it for large JSON answers over slow links. Request bodies in gzip or deflate are
   * decoded either way. Default: `settings.compression` (off).
   */
  compression?: boolean | CompressionOptions;
  /**
   * How long `close()` waits for in-flight requests before cutting connections, in ms; models
   * then get what is left of it (at least 250 ms) to unload, and `close()` resolves even if
   * an in-process model that ignores its abort signal is still running. Default `10000`.
   */
  shutdownGraceMs?: number;
  /**
   * Install SIGTERM and SIGINT handlers that `close()` gracefully, then re-raise the signal
   * for its default action (exit) unless something else listens for it (the app's own
   * listeners ran already and decide). Default `false`.
   */
  handleSignals?: boolean;
  /**
   * Also serve OIP over gRPC on the same service, repository and batchers (needs the
   * optional packages `@grpc/grpc-js` and `@grpc/proto-loader`; `@grpc/reflection` and
   * `grpc-health-check` add reflection and health): `true` or `{ port, host }`; `false` off.
   * Default: `settings.grpc.enabled` (off).
   */
  grpc?: boolean | ServeGrpcEndpoint;
  /** pino-compatible logger for the server and service. Default: silent. */
  logger?: Logger;
  /**
   * Metrics (`createMetrics()`): request observations and `GET /metrics` on the main port,
   * or, with `settings.metrics.port`, `GET settings.metrics.path` on that port only (the
   * main port then answers `/metrics` 404). Default: none.
   */
  metrics?: InferMetrics;
  /**
   * Finds models the repository API is asked to load that are not registered (see
   * `createModelDirectoryLoader()`); only used when `settings.repositoryApi.enabled`.
   * Default: only registered models load.
   */
  repositoryLoader?: RepositoryLoader;
}
