import { InferClientError } from './errors';

/** Retry policy: how often and how long to wait between attempts. */
export interface RetryOptions {
  /** Retries after the first attempt. Default `2`. */
  retries?: number;
  /** First backoff delay in ms (doubles each retry, with jitter). Default `100`. */
  minDelayMs?: number;
  /**
   * Largest backoff delay in ms (a server's `Retry-After` is honoured as sent). Any wait is
   * cut to about 24.8 days (2,147,483,000 ms, see the README). Default `2000`.
   */
  maxDelayMs?: number;
}

/** The `fetch` the client calls; any WHATWG-compatible implementation. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** Options of {@link createClient}. */
export interface ClientOptions {
  /** Base URL of the OIP server, with any mount prefix: `http://localhost:8080` or `/ml`. Required. */
  baseUrl: string;
  /**
   * Headers sent with every call (e.g. `authorization`), or a function called before each
   * attempt that returns them (for tokens that expire; it runs within the call's deadline
   * and signal). A call's `headers` replace these by name, whatever its case. A function
   * that throws, or a header HTTP cannot carry, rejects the call with
   * `INFER_CLIENT_ERR_HEADERS` without sending it. Default: none.
   */
  headers?:
    | Record<string, string>
    | (() => Record<string, string> | Promise<Record<string, string>>);
  /** The fetch to use (a mock, undici with a dispatcher, an instrumented one). Default `globalThis.fetch`. */
  fetch?: FetchLike;
  /**
   * Deadline of every call in ms, retries included; `0` for none. One past 2,147,483,000 ms
   * (about 24.8 days, what setTimeout and grpc-js servers take) counts as that. Default `0`.
   */
  timeoutMs?: number;
  /**
   * Retry network failures and 503 answers (honouring `Retry-After`) with exponential
   * backoff, as long as the deadline allows: `true` for the defaults, an object to tune,
   * `false` for none. Default `false`.
   */
  retry?: RetryOptions | boolean;
  /**
   * Input data size in bytes from which `infer()` sends the binary tensor extension instead
   * of JSON (and asks for binary outputs); `0` always binary, `Infinity` never (unless JSON
   * cannot carry the data). Default {@link DEFAULT_BINARY_THRESHOLD}.
   */
  binaryThreshold?: number;
}

/**
 * Input bytes from which `infer()` goes binary by default: measured against `serve()` on
 * loopback (see the "Client" section of docs/benchmarks.md).
 *
 * @example
 * createClient({ baseUrl, binaryThreshold: DEFAULT_BINARY_THRESHOLD * 2 });
 */
export const DEFAULT_BINARY_THRESHOLD = 1024;

/** Defaults of {@link ClientOptions} and {@link RetryOptions}. */
export const CLIENT_DEFAULTS = Object.freeze({
  timeoutMs: 0,
  binaryThreshold: DEFAULT_BINARY_THRESHOLD,
  retry: Object.freeze({ retries: 2, minDelayMs: 100, maxDelayMs: 2000 }),
});

/** @internal Options after validation and defaults. */
export interface ResolvedClientOptions {
  baseUrl: string;
  headers: ClientOptions['headers'];
  fetch: FetchLike | undefined;
  timeoutMs: number;
  retry: Required<RetryOptions> | undefined;
  binaryThreshold: number;
}

/** @internal Throws `INFER_CLIENT_ERR_INVALID_OPTION`: `${path} ${what}`. */
export function fail(path: string, what: string): never {
  throw new InferClientError('INFER_CLIENT_ERR_INVALID_OPTION', `${path} ${what}`);
}

/** @internal Checks a non-negative integer option (`Infinity` allowed when `infinite`). */
export function checkCount(value: unknown, path: string, unit: string, infinite = false): number {
  if (infinite && value === Number.POSITIVE_INFINITY) return value;
  // (Number.isSafeInteger is false for anything but a number.)
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    fail(path, `must be a non-negative integer (${unit})`);
  }
  return value as number;
}

/**
 * Validates `createClient()` options before anything happens; messages name the path.
 *
 * @internal
 */
export function resolveClientOptions(options: ClientOptions): ResolvedClientOptions {
  if (typeof options !== 'object' || options === null) fail('options', 'must be an object');
  const { baseUrl } = options;
  if (typeof baseUrl !== 'string' || baseUrl === '') {
    fail('options.baseUrl', 'must be a non-empty string (e.g. "http://localhost:8080")');
  }
  const headers = options.headers;
  if (headers !== undefined && typeof headers !== 'function') {
    if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
      fail('options.headers', 'must be an object of strings or a function');
    }
    for (const [name, value] of Object.entries(headers)) {
      if (typeof value !== 'string') fail(`options.headers.${name}`, 'must be a string');
    }
  }
  if (options.fetch !== undefined && typeof options.fetch !== 'function') {
    fail('options.fetch', 'must be a function');
  }
  // Checked in this order: timeoutMs, binaryThreshold, retry.
  return {
    baseUrl: baseUrl.replace(/\/+$/, ''),
    headers,
    fetch: options.fetch,
    timeoutMs: checkCount(
      options.timeoutMs ?? CLIENT_DEFAULTS.timeoutMs,
      'options.timeoutMs',
      'ms',
    ),
    binaryThreshold: checkCount(
      options.binaryThreshold ?? CLIENT_DEFAULTS.binaryThreshold,
      'options.binaryThreshold',
      'bytes',
      true,
    ),
    retry: resolveRetry(options.retry),
  };
}

/** @internal Validates the `retry` option (`true`: the defaults, `false`: none). */
export function resolveRetry(retry: ClientOptions['retry']): Required<RetryOptions> | undefined {
  if (retry === undefined || retry === false) return undefined;
  // `true`: every field from the defaults, through the same loop.
  if (retry === true) retry = {};
  if (typeof retry !== 'object' || retry === null)
    fail('options.retry', 'must be an object or a boolean');
  const resolved: Required<RetryOptions> = { ...CLIENT_DEFAULTS.retry };
  for (const key of ['retries', 'minDelayMs', 'maxDelayMs'] as const) {
    resolved[key] = checkCount(
      retry[key] ?? resolved[key],
      `options.retry.${key}`,
      key === 'retries' ? 'count' : 'ms',
    );
  }
  if (resolved.maxDelayMs < resolved.minDelayMs) {
    fail('options.retry.maxDelayMs', 'must be at least options.retry.minDelayMs');
  }
  return resolved;
}
