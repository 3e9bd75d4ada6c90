/**
 * The h2c gRPC server: grpc-js's `Server` surface that the OIP service, health and
 * reflection use (`addService`, bind, shutdown), on {@link H2Connection} instead of Node's
 * `http2` module. Plaintext only; `serveGrpc` uses grpc-js when TLS credentials are given.
 *
 * @internal
 */
import { createServer, type Server, type Socket } from 'node:net';
import type * as GrpcJs from '@grpc/grpc-js';
import { GRPC_STATUS } from '@infer/codecs';
import { MAX_TIMER_MS } from '../max-timer';
import {
  type GrpcCallContext,
  type GrpcHandler,
  type GrpcMethod,
  InflateQueue,
  startCall,
  statusMessageHeader,
} from './grpc-call';
import { H2Connection, type H2Stream, MAX_HEADER_LIST_BYTES } from './h2-connection';

/** Options of {@link H2cGrpcServer}. */
export interface H2cGrpcServerOptions {
  /** Largest message received or sent, in bytes. */
  maxMessageBytes: number;
  /** HTTP/2 receive window of each call and connection, in bytes (65535 at least). */
  windowBytes: number;
  /** Calls a connection may have open at once. Default 1000. */
  maxConcurrentStreams?: number | undefined;
  /** Keepalive PINGs on silent connections (see `H2ConnectionOptions`). Default: off. */
  keepalive?: { timeMs: number; timeoutMs: number } | undefined;
  /** Answer bytes queued per connection before new calls are refused (see `H2ConnectionOptions`). */
  maxQueuedBytes?: number | undefined;
  /** Closes a connection that took under 16 KiB of waiting answers in this long (ms). */
  sendStallMs?: number | undefined;
  /** grpc-js's `Metadata` class (call metadata is grpc-js's type). */
  Metadata: typeof GrpcJs.Metadata;
}

interface Route {
  method: GrpcMethod;
  handler: GrpcHandler;
}

/**
 * A gRPC server over h2c with grpc-js's handler API.
 *
 * @internal
 * @example
 * const server = new H2cGrpcServer({ maxMessageBytes, windowBytes, Metadata: grpc.Metadata });
 * server.addService(definition, handlers);
 * const port = await server.listen(8081, '127.0.0.1');
 */
export class H2cGrpcServer {
  private readonly routes = new Map<string, Route>();
  private readonly connections = new Set<H2Connection>();
  private readonly context: GrpcCallContext;
  private readonly net: Server;
  private shuttingDown = false;

  constructor(private readonly options: H2cGrpcServerOptions) {
    this.context = {
      maxMessageBytes: options.maxMessageBytes,
      Metadata: options.Metadata,
      inflate: new InflateQueue(),
    };
    this.net = createServer((socket) => this.accept(socket));
  }

  /**
   * Adds a service as grpc-js does: each method's handler is `implementation[name]` or
   * `implementation[originalName]`.
   */
  addService(
    definition: GrpcJs.ServiceDefinition,
    implementation: GrpcJs.UntypedServiceImplementation,
  ): void {
    for (const [name, method] of Object.entries(definition)) {
      const original = (method as { originalName?: string }).originalName;
      const handler = (implementation[name] ??
        (original === undefined ? undefined : implementation[original])) as GrpcHandler | undefined;
      if (handler === undefined) continue;
      this.routes.set(method.path, {
        method: method as unknown as GrpcMethod,
        handler,
      });
    }
  }

  /** Listens on `host:port` (`0` picks a free port); resolves with the port. */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.net.once('error', onError);
      this.net.listen(port, host, () => {
        this.net.off('error', onError);
        resolve((this.net.address() as { port: number }).port);
      });
    });
  }

  /**
   * Stops accepting connections and calls: each connection gets GOAWAY and closes once its
   * calls are answered; `callback` runs when all are closed.
   */
  tryShutdown(callback: () => void): void {
    this.shuttingDown = true;
    let waiting = this.connections.size + 1;
    const done = () => {
      if (--waiting === 0) callback();
    };
    this.net.close(() => done());
    for (const connection of [...this.connections]) connection.goAway(done);
  }

  /** Cuts every connection now: calls in flight end as cancelled. */
  forceShutdown(): void {
    this.shuttingDown = true;
    this.net.close();
    for (const connection of [...this.connections]) connection.destroy();
  }

  private accept(socket: Socket): void {
    if (this.shuttingDown) {
      socket.destroy();
      return;
    }
    const connection = new H2Connection(socket, {
      windowBytes: this.options.windowBytes,
      maxConcurrentStreams: this.options.maxConcurrentStreams ?? 1000,
      // As on grpc-js, a time of 2147483647 ms or more (the largest timer) is off.
      keepalive:
        this.options.keepalive !== undefined && this.options.keepalive.timeMs < MAX_TIMER_MS
          ? this.options.keepalive
          : undefined,
      maxQueuedBytes: this.options.maxQueuedBytes,
      sendStallMs: this.options.sendStallMs,
      onStream: (stream) => this.stream(stream),
    });
    this.connections.add(connection);
    socket.once('close', () => this.connections.delete(connection));
  }

  private stream(stream: H2Stream): void {
    if (stream.oversized) {
      refuse(
        stream,
        GRPC_STATUS.RESOURCE_EXHAUSTED,
        `Header list larger than ${MAX_HEADER_LIST_BYTES} bytes`,
      );
      return;
    }
    if (stream.header(':method') !== 'POST') {
      stream.respond([[':status', '405']], true);
      return;
    }
    const contentType = stream.header('content-type') ?? '';
    if (!contentType.startsWith('application/grpc')) {
      stream.respond([[':status', '415']], true);
      return;
    }
    const path = stream.header(':path') ?? '';
    const route = this.routes.get(path);
    if (route === undefined) {
      refuse(stream, GRPC_STATUS.UNIMPLEMENTED, `The server does not implement the method ${path}`);
      return;
    }
    startCall(stream, route.method, route.handler, this.context);
  }
}

/** Answers a call the server does not take with a trailers-only gRPC status. */
function refuse(stream: H2Stream, code: number, message: string): void {
  stream.respond(
    [
      [':status', '200'],
      ['content-type', 'application/grpc'],
      ['grpc-status', String(code)],
      ['grpc-message', statusMessageHeader(message)],
    ],
    true,
  );
}
