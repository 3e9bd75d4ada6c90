import type * as GrpcJs from '@grpc/grpc-js';
import type * as HealthCheck from 'grpc-health-check';
import type { InferenceService } from '../inference-service';
import { limitStatusMessage } from './status-message';

/** The service name health checks may ask about besides `''` (the whole server). */
export const INFERENCE_SERVICE_NAME = 'inference.GRPCInferenceService';

type Handler = (call: GrpcJs.ServerWritableStream<unknown, unknown>, ...rest: unknown[]) => void;

/**
 * Adds `grpc.health.v1.Health` (from `grpc-health-check`) to a server, reporting `SERVING`
 * for `''` and `inference.GRPCInferenceService` while the service is ready (models loaded,
 * not draining) and `NOT_SERVING` otherwise. The status is refreshed on every `Check` and
 * `List`, and each second while someone `Watch`es. Status messages are cut to 2 KiB encoded
 * (`limitStatusMessage`).
 *
 * @internal
 * @example
 * addHealthService(server, await import('grpc-health-check'), service);
 */
export function addHealthService(
  server: Pick<GrpcJs.Server, 'addService'>,
  health: typeof HealthCheck,
  service: Pick<InferenceService, 'ready'>,
): void {
  const statusOf = (): HealthCheck.ServingStatus => (service.ready ? 'SERVING' : 'NOT_SERVING');
  let current = statusOf();
  const implementation = new health.HealthImplementation({
    '': current,
    [INFERENCE_SERVICE_NAME]: current,
  });
  const refresh = () => {
    const next = statusOf();
    if (next === current) return;
    current = next;
    implementation.setStatus('', next);
    implementation.setStatus(INFERENCE_SERVICE_NAME, next);
  };
  let watchers = 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  implementation.addToServer({
    addService(definition, handlers) {
      const wrapped: Record<string, Handler> = {};
      for (const [name, handler] of Object.entries(handlers as Record<string, Handler>)) {
        wrapped[name] = (call, ...rest) => {
          refresh();
          if (name === 'watch') {
            watchers++;
            timer ??= setInterval(refresh, 1000).unref();
            call.once('cancelled', () => {
              if (--watchers === 0 && timer !== undefined) {
                clearInterval(timer);
                timer = undefined;
              }
            });
          }
          const [callback, ...others] = rest;
          if (typeof callback === 'function') {
            // `Check` answers an unknown service with a message that echoes its name: cut
            // as our own status messages are (grpc-js sends what it is given).
            handler(
              call,
              (error: unknown, ...values: unknown[]) => {
                const details = (error as { details?: unknown } | null)?.details;
                (callback as (...args: unknown[]) => void)(
                  typeof details === 'string'
                    ? { ...(error as object), details: limitStatusMessage(details) }
                    : error,
                  ...values,
                );
              },
              ...others,
            );
          } else handler(call, ...rest);
        };
      }
      server.addService(
        definition as unknown as GrpcJs.ServiceDefinition,
        wrapped as unknown as GrpcJs.UntypedServiceImplementation,
      );
    },
  });
}
