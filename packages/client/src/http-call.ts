import type { ResolvedClientOptions } from './client-options';
import { InferClientError } from './errors';
import { retryingCall } from './retrying-call';

/** One HTTP call the client makes. @internal */
export interface HttpCall {
  method: 'GET' | 'POST';
  /** Path after the base URL, e.g. `/v2/models/m/infer`. */
  path: string;
  body?: Uint8Array;
  headers?: Record<string, string> | undefined;
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
  /** Retry a 503 answer (not for readiness probes, where 503 is the answer). Default `true`. */
  retry503?: boolean;
  /** Statuses returned instead of rejected (readiness probes). Default: 2xx only. */
  accept?: (status: number) => boolean;
}

/** A finished HTTP answer, body read. @internal */
export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: Uint8Array;
}

/**
 * Runs one call with the client's deadline, the caller's signal and the retry policy
 * ({@link retryingCall}): a network failure or a 503 is retried after a backoff (or the
 * server's `Retry-After`) while retries are left and the wait ends before the deadline;
 * every failure becomes an `InferClientError`.
 *
 * @internal
 */
export function httpCall(options: ResolvedClientOptions, call: HttpCall): Promise<HttpAnswer> {
  const url = `${options.baseUrl}${call.path}`;
  const context = { method: call.method, url };
  return retryingCall(options, context, call, async ({ signal, attempts }) => {
    let answer: HttpAnswer;
    try {
      answer = await attempt(options, call, url, signal);
    } catch (failure) {
      const error = new InferClientError(
        'INFER_CLIENT_ERR_NETWORK',
        `${call.method} ${url} failed: ${(failure as Error)?.message ?? String(failure)}${describeCause(failure)}`,
        { ...context, attempts, cause: failure },
      );
      return { failure: { error, transport: true, retryable: true } };
    }
    if (answer.status >= 200 && answer.status < 300) return { value: answer };
    if (call.accept?.(answer.status)) return { value: answer };
    const error = httpError(answer, context, attempts);
    const retryable = answer.status === 503 && call.retry503 !== false;
    return { failure: { error, retryable, retryAfterSeconds: error.retryAfter } };
  });
}

async function attempt(
  options: ResolvedClientOptions,
  call: HttpCall,
  url: string,
  signal: AbortSignal | undefined,
): Promise<HttpAnswer> {
  const base = typeof options.headers === 'function' ? await options.headers() : options.headers;
  const headers = {
    accept: 'application/json, application/octet-stream',
    ...base,
    ...call.headers,
  };
  // Called as a plain function: some browsers throw "Illegal invocation" for fetch with another `this`.
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const init: RequestInit = { method: call.method, headers };
  if (signal !== undefined) init.signal = signal;
  if (call.body !== undefined) init.body = call.body as NonNullable<RequestInit['body']>;
  const response = await fetchImpl(url, init);
  const body = new Uint8Array(await response.arrayBuffer());
  return { status: response.status, headers: response.headers, body };
}

const decoder = new TextDecoder();

function httpError(
  answer: HttpAnswer,
  context: { method: string; url: string },
  attempts: number,
): InferClientError {
  let serverMessage: string | undefined;
  const text = decoder.decode(answer.body);
  try {
    const parsed = JSON.parse(text) as { error?: unknown };
    if (typeof parsed?.error === 'string') serverMessage = parsed.error;
  } catch {
    // Not OIP JSON (a proxy's HTML page, say): keep a short excerpt of the text.
    if (text.trim() !== '') serverMessage = text.trim().slice(0, 200);
  }
  const retryAfter = parseRetryAfter(answer.headers.get('retry-after'));
  const message = `${context.method} ${context.url} answered ${answer.status}${serverMessage === undefined ? '' : `: ${serverMessage}`}`;
  return new InferClientError('INFER_CLIENT_ERR_HTTP', message, {
    ...context,
    status: answer.status,
    retryAfter,
    serverMessage,
    attempts,
  });
}

/** `Retry-After` in seconds: delta-seconds or an HTTP date. */
function parseRetryAfter(value: string | null): number | undefined {
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** Node's fetch hides the reason ("fetch failed") in `cause`; show it. */
function describeCause(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  const text = [cause?.code, cause?.message].find((item) => typeof item === 'string');
  return text === undefined ? '' : ` (${text})`;
}
