import { decoder } from './bytes-text';
import type { ResolvedClientOptions } from './client-options';
import type { ClientErrorCode, InferClientError } from './errors';
import { type CallContext, callError, retryingCall } from './retrying-call';

/** A request body and the headers that describe it (`content-type`...). @internal */
export interface HttpBody {
  body: Uint8Array;
  headers: Record<string, string>;
}

/** One HTTP call the client makes. @internal */
export interface HttpCall {
  method: 'GET' | 'POST';
  /** Path after the base URL, e.g. `/v2/models/m/infer`. */
  path: string;
  body?: HttpBody;
  /**
   * The same request asking for binary outputs, sent (in the same attempt) after a JSON
   * answer the server could not give: @infer's server answers 500 "... ask for binary output"
   * for an output JSON cannot carry (NaN, Infinity, BYTES that are not UTF-8).
   */
  binaryBody?: (() => HttpBody) | undefined;
  headers?: Record<string, string> | undefined;
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
  /**
   * Statuses returned instead of rejected (readiness probes, where a 503 is an answer, not
   * retried). Default: 2xx only.
   */
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
 * every failure becomes an `InferClientError`. Headers that cannot be made (the `headers()`
 * function threw, a value with a line break) fail at once, without sending anything.
 *
 * @internal
 */
export function httpCall(options: ResolvedClientOptions, call: HttpCall): Promise<HttpAnswer> {
  const url = `${options.baseUrl}${call.path}`;
  const context = { method: call.method, url };
  let body = call.body;
  return retryingCall(options, context, call, async ({ signal, attempts }) => {
    const fail = (code: ClientErrorCode, what: string, failure: unknown) => {
      // Node's fetch hides the reason ("fetch failed") in `cause`; show it.
      const cause = (failure as { cause?: { code?: unknown; message?: unknown } } | undefined)
        ?.cause;
      const reason = [cause?.code, cause?.message].find((item) => typeof item === 'string');
      return callError(
        code,
        context,
        attempts,
        `${what}: ${(failure as Error)?.message ?? String(failure)}${reason === undefined ? '' : ` (${reason})`}`,
        { cause: failure },
      );
    };
    let headers: Record<string, string>;
    try {
      headers = headersOf(
        typeof options.headers === 'function' ? await options.headers() : options.headers,
        call.headers,
      );
    } catch (failure) {
      return { error: fail('INFER_CLIENT_ERR_HEADERS', 'was not sent', failure) };
    }
    const send = async (): Promise<HttpAnswer> => {
      // Called as a plain function: some browsers throw "Illegal invocation" for fetch with another `this`.
      const response = await (options.fetch ?? globalThis.fetch)(url, {
        method: call.method,
        headers: { ...headers, ...body?.headers },
        body: body?.body,
        signal,
      } as RequestInit);
      return {
        status: response.status,
        headers: response.headers,
        body: new Uint8Array(await response.arrayBuffer()),
      };
    };
    let answer: HttpAnswer;
    try {
      answer = await send();
      if (
        answer.status === 500 &&
        call.binaryBody !== undefined &&
        /ask for binary output/.test(decoder.decode(answer.body))
      ) {
        // Later attempts (retries) send the binary request too.
        body = call.binaryBody();
        answer = await send();
      }
    } catch (failure) {
      try {
        // What fetch refused may be a header (a value with a line break, a name with a
        // space): the caller's mistake, that no retry mends. Checked here, off the usual path.
        new Headers(headers);
      } catch (invalid) {
        const what = 'was not sent, a header is not valid HTTP';
        return { error: fail('INFER_CLIENT_ERR_HEADERS', what, invalid) };
      }
      const error = fail('INFER_CLIENT_ERR_NETWORK', 'failed', failure);
      return { error, transport: true, retryable: true };
    }
    const { status } = answer;
    if ((status >= 200 && status < 300) || call.accept?.(status)) return { value: answer };
    // A 503 is retried after its `Retry-After` (the error's `retryAfter`), else a backoff.
    return {
      error: httpError(answer, context, attempts),
      retryable: status === 503,
    };
  });
}

/**
 * The headers of a request: `accept`, then the client's, then the call's, with lower-case
 * names so that a later one replaces an earlier one whatever its case (fetch would join them).
 */
function headersOf(...sources: (Record<string, string> | undefined)[]): Record<string, string> {
  const headers: Record<string, string> = {
    accept: 'application/json, application/octet-stream',
  };
  for (const source of sources) {
    for (const [name, value] of Object.entries(source ?? {})) headers[name.toLowerCase()] = value;
  }
  return headers;
}

function httpError(answer: HttpAnswer, context: CallContext, attempts: number): InferClientError {
  const text = decoder.decode(answer.body);
  let serverMessage: unknown;
  try {
    const parsed = JSON.parse(text);
    // OIP's `{"error": "..."}`, or what other servers send (`message`, FastAPI's `detail`).
    serverMessage = [parsed.error, parsed.message, parsed.detail].find(
      (field) => typeof field === 'string',
    );
  } catch {
    // Not JSON: the excerpt below.
  }
  // Anything else (a proxy's HTML page, `{"error": {...}}`): a short excerpt of the text.
  if (typeof serverMessage !== 'string') serverMessage = text.trim().slice(0, 200) || undefined;
  const { status } = answer;
  return callError(
    'INFER_CLIENT_ERR_HTTP',
    context,
    attempts,
    `answered ${status}${serverMessage === undefined ? '' : `: ${serverMessage}`}`,
    {
      status,
      retryAfter: parseRetryAfter(answer.headers.get('retry-after')),
      serverMessage: serverMessage as string | undefined,
    },
  );
}

/** `Retry-After` in seconds: delta-seconds or an HTTP date. */
function parseRetryAfter(value: string | null): number | undefined {
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}
