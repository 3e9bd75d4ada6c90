import type * as GrpcJs from '@grpc/grpc-js';
import { InvalidOptionError } from '../errors';
import { assertLogger, type Logger, silentLogger } from '../logger';
import { MAX_TIMER_MS } from './max-timer';

/** Options of {@link createGrpcServer}. */
export interface GrpcServerOptions {
  /**
   * Largest message received or sent, in bytes. Default `67108864` (64 MiB, as the REST body
   * limit): a batch of 8 224x224x3 FP32 images is 4.6 MiB raw. grpc-js's own default is 4 MiB.
   */
  maxMessageBytes?: number | undefined;
  /** Serve `grpc.health.v1.Health` (needs `grpc-health-check`). Default `true` when installed. */
  health?: boolean | undefined;
  /** Serve gRPC server reflection (needs `@grpc/reflection`). Default `true` when installed. */
  reflection?: boolean | undefined;
  /** pino-compatible logger (what was left out for a missing package). Default: silent. */
  logger?: Logger | undefined;
  /**
   * HTTP/2 flow-control window of each call and of each connection, in bytes: how much a
   * client may send before the server acknowledges it. Default `8388608` (8 MiB: a 1 MiB
   * tensor goes in one flight instead of ~16 round trips of 64 KiB, HTTP/2's default); `0`
   * keeps grpc-js's default. {@link createGrpcServer} sets the call window only; the
   * connection window needs {@link serveGrpc} (it is set on each accepted connection).
   */
  flowControlWindowBytes?: number | undefined;
  /**
   * Keepalive PINGs, which find connections whose peer vanished without closing them:
   * `timeMs`, how long a connection may stay silent before the server sends a PING (default
   * `7200000`, 2 h, gRPC's default for servers; grpc-js alone leaves it off); `timeoutMs`,
   * how long the PING may go unanswered before the connection is closed (default `20000`).
   * On the h2c transport the silence is counted from the last bytes received; on grpc-js
   * these are its `grpc.keepalive_time_ms` and `grpc.keepalive_timeout_ms` (a PING every
   * `timeMs`), which `serverOptions` may set too. `timeMs: 2147483647` turns it off on both.
   */
  keepalive?: { timeMs?: number | undefined; timeoutMs?: number | undefined } | undefined;
  /** Extra grpc-js server (channel) options. Default `{}`. */
  serverOptions?: GrpcJs.ServerOptions | undefined;
}

/** Options of {@link serveGrpc}: the server's, plus where to listen and how to stop. */
export interface ServeGrpcOptions extends GrpcServerOptions {
  /** TCP port; `0` picks a free one. Default `8081` (KServe's and MLServer's gRPC port). */
  port?: number | undefined;
  /** Interface to listen on. Default `'127.0.0.1'` (`'0.0.0.0'` in containers). */
  host?: string | undefined;
  /** How long `close()` waits for in-flight calls before cutting them, in ms. Default `10000`. */
  shutdownGraceMs?: number | undefined;
  /** TLS credentials. Default: insecure (h2c, what KServe's `ServingRuntime` expects). */
  credentials?: GrpcJs.ServerCredentials | undefined;
  /**
   * Which HTTP/2 server carries the calls. `'h2c'`: @infer's own plaintext HTTP/2 server on
   * `node:net` (2-3x less server CPU per small call than Node's `http2` module; see "gRPC" in
   * docs/benchmarks.md). `'grpc-js'`: a grpc-js `Server` on Node's `http2`, needed for TLS
   * `credentials` and for grpc-js `serverOptions`. Default: `'grpc-js'` when `credentials` or
   * `serverOptions` are given, else `'h2c'`. Both serve the same services and handlers.
   */
  transport?: GrpcTransport | undefined;
  /**
   * h2c only: answer bytes that may wait for one connection's HTTP/2 flow-control windows (a
   * client that reads slowly, or keeps its windows shut); while more wait, new calls on that
   * connection are refused with REFUSED_STREAM, which clients retry. Default `67108864`
   * (64 MiB).
   */
  maxQueuedBytes?: number | undefined;
  /**
   * h2c only: a connection with answers waiting to go out whose client took less than 16 KiB
   * of them in this many ms is closed (it stopped reading or kept its windows shut; nginx's
   * `send_timeout`). Raise it for clients on slow links that read large answers; `0`: never.
   * Default `60000`.
   */
  sendStallMs?: number | undefined;
}

/** The HTTP/2 server under {@link serveGrpc}: @infer's h2c server or grpc-js's. */
export type GrpcTransport = 'h2c' | 'grpc-js';

/**
 * Defaults of the gRPC options.
 *
 * @example
 * DEFAULT_GRPC_OPTIONS.port; // 8081
 */
export const DEFAULT_GRPC_OPTIONS = Object.freeze({
  maxMessageBytes: 64 * 1024 * 1024,
  flowControlWindowBytes: 8 * 1024 * 1024,
  port: 8081,
  host: '127.0.0.1',
  shutdownGraceMs: 10_000,
  keepaliveTimeMs: 2 * 60 * 60 * 1000,
  keepaliveTimeoutMs: 20_000,
  maxQueuedBytes: 64 * 1024 * 1024,
  sendStallMs: 60_000,
});

/** @internal Checked {@link GrpcServerOptions} with defaults. */
export interface ResolvedGrpcServerOptions {
  maxMessageBytes: number;
  flowControlWindowBytes: number;
  health: boolean | undefined;
  reflection: boolean | undefined;
  logger: Logger;
  keepalive: { timeMs: number; timeoutMs: number };
  serverOptions: GrpcJs.ServerOptions;
}

function checkBoolean(value: unknown, path: string): void {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new InvalidOptionError(path, 'must be a boolean');
  }
}

/**
 * Validates server options; `path` prefixes the names in messages.
 *
 * @internal
 */
export function resolveGrpcServerOptions(
  options: GrpcServerOptions,
  path = 'options',
): ResolvedGrpcServerOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError(path, 'must be an object');
  }
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_GRPC_OPTIONS.maxMessageBytes;
  if (!Number.isSafeInteger(maxMessageBytes) || maxMessageBytes <= 0) {
    throw new InvalidOptionError(`${path}.maxMessageBytes`, 'must be a positive integer (bytes)');
  }
  const flowControlWindowBytes =
    options.flowControlWindowBytes ?? DEFAULT_GRPC_OPTIONS.flowControlWindowBytes;
  if (
    !Number.isSafeInteger(flowControlWindowBytes) ||
    flowControlWindowBytes < 0 ||
    flowControlWindowBytes > 2 ** 31 - 1
  ) {
    throw new InvalidOptionError(
      `${path}.flowControlWindowBytes`,
      'must be an integer from 0 to 2147483647 (bytes; 0 keeps the HTTP/2 default)',
    );
  }
  checkBoolean(options.health, `${path}.health`);
  checkBoolean(options.reflection, `${path}.reflection`);
  if (options.logger !== undefined) assertLogger(options.logger, `${path}.logger`);
  const serverOptions = options.serverOptions ?? {};
  if (typeof serverOptions !== 'object' || serverOptions === null) {
    throw new InvalidOptionError(`${path}.serverOptions`, 'must be an object');
  }
  return {
    maxMessageBytes,
    flowControlWindowBytes,
    health: options.health,
    reflection: options.reflection,
    logger: options.logger ?? silentLogger,
    keepalive: resolveKeepalive(options.keepalive, `${path}.keepalive`),
    serverOptions,
  };
}

function resolveKeepalive(
  keepalive: GrpcServerOptions['keepalive'],
  path: string,
): { timeMs: number; timeoutMs: number } {
  if (keepalive !== undefined && (typeof keepalive !== 'object' || keepalive === null)) {
    throw new InvalidOptionError(path, 'must be an object ({ timeMs, timeoutMs })');
  }
  const resolved = {
    timeMs: keepalive?.timeMs ?? DEFAULT_GRPC_OPTIONS.keepaliveTimeMs,
    timeoutMs: keepalive?.timeoutMs ?? DEFAULT_GRPC_OPTIONS.keepaliveTimeoutMs,
  };
  for (const key of ['timeMs', 'timeoutMs'] as const) {
    const value = resolved[key];
    if (!Number.isSafeInteger(value) || value < 1 || value > MAX_TIMER_MS) {
      throw new InvalidOptionError(
        `${path}.${key}`,
        `must be an integer from 1 to ${MAX_TIMER_MS} (ms)`,
      );
    }
  }
  return resolved;
}

/** @internal Checked {@link ServeGrpcOptions} with defaults. */
export interface ResolvedServeGrpcOptions extends ResolvedGrpcServerOptions {
  port: number;
  host: string;
  shutdownGraceMs: number;
  credentials: GrpcJs.ServerCredentials | undefined;
  transport: GrpcTransport;
  maxQueuedBytes: number;
  sendStallMs: number;
}

/**
 * Validates `serveGrpc()` options; `path` prefixes the names in messages.
 *
 * @internal
 */
export function resolveServeGrpcOptions(
  options: ServeGrpcOptions,
  path = 'options',
): ResolvedServeGrpcOptions {
  const server = resolveGrpcServerOptions(options, path);
  const port = options.port ?? DEFAULT_GRPC_OPTIONS.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidOptionError(`${path}.port`, 'must be an integer from 0 to 65535');
  }
  const host = options.host ?? DEFAULT_GRPC_OPTIONS.host;
  if (typeof host !== 'string' || host === '') {
    throw new InvalidOptionError(`${path}.host`, 'must be a non-empty string');
  }
  const shutdownGraceMs = options.shutdownGraceMs ?? DEFAULT_GRPC_OPTIONS.shutdownGraceMs;
  if (!Number.isInteger(shutdownGraceMs) || shutdownGraceMs < 0) {
    throw new InvalidOptionError(`${path}.shutdownGraceMs`, 'must be a non-negative integer (ms)');
  }
  const grpcJsOnly =
    options.credentials !== undefined || Object.keys(server.serverOptions).length > 0;
  const transport = options.transport ?? (grpcJsOnly ? 'grpc-js' : 'h2c');
  if (transport !== 'h2c' && transport !== 'grpc-js') {
    throw new InvalidOptionError(`${path}.transport`, "must be 'h2c' or 'grpc-js'");
  }
  if (transport === 'h2c' && grpcJsOnly) {
    throw new InvalidOptionError(
      `${path}.transport`,
      "'h2c' is plaintext @infer HTTP/2: credentials (TLS) and serverOptions need 'grpc-js'",
    );
  }
  const h2c = resolveH2cLimits(options, transport, path);
  return {
    ...server,
    port,
    host,
    shutdownGraceMs,
    credentials: options.credentials,
    transport,
    ...h2c,
  };
}

/** Options of the h2c transport only: grpc-js has no equivalent. */
export const H2C_ONLY_OPTIONS = ['maxQueuedBytes', 'sendStallMs'] as const;

/** `maxQueuedBytes` and `sendStallMs`, checked, with defaults; set on grpc-js is an error. */
function resolveH2cLimits(
  options: ServeGrpcOptions,
  transport: GrpcTransport,
  path: string,
): { maxQueuedBytes: number; sendStallMs: number } {
  for (const key of H2C_ONLY_OPTIONS) {
    if (options[key] !== undefined && transport !== 'h2c') {
      throw new InvalidOptionError(
        `${path}.${key}`,
        "is an option of the 'h2c' transport; grpc-js has no equivalent",
      );
    }
  }
  const maxQueuedBytes = options.maxQueuedBytes ?? DEFAULT_GRPC_OPTIONS.maxQueuedBytes;
  if (!Number.isSafeInteger(maxQueuedBytes) || maxQueuedBytes < 1) {
    throw new InvalidOptionError(`${path}.maxQueuedBytes`, 'must be a positive integer (bytes)');
  }
  const sendStallMs = options.sendStallMs ?? DEFAULT_GRPC_OPTIONS.sendStallMs;
  if (!Number.isSafeInteger(sendStallMs) || sendStallMs < 0 || sendStallMs > MAX_TIMER_MS) {
    throw new InvalidOptionError(
      `${path}.sendStallMs`,
      `must be an integer from 0 to ${MAX_TIMER_MS} (ms; 0: never)`,
    );
  }
  return { maxQueuedBytes, sendStallMs };
}
