/**
 * HTTP content codings (RFC 9110 section 8.4) for the Node adapters: request bodies sent with
 * `Content-Encoding: gzip | deflate` are decoded before the service sees them, and
 * `serve()` / `createNodeHandler` can compress answers for clients that send
 * `Accept-Encoding`. This is what tritonclient's `request_compression_algorithm` and
 * `response_compression_algorithm` speak. HTTP, not protocol: the service only ever sees
 * identity bodies. zlib runs on libuv's thread pool, so decoding does not block the event loop;
 * at most two bodies are decoded at a time, so that fs and dns keep threads of the pool.
 *
 * Brotli is not decoded: no inference client sends it (tritonclient and the browsers'
 * `CompressionStream` have gzip and deflate), and it inflates a few bytes into the whole body
 * limit (64 MiB from about 100 bytes), where gzip needs 1 byte for about 1000.
 *
 * @internal
 */
import { constants as bufferConstants } from 'node:buffer';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import {
  BadRequestError,
  BodyTooLargeError,
  InvalidOptionError,
  UnsupportedContentEncodingError,
} from '../errors';
import { bodyLength, type ServiceRequest, type ServiceResponse } from './service-contract';

type Transform = (input: Uint8Array, options: zlib.ZlibOptions) => Promise<Buffer>;

const gunzip = promisify(zlib.gunzip) as Transform;
const inflate = promisify(zlib.inflate) as Transform;
const inflateRaw = promisify(zlib.inflateRaw) as Transform;
const gzip = promisify(zlib.gzip) as Transform;
const deflate = promisify(zlib.deflate) as Transform;

/** The request content codings the adapters decode, `x-gzip` being an alias of `gzip`. */
export const REQUEST_CODINGS = ['gzip', 'deflate'] as const;

/** Bodies decoded at once; the others wait their turn (libuv's pool has 4 threads). */
const MAX_CONCURRENT_DECODES = 2;
let decoding = 0;
const waiting: (() => void)[] = [];

/** Layers of coding one body may carry (`Content-Encoding: deflate, gzip` is two). */
const MAX_CODING_LAYERS = 2;

/**
 * Decodes `request.body` in place when its `Content-Encoding` is not identity, and drops the
 * header, so the service gets the bytes the client encoded. The decoded size is held to
 * `limit` while inflating (a small "zip bomb" body stops at the limit, 413).
 *
 * Unknown codings (`br` included) are 415 with the accepted ones in `Accept-Encoding`;
 * bytes that are not valid data for the coding are 400. A request without a body is left
 * alone whatever its header says.
 *
 * @example
 * if (request.headers['content-encoding'] !== undefined) await decodeRequestBody(request, limit);
 */
export async function decodeRequestBody(request: ServiceRequest, limit: number): Promise<void> {
  const header = request.headers['content-encoding'];
  delete request.headers['content-encoding'];
  let body = request.body;
  if (body === undefined || body.byteLength === 0) return; // nothing was coded
  const codings = codingsOf(header);
  if (codings.length === 0) return;
  if (decoding >= MAX_CONCURRENT_DECODES) await new Promise<void>((go) => waiting.push(go));
  decoding++;
  try {
    // Codings are listed in the order they were applied: undo the last first.
    for (const coding of codings.reverse()) body = await decodeOne(coding, body, limit);
  } finally {
    decoding--;
    waiting.shift()?.();
  }
  request.body = body;
}

/** Lower-cased codings of a `Content-Encoding` value, identity left out; checked before any work. */
function codingsOf(header: string | undefined): string[] {
  const codings: string[] = [];
  for (const part of (header ?? '').split(',')) {
    const coding = part.trim().toLowerCase();
    if (coding === '' || coding === 'identity') continue;
    const known = coding === 'x-gzip' ? 'gzip' : coding;
    if (!(REQUEST_CODINGS as readonly string[]).includes(known)) {
      throw new UnsupportedContentEncodingError({ encoding: coding, accepted: REQUEST_CODINGS });
    }
    codings.push(known);
  }
  if (codings.length > MAX_CODING_LAYERS) {
    throw new BadRequestError(
      `Content-Encoding lists ${codings.length} codings; at most ${MAX_CODING_LAYERS} are decoded`,
    );
  }
  return codings;
}

async function decodeOne(coding: string, body: Uint8Array, limit: number): Promise<Uint8Array> {
  const options = { maxOutputLength: Math.min(limit, bufferConstants.MAX_LENGTH) };
  try {
    if (coding === 'gzip') return plain(await gunzip(body, options));
    // "deflate" is the zlib format (RFC 1950); some clients send raw deflate (RFC 1951).
    try {
      return plain(await inflate(body, options));
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'Z_DATA_ERROR') throw error;
      return plain(await inflateRaw(body, options));
    }
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new BodyTooLargeError({ limitBytes: limit, contentEncoding: coding });
    }
    throw new BadRequestError(
      `request body is not valid ${coding} data (${(error as Error).message})`,
      { cause: error },
    );
  }
}

/** A plain `Uint8Array` view of a zlib `Buffer` (codecs must never get a Buffer). */
function plain(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** Response compression of `serve()` and `createNodeHandler`. */
export interface CompressionOptions {
  /** Smallest body, in bytes, worth compressing. Default `1024`. */
  threshold?: number;
  /** zlib level, `1` (fastest) to `9` (smallest). Default `6` (zlib's default). */
  level?: number;
}

/** Compression options after validation. @internal */
export interface ResolvedCompression {
  threshold: number;
  level: number;
}

/**
 * Validates the `compression` option: `false`/`undefined` is off (`undefined` returned),
 * `true` the defaults.
 *
 * @example
 * resolveCompression(true); // { threshold: 1024, level: 6 }
 */
export function resolveCompression(
  option: boolean | CompressionOptions | undefined,
  path = 'options.compression',
): ResolvedCompression | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) return { threshold: 1024, level: 6 };
  if (typeof option !== 'object' || option === null) {
    throw new InvalidOptionError(path, 'must be a boolean or { threshold?, level? }');
  }
  const threshold = option.threshold ?? 1024;
  if (!Number.isSafeInteger(threshold) || threshold < 0) {
    throw new InvalidOptionError(`${path}.threshold`, 'must be a non-negative integer (bytes)');
  }
  const level = option.level ?? 6;
  if (!Number.isInteger(level) || level < 1 || level > 9) {
    throw new InvalidOptionError(`${path}.level`, 'must be an integer from 1 to 9');
  }
  return { threshold, level };
}

/** Response codings in the server's order of preference when the client weighs them equally. */
const RESPONSE_CODINGS = ['gzip', 'deflate'] as const;
type ResponseCoding = (typeof RESPONSE_CODINGS)[number];

/**
 * The coding to answer with for an `Accept-Encoding` value: the acceptable one (q > 0) with the
 * highest weight, `gzip` before `deflate` on a tie; `*` stands for codings not listed.
 * `undefined` (identity) when the header is absent or accepts neither.
 *
 * @example
 * negotiateCoding('deflate;q=1, gzip;q=0.5'); // 'deflate'
 */
export function negotiateCoding(header: string | undefined): ResponseCoding | undefined {
  if (header === undefined || header === '') return undefined;
  const weights = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name, ...params] = part.split(';');
    const coding = name!.trim().toLowerCase();
    if (coding === '') continue;
    let q = 1;
    for (const param of params) {
      const [key, value] = param.split('=');
      if (key?.trim().toLowerCase() === 'q') q = Number(value?.trim());
    }
    weights.set(coding === 'x-gzip' ? 'gzip' : coding, Number.isFinite(q) ? q : 0);
  }
  let best: ResponseCoding | undefined;
  let bestQ = 0;
  for (const coding of RESPONSE_CODINGS) {
    const q = weights.get(coding) ?? weights.get('*') ?? 0;
    if (q > bestQ) {
      best = coding;
      bestQ = q;
    }
  }
  return best;
}

/**
 * Compresses `response` for a client whose `Accept-Encoding` is `acceptEncoding`, when the
 * body reaches the threshold and carries no coding yet; adds `Vary: Accept-Encoding` to
 * every answer (HEAD included, whose body is empty), since the answer depends on it. A binary
 * tensor answer keeps its `Inference-Header-Content-Length`: it counts the JSON header of the
 * decoded body, and its parts are joined only when it is compressed.
 *
 * @example
 * const sent = await encodeResponse(response, req.headers['accept-encoding'], { threshold: 1024, level: 6 });
 */
export async function encodeResponse(
  response: ServiceResponse,
  acceptEncoding: string | undefined,
  options: ResolvedCompression,
): Promise<ServiceResponse> {
  if (response.headers['content-encoding'] !== undefined) return response;
  const vary = response.headers.vary;
  const headers: Record<string, string> = {
    ...response.headers,
    vary: vary === undefined || vary === '' ? 'accept-encoding' : `${vary}, accept-encoding`,
  };
  const coding = negotiateCoding(acceptEncoding);
  const length = bodyLength(response);
  // A HEAD answer has no body, but the length the GET's would have: when that GET would be
  // compressed, the HEAD names the coding too, and no length (its compressed length is not
  // known without compressing).
  const announced = length === 0 ? Number(response.headers['content-length']) : Number.NaN;
  if (coding !== undefined && announced > 0 && announced >= options.threshold) {
    delete headers['content-length'];
    headers['content-encoding'] = coding;
    response.headers = headers;
    return response;
  }
  if (coding === undefined || length < options.threshold || length === 0) {
    // The response is this request's own: keep it (and its body parts, not joined).
    response.headers = headers;
    return response;
  }
  const { body } = response;
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const compress = coding === 'gzip' ? gzip : deflate;
  const compressed = await compress(bytes, { level: options.level });
  headers['content-encoding'] = coding;
  return { status: response.status, headers, body: plain(compressed) };
}
