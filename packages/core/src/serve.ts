import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { normalizePrefix } from './adapters/adapter-options';
import { handleClientErrors } from './adapters/client-error';
import { type ResolvedCompression, resolveCompression } from './adapters/content-coding';
import { applyCors } from './adapters/cors';
import { errorResponse } from './adapters/error-response';
import { createNodeHandler, failureResponse, sendServiceResponse } from './adapters/node';
import { declaredTooLarge } from './adapters/read-body';
import { stripPrefix } from './adapters/request-path';
import { BodyTooLargeError, InvalidOptionError } from './errors';
import {
  type GrpcTransport,
  H2C_ONLY_OPTIONS,
  resolveServeGrpcOptions,
} from './grpc/grpc-server-options';
import type { GrpcInferServer } from './grpc/serve-grpc';
import { InferenceService } from './inference-service';
import { assertLogger, type Logger, silentLogger } from './logger';
import { closeMetricsServer, startMetricsServer } from './metrics/metrics-server';
import { ModelRepository } from './model-repository';
import type { ServeOptions } from './serve-options';
import { type ServerSettings, serverSettingsSchema } from './settings';
import { envVariableOf } from './settings/env-settings';

export type { ServeGrpcEndpoint, ServeOptions } from './serve-options';

/** A running server returned by {@link serve}. */
export interface InferServer {
  /** Base URL with the prefix, e.g. `http://127.0.0.1:8080` (IPv6 hosts in brackets). */
  readonly url: string;
  readonly service: InferenceService;
  readonly repository: ModelRepository;
  /** The underlying `node:http` server. */
  readonly server: Server;
  /**
   * The metrics scrape URL: `${url}/metrics`, or on its own port with
   * `settings.metrics.port` (then the main port answers `/metrics` 404); `undefined`
   * without `options.metrics`.
   */
  readonly metricsUrl: string | undefined;
  /** The gRPC endpoint when `options.grpc` (or `settings.grpc.enabled`) is on. */
  readonly grpc:
    | { readonly port: number; readonly address: string; readonly transport: GrpcTransport }
    | undefined;
  /**
   * Graceful shutdown: readiness turns false, the server stops accepting, in-flight
   * requests finish (up to `shutdownGraceMs`, then connections are cut), models unload.
   * Idempotent.
   */
  close(): Promise<void>;
}

interface ResolvedServeOptions {
  port: number;
  host: string;
  prefix: string;
  maxBodySize: number;
  compression: ResolvedCompression | undefined;
  shutdownGraceMs: number;
  handleSignals: boolean;
  logger: Logger;
  settings: ServerSettings;
  grpc:
    | {
        port: number;
        host: string;
        maxMessageBytes: number | undefined;
        transport: GrpcTransport;
        keepalive: { timeMs: number; timeoutMs: number };
        /** Set by the caller or the settings (else the h2c server's defaults). */
        maxQueuedBytes: number | undefined;
        sendStallMs: number | undefined;
      }
    | undefined;
  /** Where metrics are scraped when not on the main port. */
  metricsEndpoint: { port: number; path: string } | undefined;
}

/**
 * A signal this soon (ms) after the first one of a shutdown is the same one delivered twice (a
 * supervisor signalling every process of the group, npm passing on a terminal's Ctrl+C), not
 * a request to cut the connections.
 *
 * @internal
 */
export const REPEATED_SIGNAL_MS = 1000;

/** The least time `close()` gives models to unload after the grace period ran out, in ms. */
const MIN_UNLOAD_MS = 250;

function resolveServeOptions(options: ServeOptions): ResolvedServeOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('options', 'must be an object');
  }
  const parsed = serverSettingsSchema.safeParse(options.settings ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidOptionError(
      `options.settings.${issue?.path.join('.') ?? ''}`,
      issue?.message ?? 'is invalid',
    );
  }
  const settings = parsed.data;
  const port = options.port ?? settings.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidOptionError('options.port', 'must be an integer from 0 to 65535');
  }
  const host = options.host ?? settings.host;
  if (typeof host !== 'string' || host === '')
    throw new InvalidOptionError('options.host', 'must be a non-empty string');
  const maxBodySize = options.maxBodySize ?? settings.bodyLimit;
  if (!Number.isSafeInteger(maxBodySize) || maxBodySize <= 0) {
    throw new InvalidOptionError('options.maxBodySize', 'must be a positive integer (bytes)');
  }
  if (options.reuseBodyBuffers !== undefined && typeof options.reuseBodyBuffers !== 'boolean') {
    throw new InvalidOptionError('options.reuseBodyBuffers', 'must be a boolean');
  }
  const shutdownGraceMs = options.shutdownGraceMs ?? settings.shutdownGraceMs;
  if (!Number.isInteger(shutdownGraceMs) || shutdownGraceMs < 0) {
    throw new InvalidOptionError('options.shutdownGraceMs', 'must be a non-negative integer (ms)');
  }
  if (options.handleSignals !== undefined && typeof options.handleSignals !== 'boolean') {
    throw new InvalidOptionError('options.handleSignals', 'must be a boolean');
  }
  if (options.models !== undefined && !Array.isArray(options.models)) {
    throw new InvalidOptionError('options.models', 'must be an array of models');
  }
  if (options.repository !== undefined && !(options.repository instanceof ModelRepository)) {
    throw new InvalidOptionError('options.repository', 'must be a ModelRepository');
  }
  if (options.logger !== undefined) assertLogger(options.logger, 'options.logger');
  const grpc = resolveGrpcEndpoint(options.grpc, settings, host);
  const { port: metricsPort, path: metricsPath } = settings.metrics;
  if (options.metrics !== undefined && metricsPort === undefined && metricsPath !== '/metrics') {
    throw new InvalidOptionError(
      'options.settings.metrics.path',
      'needs settings.metrics.port: the main port serves /metrics only',
    );
  }
  return {
    port,
    host,
    prefix: normalizePrefix(options.prefix ?? '', 'options.prefix'),
    maxBodySize,
    compression: resolveCompression(
      options.compression ?? (settings.compression.enabled ? settings.compression : false),
    ),
    shutdownGraceMs,
    handleSignals: options.handleSignals ?? false,
    logger: options.logger ?? silentLogger,
    settings,
    grpc,
    metricsEndpoint:
      options.metrics === undefined || metricsPort === undefined
        ? undefined
        : { port: metricsPort, path: metricsPath },
  };
}

function resolveGrpcEndpoint(
  option: ServeOptions['grpc'],
  settings: ServerSettings,
  host: string,
): ResolvedServeOptions['grpc'] {
  const enabled = option === undefined ? settings.grpc.enabled : option !== false;
  if (!enabled) return undefined;
  if (
    option !== undefined &&
    typeof option !== 'boolean' &&
    (typeof option !== 'object' || option === null)
  ) {
    throw new InvalidOptionError('options.grpc', 'must be a boolean or { port, host }');
  }
  const endpoint = typeof option === 'object' ? option : {};
  const maxQueuedBytes = endpoint.maxQueuedBytes ?? settings.grpc.maxQueuedBytes;
  const sendStallMs = endpoint.sendStallMs ?? settings.grpc.sendStallMs;
  const transport = endpoint.transport ?? settings.grpc.transport;
  // Named where the user set it: settings.json or the environment, not options.grpc.
  for (const key of H2C_ONLY_OPTIONS) {
    if (
      transport === 'grpc-js' &&
      endpoint[key] === undefined &&
      settings.grpc[key] !== undefined
    ) {
      throw new InvalidOptionError(
        `settings.grpc.${key}`,
        `(or ${envVariableOf(['grpc', key])}) is an option of the 'h2c' transport; grpc.transport is 'grpc-js'`,
      );
    }
  }
  // The checks serveGrpc makes, up front (before any server starts), named options.grpc.*.
  const checked = resolveServeGrpcOptions(
    {
      maxQueuedBytes,
      sendStallMs,
      port: endpoint.port ?? settings.grpc.port,
      host: endpoint.host ?? host,
      maxMessageBytes: endpoint.maxMessageBytes,
      transport,
      keepalive: {
        timeMs: endpoint.keepalive?.timeMs ?? settings.grpc.keepaliveTimeMs,
        timeoutMs: endpoint.keepalive?.timeoutMs ?? settings.grpc.keepaliveTimeoutMs,
      },
    },
    'options.grpc',
  );
  return {
    port: checked.port,
    host: checked.host,
    maxMessageBytes: endpoint.maxMessageBytes,
    transport: checked.transport,
    keepalive: checked.keepalive,
    maxQueuedBytes,
    sendStallMs,
  };
}

/**
 * Starts a standalone OIP server on `node:http` for `options.models` (loaded before it
 * listens; a model that fails to load is reported not ready while the others serve).
 * `node:http` rather than Fastify: the service does its own routing, so a framework adds
 * only overhead (see the "Adapters" section of docs/benchmarks.md).
 *
 * @example
 * import { defineModel, serve } from '@infer/core';
 * const server = await serve({ models: [defineModel({ ... })], port: 8080 });
 * console.log(server.url); // http://127.0.0.1:8080
 * await server.close();
 */
export async function serve(options: ServeOptions = {}): Promise<InferServer> {
  const resolved = resolveServeOptions(options);
  const { logger } = resolved;
  const repository =
    options.repository ??
    new ModelRepository({
      logger,
      // Batch sizes, queue length, worker restarts and load times go to /metrics too.
      ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    });
  for (const model of options.models ?? []) repository.add(model);
  // A model of the caller's repository that already failed is not loaded a second time
  // (`infer serve` loads and reports each model before this, so it is not logged again).
  const failures = await repository.loadAll({ retryFailed: false });
  // A repository made here logs each failure itself, with this logger: not twice.
  for (const failure of options.repository === undefined ? [] : failures) {
    if (failure.earlier) continue;
    logger.error(
      { model: failure.name, version: failure.version, err: failure.error },
      'model failed to load',
    );
  }
  const service = new InferenceService({
    repository,
    logger,
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    // Metrics on their own port: the main port observes requests but answers /metrics 404.
    metricsRoute: resolved.metricsEndpoint === undefined,
    repositoryApi: {
      enabled: resolved.settings.repositoryApi.enabled,
      ...(resolved.settings.repositoryApi.token === undefined
        ? {}
        : { token: resolved.settings.repositoryApi.token }),
      ...(options.repositoryLoader === undefined ? {} : { loader: options.repositoryLoader }),
    },
  });
  const handler = createNodeHandler(service, {
    maxBodySize: resolved.maxBodySize,
    prefix: resolved.prefix,
    ...(options.reuseBodyBuffers === undefined
      ? {}
      : { reuseBodyBuffers: options.reuseBodyBuffers }),
    ...(resolved.compression === undefined ? {} : { compression: resolved.compression }),
  });
  const cors = resolved.settings.cors?.origin;
  let draining = false;
  const listener = (request: IncomingMessage, response: ServerResponse) => {
    if (cors !== undefined && applyCors(request, response, cors)) return;
    // While draining, answer what is in flight but let no connection stay open after it. The
    // node adapter does the same for requests accepted before close() (the service is
    // draining when they are answered): nothing is tracked per request for it.
    if (draining) response.setHeader('connection', 'close');
    handler(request, response);
  };
  const server = createServer(listener);
  // `Expect: 100-continue`: a body declared over the limit gets its 413 before the client
  // sends it (node:http alone would answer "100 Continue" first, and read it all to no use).
  server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) => {
    if (declaredTooLarge(request.headers['content-length'], resolved.maxBodySize)) {
      if (cors !== undefined && applyCors(request, response, cors)) return;
      const tooLarge = new BodyTooLargeError({ limitBytes: resolved.maxBodySize });
      // Counted under its route only inside the prefix: outside, no route of the service.
      const path = stripPrefix(request.url ?? '/', resolved.prefix);
      sendServiceResponse(
        response,
        path === undefined
          ? errorResponse(tooLarge)
          : failureResponse(service, request, path, tooLarge),
      );
      return;
    }
    response.writeContinue();
    // As node:http does without this listener: every 'request' listener gets it.
    server.emit('request', request, response);
  });
  // Requests node:http cannot parse get JSON answers too (not its bare text ones).
  handleClientErrors(server);
  try {
    await listen(server, resolved.port, resolved.host);
  } catch (error) {
    await repository.close();
    throw error;
  }
  const url = `${baseUrl(server)}${resolved.prefix}`;
  logger.info({ url }, `listening on ${url}`);
  let metricsServer: Server | undefined;
  let metricsUrl = options.metrics === undefined ? undefined : `${url}/metrics`;
  if (resolved.metricsEndpoint !== undefined) {
    try {
      metricsServer = await startMetricsServer(options.metrics!, {
        host: resolved.host,
        ...resolved.metricsEndpoint,
      });
    } catch (error) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await repository.close();
      throw error;
    }
    metricsUrl = `${baseUrl(metricsServer)}${resolved.metricsEndpoint.path}`;
    logger.info({ metricsUrl }, `metrics on ${metricsUrl}`);
  }
  let grpcServer: GrpcInferServer | undefined;
  if (resolved.grpc !== undefined) {
    try {
      // Loaded only when asked for: REST-only users need no gRPC packages.
      const { serveGrpc } = await import('./grpc/serve-grpc');
      grpcServer = await serveGrpc(service, {
        port: resolved.grpc.port,
        host: resolved.grpc.host,
        shutdownGraceMs: resolved.shutdownGraceMs,
        logger,
        transport: resolved.grpc.transport,
        keepalive: resolved.grpc.keepalive,
        ...(resolved.grpc.maxMessageBytes === undefined
          ? {}
          : { maxMessageBytes: resolved.grpc.maxMessageBytes }),
        ...(resolved.grpc.maxQueuedBytes === undefined
          ? {}
          : { maxQueuedBytes: resolved.grpc.maxQueuedBytes }),
        ...(resolved.grpc.sendStallMs === undefined
          ? {}
          : { sendStallMs: resolved.grpc.sendStallMs }),
      });
    } catch (error) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (metricsServer !== undefined) await closeMetricsServer(metricsServer);
      await repository.close();
      throw error;
    }
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      const deadline = performance.now() + resolved.shutdownGraceMs;
      draining = true;
      uninstallSignals();
      // Readiness false and new inference 503 first; models stay loaded for what is in flight.
      const drained = service.shutdown({
        timeoutMs: resolved.shutdownGraceMs,
        closeRepository: false,
      });
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const grace = setTimeout(() => server.closeAllConnections(), resolved.shutdownGraceMs);
      // Connections that went idle while draining (their last answer sent) close now.
      const idle = drained.then(() => server.closeIdleConnections());
      await Promise.all([
        idle,
        closed,
        grpcServer?.close(),
        metricsServer === undefined ? undefined : closeMetricsServer(metricsServer),
      ]);
      clearTimeout(grace);
      await closeWithin(repository.close(), Math.max(MIN_UNLOAD_MS, deadline - performance.now()));
      logger.info({ url }, 'server closed');
    })();
    return closing;
  };
  /**
   * Models unload within what is left of the grace period (at least `MIN_UNLOAD_MS`): an
   * in-process model that ignores its abort signal keeps its batch, and the repository's
   * close, pending for good. It is left running; `close()` resolves.
   */
  const closeWithin = async (unloading: Promise<void>, ms: number): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), ms);
    });
    const outcome = await Promise.race([unloading, late]).finally(() => clearTimeout(timer));
    if (outcome === 'late') {
      unloading.catch((error: unknown) => logger.error({ err: error }, 'unloading failed'));
      logger.warn(
        { url, waitedMs: Math.round(ms) },
        'models still busy after the grace period (a model that ignores aborts?); not waiting',
      );
    }
  };

  const onSignal = (signal: NodeJS.Signals) => {
    uninstallSignals();
    logger.info({ signal }, `${signal}: shutting down`);
    // A second signal while draining cuts the connections at once; the same signal delivered
    // twice at once does not.
    const first = performance.now();
    const force = () => {
      if (performance.now() - first >= REPEATED_SIGNAL_MS) server.closeAllConnections();
    };
    process.on(signal, force);
    close().then(
      () => {
        process.off(signal, force);
        // Re-raise for the default action (exit), only when nothing else listens: the app's
        // own listeners (and another `serve()`'s) already ran for this very signal, and a
        // second delivery would run them twice (and read as "again: force" to the other).
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  const uninstallSignals = () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
  if (resolved.handleSignals) {
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  const grpc =
    grpcServer === undefined
      ? undefined
      : { port: grpcServer.port, address: grpcServer.address, transport: grpcServer.transport };
  return { url, service, repository, server, metricsUrl, grpc, close };
}

/** `http://host:port` of a listening server (IPv6 hosts in brackets). */
function baseUrl(server: Server): string {
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
