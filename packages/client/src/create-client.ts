import type { ServerMetadataJSON } from '@infer/codecs';
import {
  type ClientOptions,
  type ResolvedClientOptions,
  resolveClientOptions,
} from './client-options';
import { InferClientError } from './errors';
import { httpCall } from './http-call';
import type { CallOptions } from './infer-types';
import { jsonAnswer } from './json-answer';
import { HttpModelClient, type ModelClient } from './model-client';
import { type AnySchema, checkSchema, type ModelSchema } from './model-schema';

/** A client of one OIP server, from {@link createClient}. */
export interface InferClient {
  /** The base URL every path is appended to (no trailing slash). */
  readonly baseUrl: string;
  /** `GET /v2/health/live`: `true` when the server answers 200, `false` for any other status. */
  live(options?: CallOptions): Promise<boolean>;
  /** `GET /v2/health/ready`: `true` when every model is ready (200), `false` for any other status. */
  ready(options?: CallOptions): Promise<boolean>;
  /** `GET /v2`: the server's name, version and extensions. */
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
 * Creates an Open Inference Protocol client on `fetch` for any OIP server (@infer, Triton,
 * MLServer, KServe). Options are checked at once (throws `INFER_CLIENT_ERR_INVALID_OPTION`
 * naming the option); nothing is sent until a method is called.
 *
 * @example
 * import { createClient } from '@infer/client';
 * const client = createClient({ baseUrl: 'http://localhost:8080', timeoutMs: 5000, retry: true });
 * const { outputs } = await client.model('iris').infer({ x: new Float32Array([5.1, 3.5, 1.4, 0.2]) });
 * console.log(outputs.label?.data);
 */
export function createClient(options: ClientOptions): InferClient {
  return new HttpInferClient(resolveClientOptions(options));
}

class HttpInferClient implements InferClient {
  readonly #options: ResolvedClientOptions;

  constructor(options: ResolvedClientOptions) {
    this.#options = options;
  }

  get baseUrl(): string {
    return this.#options.baseUrl;
  }

  live(options: CallOptions = {}): Promise<boolean> {
    return this.#probe('/v2/health/live', options);
  }

  ready(options: CallOptions = {}): Promise<boolean> {
    return this.#probe('/v2/health/ready', options);
  }

  async metadata(options: CallOptions = {}): Promise<ServerMetadataJSON> {
    const answer = await httpCall(this.#options, { method: 'GET', path: '/v2', ...options });
    return jsonAnswer<ServerMetadataJSON>(answer, 'server metadata', {
      strings: ['name', 'version'],
      arrays: ['extensions'],
    });
  }

  model<S extends ModelSchema>(
    name: string,
    versionOrSchema?: string | S,
    maybeSchema?: S,
  ): ModelClient<S> {
    if (typeof name !== 'string' || name === '') {
      throw new InferClientError(
        'INFER_CLIENT_ERR_INVALID_OPTION',
        'name must be a non-empty string',
      );
    }
    const version = typeof versionOrSchema === 'string' ? versionOrSchema : undefined;
    const schema = typeof versionOrSchema === 'object' ? versionOrSchema : maybeSchema;
    if (versionOrSchema === '') {
      throw new InferClientError(
        'INFER_CLIENT_ERR_INVALID_OPTION',
        'version must be a non-empty string',
      );
    }
    if (schema !== undefined) checkSchema(schema, 'schema');
    return new HttpModelClient<S>(this.#options, name, version, schema);
  }

  async #probe(path: string, options: CallOptions): Promise<boolean> {
    const answer = await httpCall(this.#options, {
      method: 'GET',
      path,
      ...options,
      retry503: false,
      accept: () => true,
    });
    return answer.status >= 200 && answer.status < 300;
  }
}
