import type * as GrpcJs from '@grpc/grpc-js';
import { InferClientError } from '../errors';
import {
  type AttemptFailure,
  type AttemptOutcome,
  type CallContext,
  retryingCall,
} from '../retrying-call';
import type { GRPCInferenceServiceClient } from './generated/inference/GRPCInferenceService';
import type { ResolvedGrpcClientOptions } from './grpc-client-options';
import { GRPC_STATUS, grpcStatusName } from './grpc-status';

/** The RPCs of `inference.GRPCInferenceService`. @internal */
export type Rpc =
  | 'ServerLive'
  | 'ServerReady'
  | 'ServerMetadata'
  | 'ModelMetadata'
  | 'ModelReady'
  | 'ModelInfer';

/** A connected channel: grpc-js and the service client. @internal */
export interface GrpcConnection {
  grpc: typeof GrpcJs;
  client: GRPCInferenceServiceClient;
}

/** One gRPC call the client makes. @internal */
export interface GrpcCall {
  rpc: Rpc;
  request: object;
  /** Extra metadata for this call (the call's `headers`). */
  headers?: Record<string, string> | undefined;
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
  /** Retry an UNAVAILABLE answer (not for readiness probes, where it is the answer). Default `true`. */
  retryUnavailable?: boolean;
}

type UnaryMethod = (
  request: object,
  metadata: GrpcJs.Metadata,
  options: GrpcJs.CallOptions,
  callback: (error: GrpcJs.ServiceError | null, value?: unknown) => void,
) => GrpcJs.ClientUnaryCall;

/** What grpc-js says when the call never reached a server, or lost its connection. */
const CONNECTION_FAILURE =
  /No connection established|Connection dropped|ECONNREFUSED|ECONNRESET|EPIPE|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT/;

/**
 * Runs one unary RPC with the client's deadline (sent as the gRPC deadline), the caller's
 * signal (which cancels the call, so the server sees it cancelled) and the retry policy:
 * a connection failure or UNAVAILABLE is retried after a backoff (or the server's
 * `retry-after` trailer) while retries are left and the wait ends before the deadline.
 * Metadata that cannot be made (the `metadata()` function threw, a key grpc-js refuses)
 * fails at once, without sending anything. Every failure becomes an `InferClientError`.
 *
 * @internal
 */
export function grpcCall<T>(
  options: ResolvedGrpcClientOptions,
  connect: () => Promise<GrpcConnection>,
  call: GrpcCall,
): Promise<T> {
  const context: CallContext = { method: call.rpc, url: options.address };
  return retryingCall(options, context, call, async ({ signal, deadline, attempts }) => {
    const { grpc, client } = await connect();
    let metadata: GrpcJs.Metadata;
    try {
      metadata = await metadataOf(grpc, options, call);
    } catch (failure) {
      // The caller's mistake (a `-bin` key, a key with a space) or its `metadata()` function
      // failing: no server saw it, and another attempt would fail the same way.
      const error = new InferClientError(
        'INFER_CLIENT_ERR_HEADERS',
        `${call.rpc} ${options.address} was not sent: ${(failure as Error)?.message ?? String(failure)}`,
        { ...context, attempts, cause: failure },
      );
      return { error };
    }
    if (signal?.aborted) return { error: cancelled(context, attempts), transport: true };
    return new Promise<AttemptOutcome<T>>((resolve) => {
      const method = (client as unknown as Record<Rpc, UnaryMethod>)[call.rpc].bind(client);
      const callOptions: GrpcJs.CallOptions = Number.isFinite(deadline) ? { deadline } : {};
      let pending: GrpcJs.ClientUnaryCall;
      const onAbort = () => pending.cancel();
      try {
        pending = method(call.request, metadata, callOptions, (error, value) => {
          signal?.removeEventListener('abort', onAbort);
          if (error === null) resolve({ value: value as T });
          else resolve(classify(error, call, context, attempts, deadline, signal));
        });
      } catch (failure) {
        // grpc-js throws at once for a closed channel or a message it cannot serialize.
        const error = new InferClientError(
          'INFER_CLIENT_ERR_NETWORK',
          `${call.rpc} ${options.address} failed: ${(failure as Error)?.message ?? String(failure)}`,
          { ...context, attempts, cause: failure },
        );
        resolve({ error });
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  });
}

async function metadataOf(
  grpc: typeof GrpcJs,
  options: ResolvedGrpcClientOptions,
  call: GrpcCall,
): Promise<GrpcJs.Metadata> {
  const base = typeof options.metadata === 'function' ? await options.metadata() : options.metadata;
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries({ ...base, ...call.headers })) {
    metadata.set(key.toLowerCase(), value);
  }
  return metadata;
}

function cancelled(context: CallContext, attempts: number): InferClientError {
  return new InferClientError(
    'INFER_CLIENT_ERR_ABORTED',
    `${context.method} ${context.url} was cancelled`,
    { ...context, attempts },
  );
}

/** Turns a failed call into a failure the retry loop understands. */
function classify(
  error: GrpcJs.ServiceError,
  call: GrpcCall,
  context: CallContext,
  attempts: number,
  deadline: number,
  signal: AbortSignal | undefined,
): AttemptFailure {
  const details = error.details ?? error.message;
  if (
    error.code === GRPC_STATUS.DEADLINE_EXCEEDED &&
    Number.isFinite(deadline) &&
    Date.now() >= deadline - 20
  ) {
    // Our own deadline (grpc-js enforces it too, sometimes a moment before our timer).
    return { error: cancelled(context, attempts), timedOut: true };
  }
  if (error.code === GRPC_STATUS.CANCELLED && signal?.aborted === true) {
    return { error: cancelled(context, attempts), transport: true };
  }
  if (error.code === GRPC_STATUS.UNAVAILABLE && CONNECTION_FAILURE.test(details)) {
    return {
      error: new InferClientError(
        'INFER_CLIENT_ERR_NETWORK',
        `${context.method} ${context.url} failed: ${details}`,
        { ...context, attempts, cause: error },
      ),
      transport: true,
      retryable: true,
    };
  }
  const name = grpcStatusName(error.code);
  const retryAfter = parseRetryAfter(error.metadata?.get('retry-after')[0]);
  return {
    error: new InferClientError(
      'INFER_CLIENT_ERR_GRPC',
      `${context.method} ${context.url} answered ${name} (${error.code})${details === '' ? '' : `: ${details}`}`,
      {
        ...context,
        grpcCode: error.code,
        grpcStatus: name,
        serverMessage: details === '' ? undefined : details,
        retryAfter,
        attempts,
        cause: error,
      },
    ),
    // Retried after the `retry-after` trailer (the error's `retryAfter`), else a backoff.
    retryable: error.code === GRPC_STATUS.UNAVAILABLE && call.retryUnavailable !== false,
  };
}

/** The `retry-after` trailer in whole seconds, when the server sent one. */
function parseRetryAfter(value: GrpcJs.MetadataValue | undefined): number | undefined {
  if (typeof value !== 'string' || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
}
