import {
  BINARY_HEADER,
  CodecError,
  decodeInferenceResponse,
  encodeInferenceRequest,
  type InferenceRequest,
  type InferenceResponse,
  type ModelMetadataJSON,
  type ServerMetadataJSON,
  type Tensor,
} from '@infer/codecs';
import { binaryBytes } from './binary-choice';
import type { ResolvedClientOptions } from './client-options';
import { InferClientError, invalidInputFrom } from './errors';
import { httpCall } from './http-call';
import type { CallOptions, InferOptions, RequestedOutput } from './infer-types';
import { jsonAnswer } from './json-answer';
import type { ModelRef, Transport } from './transport';

/**
 * The REST transport: OIP over `fetch`, JSON or the binary tensor extension.
 *
 * @internal
 */
export class HttpTransport implements Transport {
  readonly #options: ResolvedClientOptions;

  constructor(options: ResolvedClientOptions) {
    this.#options = options;
  }

  live(options: CallOptions | undefined): Promise<boolean> {
    return this.#probe('/v2/health/live', options);
  }

  ready(options: CallOptions | undefined): Promise<boolean> {
    return this.#probe('/v2/health/ready', options);
  }

  serverMetadata(options: CallOptions | undefined): Promise<ServerMetadataJSON> {
    return this.#json('/v2', options, 'server metadata', ['name', 'version'], ['extensions']);
  }

  modelMetadata(model: ModelRef, options: CallOptions | undefined): Promise<ModelMetadataJSON> {
    return this.#json(
      modelPath(model),
      options,
      `metadata of model "${model.name}"`,
      ['name'],
      ['inputs', 'outputs'],
    );
  }

  modelReady(model: ModelRef, options: CallOptions | undefined): Promise<boolean> {
    return this.#probe(`${modelPath(model)}/ready`, options, (status) => status !== 404);
  }

  async infer(
    model: ModelRef,
    tensors: Tensor[],
    options: InferOptions,
  ): Promise<InferenceResponse> {
    const binary = options.binary ?? binaryBytes(tensors) >= this.#options.binaryThreshold;
    const answer = await httpCall(this.#options, {
      ...options, // its headers, signal and timeoutMs
      method: 'POST',
      path: `${modelPath(model)}/infer`,
      body: encode(tensors, options, binary),
      // A JSON answer chosen by size alone is asked again in binary when the server cannot
      // give it in JSON (an output with NaN or Infinity): rare, and no cost to the usual call.
      binaryBody:
        binary || options.binary !== undefined ? undefined : () => encode(tensors, options, true),
    });
    return decode(answer.body, answer.headers.get(BINARY_HEADER) ?? undefined, model.name);
  }

  /** A GET whose answer is a JSON object with these string and array fields. */
  async #json<T>(
    path: string,
    options: CallOptions | undefined,
    what: string,
    strings: string[],
    arrays: string[],
  ): Promise<T> {
    const answer = await httpCall(this.#options, { method: 'GET', path, ...options });
    return jsonAnswer<T>(answer, what, strings, arrays);
  }

  /** A readiness or liveness probe: any status in `accept` is an answer (2xx: yes), never retried. */
  async #probe(
    path: string,
    options: CallOptions | undefined,
    accept: (status: number) => boolean = () => true,
  ): Promise<boolean> {
    const answer = await httpCall(this.#options, {
      method: 'GET',
      path,
      ...options,
      accept,
    });
    return answer.status >= 200 && answer.status < 300;
  }
}

function modelPath({ name, version }: ModelRef): string {
  return (
    `/v2/models/${encodeURIComponent(name)}` +
    (version === undefined ? '' : `/versions/${encodeURIComponent(version)}`)
  );
}

function requestOf(tensors: Tensor[], options: InferOptions, binary: boolean): InferenceRequest {
  // Fields left undefined are left out of the JSON.
  return {
    inputs: tensors,
    id: options.id,
    // Triton applies binary_data_output only to outputs not listed; listed ones need their own flag.
    parameters: binary ? { ...options.parameters, binary_data_output: true } : options.parameters,
    outputs: options.outputs?.map((output) => {
      const requested: RequestedOutput =
        typeof output === 'string' ? { name: output } : { ...output };
      if (binary) requested.parameters = { binary_data: true, ...requested.parameters };
      return requested;
    }),
  } as InferenceRequest;
}

function encode(
  tensors: Tensor[],
  options: InferOptions,
  binary: boolean,
): { body: Uint8Array; headers: Record<string, string> } {
  try {
    return encodeInferenceRequest(requestOf(tensors, options, binary), { binary });
  } catch (error) {
    if (!CodecError.isInstance(error)) throw error;
    // JSON cannot carry NaN, Infinity or BYTES that are not UTF-8; the binary extension carries
    // every tensor JSON can, so an automatic choice retries binary and reports its error.
    if (!binary && options.binary === undefined) return encode(tensors, options, true);
    throw invalidInputFrom(error, error.input === undefined ? '' : `inputs.${error.input}: `);
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
