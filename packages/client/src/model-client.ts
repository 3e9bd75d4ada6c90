import {
  BINARY_HEADER,
  CodecError,
  decodeInferenceResponse,
  encodeInferenceRequest,
  type InferenceRequest,
  type InferenceResponse,
  type ModelMetadataJSON,
  type Tensor,
} from '@infer/codecs';
import { chooseBinary } from './binary-choice';
import { checkCount, type ResolvedClientOptions } from './client-options';
import { InferClientError } from './errors';
import { httpCall } from './http-call';
import type {
  CallOptions,
  InferInputs,
  InferOptions,
  InferOutputs,
  InferResult,
  OutputName,
} from './infer-types';
import { toTensor } from './input-tensor';
import { jsonAnswer } from './json-answer';
import { type AnySchema, type ModelSchema, schemaFromMetadata } from './model-schema';

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
  /** `GET /v2/models/{name}[/versions/{v}]`: the model's OIP metadata. */
  metadata(options?: CallOptions): Promise<ModelMetadataJSON>;
  /** `GET .../ready`: `true` when the model can serve; rejects `INFER_CLIENT_ERR_HTTP` 404 for an unknown model. */
  ready(options?: CallOptions): Promise<boolean>;
  /** The model's schema from its live metadata: the JSON to paste into `defineSchema()`. */
  schema(options?: CallOptions): Promise<LiveSchema>;
  /**
   * `POST .../infer`: runs the model on named inputs and returns named, typed outputs. Picks
   * JSON or the binary tensor extension by size (see `binaryThreshold`).
   */
  infer<const O extends OutputName<S> = OutputName<S>>(
    inputs: InferInputs<S>,
    options?: InferOptions<O>,
  ): Promise<InferResult<InferOutputs<S, O>>>;
}

/** @internal The implementation behind {@link ModelClient}. */
export class HttpModelClient<S extends ModelSchema> implements ModelClient<S> {
  readonly name: string;
  readonly version: string | undefined;
  readonly #options: ResolvedClientOptions;
  readonly #schema: ModelSchema | undefined;
  readonly #path: string;

  constructor(
    options: ResolvedClientOptions,
    name: string,
    version: string | undefined,
    schema: ModelSchema | undefined,
  ) {
    this.#options = options;
    this.name = name;
    this.version = version;
    this.#schema = schema;
    this.#path =
      `/v2/models/${encodeURIComponent(name)}` +
      (version === undefined ? '' : `/versions/${encodeURIComponent(version)}`);
  }

  async metadata(options: CallOptions = {}): Promise<ModelMetadataJSON> {
    const answer = await httpCall(this.#options, { method: 'GET', path: this.#path, ...options });
    return jsonAnswer<ModelMetadataJSON>(answer, `metadata of model "${this.name}"`, {
      strings: ['name'],
      arrays: ['inputs', 'outputs'],
    });
  }

  async ready(options: CallOptions = {}): Promise<boolean> {
    const answer = await httpCall(this.#options, {
      method: 'GET',
      path: `${this.#path}/ready`,
      ...options,
      retry503: false,
      accept: (status) => status !== 404,
    });
    return answer.status >= 200 && answer.status < 300;
  }

  async schema(options: CallOptions = {}): Promise<LiveSchema> {
    return schemaFromMetadata(await this.metadata(options));
  }

  async infer<const O extends OutputName<S> = OutputName<S>>(
    inputs: InferInputs<S>,
    options: InferOptions<O> = {},
  ): Promise<InferResult<InferOutputs<S, O>>> {
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
    const binary = chooseBinary(tensors, options.binary, this.#options.binaryThreshold);
    const { body, headers } = encode(requestOf(tensors, options, binary), binary);
    const answer = await httpCall(this.#options, {
      method: 'POST',
      path: `${this.#path}/infer`,
      body,
      headers: { ...options.headers, ...headers },
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
    const response = decode(answer.body, answer.headers.get(BINARY_HEADER) ?? undefined, this.name);
    const outputs: Record<string, Tensor> = {};
    for (const output of response.outputs) outputs[output.name] = output;
    const result: InferResult<Record<string, Tensor>> = {
      model_name: response.model_name,
      outputs,
    };
    if (response.model_version !== undefined) result.model_version = response.model_version;
    if (response.id !== undefined) result.id = response.id;
    if (response.parameters !== undefined) result.parameters = response.parameters;
    return result as unknown as InferResult<InferOutputs<S, O>>;
  }
}

function requestOf(tensors: Tensor[], options: InferOptions, binary: boolean): InferenceRequest {
  const request: InferenceRequest = { inputs: tensors };
  if (options.id !== undefined) request.id = options.id;
  // Triton applies binary_data_output only to outputs not listed; listed ones need their own flag.
  const parameters = binary
    ? { ...options.parameters, binary_data_output: true }
    : options.parameters;
  if (parameters !== undefined) request.parameters = parameters;
  if (options.outputs !== undefined) {
    request.outputs = options.outputs.map((name) =>
      binary ? { name, parameters: { binary_data: true } } : { name },
    );
  }
  return request;
}

function encode(
  request: InferenceRequest,
  binary: boolean,
): { body: Uint8Array; headers: Record<string, string> } {
  try {
    return encodeInferenceRequest(request, { binary });
  } catch (error) {
    if (!CodecError.isInstance(error)) throw error;
    const where = error.input === undefined ? '' : `inputs.${error.input}: `;
    throw new InferClientError('INFER_CLIENT_ERR_INVALID_INPUT', `${where}${error.message}`, {
      cause: error,
    });
  }
}

function decode(
  body: Uint8Array,
  headerLength: string | undefined,
  model: string,
): InferenceResponse {
  try {
    return decodeInferenceResponse(body, { headerLength });
  } catch (error) {
    throw new InferClientError(
      'INFER_CLIENT_ERR_DECODE',
      `the response of model "${model}" is not a valid OIP inference response: ${(error as Error).message}`,
      { cause: error },
    );
  }
}
