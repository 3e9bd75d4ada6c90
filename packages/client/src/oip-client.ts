import type { ServerMetadataJSON } from '@infer/codecs';
import { fail } from './client-options';
import type { CallOptions } from './infer-types';
import { type ModelClient, TransportModelClient } from './model-client';
import { type AnySchema, checkSchema, type ModelSchema } from './model-schema';
import type { Transport } from './transport';

/**
 * What every @infer client offers, whatever the transport: the REST client of
 * `createClient()` and the gRPC client of `createGrpcClient()` (`@infer/client/grpc`). Code
 * that takes an `OipClient` works with either.
 *
 * @example
 * async function top1(client: OipClient, image: Uint8Array) {
 *   const { outputs } = await client.model('mobilenet').infer({ image: { data: image, datatype: 'BYTES' } });
 *   return outputs.label;
 * }
 */
export interface OipClient {
  /** Server liveness (REST `GET /v2/health/live`, gRPC `ServerLive`): `true` when live, `false` for any other answer. */
  live(options?: CallOptions): Promise<boolean>;
  /** Server readiness (REST `GET /v2/health/ready`, gRPC `ServerReady`): `true` when every model is ready. */
  ready(options?: CallOptions): Promise<boolean>;
  /** The server's name, version and extensions (REST `GET /v2`, gRPC `ServerMetadata`). */
  metadata(options?: CallOptions): Promise<ServerMetadataJSON>;
  /** A model, untyped: any input and output names. */
  model(name: string, version?: string): ModelClient<AnySchema>;
  /** A model checked at compile time against a schema from `defineSchema()`. */
  model<const S extends ModelSchema>(name: string, schema: S): ModelClient<S>;
  /** A model version checked at compile time against a schema from `defineSchema()`. */
  model<const S extends ModelSchema>(
    name: string,
    version: string | undefined,
    schema: S,
  ): ModelClient<S>;
}

/**
 * The one implementation of {@link OipClient}, on any transport.
 *
 * @internal
 */
export class TransportClient implements OipClient {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  live(options?: CallOptions): Promise<boolean> {
    return this.#transport.live(options);
  }

  ready(options?: CallOptions): Promise<boolean> {
    return this.#transport.ready(options);
  }

  metadata(options?: CallOptions): Promise<ServerMetadataJSON> {
    return this.#transport.serverMetadata(options);
  }

  model<S extends ModelSchema>(
    name: string,
    versionOrSchema?: string | S,
    maybeSchema?: S,
  ): ModelClient<S> {
    if (typeof name !== 'string' || name === '') {
      fail('name', 'must be a non-empty string');
    }
    const version = typeof versionOrSchema === 'string' ? versionOrSchema : undefined;
    const schema = typeof versionOrSchema === 'object' ? versionOrSchema : maybeSchema;
    if (versionOrSchema === '') {
      fail('version', 'must be a non-empty string');
    }
    if (schema !== undefined) checkSchema(schema, 'schema');
    return new TransportModelClient<S>(this.#transport, name, version, schema);
  }
}
