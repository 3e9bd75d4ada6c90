import type * as GrpcJs from '@grpc/grpc-js';
import { CodecError } from '@infer/codecs';
import { ClientSignal } from '../adapters/client-signal';
import { BadRequestError } from '../errors';
import type { InferenceService } from '../inference-service';
import type { GRPCInferenceServiceHandlers } from './generated/inference/GRPCInferenceService';
import type { ModelMetadataResponse } from './generated/inference/ModelMetadataResponse';
import { toGrpcStatus } from './grpc-status';
import { malformedReason } from './malformed-message';
import { type DecodedModelInfer, decodeModelInferRequest } from './model-infer-request';
import { encodeModelInferResponse, wantsRawOutput } from './model-infer-response';

/** What a handler body learns about its call for metrics and logs. */
interface CallRecord {
  model?: string | undefined;
  version?: string | undefined;
}

type UnaryCall<Request> = GrpcJs.ServerUnaryCall<Request, unknown>;

let sequence = 0;

/**
 * The client's deadline as a timeout in ms for the request (queue wait included), or
 * `undefined` without one. A deadline already past gives 1 ms: it fails as a timeout
 * rather than meaning "no timeout" (`0`).
 *
 * @internal
 * @example
 * timeoutFromDeadline(Date.now() + 500); // ~500
 */
export function timeoutFromDeadline(deadline: Date | number, now = Date.now()): number | undefined {
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  if (!Number.isFinite(at)) return undefined;
  return Math.max(1, Math.floor(at - now));
}

/**
 * The `GRPCInferenceService` implementation over an {@link InferenceService}: every RPC
 * calls the service's transport-neutral methods (`live`, `ready`, `serverMetadata()`,
 * `modelMetadata()`, `modelReady()`, `infer()`), the same ones the REST routes use.
 * Errors become gRPC statuses through the one error table; each call is recorded in the
 * service's metrics and logs with route `grpc.<Rpc>`.
 *
 * @example
 * import * as grpc from '@grpc/grpc-js';
 * import * as protoLoader from '@grpc/proto-loader';
 * const proto = grpc.loadPackageDefinition(protoLoader.loadSync(inferenceProtoPath(), GRPC_LOADER_OPTIONS));
 * const definition = (proto.inference as grpc.GrpcObject).GRPCInferenceService as grpc.ServiceClientConstructor;
 * server.addService(definition.service, createGrpcHandlers(service, grpc));
 * // or simply: await addInferenceService(server, service);
 */
export function createGrpcHandlers(
  service: InferenceService,
  grpc: Pick<typeof GrpcJs, 'Metadata'>,
): GRPCInferenceServiceHandlers {
  function unary<Request, Response>(
    rpc: string,
    run: (call: UnaryCall<Request>, record: CallRecord) => Response | Promise<Response>,
  ): GrpcJs.handleUnaryCall<Request, Response> {
    return (call, callback) => {
      const started = performance.now();
      const record: CallRecord = {};
      const requestId = String(call.metadata.get('x-request-id')[0] ?? `grpc-${++sequence}`);
      const finish = (status: number, error?: unknown) =>
        service.recordTransportRequest({
          route: `grpc.${rpc}`,
          model: record.model,
          version: record.version,
          status,
          durationMs: performance.now() - started,
          requestId,
          ...(error === undefined ? {} : { error }),
        });
      const malformed = malformedReason(call.request);
      new Promise<Response>((resolve) => {
        if (malformed !== undefined) {
          throw new BadRequestError(
            `${rpc}: the request is not a valid protobuf message (${malformed})`,
          );
        }
        resolve(run(call, record));
      }).then(
        (response) => {
          finish(200);
          callback(null, response);
        },
        (error: unknown) => {
          const status = toGrpcStatus(error);
          finish(status.httpStatus, error);
          const metadata = new grpc.Metadata();
          if (status.retryAfterSeconds !== undefined) {
            metadata.set('retry-after', String(status.retryAfterSeconds));
          }
          callback({ code: status.code, details: status.details, metadata });
        },
      );
    };
  }

  const named = (name: string | undefined, rpc: string): string => {
    if (name === undefined || name === '') throw new BadRequestError(`${rpc}: name is required`);
    return name;
  };
  const versionOf = (version: string | undefined) => (version === '' ? undefined : version);

  return {
    ServerLive: unary('ServerLive', () => ({ live: service.live })),
    ServerReady: unary('ServerReady', () => ({ ready: service.ready })),
    ServerMetadata: unary('ServerMetadata', () => service.serverMetadata()),
    ModelReady: unary('ModelReady', ({ request }, record) => {
      record.model = named(request.name, 'ModelReady');
      record.version = versionOf(request.version);
      return { ready: service.modelReady(record.model, record.version).ready };
    }),
    ModelMetadata: unary('ModelMetadata', ({ request }, record): ModelMetadataResponse => {
      record.model = named(request.name, 'ModelMetadata');
      record.version = versionOf(request.version);
      const metadata = service.modelMetadata(record.model, record.version);
      const tensor = ({ name, datatype, shape }: (typeof metadata.inputs)[number]) => ({
        name,
        datatype,
        shape,
      });
      return {
        name: metadata.name,
        versions: metadata.versions ?? [],
        platform: metadata.platform,
        inputs: metadata.inputs.map(tensor),
        outputs: metadata.outputs.map(tensor),
        properties: Object.fromEntries(
          Object.entries(metadata.parameters ?? {}).map(([key, value]) => [key, String(value)]),
        ),
      };
    }),
    ModelInfer: unary('ModelInfer', async (call, record) => {
      // A cancelled call (client gone, or its deadline passed) aborts the request: queued
      // work is dropped and the model sees its signal abort. A `ClientSignal`, as the REST
      // adapters use: a real AbortSignal costs microseconds per call on Node 20 and is made
      // only if something reads one.
      const cancelled = new ClientSignal();
      const onCancelled = () => cancelled.abort(new Error('the client cancelled the call'));
      call.once('cancelled', onCancelled);
      try {
        record.model = call.request.model_name;
        record.version = versionOf(call.request.model_version);
        if (!record.model) throw new CodecError('model_name is required');
        // Decoded only once the model is found and its queue has room (load shedding).
        let decoded: DecodedModelInfer | undefined;
        const decode = () => {
          decoded = decodeModelInferRequest(call.request);
          return decoded.request;
        };
        const response = await service.infer(record.model, record.version, decode, {
          signal: cancelled as unknown as AbortSignal,
          // Shortens the model's own timeout, never lengthens it.
          clientTimeoutMs: timeoutFromDeadline(call.getDeadline()),
          // The decoded request is ours: typed contents may move to a worker thread
          // (views over the message are copied, never detached).
          transfer: true,
        });
        const { request, raw } = decoded as DecodedModelInfer;
        return encodeModelInferResponse(response, { raw: wantsRawOutput(request, raw) });
      } finally {
        call.off('cancelled', onCancelled);
      }
    }),
  };
}
