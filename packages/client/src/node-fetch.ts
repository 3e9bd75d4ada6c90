/**
 * The REST transport's `fetch` in Node: `node:http` / `node:https` with keep-alive
 * connections, answering as `fetch` (undici) does for what the transport sends and reads,
 * at about half of `fetch`'s CPU per call (see the "Client overhead" section of
 * docs/benchmarks.md). Node only: the main entry never imports this file.
 */
import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { brotliDecompress, constants, gunzip, inflate, inflateRaw } from 'node:zlib';
import type { FetchLike } from './client-options';

/** One request on its way, redirects included. */
interface Exchange {
  method: string;
  url: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: Uint8Array | undefined;
  signal: AbortSignal | undefined;
}

/** An answer as it came, body read and not decoded. */
interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Uint8Array;
}

/** Options of {@link createNodeFetch}. @internal */
export interface NodeFetchOptions {
  /** A call fails once the server sends nothing for this long (ms): undici's 300 s. */
  stallMs: number;
}

/** As undici: an idle connection closes after 4 s, or 1 s before the server's `Keep-Alive: timeout`. */
const IDLE_MS = 4_000;
/** As fetch: at most 20 redirects. */
const MAX_REDIRECTS = 20;
/** As undici: at most 5 content codings. */
const MAX_CODINGS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Statuses whose answer has no body (fetch's null body statuses). */
const NULL_BODY = new Set([101, 204, 205, 304]);
/** Headers about the body, dropped when a redirect turns the request into a GET. */
const BODY_HEADERS = [
  'content-type',
  'content-length',
  'content-encoding',
  'content-language',
  'content-location',
  'inference-header-content-length',
];
/** Credentials, dropped when a redirect leads to another origin (as fetch does). */
const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie'];

let agents: { http: HttpAgent; https: HttpsAgent } | undefined;

/** The process-wide agents, made on first use (importing this module starts nothing). */
function agentsNow(): { http: HttpAgent; https: HttpsAgent } {
  // `timeout` is the free-socket timeout, which the server's Keep-Alive hint can shorten.
  const options = { keepAlive: true, timeout: IDLE_MS, noDelay: true };
  agents ??= { http: new HttpAgent(options), https: new HttpsAgent(options) };
  return agents;
}

/**
 * A `fetch` for the REST transport over `node:http(s)`: sends one request and reads the whole
 * answer, following redirects and decoding the answer as `fetch` does. Its `Response` has
 * what the transport reads (`status`, `ok`, `headers.get()`, `arrayBuffer()`), nothing more:
 * it is the client's default in Node, not a general `fetch`. Settings of Node's own `fetch`
 * (undici's `setGlobalDispatcher`: a proxy, a CA, mTLS) do not apply to it.
 *
 * @internal
 */
export function createNodeFetch(options: NodeFetchOptions): FetchLike {
  return async (url, init) => {
    const target = new URL(url);
    if (target.username !== '' || target.password !== '') {
      throw new TypeError(
        `Request cannot be constructed from a URL that includes credentials: ${url}`,
      );
    }
    const exchange: Exchange = {
      method: (init.method ?? 'GET').toUpperCase(),
      url,
      headers: normalised(init.headers),
      body: bodyBytes(init.body),
      signal: init.signal ?? undefined,
    };
    const answer = await sendFollowing(exchange, options, 0);
    const plain = NULL_BODY.has(answer.status) || exchange.method === 'HEAD';
    const body = plain
      ? answer.body
      : await decoded(answer.body, answer.headers['content-encoding']);
    return responseOf(answer, body);
  };
}

/** The client's default `fetch` in Node. @internal */
export const nodeFetch: FetchLike = createNodeFetch({ stallMs: 300_000 });

/** What the transport reads of a `Response`. */
function responseOf({ status, headers }: Answer, body: Uint8Array): Response {
  const response = {
    status,
    ok: status >= 200 && status < 300,
    headers: {
      get(name: string): string | null {
        const value = headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
    },
    // The body's own memory when it is all of it (what is read off the socket), else a copy
    // (a decoder's output can be a view into a larger buffer).
    arrayBuffer: async (): Promise<ArrayBuffer> =>
      (body.byteOffset === 0 && body.byteLength === body.buffer.byteLength
        ? body.buffer
        : body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength)) as ArrayBuffer,
  };
  return response as unknown as Response;
}

/** A request body as bytes: what the transport sends (bytes), or a string. */
function bodyBytes(body: RequestInit['body']): Uint8Array | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body);
  if (ArrayBuffer.isView(body)) {
    return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  }
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  throw new TypeError('the client sends bodies as bytes or strings only');
}

/**
 * The headers as fetch sends them: lower-case names, values without leading or trailing
 * whitespace, the values of one name (in any case) joined by `, `, and fetch's
 * `accept-encoding` unless one is set.
 */
function normalised(headers: RequestInit['headers']): Record<string, string> {
  // The transport passes a plain object; a Headers or a list goes through Headers' own rules.
  const entries: Iterable<[string, string]> =
    headers === undefined
      ? []
      : Array.isArray(headers) || headers instanceof Headers
        ? new Headers(headers as ConstructorParameters<typeof Headers>[0])
        : Object.entries(headers as Record<string, string>);
  const out: Record<string, string> = {};
  for (const [name, raw] of entries) {
    const key = name.toLowerCase();
    const value = String(raw).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
    out[key] = out[key] === undefined ? value : `${out[key]}, ${value}`;
  }
  out['accept-encoding'] ??= 'gzip, deflate, br';
  return out;
}

async function sendFollowing(
  exchange: Exchange,
  options: NodeFetchOptions,
  redirects: number,
): Promise<Answer> {
  const answer = await sendOnce(exchange, options, true);
  const location = REDIRECTS.has(answer.status) ? answer.headers.location : undefined;
  if (location === undefined) return answer;
  if (redirects >= MAX_REDIRECTS) throw new TypeError(`more than ${MAX_REDIRECTS} redirects`);
  return sendFollowing(redirected(exchange, answer.status, location), options, redirects + 1);
}

/** The request a redirect asks for: fetch's rules for the method, the body and credentials. */
function redirected(exchange: Exchange, status: number, location: string): Exchange {
  const from = new URL(exchange.url);
  const to = new URL(location, from);
  const headers = { ...exchange.headers };
  const next: Exchange = { ...exchange, url: to.href, headers };
  if (status === 303 || ((status === 301 || status === 302) && exchange.method === 'POST')) {
    if (exchange.method !== 'HEAD') next.method = 'GET';
    next.body = undefined;
    for (const name of BODY_HEADERS) delete headers[name];
  }
  if (to.origin !== from.origin) for (const name of CREDENTIAL_HEADERS) delete headers[name];
  return next;
}

/**
 * One request. `retryStale`: a GET whose kept-alive connection the server reset just as it
 * was reused (before any answer) is tried once more on a new connection. A POST is not: the
 * server may have run it (fetch does not resend one either); the client's `retry` decides.
 */
function sendOnce(
  exchange: Exchange,
  options: NodeFetchOptions,
  retryStale: boolean,
): Promise<Answer> {
  const { method, url, body, signal } = exchange;
  return new Promise<Answer>((resolve, reject) => {
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    if (!secure && target.protocol !== 'http:') {
      throw new TypeError(`${url}: only http: and https: URLs can be called`);
    }
    const headers: OutgoingHttpHeaders = { ...exchange.headers };
    if (body !== undefined) headers['content-length'] = body.byteLength;
    const requestOptions = {
      method,
      headers,
      agent: secure ? agentsNow().https : agentsNow().http,
    };
    if (signal !== undefined) Object.assign(requestOptions, { signal });
    // Cut by the signal: rejected with its reason, as fetch does (an AbortError by default).
    const fail = (error: unknown) => reject(signal?.aborted ? signal.reason : error);
    let answered = false;
    const request = (secure ? httpsRequest : httpRequest)(target, requestOptions, (response) => {
      answered = true;
      readAnswer(response).then(resolve, fail);
    });
    // A server that sends nothing for `stallMs` (headers or body) ends the call, as undici's
    // headersTimeout / bodyTimeout do.
    request.setTimeout(options.stallMs, () => {
      const error = new Error(`${url}: the server sent nothing for ${options.stallMs} ms`);
      request.destroy(Object.assign(error, { code: 'ETIMEDOUT' }));
    });
    request.once('error', (error: NodeJS.ErrnoException) => {
      if (answered) return; // the answer's own reader reports it
      const stale = request.reusedSocket && error.code === 'ECONNRESET';
      if (retryStale && stale && method === 'GET' && !signal?.aborted) {
        sendOnce(exchange, options, false).then(resolve, reject);
      } else {
        fail(error);
      }
    });
    request.end(body);
  });
}

/** The whole answer body, as it came. */
function readAnswer(response: IncomingMessage): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    let ended = false;
    response.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
    });
    response.once('error', reject);
    response.once('close', () => {
      if (!ended) reject(new Error('the connection closed before the answer was complete'));
    });
    response.once('end', () => {
      ended = true;
      const body = new Uint8Array(length);
      let at = 0;
      for (const chunk of chunks) {
        body.set(chunk, at);
        at += chunk.length;
      }
      resolve({ status: response.statusCode ?? 0, headers: response.headers, body });
    });
  });
}

type Inflate = (
  bytes: Uint8Array,
  options: object,
  done: (error: Error | null, out: Buffer) => void,
) => void;

const DECODERS: Record<string, Inflate> = {
  gzip: gunzip,
  'x-gzip': gunzip,
  deflate: (bytes, options, done) =>
    // "deflate" is zlib-wrapped by the standard, raw from some servers: fetch takes both.
    inflate(bytes, options, (error, out) =>
      error === null ? done(null, out) : inflateRaw(bytes, options, done),
    ),
  br: brotliDecompress,
};

/**
 * `bytes` with the codings of `contentEncoding` undone, last applied first, as undici does:
 * more than five codings is an error, and one it does not know leaves the body as it came.
 */
async function decoded(
  bytes: Uint8Array,
  contentEncoding: string | undefined,
): Promise<Uint8Array> {
  if (contentEncoding === undefined) return bytes;
  const codings = contentEncoding
    .toLowerCase()
    .split(',')
    .map((coding) => coding.trim());
  if (codings.length > MAX_CODINGS) {
    throw new TypeError(
      `too many content-encodings in response: ${codings.length}, maximum allowed is ${MAX_CODINGS}`,
    );
  }
  if (!codings.every((coding) => DECODERS[coding] !== undefined)) return bytes;
  let body = bytes;
  for (const coding of codings.reverse()) {
    const decode = DECODERS[coding]!;
    // Lenient about a missing end, as fetch is: what arrived is the answer.
    const flush =
      coding === 'br'
        ? { finishFlush: constants.BROTLI_OPERATION_FLUSH }
        : { finishFlush: constants.Z_SYNC_FLUSH };
    body = await new Promise<Uint8Array>((resolve, reject) =>
      decode(body, flush, (error, out) => (error === null ? resolve(out) : reject(error))),
    );
  }
  return body;
}
