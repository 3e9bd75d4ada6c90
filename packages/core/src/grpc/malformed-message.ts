/**
 * Requests whose bytes are not a protobuf message of the method's type. grpc-js answers a
 * request its deserializer throws on with INTERNAL ("Error deserializing request"), which
 * blames the server for the client's bytes. The OIP service's methods get a deserializer
 * that turns such bytes into a marker instead, and the handler answers INVALID_ARGUMENT with
 * the parser's reason.
 *
 * @internal
 */
import type * as GrpcJs from '@grpc/grpc-js';

const MALFORMED = Symbol('infer.malformedMessage');

/** What a method's deserializer returns for bytes that do not parse. */
interface MalformedMessage {
  readonly [MALFORMED]: string;
}

/**
 * A copy of `definition` whose request deserializers never throw: bytes that do not parse
 * become a marker that {@link malformedReason} recognises.
 *
 * @example
 * server.addService(tolerateMalformedRequests(definition), handlers);
 */
export function tolerateMalformedRequests(
  definition: GrpcJs.ServiceDefinition,
): GrpcJs.ServiceDefinition {
  const methods: Record<string, GrpcJs.MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(definition)) {
    const deserialize = method.requestDeserialize;
    methods[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return deserialize(bytes);
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          return { [MALFORMED]: reason } satisfies MalformedMessage;
        }
      },
    };
  }
  return methods;
}

/**
 * The parser's reason when `request` is the marker of bytes that did not parse, else
 * `undefined`.
 *
 * @example
 * const reason = malformedReason(call.request);
 */
export function malformedReason(request: unknown): string | undefined {
  return typeof request === 'object' && request !== null && MALFORMED in request
    ? (request as MalformedMessage)[MALFORMED]
    : undefined;
}
