/**
 * `ModelInferResponse` serialized in parts, for the h2c server: protobufjs encodes the
 * message without `raw_output_contents`, and each raw output follows as its field header
 * (field 6, length-delimited) and the output tensor's own bytes. A large output is then never
 * copied into a message buffer: the server sends the tensor's memory as it is. The bytes on
 * the wire are the ones protobufjs writes (field 6 comes last in the message either way).
 *
 * @internal
 */
import type * as GrpcJs from '@grpc/grpc-js';

/** Field 6 (`raw_output_contents`), wire type 2 (length-delimited). */
const RAW_OUTPUT_TAG = (6 << 3) | 2;

/** The field header of one raw output: its tag, then its length as a varint. */
function fieldHeader(length: number): Buffer {
  const bytes = [RAW_OUTPUT_TAG];
  let rest = length;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

/**
 * A serializer of `ModelInferResponse` objects into buffers, over the method's own
 * `responseSerialize` for everything but the raw outputs.
 *
 * @example
 * const parts = modelInferResponseParts(method.responseSerialize)(response); // [head, header, bytes, ...]
 */
export function modelInferResponseParts(
  serialize: (value: unknown) => Buffer,
): (value: unknown) => Buffer[] {
  return (value) => {
    const raw = (value as { raw_output_contents?: Uint8Array[] }).raw_output_contents;
    if (raw === undefined || raw.length === 0) return [serialize(value)];
    const parts = [serialize({ ...(value as object), raw_output_contents: [] })];
    for (const bytes of raw) {
      parts.push(fieldHeader(bytes.byteLength));
      parts.push(
        Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length),
      );
    }
    return parts;
  };
}

/**
 * A copy of the OIP service definition whose `ModelInfer` also serializes in parts
 * (`responseSerializeParts`, read by the h2c server; grpc-js ignores it).
 *
 * @example
 * server.addService(withModelInferParts(definition), handlers);
 */
export function withModelInferParts(
  definition: GrpcJs.ServiceDefinition,
): GrpcJs.ServiceDefinition {
  const method = definition.ModelInfer;
  if (method === undefined) return definition;
  return {
    ...definition,
    ModelInfer: {
      ...method,
      responseSerializeParts: modelInferResponseParts(method.responseSerialize),
    } as GrpcJs.MethodDefinition<unknown, unknown>,
  };
}
