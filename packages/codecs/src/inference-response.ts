import {
  BINARY_CONTENT_TYPE,
  BINARY_HEADER,
  binaryBodyParts,
  concatBytes,
} from './binary-extension';
import { booleanParameter, checkParameters } from './check-parameters';
import { describeValue } from './describe-value';
import { CodecError } from './errors';
import type { DecodeBodyOptions, EncodedBody } from './inference-request';
import { splitBody } from './inference-request';
import { asObject } from './json-body';
import { envelopeJsonText, tensorJsonText } from './json-text';
import { tensorBytes } from './tensor-bytes';
import { decodeTensorList } from './tensor-list';
import type { InferenceResponse, Parameters, RequestedOutput } from './types';
import { encodeUtf8 } from './utf8';

/** What `encodeInferenceResponse` reads from the request: which outputs go binary. */
export interface ResponseEncodingRequest {
  outputs?: RequestedOutput[] | undefined;
  parameters?: Parameters | undefined;
}

/** An encoded body as consecutive parts (their concatenation is the body) and its headers. */
export interface EncodedBodyParts {
  parts: Uint8Array[];
  /** The parts' total length: the body's `Content-Length`. */
  byteLength: number;
  headers: Record<string, string>;
}

/**
 * Encodes an inference response: JSON, unless the request asked for binary outputs (the
 * `binary_data_output` request parameter, or `binary_data` on a requested output, which
 * wins); then those outputs follow the JSON header and the headers carry
 * `inference-header-content-length` and content type `application/octet-stream`. Every
 * output is written; choosing which outputs to return is the caller's job.
 *
 * @throws CodecError when an output does not match its shape, or holds NaN/Infinity or
 *   non-UTF-8 bytes that must go in JSON.
 * @example
 * const { body, headers } = encodeInferenceResponse({ model_name: 'm', outputs: [y] }, { parameters: { binary_data_output: true } });
 */
export function encodeInferenceResponse(
  response: InferenceResponse,
  request?: ResponseEncodingRequest,
): EncodedBody {
  const { parts, byteLength, headers } = encodeInferenceResponseParts(response, request);
  return { body: parts.length === 1 ? parts[0]! : concatBytes(parts, byteLength), headers };
}

/**
 * {@link encodeInferenceResponse} without the final copy: the body as parts, the JSON (the
 * padded header, for a binary answer) and then each binary output's bytes, which are views
 * over the output tensors' data where their layout allows. A server that writes the parts
 * one after another (node:http corks them into one `writev`) saves copying a large tensor
 * answer into one buffer. The parts share memory with the outputs: write them before the
 * outputs change.
 *
 * @throws CodecError as `encodeInferenceResponse`.
 * @example
 * const { parts, byteLength, headers } = encodeInferenceResponseParts(response, request);
 * res.writeHead(200, { ...headers, 'content-length': byteLength });
 * for (const part of parts) res.write(part);
 * res.end();
 */
export function encodeInferenceResponseParts(
  response: InferenceResponse,
  request?: ResponseEncodingRequest,
): EncodedBodyParts {
  const encoded = encodeInferenceResponseBody(response, request);
  if (encoded.text === undefined) return encoded;
  const json = encodeUtf8(encoded.text);
  return { parts: [json], byteLength: json.byteLength, headers: encoded.headers };
}

/**
 * An encoded response body: a JSON answer as its `text` (a server hands the string to the
 * socket, which encodes it on the way out), or a binary-extension answer as `parts` (see
 * {@link encodeInferenceResponseParts}).
 */
export type EncodedResponseBody =
  | { text: string; parts?: undefined; byteLength?: undefined; headers: Record<string, string> }
  | (EncodedBodyParts & { text?: undefined });

/**
 * {@link encodeInferenceResponseParts}, but a JSON answer stays a string: no UTF-8 copy of
 * it is made here. `node:http` writes a string body together with the response head in one
 * write, where bytes would take a second buffer.
 *
 * @throws CodecError as `encodeInferenceResponse`.
 * @example
 * const encoded = encodeInferenceResponseBody(response, request);
 * if (encoded.text !== undefined) res.end(encoded.text);
 * else for (const part of encoded.parts) res.write(part);
 */
export function encodeInferenceResponseBody(
  response: InferenceResponse,
  request?: ResponseEncodingRequest,
): EncodedResponseBody {
  const chunks: Uint8Array[] = [];
  const outputs = response.outputs.map((tensor, i) => {
    if (!wantsBinary(tensor.name, request)) return tensorJsonText(tensor, 'outputs', i);
    const bytes = tensorBytes(tensor);
    chunks.push(bytes);
    return tensorJsonText(tensor, 'outputs', i, bytes.byteLength);
  });
  const text = envelopeJsonText(
    {
      model_name: response.model_name,
      model_version: response.model_version,
      id: response.id,
      parameters: response.parameters,
    },
    'outputs',
    outputs,
  );
  if (chunks.length === 0) return { text, headers: { 'content-type': 'application/json' } };
  const { parts, headerLength, byteLength } = binaryBodyParts(encodeUtf8(text), chunks);
  return {
    parts,
    byteLength,
    headers: { 'content-type': BINARY_CONTENT_TYPE, [BINARY_HEADER]: String(headerLength) },
  };
}

/**
 * Decodes an inference response body (client side): JSON, or the binary extension when
 * `options.headerLength` (the `Inference-Header-Content-Length` header) is given.
 *
 * @throws CodecError for anything malformed.
 * @example
 * const response = decodeInferenceResponse(new Uint8Array(await res.arrayBuffer()), { headerLength: res.headers.get('inference-header-content-length') ?? undefined });
 */
export function decodeInferenceResponse(
  body: Uint8Array | ArrayBuffer | string | unknown,
  options: DecodeBodyOptions = {},
): InferenceResponse {
  const { json, binary } = splitBody(body, options, 'response body');
  const record = asObject(json, 'response body');
  const modelName = record['model_name'];
  if (typeof modelName !== 'string') {
    throw new CodecError(`model_name must be a string, got ${describeValue(modelName)}`);
  }
  const response: InferenceResponse = { model_name: modelName, outputs: [] };
  for (const key of ['model_version', 'id'] as const) {
    const value = record[key];
    if (value === undefined) continue;
    if (typeof value !== 'string') {
      throw new CodecError(`${key} must be a string, got ${describeValue(value)}`);
    }
    response[key] = value;
  }
  const parameters = checkParameters(record['parameters'], 'parameters');
  if (parameters !== undefined) response.parameters = parameters;
  response.outputs = decodeTensorList(record['outputs'], 'outputs', binary);
  return response;
}

/** Whether an output goes binary: per-output `binary_data`, else the request's `binary_data_output`. */
function wantsBinary(name: string, request: ResponseEncodingRequest | undefined): boolean {
  const requested = request?.outputs?.find((output) => output.name === name);
  const own =
    requested?.parameters === undefined
      ? undefined
      : booleanParameter(requested.parameters, 'binary_data', `outputs "${name}" parameters`);
  if (own !== undefined) return own;
  return booleanParameter(request?.parameters, 'binary_data_output', 'parameters') ?? false;
}
