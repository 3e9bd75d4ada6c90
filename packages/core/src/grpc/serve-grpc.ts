import type * as GrpcJs from '@grpc/grpc-js';
import type { InferenceService } from '../inference-service';
import { setConnectionWindow } from './flow-control';
import { loadGrpcModules } from './grpc-modules';
import { createGrpcServer } from './grpc-server';
import { resolveServeGrpcOptions, type ServeGrpcOptions } from './grpc-server-options';

/** A listening gRPC server returned by {@link serveGrpc}. */
export interface GrpcInferServer {
  /** The bound port (the real one when `port: 0` was asked). */
  readonly port: number;
  readonly host: string;
  /** `host:port` for clients, IPv6 hosts in brackets, e.g. `127.0.0.1:8081`. */
  readonly address: string;
  /** The underlying grpc-js server. */
  readonly server: GrpcJs.Server;
  /**
   * Stops accepting calls and waits for in-flight ones (`tryShutdown`), cutting them after
   * `shutdownGraceMs` (`forceShutdown`). Does not shut the `InferenceService` down. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Serves the OIP `GRPCInferenceService` (plus health and reflection) over `service` on
 * `host:port`, plaintext HTTP/2 (h2c) unless `credentials` are given. `serve({ grpc })` calls
 * it beside the REST server.
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
  const { grpc } = await loadGrpcModules();
  const server = await createGrpcServer(service, options);
  const host = resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host;
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
  const address = `${host}:${port}`;
  resolved.logger.info({ address }, `gRPC listening on ${address}`);
  let closing: Promise<void> | undefined;
  return {
    port,
    host: resolved.host,
    address,
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
