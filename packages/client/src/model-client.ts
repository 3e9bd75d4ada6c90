import type { ModelMetadataJSON, Tensor } from '@infer/codecs';
import { checkCount } from './client-options';
import { InferClientError } from './errors';
import type {
  CallOptions,
  InferInputs,
  InferOptions,
  InferOutputs,
  InferResult,
  OutputName,
} from './infer-types';
import { toTensor } from './input-tensor';
import { type AnySchema, type ModelSchema, schemaFromMetadata } from './model-schema';
import type { Transport } from './transport';

/** The JSON schema of a live model, as `schema()` returns it. */
export type LiveSchema = ReturnType<typeof schemaFromMetadata>;

/**
 * One model of a server, from `client.model(name, version?, schema?)`. With a schema from
 * {@link defineSchema}, `infer()` checks input names, input data and output names at compile
 * time.
 *
 * @example
 * const mobilenet = client.model('mobilenet');
 * const { outputs } = await mobilenet.infer({ image: { data: jpegBytes, datatype: 'BYTES' } });
 */
export interface ModelClient<S extends ModelSchema = AnySchema> {
  /** The model's name. */
  readonly name: string;
  /** The model's version, when one was given. */
  readonly version: string | undefined;
  /** The model's OIP metadata (REST `GET /v2/models/{name}[/versions/{v}]`, gRPC `ModelMetadata`). */
  metadata(options?: CallOptions): Promise<ModelMetadataJSON>;
  /**
   * Whether the model can serve (REST `GET .../ready`, gRPC `ModelReady`); rejects for an
   * unknown model (`INFER_CLIENT_ERR_HTTP` 404, `INFER_CLIENT_ERR_GRPC` NOT_FOUND).
   */
  ready(options?: CallOptions): Promise<boolean>;
  /** The model's schema from its live metadata: the JSON to paste into `defineSchema()`. */
  schema(options?: CallOptions): Promise<LiveSchema>;
  /**
   * Runs the model on named inputs and returns named, typed outputs (REST `POST .../infer`,
   * gRPC `ModelInfer`). Over REST it picks JSON or the binary tensor extension by size (see
   * `binaryThreshold`); over gRPC it sends `raw_input_contents` unless told otherwise.
   */
  infer<const O extends OutputName<S> = OutputName<S>>(
    inputs: InferInputs<S>,
    options?: InferOptions<O>,
  ): Promise<InferResult<InferOutputs<S, O>>>;
}

/** @internal The implementation behind {@link ModelClient}, on any {@link Transport} (it is its own `ModelRef`). */
export class TransportModelClient<S extends ModelSchema> implements ModelClient<S> {
  readonly name: string;
  readonly version: string | undefined;
  readonly #transport: Transport;
  readonly #schema: ModelSchema | undefined;

  constructor(
    transport: Transport,
    name: string,
    version: string | undefined,
    schema: ModelSchema | undefined,
  ) {
    this.#transport = transport;
    this.name = name;
    this.version = version;
    this.#schema = schema;
  }

  metadata(options?: CallOptions): Promise<ModelMetadataJSON> {
    return this.#transport.modelMetadata(this, options);
  }

  ready(options?: CallOptions): Promise<boolean> {
    return this.#transport.modelReady(this, options);
  }

  async schema(options?: CallOptions): Promise<LiveSchema> {
    return schemaFromMetadata(await this.metadata(options));
  }

  async infer<const O extends OutputName<S> = OutputName<S>>(
    inputs: InferInputs<S>,
    options: InferOptions<O> = {},
  ): Promise<InferResult<InferOutputs<S, O>>> {
    // Options first, as before the inputs are looked at (the call checks it again, later).
    if (options.timeoutMs !== undefined) checkCount(options.timeoutMs, 'options.timeoutMs', 'ms');
    if (typeof inputs !== 'object' || inputs === null) {
      throw new InferClientError(
        'INFER_CLIENT_ERR_INVALID_INPUT',
        'inputs must be an object of inputs by name',
      );
    }
    const tensors = Object.entries(inputs).map(([name, value]) =>
      toTensor(name, value, this.#schema?.inputs[name]),
    );
    const response = await this.#transport.infer(this, tensors, options);
    const outputs: Record<string, Tensor> = {};
    for (const output of response.outputs) outputs[output.name] = output;
    // The response's fields (`model_version`, `id`, `parameters` only when set), outputs by name.
    const result: InferResult<Record<string, Tensor>> = { ...response, outputs };
    return result as unknown as InferResult<InferOutputs<S, O>>;
  }
}
