import type * as GrpcJs from '@grpc/grpc-js';
import type { InferenceService } from '../inference-service';
import { setConnectionWindow } from './flow-control';
import { loadGrpcModules } from './grpc-modules';
import { addServices, createGrpcServer } from './grpc-server';
import {
  type GrpcTransport,
  type ResolvedServeGrpcOptions,
  resolveServeGrpcOptions,
  type ServeGrpcOptions,
} from './grpc-server-options';
import { DEFAULT_WINDOW } from './h2c/frames';
import { H2cGrpcServer } from './h2c/h2c-grpc-server';

/** The server under a {@link GrpcInferServer}: @infer's h2c server or a grpc-js `Server`. */
export type GrpcServerHandle = Pick<GrpcJs.Server, 'addService' | 'tryShutdown' | 'forceShutdown'>;

/** A listening gRPC server returned by {@link serveGrpc}. */
export interface GrpcInferServer {
  /** The bound port (the real one when `port: 0` was asked). */
  readonly port: number;
  /** The interface it listens on, as given (`'127.0.0.1'` by default). */
  readonly host: string;
  /** `host:port` for clients, IPv6 hosts in brackets, e.g. `127.0.0.1:8081`. */
  readonly address: string;
  /** Which HTTP/2 server carries the calls (see `ServeGrpcOptions.transport`). */
  readonly transport: GrpcTransport;
  /**
   * The underlying server: a grpc-js `Server` when `transport` is `'grpc-js'`, else the h2c
   * server, which has grpc-js's `addService`, `tryShutdown` and `forceShutdown`.
   */
  readonly server: GrpcServerHandle;
  /**
   * Stops accepting calls and waits for in-flight ones (`tryShutdown`), cutting them after
   * `shutdownGraceMs` (`forceShutdown`). Does not shut the `InferenceService` down. Idempotent.
   */
  close(): Promise<void>;
}

/** Binds a grpc-js server; resolves with the port. */
async function bindGrpcJs(
  service: InferenceService,
  options: ServeGrpcOptions,
  resolved: ResolvedServeGrpcOptions,
  host: string,
): Promise<{ server: GrpcJs.Server; port: number }> {
  const { grpc } = await loadGrpcModules();
  const server = await createGrpcServer(service, options);
  const credentials = resolved.credentials ?? grpc.ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${resolved.port}`, credentials, (error, bound) =>
      error ? reject(error) : resolve(bound),
    );
  }).catch((error: unknown) => {
    server.forceShutdown();
    throw error;
  });
  if (resolved.flowControlWindowBytes > 0) {
    setConnectionWindow(server, resolved.flowControlWindowBytes);
  }
  return { server, port };
}

/** Starts the h2c server; resolves with the port. */
async function listenH2c(
  service: InferenceService,
  resolved: ResolvedServeGrpcOptions,
): Promise<{ server: H2cGrpcServer; port: number }> {
  const modules = await loadGrpcModules();
  const server = new H2cGrpcServer({
    maxMessageBytes: resolved.maxMessageBytes,
    windowBytes: Math.max(DEFAULT_WINDOW, resolved.flowControlWindowBytes),
    keepalive: resolved.keepalive,
    maxQueuedBytes: resolved.maxQueuedBytes,
    sendStallMs: resolved.sendStallMs,
    Metadata: modules.grpc.Metadata,
  });
  addServices(server, service, modules, resolved);
  const port = await server.listen(resolved.port, resolved.host);
  return { server, port };
}

/**
 * Serves the OIP `GRPCInferenceService` (plus health and reflection) over `service` on
 * `host:port`: plaintext HTTP/2 (h2c) on @infer's own HTTP/2 server by default, or on a
 * grpc-js server with TLS `credentials` (see `transport`). `serve({ grpc })` calls it beside
 * the REST server.
 *
 * @example
 * const grpcServer = await serveGrpc(service, { port: 8081 });
 * console.log(grpcServer.address); // 127.0.0.1:8081
 * await grpcServer.close();
 */
export async function serveGrpc(
  service: InferenceService,
  options: ServeGrpcOptions = {},
): Promise<GrpcInferServer> {
  const resolved = resolveServeGrpcOptions(options);
  const host = resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host;
  const { server, port } =
    resolved.transport === 'h2c'
      ? await listenH2c(service, resolved)
      : await bindGrpcJs(service, options, resolved, host);
  const address = `${host}:${port}`;
  resolved.logger.info({ address, transport: resolved.transport }, `gRPC listening on ${address}`);
  let closing: Promise<void> | undefined;
  return {
    port,
    host: resolved.host,
    address,
    transport: resolved.transport,
    server,
    close() {
      closing ??= new Promise<void>((resolve) => {
        const grace = setTimeout(() => server.forceShutdown(), resolved.shutdownGraceMs);
        server.tryShutdown(() => {
          clearTimeout(grace);
          resolve();
        });
      });
      return closing;
    },
  };
}
