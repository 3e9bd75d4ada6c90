/**
 * The REST transport's `fetch` in Node: `node:http` / `node:https` with keep-alive
 * connections, answering as `fetch` does (redirects followed, gzip / deflate / br answers
 * decoded), at about half of `fetch`'s CPU per call (see the "Client overhead" section of
 * docs/benchmarks.md). Node only: the main entry never imports this file.
 */
import {
  Agent as HttpAgent,
  request as httpRequest,
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

/** A finished answer, body read. */
interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: Uint8Array;
}

/** An idle connection closes after this (ms), or 1 s before a server's `Keep-Alive: timeout`. */
const IDLE_MS = 30_000;
/** As fetch: at most 20 redirects. */
const MAX_REDIRECTS = 20;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
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
  // `timeout` is also the free-socket timeout the server's Keep-Alive hint can shorten.
  const options = { keepAlive: true, timeout: IDLE_MS, noDelay: true };
  agents ??= { http: new HttpAgent(options), https: new HttpsAgent(options) };
  return agents;
}

/**
 * `fetch` for the REST transport over `node:http(s)`: sends one request and reads the whole
 * answer, following redirects as `fetch` does (`redirect: 'follow'`). Its `Response` has what
 * the transport reads (`status`, `ok`, `headers.get()`, `arrayBuffer()`), nothing more: it is
 * the client's default in Node, not a general `fetch`.
 *
 * @internal
 */
export const nodeFetch: FetchLike = async (url, init) => {
  const exchange: Exchange = {
    method: init.method ?? 'GET',
    url,
    headers: lowerCased(init.headers),
    body: bodyBytes(init.body),
    signal: init.signal ?? undefined,
  };
  return responseOf(await sendFollowing(exchange, 0));
};

/** What the transport reads of a `Response`. */
function responseOf({ status, headers, body }: Answer): Response {
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
  if (ArrayBuffer.isView(body))
    return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  throw new TypeError('the client sends bodies as bytes or strings only');
}

async function sendFollowing(exchange: Exchange, redirects: number): Promise<Answer> {
  const answer = await sendOnce(exchange, true);
  const location = REDIRECTS.has(answer.status) ? answer.headers.location : undefined;
  if (location === undefined) return answer;
  if (redirects >= MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects`);
  return sendFollowing(redirected(exchange, answer.status, location), redirects + 1);
}

/** The request a redirect asks for: fetch's rules for the method, the body and credentials. */
function redirected(exchange: Exchange, status: number, location: string): Exchange {
  const from = new URL(exchange.url);
  const to = new URL(location, from);
  const headers = { ...exchange.headers };
  const next: Exchange = { ...exchange, url: to.href, headers };
  if (status === 303 || ((status === 301 || status === 302) && exchange.method === 'POST')) {
    next.method = 'GET';
    next.body = undefined;
    for (const name of BODY_HEADERS) delete headers[name];
  }
  if (to.origin !== from.origin) for (const name of CREDENTIAL_HEADERS) delete headers[name];
  return next;
}

/** The headers with lower-case names, and fetch's `accept-encoding` unless one is set. */
function lowerCased(headers: RequestInit['headers']): Record<string, string> {
  const lower: Record<string, string> = { 'accept-encoding': 'gzip, deflate, br' };
  // The transport passes a plain object; a Headers or a list goes through Headers' own rules.
  const entries: Iterable<[string, string]> =
    headers === undefined
      ? []
      : Array.isArray(headers) || headers instanceof Headers
        ? new Headers(headers as ConstructorParameters<typeof Headers>[0])
        : Object.entries(headers as Record<string, string>);
  for (const [name, value] of entries) lower[name.toLowerCase()] = value;
  return lower;
}

/**
 * One request; `retryStale`: a kept-alive connection that the server closed just as it was
 * reused (reset before any answer) is tried once more on a new connection.
 */
function sendOnce(exchange: Exchange, retryStale: boolean): Promise<Answer> {
  const { method, url, body, signal } = exchange;
  return new Promise<Answer>((resolve, reject) => {
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    if (!secure && target.protocol !== 'http:') {
      throw new TypeError(`${url}: only http: and https: URLs can be called`);
    }
    const headers: OutgoingHttpHeaders = { ...exchange.headers };
    if (body !== undefined) headers['content-length'] = body.byteLength;
    const options = { method, headers, agent: secure ? agentsNow().https : agentsNow().http };
    if (signal !== undefined) Object.assign(options, { signal });
    // Cut by the signal: rejected with its reason, as fetch does (an AbortError by default).
    const fail = (error: unknown) => reject(signal?.aborted ? signal.reason : error);
    let answered = false;
    const request = (secure ? httpsRequest : httpRequest)(target, options, (response) => {
      answered = true;
      readAnswer(response).then(resolve, fail);
    });
    request.once('error', (error: NodeJS.ErrnoException) => {
      if (answered) return; // the answer's own reader reports it
      if (retryStale && request.reusedSocket && error.code === 'ECONNRESET' && !signal?.aborted) {
        sendOnce(exchange, false).then(resolve, reject);
      } else {
        fail(error);
      }
    });
    request.end(body);
  });
}

/** The whole answer body, decoded from its `content-encoding` as fetch does. */
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
      const bytes = new Uint8Array(length);
      let at = 0;
      for (const chunk of chunks) {
        bytes.set(chunk, at);
        at += chunk.length;
      }
      const { headers } = response;
      decoded(bytes, headers['content-encoding']).then(
        (body) => resolve({ status: response.statusCode ?? 0, headers, body }),
        reject,
      );
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

/** `bytes` with the codings of `contentEncoding` undone, last applied first; unknown ones kept. */
async function decoded(
  bytes: Uint8Array,
  contentEncoding: string | undefined,
): Promise<Uint8Array> {
  if (contentEncoding === undefined) return bytes;
  const codings = contentEncoding
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
  let body = bytes;
  for (const coding of codings.reverse()) {
    const decode = DECODERS[coding];
    if (decode === undefined) return body;
    // Lenient about a missing end, as fetch is: what arrived is the answer.
    const options =
      coding === 'br'
        ? { finishFlush: constants.BROTLI_OPERATION_FLUSH }
        : { finishFlush: constants.Z_SYNC_FLUSH };
    body = await new Promise<Uint8Array>((resolve, reject) =>
      decode(body, options, (error, out) => (error === null ? resolve(out) : reject(error))),
    );
  }
  return body;
}
