import {
  BINARY_CONTENT_TYPE,
  BINARY_HEADER,
  joinBinaryBody,
  parseHeaderLength,
} from './binary-extension';
import { booleanParameter, checkParameters } from './check-parameters';
import { describeValue } from './describe-value';
import { CodecError } from './errors';
import { keepExactIntegers } from './exact-integers';
import { asObject, parseJsonBody } from './json-body';
import { envelopeJsonText, tensorJsonText } from './json-text';
import { tensorBytes } from './tensor-bytes';
import { decodeTensorList } from './tensor-list';
import type { InferenceRequest, RequestedOutput } from './types';
import { decodeUtf8, encodeUtf8 } from './utf8';

/** Options of `decodeInferenceRequest` and `decodeInferenceResponse`. */
export interface DecodeBodyOptions {
  /**
   * The `Inference-Header-Content-Length` header (bytes of JSON before the binary tensor
   * data), as a number or the raw header string. Default: absent, the body is all JSON.
   */
  headerLength?: number | string | undefined;
  /**
   * Requests only. Read INT64 / UINT64 numbers past 2^53 with the digits written (the body is
   * parsed once more for such a tensor). `false` for a body that is `JSON.stringify` of an
   * object a body parser made: its numbers were rounded there, so such a number is refused,
   * as in an already parsed object. Default `true`.
   */
  exactIntegers?: boolean | undefined;
}

/** An encoded body and the HTTP headers (lower-case names) to send with it. */
export interface EncodedBody {
  body: Uint8Array;
  headers: Record<string, string>;
}

/**
 * Decodes an inference request body: JSON (bytes, text or an already parsed object) or,
 * when `options.headerLength` is given, the binary tensor extension (typed views over the
 * body where alignment allows, no copy). Checks everything; the typed views of a binary
 * body share its memory. A JSON body's leading byte order mark is ignored; INT64 and UINT64
 * elements written as JSON numbers past 2^53 keep the exact value written (as a
 * `BigInt64Array` or `BigUint64Array`, like every INT64 tensor), not the double
 * `JSON.parse` rounds them to.
 *
 * @throws CodecError (HTTP 400) for anything malformed, with a message naming the input,
 *   the element index and what was expected.
 * @example
 * const request = decodeInferenceRequest('{"inputs":[{"name":"x","datatype":"FP32","shape":[2],"data":[1,2]}]}');
 * request.inputs[0]?.data; // Float32Array [1, 2]
 */
export function decodeInferenceRequest(
  body: Uint8Array | ArrayBuffer | string | unknown,
  options: DecodeBodyOptions = {},
): InferenceRequest {
  const raw = body instanceof ArrayBuffer ? new Uint8Array(body) : body;
  const source = options.headerLength === undefined ? withoutByteOrderMark(raw) : raw;
  const { json, binary } = splitBody(source, options, 'request body');
  const record = asObject(json, 'request body');
  if (
    options.exactIntegers !== false &&
    (source instanceof Uint8Array || typeof source === 'string')
  ) {
    // INT64 / UINT64 numbers past 2^53 as written, not as JSON.parse rounded them.
    keepExactIntegers(record, 'inputs', () => requestJsonText(source, options));
  }
  const request: InferenceRequest = { inputs: [] };
  const id = record['id'];
  if (id !== undefined) {
    if (typeof id !== 'string')
      throw new CodecError(`id must be a string, got ${describeValue(id)}`);
    request.id = id;
  }
  const parameters = checkParameters(record['parameters'], 'parameters');
  booleanParameter(parameters, 'binary_data_output', 'parameters');
  if (parameters !== undefined) request.parameters = parameters;
  request.inputs = decodeTensorList(record['inputs'], 'inputs', binary);
  const outputs = record['outputs'];
  if (outputs !== undefined) request.outputs = decodeRequestedOutputs(outputs);
  return request;
}

/** The JSON text of a request body that `splitBody` parsed (its header, with the extension). */
function requestJsonText(body: Uint8Array | string, options: DecodeBodyOptions): string {
  if (typeof body === 'string') return body;
  const length =
    options.headerLength === undefined
      ? body.byteLength
      : parseHeaderLength(options.headerLength, body.byteLength);
  return decodeUtf8(body.subarray(0, length), 'request body');
}

/**
 * A JSON body without its leading byte order mark (U+FEFF, bytes EF BB BF), which Windows
 * tools write and `JSON.parse` rejects; RFC 8259 (8.1) lets a parser ignore it. Binary
 * bodies (the JSON header's length counts every byte) are left as they are.
 */
function withoutByteOrderMark(body: unknown): unknown {
  if (typeof body === 'string') return body.charCodeAt(0) === 0xfeff ? body.slice(1) : body;
  if (body instanceof Uint8Array && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) {
    return body.subarray(3);
  }
  return body;
}

/** @internal The JSON part and the binary part (if any) of a body. */
export function splitBody(
  body: unknown,
  options: DecodeBodyOptions,
  what: string,
): { json: unknown; binary: Uint8Array | undefined } {
  const bytes = body instanceof ArrayBuffer ? new Uint8Array(body) : body;
  if (options.headerLength !== undefined) {
    if (!(bytes instanceof Uint8Array)) {
      throw new CodecError(
        `a ${what} with Inference-Header-Content-Length must be bytes (Uint8Array), got ${typeof bytes}`,
      );
    }
    const length = parseHeaderLength(options.headerLength, bytes.byteLength);
    return {
      json: parseJsonBody(bytes.subarray(0, length), `the JSON header of the ${what}`),
      binary: bytes.subarray(length),
    };
  }
  if (bytes instanceof Uint8Array || typeof bytes === 'string') {
    return { json: parseJsonBody(bytes, what), binary: undefined };
  }
  return { json: bytes, binary: undefined };
}

function decodeRequestedOutputs(value: unknown): RequestedOutput[] {
  if (!Array.isArray(value)) {
    throw new CodecError(`outputs must be an array, got ${describeValue(value)}`);
  }
  const names = new Set<string>();
  return value.map((item, i) => {
    const output = asObject(item, `outputs[${i}]`);
    const name = output['name'];
    if (typeof name !== 'string' || name.length === 0) {
      throw new CodecError(
        `outputs[${i}].name must be a non-empty string, got ${describeValue(name)}`,
      );
    }
    if (names.has(name)) {
      throw new CodecError(`outputs[${i}]: duplicate name ${JSON.stringify(name)}`, {
        input: name,
      });
    }
    names.add(name);
    const where = `outputs[${i}] ${JSON.stringify(name)}: parameters`;
    const parameters = checkParameters(output['parameters'], where, name);
    booleanParameter(parameters, 'binary_data', where);
    return parameters === undefined ? { name } : { name, parameters };
  });
}

/**
 * Encodes an inference request (client side): JSON, or with `binary: true` every input's
 * data after the JSON header (binary tensor extension).
 *
 * @example
 * const { body, headers } = encodeInferenceRequest({ inputs: [tensor] }, { binary: true });
 * await fetch(url, { method: 'POST', body, headers });
 */
export function encodeInferenceRequest(
  request: InferenceRequest,
  options: { binary?: boolean } = {},
): EncodedBody {
  const binary = options.binary === true;
  const chunks: Uint8Array[] = [];
  const inputs = request.inputs.map((tensor, i) => {
    if (!binary) return tensorJsonText(tensor, 'inputs', i);
    const bytes = tensorBytes(tensor);
    chunks.push(bytes);
    return tensorJsonText(tensor, 'inputs', i, bytes.byteLength);
  });
  const text = envelopeJsonText(
    { id: request.id, parameters: request.parameters, outputs: request.outputs },
    'inputs',
    inputs,
  );
  const json = encodeUtf8(text);
  if (!binary) return { body: json, headers: { 'content-type': 'application/json' } };
  const { body, headerLength } = joinBinaryBody(json, chunks);
  return {
    body,
    headers: { 'content-type': BINARY_CONTENT_TYPE, [BINARY_HEADER]: String(headerLength) },
  };
}
